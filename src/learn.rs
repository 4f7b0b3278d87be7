//! Learning from your own traffic: labeled feedback rows in, an adapted
//! model out, in seconds and without the training corpora.
//!
//! # The method: MAP adaptation
//!
//! The trainer stores, for every weight, how firmly the training data
//! pinned it down: the diagonal of the Fisher information of the training
//! objective at the fitted weights, each row counting at least
//! [`TrainParams::fisher_floor`](crate::train::TrainParams::fisher_floor)
//! of curvature, plus the L2 penalty (the
//! [`Precision`](crate::model::Precision) section of the model file). The
//! floor matters: a row the model is sure of adds almost no Fisher
//! information, and without it a few hundred feedback rows could move
//! weights that rows of other sources, which a retrain would still see,
//! rely on. Learning minimises, over the weights `w` of each head,
//!
//! ```text
//! Σᵣ ωᵣ · −log softmax(xᵣ w + b)[yᵣ]  +  Σᵢ λᵢ/2 · (wᵢ − w⁰ᵢ)²  +  Σ꜀ λ꜀/2 · (b꜀ − b⁰꜀)²
//! ```
//!
//! where `w⁰, b⁰` are the base model's weights and intercepts: the
//! log-loss on the feedback rows, plus the Laplace approximation of the
//! training objective around the base (a quadratic whose curvature is the
//! stored precision `λ`). Weights the corpora pinned down stay put; the
//! n-grams they never saw (`λ` is then just the L2 penalty) move freely.
//! Only the weights of features some feedback row has can move (every
//! other weight's gradient is its prior's, zero at `w⁰`), so a fit is
//! L-BFGS over those alone.
//!
//! Each row weighs `ωᵣ`, the weight a retrain on the base's training data
//! plus the feedback would give it (the trainer balances sources: a
//! `(source, label)` group of `n` rows weighs `n^source_balance` within its
//! label), computed from the per-source counts the base model keeps; the
//! feedback's source is its `source` field, `feedback` when empty.
//! [`LearnParams::weight`] scales it.
//!
//! The category head learns, the same way, from the scam rows that carry
//! a category.
//!
//! # What else learning changes
//!
//! * **`unsure`**: the words of every legitimate feedback row become
//!   familiar (see [`crate::vocabulary`]), and a language (a row's `lang`,
//!   else the detected one) with at least [`LearnParams::language_rows`]
//!   legitimate feedback rows becomes one the model knows
//!   ([`Model::knows_language`]). So a language learned from feedback stops
//!   being unsure. The bar is the threshold re-check's (100 rows by
//!   default), because the re-check below is what guards the language's
//!   false-positive rate: made known by a few dozen rows, a language's
//!   legitimate messages were flagged more, not less (the leave-one-
//!   language-out simulation in `models/default/EVALUATION.md`). Below the
//!   bar its messages stay on their language-free evidence, `unsure`
//!   unless it flags them.
//! * **The threshold** is re-checked on the feedback's legitimate rows,
//!   scored out of fold (each by a model learned without its fold), when
//!   there are at least [`LearnParams::threshold_rows`] of them (100 by
//!   default: at the default 3% target, enough to set the threshold at
//!   the fourth-highest score rather than at one outlier). If more than the
//!   model's target false-positive rate of them is flagged, the threshold
//!   rises to the one that flags that share; it never falls below the
//!   base's, since the base's own held-out data is not there to check a
//!   lower one against. With fewer legitimate rows the base threshold
//!   stays. The temperature and class offsets stay the base's.
//!
//! # Cumulative, and exact to forget
//!
//! A learned model keeps its feedback rows (hashed feature vectors, ids,
//! labels, sources: never their text) and the base model's values wherever
//! learning changed them. Every call re-derives the model from the base and
//! the whole set of rows, sorted by id: learning A then B equals learning
//! A and B at once, and forgetting B afterwards equals never having learned
//! it, to the byte. The result is a deterministic function of the base
//! model and the set of rows.
//!
//! # Example
//!
//! ```
//! use scamscan::{learn::LearnParams, Example, Label};
//! # fn trained() -> scamscan::Result<scamscan::Model> {
//! #     let p = scamscan::train::TrainParams { featurizer: scamscan::featurize::FeaturizerConfig {
//! #         buckets_log2: 12, ..Default::default() }, category_buckets_log2: 12, max_iterations: 40, ..Default::default() };
//! #     scamscan::train::Trainer::new(p)?.train(&scamscan::corpus::read_dir_or_file("datasets".as_ref())?)
//! # }
//! let row = |id: &str, label, text: &str| Example { id: id.into(), source: "my-inbox".into(),
//!     channel: "sms".into(), lang: "en".into(), label, category: None, text: text.into(), reviewed: false };
//! // A model trained by this version (`Model::load` of a `scamscan train` output):
//! // here, a small one trained on the project's datasets/.
//! let base = trained()?;
//! let learned = base.learn(&[
//!     row("m1", Label::Ham, "Kedai Runcit Pak Mat: pesanan anda sudah siap, boleh ambil petang ini"),
//!     row("m2", Label::Scam, "Tahniah! Anda menang RM5000, bayar fi pemprosesan RM50 ke akaun 1234"),
//! ], &LearnParams::default())?;
//! assert_eq!(learned.feedback.as_ref().map(|f| f.rows.len()), Some(2));
//! let forgotten = learned.forget(&["m2"], &LearnParams::default())?;
//! let only_m1 = base.learn(&[row("m1", Label::Ham, "Kedai Runcit Pak Mat: pesanan anda sudah siap, boleh ambil petang ini")], &LearnParams::default())?;
//! assert_eq!(forgotten.to_bytes()?, only_m1.to_bytes()?);
//! # Ok::<(), scamscan::Error>(())
//! ```

