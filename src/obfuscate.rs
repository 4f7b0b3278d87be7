//! Filter-evasion perturbations, to measure how much recall the classifier
//! loses when scam senders disguise their text.
//!
//! Each [`Perturbation`] rewrites a message the way scam senders do to get
//! past keyword filters: look-alike letters, invisible characters, leetspeak,
//! letters spaced apart, defanged links, random case, emoji padding. A reader
//! still understands the message; a filter that matches words does not.
//!
//! The perturbations are deterministic: the same text, kind and seed always
//! give the same output, so robustness figures are reproducible. They are
//! used by `scamscan eval --perturb`, `scamscan perturb` (to feed the same
//! perturbed text to other systems) and the obfuscation tests.
//!
//! # Example
//!
//! ```
//! use scamscan::obfuscate::Perturbation;
//! let text = "Your parcel is on hold. Pay the fee at https://parcel-fee.top/pay";
//! let spaced = Perturbation::SpacedLetters.apply(text, 7);
//! assert_ne!(spaced, text);
//! assert_eq!(spaced, Perturbation::SpacedLetters.apply(text, 7)); // deterministic
//! assert!(Perturbation::DefangedUrls.apply(text, 7).contains("hxxps"));
//! ```

use regex::Regex;
use std::fmt;
use std::sync::OnceLock;

/// One way of disguising a message.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Perturbation {
    /// Half of the letters that have one become a Cyrillic, Greek or Armenian
    /// look-alike (`раураl`).
    Homoglyph,
    /// An invisible zero-width character after half of the letters.
    ZeroWidth,
    /// Most letters with a common stand-in become it (`fr33 g1ft`, `p@ss`).
    Leetspeak,
    /// Half of the words of three or more letters are spelled with spaces
    /// between their letters (`c l a i m`).
    SpacedLetters,
    /// Links are defanged (`hxxps://site[.]top`) or have spaces around their
    /// dots (`site . top`), alternately.
    DefangedUrls,
    /// Each letter is upper- or lower-case at random.
    RandomCase,
    /// Emoji are inserted between a third of the words and at both ends.
    EmojiPadding,
}

impl Perturbation {
    /// Every perturbation, in a fixed order.
    pub const ALL: [Perturbation; 7] = [
        Perturbation::Homoglyph,
        Perturbation::ZeroWidth,
        Perturbation::Leetspeak,
        Perturbation::SpacedLetters,
        Perturbation::DefangedUrls,
        Perturbation::RandomCase,
        Perturbation::EmojiPadding,
    ];

