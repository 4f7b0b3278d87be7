//! Evaluation: metric plumbing on hand-made rows, and a whole
//! evaluation with a small model trained here on the project's datasets/.

use scamscan::corpus::{TEST_FOLDS, fold, read_dir_or_file};
use scamscan::eval::{
    BinaryMetrics, CategoryScored, EvalOptions, EvalReport, MAX_CURVE_POINTS, Scored,
    category_metrics, evaluate, group_metrics, pr_curve, roc_curve,
};
use scamscan::featurize::FeaturizerConfig;
use scamscan::train::{TrainParams, Trainer};
use scamscan::{Category, Classifier, ClassifyOptions, Example, Label};
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// A small model trained on the datasets minus the test folds, and those held-out rows.
fn fixture() -> &'static (Classifier, Vec<Example>) {
    static FIXTURE: OnceLock<(Classifier, Vec<Example>)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let all = read_dir_or_file("datasets".as_ref()).expect("datasets/ reads");
        let (test, train): (Vec<Example>, Vec<Example>) = all
            .into_iter()
            .partition(|e| TEST_FOLDS.contains(&fold(&e.text)));
        let params = TrainParams {
            max_iterations: 30,
            featurizer: FeaturizerConfig {
                buckets_log2: 16,
                ..Default::default()
            },
            category_buckets_log2: 12,
            // A model that reads every language of our data: these tests check
            // the trainer and the report, not the unfamiliar-language rule.
            min_language_rows: 0,
            ..Default::default()
        };
        let model = Trainer::new(params).unwrap().train(&train).unwrap();
        (Classifier::new(model), test)
    })
}

fn ex(channel: &str, label: Label, category: Option<Category>, text: &str) -> Example {
    Example {
        id: String::new(),
        source: "handwritten".into(),
        channel: channel.into(),
        lang: "en".into(),
        label,
        category,
        text: text.into(),
        reviewed: false,
    }
}

/// Messages written for this test (not from any corpus).
fn handwritten() -> Vec<Example> {
    use Category::*;
    use Label::*;
    vec![
        ex(
            "sms",
            Ham,
            None,
            "running 10 min late, grab us a table by the window?",
        ),
        ex(
            "sms",
            Ham,
            None,
            "Dentist reminder: Tuesday 3:40pm with Dr. Okafor. Reply C to confirm.",
        ),
        ex(
            "email",
            Ham,
            None,
            "Hi team, minutes from Thursday's planning call are attached. Next sync is the 14th.",
        ),
        ex(
            "sms",
            Ham,
            None,
            "can you feed the cat tonight? key is under the blue pot",
        ),
        ex(
            "email",
            Spam,
            None,
            "SPRING SALE: 40% off all garden furniture this weekend only. Unsubscribe anytime.",
        ),
        ex(
            "sms",
            Scam,
            Some(Delivery),
            "Postal notice: your package is held due to unpaid customs fee of $2.15. Pay now at parcel-release-desk.top or it returns to sender",
        ),
        ex(
            "sms",
            Scam,
            Some(Job),
            "Hi! Remote assistant role, earn 500 USDT daily liking hotel reviews, only 30 min a day. Message me on Telegram @hr_lena_jobs",
        ),
        ex(
            "sms",
            Scam,
            Some(Bank),
            "ALERT: unusual sign-in to your bank account was blocked. Verify your identity within 24h at secure-verify-online.xyz to avoid suspension",
        ),
        ex(
            "email",
            Scam,
            Some(Prize),
            "Congratulations!!! Your email won 850,000 GBP in the international lottery draw. Send your full name and bank details to claim your prize.",
        ),
        ex(
            "sms",
            Scam,
            Some(Investment),
            "my uncle works at a crypto fund, guaranteed 30% weekly profit, start with 1000 USDT and withdraw anytime, I can show you the platform",
        ),
    ]
}

fn tally(classifier: &Classifier, examples: &[Example]) -> [[u64; 4]; 3] {
    let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    let mut m = [[0u64; 4]; 3];
    for (e, v) in examples.iter().zip(classifier.classify_batch(&texts)) {
        m[e.label.index()][v.label.index()] += 1;
    }
    m
}

fn assert_no_nan(report: &EvalReport) {
    // serde_json writes non-finite floats as null: no rate may be null unless it is None,
    // and the markdown must not show Rust's "NaN" / "inf".
    let json = serde_json::to_string(report).unwrap();
    assert!(!json.contains("NaN"), "{json}");
    let md = report.to_markdown();
    for bad in ["NaN", " inf ", "| inf", "-inf"] {
        assert!(!md.contains(bad), "{bad:?} in\n{md}");
    }
}

// --- plumbing on hand-made rows -------------------------------------------

