//! Learning from feedback (`Model::learn`), on the project's own
//! `datasets/` only: a language the model is unsure of becomes familiar, a
//! new scam script is caught from a handful of examples, forgetting is
//! exact, and the result survives the model file.

use scamscan::corpus::{Example, read_dir_or_file};
use scamscan::featurize::FeaturizerConfig;
use scamscan::learn::LearnParams;
use scamscan::train::{TrainParams, Trainer};
use scamscan::{Classifier, Label, Model};
use std::sync::OnceLock;

fn datasets() -> Vec<Example> {
    read_dir_or_file(concat!(env!("CARGO_MANIFEST_DIR"), "/datasets").as_ref()).unwrap()
}

/// The held-out language: Vietnamese, whose legitimate messages the base
/// model never sees.
const LANG: &str = "vi";

/// A small model trained on `datasets/` without any Vietnamese row, and
/// the Vietnamese rows.
fn base() -> &'static (Model, Vec<Example>) {
    static BASE: OnceLock<(Model, Vec<Example>)> = OnceLock::new();
    BASE.get_or_init(|| {
        let (held, train): (Vec<Example>, Vec<Example>) =
            datasets().into_iter().partition(|e| e.lang == LANG);
        let params = TrainParams {
            featurizer: FeaturizerConfig {
                buckets_log2: 15,
                ..FeaturizerConfig::default()
            },
            category_buckets_log2: 12,
            max_iterations: 60,
            ..TrainParams::default()
        };
        let model = Trainer::new(params).unwrap().train(&train).unwrap();
        (model, held)
    })
}

fn ham_of_lang() -> Vec<&'static Example> {
    base().1.iter().filter(|e| e.label == Label::Ham).collect()
}

#[test]
fn learning_a_language_makes_it_familiar() {
    let (model, _) = base();
    let ham = ham_of_lang();
    assert!(ham.len() >= 12, "{} Vietnamese ham rows", ham.len());
    // Two thirds learned, the rest checked. (Learning every second row
    // made 6 of the other 7 ham; the seventh, a crypto exchange notice,
    // stayed unsure at 27% known words.)
    let learn: Vec<Example> = (0..ham.len())
        .filter(|i| i % 3 != 0)
        .map(|i| ham[i].clone())
        .collect();
    let rest: Vec<&Example> = (0..ham.len())
        .filter(|i| i % 3 == 0)
        .map(|i| ham[i])
        .collect();
    let before = Classifier::new(model.clone());
    let unsure_before = rest
        .iter()
        .filter(|e| before.classify(&e.text).label == Label::Unsure)
        .count();
    // The premise: the base model does not know the language.
    assert!(
        unsure_before * 2 > rest.len(),
        "only {unsure_before} of {} unsure before learning",
        rest.len()
    );
    // Fewer legitimate rows than `language_rows` leave the language
    // unknown: the rest stay on their language-free evidence, and none of
    // them is flagged.
    let few = Classifier::new(model.learn(&learn, &LearnParams::default()).unwrap());
    assert!(learn.len() < LearnParams::default().language_rows);
    assert!(!few.model().knows_language(LANG));
    for e in &rest {
        let v = few.classify(&e.text);
        assert!(
            !v.label.is_flagged(),
            "{} with too few rows: {:?}",
            e.id,
            v.label
        );
    }
    // Enough of them make it known.
    let params = LearnParams {
        language_rows: learn.len(),
        ..LearnParams::default()
    };
    let learned = Classifier::new(model.learn(&learn, &params).unwrap());
    assert!(learned.model().knows_language(LANG));
    for e in &rest {
        let v = learned.classify(&e.text);
        assert_eq!(
            v.label,
            Label::Ham,
            "{} after learning: {:?} (coverage {:.2}, p {:?})",
            e.id,
            v.label,
            v.coverage,
            v.probabilities
        );
    }
}