use crate::calibrate::Calibration;
use crate::classifier::{Classifier, ClassifyOptions};
use crate::corpus::Example;
use crate::error::{Error, Result};
use crate::label::{Category, Label};
use crate::linear::SoftmaxRegression;
use crate::metrics::threshold_at_fpr;
use crate::model::{
    BaseState, Feedback, FeedbackRow, HeadPrecision, Model, SparseWeights, TrainingInfo,
};
use crate::normalize::Normalized;
use crate::sparse::SparseVector;
use crate::tokenize::Tokens;
use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use half::f16;
use ndarray::Array1;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Mutex;
use xxhash_rust::xxh3::xxh3_64;

/// The source of a feedback row given without one.
pub const DEFAULT_SOURCE: &str = "feedback";

/// Parameters of [`Model::learn`].
///
/// # Example
///
/// ```
/// let p = scamscan::learn::LearnParams::default();
/// assert_eq!((p.weight, p.threshold_rows), (1.0, 100));
/// assert!(p.check().is_ok());
/// assert!(scamscan::learn::LearnParams { weight: -1.0, ..p }.check().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnParams {
    /// Multiplies each feedback row's weight (1: the weight a retrain with
    /// the row would give it).
    pub weight: f64,
    /// Most L-BFGS iterations per fit.
    pub max_iterations: u64,
    /// Fewest legitimate feedback rows for the threshold re-check; with
    /// fewer, the base threshold stays.
    pub threshold_rows: usize,
    /// Folds of the out-of-fold scoring behind the threshold re-check.
    pub threshold_folds: usize,
    /// Fewest legitimate feedback rows of a language for the model to
    /// count it as known (see the [module docs](self)); as many as the
    /// threshold re-check needs by default, so that a language becomes
    /// known only when its rows are enough to guard its false positives.
    /// 0 counts as 1; files learned before this existed read it as 1.
    #[serde(default = "one")]
    pub language_rows: usize,
    /// Bytes of each message used (as the classifier's `max_bytes`).
    pub max_bytes: usize,
}

impl Default for LearnParams {
    fn default() -> Self {
        LearnParams {
            weight: 1.0,
            max_iterations: 300,
            threshold_rows: 100,
            threshold_folds: 5,
            language_rows: 100,
            max_bytes: crate::classifier::DEFAULT_MAX_BYTES,
        }
    }
}

impl LearnParams {
    /// Checks the ranges.
    pub fn check(&self) -> Result<()> {
        if !(self.weight.is_finite() && self.weight > 0.0) {
            return Err(Error::invalid(format!(
                "weight must be finite and > 0, got {}",
                self.weight
            )));
        }
        if self.max_iterations == 0 {
            return Err(Error::invalid("max_iterations must be > 0"));
        }
        if self.threshold_folds < 2 {
            return Err(Error::invalid(format!(
                "threshold_folds must be >= 2, got {}",
                self.threshold_folds
            )));
        }
        if self.max_bytes < 64 {
            return Err(Error::invalid(format!(
                "max_bytes must be >= 64, got {}",
                self.max_bytes
            )));
        }
        Ok(())
    }
}

fn one() -> usize {
    1
}

/// The threshold re-check of one learning step (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdCheck {
    /// Legitimate feedback rows.
    pub legitimate_rows: usize,
    /// The base model's threshold on `1 − p(ham)`.
    pub base_threshold: f32,
    /// The learned model's.
    pub threshold: f32,
    /// The share of the legitimate rows flagged out of fold at the base
    /// threshold, when they were enough to check.
    pub flagged_out_of_fold: Option<f64>,
    /// What was decided, in words.
    pub rule: String,
}

/// What one [`Model::update`] did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnReport {
    /// Feedback rows the model holds now.
    pub rows: usize,
    /// Of them, per label (ham, spam, scam).
    pub per_label: [usize; 3],
    /// Rows new to the model.
    pub added: usize,
    /// Rows that replaced a row with the same id.
    pub replaced: usize,
    /// Rows forgotten.
    pub forgotten: usize,
    /// Ids asked to be forgotten that the model did not hold.
    pub not_found: Vec<String>,
    /// The threshold re-check.
    pub threshold: Option<ThresholdCheck>,
    /// L-BFGS iterations of all the fits (the heads' and the threshold
    /// re-check's folds).
    pub iterations: u64,
}

/// What the model file keeps about how its feedback was learned
/// ([`Feedback::info`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct LearnInfo {
    params: LearnParams,
    per_label: [usize; 3],
    sources: BTreeMap<String, [usize; 3]>,
    threshold: Option<ThresholdCheck>,
}

