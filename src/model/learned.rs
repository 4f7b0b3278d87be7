//! What `learn` needs, as sections of `model.bin` (format version 2):
//!
//! * [`Precision`]: how firmly the training data pinned each weight down
//!   (the diagonal of the Fisher information, one value per feature and
//!   head, 8 bits each), written by the trainer;
//! * [`Feedback`]: the rows a model learned from (hashed feature vectors,
//!   ids, labels, sources: never their text) and the base model's values
//!   wherever learning changed them, so that every learning step can be
//!   re-derived from the base, and a row forgotten exactly.
//!
//! The feedback section is [postcard](https://docs.rs/postcard) (varint
//! integers; sorted indices stored as gaps, values as f16 bytes): a
//! thousand SMS-sized rows take about 2.5 MB.

use crate::calibrate::Calibration;
use crate::error::{Error, Result};
use crate::label::{Category, Label};
use crate::linear::Fisher;
use crate::sparse::SparseVector;
use half::f16;
use serde::{Deserialize, Serialize};

/// Codes per doubling of a stored precision: steps of 2^(1/8), so a stored
/// precision is within 4.4% of the computed one.
const STEPS_PER_OCTAVE: f64 = 8.0;
/// The smallest floor stored: a head trained without an L2 penalty still
/// gets a prior that keeps the weights of unseen features finite.
pub const MIN_PRECISION_FLOOR: f32 = 1e-4;
const MAX_PRECISION_FLOOR: f32 = 1e4;
/// The largest intercept precision accepted from a file (Σ w p (1 − p)
/// over a training set of a billion rows is below it).
const MAX_INTERCEPT_PRECISION: f32 = 1e12;

/// The prior precision of every weight of one head: `λ = floor + Fisher`,
/// the curvature of the training objective at the fitted weights.
///
/// # Example
///
/// ```
/// use scamscan::linear::Fisher;
/// use scamscan::model::HeadPrecision;
/// let fisher = Fisher { features: vec![0.0, 3.0, 5000.0], intercept: vec![900.0, 800.0] };
/// let p = HeadPrecision::from_fisher(&fisher, 0.01);
/// assert_eq!(p.features[0], 0.01); // unseen: only the L2 penalty
/// assert!((p.features[1] / 3.01 - 1.0).abs() < 0.045); // stored in 8 bits
/// assert!(p.features[2] > 4000.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct HeadPrecision {
    /// The precision of a weight the data said nothing about: the head's
    /// L2 penalty (at least [`MIN_PRECISION_FLOOR`]).
    pub floor: f32,
    /// One per feature, at least `floor`: `floor · 2^(code / 8)` for its
    /// stored 8-bit code.
    pub features: Vec<f32>,
    /// One per class (the intercepts are not penalised in training: this
    /// is their Fisher information alone).
    pub intercept: Vec<f32>,
}

impl HeadPrecision {
    /// The precision of a head fitted with L2 penalty `alpha`, from its
    /// [`Fisher`] information, rounded to what the model file stores.
    pub fn from_fisher(fisher: &Fisher, alpha: f64) -> Self {
        let floor = (alpha as f32).clamp(MIN_PRECISION_FLOOR, MAX_PRECISION_FLOOR);
        let codes: Vec<u8> = fisher
            .features
            .iter()
            .map(|&f| {
                let ratio = (f64::from(floor) + f.max(0.0)) / f64::from(floor);
                (ratio.log2() * STEPS_PER_OCTAVE).round().clamp(0.0, 255.0) as u8
            })
            .collect();
        let intercept = fisher
            .intercept
            .iter()
            .map(|&v| (v as f32).clamp(0.0, MAX_INTERCEPT_PRECISION))
            .collect();
        HeadPrecision::from_codes(floor, &codes, intercept)
    }

    fn from_codes(floor: f32, codes: &[u8], intercept: Vec<f32>) -> Self {
        let table: Vec<f32> = (0..=255u8)
            .map(|c| (f64::from(floor) * (f64::from(c) / STEPS_PER_OCTAVE).exp2()) as f32)
            .collect();
        HeadPrecision {
            floor,
            features: codes.iter().map(|&c| table[c as usize]).collect(),
            intercept,
        }
    }