/// One scam script in ten wordings (written for this test: a rental
/// "holding deposit" paid to a fake escrow account before any viewing).
const DEPOSIT_SCRIPT: [&str; 10] = [
    "Hi, Daniel here, assistant to the owner of Flat 3B on Calder Street. Before the keys can be released please send the holding deposit of 650 pounds to our escrow partner, sort code 20-44-91 account 53318820, today or the flat goes to the next applicant.",
    "Hello, this is Marta for the landlord of 14 Birch Lane. The owner is abroad, so the holding deposit of 700 pounds goes to the escrow agent first: sort code 30-12-77, account 11029384. Once it clears the keys are posted to you.",
    "Good news, the studio on Harbour Road is still free! The owner works offshore and only rents through escrow. Transfer the 550 pound holding deposit to sort code 40-02-18 account 66710293 by tonight and the keys ship tomorrow.",
    "Hi again, Daniel from the Calder Street listing. Several people want the flat, so the owner asked me to take the holding deposit now: 600 pounds to the escrow account, sort code 20-44-91, 53318820. Keys follow by courier.",
    "Dear applicant, the owner of the two-bed at Elm Court has approved you. To reserve it, pay the holding deposit of 800 pounds into the escrow account (sort code 11-90-35, account 80217744) within 24 hours. Viewing is not possible, the owner is overseas.",
    "This is Priya, letting assistant for the Mill Street loft. The landlord lives abroad so we use an escrow service. Send the 500 pound holding deposit to sort code 60-33-02 account 47712093 and the keys will be couriered to you this week.",
    "Hello! The room on Castle View is yours if you want it. The owner is on a contract overseas, so the 450 pound holding deposit must go to the escrow partner first (sort code 09-88-14, account 20394851). Keys are sent after payment.",
    "Hi, Tom here for the owner of the flat on Quarry Road. No viewings while the owner is abroad, but the escrow company holds your money safely: 725 pounds holding deposit to sort code 23-55-60 account 99123004, then the keys are posted.",
    "Reminder from Marta about 14 Birch Lane: the escrow agent still has not received your holding deposit of 700 pounds (sort code 30-12-77, account 11029384). Pay today or the owner will give the keys to another tenant.",
    "Dear tenant, the owner of Riverside Mews is working overseas and cannot show the house. Please pay the 900 pound holding deposit to the escrow account, sort code 52-17-43 account 31908877, and the keys will be delivered by courier.",
];

fn example(id: &str, label: Label, text: &str) -> Example {
    Example {
        id: id.into(),
        source: "my-inbox".into(),
        channel: "sms".into(),
        lang: "en".into(),
        label,
        category: (label == Label::Scam).then_some(scamscan::Category::Other),
        text: text.into(),
        reviewed: false,
    }
}

#[test]
fn a_handful_of_a_new_scam_script_catches_its_variants() {
    let (model, _) = base();
    let learn: Vec<Example> = DEPOSIT_SCRIPT[..4]
        .iter()
        .enumerate()
        .map(|(i, t)| example(&format!("deposit:{i}"), Label::Scam, t))
        .collect();
    let unseen = &DEPOSIT_SCRIPT[4..];
    let before = Classifier::new(model.clone());
    let flagged_before = unseen
        .iter()
        .filter(|t| before.classify(t).is_flagged())
        .count();
    let after = Classifier::new(model.learn(&learn, &LearnParams::default()).unwrap());
    // Measured: one of the six flagged before learning, five after; the
    // sixth (a short reminder) moves from p(ham) 0.86 to 0.03, under the
    // datasets-only base model's high threshold. Learning must move every
    // variant towards scam and flag nearly all of them.
    assert!(
        flagged_before <= 2,
        "{flagged_before} of 6 flagged before learning"
    );
    let mut flagged_after = 0;
    for t in unseen {
        let (b, a) = (before.classify(t), after.classify(t));
        assert!(
            a.probabilities.ham < b.probabilities.ham / 4.0,
            "p(ham) {} before learning, {} after: {t}",
            b.probabilities.ham,
            a.probabilities.ham
        );
        flagged_after += usize::from(a.is_flagged());
    }
    assert!(
        flagged_after >= 5,
        "{flagged_after} of 6 flagged after learning"
    );
}

