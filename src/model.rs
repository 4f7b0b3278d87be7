//! A trained model and its on-disk form.
//!
//! A model directory holds:
//! * `model.bin`: the weights and everything needed to score;
//! * `tokenizer.json`: the `tokenizers` pipeline that defines tokenization;
//! * `README.md`: the model card.
//!
//! `model.bin` layout (all integers little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 8 | magic `SCAMSCAN` |
//! | 4 | format version (`2`; version `1` files load too) |
//! | 8 | header length `H` |
//! | 8 | payload length `P` |
//! | 8 | xxh3-64 of header and payload |
//! | H | header: JSON ([`Header`]) |
//! | P | payload: IDF, then the main head, then the category head, as f16; then the vocabulary bitmap as u64 words, if the header declares one; then, if the header declares them, the per-feature precisions (one byte per feature of each head) and the feedback section (see [`learned`](self#learning)) |
//!
//! Loading checks the magic, the version, the file size against
//! [`MAX_MODEL_BYTES`] before reading, the checksum, and that the dimensions in
//! the header match the payload length before allocating anything from them,
//! so a hostile file cannot make the loader allocate unbounded memory.
//!
//! # Learning
//!
//! Version 2 added two optional sections, for
//! [`Model::learn`](crate::Model::learn): the [`Precision`] of every weight
//! (how firmly the training data pinned it down), which the trainer
//! writes, and the [`Feedback`] a model learned from (hashed feature
//! vectors, ids, labels: never text) with the base model's values wherever
//! learning changed them. A version-1 file has neither; it loads and
//! scores as before, and `learn` refuses it with a message saying to
//! retrain.

use crate::calibrate::Calibration;
use crate::error::{Error, Result};
use crate::featurize::{Featurizer, FeaturizerConfig};
use crate::linear::SoftmaxRegression;
use crate::normalize::NormalizerConfig;
use crate::tokenize::Tokenizer;
use crate::vocabulary::Vocabulary;
use half::f16;
use half::slice::{HalfBitsSliceExt, HalfFloatSliceExt};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};
use std::path::Path;
use xxhash_rust::xxh3::xxh3_64;

mod learned;
pub(crate) use learned::known_languages;
pub use learned::{
    BaseState, Feedback, FeedbackHeader, FeedbackRow, HeadPrecision, MIN_PRECISION_FLOOR,
    Precision, PrecisionHeader, SparseWeights, legitimate_rows_by_language,
};

/// The magic bytes at the start of `model.bin`.
pub const MAGIC: &[u8; 8] = b"SCAMSCAN";
/// The format version this build writes; it reads this one and every
/// earlier one.
pub const FORMAT_VERSION: u32 = 2;
/// The largest `model.bin` accepted (64 MiB).
pub const MAX_MODEL_BYTES: u64 = 64 << 20;
/// The largest `tokenizer.json` accepted (4 MiB).
pub const MAX_TOKENIZER_BYTES: u64 = 4 << 20;
const MAX_HEADER_BYTES: u64 = 4 << 20;
const MIN_TEMPERATURE: f32 = 1e-3;
const MAX_TEMPERATURE: f32 = 1e3;
const MAX_OFFSET: f32 = 1e4;
const PREFIX: usize = 8 + 4 + 8 + 8 + 8;

/// How a model was trained: stored in the header and printed by `model info`.
///
/// Stored in the model so that a model file found on its own still tells
/// what data it learned from, and so how far to trust it on other data.
///
/// # Example
///
/// ```
/// let c = scamscan::Classifier::default();
/// let info = &c.model().training;
/// let ham: u64 = info.fit_counts.values().map(|per_label| per_label[scamscan::Label::Ham.index()]).sum();
/// assert!(ham > 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    /// Hyperparameters, as given to the trainer.
    pub params: serde_json::Value,
    /// Messages per source and label used to fit.
    pub fit_counts: std::collections::BTreeMap<String, [u64; 3]>,
    /// Messages per source and label used to calibrate.
    pub calibration_counts: std::collections::BTreeMap<String, [u64; 3]>,
    /// Scam messages with a category, per category, used to fit the category head.
    pub category_counts: std::collections::BTreeMap<String, u64>,
    /// Legitimate messages per language (the rows' `lang`, or the detected
    /// language of rows without one), fit and calibration rows together:
    /// a language with fewer than [`Calibration::min_language_rows`] is one
    /// the model cannot tell a legitimate message in.
    #[serde(default)]
    pub legitimate_by_language: std::collections::BTreeMap<String, u64>,
}

