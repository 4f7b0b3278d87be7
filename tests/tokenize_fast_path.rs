//! The word-splitting fast path gives exactly the tokens of the `tokenizers`
//! pipeline that defines tokenization (`tokenizer.json`), on any input:
//! random Unicode, adversarial mixes of the characters where NFKC,
//! lower-casing and the split pattern are delicate, and normalizer output.

use proptest::prelude::*;
use scamscan::normalize::Normalizer;
use scamscan::tokenize::{Token, Tokenizer};
use std::sync::OnceLock;

fn tokenizers() -> &'static [Tokenizer; 2] {
    static T: OnceLock<[Tokenizer; 2]> = OnceLock::new();
    T.get_or_init(|| {
        let built = Tokenizer::new().unwrap();
        // The model file path: the shipped tokenizer.json, as `--model` loads it.
        let shipped = Tokenizer::from_json(
            &std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/models/default/tokenizer.json"
            ))
            .unwrap(),
        )
        .unwrap();
        assert!(built.has_fast_path() && shipped.has_fast_path());
        [built, shipped]
    })
}

fn check(text: &str) -> Result<(), TestCaseError> {
    for t in tokenizers() {
        let fast: Vec<Token> = t.tokenize(text).unwrap().words;
        let mut pipeline = Vec::new();
        t.pipeline_words_into(text, &mut pipeline).unwrap();
        prop_assert_eq!(&fast, &pipeline, "text {:?}", text);
    }
    Ok(())
}

/// Characters where the pipeline's steps are delicate: case mappings that
/// change length (`İ`, `ẞ`) or context (`Σ`), title case, compatibility
/// forms NFKC rewrites (full width, ligatures, math letters, circled,
/// half-width kana, superscripts), combining marks that compose (Latin,
/// Hangul jamo, Indic), scripts written without spaces, punctuation and
/// symbols inside and outside ASCII, emoji sequences, every kind of space
/// and control, invisible format characters, and the replacement character.
const ADVERSARIAL: &[&str] = &[
    "a",
    "Z",
    "0",
    "9",
    "_",
    "-",
    ".",
    "/",
    "@",
    "$",
    "£",
    "€",
    "%",
    "'",
    "\"",
    "!",
    "?",
    " ",
    "\t",
    "\n",
    "\r",
    "\u{0}",
    "\u{7f}",
    "\u{85}",
    "\u{a0}",
    "\u{2028}",
    "\u{3000}",
    "\u{200b}",
    "\u{200d}",
    "\u{feff}",
    "\u{fe0f}",
    "\u{ad}",
    "İ",
    "ẞ",
    "ß",
    "Σ",
    "σ",
    "ς",
    "ǅ",
    "ǆ",
    "Ω",
    "K",
    "Å",
    "ﬁ",
    "ﬀ",
    "Ａ",
    "ｚ",
    "１",
    "＄",
    "！",
    "𝐅",
    "𝟗",
    "Ⓐ",
    "①",
    "²",
    "½",
    "ｶ",
    "ﾞ",
    "ｰ",
    "\u{301}",
    "\u{327}",
    "\u{308}",
    "e\u{301}",
    "\u{1100}",
    "\u{1161}",
    "\u{11a8}",
    "한",
    "\u{93c}",
    "क",
    "\u{b3e}",
    "ଏ",
    "\u{bbe}",
    "\u{e31}",
    "\u{e48}",
    "ก",
    "ສ",
    "ក",
    "က",
    "中",
    "国",
    "の",
    "カ",
    "ー",
    "〆",
    "々",
    "𠀀",
    "ا",
    "\u{64b}",
    "ש",
    "\u{5b4}",
    "Ж",
    "ж",
    "Ѐ",
    "Ά",
    "ά",
    "ΐ",
    "ῼ",
    "™",
    "℃",
    "№",
    "…",
    "—",
    "«",
    "»",
    "¡",
    "¿",
    "·",
    "•",
    "💰",
    "👋🏽",
    "👨‍👩‍👧",
    "🇬🇧",
    "❤\u{fe0f}",
    "\u{fffd}",
    "\u{e000}",
    "\u{10ffff}",
    "\u{1f16a}",
    "\u{2126}",
    "\u{212b}",
    "\u{0345}",
    "\u{1e9e}",
    "\u{0130}",
    "\u{03d0}",
    "\u{1f88}",
    "\u{fb00}",
    "\u{3392}",
];

fn adversarial() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ADVERSARIAL), 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn same_tokens_on_random_unicode(text in any::<String>()) {
        check(&text)?;
    }

    #[test]
    fn same_tokens_on_adversarial_mixes(text in adversarial()) {
        check(&text)?;
    }

    #[test]
    fn same_tokens_on_normalizer_output(text in prop_oneof![adversarial(), any::<String>()]) {
        // What the classifier actually tokenizes.
        check(Normalizer::default().normalize(&text).text())?;
    }

    #[test]
    fn same_tokens_on_ascii_text(text in "[ -~\t\n]{0,120}") {
        check(&text)?;
    }

    #[test]
    fn same_tokens_on_lower_case_ascii_with_controls(text in r"[\x00-\x40\x5b-\x7f]{0,120}") {
        // No upper case: what the byte-level ASCII split sees.
        check(&text)?;
    }
}

#[test]
fn same_tokens_on_our_dataset_messages() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets");
    let mut n = 0;
    for dir in ["legit", "scam"] {
        for f in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
            for line in std::fs::read_to_string(f.unwrap().path()).unwrap().lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let text = v["text"].as_str().unwrap();
                check(text).unwrap();
                check(Normalizer::default().normalize(text).text()).unwrap();
                n += 1;
            }
        }
    }
    assert!(n > 500, "{n} messages");
}
