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
use crate::sparse::SparseVector;
use crate::tokenize::{TokenKind, Tokens};
use rayon::prelude::*;
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
        // Document frequencies counted a slice of documents per task and
        // summed: integers, so the same whatever the split, and a training
        // run's tens of millions of counts do not wait on one thread.
        let dim = self.dim();
        let count = |slice: &[TermCounts]| {
            let mut df = vec![0u32; dim];
            for d in slice {
                for &(b, _) in d.words.iter().chain(d.chars.iter()) {
                    df[b as usize] += 1;
                }
            }
            df
        };
        let df = docs
            .par_chunks(DF_SLICE)
            .map(count)
            .reduce_with(|mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            })
            .unwrap_or_else(|| vec![0u32; dim]);
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
        trace: Option<&mut Vec<FeatureTrace>>,
    ) -> TermCounts {
        let mut ws = Workspace::default();
        match trace {
            Some(t) => {
                self.emit(norm, tokens, &mut ws, &mut FullTrace(t));
                counts_of(&mut ws, self.bucket_bits())
            }
            None => self.count_in(norm, tokens, &mut ws),
        }
    }

    /// [`Featurizer::count`] without a trace, hashing in `ws`'s buffers:
    /// the trainer keeps one per job, so that counting a corpus does not
    /// grow a set of buffers for every message.
    pub(crate) fn count_in(
        &self,
        norm: &Normalized,
        tokens: &Tokens,
        ws: &mut Workspace,
    ) -> TermCounts {
        self.emit(norm, tokens, ws, &mut NoTrace);
        counts_of(ws, self.bucket_bits())
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
        let block = |counts: &[(u32, u32)]| {
            let mut v = Vec::with_capacity(counts.len());
            weigh(counts, &mut v, |i| self.idf[i]);
            v
        };
        let (a, b) = (block(&counts.words), block(&counts.chars));
        let mut out = SparseVector::default();
        merge(&a, &b, &mut out, |_, _| {});
        out
    }

    /// Counts, weighs and normalizes the features of one message into `ws`,
    /// reusing its buffers: the vector is the one [`Featurizer::vectorize`]
    /// makes of [`Featurizer::count`], but nothing is allocated once the
    /// buffers have grown. With `trace`, `ws` also records where every
    /// feature occurrence came from, for
    /// [`explain_workspace`](crate::explain::explain_workspace).
    ///
    /// The classifier's hot path: one hashing pass, one radix sort of both
    /// blocks, and one pass over the sorted keys for counts, weights and
    /// norms.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::featurize::{Featurizer, FeaturizerConfig, Workspace};
    /// use scamscan::{normalize::Normalizer, tokenize::Tokenizer};
    /// let (n, t) = (Normalizer::default(), Tokenizer::new()?);
    /// let f = Featurizer::new(FeaturizerConfig::default(), None).unwrap();
    /// let mut ws = Workspace::default();
    /// for text in ["Your parcel is held", "pay the £1.99 fee at royalmail-fee.top"] {
    ///     let norm = n.normalize(text);
    ///     let tokens = t.tokenize(norm.text())?;
    ///     f.vectorize_into(&norm, &tokens, &mut ws, false);
    ///     assert_eq!(ws.vector(), &f.vectorize(&f.count(&norm, &tokens, None)));
    /// }
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn vectorize_into(
        &self,
        norm: &Normalized,
        tokens: &Tokens,
        ws: &mut Workspace,
        trace: bool,
    ) {
        self.vectorize_into_with(norm, tokens, ws, trace, |i| self.idf[i]);
    }

    /// The number of bits of a bucket index (the radix sort's key width).
    fn bucket_bits(&self) -> u32 {
        u32::from(self.config.buckets_log2)
    }

    /// [`Featurizer::vectorize_into`] with the IDF weights read through
    /// `idf` (the same values, from a table laid out for the hot path).
    // Never inlined, so that a profile (`scripts/profile.sh`) can name the
    // stage: a call per message costs nothing next to its work, and when
    // the compiler inlined it the stage's cost vanished into its caller's.
    #[inline(never)]
    pub(crate) fn vectorize_into_with(
        &self,
        norm: &Normalized,
        tokens: &Tokens,
        ws: &mut Workspace,
        trace: bool,
        idf: impl Fn(usize) -> f32 + Copy,
    ) {
        let mut t = std::mem::take(&mut ws.trace);
        t.clear();
        if trace {
            self.emit(norm, tokens, ws, &mut t);
        } else {
            self.emit(norm, tokens, ws, &mut NoTrace);
        }
        ws.trace = t;
        ws.traced = trace;
        let Workspace {
            words,
            chars,
            keys,
            spare,
            runs,
            vector,
            word_pos,
            char_pos,
            occurrences,
            char_mult,
            ..
        } = ws;
        // Both blocks in one sort: a bucket's word-block occurrences, then
        // its character-block ones, each in emission order.
        sort_keys(&[words, chars], self.bucket_bits(), keys, spare);
        // Per bucket: its counts in each block, and (with a trace) the
        // position in the vector of each emission, which is the bucket's.
        runs.clear();
        if trace {
            set_len(word_pos, words.len());
            set_len(char_pos, chars.len());
        }
        // One pass over the sorted keys: a key opens a run when its bucket
        // differs from the last one's, and counts in its block's column.
        // (Finding each run's end and then its block split by a binary
        // search read the keys twice.)
        let mut last = u64::MAX;
        for &k in keys.iter() {
            let b = k >> 32;
            if b != last {
                last = b;
                runs.push(Run {
                    bucket: b as u32,
                    ..Run::default()
                });
            }
            let at = runs.len() - 1;
            let run = &mut runs[at];
            if k & CHAR_BLOCK == 0 {
                run.words += 1;
                if trace {
                    word_pos[emission(k)] = at as u32;
                }
            } else {
                // A repeated word's n-grams count once per occurrence.
                run.chars += char_mult[emission(k)];
                if trace {
                    char_pos[emission(k)] = at as u32;
                }
            }
        }
        // The IDF reads first, in a loop of their own: each is a likely cache
        // miss into a table of megabytes, and a loop this small lets the
        // processor have many of them in flight at once.
        for r in runs.iter_mut() {
            r.idf = idf(r.bucket as usize);
        }
        // Sublinear TF times IDF, each block normalized to unit length. The
        // squares are summed block by block in bucket order, and a bucket in
        // both blocks is the sum of its two values, as in
        // `Featurizer::vectorize`, so the vector is the same bit for bit.
        let (mut words_norm, mut chars_norm) = (0.0f32, 0.0f32);
        for r in runs.iter_mut() {
            let w = r.idf;
            if r.words > 0 {
                r.word_value = sublinear_tf(r.words) * w;
                words_norm += r.word_value * r.word_value;
            }
            if r.chars > 0 {
                r.char_value = sublinear_tf(r.chars) * w;
                chars_norm += r.char_value * r.char_value;
            }
        }
        let (words_norm, chars_norm) = (words_norm.sqrt(), chars_norm.sqrt());
        let unit = |v: f32, norm: f32| if norm > 0.0 { v / norm } else { v };
        // One extend per output from the slice of runs: its length is known,
        // so each reserves once and writes without a capacity check per
        // element (pushes in one loop paid three per bucket).
        vector.indices.clear();
        vector.values.clear();
        occurrences.clear();
        vector.indices.extend(runs.iter().map(|r| r.bucket));
        vector
            .values
            .extend(runs.iter().map(|r| match (r.words > 0, r.chars > 0) {
                (true, true) => unit(r.word_value, words_norm) + unit(r.char_value, chars_norm),
                (true, false) => unit(r.word_value, words_norm),
                _ => unit(r.char_value, chars_norm),
            }));
        if trace {
            occurrences.extend(runs.iter().map(|r| r.words + r.chars));
        }
    }

    /// Hashes every feature occurrence of one message into `ws.words` and
    /// `ws.chars`, in a fixed order, telling `sink` about each.
    ///
    ///
    /// A word seen before in the message emits no character n-grams of its
    /// own: its first occurrence's are counted once more in `ws.char_mult`
    /// (one entry per character-block emission), and the trace points at
    /// them. A message's repeated words (`the`, `you`, `your`) are some 28%
    /// of its n-grams in the bench input, and every emission costs its hash,
    /// its place in the sort and its run. Not for a sink that wants the
    /// spans of every n-gram ([`Sink::SPANS`]): there every emission is its
    /// own, and its multiplicity 1.
    fn emit<S: Sink>(&self, norm: &Normalized, tokens: &Tokens, ws: &mut Workspace, sink: &mut S) {
        let fold_repeats = !S::SPANS;
        let text = norm.text();
        let mask = (self.dim() - 1) as u64;
        let bucket = |h: u64| (h & mask) as u32;
        let (lo, hi) = (self.config.char_ngram_min, self.config.char_ngram_max);
        let Workspace {
            words,
            chars,
            shaped,
            prev,
            bigram,
            scratch,
            bounds,
            char_mult,
            repeats,
            ..
        } = ws;
        words.clear();
        chars.clear();
        char_mult.clear();
        if fold_repeats {
            repeats.reset(tokens.words.len());
        }
        let mut prev_start: Option<usize> = None;
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
                shape_word(piece, shaped);
            } else {
                fold_digits(piece, shaped);
            }
            let h = xxh3_64_with_seed(shaped.as_bytes(), SEED_WORD);
            words.push(bucket(h));
            sink.feature(
                FeatureFamily::Word,
                h,
                bucket(h),
                shaped,
                (tok.start, tok.end),
            );
            if tok.kind == TokenKind::Symbol {
                continue;
            }
            if self.config.word_bigrams {
                if let Some(pstart) = prev_start {
                    bigram.clear();
                    bigram.push_str(prev);
                    bigram.push(' ');
                    bigram.push_str(shaped);
                    let h = xxh3_64_with_seed(bigram.as_bytes(), SEED_BIGRAM);
                    words.push(bucket(h));
                    sink.feature(
                        FeatureFamily::Bigram,
                        h,
                        bucket(h),
                        bigram,
                        (pstart, tok.end),
                    );
                }
                prev.clear();
                prev.push_str(shaped);
                prev_start = Some(tok.start);
            }
            if tok.kind != TokenKind::Word {
                continue;
            }
            if fold_repeats {
                // `h` hashes `shaped`: the same word, the same hash.
                if let Some((from, to)) = repeats.find_or_insert(h, shaped, chars.len()) {
                    for m in &mut char_mult[from..to] {
                        *m += 1;
                    }
                    sink.word_chars(from..to);
                    continue;
                }
            }
            // Character n-grams of the word padded with a space each side,
            // its first MAX_WORD_CHARS characters only.
            let first = chars.len();
            if shaped.is_ascii() {
                // One byte per character: the n-grams are byte windows.
                let w = &shaped.as_bytes()[..shaped.len().min(MAX_WORD_CHARS)];
                let mut buf = [b' '; MAX_WORD_CHARS + 2];
                buf[1..=w.len()].copy_from_slice(w);
                let padded = &buf[..w.len() + 2];
                for n in lo..=hi.min(padded.len()) {
                    let at = chars.len();
                    ascii_grams(padded, n, mask, chars);
                    if S::SPANS {
                        for (s, &b) in chars[at..].iter().enumerate() {
                            sink.char_gram(b, (tok.start, tok.end), (s, s + n));
                        }
                    }
                }
            } else {
                scratch.clear();
                scratch.push(b' ');
                let mut end = shaped.len();
                if let Some((i, _)) = shaped.char_indices().nth(MAX_WORD_CHARS) {
                    end = i;
                }
                scratch.extend_from_slice(&shaped.as_bytes()[..end]);
                scratch.push(b' ');
                let padded = std::str::from_utf8(scratch).expect("a space, a string, a space");
                // `bounds[i]`: where character i of the padded word starts.
                bounds.clear();
                bounds.extend(padded.char_indices().map(|(i, _)| i));
                bounds.push(padded.len());
                let nchars = bounds.len() - 1;
                for n in lo..=hi.min(nchars) {
                    for s in 0..=(nchars - n) {
                        let gram = &scratch[bounds[s]..bounds[s + n]];
                        let b = bucket(xxh3_64_with_seed(gram, SEED_CHAR));
                        chars.push(b);
                        if S::SPANS {
                            sink.char_gram(b, (tok.start, tok.end), (bounds[s], bounds[s + n]));
                        }
                    }
                }
            }
            char_mult.resize(chars.len(), 1);
            if fold_repeats {
                repeats.end_last(chars.len());
            }
            sink.word_chars(first..chars.len());
        }
        for e in &tokens.entities {
            if e.kind == crate::tokenize::EntityKind::Cue && !self.config.cues {
                continue;
            }
            for f in &e.features {
                let h = xxh3_64_with_seed(f.as_bytes(), SEED_ENTITY);
                words.push(bucket(h));
                sink.feature(FeatureFamily::Entity, h, bucket(h), f, (e.start, e.end));
            }
        }
    }
}