fn row(truth: Label, predicted: Label, p_ham: f32, p_scam: f32) -> Scored {
    Scored {
        truth,
        predicted,
        p_ham,
        p_scam,
        unwanted: false,
    }
}

#[test]
fn group_metrics_hand_checked() {
    use Label::*;
    // 3 ham, 2 spam, 3 scam.
    let rows = [
        row(Ham, Ham, 0.95, 0.02),
        row(Ham, Ham, 0.70, 0.20),
        row(Ham, Spam, 0.40, 0.10),
        row(Spam, Spam, 0.20, 0.15),
        row(Spam, Ham, 0.80, 0.05),
        row(Scam, Scam, 0.05, 0.90),
        row(Scam, Scam, 0.10, 0.60),
        row(Scam, Ham, 0.60, 0.30),
    ];
    let g = group_metrics("g", &rows, &[0.0, 0.5]);
    assert_eq!(
        (g.n, g.counts.ham, g.counts.spam, g.counts.scam),
        (8, 3, 2, 3)
    );
    // Flagged decision: predicted != ham on rows 3,4,6,7 → tp 3 (4,6,7), fp 1 (3); fn 2 (5,8).
    let c = g.decision.confusion;
    assert_eq!((c.tp, c.fp, c.fn_, c.tn), (3, 1, 2, 2));
    assert_eq!(g.decision.precision, Some(0.75));
    assert_eq!(g.decision.recall, Some(0.6));
    assert!((g.decision.f1.unwrap() - 2.0 * 0.75 * 0.6 / 1.35).abs() < 1e-12);
    assert!((g.decision.ham_fpr.unwrap() - 1.0 / 3.0).abs() < 1e-12);
    // Flag scores: ham .05 .30 .60; positives .80 .20 .95 .90 .40.
    // Wins: .80→3, .20→1, .95→3, .90→3, .40→2 = 12 of 15.
    assert!((g.flagged.roc_auc.unwrap() - 12.0 / 15.0).abs() < 1e-6);
    // 0% FPR: above .60 → .80 .95 .90 = 3/5; 50% FPR: floor(1.5)=1 ham allowed, above .30 → 4/5.
    assert_eq!(g.flagged.recall_at_fpr[0].recall, Some(0.6));
    assert_eq!(g.flagged.recall_at_fpr[1].recall, Some(0.8));
    // Scam vs ham excludes spam: scam .90 .60 .30 vs ham .02 .20 .10 → perfect.
    assert_eq!((g.scam.positives, g.scam.negatives), (3, 3));
    assert_eq!(g.scam.roc_auc, Some(1.0));
    assert_eq!(g.scam.pr_auc, Some(1.0));
    // Scam decision: predicted scam on 2 of 3 scams, no ham.
    assert_eq!(g.scam_decision.recall, Some(2.0 / 3.0));
    assert_eq!(g.scam_decision.precision, Some(1.0));
    assert_eq!(g.scam_decision.ham_fpr, Some(0.0));
    assert_eq!(
        g.confusion.counts,
        [[2, 1, 0, 0], [1, 1, 0, 0], [1, 0, 2, 0]]
    );
}

#[test]
fn missing_classes_are_none_not_nan() {
    use Label::*;
    let g = group_metrics("only ham", &[row(Ham, Ham, 0.9, 0.05)], &[0.01]);
    assert_eq!(g.flagged.roc_auc, None);
    assert_eq!(g.flagged.pr_auc, None);
    assert_eq!(g.flagged.recall_at_fpr[0].recall, None);
    assert_eq!(g.decision.precision, None);
    assert_eq!(g.decision.recall, None);
    assert_eq!(g.decision.f1, None);
    assert_eq!(g.decision.ham_fpr, Some(0.0));
    let g = group_metrics("empty", &[], &[0.01]);
    assert_eq!(g.flagged.prevalence(), None);
    assert_eq!(g.decision.ham_fpr, None);
    let m = BinaryMetrics::compute(&[0.3, 0.7], &[true, true], &[0.01]);
    assert_eq!((m.roc_auc, m.recall_at_fpr[0].recall), (None, None));
    assert_eq!(m.pr_auc, Some(1.0));
}

