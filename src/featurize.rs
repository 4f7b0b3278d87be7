//! Stage 3 of the pipeline: **featurize**.
//!
//! Turns the tokens of one message into a sparse, hashed, TF-IDF weighted and
//! L2-normalized vector. Two blocks, each normalized on its own (as scikit-learn's
//! `FeatureUnion` of two `TfidfVectorizer`s does), so that the few word
//! features are not drowned by the many character n-grams:
//!
//! * **words**: word unigrams and bigrams (digits folded to `0`, so a new phone
//!   number or amount is the same feature; ASCII punctuation left out), emoji
//!   and other non-ASCII symbols, and the typed entity tokens;
//! * **chars**: character n-grams of each word padded with spaces (`char_wb`),
//!   which carry obfuscated spellings and scripts without spaces.
//!
//! Features are hashed with xxh3 (stable across runs, platforms and releases)
//! into `2^buckets_log2` buckets. Nothing dense is built: a message is a sorted
//! list of `(bucket, value)` pairs.

use crate::normalize::Normalized;
use crate::tokenize::{TokenKind, Tokens};
use xxhash_rust::xxh3::xxh3_64_with_seed;

const SEED_WORD: u64 = 0x5ca3_0001;
const SEED_BIGRAM: u64 = 0x5ca3_0002;
const SEED_ENTITY: u64 = 0x5ca3_0003;
const SEED_CHAR: u64 = 0x5ca3_0004;

/// Characters of a word beyond which no more character n-grams are taken.
const MAX_WORD_CHARS: usize = 40;

/// Hyperparameters of the featurizer; they are stored in the model file.
///
/// Stored because the bucket of a feature depends on them: a model scored
/// with another configuration would read its weights from the wrong buckets.
///
/// # Example
///
/// ```
/// use scamscan::featurize::FeaturizerConfig;
/// let small = FeaturizerConfig { buckets_log2: 12, word_bigrams: false, ..FeaturizerConfig::default() };
/// assert!(small.validate().is_ok());
/// assert_eq!(small.dim(), 4096);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FeaturizerConfig {
    /// log2 of the number of hash buckets.
    pub buckets_log2: u8,
    /// Smallest character n-gram length.
    pub char_ngram_min: usize,
    /// Largest character n-gram length.
    pub char_ngram_max: usize,
    /// Include word bigrams.
    pub word_bigrams: bool,
    /// Fold digit leetspeak inside words (`fr33` → `free`, `acc0unt` →
    /// `account`) and leave emoji and pictographs out, so that padding a
    /// message with emoji changes nothing.
    ///
    /// Off when missing from a stored model: models trained before it existed
    /// saw features without it.
    #[serde(default)]
    pub unmask: bool,
    /// Add the scam-move cues of the entity recognizer (`cue:urgency`,
    /// `cue:fee`, `cue:credentials`, ...; see
    /// [`EntityKind::Cue`](crate::tokenize::EntityKind::Cue)) as features.
    ///
    /// Off when missing from a stored model, for the same reason as `unmask`.
    #[serde(default)]
    pub cues: bool,
}

impl Default for FeaturizerConfig {
    fn default() -> Self {
        FeaturizerConfig {
            buckets_log2: 18,
            char_ngram_min: 2,
            char_ngram_max: 5,
            word_bigrams: true,
            unmask: true,
            cues: true,
        }
    }
}

impl FeaturizerConfig {
    /// Checks the ranges; returns a message naming the bad value.
    ///
    /// The bounds keep the IDF table and the weights of a model within what a
    /// model file may hold, and n-grams short enough to generalise.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::featurize::FeaturizerConfig;
    /// let bad = FeaturizerConfig { char_ngram_min: 4, char_ngram_max: 3, ..FeaturizerConfig::default() };
    /// assert!(bad.validate().unwrap_err().contains("4..=3"));
    /// ```
    pub fn validate(&self) -> Result<(), String> {
        if !(10..=24).contains(&self.buckets_log2) {
            return Err(format!(
                "buckets_log2 must be in 10..=24, got {}",
                self.buckets_log2
            ));
        }
        if self.char_ngram_min == 0
            || self.char_ngram_min > self.char_ngram_max
            || self.char_ngram_max > 8
        {
            return Err(format!(
                "character n-gram range must satisfy 1 <= min <= max <= 8, got {}..={}",
                self.char_ngram_min, self.char_ngram_max
            ));
        }
        Ok(())
    }

