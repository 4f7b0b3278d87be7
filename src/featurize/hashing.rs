//! How feature names become buckets: the two hashing schemes a model may
//! have been trained with.

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// How the featurizer hashes feature names into buckets. Stored in the
/// model, because a model reads its weights from the buckets it was
/// trained with.
///
/// # Example
///
/// ```
/// use scamscan::featurize::{FeaturizerConfig, Hashing};
/// assert_eq!(FeaturizerConfig::default().hashing, Hashing::Xxh3);
/// // A model header without the field is an older model: xxh3.
/// let old: FeaturizerConfig = serde_json::from_str(
///     r#"{"buckets_log2":18,"char_ngram_min":2,"char_ngram_max":5,"word_bigrams":true}"#,
/// ).unwrap();
/// assert_eq!(old.hashing, Hashing::Xxh3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hashing {
    /// xxh3-64 of each feature's bytes, every character n-gram hashed on
    /// its own; the bucket is the hash's low bits. The default, and the
    /// scheme of every model trained before [`Hashing::MultiplyAdd`] existed.
    ///
    /// Still the default because the other scheme did not pay: xxh3 of a
    /// 2- to 5-byte n-gram, specialised by length, is a handful of
    /// instructions, and hashing is a small part of featurizing.
    Xxh3,
    /// One multiply-add per byte, `h = (h + byte) × φ·2⁶⁴`, the bucket the
    /// hash's top bits (Fibonacci hashing): the character n-grams that start
    /// at one place of a word extend one another, so hashing a word's 2- to
    /// 5-grams costs one multiply-add per character and length; a bigram's
    /// hash is its two words' hashes combined, without building its text.
    MultiplyAdd,
}

impl Hashing {
    /// The scheme of a stored model whose header names none.
    pub(super) fn legacy() -> Hashing {
        Hashing::Xxh3
    }

    /// Whether this is the scheme a header without the field means.
    pub(super) fn is_legacy(&self) -> bool {
        *self == Hashing::legacy()
    }
}

pub(super) const SEED_WORD: u64 = 0x5ca3_0001;
pub(super) const SEED_BIGRAM: u64 = 0x5ca3_0002;
pub(super) const SEED_ENTITY: u64 = 0x5ca3_0003;
pub(super) const SEED_CHAR: u64 = 0x5ca3_0004;

/// The functions of a hashing scheme, resolved at compile time in the
/// emission loop (a scheme per monomorphized copy, no branch per feature).
pub(super) trait Scheme {
    /// Whether [`Scheme::bigram`] reads the bigram's text (`prev cur`).
    const BIGRAM_TEXT: bool;
    /// The bucket of hash `h` among `2^bits`.
    fn bucket(h: u64, bits: u32) -> u32;
    /// The hash of a word feature.
    fn word(name: &[u8]) -> u64;
    /// The hash of the bigram of two words hashed `prev` and `cur` by
    /// [`Scheme::word`], whose text is `text` (only if [`Scheme::BIGRAM_TEXT`]).
    fn bigram(prev: u64, cur: u64, text: &str) -> u64;
    /// The hash of an entity feature.
    fn entity(name: &[u8]) -> u64;
    /// The buckets of the character n-grams of lengths `lo..=hi` of a padded
    /// word, pushed onto `out`; with `SPANS`, the byte range of each in
    /// `padded` onto `spans`, in the same order. `bounds[i]` is where
    /// character `i` starts (and its last entry the length); `None` for
    /// ASCII, where characters are bytes.
    fn grams(g: Grams, padded: &[u8], bounds: Option<&[usize]>, out: GramsOut);
}

/// What [`Scheme::grams`] takes of a word's n-grams: lengths `lo..=hi`,
/// buckets of `bits` bits, and whether their spans are wanted.
#[derive(Debug, Clone, Copy)]
pub(super) struct Grams {
    pub(super) with_spans: bool,
    pub(super) lo: usize,
    pub(super) hi: usize,
    pub(super) bits: u32,
}

/// Where [`Scheme::grams`] pushes a word's n-gram buckets, and their spans.
pub(super) struct GramsOut<'a> {
    pub(super) buckets: &'a mut Vec<u32>,
    pub(super) spans: &'a mut Vec<(usize, usize)>,
}

/// [`Hashing::Xxh3`].
pub(super) struct Xxh3;

impl Scheme for Xxh3 {
    const BIGRAM_TEXT: bool = true;

    #[inline]
    fn bucket(h: u64, bits: u32) -> u32 {
        (h & ((1u64 << bits) - 1)) as u32
    }

    #[inline]
    fn word(name: &[u8]) -> u64 {
        xxh3_64_with_seed(name, SEED_WORD)
    }

    #[inline]
    fn bigram(_: u64, _: u64, text: &str) -> u64 {
        xxh3_64_with_seed(text.as_bytes(), SEED_BIGRAM)
    }