#[test]
fn category_metrics_hand_checked() {
    use Category::*;
    let r = |truth, predicted, named, head| CategoryScored {
        truth,
        predicted,
        named,
        head,
    };
    let rows = [
        r(Bank, Label::Scam, Some(Bank), Some(Bank)),
        r(Bank, Label::Scam, Some(Delivery), Some(Delivery)),
        r(Bank, Label::Spam, None, Some(Bank)),
        r(Delivery, Label::Scam, Some(Delivery), Some(Delivery)),
        r(Delivery, Label::Ham, None, Some(Prize)),
    ];
    let m = category_metrics(&rows);
    let names: Vec<&str> = m.iter().map(|c| c.category.as_str()).collect();
    assert_eq!(names, ["bank", "delivery", "(all)"]);
    let bank = &m[0];
    assert_eq!(bank.n, 3);
    assert_eq!(bank.flagged_recall, Some(1.0));
    assert_eq!(bank.scam_recall, Some(2.0 / 3.0));
    assert_eq!(bank.named_accuracy, Some(0.5));
    assert_eq!(bank.caught_and_named, Some(1.0 / 3.0));
    assert_eq!(bank.head_accuracy, Some(2.0 / 3.0));
    assert_eq!(bank.named_precision, Some(1.0));
    let delivery = &m[1];
    assert_eq!(delivery.named_precision, Some(0.5));
    assert_eq!(delivery.head_accuracy, Some(0.5));
    let all = &m[2];
    assert_eq!((all.n, all.predicted_scam), (5, 3));
    assert_eq!(all.named_accuracy, Some(2.0 / 3.0));
    assert_eq!(all.head_accuracy, Some(3.0 / 5.0));
    assert!(category_metrics(&[]).is_empty());
}

#[test]
fn curves_are_monotone_and_bounded() {
    // 10,000 distinct scores: positives on every third row, scores rising with the index.
    let scores: Vec<f32> = (0..10_000).map(|i| i as f32 / 10_000.0).collect();
    let truth: Vec<bool> = (0..10_000).map(|i| i % 3 == 0 || i > 9_000).collect();
    let roc = roc_curve(&scores, &truth, MAX_CURVE_POINTS);
    assert!(
        roc.len() <= MAX_CURVE_POINTS && roc.len() > 100,
        "{}",
        roc.len()
    );
    assert_eq!((roc[0].x, roc[0].y), (0.0, 0.0));
    let last = roc.last().unwrap();
    assert_eq!((last.x, last.y), (1.0, 1.0));
    assert!(roc.windows(2).all(|w| w[0].x <= w[1].x && w[0].y <= w[1].y));
    // The top 1,000 scores are all positive: the curve climbs before any false positive.
    assert!(roc.iter().any(|p| p.x == 0.0 && p.y > 0.2));
    let pr = pr_curve(&scores, &truth, MAX_CURVE_POINTS);
    assert!(pr.len() <= MAX_CURVE_POINTS);
    assert!(pr.windows(2).all(|w| w[0].x <= w[1].x));
    assert_eq!(pr[0].y, 1.0);
    let positives = truth.iter().filter(|&&t| t).count() as f64;
    assert!((pr.last().unwrap().y - positives / 10_000.0).abs() < 1e-12);
    assert!(roc_curve(&scores, &vec![false; 10_000], 500).is_empty());
    assert!(pr_curve(&scores, &vec![false; 10_000], 500).is_empty());
}

#[test]
fn default_options() {
    assert_eq!(EvalOptions::default().fprs, [0.001, 0.01, 0.05]);
}

// --- a whole evaluation with a trained model --------------------------------

#[test]
fn held_out_fold_report_matches_the_classifier() {
    let (classifier, test) = fixture();
    assert!(test.len() > 100, "{} held-out rows", test.len());
    let report = evaluate(classifier, test, &EvalOptions::default());
    assert_eq!(report.n, test.len());
    let o = &report.overall;
    assert_eq!(o.counts.ham + o.counts.spam + o.counts.scam, test.len());
    assert_eq!(o.confusion.counts, tally(classifier, test));
    assert_eq!(
        o.decision.confusion.fp + o.decision.confusion.tn,
        o.counts.ham as u64
    );
    // A trained model ranks far better than chance.
    let auc = o.flagged.roc_auc.unwrap();
    assert!(auc > 0.85, "flagged ROC-AUC {auc}");
    assert!(o.scam.roc_auc.unwrap() > 0.85);
    assert!(o.flagged.pr_auc.unwrap() > o.flagged.prevalence().unwrap());
    // Groups partition the rows.
    let sources: BTreeSet<&str> = test.iter().map(|e| e.source.as_str()).collect();
    let names: BTreeSet<&str> = report.by_source.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(sources, names);
    assert_eq!(
        report.by_source.iter().map(|g| g.n).sum::<usize>(),
        test.len()
    );
    let channels: BTreeSet<&str> = test.iter().map(|e| e.channel.as_str()).collect();
    let names: BTreeSet<&str> = report.by_channel.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(channels, names);
    assert_eq!(
        report.by_channel.iter().map(|g| g.n).sum::<usize>(),
        test.len()
    );
    // Categories cover the rows that have one.
    let with_cat = test.iter().filter(|e| e.category.is_some()).count();
    let all = report
        .by_category
        .iter()
        .find(|c| c.category == "(all)")
        .unwrap();
    assert_eq!(all.n, with_cat);
    let per: usize = report
        .by_category
        .iter()
        .filter(|c| c.category != "(all)")
        .map(|c| c.n)
        .sum();
    assert_eq!(per, with_cat);
    assert!(all.head_accuracy.unwrap() > 0.3, "{all:?}");
    // Curves and reliability.
    assert!(!report.curves.roc.is_empty() && report.curves.roc.len() <= MAX_CURVE_POINTS);
    assert!(!report.curves.pr.is_empty() && report.curves.pr.len() <= MAX_CURVE_POINTS);
    assert_eq!(report.reliability.len(), 10);
    let binned: u32 = report.reliability.iter().map(|b| b.count).sum();
    assert_eq!(binned as usize, test.len());
    // Expected calibration error of this small model (30 iterations, 2^16
    // buckets) on the held-out datasets/ rows: 0.093 measured.
    assert!(report.ece.unwrap() < 0.10, "ECE {:?}", report.ece);
    assert_no_nan(&report);
    let md = report.to_markdown();
    assert!(
        md.contains(&format!("Evaluated {} messages", test.len())),
        "{md}"
    );
    assert!(md.contains("| scamscan |"), "{md}");
}