impl Model {
    /// Learns `examples` on top of what the model already learned (a row
    /// with an id it holds replaces that row): see the [`crate::learn`]
    /// module for the method. Needs the model's per-weight precisions,
    /// which models trained by this version have.
    ///
    /// # Errors
    ///
    /// A model without precisions (format version 1), an example labeled
    /// `unsure` or with an empty text, bad parameters.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{learn::LearnParams, Classifier, Example, Label};
    /// # fn trained() -> scamscan::Result<scamscan::Model> {
    /// #     let p = scamscan::train::TrainParams { featurizer: scamscan::featurize::FeaturizerConfig {
    /// #         buckets_log2: 12, ..Default::default() }, category_buckets_log2: 12, max_iterations: 40, ..Default::default() };
    /// #     scamscan::train::Trainer::new(p)?.train(&scamscan::corpus::read_dir_or_file("datasets".as_ref())?)
    /// # }
    /// let c = Classifier::new(trained()?); // a model trained by this version
    /// let text = "Parcelnest: your parcel 4471 is at the Oakleaf pickup point until Friday";
    /// let ham = Example { id: "n1".into(), source: String::new(), channel: String::new(),
    ///     lang: String::new(), label: Label::Ham, category: None, text: text.into(), reviewed: false };
    /// let learned = Classifier::new(c.model().learn(&[ham], &LearnParams::default())?);
    /// assert!(learned.classify(text).probabilities.ham >= c.classify(text).probabilities.ham);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn learn(&self, examples: &[Example], params: &LearnParams) -> Result<Model> {
        self.update(examples, &[], params).map(|(m, _)| m)
    }

    /// Forgets the feedback rows with these ids and re-derives the model
    /// from the base: the result is the model that never learned them.
    /// Ids the model does not hold are ignored ([`Model::update`] lists
    /// them).
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{learn::LearnParams, Example, Label};
    /// # fn trained() -> scamscan::Result<scamscan::Model> {
    /// #     let p = scamscan::train::TrainParams { featurizer: scamscan::featurize::FeaturizerConfig {
    /// #         buckets_log2: 12, ..Default::default() }, category_buckets_log2: 12, max_iterations: 40, ..Default::default() };
    /// #     scamscan::train::Trainer::new(p)?.train(&scamscan::corpus::read_dir_or_file("datasets".as_ref())?)
    /// # }
    /// let base = trained()?; // a model trained by this version
    /// let row = Example { id: "x".into(), source: String::new(), channel: String::new(),
    ///     lang: String::new(), label: Label::Scam, category: None, text: "send the code now".into(), reviewed: false };
    /// let learned = base.learn(&[row], &LearnParams::default())?;
    /// let back = learned.forget(&["x"], &LearnParams::default())?;
    /// assert!(back.feedback.is_none());
    /// assert_eq!(back.to_bytes()?, base.to_bytes()?);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn forget(&self, ids: &[&str], params: &LearnParams) -> Result<Model> {
        self.update(&[], ids, params).map(|(m, _)| m)
    }

    /// Forgets the rows with ids `forget`, learns `add`, and re-derives the
    /// model from the base with the resulting set of rows; reports what it
    /// did.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::learn::LearnParams;
    /// # fn trained() -> scamscan::Result<scamscan::Model> {
    /// #     let p = scamscan::train::TrainParams { featurizer: scamscan::featurize::FeaturizerConfig {
    /// #         buckets_log2: 12, ..Default::default() }, category_buckets_log2: 12, max_iterations: 40, ..Default::default() };
    /// #     scamscan::train::Trainer::new(p)?.train(&scamscan::corpus::read_dir_or_file("datasets".as_ref())?)
    /// # }
    /// let base = trained()?; // a model trained by this version
    /// let (m, report) = base.update(&[], &["nothing-here"], &LearnParams::default())?;
    /// assert_eq!((report.rows, report.not_found.len()), (0, 1));
    /// assert!(m.feedback.is_none());
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn update(
        &self,
        add: &[Example],
        forget: &[&str],
        params: &LearnParams,
    ) -> Result<(Model, LearnReport)> {
        params.check()?;
        if self.precision.is_none() {
            return Err(Error::model(
                "this model has no per-weight precisions (it predates model format version 2), \
                 so there is nothing to anchor learning to: retrain it with `scamscan train` \
                 (the built-in model has them)",
            ));
        }
        if let Some(bad) = add.iter().position(|e| e.label == Label::Unsure) {
            return Err(Error::invalid(format!(
                "feedback row {} ({:?}) is labeled unsure: only ham, spam and scam can be learned",
                bad + 1,
                add[bad].id
            )));
        }
        let base = self.base();
        let mut rows: BTreeMap<String, FeedbackRow> = self
            .feedback
            .iter()
            .flat_map(|f| f.rows.iter().map(|r| (r.id.clone(), r.clone())))
            .collect();
        let mut report = LearnReport {
            rows: 0,
            per_label: [0; 3],
            added: 0,
            replaced: 0,
            forgotten: 0,
            not_found: Vec::new(),
            threshold: None,
            iterations: 0,
        };
        for &id in forget {
            if rows.remove(id).is_some() {
                report.forgotten += 1;
            } else {
                report.not_found.push(id.to_string());
            }
        }
        let classifier = Classifier::new(base).with_options(ClassifyOptions {
            max_bytes: params.max_bytes,
            reasons: 0,
            scam_threshold: None,
        });
        for row in feedback_rows(&classifier, add)? {
            match rows.insert(row.id.clone(), row) {
                Some(_) => report.replaced += 1,
                None => report.added += 1,
            }
        }
        let base = classifier.model();
        let rows: Vec<FeedbackRow> = rows.into_values().collect();
        report.rows = rows.len();
        for r in &rows {
            report.per_label[r.label.index()] += 1;
        }
        if rows.is_empty() {
            return Ok((base.clone(), report));
        }
        let (model, check, iterations) = derive(base, rows, params)?;
        report.threshold = Some(check);
        report.iterations = iterations;
        Ok((model, report))
    }

    /// The model before any learning: this model itself when it learned
    /// nothing, else the base its feedback section records.
    ///
    /// # Example
    ///
    /// ```
    /// let m = scamscan::Classifier::default().model().clone();
    /// assert_eq!(m.base().to_bytes()?, m.to_bytes()?);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn base(&self) -> Model {
        let mut m = self.clone();
        if let Some(f) = m.feedback.take() {
            let b = f.base;
            patch(&mut m.head, &b.head);
            patch(&mut m.category_head, &b.category_head);
            m.head.intercept = Array1::from_vec(b.intercept);
            m.category_head.intercept = Array1::from_vec(b.category_intercept);
            m.calibration = b.calibration;
            unlearn_familiar(&mut m, &b.vocabulary_added);
        }
        m
    }
}