    /// The 8-bit codes of the feature precisions.
    fn codes(&self) -> Vec<u8> {
        let floor = f64::from(self.floor);
        self.features
            .iter()
            .map(|&v| {
                ((f64::from(v) / floor).log2() * STEPS_PER_OCTAVE)
                    .round()
                    .clamp(0.0, 255.0) as u8
            })
            .collect()
    }
}

/// The per-weight precisions of both heads. Written by the trainer; what
/// [`Model::learn`](crate::Model::learn) needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Precision {
    /// The ham/spam/scam head.
    pub head: HeadPrecision,
    /// The category head.
    pub category: HeadPrecision,
}

/// One feedback row as a model keeps it: what learning needs of a
/// message, and nothing from which the message can be read back.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedbackRow {
    /// Its id (the input's, or one derived from a hash of the text).
    pub id: String,
    /// The source it was given under (`feedback` when none): feedback rows
    /// are weighed per source and label, as training weighs corpora.
    pub source: String,
    /// Its label (ham, spam or scam).
    pub label: Label,
    /// Its scam category, if given.
    pub category: Option<Category>,
    /// Its hashed feature vector, values rounded to f16.
    pub vector: SparseVector,
    /// Legitimate rows only: the hashed ids of its words in the vocabulary
    /// bitmap (see [`crate::vocabulary`]); empty otherwise.
    pub words: Vec<u32>,
    /// Legitimate rows only: its language (its `lang`, else the detected
    /// one, `und` when none can be told), which
    /// [`Model::knows_language`](crate::Model::knows_language) counts;
    /// empty otherwise.
    pub lang: String,
}

/// Weights of some rows of a head: `weights[r * k..][..k]` are row
/// `indices[r]`'s.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseWeights {
    /// Feature indices, strictly increasing.
    pub indices: Vec<u32>,
    /// `indices.len() × k` weights.
    pub weights: Vec<f32>,
}

/// The base model, where learning changed it.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseState {
    /// The ham/spam/scam intercepts.
    pub intercept: Vec<f32>,
    /// The category intercepts.
    pub category_intercept: Vec<f32>,
    /// The calibration (learning may raise the flag threshold).
    pub calibration: Calibration,
    /// The ham/spam/scam weights of the features the feedback has.
    pub head: SparseWeights,
    /// The category weights of the (folded) features of the feedback's
    /// scam rows with a category.
    pub category_head: SparseWeights,
    /// The vocabulary bits learning set, sorted.
    pub vocabulary_added: Vec<u32>,
}

/// What a model learned from feedback: the rows, sorted by id, and the
/// base model where they changed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Feedback {
    /// The feedback rows, sorted by id; ids are unique.
    pub rows: Vec<FeedbackRow>,
    /// The base model's values where learning changed them.
    pub base: BaseState,
    /// How the rows were learned (parameters, the threshold re-check), as
    /// `learn` reports it; shown by `model info`.
    pub info: serde_json::Value,
    /// The languages the feedback makes known
    /// ([`Model::knows_language`](crate::Model::knows_language)): those
    /// with at least [`LearnParams::language_rows`](crate::learn::LearnParams::language_rows)
    /// legitimate rows, sorted.
    pub languages: Vec<String>,
}