    /// The number of buckets: the dimension of every feature vector.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(scamscan::featurize::FeaturizerConfig::default().dim(), 1 << 18);
    /// ```
    pub fn dim(&self) -> usize {
        1usize << self.buckets_log2
    }
}

/// A sparse vector: strictly increasing indices with their values.
///
/// Two parallel vectors rather than one of pairs, so that the indices can be
/// scanned without touching the values.
///
/// # Example
///
/// ```
/// use scamscan::featurize::SparseVector;
/// let v = SparseVector { indices: vec![3, 7], values: vec![0.6, 0.8] };
/// let dot: f32 = v.iter().map(|(_, x)| x * x).sum();
/// assert!((dot - 1.0).abs() < 1e-6);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVector {
    /// Bucket indices, strictly increasing.
    pub indices: Vec<u32>,
    /// Values, one per index.
    pub values: Vec<f32>,
}

impl SparseVector {
    /// Number of stored entries.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::featurize::SparseVector;
    /// assert_eq!(SparseVector::default().nnz(), 0);
    /// assert_eq!(SparseVector { indices: vec![1, 5], values: vec![0.5, 0.5] }.nnz(), 2);
    /// ```
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Iterates over `(index, value)` pairs, indices increasing.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::featurize::SparseVector;
    /// let v = SparseVector { indices: vec![2, 9], values: vec![1.0, -1.0] };
    /// assert_eq!(v.iter().collect::<Vec<_>>(), [(2, 1.0), (9, -1.0)]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (usize, f32)> + '_ {
        self.indices
            .iter()
            .map(|&i| i as usize)
            .zip(self.values.iter().copied())
    }
}

/// Which block a feature belongs to.
///
/// Kept per feature so that explanations can group a word's many character
/// n-grams into one reason and label each reason with its kind.
///
/// # Example
///
/// ```
/// use scamscan::featurize::FeatureFamily;
/// assert_eq!(serde_json::to_string(&FeatureFamily::Chars).unwrap(), r#""chars""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureFamily {
    /// A word unigram.
    Word,
    /// A word bigram.
    Bigram,
    /// A typed entity token.
    Entity,
    /// A character n-gram.
    Chars,
}

/// One feature occurrence, kept only when explaining.
///
/// Only when explaining, because recording names and spans costs more than
/// the hashing itself.
///
/// # Example
///
/// ```
/// use scamscan::featurize::{FeatureFamily, Featurizer, FeaturizerConfig};
/// use scamscan::{normalize::Normalizer, tokenize::Tokenizer};
/// let norm = Normalizer::default().normalize("Verify now");
/// let tokens = Tokenizer::new()?.tokenize(norm.text())?;
/// let mut trace = Vec::new();
/// Featurizer::new(FeaturizerConfig::default(), None).unwrap().count(&norm, &tokens, Some(&mut trace));
/// let bigram = trace.iter().find(|t| t.family == FeatureFamily::Bigram).unwrap();
/// assert_eq!((bigram.name.as_str(), bigram.span), ("verify now", (0, 10)));
/// # Ok::<(), scamscan::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTrace {
    /// The hash bucket.
    pub bucket: u32,
    /// The block it counts in.
    pub family: FeatureFamily,
    /// A readable name (`verify`, `click here`, `url:shortener`); empty for
    /// character n-grams, whose text is the span.
    pub name: String,
    /// Byte span in the normalized text.
    pub span: (usize, usize),
}

/// Raw hashed term counts of one message, before IDF weighting.
///
/// Kept separate from the weighted vector because training needs the counts
/// of every message to compute the IDF table before any vector can be built.
///
/// # Example
///
/// ```
/// use scamscan::featurize::{Featurizer, FeaturizerConfig};
/// use scamscan::{normalize::Normalizer, tokenize::Tokenizer};
/// let norm = Normalizer::default().normalize("win win win");
/// let tokens = Tokenizer::new()?.tokenize(norm.text())?;
/// let counts = Featurizer::new(FeaturizerConfig::default(), None).unwrap().count(&norm, &tokens, None);
/// assert!(counts.words.iter().any(|&(_, n)| n == 3)); // the word `win`
/// # Ok::<(), scamscan::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct TermCounts {
    /// `(bucket, count)` of the word block, sorted by bucket.
    pub words: Vec<(u32, u32)>,
    /// `(bucket, count)` of the character block, sorted by bucket.
    pub chars: Vec<(u32, u32)>,
}