#[test]
fn handwritten_messages_match_classify_and_name_categories() {
    let (classifier, _) = fixture();
    let examples = handwritten();
    let report = evaluate(classifier, &examples, &EvalOptions::default());
    assert_eq!(
        report.overall.confusion.counts,
        tally(classifier, &examples)
    );
    assert_eq!(report.by_source.len(), 1);
    assert_eq!(report.by_source[0].name, "handwritten");
    let channels: Vec<&str> = report.by_channel.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(channels, ["email", "sms"]);
    // The category head's top choice, obtained for every categorized row, must
    // equal what a classifier forced to call everything scam names.
    let forced = classifier.clone().with_options(ClassifyOptions {
        scam_threshold: Some(0.0),
        ..ClassifyOptions::default()
    });
    let cat_rows: Vec<&Example> = examples.iter().filter(|e| e.category.is_some()).collect();
    let right = cat_rows
        .iter()
        .filter(|e| forced.classify(&e.text).category == e.category)
        .count();
    let all = report.by_category.last().unwrap();
    assert_eq!(all.category, "(all)");
    assert_eq!(all.n, 5);
    assert_eq!(all.head_accuracy, Some(right as f64 / 5.0));
    // And the named category among rows predicted scam matches classify().
    let named_right = cat_rows
        .iter()
        .map(|e| classifier.classify(&e.text))
        .zip(&cat_rows)
        .filter(|(v, e)| v.label == Label::Scam && v.category == e.category)
        .count();
    assert_eq!(all.caught_and_named, Some(named_right as f64 / 5.0));
    // These are blatant: most scams are flagged, most ham is not.
    let d = &report.overall.decision;
    assert!(d.recall.unwrap() >= 0.5, "{d:?}");
    assert!(d.ham_fpr.unwrap() <= 0.5, "{d:?}");
    assert_no_nan(&report);
}

#[test]
fn the_classifiers_threshold_is_kept() {
    let (classifier, test) = fixture();
    let strict = classifier.clone().with_options(ClassifyOptions {
        scam_threshold: Some(0.999),
        ..ClassifyOptions::default()
    });
    let report = evaluate(
        &strict,
        test,
        &EvalOptions {
            fprs: vec![0.02],
            ..EvalOptions::default()
        },
    );
    assert_eq!(report.overall.confusion.counts, tally(&strict, test));
    let default = evaluate(
        classifier,
        test,
        &EvalOptions {
            fprs: vec![0.02],
            ..EvalOptions::default()
        },
    );
    let scam =
        |r: &EvalReport| -> u64 { r.overall.confusion.counts.iter().map(|row| row[2]).sum() };
    assert!(
        scam(&report) < scam(&default),
        "{} vs {}",
        scam(&report),
        scam(&default)
    );
    // Rankings do not depend on the threshold.
    assert_eq!(
        report.overall.flagged.roc_auc,
        default.overall.flagged.roc_auc
    );
    assert_eq!(report.fprs, [0.02]);
    assert_eq!(report.overall.flagged.recall_at_fpr.len(), 1);
    assert!(report.to_markdown().contains("R@2%"));
}

#[test]
fn empty_input_gives_an_empty_report() {
    let (classifier, _) = fixture();
    let report = evaluate(classifier, &[], &EvalOptions::default());
    assert_eq!(report.n, 0);
    assert!(report.by_source.is_empty() && report.by_category.is_empty());
    assert_eq!(report.overall.flagged.roc_auc, None);
    assert_eq!(report.ece, None);
    assert_no_nan(&report);
    assert!(report.to_markdown().contains('—'));
}