/// The id of a feedback row: its own, or a hash of its text.
fn row_id(e: &Example) -> String {
    let id = e.id.trim();
    if id.is_empty() {
        format!("text:{:016x}", xxh3_64(e.text.as_bytes()))
    } else {
        id.to_string()
    }
}

/// Featurizes the examples with the base model's pipeline, in parallel.
fn feedback_rows(classifier: &Classifier, examples: &[Example]) -> Result<Vec<FeedbackRow>> {
    examples
        .par_iter()
        .enumerate()
        .map(|(i, e)| {
            if e.text.trim().is_empty() {
                return Err(Error::invalid(format!(
                    "feedback row {} ({:?}) has an empty text",
                    i + 1,
                    e.id
                )));
            }
            let (mut vector, words) = classifier.featurize_with(&e.text, |x, norm, tokens| {
                let words = if e.label == Label::Ham {
                    familiar_words(classifier.model(), norm, tokens)
                } else {
                    Vec::new()
                };
                (x.clone(), words)
            });
            // Rounded to what the model file keeps, so that a row learned
            // now and the same row read back from a file are the same row.
            for v in &mut vector.values {
                *v = f16::from_f32(*v).to_f32();
            }
            Ok(FeedbackRow {
                id: row_id(e),
                source: match e.source.trim() {
                    "" => DEFAULT_SOURCE.to_string(),
                    s => s.to_string(),
                },
                label: e.label,
                category: e.category.filter(|_| e.label == Label::Scam),
                vector,
                words,
                lang: if e.label == Label::Ham {
                    crate::train::language_of(e).to_string()
                } else {
                    String::new()
                },
            })
        })
        .collect()
}

// ---------------------------------------------------------------- unsure
//
// What learning a legitimate row adds to what decides `unsure`. Today
// `unsure` is decided by the vocabulary bitmap of the legitimate training
// messages' words (`crate::vocabulary`): a legitimate feedback row adds
// its words to it. These two functions are the whole of that coupling.

/// The ids of a legitimate row's words in the model's vocabulary bitmap:
/// what learning the row adds to what decides `unsure`.
fn familiar_words(model: &Model, norm: &Normalized, tokens: &Tokens) -> Vec<u32> {
    model.vocabulary.as_ref().map_or_else(Vec::new, |v| {
        crate::vocabulary::VocabularyBuilder::word_ids(v.bits_log2(), norm, tokens)
    })
}

/// Makes the legitimate rows' words familiar; returns the bits that were
/// not set before (what [`unlearn_familiar`] clears to get the base back).
fn learn_familiar(model: &mut Model, rows: &[FeedbackRow]) -> Vec<u32> {
    let Some(v) = &model.vocabulary else {
        return Vec::new();
    };
    let mut bits = v.bits().to_vec();
    let mut added: Vec<u32> = Vec::new();
    for &i in rows.iter().flat_map(|r| &r.words) {
        let (w, b) = (i as usize / 64, i % 64);
        if bits[w] >> b & 1 == 0 {
            bits[w] |= 1 << b;
            added.push(i);
        }
    }
    added.sort_unstable();
    model.vocabulary = crate::vocabulary::Vocabulary::from_bits(v.bits_log2(), bits);
    added
}

/// Clears the bits [`learn_familiar`] set.
fn unlearn_familiar(model: &mut Model, added: &[u32]) {
    if let Some(v) = &model.vocabulary {
        let mut bits = v.bits().to_vec();
        for &i in added {
            if let Some(w) = bits.get_mut(i as usize / 64) {
                *w &= !(1 << (i % 64));
            }
        }
        model.vocabulary = crate::vocabulary::Vocabulary::from_bits(v.bits_log2(), bits);
    }
}

// ---------------------------------------------------------------- deriving