/// The featurizer: hashing plus the IDF table learned at training time.
///
/// Hashing needs no vocabulary, so a word never seen in training still gets
/// a bucket, and the model file stays a fixed size whatever the corpus.
///
/// # Example
///
/// ```
/// use scamscan::featurize::{Featurizer, FeaturizerConfig};
/// use scamscan::normalize::Normalizer;
/// use scamscan::tokenize::Tokenizer;
/// let (n, t) = (Normalizer::default(), Tokenizer::new()?);
/// let f = Featurizer::new(FeaturizerConfig::default(), None).unwrap();
/// let norm = n.normalize("Your parcel is held: pay £1.99 at royalmail-fee.top");
/// let tokens = t.tokenize(norm.text())?;
/// let v = f.vectorize(&f.count(&norm, &tokens, None));
/// let norm2: f32 = v.values.iter().map(|x| x * x).sum();
/// assert!((norm2 - 2.0).abs() < 1e-4); // two unit-norm blocks
/// # Ok::<(), scamscan::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Featurizer {
    config: FeaturizerConfig,
    idf: Vec<f32>,
}

impl Featurizer {
    /// Builds a featurizer; `idf` must have one value per bucket, or be `None` for all ones.
    ///
    /// The error is a plain message because its caller knows the context
    /// (a model file, training parameters) and wraps it accordingly.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::featurize::{Featurizer, FeaturizerConfig};
    /// let config = FeaturizerConfig { buckets_log2: 10, ..FeaturizerConfig::default() };
    /// assert!(Featurizer::new(config.clone(), Some(vec![1.0; 1024])).is_ok());
    /// assert!(Featurizer::new(config, Some(vec![1.0; 3])).is_err());
    /// ```
    pub fn new(config: FeaturizerConfig, idf: Option<Vec<f32>>) -> Result<Self, String> {
        config.validate()?;
        let idf = match idf {
            Some(v) if v.len() == config.dim() => v,
            Some(v) => {
                return Err(format!(
                    "idf has {} entries, expected {}",
                    v.len(),
                    config.dim()
                ))
            }
            None => vec![1.0; config.dim()],
        };
        Ok(Featurizer { config, idf })
    }

    /// The configuration, to store in the model file.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::featurize::{Featurizer, FeaturizerConfig};
    /// let f = Featurizer::new(FeaturizerConfig::default(), None).unwrap();
    /// assert!(f.config().word_bigrams);
    /// ```
    pub fn config(&self) -> &FeaturizerConfig {
        &self.config
    }

    /// The IDF table, one weight per bucket.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::featurize::{Featurizer, FeaturizerConfig};
    /// let f = Featurizer::new(FeaturizerConfig::default(), None).unwrap();
    /// assert_eq!(f.idf().len(), f.dim());
    /// assert!(f.idf().iter().all(|&w| w == 1.0));
    /// ```
    pub fn idf(&self) -> &[f32] {
        &self.idf
    }

    /// The number of buckets.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::featurize::{Featurizer, FeaturizerConfig};
    /// let f = Featurizer::new(FeaturizerConfig { buckets_log2: 16, ..Default::default() }, None).unwrap();
    /// assert_eq!(f.dim(), 65536);
    /// ```
    pub fn dim(&self) -> usize {
        self.config.dim()
    }

    /// Computes IDF (`ln((1 + n) / (1 + df)) + 1`, as scikit-learn's smooth IDF)
    /// from the term counts of the training messages.
    ///
    /// IDF damps the features every message has (`the`, `you`), so that
    /// the rarer, more telling ones carry the vector.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::featurize::{Featurizer, FeaturizerConfig, TermCounts};
    /// let mut f = Featurizer::new(FeaturizerConfig { buckets_log2: 10, ..Default::default() }, None).unwrap();
    /// let doc = |b: &[u32]| TermCounts { words: b.iter().map(|&b| (b, 1)).collect(), chars: vec![] };
    /// f.fit_idf(&[doc(&[1, 2]), doc(&[1])]);
    /// assert_eq!(f.idf()[1], 1.0); // in every message
    /// assert!(f.idf()[2] > f.idf()[1]); // in one of two
    /// ```
    pub fn fit_idf(&mut self, docs: &[TermCounts]) {
        let mut df = vec![0u32; self.dim()];
        for d in docs {
            for &(b, _) in d.words.iter().chain(d.chars.iter()) {
                df[b as usize] += 1;
            }
        }
        let n = docs.len() as f64;
        self.idf = df
            .iter()
            .map(|&d| (((1.0 + n) / (1.0 + d as f64)).ln() + 1.0) as f32)
            .collect();
    }