    #[inline]
    fn entity(name: &[u8]) -> u64 {
        xxh3_64_with_seed(name, SEED_ENTITY)
    }

    #[inline(always)]
    fn grams(g: Grams, padded: &[u8], bounds: Option<&[usize]>, out: GramsOut) {
        let (with_spans, lo, hi, bits) = (g.with_spans, g.lo, g.hi, g.bits);
        let (out, spans) = (out.buckets, out.spans);
        let mask = (1u64 << bits) - 1;
        // By length, then by start: the order models of this scheme were
        // trained (and their reasons summed) in.
        let Some(bounds) = bounds else {
            for n in lo..=hi.min(padded.len()) {
                ascii_grams(padded, n, mask, out);
                if with_spans {
                    spans.extend((0..=padded.len() - n).map(|s| (s, s + n)));
                }
            }
            return;
        };
        let nchars = bounds.len() - 1;
        for n in lo..=hi.min(nchars) {
            for s in 0..=(nchars - n) {
                let gram = &padded[bounds[s]..bounds[s + n]];
                out.push((xxh3_64_with_seed(gram, SEED_CHAR) & mask) as u32);
                if with_spans {
                    spans.push((bounds[s], bounds[s + n]));
                }
            }
        }
    }
}

/// The character n-grams of length `n` of an ASCII padded word, hashed
/// with xxh3.
///
/// Dispatched to a version per length so that the hash's branches on the
/// input length fold away.
fn ascii_grams(padded: &[u8], n: usize, mask: u64, out: &mut Vec<u32>) {
    fn grams<const N: usize>(padded: &[u8], mask: u64, out: &mut Vec<u32>) {
        out.extend(padded.windows(N).map(|g| {
            let g: &[u8; N] = g.try_into().expect("a window of N bytes");
            (xxh3_64_with_seed(g, SEED_CHAR) & mask) as u32
        }));
    }
    match n {
        1 => grams::<1>(padded, mask, out),
        2 => grams::<2>(padded, mask, out),
        3 => grams::<3>(padded, mask, out),
        4 => grams::<4>(padded, mask, out),
        5 => grams::<5>(padded, mask, out),
        6 => grams::<6>(padded, mask, out),
        7 => grams::<7>(padded, mask, out),
        _ => out.extend(
            padded
                .windows(n)
                .map(|g| (xxh3_64_with_seed(g, SEED_CHAR) & mask) as u32),
        ),
    }
}

/// [`Hashing::MultiplyAdd`].
pub(super) struct MultiplyAdd;

/// 2⁶⁴ divided by the golden ratio, odd: multiplying by it spreads
/// neighbouring values over the top bits (Knuth's Fibonacci hashing).
const PHI: u64 = 0x9E37_79B9_7F4A_7C15;

/// One byte into a [`Hashing::MultiplyAdd`] hash.
#[inline(always)]
fn step(h: u64, byte: u8) -> u64 {
    h.wrapping_add(u64::from(byte)).wrapping_mul(PHI)
}

/// The [`Hashing::MultiplyAdd`] hash of `bytes` from `seed`.
#[inline]
fn multiply_add(seed: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(seed, |h, &b| step(h, b))
}

impl Scheme for MultiplyAdd {
    const BIGRAM_TEXT: bool = false;

    #[inline]
    fn bucket(h: u64, bits: u32) -> u32 {
        (h >> (64 - bits)) as u32
    }

    #[inline]
    fn word(name: &[u8]) -> u64 {
        multiply_add(SEED_WORD, name)
    }

    #[inline]
    fn bigram(prev: u64, cur: u64, _: &str) -> u64 {
        // The first word's hash spread again before the second's is added,
        // so that the order of the two words matters.
        (prev ^ SEED_BIGRAM)
            .wrapping_mul(PHI)
            .wrapping_add(cur)
            .wrapping_mul(PHI)
    }

    #[inline]
    fn entity(name: &[u8]) -> u64 {
        multiply_add(SEED_ENTITY, name)
    }

    #[inline(always)]
    fn grams(g: Grams, padded: &[u8], bounds: Option<&[usize]>, out: GramsOut) {
        let (with_spans, lo, hi, bits) = (g.with_spans, g.lo, g.hi, g.bits);
        let (out, spans) = (out.buckets, out.spans);
        let shift = 64 - bits;
        // By start, then by length: the n-gram of length n + 1 at a start
        // is the one of length n and one more character, so its hash is one
        // more multiply-add.
        let Some(bounds) = bounds else {
            let len = padded.len();
            out.reserve(super::emit::ngram_count(len, lo, hi));
            for s in 0..len {
                let mut h = SEED_CHAR;
                for (n, &b) in (1..=hi.min(len - s)).zip(&padded[s..]) {
                    h = step(h, b);
                    if n >= lo {
                        out.push((h >> shift) as u32);
                        if with_spans {
                            spans.push((s, s + n));
                        }
                    }
                }
            }
            return;
        };
        let nchars = bounds.len() - 1;
        for s in 0..nchars {
            let mut h = SEED_CHAR;
            for n in 1..=hi.min(nchars - s) {
                h = multiply_add(h, &padded[bounds[s + n - 1]..bounds[s + n]]);
                if n >= lo {
                    out.push((h >> shift) as u32);
                    if with_spans {
                        spans.push((bounds[s], bounds[s + n]));
                    }
                }
            }
        }
    }
}