/// Sets the rows `w.indices` of `head` to `w.weights`.
fn patch(head: &mut SoftmaxRegression, w: &SparseWeights) {
    let k = head.n_classes();
    for (r, &j) in w.indices.iter().enumerate() {
        for c in 0..k {
            head.weights[[j as usize, c]] = w.weights[r * k + c];
        }
    }
}

/// The rows `indices` of `head`.
fn rows_of(head: &SoftmaxRegression, indices: &[u32]) -> SparseWeights {
    let k = head.n_classes();
    SparseWeights {
        indices: indices.to_vec(),
        weights: indices
            .iter()
            .flat_map(|&j| (0..k).map(move |c| head.weights[[j as usize, c]]))
            .collect(),
    }
}

/// The model learned from `rows` (sorted by id, non-empty) on top of `base`.
fn derive(
    base: &Model,
    rows: Vec<FeedbackRow>,
    params: &LearnParams,
) -> Result<(Model, ThresholdCheck, u64)> {
    let precision = base.precision.as_ref().expect("checked by the caller");
    let beta = source_balance(&base.training);
    let cdim = base.category_head.dim();

    // The ham/spam/scam head, on every row.
    let weights = label_weights(&base.training, &rows, beta, params.weight);
    let examples: Vec<HeadRow> = rows
        .iter()
        .zip(&weights)
        .map(|(r, &w)| HeadRow {
            x: &r.vector,
            y: r.label.index(),
            w,
        })
        .collect();
    let fitted = fit(
        &base.head,
        &precision.head,
        &examples,
        params.max_iterations,
        None,
    )?;

    // The category head, on the scam rows with a category, folded onto its buckets.
    let cat_rows: Vec<(&FeedbackRow, SparseVector)> = rows
        .iter()
        .filter(|r| r.label == Label::Scam)
        .filter_map(|r| {
            r.category
                .map(|_| (r, crate::train::fold_vector(&r.vector, cdim)))
        })
        .collect();
    let cat_weights = category_weights(&base.training, &cat_rows, beta, params.weight);
    let cat_examples: Vec<HeadRow> = cat_rows
        .iter()
        .zip(&cat_weights)
        .map(|((r, x), &w)| HeadRow {
            x,
            y: r.category.map_or(0, Category::index),
            w,
        })
        .collect();
    // Independent of each other: one core each.
    let (cat_fitted, check) = rayon::join(
        || -> Result<Option<Fitted>> {
            if cat_examples.is_empty() {
                return Ok(None);
            }
            fit(
                &base.category_head,
                &precision.category,
                &cat_examples,
                params.max_iterations,
                None,
            )
            .map(Some)
        },
        || check_threshold(base, &rows, &examples, &fitted, params),
    );
    let (cat_fitted, (check, fold_iterations)) = (cat_fitted?, check?);
    let iterations =
        fitted.iterations + cat_fitted.as_ref().map_or(0, |f| f.iterations) + fold_iterations;

    let mut model = base.clone();
    let mut state = BaseState {
        intercept: base.head.intercept.to_vec(),
        category_intercept: base.category_head.intercept.to_vec(),
        calibration: base.calibration.clone(),
        head: rows_of(&base.head, &fitted.indices),
        category_head: SparseWeights::default(),
        vocabulary_added: Vec::new(),
    };
    fitted.apply(&mut model.head);
    if let Some(f) = &cat_fitted {
        state.category_head = rows_of(&base.category_head, &f.indices);
        f.apply(&mut model.category_head);
    }
    model.calibration.flag_threshold = check.threshold;
    state.vocabulary_added = learn_familiar(&mut model, &rows);
    let mut sources: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    let mut per_label = [0usize; 3];
    for r in &rows {
        sources.entry(r.source.clone()).or_default()[r.label.index()] += 1;
        per_label[r.label.index()] += 1;
    }
    let info = LearnInfo {
        params: params.clone(),
        per_label,
        sources,
        threshold: Some(check.clone()),
    };
    model.feedback = Some(Feedback {
        languages: crate::model::known_languages(&rows, params.language_rows),
        rows,
        base: state,
        info: serde_json::to_value(&info).map_err(|e| Error::training(e.to_string()))?,
    });
    model.quantize();
    Ok((model, check, iterations))
}

/// The base model's `source_balance` (0.5, the trainer's default, when its
/// parameters do not say).
fn source_balance(t: &TrainingInfo) -> f64 {
    t.params
        .get("source_balance")
        .and_then(serde_json::Value::as_f64)
        .filter(|b| (0.0..=1.0).contains(b))
        .unwrap_or(0.5)
}

/// The weight a retrain would give each row of a class-balanced, source-
/// balanced fit (`crate::train`'s rule): a `(source, class)` group of `n`
/// rows, training's and the feedback's together, weighs `n^beta` within
/// its class, the classes present weigh the same, and the mean weight over
/// all rows is 1.
fn retrain_weights(
    base_groups: &BTreeMap<(String, usize), u64>,
    feedback: &[(String, usize)],
    beta: f64,
    scale: f64,
) -> Vec<f64> {
    let mut groups = base_groups.clone();
    for key in feedback {
        *groups.entry(key.clone()).or_default() += 1;
    }
    let mut totals: BTreeMap<usize, f64> = BTreeMap::new();
    for (&(_, c), &n) in &groups {
        *totals.entry(c).or_default() += (n as f64).powf(beta);
    }
    let present = totals.values().filter(|&&t| t > 0.0).count().max(1) as f64;
    let all: u64 = groups.values().sum();
    feedback
        .iter()
        .map(|key| {
            let n = groups[key] as f64;
            scale * all as f64 * n.powf(beta - 1.0) / (totals[&key.1] * present)
        })
        .collect()
}