/// The JSON header of `model.bin`.
///
/// JSON, so that other tools can read a model's settings and provenance
/// without this crate (see the layout in the [module docs](self)).
///
/// # Example
///
/// ```
/// use scamscan::model::{Header, MAGIC};
/// let bytes = scamscan::Classifier::default().model().to_bytes()?;
/// assert_eq!(&bytes[..8], MAGIC);
/// let header_len = u64::from_le_bytes(bytes[12..20].try_into().unwrap()) as usize;
/// let header: Header = serde_json::from_slice(&bytes[36..36 + header_len]).unwrap();
/// assert_eq!(header.intercept.len(), 3);
/// # Ok::<(), scamscan::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Normalizer options.
    pub normalizer: NormalizerConfig,
    /// Featurizer options (and so the feature dimension).
    pub featurizer: FeaturizerConfig,
    /// log2 of the category head's feature dimension (features fold onto it).
    pub category_buckets_log2: u8,
    /// Intercepts of the main head (ham, spam, scam).
    pub intercept: Vec<f32>,
    /// Intercepts of the category head, one per category.
    pub category_intercept: Vec<f32>,
    /// Calibration map and thresholds.
    pub calibration: Calibration,
    /// How it was trained.
    pub training: TrainingInfo,
    /// log2 of the vocabulary bitmap's size in bits, when the model has one
    /// (models from before the vocabulary existed do not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vocabulary_bits_log2: Option<u8>,
    /// The precision section, when the model has one (version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<PrecisionHeader>,
    /// The feedback section, when the model learned from feedback (version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<FeedbackHeader>,
}

/// A trained model: everything [`crate::Classifier`] needs.
///
/// The fields are public so that tools can inspect a model, or swap a part
/// (a recalibration, say) without retraining.
///
/// # Example
///
/// ```
/// let c = scamscan::Classifier::default();
/// let model = c.model();
/// assert_eq!(model.head.n_classes(), scamscan::Label::ALL.len());
/// assert_eq!(model.category_head.n_classes(), scamscan::Category::ALL.len());
/// assert_eq!(model.head.dim(), model.featurizer.dim());
/// ```
#[derive(Debug, Clone)]
pub struct Model {
    /// Normalizer options.
    pub normalizer: NormalizerConfig,
    /// The tokenizer pipeline.
    pub tokenizer: Tokenizer,
    /// The featurizer with its IDF table.
    pub featurizer: Featurizer,
    /// The ham/spam/scam head.
    pub head: SoftmaxRegression,
    /// The scam-category head (its dimension may be smaller; features fold onto it).
    pub category_head: SoftmaxRegression,
    /// Calibration and thresholds.
    pub calibration: Calibration,
    /// How it was trained.
    pub training: TrainingInfo,
    /// The words seen in training, for [`Label::Unsure`](crate::Label::Unsure).
    pub vocabulary: Option<Vocabulary>,
    /// How firmly training pinned each weight down: what
    /// [`Model::learn`](crate::Model::learn) needs (`None` in models from
    /// before format version 2).
    pub precision: Option<Precision>,
    /// What the model learned from feedback, if it did.
    pub feedback: Option<Feedback>,
}