/// The term counts of what [`Featurizer::emit`] left in `ws`, each block in
/// a vector of exactly its size (a trainer holds one per message).
fn counts_of(ws: &mut Workspace, bits: u32) -> TermCounts {
    let Workspace {
        words,
        chars,
        keys,
        spare,
        char_mult,
        ..
    } = ws;
    // `multiplicity(e)`: the occurrences emission `e` stands for.
    let mut runs = |emitted: &[u32], multiplicity: &dyn Fn(usize) -> u32| {
        sort_keys(&[emitted], bits, keys, spare);
        let mut out = Vec::new();
        for_each_run(keys, |b, run| {
            out.push((b, run.iter().map(|&k| multiplicity(emission(k))).sum()))
        });
        out.shrink_to_fit();
        out
    };
    TermCounts {
        words: runs(words, &|_| 1),
        chars: runs(chars, &|e| char_mult[e]),
    }
}

/// Documents per task of [`Featurizer::fit_idf`]: enough that a task's
/// counting outweighs the sum of its table into the others.
const DF_SLICE: usize = 16_384;

/// Makes `v` at least `n` long, leaving what it held (to be overwritten)
/// rather than zeroing it: these buffers are rewritten up to `n` for every
/// message, and only that prefix is read.
fn set_len(v: &mut Vec<u32>, n: usize) {
    if v.len() < n {
        v.resize(n, 0);
    }
}