fn label_weights(t: &TrainingInfo, rows: &[FeedbackRow], beta: f64, scale: f64) -> Vec<f64> {
    let mut base = BTreeMap::new();
    for (source, counts) in &t.fit_counts {
        for (c, &n) in counts.iter().enumerate() {
            if n > 0 {
                base.insert((source.clone(), c), n);
            }
        }
    }
    let keys: Vec<(String, usize)> = rows
        .iter()
        .map(|r| (r.source.clone(), r.label.index()))
        .collect();
    retrain_weights(&base, &keys, beta, scale)
}

/// As [`label_weights`] for the category head. The base model keeps its
/// category counts per category, not per source: each counts as one group.
fn category_weights(
    t: &TrainingInfo,
    rows: &[(&FeedbackRow, SparseVector)],
    beta: f64,
    scale: f64,
) -> Vec<f64> {
    let base = t
        .category_counts
        .iter()
        .filter_map(|(name, &n)| {
            let c: Category = name.parse().ok()?;
            (n > 0).then(|| (("(training)".to_string(), c.index()), n))
        })
        .collect();
    let keys: Vec<(String, usize)> = rows
        .iter()
        .map(|(r, _)| (r.source.clone(), r.category.map_or(0, Category::index)))
        .collect();
    retrain_weights(&base, &keys, beta, scale)
}

// ---------------------------------------------------------------- the fit

/// One row of a head's fit.
struct HeadRow<'a> {
    x: &'a SparseVector,
    y: usize,
    w: f64,
}

/// A fitted head, on the features its rows have.
struct Fitted {
    /// The features the rows have, sorted.
    indices: Vec<u32>,
    /// Their weights, `indices.len() × k`.
    weights: Vec<f64>,
    /// The intercepts.
    intercept: Vec<f64>,
    /// L-BFGS iterations taken.
    iterations: u64,
}

impl Fitted {
    fn apply(&self, head: &mut SoftmaxRegression) {
        let k = head.n_classes();
        for (a, &j) in self.indices.iter().enumerate() {
            for c in 0..k {
                head.weights[[j as usize, c]] = self.weights[a * k + c] as f32;
            }
        }
        for (b, &v) in head.intercept.iter_mut().zip(&self.intercept) {
            *b = v as f32;
        }
    }
}

/// The MAP objective of one head (see the [module docs](self)) in the
/// shift `δ = θ − θ⁰` of the active weights and the intercepts.
struct Objective {
    k: usize,
    /// Per row: (active positions, values).
    rows: Vec<(Vec<u32>, Vec<f64>)>,
    targets: Vec<usize>,
    weights: Vec<f64>,
    /// Per row: the base logits.
    base_logits: Vec<f64>,
    /// Active features.
    n_active: usize,
    /// Per active feature, then per class (intercepts).
    precision: Vec<f64>,
    /// Per parameter: the solver works in `u = δ / scale`, with `scale` the
    /// inverse square root of the objective's Hessian diagonal at the
    /// base. The stored precisions span many orders of magnitude (a weight
    /// the corpora pinned down against one they never saw), so L-BFGS's
    /// single scalar initial Hessian fits no parameter well without it;
    /// the optimum is the same.
    scale: Vec<f64>,
    /// The last point evaluated, its cost and gradient: argmin asks for the
    /// cost and the gradient of a point separately.
    cache: Mutex<Option<CostAndGradient>>,
}

/// A point, its cost and its gradient.
type CostAndGradient = (Vec<f64>, f64, Vec<f64>);

impl Objective {
    fn evaluate(
        &self,
        d: &Array1<f64>,
    ) -> std::result::Result<(f64, Vec<f64>), argmin::core::Error> {
        let u = d.as_slice().expect("contiguous");
        let mut cache = self.cache.lock().expect("cache lock");
        if let Some((p, c, g)) = cache.as_ref()
            && p.as_slice() == u
        {
            return Ok((*c, g.clone()));
        }
        let d: Vec<f64> = u.iter().zip(&self.scale).map(|(u, s)| u * s).collect();
        let k = self.k;
        let n_active = self.n_active;
        let (dw, db) = d.split_at(n_active * k);
        let mut grad = vec![0.0; d.len()];
        let mut cost = 0.0;
        let mut z = vec![0.0; k];
        for (r, (pos, val)) in self.rows.iter().enumerate() {
            z.copy_from_slice(&self.base_logits[r * k..][..k]);
            for c in 0..k {
                z[c] += db[c];
            }
            for (&a, &v) in pos.iter().zip(val) {
                let a = a as usize;
                for c in 0..k {
                    z[c] += v * dw[a * k + c];
                }
            }
            let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lse = m + z.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
            let (y, w) = (self.targets[r], self.weights[r]);
            cost += w * (lse - z[y]);
            for c in 0..k {
                let g = w * ((z[c] - lse).exp() - if c == y { 1.0 } else { 0.0 });
                grad[n_active * k + c] += g;
                for (&a, &v) in pos.iter().zip(val) {
                    grad[a as usize * k + c] += v * g;
                }
            }
        }
        for (i, (&di, gi)) in d.iter().zip(grad.iter_mut()).enumerate() {
            let lambda = self.lambda(i);
            cost += 0.5 * lambda * di * di;
            *gi = (*gi + lambda * di) * self.scale[i];
        }
        if !cost.is_finite() || grad.iter().any(|g| !g.is_finite()) {
            return Err(argmin::core::Error::msg(
                "the learning objective is not finite",
            ));
        }
        *cache = Some((u.to_vec(), cost, grad.clone()));
        Ok((cost, grad))
    }

