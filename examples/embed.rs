//! Embedding scamscan in another program: a chat bot that screens incoming
//! messages. Run with `cargo run --release --example embed`.

use scamscan::{Classifier, Label};

fn main() {
    // The built-in model is compiled into the library: no files to ship.
    let classifier = Classifier::default();

    let inbox = [
        "Hey, are we still on for badminton Thursday?",
        "Dear customer, your account has been suspended. Verify within 24h: http://secure-hsbc-verify.top/login",
        "Hi! I'm Lisa from the recruitment team. Earn $200-$500 daily liking videos, no experience. Add me on WhatsApp +1 415 555 0199",
    ];
    for message in inbox {
        let v = classifier.classify(message);
        match v.label {
            Label::Scam => println!(
                "BLOCK  {:.2} {:<12} {}",
                v.score,
                v.category.map_or("-", |c| c.as_str()),
                v.reasons
                    .iter()
                    .take(3)
                    .map(|r| r.feature.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Label::Spam => println!("FOLDER {:.2} spam", v.score),
            Label::Ham => println!("DELIVER {:.2}", v.score),
            // Too little of the message is familiar (another language, say)
            // for a verdict: a person should look.
            Label::Unsure => println!("REVIEW {:.2} coverage {:.2}", v.score, v.coverage),
        }
    }
}