    /// Replaces the IDF table (used after quantizing it for storage).
    ///
    /// # Panics
    ///
    /// When `idf` does not have one value per bucket: that is a bug in the
    /// caller, not bad input.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::featurize::{Featurizer, FeaturizerConfig};
    /// let mut f = Featurizer::new(FeaturizerConfig { buckets_log2: 10, ..Default::default() }, None).unwrap();
    /// f.set_idf(vec![2.0; 1024]);
    /// assert_eq!(f.idf()[0], 2.0);
    /// ```
    pub fn set_idf(&mut self, idf: Vec<f32>) {
        assert_eq!(idf.len(), self.dim());
        self.idf = idf;
    }

    /// Hashes the features of one message into term counts. With `trace`,
    /// also records every feature occurrence with its name and span.
    ///
    /// Digits are folded to `0` so that a new phone number or amount is the
    /// same feature as the old one.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::featurize::{Featurizer, FeaturizerConfig};
    /// use scamscan::{normalize::Normalizer, tokenize::Tokenizer};
    /// let (n, t) = (Normalizer::default(), Tokenizer::new()?);
    /// let f = Featurizer::new(FeaturizerConfig::default(), None).unwrap();
    /// let words = |s: &str| {
    ///     let norm = n.normalize(s);
    ///     f.count(&norm, &t.tokenize(norm.text()).unwrap(), None).words
    /// };
    /// assert_eq!(words("call 5550143"), words("call 9876543"));
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn count(
        &self,
        norm: &Normalized,
        tokens: &Tokens,
        mut trace: Option<&mut Vec<FeatureTrace>>,
    ) -> TermCounts {
        let text = norm.text();
        let mask = (self.dim() - 1) as u64;
        let bucket = |h: u64| (h & mask) as u32;
        let mut words: Vec<u32> =
            Vec::with_capacity(tokens.words.len() * 2 + tokens.entities.len() * 3);
        let mut chars: Vec<u32> = Vec::with_capacity(text.len() * 4);
        let mut shaped = String::new();
        let mut prev: Option<(String, usize)> = None;
        let mut scratch = Vec::with_capacity(64);
        let mut padded = String::with_capacity(64);
        let mut bounds: Vec<usize> = Vec::with_capacity(64);

        for tok in &tokens.words {
            let piece = &text[tok.start..tok.end];
            // ASCII punctuation is a property of how a corpus was preprocessed
            // (some strip it, some keep it), and U+FFFD of how it was decoded,
            // not of scams: as features they teach the model to recognise the
            // source. Emoji and non-ASCII currency signs stay.
            if tok.kind == TokenKind::Symbol && (piece.is_ascii() || piece == "\u{FFFD}") {
                continue;
            }
            shaped.clear();
            if self.config.unmask && tok.kind == TokenKind::Symbol {
                // No emoji or pictographs at all: some corpora strip them and
                // some keep them, so as features they tell the model the
                // source (in the shared corpora an emoji meant "not SMS
                // spam"), and padding a scam with them moved its score.
                // Currency signs still count, inside money entities.
                continue;
            } else if self.config.unmask && tok.kind == TokenKind::Word {
                shape_word(piece, &mut shaped);
            } else {
                shaped.extend(
                    piece
                        .chars()
                        .map(|c| if c.is_ascii_digit() { '0' } else { c }),
                );
            }
            let b = bucket(xxh3_64_with_seed(shaped.as_bytes(), SEED_WORD));
            words.push(b);
            if let Some(t) = trace.as_deref_mut() {
                t.push(FeatureTrace {
                    bucket: b,
                    family: FeatureFamily::Word,
                    name: shaped.clone(),
                    span: (tok.start, tok.end),
                });
            }
            if tok.kind == TokenKind::Symbol {
                continue;
            }
            if self.config.word_bigrams {
                if let Some((p, pstart)) = &prev {
                    scratch.clear();
                    scratch.extend_from_slice(p.as_bytes());
                    scratch.push(b' ');
                    scratch.extend_from_slice(shaped.as_bytes());
                    let b = bucket(xxh3_64_with_seed(&scratch, SEED_BIGRAM));
                    words.push(b);
                    if let Some(t) = trace.as_deref_mut() {
                        t.push(FeatureTrace {
                            bucket: b,
                            family: FeatureFamily::Bigram,
                            name: String::from_utf8_lossy(&scratch).into_owned(),
                            span: (*pstart, tok.end),
                        });
                    }
                }
                match &mut prev {
                    Some((p, s)) => {
                        p.clear();
                        p.push_str(&shaped);
                        *s = tok.start;
                    }
                    None => prev = Some((shaped.clone(), tok.start)),
                }
            }
            if tok.kind != TokenKind::Word {
                continue;
            }
            padded.clear();
            padded.push(' ');
            padded.extend(shaped.chars().take(MAX_WORD_CHARS));
            padded.push(' ');
            bounds.clear();
            bounds.extend(padded.char_indices().map(|(i, _)| i));
            bounds.push(padded.len());
            let nchars = bounds.len() - 1;
            for n in self.config.char_ngram_min..=self.config.char_ngram_max {
                if n > nchars {
                    break;
                }
                for s in 0..=(nchars - n) {
                    let gram = &padded[bounds[s]..bounds[s + n]];
                    let b = bucket(xxh3_64_with_seed(gram.as_bytes(), SEED_CHAR));
                    chars.push(b);
                    if let Some(t) = trace.as_deref_mut() {
                        // Map the n-gram back onto the token (padding spaces excluded).
                        let lo = tok.start + bounds[s].saturating_sub(1).min(tok.end - tok.start);
                        let hi =
                            tok.start + bounds[s + n].saturating_sub(1).min(tok.end - tok.start);
                        // No name: explanations group n-grams by their word,
                        // and skipping the allocation keeps tracing cheap.
                        t.push(FeatureTrace {
                            bucket: b,
                            family: FeatureFamily::Chars,
                            name: String::new(),
                            span: (lo, hi.max(lo)),
                        });
                    }
                }
            }
        }
        for e in &tokens.entities {
            if e.kind == crate::tokenize::EntityKind::Cue && !self.config.cues {
                continue;
            }
            for f in &e.features {
                let b = bucket(xxh3_64_with_seed(f.as_bytes(), SEED_ENTITY));
                words.push(b);
                if let Some(t) = trace.as_deref_mut() {
                    t.push(FeatureTrace {
                        bucket: b,
                        family: FeatureFamily::Entity,
                        name: f.clone(),
                        span: (e.start, e.end),
                    });
                }
            }
        }
        TermCounts {
            words: run_lengths(words),
            chars: run_lengths(chars),
        }
    }

