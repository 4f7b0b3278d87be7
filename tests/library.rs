//! The library API on the built-in model: messages the project wrote,
//! explanations that add up, batch equal to single, no panic on odd input.

use scamscan::{Classifier, ClassifyOptions, Label};

#[test]
fn builtin_model_loads_and_separates_our_examples() {
    let c = Classifier::builtin().expect("the built-in model is embedded");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/messages");
    for (file, want_flagged) in [
        ("scam-parcel-smishing.txt", true),
        ("scam-task-job-offer.txt", true),
        ("scam-pig-butchering-opener.txt", true),
        ("scam-bank-otp-phishing.txt", true),
        ("legit-bank-otp.txt", false),
        ("legit-parcel-delivered.txt", false),
    ] {
        let text = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
        let v = c.classify(&text);
        assert_eq!(v.is_flagged(), want_flagged, "{file}: {v:?}");
        if want_flagged {
            assert_eq!(v.label, Label::Scam, "{file}");
            assert!(v.category.is_some(), "{file}");
        }
    }
}

#[test]
fn contributions_add_up_to_the_log_odds() {
    let c = Classifier::default().with_options(ClassifyOptions {
        reasons: 0,
        ..Default::default()
    });
    let text = "URGENT: your account is locked. Verify at paypa1-secure.top or call +44 20 7946 0958, fee £1.99";
    let v = c.classify(text);
    // Every reason, not only the strongest few.
    let reasons = Classifier::default().explain(text).reasons;
    let sum: f32 = reasons.iter().map(|r| r.contribution).sum();
    let cal = &c.model().calibration;
    let head = &c.model().head;
    let intercept =
        (head.intercept[2] - head.intercept[0]) / cal.temperature + cal.bias[2] - cal.bias[0];
    let log_odds = (v.probabilities.scam / v.probabilities.ham).ln();
    assert!(
        (sum + intercept - log_odds).abs() < 1e-2 * log_odds.abs().max(1.0),
        "sum {sum} + intercept {intercept} != log-odds {log_odds}"
    );
    // Spans point into the original text.
    for r in &reasons {
        for &(s, e) in &r.spans {
            assert!(
                s <= e && e <= text.len() && text.is_char_boundary(s) && text.is_char_boundary(e)
            );
        }
    }
    let url = reasons
        .iter()
        .find(|r| r.feature == "url:lookalike")
        .expect("a look-alike link reason");
    assert_eq!(url.text, "paypa1-secure.top");
}

#[test]
fn batch_equals_single_and_output_is_deterministic() {
    let c = Classifier::default();
    let texts = [
        "",
        "ok see u at 7",
        "Congratulations! You have won $1,000,000. Send your bank details to claim.",
        "Ваш код подтверждения: 4821. Никому его не сообщайте.",
        "您好，您的包裹因地址不详被退回，请点击链接更新地址",
        "สวัสดีค่ะ พรุ่งนี้ประชุมกี่โมง",
    ];
    let batch = c.classify_batch(&texts);
    for (t, b) in texts.iter().zip(&batch) {
        assert_eq!(&c.classify(t), b);
        let p = b.probabilities;
        assert!((p.ham + p.spam + p.scam - 1.0).abs() < 1e-5);
        assert_eq!(b.score, p.scam);
    }
}

#[test]
fn odd_input_never_panics() {
    let c = Classifier::default();
    let long = "a".repeat(200_000);
    let zalgo = "s\u{0336}\u{0335}c\u{0334}a\u{0337}m\u{0338}".repeat(500);
    for t in [
        "\u{0}\u{1}\u{7f}",
        "\u{202E}\u{200B}\u{FEFF}",
        "🀄️🃏🎴💰💰💰",
        &long,
        &zalgo,
        "http://",
        "@@@@ $$$$ %%%% 0x",
        "\u{10FFFF}\u{E0001}",
    ] {
        let v = c.classify(t);
        assert!(v.score.is_finite() && (0.0..=1.0).contains(&v.score));
    }
    assert!(c.classify(&long).truncated);
}