    /// The name used on the command line and in reports.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(scamscan::obfuscate::Perturbation::ZeroWidth.as_str(), "zero_width");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Perturbation::Homoglyph => "homoglyph",
            Perturbation::ZeroWidth => "zero_width",
            Perturbation::Leetspeak => "leetspeak",
            Perturbation::SpacedLetters => "spaced_letters",
            Perturbation::DefangedUrls => "defanged_urls",
            Perturbation::RandomCase => "random_case",
            Perturbation::EmojiPadding => "emoji_padding",
        }
    }

    /// Parses [`Perturbation::as_str`]'s names.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::obfuscate::Perturbation;
    /// assert_eq!(Perturbation::parse("leetspeak"), Some(Perturbation::Leetspeak));
    /// assert_eq!(Perturbation::parse("rot13"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Perturbation> {
        Perturbation::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Rewrites `text`; the output depends only on the text, the kind and `seed`.
    pub fn apply(self, text: &str, seed: u64) -> String {
        let mut rng = fastrand::Rng::with_seed(
            seed ^ xxhash_rust::xxh3::xxh3_64(text.as_bytes())
                ^ (self as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        match self {
            Perturbation::Homoglyph => map_letters(text, |c| {
                homoglyph(c).filter(|_| rng.bool()).map(String::from)
            }),
            Perturbation::ZeroWidth => map_letters(text, |c| {
                const ZW: [char; 5] = ['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}'];
                rng.bool()
                    .then(|| format!("{c}{}", ZW[rng.usize(..ZW.len())]))
            }),
            Perturbation::Leetspeak => map_letters(text, |c| {
                let options: &[char] = match c.to_ascii_lowercase() {
                    'a' => &['4', '@'],
                    'e' => &['3'],
                    'i' => &['1', '!'],
                    'o' => &['0'],
                    's' => &['5', '$'],
                    't' => &['7'],
                    'l' => &['1', '|'],
                    'b' => &['8'],
                    'g' => &['9'],
                    _ => &[],
                };
                (!options.is_empty() && rng.f32() < 0.6)
                    .then(|| options[rng.usize(..options.len())].to_string())
            }),
            Perturbation::SpacedLetters => map_words(text, |w| {
                (w.chars().count() >= 3 && w.chars().all(char::is_alphabetic) && rng.bool()).then(
                    || {
                        let mut s = String::with_capacity(w.len() * 2);
                        for (i, c) in w.chars().enumerate() {
                            if i > 0 {
                                s.push(' ');
                            }
                            s.push(c);
                        }
                        s
                    },
                )
            }),
            Perturbation::DefangedUrls => {
                let mut spaced = rng.bool();
                url_pattern()
                    .replace_all(text, |c: &regex::Captures| {
                        spaced = !spaced;
                        defang(&c[0], spaced)
                    })
                    .into_owned()
            }
            Perturbation::RandomCase => map_letters(text, |c| {
                Some(if rng.bool() {
                    c.to_uppercase().collect()
                } else {
                    c.to_lowercase().collect()
                })
            }),
            Perturbation::EmojiPadding => {
                const EMOJI: [&str; 12] = [
                    "🎉", "🔥", "💰", "✅", "👉", "🌟", "😊", "💯", "🚀", "❤️", "📦", "🙏",
                ];
                let pick = |rng: &mut fastrand::Rng| -> String {
                    (0..rng.usize(1..=3))
                        .map(|_| EMOJI[rng.usize(..EMOJI.len())])
                        .collect()
                };
                let mut out = pick(&mut rng);
                out.push(' ');
                for (i, piece) in text.split(' ').enumerate() {
                    if i > 0 {
                        out.push(' ');
                        if rng.f32() < 0.33 {
                            out.push_str(&pick(&mut rng));
                            out.push(' ');
                        }
                    }
                    out.push_str(piece);
                }
                out.push(' ');
                out.push_str(&pick(&mut rng));
                out
            }
        }
    }
}

impl fmt::Display for Perturbation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Links with or without a scheme: the spans [`Perturbation::DefangedUrls`] rewrites.
fn url_pattern() -> &'static Regex {
    static P: OnceLock<Regex> = OnceLock::new();
    P.get_or_init(|| {
        Regex::new(r"(?i)\bhttps?://[^\s<>]+|\bwww\.[^\s<>]+|\b(?:[a-z0-9-]+\.)+(?:com|net|org|info|xyz|top|ly|co|io|me|cc|biz|site|online|shop|vip|live|link|click|app|gov|uk|us|in|id|my|ph|ng)\b(?:/[^\s<>]*)?")
            .expect("url pattern")
    })
}

fn defang(url: &str, spaced: bool) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => (&url[..i + 3], &url[i + 3..]),
        None => ("", url),
    };
    let host_end = rest.find('/').unwrap_or(rest.len());
    let (host, path) = rest.split_at(host_end);
    let scheme = scheme.replacen("ttp", "xxp", 1).replacen("TTP", "XXP", 1);
    let host = if spaced {
        host.replace('.', " . ")
    } else {
        host.replace('.', "[.]")
    };
    format!("{scheme}{host}{path}")
}

/// Rewrites letters inside words, leaving links, e-mail addresses and
/// everything that is not a letter alone (a disguised link would no longer
/// be one; that is [`Perturbation::DefangedUrls`]' job).
fn map_letters(text: &str, mut f: impl FnMut(char) -> Option<String>) -> String {
    let protected: Vec<(usize, usize)> = url_pattern()
        .find_iter(text)
        .map(|m| (m.start(), m.end()))
        .chain(
            email_pattern()
                .find_iter(text)
                .map(|m| (m.start(), m.end())),
        )
        .collect();
    let mut out = String::with_capacity(text.len() * 2);
    for (i, c) in text.char_indices() {
        let inside = protected.iter().any(|&(s, e)| (s..e).contains(&i));
        match (!inside && c.is_alphabetic()).then(|| f(c)).flatten() {
            Some(r) => out.push_str(&r),
            None => out.push(c),
        }
    }
    out
}