/// Sublinear TF times IDF of each `(bucket, count)`, L2-normalized, into
/// `out` (which must start empty).
fn weigh(counts: &[(u32, u32)], out: &mut Vec<(u32, f32)>, idf: impl Fn(usize) -> f32) {
    out.extend(
        counts
            .iter()
            .map(|&(i, c)| (i, sublinear_tf(c) * idf(i as usize))),
    );
    let norm = out.iter().map(|&(_, x)| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, x) in out.iter_mut() {
            *x /= norm;
        }
    }
}

/// `1 + ln(count)`, from a table for the small counts almost every feature has.
///
/// The table holds the very values of the expression (computed by it, once),
/// so scores are bit for bit the same; skipping a `logf` call per bucket lets
/// the processor overlap more of the table reads that follow.
#[inline]
fn sublinear_tf(count: u32) -> f32 {
    static TABLE: std::sync::OnceLock<[f32; 64]> = std::sync::OnceLock::new();
    let slow = |c: u32| 1.0 + (c as f32).ln();
    match TABLE
        .get_or_init(|| std::array::from_fn(|c| slow(c as u32)))
        .get(count as usize)
    {
        Some(&v) => v,
        None => slow(count),
    }
}

/// The character n-grams of length `n` of an ASCII padded word, hashed.
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