/// The legitimate rows per language among `rows`, leaving out rows whose
/// language is empty or could not be told (`und`): what decides which
/// languages feedback makes known ([`Feedback::languages`]).
///
/// # Example
///
/// ```
/// use scamscan::{model::{legitimate_rows_by_language, FeedbackRow}, Label};
/// let row = |label, lang: &str| FeedbackRow {
///     id: String::new(), source: String::new(), label, category: None,
///     vector: Default::default(), words: Vec::new(), lang: lang.into(),
/// };
/// let rows = [row(Label::Ham, "vi"), row(Label::Ham, "vi"), row(Label::Scam, "vi"), row(Label::Ham, "und")];
/// assert_eq!(legitimate_rows_by_language(&rows).into_iter().collect::<Vec<_>>(), [("vi", 2)]);
/// ```
pub fn legitimate_rows_by_language(
    rows: &[FeedbackRow],
) -> std::collections::BTreeMap<&str, usize> {
    let mut count = std::collections::BTreeMap::new();
    for r in rows.iter().filter(|r| r.label == Label::Ham) {
        if !r.lang.is_empty() && r.lang != "und" {
            *count.entry(r.lang.as_str()).or_default() += 1;
        }
    }
    count
}

/// The languages with at least `min` (at least 1) legitimate rows among
/// `rows`, sorted.
pub(crate) fn known_languages(rows: &[FeedbackRow], min: usize) -> Vec<String> {
    legitimate_rows_by_language(rows)
        .into_iter()
        .filter(|&(_, n)| n >= min.max(1))
        .map(|(l, _)| l.to_string())
        .collect()
}

/// The header fields of the precision section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrecisionHeader {
    /// The ham/spam/scam head's floor.
    pub floor: f32,
    /// Its intercept precisions.
    pub intercept: Vec<f32>,
    /// The category head's floor.
    pub category_floor: f32,
    /// Its intercept precisions.
    pub category_intercept: Vec<f32>,
}

/// The header fields of the feedback section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackHeader {
    /// Feedback rows.
    pub rows: u64,
    /// Bytes of the section in the payload.
    pub bytes: u64,
    /// The base model's ham/spam/scam intercepts.
    pub base_intercept: Vec<f32>,
    /// The base model's category intercepts.
    pub base_category_intercept: Vec<f32>,
    /// The base model's calibration.
    pub base_calibration: Calibration,
    /// How the rows were learned.
    pub info: serde_json::Value,
    /// [`Feedback::languages`]; absent in files from before it existed,
    /// whose every legitimate row's language counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub languages: Option<Vec<String>>,
}

#[derive(Serialize, Deserialize)]
struct RowBlob {
    id: String,
    source: String,
    label: u8,
    category: u8,
    indices: Vec<u32>,
    values: Vec<u8>,
    words: Vec<u32>,
    lang: String,
}

#[derive(Serialize, Deserialize)]
struct WeightsBlob {
    indices: Vec<u32>,
    weights: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct FeedbackBlob {
    rows: Vec<RowBlob>,
    head: WeightsBlob,
    category_head: WeightsBlob,
    vocabulary_added: Vec<u32>,
}

const NO_CATEGORY: u8 = u8::MAX;

/// Sorted indices as gaps (the first as itself): small numbers, which
/// postcard writes in one or two bytes.
fn gaps(sorted: &[u32]) -> Vec<u32> {
    let mut prev = 0;
    sorted
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let g = if i == 0 { v } else { v - prev };
            prev = v;
            g
        })
        .collect()
}

/// The indices back from [`gaps`]; strictly increasing and below `bound`,
/// or an error naming `what`.
fn ungap(gaps: &[u32], bound: u64, what: &str) -> Result<Vec<u32>> {
    let mut out = Vec::with_capacity(gaps.len());
    let mut prev: u64 = 0;
    for (i, &g) in gaps.iter().enumerate() {
        if i > 0 && g == 0 {
            return Err(Error::model(format!("feedback: {what}: repeated index")));
        }
        let v = if i == 0 {
            u64::from(g)
        } else {
            prev + u64::from(g)
        };
        if v >= bound {
            return Err(Error::model(format!(
                "feedback: {what}: index {v} beyond {bound}"
            )));
        }
        out.push(v as u32);
        prev = v;
    }
    Ok(out)
}

fn halves(values: &[f32]) -> Vec<u8> {
    values
        .iter()
        .flat_map(|&v| f16::from_f32(v).to_le_bytes())
        .collect()
}