impl Model {
    /// Whether the model has enough legitimate training messages in
    /// language `lang` (an ISO 639-1 code, as [`crate::language::identify`]
    /// gives) to tell a legitimate message in it; always true for a model
    /// without a [`Calibration::min_language_rows`], and for a language it
    /// learned enough legitimate feedback rows of
    /// ([`LearnParams::language_rows`](crate::learn::LearnParams::language_rows)).
    ///
    /// ```
    /// let model = scamscan::Classifier::default().model().clone();
    /// assert!(model.knows_language("en"));
    /// ```
    pub fn knows_language(&self, lang: &str) -> bool {
        let min = self.calibration.min_language_rows as u64;
        min == 0
            || self.feedback.as_ref().is_some_and(|f| {
                f.languages
                    .binary_search_by(|l| l.as_str().cmp(lang))
                    .is_ok()
            })
            || self
                .training
                .legitimate_by_language
                .get(lang)
                .copied()
                .unwrap_or(0)
                >= min
    }

    /// Every language [`Model::knows_language`] says yes to, sorted; `None`
    /// when it says yes to all (no
    /// [`Calibration::min_language_rows`]). The languages it could say yes
    /// to are those of the training counts and of the learned feedback.
    pub fn known_languages(&self) -> Option<Vec<String>> {
        (self.calibration.min_language_rows > 0).then(|| {
            let training = self.training.legitimate_by_language.keys();
            let feedback = self.feedback.iter().flat_map(|f| &f.languages);
            let mut known: Vec<String> = training
                .chain(feedback)
                .filter(|l| self.knows_language(l))
                .cloned()
                .collect();
            known.sort();
            known.dedup();
            known
        })
    }