    /// Applies sublinear TF, IDF and per-block L2 normalization.
    ///
    /// Sublinear TF (`1 + ln(count)`) keeps a word repeated twenty times
    /// from outweighing the rest of the message; the L2 norm makes long and
    /// short messages comparable.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::featurize::{Featurizer, FeaturizerConfig, TermCounts};
    /// let f = Featurizer::new(FeaturizerConfig { buckets_log2: 10, ..Default::default() }, None).unwrap();
    /// let v = f.vectorize(&TermCounts { words: vec![(3, 1), (8, 1)], chars: vec![] });
    /// assert_eq!(v.indices, [3, 8]);
    /// assert!((v.values[0] - 0.5f32.sqrt()).abs() < 1e-6);
    /// ```
    pub fn vectorize(&self, counts: &TermCounts) -> SparseVector {
        let a = self.block(&counts.words);
        let b = self.block(&counts.chars);
        merge(&a, &b)
    }

    fn block(&self, counts: &[(u32, u32)]) -> Vec<(u32, f32)> {
        let mut v: Vec<(u32, f32)> = counts
            .iter()
            .map(|&(i, c)| (i, (1.0 + (c as f32).ln()) * self.idf[i as usize]))
            .collect();
        let norm = v.iter().map(|&(_, x)| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (_, x) in &mut v {
                *x /= norm;
            }
        }
        v
    }
}

fn run_lengths(mut v: Vec<u32>) -> Vec<(u32, u32)> {
    sort_buckets(&mut v);
    let mut out: Vec<(u32, u32)> = Vec::with_capacity(v.len());
    for b in v {
        match out.last_mut() {
            Some((last, c)) if *last == b => *c += 1,
            _ => out.push((b, 1)),
        }
    }
    out
}