/// Reusable buffers of [`Featurizer::vectorize_into`]: the hot path of the
/// [`Classifier`](crate::Classifier) keeps one per thread, so that a
/// message costs no allocation once the buffers have grown to its size.
///
/// After [`Featurizer::vectorize_into`] it holds the message's vector and,
/// when asked, its [`Trace`].
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    /// Word-block buckets in the order they were emitted.
    words: Vec<u32>,
    /// Character-block buckets in the order they were emitted.
    chars: Vec<u32>,
    /// Sort keys, `bucket << 32 | emission index`, and the sort's second buffer.
    keys: Vec<u64>,
    spare: Vec<u64>,
    /// The buckets of the message, in order, with their counts and values.
    runs: Vec<Run>,
    vector: SparseVector,
    /// Per emission of each block (with a trace): its position in `vector`
    /// (longer than the emissions: only their prefix is this message's).
    pub(crate) word_pos: Vec<u32>,
    pub(crate) char_pos: Vec<u32>,
    /// Per position of `vector` (with a trace): the occurrences that fell into it.
    pub(crate) occurrences: Vec<u32>,
    trace: Trace,
    traced: bool,
    shaped: String,
    prev: String,
    bigram: String,
    scratch: Vec<u8>,
    bounds: Vec<usize>,
    /// Per character-block emission: the occurrences of its word in the
    /// message (see [`Featurizer::emit`]).
    char_mult: Vec<u32>,
    repeats: Repeats,
}

/// The distinct words of one message with their character-block emissions,
/// to find a repeated word's n-grams.
///
/// Hand-written open addressing rather than a `HashMap<String, _>`: the key
/// is the word's feature hash, already computed, so a probe hashes nothing,
/// and the table is sized and cleared per message without allocating.
#[derive(Debug, Clone, Default)]
struct Repeats {
    /// Index + 1 into `words`, or 0 for an empty slot.
    slots: Vec<u32>,
    /// The distinct words, in order of first occurrence.
    words: Vec<SeenWord>,
    names: String,
}

/// A word of [`Repeats`].
#[derive(Debug, Clone, Copy)]
struct SeenWord {
    hash: u64,
    /// Byte range in [`Repeats::names`].
    name: (u32, u32),
    /// Its character-block emissions.
    emissions: (u32, u32),
}

impl Repeats {
    /// Empties the table for a message of `tokens` word tokens.
    fn reset(&mut self, tokens: usize) {
        let size = (2 * tokens).next_power_of_two().max(16);
        self.slots.clear();
        self.slots.resize(size, 0);
        self.words.clear();
        self.names.clear();
    }