    /// Writes `model.bin` and `tokenizer.json` into `dir` (created if missing).
    /// The model card (`README.md`) is the trainer's to write.
    ///
    /// Weights are stored as f16; call [`Model::quantize`] first to score
    /// exactly as the saved model will.
    ///
    /// # Example
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let c = scamscan::Classifier::default();
    /// c.model().save(dir.path())?;
    /// assert!(dir.path().join("model.bin").is_file());
    /// assert!(dir.path().join("tokenizer.json").is_file());
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let bin = dir.join("model.bin");
        std::fs::write(&bin, self.to_bytes()?).map_err(|e| Error::io(&bin, e))?;
        let tok = dir.join("tokenizer.json");
        std::fs::write(&tok, self.tokenizer.to_json()?).map_err(|e| Error::io(&tok, e))?;
        Ok(())
    }

    /// Loads a model directory written by [`Model::save`].
    ///
    /// Both files are size-checked before they are read, so that pointing
    /// the loader at the wrong file cannot exhaust memory.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{Classifier, Model};
    /// let dir = tempfile::tempdir()?;
    /// let builtin = Classifier::default();
    /// builtin.model().save(dir.path())?;
    /// let loaded = Classifier::new(Model::load(dir.path())?);
    /// let text = "Congratulations, you won a $500 gift card";
    /// assert_eq!(loaded.classify(text), builtin.classify(text));
    /// assert!(Model::load("no/such/dir".as_ref()).is_err());
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn load(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            let what = if dir.exists() {
                "not a directory"
            } else {
                "no such directory"
            };
            return Err(Error::model(format!(
                "{what} (a model is a directory holding model.bin and tokenizer.json)"
            ))
            .with_path(dir));
        }
        let bin = read_bounded(&dir.join("model.bin"), MAX_MODEL_BYTES)?;
        let tok_path = dir.join("tokenizer.json");
        let tok = read_bounded(&tok_path, MAX_TOKENIZER_BYTES)?;
        let tokenizer = Tokenizer::from_json(&tok).map_err(|e| e.with_path(&tok_path))?;
        Model::from_bytes(&bin, tokenizer).map_err(|e| e.with_path(dir.join("model.bin")))
    }

    /// Serializes to the `model.bin` format.
    ///
    /// In memory, so that a model can be embedded (as the built-in one is)
    /// or sent elsewhere without a file.
    ///
    /// # Example
    ///
    /// ```
    /// let c = scamscan::Classifier::default();
    /// let bytes = c.model().to_bytes()?;
    /// assert!(bytes.starts_with(scamscan::model::MAGIC));
    /// assert!(bytes.len() as u64 <= scamscan::model::MAX_MODEL_BYTES);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let cdim = self.category_head.dim();
        if !cdim.is_power_of_two() || cdim > self.featurizer.dim() {
            return Err(Error::model(format!(
                "the category head has {cdim} rows: it must be a power of two no larger than the {} buckets",
                self.featurizer.dim()
            )));
        }
        let precision = self.precision.as_ref().map(Precision::encode);
        let feedback = self.feedback.as_ref().map(Feedback::encode).transpose()?;
        if feedback.is_some() && precision.is_none() {
            return Err(Error::model(
                "a model with feedback must have its precisions",
            ));
        }
        if let Some(p) = &self.precision
            && (p.head.features.len() != self.featurizer.dim() || p.category.features.len() != cdim)
        {
            return Err(Error::model(
                "the precisions do not match the heads' dimensions",
            ));
        }
        let header = Header {
            normalizer: self.normalizer.clone(),
            featurizer: self.featurizer.config().clone(),
            category_buckets_log2: cdim.trailing_zeros() as u8,
            intercept: self.head.intercept.to_vec(),
            category_intercept: self.category_head.intercept.to_vec(),
            calibration: self.calibration.clone(),
            training: self.training.clone(),
            vocabulary_bits_log2: self.vocabulary.as_ref().map(Vocabulary::bits_log2),
            precision: precision.as_ref().map(|(h, _)| h.clone()),
            feedback: feedback.as_ref().map(|(h, _)| h.clone()),
        };
        let header = serde_json::to_vec(&header).map_err(|e| Error::model(e.to_string()))?;
        let mut payload = Vec::new();
        for v in self
            .featurizer
            .idf()
            .iter()
            .chain(self.head.weights.iter())
            .chain(self.category_head.weights.iter())
        {
            payload.extend_from_slice(&f16::from_f32(*v).to_le_bytes());
        }
        for w in self.vocabulary.iter().flat_map(|v| v.bits()) {
            payload.extend_from_slice(&w.to_le_bytes());
        }
        let sections = precision.iter().map(|(_, b)| b);
        for bytes in sections.chain(feedback.iter().map(|(_, b)| b)) {
            payload.extend_from_slice(bytes);
        }
        let mut out = Vec::with_capacity(PREFIX + header.len() + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        let mut both = header;
        both.extend_from_slice(&payload);
        out.extend_from_slice(&xxh3_64(&both).to_le_bytes());
        out.extend_from_slice(&both);
        Ok(out)
    }

    /// Parses the `model.bin` format. Every failure is an [`Error`], never a panic.
    ///
    /// The tokenizer is passed in because it lives in its own file,
    /// `tokenizer.json`.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{tokenize::Tokenizer, Model};
    /// let c = scamscan::Classifier::default();
    /// let mut bytes = c.model().to_bytes()?;
    /// assert!(Model::from_bytes(&bytes, Tokenizer::new()?).is_ok());
    /// let last = bytes.len() - 1;
    /// bytes[last] ^= 1; // one flipped bit
    /// let err = Model::from_bytes(&bytes, Tokenizer::new()?).unwrap_err();
    /// assert!(err.to_string().contains("checksum"), "{err}");
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn from_bytes(bytes: &[u8], tokenizer: Tokenizer) -> Result<Self> {
        if bytes.len() < PREFIX {
            return Err(Error::model(format!(
                "truncated: {} bytes, not even a header",
                bytes.len()
            )));
        }
        if &bytes[..8] != MAGIC {
            return Err(Error::model("not a scamscan model (wrong magic bytes)"));
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if !(1..=FORMAT_VERSION).contains(&version) {
            return Err(Error::model(format!(
                "format version {version}, but this scamscan reads versions 1 to {FORMAT_VERSION}"
            )));
        }
        let hlen = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
        let plen = u64::from_le_bytes(bytes[20..28].try_into().expect("8 bytes"));
        let sum = u64::from_le_bytes(bytes[28..36].try_into().expect("8 bytes"));
        if hlen > MAX_HEADER_BYTES || hlen.checked_add(plen) != Some((bytes.len() - PREFIX) as u64)
        {
            return Err(Error::model(format!(
                "truncated or padded: header {hlen} + payload {plen} bytes declared, {} present",
                bytes.len() - PREFIX
            )));
        }
        let body = &bytes[PREFIX..];
        if xxh3_64(body) != sum {
            return Err(Error::model("checksum mismatch: the file is corrupt"));
        }
        let (hbytes, payload) = body.split_at(hlen as usize);
        let header: Header =
            serde_json::from_slice(hbytes).map_err(|e| Error::model(format!("header: {e}")))?;
        header.featurizer.validate().map_err(Error::model)?;
        let dim = header.featurizer.dim();
        let cat_log2 = header.category_buckets_log2;
        if !(8..=header.featurizer.buckets_log2).contains(&cat_log2) {
            return Err(Error::model(format!(
                "category_buckets_log2 {cat_log2} out of range"
            )));
        }
        let cdim = 1usize << cat_log2;
        let (k, kc) = (header.intercept.len(), header.category_intercept.len());
        if k != 3 || kc != crate::Category::ALL.len() {
            return Err(Error::model(format!(
                "expected 3 classes and 12 categories, found {k} and {kc}"
            )));
        }
        // JSON numbers too large for f32 parse as infinity, and a temperature
        // near zero divides the logits into infinities: either would make
        // probabilities NaN. Within these bounds (trained models are far
        // inside: T in [0.05, 20], offsets within ±30) every logit stays finite
        // whatever the message, since f16 weights are at most 65504 and
        // feature vectors are L2-normalized per block.
        let cal = &header.calibration;
        if !(MIN_TEMPERATURE..=MAX_TEMPERATURE).contains(&cal.temperature) {
            return Err(Error::model(format!(
                "calibration temperature {} is outside [{MIN_TEMPERATURE}, {MAX_TEMPERATURE}]",
                cal.temperature
            )));
        }
        if !(0.0..=1.0).contains(&cal.flag_threshold) {
            return Err(Error::model(format!(
                "flag threshold {} is not in [0, 1]",
                cal.flag_threshold
            )));
        }
        if cal
            .bias
            .iter()
            .chain(&header.intercept)
            .chain(&header.category_intercept)
            .any(|v| !(-MAX_OFFSET..=MAX_OFFSET).contains(v))
        {
            return Err(Error::model(format!(
                "an intercept or calibration offset is outside ±{MAX_OFFSET}"
            )));
        }
        let vocab_words = match header.vocabulary_bits_log2 {
            Some(b @ 10..=28) => (1usize << b) / 64,
            Some(b) => {
                return Err(Error::model(format!(
                    "vocabulary_bits_log2 {b} out of range"
                )));
            }
            None => 0,
        };
        if version < 2 && (header.precision.is_some() || header.feedback.is_some()) {
            return Err(Error::model(
                "a version-1 header declares version-2 sections",
            ));
        }
        if header.feedback.is_some() && header.precision.is_none() {
            return Err(Error::model(
                "feedback section without the precision section",
            ));
        }
        let weights_len = (dim + dim * k + cdim * kc) * 2;
        let precision_len = if header.precision.is_some() {
            dim + cdim
        } else {
            0
        };
        let feedback_len = header.feedback.as_ref().map_or(0, |f| f.bytes);
        let expected = (weights_len + vocab_words * 8 + precision_len) as u64;
        if payload.len() as u64 != expected.saturating_add(feedback_len) {
            return Err(Error::model(format!(
                "payload is {} bytes, the header implies {}",
                payload.len(),
                expected.saturating_add(feedback_len)
            )));
        }
        let (payload, rest) = payload.split_at(weights_len);
        let (vocab_bytes, rest) = rest.split_at(vocab_words * 8);
        let (precision_bytes, feedback_bytes) = rest.split_at(precision_len);
        let precision = header
            .precision
            .as_ref()
            .map(|h| Precision::decode(h, precision_bytes, dim))
            .transpose()?;
        let vocab_bits = (vocab_words * 64) as u64;
        let feedback = header
            .feedback
            .as_ref()
            .map(|h| Feedback::decode(h, feedback_bytes, dim, cdim, vocab_bits))
            .transpose()?;
        let vocabulary = match header.vocabulary_bits_log2 {
            Some(b) => {
                let bits = vocab_bytes
                    .chunks_exact(8)
                    .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
                    .collect();
                Some(Vocabulary::from_bits(b, bits).ok_or_else(|| Error::model("bad vocabulary"))?)
            }
            None => None,
        };
        // Converted in bulk (with the processor's f16 instructions where it
        // has them): this is most of the time it takes to load a model.
        let mut bits = vec![0u16; payload.len() / 2];
        for (b, c) in bits.iter_mut().zip(payload.chunks_exact(2)) {
            *b = u16::from_le_bytes([c[0], c[1]]);
        }
        // An f16 is infinite or NaN exactly when its exponent bits are all
        // set, and widening keeps it so, so the bits tell. A fold rather than
        // `any` (which stops early) lets the loop run on whole vector
        // registers: checking the widened f32s through chained iterators was
        // a tenth of a one-message run.
        if bits
            .iter()
            .fold(false, |bad, &b| bad | (b & 0x7C00 == 0x7C00))
        {
            return Err(Error::model("non-finite weight"));
        }
        let halves: &[f16] = bits.reinterpret_cast();
        let (idf, rest) = halves.split_at(dim);
        let (w, cw) = rest.split_at(dim * k);
        let widen = |h: &[f16]| {
            let mut v = vec![0.0f32; h.len()];
            h.convert_to_f32_slice(&mut v);
            v
        };
        let (idf, w, cw) = (widen(idf), widen(w), widen(&cw[..cdim * kc]));
        let featurizer =
            Featurizer::new(header.featurizer.clone(), Some(idf)).map_err(Error::model)?;
        let to_err = |e: ndarray::ShapeError| Error::model(e.to_string());
        Ok(Model {
            normalizer: header.normalizer,
            tokenizer,
            featurizer,
            head: SoftmaxRegression {
                weights: Array2::from_shape_vec((dim, k), w).map_err(to_err)?,
                intercept: Array1::from_vec(header.intercept),
            },
            category_head: SoftmaxRegression {
                weights: Array2::from_shape_vec((cdim, kc), cw).map_err(to_err)?,
                intercept: Array1::from_vec(header.category_intercept),
            },
            calibration: header.calibration,
            training: header.training,
            vocabulary,
            precision,
            feedback,
        })
    }

    /// Rounds every stored number to what `model.bin` keeps (f16), so that a
    /// freshly trained model scores exactly as it will after saving.
    ///
    /// # Example
    ///
    /// ```
    /// let c = scamscan::Classifier::default();
    /// let mut model = c.model().clone();
    /// model.quantize(); // a loaded model is already quantized: nothing changes
    /// assert_eq!(model.head, c.model().head);
    /// ```
    pub fn quantize(&mut self) {
        let q = |v: &mut f32| *v = f16::from_f32(*v).to_f32();
        let mut idf = self.featurizer.idf().to_vec();
        idf.iter_mut().for_each(q);
        self.featurizer.set_idf(idf);
        self.head.weights.iter_mut().for_each(q);
        self.category_head.weights.iter_mut().for_each(q);
    }
}