/// Sorts bucket ids: an LSD radix sort on bytes for long lists, a
/// comparison sort for short ones.
///
/// Hand-written because std has none, and this sort (about four character
/// n-grams per character of every message) was the featurizer's largest
/// cost: on a thousand 18-bit ids, three counting passes beat a comparison
/// sort several times over.
fn sort_buckets(v: &mut Vec<u32>) {
    if v.len() < 256 {
        v.sort_unstable();
        return;
    }
    let max = v.iter().copied().max().unwrap_or(0);
    let mut other = vec![0u32; v.len()];
    let mut shift = 0u32;
    while shift < 32 && (max >> shift) != 0 {
        let mut start = [0usize; 257];
        for &x in v.iter() {
            start[((x >> shift) & 0xff) as usize + 1] += 1;
        }
        for d in 1..257 {
            start[d] += start[d - 1];
        }
        for &x in v.iter() {
            let d = ((x >> shift) & 0xff) as usize;
            other[start[d]] = x;
            start[d] += 1;
        }
        std::mem::swap(v, &mut other);
        shift += 8;
    }
}

fn merge(a: &[(u32, f32)], b: &[(u32, f32)]) -> SparseVector {
    let mut out = SparseVector {
        indices: Vec::with_capacity(a.len() + b.len()),
        values: Vec::with_capacity(a.len() + b.len()),
    };
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let take_a = j >= b.len() || (i < a.len() && a[i].0 < b[j].0);
        let take_b = i >= a.len() || (j < b.len() && b[j].0 < a[i].0);
        let (idx, val) = if take_a {
            i += 1;
            a[i - 1]
        } else if take_b {
            j += 1;
            b[j - 1]
        } else {
            i += 1;
            j += 1;
            (a[i - 1].0, a[i - 1].1 + b[j - 1].1)
        };
        out.indices.push(idx);
        out.values.push(val);
    }
    out
}

/// A word as the model sees it: digits folded to `0` (`call 5550143` and
/// `call 9876543` are the same feature), except digit leetspeak, which is
/// read as the letters it stands for (`fr33` → `free`, `4cc0unt` → `account`).
///
/// Digits are leetspeak when the word has at least two letters, no run of
/// more than two digits, and is not a number with a unit or currency
/// (`10am`, `3rd`, `50gb`, `rs500`, `usd20`).
pub(crate) fn shape_word(piece: &str, out: &mut String) {
    let b = piece.as_bytes();
    if !is_leet(b) {
        out.extend(
            piece
                .chars()
                .map(|c| if c.is_ascii_digit() { '0' } else { c }),
        );
        return;
    }
    for (i, &c) in b.iter().enumerate() {
        let near_l = |j: Option<usize>| j.and_then(|j| b.get(j)).is_some_and(|&c| c == b'l');
        out.push(match c {
            b'0' => 'o',
            b'1' if near_l(i.checked_sub(1)) || near_l(Some(i + 1)) => 'l',
            b'1' => 'i',
            b'3' => 'e',
            b'4' => 'a',
            b'5' => 's',
            b'7' => 't',
            b'8' => 'b',
            b'9' => 'g',
            c if c.is_ascii_digit() => '0',
            c => c as char,
        });
    }
}