    /// The emissions of `word` (hashed `hash`) if it was seen, or else
    /// records it as starting at emission `at`, to be ended by
    /// [`Repeats::end_last`].
    fn find_or_insert(&mut self, hash: u64, word: &str, at: usize) -> Option<(usize, usize)> {
        let mask = self.slots.len() - 1;
        // The top bits: the low ones are the word's bucket, which many
        // words of a message may share.
        let mut s = (hash >> 40) as usize & mask;
        while let Some(i) = self.slots[s].checked_sub(1) {
            let w = self.words[i as usize];
            let (start, end) = (w.name.0 as usize, w.name.1 as usize);
            if w.hash == hash && &self.names.as_bytes()[start..end] == word.as_bytes() {
                return Some((w.emissions.0 as usize, w.emissions.1 as usize));
            }
            s = (s + 1) & mask;
        }
        let start = self.names.len() as u32;
        self.names.push_str(word);
        self.words.push(SeenWord {
            hash,
            name: (start, self.names.len() as u32),
            emissions: (at as u32, at as u32),
        });
        self.slots[s] = self.words.len() as u32;
        None
    }

    /// Ends the emissions of the word last inserted at `end`.
    fn end_last(&mut self, end: usize) {
        if let Some(w) = self.words.last_mut() {
            w.emissions.1 = end as u32;
        }
    }

    fn capacity_bytes(&self) -> usize {
        4 * self.slots.capacity()
            + std::mem::size_of::<SeenWord>() * self.words.capacity()
            + self.names.capacity()
    }
}

impl Workspace {
    /// The vector of the last message.
    pub fn vector(&self) -> &SparseVector {
        &self.vector
    }

    /// The trace of the last message, if it was asked for.
    pub fn trace(&self) -> Option<&Trace> {
        self.traced.then_some(&self.trace)
    }

    /// Bytes held by the buffers, to drop a workspace a huge message grew.
    pub(crate) fn capacity_bytes(&self) -> usize {
        4 * (self.words.capacity() + self.chars.capacity())
            + 8 * (self.keys.capacity() + self.spare.capacity())
            + std::mem::size_of::<Run>() * self.runs.capacity()
            + 8 * self.vector.indices.capacity()
            + 4 * (self.word_pos.capacity() + self.char_pos.capacity())
            + 4 * self.occurrences.capacity()
            + 4 * self.char_mult.capacity()
            + self.repeats.capacity_bytes()
            + self.trace.capacity_bytes()
    }
}

/// Where the feature occurrences of one message came from, compactly: what
/// explanations group into reasons.
///
/// One item per word, bigram and entity feature occurrence, and one per word
/// for all its character n-grams, in the order the featurizer emits them.
/// [`FeatureTrace`] is the same information one occurrence at a time.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    pub(crate) items: Vec<TraceItem>,
    names: String,
    /// Word-block emissions so far.
    words: u32,
    /// The last item of family [`FeatureFamily::Word`].
    last_word: Option<usize>,
}

/// One item of a [`Trace`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TraceItem {
    pub(crate) family: FeatureFamily,
    /// A hash of the name (the same name, the same hash), so that grouping
    /// items by name need not hash the name again.
    pub(crate) hash: u64,
    /// Byte range of the name in [`Trace::names`].
    pub(crate) name: (u32, u32),
    /// Byte span in the normalized text.
    pub(crate) span: (usize, usize),
    /// The emissions it covers: one in the word block, or (for
    /// [`FeatureFamily::Chars`]) a range of the character block, which for
    /// a word repeated in the message is its first occurrence's range.
    pub(crate) emissions: (u32, u32),
}

impl Trace {
    /// Empties the trace, keeping its buffers.
    pub(crate) fn clear(&mut self) {
        self.items.clear();
        self.names.clear();
        self.words = 0;
        self.last_word = None;
    }

    /// The name of an item (the word, bigram or entity feature, or for
    /// character n-grams the word they were taken from), from its byte range.
    pub(crate) fn name_at(&self, (start, end): (u32, u32)) -> &str {
        &self.names[start as usize..end as usize]
    }

    /// [`Trace::name_at`] as bytes, to compare names without the checks of
    /// string slicing.
    pub(crate) fn name_bytes(&self, (start, end): (u32, u32)) -> &[u8] {
        &self.names.as_bytes()[start as usize..end as usize]
    }

    /// Adds an item covering `emissions`: one of the word block, or a range
    /// of the character block for [`FeatureFamily::Chars`]. `hash` must be
    /// the same for the same name within a trace.
    pub(crate) fn push(
        &mut self,
        family: FeatureFamily,
        hash: u64,
        name: &str,
        span: (usize, usize),
        emissions: (u32, u32),
    ) {
        let start = self.names.len() as u32;
        self.names.push_str(name);
        if family == FeatureFamily::Word {
            self.last_word = Some(self.items.len());
        }
        self.items.push(TraceItem {
            family,
            hash,
            name: (start, self.names.len() as u32),
            span,
            emissions,
        });
    }