    /// The prior precision of parameter `i` (weights, then intercepts).
    fn lambda(&self, i: usize) -> f64 {
        let (k, n_active) = (self.k, self.n_active);
        if i < n_active * k {
            self.precision[i / k]
        } else {
            self.precision[n_active + (i - n_active * k)]
        }
    }

    /// `1/√H_ii`, `H` the Hessian of the objective at the base: the prior's
    /// precision plus the log-loss's curvature `Σᵣ ωᵣ xᵣᵢ² p(1−p)`.
    fn preconditioner(&self) -> Vec<f64> {
        let (k, n_active) = (self.k, self.n_active);
        let mut h: Vec<f64> = (0..n_active * k + k).map(|i| self.lambda(i)).collect();
        let mut p = vec![0.0; k];
        for (r, (pos, val)) in self.rows.iter().enumerate() {
            let z = &self.base_logits[r * k..][..k];
            let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = z.iter().map(|v| (v - m).exp()).sum();
            for c in 0..k {
                p[c] = (z[c] - m).exp() / sum;
            }
            let w = self.weights[r];
            for c in 0..k {
                let curv = w * p[c] * (1.0 - p[c]);
                h[n_active * k + c] += curv;
                for (&a, &v) in pos.iter().zip(val) {
                    h[a as usize * k + c] += curv * v * v;
                }
            }
        }
        h.iter().map(|&v| 1.0 / v.max(1e-12).sqrt()).collect()
    }
}

impl CostFunction for Objective {
    type Param = Array1<f64>;
    type Output = f64;
    fn cost(&self, p: &Array1<f64>) -> std::result::Result<f64, argmin::core::Error> {
        self.evaluate(p).map(|e| e.0)
    }
}

impl Gradient for Objective {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;
    fn gradient(&self, p: &Array1<f64>) -> std::result::Result<Array1<f64>, argmin::core::Error> {
        self.evaluate(p).map(|e| Array1::from_vec(e.1))
    }
}

/// Fits one head's weights on `rows` under the prior centred on `base`,
/// starting from `start` (a fit on overlapping rows) when given, else
/// from the base.
fn fit(
    base: &SoftmaxRegression,
    precision: &HeadPrecision,
    rows: &[HeadRow],
    max_iterations: u64,
    start: Option<&Fitted>,
) -> Result<Fitted> {
    let k = base.n_classes();
    let dim = base.dim();
    let mut indices: Vec<u32> = rows
        .iter()
        .flat_map(|r| r.x.indices.iter().map(|&j| j % dim as u32))
        .collect();
    indices.sort_unstable();
    indices.dedup();
    let position = |j: u32| indices.binary_search(&(j % dim as u32)).expect("collected") as u32;
    let mut base_logits = Vec::with_capacity(rows.len() * k);
    let mut z = vec![0.0f32; k];
    let compact: Vec<(Vec<u32>, Vec<f64>)> = rows
        .iter()
        .map(|r| {
            base.logits(r.x, &mut z);
            base_logits.extend(z.iter().map(|&v| f64::from(v)));
            (
                r.x.indices.iter().map(|&j| position(j)).collect(),
                r.x.values.iter().map(|&v| f64::from(v)).collect(),
            )
        })
        .collect();
    let mut lambda: Vec<f64> = indices
        .iter()
        .map(|&j| f64::from(precision.features[j as usize]))
        .collect();
    lambda.extend(precision.intercept.iter().map(|&v| f64::from(v).max(1e-6)));
    let n = indices.len() * k + k;
    let mut objective = Objective {
        k,
        rows: compact,
        targets: rows.iter().map(|r| r.y).collect(),
        weights: rows.iter().map(|r| r.w).collect(),
        base_logits,
        n_active: indices.len(),
        precision: lambda,
        scale: Vec::new(),
        cache: Mutex::new(None),
    };
    objective.scale = objective.preconditioner();
    let mut u0 = Array1::<f64>::zeros(n);
    if let Some(s) = start {
        let b = |j: u32, c: usize| f64::from(base.weights[[j as usize, c]]);
        for (a, &j) in indices.iter().enumerate() {
            if let Ok(at) = s.indices.binary_search(&j) {
                for c in 0..k {
                    u0[a * k + c] = (s.weights[at * k + c] - b(j, c)) / objective.scale[a * k + c];
                }
            }
        }
        for c in 0..k {
            let i = indices.len() * k + c;
            u0[i] = (s.intercept[c] - f64::from(base.intercept[c])) / objective.scale[i];
        }
    }
    let scale: f64 = objective.weights.iter().sum::<f64>() * (k as f64).ln();
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
        .with_tolerance_cost(1e-9 * scale.max(1e-12))
        .and_then(|s| s.with_tolerance_grad(1e-7 * scale.max(1e-12)))
        .map_err(|e| Error::training(format!("learning: {e}")))?;
    let precondition = objective.scale.clone();
    let result = Executor::new(objective, solver)
        .configure(|s| s.param(u0.clone()).max_iters(max_iterations))
        .run()
        .map_err(|e| Error::training(format!("learning: {e}")))?;
    let iterations = result.state().get_iter();
    let u = result.state().get_best_param().cloned().unwrap_or(u0);
    let d: Vec<f64> = u.iter().zip(&precondition).map(|(u, s)| u * s).collect();
    let weights = indices
        .iter()
        .enumerate()
        .flat_map(|(a, &j)| (0..k).map(move |c| (a, j, c)))
        .map(|(a, j, c)| f64::from(base.weights[[j as usize, c]]) + d[a * k + c])
        .collect();
    let intercept = (0..k)
        .map(|c| f64::from(base.intercept[c]) + d[indices.len() * k + c])
        .collect();
    Ok(Fitted {
        indices,
        weights,
        intercept,
        iterations,
    })
}

