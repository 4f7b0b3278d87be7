//! How much of a message the model recognises.
//!
//! A linear model scores every message, including one in a language it never
//! saw: there, the few words it happens to know and the hash collisions of the
//! rest decide the verdict, and a legitimate bank SMS in Swahili can come out
//! as "scam" for no reason a reader would accept. The [`Vocabulary`] is a
//! bitmap of the words seen (at least twice) in the *legitimate* training
//! messages; the **coverage** of a message is the share of its words found
//! there. Legitimate messages only, because a language the training data
//! knows only from spam is one the model has never seen a legitimate message
//! in: it would flag them all. When coverage is low the
//! classifier answers [`Label::Unsure`](crate::Label::Unsure) instead of
//! guessing (see [`Calibration::decide`](crate::calibrate::Calibration::decide)).
//!
//! A bitmap of hashes rather than a word list keeps the model small and the
//! lookup to one hash and one bit test per word; the price is that an unseen
//! word is taken for a known one with probability equal to the fill rate
//! (reported by [`Vocabulary::fill`]).
//!
//! # Example
//!
//! ```
//! use scamscan::vocabulary::VocabularyBuilder;
//! use scamscan::{normalize::Normalizer, tokenize::Tokenizer};
//! let (n, t) = (Normalizer::default(), Tokenizer::new()?);
//! let mut b = VocabularyBuilder::new(16);
//! for text in ["your parcel is waiting", "your parcel was delivered", "is it waiting"] {
//!     let norm = n.normalize(text);
//!     b.add(&norm, &t.tokenize(norm.text())?);
//! }
//! let vocab = b.build(2);
//! let norm = n.normalize("your parcel ada di gudang kami");
//! let c = vocab.coverage(&norm, &t.tokenize(norm.text())?);
//! assert_eq!((c.known, c.words), (2, 5));
//! # Ok::<(), scamscan::Error>(())
//! ```

use crate::normalize::Normalized;
use crate::tokenize::{TokenKind, Tokens};
use xxhash_rust::xxh3::xxh3_64_with_seed;

const SEED: u64 = 0x766f_6361_625f_7631;
/// Longer words are not counted (see `for_each_word`).
const MAX_COUNTED_CHARS: usize = 20;

/// Words known and counted in one message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Coverage {
    /// Words found in the vocabulary.
    pub known: u32,
    /// Words counted: tokens of letters only, three or more of them in Latin
    /// script (any number in other scripts), at most 20. Numbers, words
    /// with digits, one- and two-letter Latin words and very long tokens say
    /// little about the language.
    pub words: u32,
}

impl Coverage {
    /// `known / words`, or 1 for a message without words (nothing unfamiliar).
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::vocabulary::Coverage;
    /// assert_eq!(Coverage { known: 1, words: 4 }.ratio(), 0.25);
    /// assert_eq!(Coverage::default().ratio(), 1.0);
    /// ```
    pub fn ratio(&self) -> f32 {
        if self.words == 0 {
            1.0
        } else {
            self.known as f32 / self.words as f32
        }
    }
}

/// The words a model saw in training, as a bitmap of hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vocabulary {
    bits_log2: u8,
    bits: Vec<u64>,
}

impl Vocabulary {
    /// A vocabulary from its bitmap; `bits.len()` must be `2^bits_log2 / 64`.
    pub fn from_bits(bits_log2: u8, bits: Vec<u64>) -> Option<Self> {
        ((10..=28).contains(&bits_log2) && bits.len() == (1usize << bits_log2) / 64)
            .then_some(Vocabulary { bits_log2, bits })
    }

    /// log2 of the number of bits.
    pub fn bits_log2(&self) -> u8 {
        self.bits_log2
    }

    /// The bitmap.
    pub fn bits(&self) -> &[u64] {
        &self.bits
    }

    /// The share of bits set: the chance that an unseen word looks known.
    pub fn fill(&self) -> f64 {
        let set: u64 = self.bits.iter().map(|w| w.count_ones() as u64).sum();
        set as f64 / (self.bits.len() as f64 * 64.0)
    }

    /// Counts the known words of a tokenized message.
    // Never inlined, so that `scripts/profile.sh` can name it (see
    // `Featurizer::vectorize_into_with`); one call per message.
    #[inline(never)]
    pub fn coverage(&self, norm: &Normalized, tokens: &Tokens) -> Coverage {
        let mut c = Coverage::default();
        let mask = (1u64 << self.bits_log2) - 1;
        for_each_word(norm, tokens, |h| {
            let i = (h & mask) as usize;
            c.words += 1;
            c.known += (self.bits[i / 64] >> (i % 64) & 1) as u32;
        });
        c
    }
}

/// Counts words over training messages, then keeps those seen often enough.
#[derive(Debug, Clone)]
pub struct VocabularyBuilder {
    bits_log2: u8,
    counts: Vec<u8>,
}