    /// Adds an item for the character-block `emissions` of the last word
    /// item (nothing for an empty range or without a word item).
    pub(crate) fn push_chars(&mut self, emissions: std::ops::Range<usize>) {
        let Some(word) = self.last_word.map(|i| self.items[i]) else {
            return;
        };
        if emissions.is_empty() {
            return;
        }
        self.items.push(TraceItem {
            family: FeatureFamily::Chars,
            hash: word.hash,
            name: word.name,
            span: word.span,
            emissions: (emissions.start as u32, emissions.end as u32),
        });
    }

    /// Extends the last item, a character-block one, by one emission.
    pub(crate) fn extend_chars(&mut self) {
        if let Some(last) = self.items.last_mut() {
            debug_assert_eq!(last.family, FeatureFamily::Chars);
            last.emissions.1 += 1;
        }
    }

    /// The number of items.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::featurize::{Featurizer, FeaturizerConfig, Workspace};
    /// use scamscan::{normalize::Normalizer, tokenize::Tokenizer};
    /// let norm = Normalizer::default().normalize("verify now");
    /// let tokens = Tokenizer::new()?.tokenize(norm.text())?;
    /// let mut ws = Workspace::default();
    /// Featurizer::new(FeaturizerConfig::default(), None).unwrap().vectorize_into(&norm, &tokens, &mut ws, true);
    /// // Two words, their n-grams (one item each), one bigram.
    /// assert_eq!(ws.trace().unwrap().len(), 5);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when the trace has no item.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn capacity_bytes(&self) -> usize {
        self.items.capacity() * std::mem::size_of::<TraceItem>() + self.names.capacity()
    }
}

/// What the featurizer tells about each occurrence it emits.
trait Sink {
    /// Whether [`Sink::char_gram`] is wanted (it costs a call per n-gram).
    const SPANS: bool = false;
    /// A word-block feature (word, bigram or entity), in emission order,
    /// with its hash before the bucket was taken from it.
    fn feature(
        &mut self,
        _family: FeatureFamily,
        _hash: u64,
        _bucket: u32,
        _name: &str,
        _span: (usize, usize),
    ) {
    }
    /// One character n-gram of the token spanning `token`, covering bytes
    /// `padded` of the word padded with a space on each side.
    fn char_gram(&mut self, _bucket: u32, _token: (usize, usize), _padded: (usize, usize)) {}
    /// The range of character-block emissions of the word just emitted.
    fn word_chars(&mut self, _emissions: std::ops::Range<usize>) {}
}

/// Records nothing: training and scoring without reasons.
struct NoTrace;
impl Sink for NoTrace {}

/// Records a [`FeatureTrace`] per occurrence.
struct FullTrace<'a>(&'a mut Vec<FeatureTrace>);

impl Sink for FullTrace<'_> {
    const SPANS: bool = true;

    fn feature(
        &mut self,
        family: FeatureFamily,
        _: u64,
        bucket: u32,
        name: &str,
        span: (usize, usize),
    ) {
        self.0.push(FeatureTrace {
            bucket,
            family,
            name: name.to_string(),
            span,
        });
    }

    fn char_gram(&mut self, bucket: u32, (start, end): (usize, usize), (lo, hi): (usize, usize)) {
        // Map the n-gram back onto the token (padding spaces excluded).
        let len = end - start;
        let lo = start + lo.saturating_sub(1).min(len);
        let hi = start + hi.saturating_sub(1).min(len);
        // No name: explanations group n-grams by their word.
        self.0.push(FeatureTrace {
            bucket,
            family: FeatureFamily::Chars,
            name: String::new(),
            span: (lo, hi.max(lo)),
        });
    }
}

impl Sink for Trace {
    fn feature(
        &mut self,
        family: FeatureFamily,
        hash: u64,
        _: u32,
        name: &str,
        span: (usize, usize),
    ) {
        let at = self.words;
        self.words += 1;
        self.push(family, hash, name, span, (at, at + 1));
    }

    fn word_chars(&mut self, emissions: std::ops::Range<usize>) {
        self.push_chars(emissions);
    }
}

/// One bucket of a message: its occurrences in each block and its weight
/// in each (before normalization).
#[derive(Debug, Clone, Copy, Default)]
struct Run {
    bucket: u32,
    idf: f32,
    words: u32,
    chars: u32,
    word_value: f32,
    char_value: f32,
}