fn widen(bytes: &[u8], n: usize, what: &str) -> Result<Vec<f32>> {
    if bytes.len() != n * 2 {
        return Err(Error::model(format!(
            "feedback: {what}: {} bytes of values for {n} entries",
            bytes.len()
        )));
    }
    let out: Vec<f32> = bytes
        .chunks_exact(2)
        .map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32())
        .collect();
    if out.iter().any(|v| !v.is_finite()) {
        return Err(Error::model(format!("feedback: {what}: non-finite value")));
    }
    Ok(out)
}

impl Precision {
    /// The header fields and the payload bytes (one code per feature of
    /// each head).
    pub(super) fn encode(&self) -> (PrecisionHeader, Vec<u8>) {
        let mut bytes = self.head.codes();
        bytes.extend(self.category.codes());
        let header = PrecisionHeader {
            floor: self.head.floor,
            intercept: self.head.intercept.clone(),
            category_floor: self.category.floor,
            category_intercept: self.category.intercept.clone(),
        };
        (header, bytes)
    }

    /// Parses the section: `codes` has `dim + cdim` bytes.
    pub(super) fn decode(h: &PrecisionHeader, codes: &[u8], dim: usize) -> Result<Self> {
        let floor_ok = |f: f32| (MIN_PRECISION_FLOOR..=MAX_PRECISION_FLOOR).contains(&f);
        let intercept_ok = |v: &[f32], k: usize| {
            v.len() == k
                && v.iter()
                    .all(|x| (0.0..=MAX_INTERCEPT_PRECISION).contains(x))
        };
        if !floor_ok(h.floor)
            || !floor_ok(h.category_floor)
            || !intercept_ok(&h.intercept, Label::ALL.len())
            || !intercept_ok(&h.category_intercept, Category::ALL.len())
        {
            return Err(Error::model(
                "precision: a floor or an intercept precision is out of range",
            ));
        }
        let (head, category) = codes.split_at(dim);
        Ok(Precision {
            head: HeadPrecision::from_codes(h.floor, head, h.intercept.clone()),
            category: HeadPrecision::from_codes(
                h.category_floor,
                category,
                h.category_intercept.clone(),
            ),
        })
    }
}

impl Feedback {
    /// The header fields and the payload bytes.
    pub(super) fn encode(&self) -> Result<(FeedbackHeader, Vec<u8>)> {
        let weights = |w: &SparseWeights| WeightsBlob {
            indices: gaps(&w.indices),
            weights: halves(&w.weights),
        };
        let blob = FeedbackBlob {
            rows: self
                .rows
                .iter()
                .map(|r| RowBlob {
                    id: r.id.clone(),
                    source: r.source.clone(),
                    label: r.label.index() as u8,
                    category: r.category.map_or(NO_CATEGORY, |c| c.index() as u8),
                    indices: gaps(&r.vector.indices),
                    values: halves(&r.vector.values),
                    words: gaps(&r.words),
                    lang: r.lang.clone(),
                })
                .collect(),
            head: weights(&self.base.head),
            category_head: weights(&self.base.category_head),
            vocabulary_added: gaps(&self.base.vocabulary_added),
        };
        let bytes =
            postcard::to_allocvec(&blob).map_err(|e| Error::model(format!("feedback: {e}")))?;
        let header = FeedbackHeader {
            rows: self.rows.len() as u64,
            bytes: bytes.len() as u64,
            base_intercept: self.base.intercept.clone(),
            base_category_intercept: self.base.category_intercept.clone(),
            base_calibration: self.base.calibration.clone(),
            info: self.info.clone(),
            languages: Some(self.languages.clone()),
        };
        Ok((header, bytes))
    }

