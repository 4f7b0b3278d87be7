//! Properties of `Classifier::classify` on arbitrary text: it never panics,
//! the three probabilities lie in [0, 1] and sum to 1, the same input gives
//! the same verdict, and a batch gives what one call per message gives.

use proptest::prelude::*;
use scamscan::{Classifier, ClassifyOptions};
use scamscan_fuzzing::check_verdict;
use std::sync::OnceLock;

fn classifier() -> &'static Classifier {
    static C: OnceLock<Classifier> = OnceLock::new();
    C.get_or_init(Classifier::default)
}

/// A second instance, loaded separately: no state may be shared or carried.
fn other_classifier() -> &'static Classifier {
    static C: OnceLock<Classifier> = OnceLock::new();
    C.get_or_init(Classifier::default)
}

/// Text that looks like messages often enough to reach every feature family:
/// words, scam vocabulary, links, numbers, money, emoji, CJK and invisible
/// characters, mixed with arbitrary Unicode.
fn message() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z]{1,12}",
        Just("verify".to_string()),
        Just("bit.ly/x9Yz".to_string()),
        Just("https://secure-login.xyz/pay?id=1".to_string()),
        Just("+44 7700 900123".to_string()),
        Just("$500".to_string()),
        Just("£2.99".to_string()),
        Just("USDT".to_string()),
        Just("💰".to_string()),
        Just("恭喜".to_string()),
        Just("\u{200b}".to_string()),
        Just("ρaypal".to_string()),
        "[0-9]{1,8}",
        "[ \t\n.,!?:/@-]{1,3}",
        "\\PC{1,6}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.join(" "))
}

// Each case classifies with explanations (under a millisecond in the test
// build): these counts keep the whole file to a few seconds.
proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn probabilities_are_a_distribution(text in message()) {
        let v = classifier().classify(&text);
        check_verdict(&v, &text);
    }

    #[test]
    fn arbitrary_unicode_never_panics(text in any::<String>()) {
        let v = classifier().classify(&text);
        check_verdict(&v, &text);
    }

    #[test]
    fn same_input_same_verdict(text in message()) {
        let a = classifier().classify(&text);
        let b = other_classifier().classify(&text);
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a, classifier().classify(&text));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn batch_equals_single(texts in prop::collection::vec(message(), 0..24)) {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let batch = classifier().classify_batch(&refs);
        prop_assert_eq!(batch.len(), texts.len());
        for (t, v) in refs.iter().zip(&batch) {
            prop_assert_eq!(v, &classifier().classify(t));
        }
    }

    #[test]
    fn truncation_keeps_the_invariants(text in message(), max in 1usize..200) {
        let c = classifier().clone().with_options(ClassifyOptions { max_bytes: max, ..ClassifyOptions::default() });
        let v = c.classify(&text);
        check_verdict(&v, &text);
        prop_assert_eq!(v.truncated, text.len() > max);
        for r in &v.reasons {
            for &(_, e) in &r.spans {
                prop_assert!(e <= max, "a reason beyond the scored part: {:?}", r);
            }
        }
    }
}