// ---------------------------------------------------------------- threshold

/// The threshold re-check (see the [module docs](self)).
///
/// Each fold's fit starts from `full`, the fit on all the rows: the
/// optimum without one fold is near it. Returns the check and the L-BFGS
/// iterations of the folds' fits.
fn check_threshold(
    base: &Model,
    rows: &[FeedbackRow],
    examples: &[HeadRow],
    full: &Fitted,
    params: &LearnParams,
) -> Result<(ThresholdCheck, u64)> {
    let cal: &Calibration = &base.calibration;
    let legit: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].label == Label::Ham)
        .collect();
    let mut check = ThresholdCheck {
        legitimate_rows: legit.len(),
        base_threshold: cal.flag_threshold,
        threshold: cal.flag_threshold,
        flagged_out_of_fold: None,
        rule: String::new(),
    };
    if legit.len() < params.threshold_rows {
        check.rule = format!(
            "{} legitimate rows, fewer than {}: the base threshold stays",
            legit.len(),
            params.threshold_rows
        );
        return Ok((check, 0));
    }
    let folds = params.threshold_folds;
    let fold_of = |i: usize| (xxh3_64(rows[i].id.as_bytes()) % folds as u64) as usize;
    let precision = base.precision.as_ref().expect("checked by the caller");
    // Each fold's legitimate rows, scored by the head learned without the fold.
    let scores: Vec<(Vec<f32>, u64)> = (0..folds)
        .into_par_iter()
        .map(|f| -> Result<(Vec<f32>, u64)> {
            let held: Vec<usize> = legit.iter().copied().filter(|&i| fold_of(i) == f).collect();
            if held.is_empty() {
                return Ok((Vec::new(), 0));
            }
            let train: Vec<HeadRow> = (0..rows.len())
                .filter(|&i| fold_of(i) != f)
                .map(|i| HeadRow {
                    x: examples[i].x,
                    y: examples[i].y,
                    w: examples[i].w,
                })
                .collect();
            let mut head = base.head.clone();
            let mut iterations = 0;
            if !train.is_empty() {
                let f = fit(
                    &base.head,
                    &precision.head,
                    &train,
                    params.max_iterations,
                    Some(full),
                )?;
                iterations = f.iterations;
                f.apply(&mut head);
            }
            let scores = held
                .iter()
                .map(|&i| {
                    let mut z = [0.0f32; 3];
                    head.logits(&rows[i].vector, &mut z);
                    1.0 - cal.probabilities(z)[0]
                })
                .collect();
            Ok((scores, iterations))
        })
        .collect::<Result<_>>()?;
    let iterations = scores.iter().map(|s| s.1).sum();
    let scores: Vec<f32> = scores.into_iter().flat_map(|s| s.0).collect();
    let flagged = scores.iter().filter(|&&s| s >= cal.flag_threshold).count();
    let share = flagged as f64 / scores.len().max(1) as f64;
    check.flagged_out_of_fold = Some(share);
    if share <= f64::from(cal.target_fpr) {
        check.rule = format!(
            "{flagged} of {} legitimate rows flagged out of fold ({:.1}%), within the {:.1}% target: the base threshold stays",
            scores.len(),
            share * 100.0,
            cal.target_fpr * 100.0
        );
        return Ok((check, iterations));
    }
    let mut neg: Vec<(f32, f64)> = scores.iter().map(|&s| (s, 1.0)).collect();
    let t = threshold_at_fpr(&mut neg, f64::from(cal.target_fpr));
    check.threshold = t.clamp(cal.flag_threshold, 1.0);
    check.rule = format!(
        "{flagged} of {} legitimate rows flagged out of fold ({:.1}%), over the {:.1}% target: the threshold rises to {:.4}",
        scores.len(),
        share * 100.0,
        cal.target_fpr * 100.0,
        check.threshold
    );
    Ok((check, iterations))
}