/// A hash of a pair of names from theirs: the same pair, the same hash.
pub(super) fn name_pair(first: u64, second: u64) -> u64 {
    MultiplyAdd::bigram(first, second, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each character n-gram's bucket, by the scheme's path for ASCII and
    /// its path for any UTF-8, against the hash of the n-gram on its own.
    fn check_grams<S: Scheme>(hash: impl Fn(&[u8]) -> u64) {
        for word in [
            " a ",
            " win ",
            " verification ",
            " wín ",
            " 恭喜发财 ",
            " a𝐀b ",
        ] {
            let bytes = word.as_bytes();
            let mut bounds: Vec<usize> = word.char_indices().map(|(i, _)| i).collect();
            bounds.push(bytes.len());
            let (mut ascii, mut any) = (Vec::new(), Vec::new());
            let (mut ascii_spans, mut any_spans) = (Vec::new(), Vec::new());
            let g = Grams {
                with_spans: true,
                lo: 2,
                hi: 5,
                bits: 18,
            };
            S::grams(
                g,
                bytes,
                Some(&bounds),
                GramsOut {
                    buckets: &mut any,
                    spans: &mut any_spans,
                },
            );
            assert_eq!(any.len(), any_spans.len());
            for (&b, &(s, e)) in any.iter().zip(&any_spans) {
                assert_eq!(b, S::bucket(hash(&bytes[s..e]), 18), "{word:?} {s}..{e}");
                let chars = word[s..e].chars().count();
                assert!((2..=5).contains(&chars), "{word:?} {s}..{e}");
            }
            let nchars = bounds.len() - 1;
            assert_eq!(any.len(), super::super::emit::ngram_count(nchars, 2, 5));
            if word.is_ascii() {
                let out = GramsOut {
                    buckets: &mut ascii,
                    spans: &mut ascii_spans,
                };
                S::grams(g, bytes, None, out);
                assert_eq!((&ascii, &ascii_spans), (&any, &any_spans), "{word:?}");
            }
        }
    }

    #[test]
    fn xxh3_hashes_each_gram_on_its_own() {
        check_grams::<Xxh3>(|g| xxh3_64_with_seed(g, SEED_CHAR));
        assert_eq!(
            Xxh3::word(b"verify"),
            xxh3_64_with_seed(b"verify", SEED_WORD)
        );
        assert_eq!(Xxh3::bucket(0x1234_5678, 8), 0x78);
    }

    #[test]
    fn multiply_add_grams_are_the_hashes_of_their_bytes() {
        check_grams::<MultiplyAdd>(|g| multiply_add(SEED_CHAR, g));
        assert_eq!(MultiplyAdd::bucket(u64::MAX, 18), (1 << 18) - 1);
    }

    #[test]
    fn multiply_add_spreads_short_grams() {
        // Every 2- and 3-gram of lower-case letters, digits and a space: few
        // share a bucket among 2^18, as with a random function.
        let alphabet = b" abcdefghijklmnopqrstuvwxyz0123456789";
        let mut grams = Vec::new();
        for &a in alphabet {
            for &b in alphabet {
                grams.push(vec![a, b]);
                for &c in alphabet {
                    grams.push(vec![a, b, c]);
                }
            }
        }
        let mut buckets: Vec<u32> = grams
            .iter()
            .map(|g| MultiplyAdd::bucket(multiply_add(SEED_CHAR, g), 18))
            .collect();
        let n = buckets.len() as f64;
        buckets.sort_unstable();
        buckets.dedup();
        // A random function into m buckets leaves n - m(1 - e^(-n/m)) of n
        // values in an occupied bucket: 2.3% here (1,177 of 51,984).
        let m = (1u64 << 18) as f64;
        let expected = n - m * (1.0 - (-n / m).exp());
        let shared = n - buckets.len() as f64;
        assert!(
            shared < 1.2 * expected,
            "{shared} shared, {expected:.0} expected"
        );
        // The order of a bigram's words matters.
        let (a, b) = (MultiplyAdd::word(b"call"), MultiplyAdd::word(b"now"));
        assert_ne!(MultiplyAdd::bigram(a, b, ""), MultiplyAdd::bigram(b, a, ""));
    }
}
