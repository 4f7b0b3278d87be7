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
//! Features are hashed (stable across runs, platforms and releases; see
//! [`Hashing`]) into `2^buckets_log2` buckets. Nothing dense is built: a
//! message is a sorted list of `(bucket, value)` pairs.

mod emit;
mod hashing;
mod shape;
mod sort;
mod trace;
mod workspace;

pub use hashing::Hashing;
use shape::fold_digits;
pub(crate) use shape::shape_word;
pub use trace::Trace;
pub(crate) use trace::TraceItem;
pub use workspace::Workspace;

use crate::normalize::Normalized;
use crate::sparse::SparseVector;
use crate::tokenize::{TokenKind, Tokens};
use emit::{FullTrace, NoTrace};
use rayon::prelude::*;
use sort::{CHAR_BLOCK, emission, for_each_run, merge, sort_keys};
use workspace::Run;

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
    /// How feature names are hashed into buckets.
    ///
    /// [`Hashing::Xxh3`] when missing from a stored model: the scheme of
    /// models trained before this field existed. Written only when it is
    /// another scheme, so that an xxh3 model's file is the bytes it was
    /// before the field existed.
    #[serde(
        default = "Hashing::legacy",
        skip_serializing_if = "Hashing::is_legacy"
    )]
    pub hashing: Hashing,
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
            hashing: Hashing::Xxh3,
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
                ));
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
        self.vectorize_into_with(norm, tokens, ws, |i| self.idf[i]);
        if trace {
            self.trace_into(norm, tokens, ws);
        }
    }

    /// The number of bits of a bucket index (the radix sort's key width).
    fn bucket_bits(&self) -> u32 {
        u32::from(self.config.buckets_log2)
    }

    /// The word `piece`, a token of kind `kind` with an ASCII digit, as the
    /// model sees it, written into `shaped`: words with leetspeak read as
    /// letters (when unmasking), anything else with its digits folded.
    fn shape_into<'a>(&self, piece: &str, kind: TokenKind, shaped: &'a mut String) -> &'a str {
        shaped.clear();
        if self.config.unmask && kind == TokenKind::Word {
            shape_word(piece, shaped);
        } else {
            fold_digits(piece, shaped);
        }
        shaped
    }

    /// [`Featurizer::vectorize_into`] with the IDF weights read through
    /// `idf` (the same values, from a table laid out for the hot path), and
    /// no trace: [`Featurizer::trace_into`] adds one afterwards, for the
    /// messages that turn out to need it.
    // Never inlined, so that a profile (`scripts/profile.sh`) can name the
    // stage: a call per message costs nothing next to its work, and when
    // the compiler inlined it the stage's cost vanished into its caller's.
    #[inline(never)]
    pub(crate) fn vectorize_into_with(
        &self,
        norm: &Normalized,
        tokens: &Tokens,
        ws: &mut Workspace,
        idf: impl Fn(usize) -> f32 + Copy,
    ) {
        self.emit(norm, tokens, ws, &mut NoTrace);
        ws.traced = false;
        let Workspace {
            words,
            chars,
            keys,
            spare,
            ..
        } = ws;
        // Both blocks in one sort: a bucket's word-block occurrences, then
        // its character-block ones, each in emission order.
        sort_keys(&[words, chars], self.bucket_bits(), keys, spare);
        weigh_sorted(ws, idf);
    }

    /// Turns the message last vectorized in `ws` into its language-free
    /// evidence: its entity and cue features alone, with neither words,
    /// bigrams nor character n-grams. The vector, and the trace
    /// [`Featurizer::trace_into`] then builds, are those of vectorizing the
    /// message with no word tokens, bit for bit, without tokenizing,
    /// shaping or hashing again: the entities are the word block's last
    /// emissions, already hashed into their buckets.
    ///
    /// The classifier's path for a message whose words the model cannot
    /// read (see [`Classifier::classify`](crate::Classifier::classify)).
    // Never inlined, so that `scripts/profile.sh` can name it.
    #[inline(never)]
    pub(crate) fn evidence_into(&self, ws: &mut Workspace, idf: impl Fn(usize) -> f32 + Copy) {
        let Workspace {
            words,
            chars,
            keys,
            spare,
            emitted,
            char_mult,
            entities_from,
            traced,
            ..
        } = ws;
        // A message's few entity emissions: sorting them again costs less
        // than picking their keys out of the message's thousand.
        words.drain(..*entities_from);
        chars.clear();
        char_mult.clear();
        emitted.clear();
        *entities_from = 0;
        *traced = false;
        sort_keys(&[words], self.bucket_bits(), keys, spare);
        weigh_sorted(ws, idf);
    }
    /// Adds the explanation trace of the message last vectorized in `ws`
    /// (from `norm` and `tokens`, the same ones): where each feature
    /// occurrence came from, and its position in the vector.
    ///
    /// Separate from vectorizing because most messages need no
    /// explanation (the classifier explains flagged and unsure messages
    /// only, by default): the trace is built only for those, from what the
    /// vectorization recorded (each token's word hash and n-gram range, the
    /// sorted keys), without hashing or sorting again. The trace is the one
    /// the emission would have recorded, item for item.
    // Never inlined, so that `scripts/profile.sh` can name it.
    #[inline(never)]
    pub(crate) fn trace_into(&self, norm: &Normalized, tokens: &Tokens, ws: &mut Workspace) {
        let text = norm.text();
        let Workspace {
            words,
            chars,
            keys,
            runs,
            word_pos,
            char_pos,
            occurrences,
            emitted,
            trace,
            traced,
            shaped,
            bigram,
            ..
        } = ws;
        trace.clear();
        *traced = true;
        // The previous word's name (a range of the trace's names), start
        // and hash, for its bigram with the next.
        let mut last: Option<((u32, u32), usize, u64)> = None;
        for e in emitted.iter() {
            let tok = tokens.words[e.token as usize];
            let piece = &text[tok.start..tok.end];
            let name = if e.plain {
                piece
            } else {
                self.shape_into(piece, tok.kind, shaped)
            };
            let word = trace.push_word(e.hash, name, (tok.start, tok.end));
            if tok.kind == TokenKind::Symbol {
                continue;
            }
            if self.config.word_bigrams {
                if let Some((prev, start, hash)) = last {
                    bigram.clear();
                    bigram.push_str(trace.name_at(prev));
                    bigram.push(' ');
                    bigram.push_str(name);
                    // A hash of the bigram's name for grouping reasons, the
                    // same whatever the model's hashing scheme.
                    let h = hashing::name_pair(hash, e.hash);
                    trace.push_word_block(FeatureFamily::Bigram, h, bigram, (start, tok.end));
                }
                last = Some((word, tok.start, e.hash));
            }
            if tok.kind == TokenKind::Word {
                trace.push_chars(e.chars.0 as usize..e.chars.1 as usize);
            }
        }
        for e in &tokens.entities {
            if e.kind == crate::tokenize::EntityKind::Cue && !self.config.cues {
                continue;
            }
            for f in &e.features {
                let h = xxhash_rust::xxh3::xxh3_64(f.as_bytes());
                trace.push_word_block(FeatureFamily::Entity, h, f, (e.start, e.end));
            }
        }
        debug_assert_eq!(trace.word_emissions(), words.len());
        set_len(word_pos, words.len());
        set_len(char_pos, chars.len());
        // The position of each emission is its bucket's run.
        let mut at = usize::MAX;
        let mut last = u64::MAX;
        for &k in keys.iter() {
            let b = k >> 32;
            if b != last {
                last = b;
                at = at.wrapping_add(1);
            }
            if k & CHAR_BLOCK == 0 {
                word_pos[emission(k)] = at as u32;
            } else {
                char_pos[emission(k)] = at as u32;
            }
        }
        occurrences.clear();
        occurrences.extend(runs.iter().map(|r| r.words + r.chars));
    }
}