/// The bit of a sort key set for the second block (the character n-grams).
const CHAR_BLOCK: u64 = 1 << 31;

/// The emission index (within its block) in a sort key.
fn emission(key: u64) -> usize {
    (key & (CHAR_BLOCK - 1)) as usize
}

/// Sorts the emitted buckets of one or two blocks into `keys` as `bucket <<
/// 32 | block flag | emission index`: by bucket; within a bucket, the first
/// block's occurrences then the second's, each in emission order. Every
/// bucket must be below `2^bits` (the featurizer's bucket count).
///
/// An LSD radix sort on the bucket bits only (the emission index is already
/// in order, and the sort is stable), in as few passes of at most 9 bits as
/// `bits` needs; short blocks use a comparison sort. The keys are built and
/// the first two passes' histograms counted in one read of the blocks.
///
/// Hand-written because std has no radix sort, and this one, about four
/// character n-grams per character of every message, was the featurizer's
/// largest cost: on a thousand 18-bit ids two counting passes beat a
/// comparison sort several times over.
fn sort_keys(blocks: &[&[u32]], bits: u32, keys: &mut Vec<u64>, spare: &mut Vec<u64>) {
    debug_assert!(bits <= 32);
    debug_assert!(blocks
        .iter()
        .flat_map(|b| b.iter())
        .all(|&b| bits == 32 || b >> bits == 0));
    keys.clear();
    let n: usize = blocks.iter().map(|b| b.len()).sum();
    let key = |flag: u64| move |(i, &b): (usize, &u32)| (b as u64) << 32 | flag | i as u64;
    let flag = |block: usize| if block == 0 { 0 } else { CHAR_BLOCK };
    if n < 64 || bits == 0 {
        for (block, emitted) in blocks.iter().enumerate() {
            keys.extend(emitted.iter().enumerate().map(key(flag(block))));
        }
        // Keys are distinct, so an unstable sort is stable here.
        keys.sort_unstable();
        return;
    }
    // Digits of at most 9 bits: two passes for the usual 18-bit buckets,
    // with histograms small enough to stay in the L1 cache.
    let passes = bits.div_ceil(9) as usize;
    let digit = bits.div_ceil(passes as u32);
    let radix = 1usize << digit;
    let mask = (radix - 1) as u64;
    let digit_of = |k: u64, p: usize| ((k >> (32 + p as u32 * digit)) & mask) as usize & 511;
    let mut hist = [[0u32; 512]; 2];
    for (block, emitted) in blocks.iter().enumerate() {
        let key = key(flag(block));
        keys.extend(emitted.iter().enumerate().map(|e| {
            let k = key(e);
            hist[0][digit_of(k, 0)] += 1;
            hist[1][digit_of(k, 1)] += 1;
            k
        }));
    }
    if spare.len() < n {
        spare.resize(n, 0);
    }
    let (mut from, mut to) = (&mut keys[..], &mut spare[..n]);
    for p in 0..passes {
        let mut start = if p < 2 { hist[p] } else { [0u32; 512] };
        if p >= 2 {
            for &k in from.iter() {
                start[digit_of(k, p)] += 1;
            }
        }
        let mut sum = 0;
        for c in start[..radix].iter_mut() {
            let n = *c;
            *c = sum;
            sum += n;
        }
        for &k in from.iter() {
            let d = digit_of(k, p);
            to[start[d] as usize] = k;
            start[d] += 1;
        }
        std::mem::swap(&mut from, &mut to);
    }
    if passes % 2 == 1 {
        // The sorted keys are in `spare`.
        std::mem::swap(keys, spare);
        keys.truncate(n);
    }
}

/// Calls `f(bucket, run)` for each run of sorted keys with the same bucket.
fn for_each_run(keys: &[u64], mut f: impl FnMut(u32, &[u64])) {
    let mut start = 0;
    while start < keys.len() {
        let b = keys[start] >> 32;
        let mut end = start + 1;
        while end < keys.len() && keys[end] >> 32 == b {
            end += 1;
        }
        f(b as u32, &keys[start..end]);
        start = end;
    }
}