impl VocabularyBuilder {
    /// A builder for a bitmap of `2^bits_log2` bits (clamped to 10..=28).
    pub fn new(bits_log2: u8) -> Self {
        let bits_log2 = bits_log2.clamp(10, 28);
        VocabularyBuilder {
            bits_log2,
            counts: vec![0; 1 << bits_log2],
        }
    }

    /// Counts the words of one message (each word once per message).
    pub fn add(&mut self, norm: &Normalized, tokens: &Tokens) {
        let ids = Self::word_ids(self.bits_log2, norm, tokens);
        self.add_ids(&ids);
    }

    /// The distinct bit indices of a message's words in a bitmap of
    /// `2^bits_log2` bits: the part of [`VocabularyBuilder::add`] that can run
    /// in parallel, one message per thread.
    pub fn word_ids(bits_log2: u8, norm: &Normalized, tokens: &Tokens) -> Vec<u32> {
        let mask = (1u64 << bits_log2.clamp(10, 28)) - 1;
        let mut seen: Vec<u32> = Vec::new();
        for_each_word(norm, tokens, |h| seen.push((h & mask) as u32));
        seen.sort_unstable();
        seen.dedup();
        seen
    }

    /// Counts one message's [`VocabularyBuilder::word_ids`] (made with this
    /// builder's size; ids out of range are ignored).
    pub fn add_ids(&mut self, ids: &[u32]) {
        for &i in ids {
            if let Some(c) = self.counts.get_mut(i as usize) {
                *c = c.saturating_add(1);
            }
        }
    }

    /// The vocabulary of words seen in at least `min_count` messages.
    pub fn build(&self, min_count: u8) -> Vocabulary {
        let mut bits = vec![0u64; self.counts.len() / 64];
        for (i, &c) in self.counts.iter().enumerate() {
            if c >= min_count.max(1) {
                bits[i / 64] |= 1 << (i % 64);
            }
        }
        Vocabulary {
            bits_log2: self.bits_log2,
            bits,
        }
    }
}

/// Whether a word token counts: letters only, at most
/// [`MAX_COUNTED_CHARS`] of them, and at least 3 in ASCII.
fn counted_word(piece: &str) -> bool {
    let letters = piece.chars().filter(|c| c.is_alphabetic()).count();
    let chars = piece.chars().count();
    letters == chars && chars <= MAX_COUNTED_CHARS && (letters >= 3 || !piece.is_ascii())
}

/// Calls `f` with the hash of every counted word of a message.
fn for_each_word(norm: &Normalized, tokens: &Tokens, mut f: impl FnMut(u64)) {
    let text = norm.text();
    let mut shaped = String::new();
    for tok in &tokens.words {
        let piece = &text[tok.start..tok.end];
        // Words with digits (codes, amounts, leetspeak the featurizer did
        // not read) and very long words (letters spaced apart and joined
        // back, URLs without a scheme) say little about the language; they
        // are not counted, so disguising a message cannot make it unfamiliar.
        let counted = match tok.kind {
            TokenKind::Glyph => true,
            TokenKind::Word if piece.is_ascii() => {
                // The test below, for ASCII: letters only, 3 to 20 of them.
                if (3..=MAX_COUNTED_CHARS).contains(&piece.len())
                    && piece.bytes().all(|b| b.is_ascii_alphabetic())
                {
                    // Letters only: shaping would leave the word as it is.
                    f(xxh3_64_with_seed(piece.as_bytes(), SEED));
                }
                continue;
            }
            TokenKind::Word => counted_word(piece),
            _ => false,
        };
        if !counted {
            continue;
        }
        shaped.clear();
        crate::featurize::shape_word(piece, &mut shaped);
        f(xxh3_64_with_seed(shaped.as_bytes(), SEED));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The rule of [`for_each_word`] without its ASCII shortcut.
    fn reference(norm: &Normalized, tokens: &Tokens) -> Vec<u64> {
        let text = norm.text();
        let mut out = Vec::new();
        for tok in &tokens.words {
            let piece = &text[tok.start..tok.end];
            let counted = match tok.kind {
                TokenKind::Glyph => true,
                TokenKind::Word => counted_word(piece),
                _ => false,
            };
            if counted {
                let mut shaped = String::new();
                crate::featurize::shape_word(piece, &mut shaped);
                out.push(xxh3_64_with_seed(shaped.as_bytes(), SEED));
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn ascii_shortcut_counts_the_same_words(text in r"([a-z]{1,24}|[a-z0-9]{1,8}|[ .,!]|é|ж|中){0,30}") {
            static T: std::sync::OnceLock<crate::tokenize::Tokenizer> = std::sync::OnceLock::new();
            let t = T.get_or_init(|| crate::tokenize::Tokenizer::new().unwrap());
            let norm = crate::normalize::Normalizer::default().normalize(&text);
            let tokens = t.tokenize(norm.text()).unwrap();
            let mut got = Vec::new();
            for_each_word(&norm, &tokens, |h| got.push(h));
            prop_assert_eq!(got, reference(&norm, &tokens));
        }
    }
}
