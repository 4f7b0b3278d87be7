//! A message must not be called scam for being unfamiliar.
//!
//! `tests/fixtures/unfamiliar-languages.jsonl` holds legitimate bank and
//! telecom SMS we wrote in eight languages the built-in model was not trained
//! on (Dutch, Swahili, Turkish, Polish, Hungarian, Finnish, Czech, Romanian).
//! None may be flagged; the model should say it is unsure of most.

use scamscan::data::read_dir_or_file;
use scamscan::{Classifier, Label};

#[test]
fn legitimate_messages_in_unfamiliar_languages_are_never_flagged() {
    let examples =
        read_dir_or_file("tests/fixtures/unfamiliar-languages.jsonl".as_ref()).expect("fixture");
    assert_eq!(examples.len(), 16);
    let c = Classifier::default();
    let mut unsure = 0;
    for e in &examples {
        let v = c.classify(&e.text);
        assert!(
            !v.is_flagged(),
            "{} flagged {:?} (p(scam) {:.3}, coverage {:.2}): {}",
            e.id,
            v.label,
            v.score,
            v.coverage,
            e.text
        );
        unsure += (v.label == Label::Unsure) as usize;
    }
    assert!(unsure >= 12, "only {unsure} of 16 unsure");
}

#[test]
fn familiar_language_messages_are_not_unsure() {
    let c = Classifier::default();
    for text in [
        "Your card ending 4821 was charged $45.20 at Target. Reply HELP for help.",
        "Hey, are we still on for dinner tonight? I can pick you up at 7.",
        "URGENT: your bank account is suspended. Verify now at secure-bank-login.xyz/verify",
    ] {
        let v = c.classify(text);
        assert_ne!(v.label, Label::Unsure, "{text}: coverage {}", v.coverage);
        assert!(v.coverage > 0.6, "{text}: coverage {}", v.coverage);
    }
}