/// Reads a file, refusing one larger than `max` before reading it.
fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let len = f.metadata().map_err(|e| Error::io(path, e))?.len();
    if len > max {
        return Err(
            Error::model(format!("{len} bytes, larger than the {max}-byte limit")).with_path(path),
        );
    }
    let mut buf = Vec::with_capacity(len as usize);
    f.take(max + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(path, e))?;
    if buf.len() as u64 > max {
        return Err(Error::model(format!("larger than the {max}-byte limit")).with_path(path));
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small valid model: 1024 buckets, 256 for the category head.
    fn small_model() -> Model {
        let config = FeaturizerConfig {
            buckets_log2: 10,
            ..FeaturizerConfig::default()
        };
        let dim = config.dim();
        let categories = crate::Category::ALL.len();
        let mut m = Model {
            normalizer: NormalizerConfig::default(),
            tokenizer: Tokenizer::new().expect("the default tokenizer builds"),
            featurizer: Featurizer::new(config, Some(vec![1.5; dim]))
                .expect("a valid configuration"),
            head: SoftmaxRegression {
                weights: Array2::from_shape_fn((dim, 3), |(i, k)| {
                    ((i * 3 + k) % 7) as f32 * 0.1 - 0.3
                }),
                intercept: Array1::from_vec(vec![0.5, -0.2, -0.3]),
            },
            category_head: SoftmaxRegression {
                weights: Array2::from_elem((256, categories), -0.5),
                intercept: Array1::zeros(categories),
            },
            calibration: Calibration::default(),
            training: TrainingInfo::default(),
            vocabulary: None,
            precision: None,
            feedback: None,
        };
        m.quantize();
        m
    }

    /// A header field that would make every probability NaN is refused at load.
    #[test]
    fn calibration_and_intercepts_are_bounded() {
        let good = small_model();
        let tok = || good.tokenizer.clone();
        assert!(Model::from_bytes(&good.to_bytes().unwrap(), tok()).is_ok());
        type Breaker = fn(&mut Model);
        let cases: Vec<(&str, Breaker)> = vec![
            ("temperature", |m| m.calibration.temperature = 0.0),
            // JSON has no infinity: serde_json writes null, which does not parse as f32.
            ("header", |m| m.calibration.temperature = f32::INFINITY),
            ("temperature", |m| m.calibration.temperature = 1e-30),
            ("threshold", |m| m.calibration.flag_threshold = 1.5),
            ("offset", |m| m.calibration.bias[2] = 1e30),
            ("offset", |m| m.head.intercept[0] = f32::MAX),
            ("offset", |m| m.category_head.intercept[3] = -1e20),
        ];
        for (what, break_it) in cases {
            let mut m = good.clone();
            break_it(&mut m);
            let err = Model::from_bytes(&m.to_bytes().unwrap(), tok()).unwrap_err();
            assert!(err.to_string().contains(what), "{what}: {err}");
        }
    }

    /// A weight that is infinite or NaN once stored as f16 (anything past
    /// 65504 rounds to infinity) is refused in every block, and the
    /// largest finite f16 is not.
    #[test]
    fn non_finite_weights_are_refused_in_every_block() {
        let good = small_model();
        let tok = || good.tokenizer.clone();
        type Setter = fn(&mut Model, f32);
        let blocks: [(&str, Setter); 3] = [
            ("idf", |m, v| {
                let mut idf = m.featurizer.idf().to_vec();
                let last = idf.len() - 1;
                idf[last] = v;
                m.featurizer.set_idf(idf);
            }),
            ("head", |m, v| m.head.weights[[1, 2]] = v),
            ("category head", |m, v| {
                let last = m.category_head.weights.nrows() - 1;
                m.category_head.weights[[last, 11]] = v
            }),
        ];
        for (block, set) in blocks {
            for v in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e5] {
                let mut m = good.clone();
                set(&mut m, v);
                let err = Model::from_bytes(&m.to_bytes().unwrap(), tok()).unwrap_err();
                assert!(
                    err.to_string().contains("non-finite weight"),
                    "{block} {v}: {err}"
                );
            }
            let mut m = good.clone();
            set(&mut m, 65504.0);
            assert!(
                Model::from_bytes(&m.to_bytes().unwrap(), tok()).is_ok(),
                "{block}"
            );
        }
    }
}
