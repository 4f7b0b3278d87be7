//! Training on the project's own `datasets/`: deterministic, round-trips
//! through the model file, and learns something real.

use scamscan::corpus::{Example, TEST_FOLDS, fold, read_dir_or_file};
use scamscan::featurize::{FeaturizerConfig, Hashing};
use scamscan::train::{TrainParams, Trainer};
use scamscan::{Classifier, Label, Model};

fn params() -> TrainParams {
    TrainParams {
        featurizer: FeaturizerConfig {
            buckets_log2: 15,
            ..FeaturizerConfig::default()
        },
        category_buckets_log2: 12,
        // A model that reads every language of our data: these tests check
        // the trainer and the report, not the unfamiliar-language rule.
        min_language_rows: 0,
        max_iterations: 60,
        ..TrainParams::default()
    }
}

fn datasets() -> Vec<Example> {
    read_dir_or_file(concat!(env!("CARGO_MANIFEST_DIR"), "/datasets").as_ref()).unwrap()
}

#[test]
fn same_data_gives_a_byte_identical_model() {
    let ex = datasets();
    let a = Trainer::new(params())
        .unwrap()
        .train(&ex)
        .unwrap()
        .to_bytes()
        .unwrap();
    let b = Trainer::new(params())
        .unwrap()
        .train(&ex)
        .unwrap()
        .to_bytes()
        .unwrap();
    assert_eq!(a.len(), b.len());
    assert!(a == b, "two trainings on the same data differ");
}

#[test]
fn saved_model_scores_like_the_trained_one() {
    let ex = datasets();
    let model = Trainer::new(params()).unwrap().train(&ex).unwrap();
    let dir = tempfile::tempdir().unwrap();
    model.save(dir.path()).unwrap();
    let loaded = Classifier::from_path(dir.path()).unwrap();
    let fresh = Classifier::new(model);
    for e in ex.iter().step_by(37) {
        assert_eq!(
            fresh.classify(&e.text),
            loaded.classify(&e.text),
            "{}",
            e.id
        );
    }
}

/// The hashing scheme is stored in the model: a model trained with either
/// scheme loads with it, and scores as it did when trained.
#[test]
fn each_hashing_scheme_round_trips_through_the_model_file() {
    let ex = datasets();
    for hashing in [Hashing::Xxh3, Hashing::MultiplyAdd] {
        let mut p = params();
        p.featurizer.hashing = hashing;
        let model = Trainer::new(p).unwrap().train(&ex).unwrap();
        let dir = tempfile::tempdir().unwrap();
        model.save(dir.path()).unwrap();
        let loaded = Classifier::from_path(dir.path()).unwrap();
        assert_eq!(loaded.model().featurizer.config().hashing, hashing);
        let fresh = Classifier::new(model);
        let mut right = 0;
        for e in ex.iter().step_by(13) {
            let v = loaded.classify(&e.text);
            assert_eq!(fresh.classify(&e.text), v, "{hashing:?} {}", e.id);
            right += usize::from((v.label == Label::Ham) == (e.label == Label::Ham));
        }
        // Trained on these rows: either scheme learns more than a coin
        // flip's worth of them (unsure verdicts count as not ham).
        let n = ex.iter().step_by(13).count();
        assert!(right * 2 > n, "{hashing:?}: {right} of {n}");
    }
}

#[test]
fn held_out_datasets_rows_are_mostly_right() {
    // Train on folds 2..9 of our own data, test on folds 0 and 1.
    let (train, test): (Vec<Example>, Vec<Example>) = datasets()
        .into_iter()
        .partition(|e| !TEST_FOLDS.contains(&fold(&e.text)));
    assert!(test.len() > 100, "test split too small: {}", test.len());
    let c = Classifier::new(Trainer::new(params()).unwrap().train(&train).unwrap());
    let scores: Vec<f32> = test.iter().map(|e| c.classify(&e.text).score).collect();
    let truth: Vec<bool> = test.iter().map(|e| e.label == Label::Scam).collect();
    let auc = scamscan::metrics::roc_auc(&scores, &truth).unwrap();
    eprintln!("held-out datasets rows: scam-vs-rest ROC-AUC {auc:.3}");
    assert!(
        auc > 0.85,
        "scam-vs-rest ROC-AUC on held-out datasets rows: {auc}"
    );
    // The category head, on held-out scam rows, beats the 1-in-12 chance level by far.
    let scams: Vec<&Example> = test.iter().filter(|e| e.category.is_some()).collect();
    let right = scams
        .iter()
        .filter(|e| Some(c.categorize(&e.text).0) == e.category)
        .count();
    let acc = right as f64 / scams.len() as f64;
    eprintln!(
        "held-out datasets rows: category accuracy {acc:.3} on {}",
        scams.len()
    );
    assert!(
        acc > 0.5,
        "category accuracy {acc} on {} held-out scam rows",
        scams.len()
    );
}

#[test]
fn training_without_a_class_is_an_error() {
    let ex: Vec<Example> = datasets()
        .into_iter()
        .filter(|e| e.label != Label::Spam)
        .collect();
    let err = Trainer::new(params())
        .unwrap()
        .train(&ex)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no spam examples"), "{err}");
}

#[test]
fn corrupt_model_bytes_are_errors_not_panics() {
    let model: Model = Trainer::new(params()).unwrap().train(&datasets()).unwrap();
    let bytes = model.to_bytes().unwrap();
    let tok = || scamscan::tokenize::Tokenizer::new().unwrap();
    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x40;
    let mut wrong_version = bytes.clone();
    wrong_version[8] = 9;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("checksum", flipped),
        ("truncated", bytes[..bytes.len() - 10].to_vec()),
        ("version", wrong_version),
        (
            "magic",
            b"NOTAMODEL-and-some-more-bytes-to-pass-the-prefix".to_vec(),
        ),
        ("truncated", Vec::new()),
    ];
    for (expect, b) in cases {
        let err = Model::from_bytes(&b, tok()).unwrap_err().to_string();
        assert!(err.contains(expect), "expected {expect:?} in {err:?}");
    }
}