/// Feedback for the exactness tests: Vietnamese legitimate rows, and
/// scams of the deposit script.
fn feedback() -> (Vec<Example>, Vec<Example>) {
    let a: Vec<Example> = ham_of_lang().iter().take(6).map(|e| (*e).clone()).collect();
    let b: Vec<Example> = DEPOSIT_SCRIPT
        .iter()
        .enumerate()
        .map(|(i, t)| example(&format!("deposit:{i}"), Label::Scam, t))
        .collect();
    (a, b)
}

#[test]
fn forgetting_is_exact_through_the_model_file() {
    let (model, held) = base();
    let (a, b) = feedback();
    let p = LearnParams::default();
    let both: Vec<Example> = a.iter().chain(&b).cloned().collect();
    let learned_ab = model.learn(&both, &p).unwrap();
    let dir = tempfile::tempdir().unwrap();
    learned_ab.save(dir.path()).unwrap();
    let loaded = Model::load(dir.path()).unwrap();
    let (x, y) = (loaded.to_bytes().unwrap(), learned_ab.to_bytes().unwrap());
    assert!(x == y, "the loaded model differs from the saved one");
    let ids: Vec<String> = b.iter().map(|e| e.id.clone()).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let forgot_b = loaded.forget(&ids, &p).unwrap();
    let only_a = model.learn(&a, &p).unwrap();
    assert!(
        forgot_b.to_bytes().unwrap() == only_a.to_bytes().unwrap(),
        "learning A+B then forgetting B differs from learning A"
    );
    // And so the probabilities, within 1e-6 (they are equal).
    let (x, y) = (Classifier::new(forgot_b), Classifier::new(only_a));
    for t in held.iter().map(|e| e.text.as_str()).chain(DEPOSIT_SCRIPT) {
        let (p, q) = (x.classify(t).probabilities, y.classify(t).probabilities);
        for (u, v) in [(p.ham, q.ham), (p.spam, q.spam), (p.scam, q.scam)] {
            assert!((u - v).abs() <= 1e-6, "{t}: {p:?} vs {q:?}");
        }
    }
    // Learning in two steps is learning at once; forgetting everything is the base.
    let stepwise = model.learn(&a, &p).unwrap().learn(&b, &p).unwrap();
    assert!(stepwise.to_bytes().unwrap() == learned_ab.to_bytes().unwrap());
    let all: Vec<String> = a.iter().chain(&b).map(|e| e.id.clone()).collect();
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let none = learned_ab.forget(&all, &p).unwrap();
    assert!(none.feedback.is_none());
    assert!(none.to_bytes().unwrap() == model.to_bytes().unwrap());
}

#[test]
fn the_model_file_keeps_no_text() {
    let (model, _) = base();
    let (a, b) = feedback();
    let both: Vec<Example> = a.iter().chain(&b).cloned().collect();
    let bytes = model
        .learn(&both, &LearnParams::default())
        .unwrap()
        .to_bytes()
        .unwrap();
    for e in &both {
        // Any run of six words of a message would do; none is there.
        let words: Vec<&str> = e.text.split_whitespace().collect();
        for w in words.windows(3) {
            let phrase = w.join(" ");
            if phrase.len() >= 12 {
                assert!(
                    !bytes.windows(phrase.len()).any(|x| x == phrase.as_bytes()),
                    "{:?} is in the model file",
                    phrase
                );
            }
        }
        assert!(
            bytes.windows(e.id.len()).any(|x| x == e.id.as_bytes()),
            "{} kept",
            e.id
        );
    }
}

#[test]
fn a_model_without_precisions_is_refused() {
    let (model, _) = base();
    let mut old = model.clone();
    old.precision = None;
    let err = old
        .learn(&feedback().1, &LearnParams::default())
        .unwrap_err();
    assert!(err.to_string().contains("retrain"), "{err}");
}