/// Counts, weighs and normalizes the keys `ws` holds sorted (see
/// [`sort_keys`]) into its runs and vector.
fn weigh_sorted(ws: &mut Workspace, idf: impl Fn(usize) -> f32 + Copy) {
    let Workspace {
        keys,
        runs,
        vector,
        char_mult,
        ..
    } = ws;
    // Per bucket: its counts in each block. One pass over the sorted
    // keys: a key opens a run when its bucket differs from the last
    // one's, and counts in its block's column. (Finding each run's end
    // and then its block split by a binary search read the keys twice.)
    runs.clear();
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
        } else {
            // A repeated word's n-grams count once per occurrence.
            run.chars += char_mult[emission(k)];
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
    vector.indices.extend(runs.iter().map(|r| r.bucket));
    vector
        .values
        .extend(runs.iter().map(|r| match (r.words > 0, r.chars > 0) {
            (true, true) => unit(r.word_value, words_norm) + unit(r.char_value, chars_norm),
            (true, false) => unit(r.word_value, words_norm),
            _ => unit(r.char_value, chars_norm),
        }));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::Normalizer;
    use crate::tokenize::Tokenizer;

    /// The term counts of `text` with the default configuration (the
    /// emission tests use it too).
    pub(super) fn counts(text: &str, trace: Option<&mut Vec<FeatureTrace>>) -> TermCounts {
        let n = Normalizer::default().normalize(text);
        let t = Tokenizer::new().unwrap().tokenize(n.text()).unwrap();
        Featurizer::new(FeaturizerConfig::default(), None)
            .unwrap()
            .count(&n, &t, trace)
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