fn email_pattern() -> &'static Regex {
    static P: OnceLock<Regex> = OnceLock::new();
    P.get_or_init(|| Regex::new(r"\S+@\S+\.\S+").expect("email pattern"))
}

/// Rewrites whole space-separated words that are not links.
fn map_words(text: &str, mut f: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for (i, piece) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        // Keep surrounding punctuation in place: `"claim,"` → `"c l a i m,"`.
        let core_start = piece.find(char::is_alphanumeric).unwrap_or(piece.len());
        let core_end = piece.rfind(char::is_alphanumeric).map_or(core_start, |i| {
            i + piece[i..].chars().next().map_or(0, char::len_utf8)
        });
        let core = &piece[core_start..core_end.max(core_start)];
        match f(core) {
            Some(r) if !core.is_empty() => {
                out.push_str(&piece[..core_start]);
                out.push_str(&r);
                out.push_str(&piece[core_end.max(core_start)..]);
            }
            _ => out.push_str(piece),
        }
    }
    out
}

/// A look-alike from another script for a Latin letter, when there is a
/// convincing one.
fn homoglyph(c: char) -> Option<char> {
    Some(match c {
        'a' => 'а',
        'c' => 'с',
        'd' => 'ԁ',
        'e' => 'е',
        'g' => 'ɡ',
        'h' => 'һ',
        'i' => 'і',
        'j' => 'ј',
        'k' => 'κ',
        'l' => 'ӏ',
        'n' => 'ո',
        'o' => 'о',
        'p' => 'р',
        'q' => 'ԛ',
        's' => 'ѕ',
        'u' => 'υ',
        'v' => 'ν',
        'w' => 'ԝ',
        'x' => 'х',
        'y' => 'у',
        'A' => 'А',
        'B' => 'В',
        'C' => 'С',
        'E' => 'Е',
        'H' => 'Н',
        'I' => 'І',
        'J' => 'Ј',
        'K' => 'К',
        'M' => 'М',
        'N' => 'Ν',
        'O' => 'О',
        'P' => 'Р',
        'S' => 'Ѕ',
        'T' => 'Т',
        'X' => 'Х',
        'Y' => 'Υ',
        'Z' => 'Ζ',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::Normalizer;

    const TEXT: &str = "URGENT: your account is locked. Verify at https://secure-bank.top/login or call 0800 123 456 to claim £500.";

    #[test]
    fn every_perturbation_changes_text_deterministically() {
        for p in Perturbation::ALL {
            let a = p.apply(TEXT, 1);
            assert_ne!(a, TEXT, "{p}");
            assert_eq!(a, p.apply(TEXT, 1), "{p}");
            assert_eq!(Perturbation::parse(p.as_str()), Some(p));
        }
    }

    #[test]
    fn most_perturbations_normalize_back_to_the_clean_text() {
        let n = Normalizer::default();
        let clean = n.normalize(TEXT).text().to_string();
        for p in [
            Perturbation::Homoglyph,
            Perturbation::ZeroWidth,
            Perturbation::RandomCase,
            Perturbation::DefangedUrls,
        ] {
            for seed in 0..20 {
                let text = p.apply(TEXT, seed);
                assert_eq!(n.normalize(&text).text(), clean, "{p} seed {seed}: {text}");
            }
        }
    }

    #[test]
    fn links_and_numbers_survive_letter_perturbations() {
        for p in [
            Perturbation::Leetspeak,
            Perturbation::Homoglyph,
            Perturbation::ZeroWidth,
        ] {
            let t = p.apply(TEXT, 3);
            assert!(t.contains("https://secure-bank.top/login"), "{p}: {t}");
            assert!(t.contains("0800 123 456"), "{p}: {t}");
        }
    }
}
