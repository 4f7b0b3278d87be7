//! The entity patterns, each compiled on first use, in two variants: with
//! Unicode and with ASCII word boundaries.

use super::lexicon::{CUES, MESSENGER, TLDS};
use crate::regexes::{Lazy, Pattern};
use regex_automata::meta::Regex as MetaRegex;
use std::sync::OnceLock;

pub(super) struct Patterns {
    /// Compiled with ASCII word boundaries, for text where they agree with Unicode ones.
    pub(super) ascii: bool,
    /// Links, with domain labels of any length: see [`Patterns::url_strict`].
    pub(super) url: Lazy<Pattern>,
    /// Links, with domain labels of at most 63 bytes (DNS's limit). The same
    /// matches as [`Patterns::url`] in a text without a run of more than
    /// 63 label bytes ([`super::url::has_long_label`]): the bounded
    /// repeat makes a lazy DFA with a state per length, built anew for each
    /// new domain seen, which made this the costliest entity pattern.
    pub(super) url_strict: Lazy<Pattern>,
    pub(super) email: Lazy<Pattern>,
    pub(super) handle: Lazy<Pattern>,
    pub(super) phone: Lazy<Pattern>,
    pub(super) money: Lazy<Pattern>,
    pub(super) wallet: Lazy<Pattern>,
    pub(super) messenger: Lazy<MetaRegex>,
    pub(super) percent: Lazy<Pattern>,
    pub(super) number: Lazy<Pattern>,
    pub(super) code_word: Lazy<Pattern>,
    pub(super) cues: Vec<(&'static str, Lazy<MetaRegex>)>,
}

/// The entity patterns, compiled once per process with Unicode and with
/// ASCII word boundaries (see [`crate::regexes`]).
///
/// Each pattern of each variant is compiled when a message first needs it
/// (see [`crate::regexes::Lazy`]): a process that classifies one message compiles a few.
pub(super) fn patterns(ascii_boundaries: bool) -> &'static Patterns {
    static UNICODE: OnceLock<Patterns> = OnceLock::new();
    static ASCII: OnceLock<Patterns> = OnceLock::new();
    let p = if ascii_boundaries { &ASCII } else { &UNICODE };
    p.get_or_init(|| Patterns::compile(ascii_boundaries))
}

impl Patterns {
    /// The patterns to search `text` with: the ASCII-boundary variant when
    /// it gives exactly the Unicode variant's matches.
    pub(super) fn for_text(text: &str) -> &'static Patterns {
        patterns(crate::regexes::ascii_boundaries_agree(text))
    }

    fn compile(ascii_boundaries: bool) -> Patterns {
        use crate::regexes::{compile, compile_meta, lazy};
        let re = |p: &str, what| lazy(compile, p.to_string(), ascii_boundaries, what);
        // The patterns searched at the candidates of the literal gate.
        let meta = |p: &str, what| lazy(compile_meta, p.to_string(), ascii_boundaries, what);
        let dot = r"(?:\.|\[\.\]|\(\.\)|\{\.\})";
        let url = |label: &str| {
            format!(
                r"(?:(?:https?|hxxps?|h\*\*ps?|ftp)(?::|\[:\])//[^\s<>\x22']+|www{dot}[^\s<>\x22']+|\b(?:[a-z0-9](?:[a-z0-9-]{label}[a-z0-9])?{dot})+(?:{TLDS})\b(?:/[^\s<>\x22']*)?)"
            )
        };
        Patterns {
            ascii: ascii_boundaries,
            url: re(&url("*"), "url"),
            url_strict: re(&url("{0,61}"), "url"),
            email: re(r"[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)+", "email"),
            handle: re(r"(?:^|[\s(:,])(@[a-z0-9_][a-z0-9_.]{2,29})", "handle"),
            phone: re(r"(?:\+|\b00)?\(?\d[\d\s().\-]{6,20}\d\b", "phone"),
            money: re(
                concat!(
                    r"(?:[$£€₹¥₱₦₩₫฿₺₽]|\b(?:usd|usdt|usdc|eur|gbp|inr|rs\.?|rp\.?|idr|rm|myr|php|ngn|aud|cad|sgd|btc|eth|vnd|thb|cny|rmb|hkd|kes|zar|brl|r\$)\s?)\s?\d[\d,.]*(?:\s?(?:k|m|mn|million|juta|jt|ribu|rb|lakh|lakhs|crore|bn|billion)\b)?",
                    r"|\b\d[\d,.]*\s?(?:usd|usdt|usdc|dollars?|euros?|pounds?|quid|rupees?|naira|rupiah|ringgit|pesos?|btc|eth|bitcoins?|juta|jt|ribu|rb|lakhs?|crores?|yuan|baht|dong|reais|k)\b",
                    r"|\d[\d,.]*\s?(?:元|万|块)"
                ),
                "money",
            ),
            wallet: re(
                r"\b(?:bc1[a-z0-9]{25,60}|0x[a-f0-9]{40}|[13][a-z0-9]{25,34}|t[a-z0-9]{33})\b",
                "wallet",
            ),
            messenger: meta(MESSENGER, "messenger"),
            percent: re(r"\d+(?:[.,]\d+)?\s?%", "percent"),
            number: re(r"\b\d{4,8}\b", "number"),
            code_word: re(
                r"code|otp|\bpin\b|passcode|verification|kode|codigo|código|\bma\b|验证码|รหัส",
                "code word",
            ),
            cues: CUES
                .iter()
                .map(|(name, p)| (*name, meta(p, "cue")))
                .collect(),
        }
    }
}