    /// Parses the section and checks it against the model's shape: `dim`
    /// and `cdim` features, a vocabulary of `vocabulary_bits` bits (none:
    /// 0).
    pub(super) fn decode(
        h: &FeedbackHeader,
        bytes: &[u8],
        dim: usize,
        cdim: usize,
        vocabulary_bits: u64,
    ) -> Result<Self> {
        let blob: FeedbackBlob =
            postcard::from_bytes(bytes).map_err(|e| Error::model(format!("feedback: {e}")))?;
        if blob.rows.len() as u64 != h.rows {
            return Err(Error::model(format!(
                "feedback: {} rows, the header says {}",
                blob.rows.len(),
                h.rows
            )));
        }
        let (k, kc) = (Label::ALL.len(), Category::ALL.len());
        let finite = |v: &[f32]| v.iter().all(|x| x.is_finite());
        if h.base_intercept.len() != k
            || h.base_category_intercept.len() != kc
            || !finite(&h.base_intercept)
            || !finite(&h.base_category_intercept)
        {
            return Err(Error::model("feedback: bad base intercepts"));
        }
        let mut rows = Vec::with_capacity(blob.rows.len());
        for r in blob.rows {
            let label = *Label::ALL
                .get(r.label as usize)
                .ok_or_else(|| Error::model(format!("feedback: row {:?}: bad label", r.id)))?;
            let category = match r.category {
                NO_CATEGORY => None,
                c => Some(*Category::ALL.get(c as usize).ok_or_else(|| {
                    Error::model(format!("feedback: row {:?}: bad category", r.id))
                })?),
            };
            let indices = ungap(&r.indices, dim as u64, "a row's features")?;
            let values = widen(&r.values, indices.len(), "a row's features")?;
            let words = ungap(&r.words, vocabulary_bits, "a row's words")?;
            if rows.last().is_some_and(|p: &FeedbackRow| p.id >= r.id) {
                return Err(Error::model("feedback: rows not sorted by unique id"));
            }
            rows.push(FeedbackRow {
                id: r.id,
                source: r.source,
                label,
                category,
                vector: SparseVector { indices, values },
                words,
                lang: r.lang,
            });
        }
        let weights = |b: &WeightsBlob, bound: usize, k: usize, what: &str| -> Result<_> {
            let indices = ungap(&b.indices, bound as u64, what)?;
            let weights = widen(&b.weights, indices.len() * k, what)?;
            Ok(SparseWeights { indices, weights })
        };
        let languages = match &h.languages {
            Some(l) => l.clone(),
            // As learning decided it then: one legitimate row made its
            // language known.
            None => known_languages(&rows, 1),
        };
        if !languages.windows(2).all(|w| w[0] < w[1]) {
            return Err(Error::model("feedback: languages not sorted and unique"));
        }
        Ok(Feedback {
            rows,
            base: BaseState {
                intercept: h.base_intercept.clone(),
                category_intercept: h.base_category_intercept.clone(),
                calibration: h.base_calibration.clone(),
                head: weights(&blob.head, dim, k, "base weights")?,
                category_head: weights(&blob.category_head, cdim, kc, "base category weights")?,
                vocabulary_added: ungap(
                    &blob.vocabulary_added,
                    vocabulary_bits,
                    "vocabulary bits",
                )?,
            },
            languages,
            info: h.info.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_round_trip_and_refuse_bad_indices() {
        let v = [0, 3, 4, 1000, 262_143];
        assert_eq!(ungap(&gaps(&v), 262_144, "x").unwrap(), v);
        assert!(ungap(&[5, 0], 100, "x").is_err()); // repeated
        assert!(ungap(&[50, 50], 100, "x").is_err()); // beyond
        assert!(ungap(&[u32::MAX, 1], 1 << 32, "x").is_err()); // past u32, no overflow
    }

    #[test]
    fn precision_codes_round_trip() {
        let fisher = Fisher {
            features: vec![0.0, 1e-3, 0.5, 7.0, 1e5, 1e30],
            intercept: vec![1.0, 2.0, 3.0],
        };
        let p = HeadPrecision::from_fisher(&fisher, 0.01);
        let again = HeadPrecision::from_codes(p.floor, &p.codes(), p.intercept.clone());
        assert_eq!(p, again);
        assert_eq!(p.features[0], p.floor);
        assert!(p.features.windows(2).all(|w| w[0] <= w[1]));
    }
}