/// Whether an ASCII word mixes letters and leetspeak digits (see [`shape_word`]).
fn is_leet(b: &[u8]) -> bool {
    if !b.is_ascii() || !b.iter().any(u8::is_ascii_digit) {
        return false;
    }
    let letters = b.iter().filter(|c| c.is_ascii_alphabetic()).count();
    if letters < 2 || b.iter().any(|c| !c.is_ascii_alphanumeric()) {
        return false;
    }
    let mut run = 0;
    for &c in b {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        if run > 2 {
            return false;
        }
    }
    // A number with a unit after it, or a currency before it.
    const UNITS: &[&str] = &[
        "am", "pm", "st", "nd", "rd", "th", "gb", "mb", "kb", "tb", "km", "kg", "mg", "ml", "cm",
        "mm", "hr", "hrs", "min", "mins", "sec", "secs", "yrs", "mph", "usd", "eur", "gbp", "inr",
        "idr", "rs", "rp", "rm", "php", "ngn", "usdt", "btc", "eth", "days", "wks", "mins", "ghz",
        "mp", "px", "fps", "lbs", "oz", "ft", "in", "x", "k",
    ];
    let lead = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let trail = b.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    let tail = std::str::from_utf8(&b[lead..]).unwrap_or("");
    let head = std::str::from_utf8(&b[..b.len() - trail]).unwrap_or("");
    let digits_only_at_ends = b[lead..b.len() - trail.min(b.len() - lead)]
        .iter()
        .all(u8::is_ascii_alphabetic);
    !(digits_only_at_ends
        && ((lead > 0 && UNITS.contains(&tail)) || (trail > 0 && UNITS.contains(&head))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(w: &str) -> String {
        let mut s = String::new();
        shape_word(w, &mut s);
        s
    }

    #[test]
    fn digit_leetspeak_is_read_as_letters_but_numbers_stay_numbers() {
        for (w, want) in [
            ("fr33", "free"),
            ("4cc0unt", "account"),
            ("v3r1fy", "verify"),
            ("ca1l", "call"),
            ("p4ck4g3", "package"),
            ("5u5p3nd3d", "suspended"),
            // Numbers, units and currencies are not leetspeak.
            ("10am", "00am"),
            ("3rd", "0rd"),
            ("50gb", "00gb"),
            ("rs500", "rs000"),
            ("usd20", "usd00"),
            ("0800123", "0000000"),
            ("a1", "a0"),
        ] {
            assert_eq!(shape(w), want, "{w}");
        }
    }
    use crate::normalize::Normalizer;
    use crate::tokenize::Tokenizer;

    fn counts(text: &str, trace: Option<&mut Vec<FeatureTrace>>) -> TermCounts {
        let n = Normalizer::default().normalize(text);
        let t = Tokenizer::new().unwrap().tokenize(n.text()).unwrap();
        Featurizer::new(FeaturizerConfig::default(), None)
            .unwrap()
            .count(&n, &t, trace)
    }

    #[test]
    fn digits_are_folded() {
        assert_eq!(
            counts("call 5550143", None).words,
            counts("call 9876543", None).words
        );
    }

    #[test]
    fn bucket_sort_sorts() {
        for n in [0usize, 1, 5, 255, 256, 1000, 5000] {
            // A deterministic spread of ids over 24 bits, with repeats.
            let mut v: Vec<u32> = (0..n as u64)
                .map(|i| ((i * 2_654_435_761 + i / 3) % (1 << 24)) as u32 / ((i % 3 + 1) as u32))
                .collect();
            let mut want = v.clone();
            want.sort_unstable();
            sort_buckets(&mut v);
            assert_eq!(v, want, "n = {n}");
        }
    }

    #[test]
    fn merge_sums_collisions_and_keeps_order() {
        let v = merge(&[(1, 1.0), (5, 2.0)], &[(0, 0.5), (5, 1.0), (9, 3.0)]);
        assert_eq!(v.indices, [0, 1, 5, 9]);
        assert_eq!(v.values, [0.5, 1.0, 3.0, 3.0]);
    }

    #[test]
    fn trace_names_and_spans() {
        let mut tr = Vec::new();
        let text = "Verify now";
        counts(text, Some(&mut tr));
        let w: Vec<_> = tr
            .iter()
            .filter(|t| t.family == FeatureFamily::Word)
            .collect();
        assert_eq!(w[0].name, "verify");
        assert_eq!(w[0].span, (0, 6));
        let bi = tr
            .iter()
            .find(|t| t.family == FeatureFamily::Bigram)
            .unwrap();
        assert_eq!(bi.name, "verify now");
        assert_eq!(bi.span, (0, 10));
        let spans: Vec<&str> = tr
            .iter()
            .filter(|t| t.family == FeatureFamily::Chars)
            .map(|t| &"verify now"[t.span.0..t.span.1])
            .collect();
        assert!(
            spans.contains(&"erif") && spans.contains(&"v") && spans.contains(&"now"),
            "{spans:?}"
        );
    }

    #[test]
    fn empty_text_gives_empty_vector() {
        let f = Featurizer::new(FeaturizerConfig::default(), None).unwrap();
        let v = f.vectorize(&counts("", None));
        assert_eq!(v.nnz(), 0);
    }

    #[test]
    fn config_validation() {
        let bad = FeaturizerConfig {
            buckets_log2: 40,
            ..FeaturizerConfig::default()
        };
        assert!(Featurizer::new(bad, None).is_err());
        assert!(Featurizer::new(FeaturizerConfig::default(), Some(vec![1.0; 3])).is_err());
    }
}