#[cfg(test)]
impl Patterns {
    /// Every [`Pattern`] (the meta regexes apart).
    fn searched(&self) -> [&Lazy<Pattern>; 10] {
        [
            &self.url,
            &self.url_strict,
            &self.email,
            &self.handle,
            &self.phone,
            &self.money,
            &self.wallet,
            &self.percent,
            &self.number,
            &self.code_word,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles_in_both_variants() {
        // Patterns compile when a message first needs one, so a broken one
        // would otherwise surface only on the message that reaches it.
        for ascii in [false, true] {
            let p = patterns(ascii);
            assert_eq!(p.ascii, ascii);
            for re in p.searched() {
                // The pattern and, compiled on first search, the regex.
                std::sync::LazyLock::force(re).regex();
            }
            std::sync::LazyLock::force(&p.messenger);
            for (_, re) in &p.cues {
                std::sync::LazyLock::force(re);
            }
        }
    }

    #[test]
    fn the_loose_prefilter_never_changes_a_match() {
        use proptest::prelude::*;
        // Pieces that make every pattern match, fail, or stop at a word
        // boundary next to a non-ASCII word character (the texts the
        // Unicode variant and its loose prefilter are for).
        let pieces = [
            "恭喜",
            "ж",
            "é",
            "٣",
            "ไทย",
            "🎉",
            " ",
            ".",
            "/",
            "@",
            "%",
            "$",
            "฿",
            "rm",
            "usd",
            "500",
            "12345678",
            "+66",
            "00",
            "example",
            ".com",
            "bit.ly/x",
            "https://a.b/c",
            "www.",
            "0x",
            "a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0",
            "bc1",
            "qwertyuiopasdfghjklzxcvbnm",
            "otp",
            "pin",
            "code",
            "juta",
            "k",
            "-",
            "(",
            ")",
        ];
        let p = patterns(false);
        let all = p.searched();
        proptest!(ProptestConfig::with_cases(2000), |(idx in proptest::collection::vec(0..pieces.len(), 0..14))| {
            let text: String = idx.iter().map(|&i| pieces[i]).collect();
            for re in all {
                let spans = |it: &mut dyn Iterator<Item = regex::Match>| it.map(|m| m.range()).collect::<Vec<_>>();
                prop_assert_eq!(
                    spans(&mut re.find_iter(&text)),
                    spans(&mut re.regex().find_iter(&text)),
                    "{:?}", text
                );
                prop_assert_eq!(re.is_match(&text), re.regex().is_match(&text));
            }
        });
    }
}