/// Merges two blocks sorted by bucket into `out`, summing a bucket present
/// in both; `visit(a_entry, b_entry)` is told which entries made each entry
/// of `out`, in order.
fn merge(
    a: &[(u32, f32)],
    b: &[(u32, f32)],
    out: &mut SparseVector,
    mut visit: impl FnMut(Option<usize>, Option<usize>),
) {
    out.indices.clear();
    out.values.clear();
    out.indices.reserve(a.len() + b.len());
    out.values.reserve(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let take_a = j >= b.len() || (i < a.len() && a[i].0 < b[j].0);
        let take_b = i >= a.len() || (j < b.len() && b[j].0 < a[i].0);
        let (idx, val) = if take_a {
            visit(Some(i), None);
            i += 1;
            a[i - 1]
        } else if take_b {
            visit(None, Some(j));
            j += 1;
            b[j - 1]
        } else {
            visit(Some(i), Some(j));
            i += 1;
            j += 1;
            (a[i - 1].0, a[i - 1].1 + b[j - 1].1)
        };
        out.indices.push(idx);
        out.values.push(val);
    }
}

/// `piece` with ASCII digits folded to `0`, into `out`.
fn fold_digits(piece: &str, out: &mut String) {
    if !piece.bytes().any(|b| b.is_ascii_digit()) {
        out.push_str(piece);
        return;
    }
    out.extend(
        piece
            .chars()
            .map(|c| if c.is_ascii_digit() { '0' } else { c }),
    );
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
        fold_digits(piece, out);
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
    fn bucket_sort_sorts_stably() {
        let (mut keys, mut spare) = (Vec::new(), Vec::new());
        for n in [0usize, 1, 5, 127, 128, 255, 256, 1000, 5000] {
            for bits in [1u32, 9, 18, 22, 24, 32] {
                // A deterministic spread of ids, with repeats.
                let v: Vec<u32> = (0..n as u64)
                    .map(|i| {
                        let x = (i * 2_654_435_761 + i / 3) as u32 / ((i % 3 + 1) as u32);
                        if bits == 32 {
                            x
                        } else {
                            x % (1 << bits)
                        }
                    })
                    .collect();
                let mut want: Vec<(u32, usize)> = v.iter().copied().zip(0..).collect();
                want.sort(); // by bucket, then emission
                sort_keys(&[&v], bits, &mut keys, &mut spare);
                let got: Vec<(u32, usize)> = keys
                    .iter()
                    .map(|&k| ((k >> 32) as u32, emission(k)))
                    .collect();
                assert_eq!(got, want, "n = {n}, bits = {bits}");
                // Two blocks: by bucket, the first block's before the second's.
                let (a, b) = v.split_at(n / 3);
                let mut want: Vec<(u32, u64, usize)> = a
                    .iter()
                    .enumerate()
                    .map(|(i, &x)| (x, 0, i))
                    .chain(b.iter().enumerate().map(|(i, &x)| (x, 1, i)))
                    .collect();
                want.sort();
                sort_keys(&[a, b], bits, &mut keys, &mut spare);
                let got: Vec<(u32, u64, usize)> = keys
                    .iter()
                    .map(|&k| ((k >> 32) as u32, (k & CHAR_BLOCK) >> 31, emission(k)))
                    .collect();
                assert_eq!(got, want, "two blocks, n = {n}, bits = {bits}");
            }
        }
    }

    #[test]
    fn merge_sums_collisions_and_keeps_order() {
        let mut v = SparseVector::default();
        let mut from = Vec::new();
        merge(
            &[(1, 1.0), (5, 2.0)],
            &[(0, 0.5), (5, 1.0), (9, 3.0)],
            &mut v,
            |a, b| from.push((a, b)),
        );
        assert_eq!(v.indices, [0, 1, 5, 9]);
        assert_eq!(v.values, [0.5, 1.0, 3.0, 3.0]);
        assert_eq!(
            from,
            [
                (None, Some(0)),
                (Some(0), None),
                (Some(1), Some(1)),
                (None, Some(2))
            ]
        );
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
    fn idf_counted_in_slices_is_the_plain_count() {
        // More documents than one task's slice, buckets repeating across them.
        let config = FeaturizerConfig {
            buckets_log2: 10,
            ..Default::default()
        };
        let docs: Vec<TermCounts> = (0..2 * DF_SLICE + 777)
            .map(|i| TermCounts {
                words: vec![((i % 7) as u32, 1), (100 + (i % 300) as u32, 2)],
                chars: vec![(500 + (i % 13) as u32, 1)],
            })
            .collect();
        let mut f = Featurizer::new(config, None).unwrap();
        f.fit_idf(&docs);
        let mut df = vec![0u32; 1024];
        for d in &docs {
            for &(b, _) in d.words.iter().chain(&d.chars) {
                df[b as usize] += 1;
            }
        }
        let n = docs.len() as f64;
        for (b, &d) in df.iter().enumerate() {
            let want = (((1.0 + n) / (1.0 + d as f64)).ln() + 1.0) as f32;
            assert_eq!(f.idf()[b].to_bits(), want.to_bits(), "bucket {b}");
        }
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
