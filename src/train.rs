//! Training: labeled examples in, a calibrated [`Model`] out.
//!
//! 1. Rows whose [`fold`] is [`CALIBRATION_FOLD`] are held
//!    out for calibration; the rest are fitted.
//! 2. Every row is normalized, tokenized and hashed (in parallel); IDF is
//!    learned on the fitted rows.
//! 3. Sample weights balance the corpora: within a class, a `(source, label)`
//!    group of `n` rows weighs `n^source_balance` in total, so a 35,000-row
//!    chat corpus does not drown a 400-row smishing corpus; then the three
//!    classes are given equal total weight.
//! 4. The ham/spam/scam head and the category head (scam rows with a category,
//!    categories equally weighted) are fitted with L-BFGS.
//! 5. The weights are rounded to the f16 the model file stores, and the
//!    calibration is fitted on the held-out rows with that rounded model.
//! 6. Each head's [`Fisher`](crate::linear::Fisher) information on its
//!    fitted rows is stored as the per-weight precision
//!    [`Model::learn`](crate::Model::learn) needs.
//!
//! Training is deterministic: the same examples and parameters give a
//! byte-identical `model.bin`.

use crate::calibrate;
use crate::corpus::{CALIBRATION_FOLD, Example, fold};
use crate::error::{Error, Result};
use crate::featurize::{Featurizer, FeaturizerConfig, TermCounts, Workspace};
use crate::label::{Category, Label, Target};
use crate::linear::{FitReport, SoftmaxParams, SoftmaxRegression, SparseRows};
use crate::metrics;
use crate::model::{HeadPrecision, Model, Precision, TrainingInfo};
use crate::normalize::{Normalized, Normalizer, NormalizerConfig};
use crate::sparse::SparseVector;
use crate::tokenize::{Tokenizer, Tokens};
use crate::vocabulary::VocabularyBuilder;
use linfa::ParamGuard;
use linfa::dataset::DatasetBase;
use ndarray::Array1;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Training hyperparameters, unchecked. [`Trainer::new`] checks them once.
///
/// ```
/// use scamscan::train::{TrainParams, Trainer};
/// assert!(Trainer::new(TrainParams { alpha: -1.0, ..TrainParams::default() }).is_err());
/// assert!(Trainer::new(TrainParams::default()).is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainParams {
    /// Normalizer options.
    pub normalizer: NormalizerConfig,
    /// Featurizer options.
    pub featurizer: FeaturizerConfig,
    /// L2 penalty of the ham/spam/scam head (sample weights have mean 1).
    pub alpha: f64,
    /// L2 penalty of the category head.
    pub category_alpha: f64,
    /// log2 of the category head's dimension (features fold onto it).
    pub category_buckets_log2: u8,
    /// Most L-BFGS iterations, per head.
    pub max_iterations: u64,
    /// A head's fit stops early when an iteration lowers its objective by
    /// less than this share of the objective at zero weights (see
    /// [`SoftmaxParams::cost_tolerance`]); `train` says, per head, whether
    /// it stopped there or at [`max_iterations`](Self::max_iterations).
    #[serde(default = "default_cost_tolerance")]
    pub cost_tolerance: f64,
    /// Exponent of the per-source balancing (0: every source weighs the same,
    /// 1: every row weighs the same).
    pub source_balance: f64,
    /// Largest share of legitimate held-out messages the default threshold may
    /// flag, a source with n of them weighing n^`source_balance` (so small
    /// sources and the project's own hard negatives count). 3% weighted is
    /// just under 1% of all held-out legitimate messages on the shared
    /// corpora, and buys recall on sources never seen in training.
    pub target_fpr: f32,
    /// Bytes of each training message used (as the classifier's `max_bytes`).
    pub max_bytes: usize,
    /// Below this share of known words, a message is unsure (0: never); see
    /// [`crate::vocabulary`].
    #[serde(default = "default_min_coverage")]
    pub min_coverage: f32,
    /// Train the `spam` rows of [`partial_sources`](Self::partial_sources)
    /// as partial labels, "spam or scam" ([`Target::Unwanted`]): their loss
    /// is that of the pair, so they teach the model "unwanted" and leave
    /// scam against marketing to the sources that tell the two apart. Off,
    /// every `spam` row is marketing, as before partial labels existed.
    #[serde(default)]
    pub partial_labels: bool,
    /// The sources whose `spam` label means "unwanted" (marketing and fraud
    /// mixed) rather than marketing: a property of the training data, read
    /// from its sources file (`datasets/sources.tsv`), not a list in code.
    #[serde(default)]
    pub partial_sources: Vec<String>,
    /// A language is known when the training data has at least this many
    /// legitimate messages in it (0: every language is); a message in
    /// another is judged on its language-free evidence alone, and unsure
    /// unless that is enough (see [`crate::language`]). Only the known
    /// languages' legitimate messages build the vocabulary.
    #[serde(default)]
    pub min_language_rows: u32,
    /// The least curvature `p(1 − p)` a training row adds to the stored
    /// per-weight precisions that `learn` anchors to (0: the plain Fisher
    /// information; at most 0.25, its value at p = 1/2). The Fisher
    /// information is local: a row the model is sure of adds almost
    /// nothing, so its weights look free to move, and learning a few
    /// hundred rows of one source could move them until it contradicted
    /// rows of other sources a retrain would have kept (see
    /// [`crate::learn`]). The floor keeps every row's say.
    #[serde(default)]
    pub fisher_floor: f64,
}

/// The default [`TrainParams::fisher_floor`].
pub const DEFAULT_FISHER_FLOOR: f64 = 0.02;

fn default_cost_tolerance() -> f64 {
    1e-7
}

fn default_min_coverage() -> f32 {
    crate::calibrate::DEFAULT_MIN_COVERAGE
}

/// log2 of the vocabulary bitmap's bits: 2^20 bits (128 KiB) keep the chance
/// that an unseen word looks known near 5% on the shared corpora.
const VOCABULARY_BITS_LOG2: u8 = 20;
/// A word is in the vocabulary when at least this many training messages have it.
const VOCABULARY_MIN_COUNT: u8 = 2;

/// The share of unfamiliar legitimate calibration messages that their
/// language-free evidence may flag: a third of the 3% a held-out language's
/// legitimate messages may be flagged at, for a fit on a hundred-odd
/// messages to generalise.
const EVIDENCE_FPR: f32 = 0.01;
/// Unfamiliar legitimate calibration messages needed to fit the evidence
/// offset on them alone.
const MIN_UNFAMILIAR_HAM: usize = 50;

/// The default [`TrainParams::min_language_rows`], from a learning curve
/// (benches/README.md has the figures): the legitimate messages of a
/// language the model must have before its held-out legitimate messages in
/// that language are flagged at under 3%.
pub const DEFAULT_MIN_LANGUAGE_ROWS: u32 = 320;

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            normalizer: NormalizerConfig::default(),
            featurizer: FeaturizerConfig::default(),
            alpha: 1e-2,
            category_alpha: 1e-3,
            category_buckets_log2: 16,
            max_iterations: 150,
            cost_tolerance: default_cost_tolerance(),
            source_balance: 0.5,
            target_fpr: 0.03,
            max_bytes: crate::classifier::DEFAULT_MAX_BYTES,
            min_coverage: crate::calibrate::DEFAULT_MIN_COVERAGE,
            partial_labels: true,
            partial_sources: Vec::new(),
            min_language_rows: DEFAULT_MIN_LANGUAGE_ROWS,
            fisher_floor: DEFAULT_FISHER_FLOOR,
        }
    }
}

impl TrainParams {
    /// What `e` says its class is under these parameters: its label, or
    /// [`Target::Unwanted`] for a `spam` row of a partial source when
    /// partial labels are on (unless a person read the row: a reviewed
    /// label is a hard one).
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{label::Target, train::TrainParams, Example, Label};
    /// let p = TrainParams { partial_sources: vec!["sms_spam_collection".into()], ..TrainParams::default() };
    /// let row = |source: &str, label| Example { id: String::new(), source: source.into(), channel: String::new(),
    ///     lang: String::new(), label, category: None, text: "WIN a prize".into(), reviewed: false };
    /// assert_eq!(p.target(&row("sms_spam_collection", Label::Spam)), Target::Unwanted);
    /// assert_eq!(p.target(&row("sms_spam_collection", Label::Ham)), Target::Label(Label::Ham));
    /// assert_eq!(p.target(&row("our_marketing", Label::Spam)), Target::Label(Label::Spam));
    /// ```
    pub fn target(&self, e: &Example) -> Target {
        if self.partial_labels
            && e.label == Label::Spam
            && !e.reviewed
            && self.partial_sources.contains(&e.source)
        {
            Target::Unwanted
        } else {
            Target::Label(e.label)
        }
    }
}

/// The class index of a target in the head's fit: the label's, or 3 for
/// [`Target::Unwanted`] (the head's one label set, {spam, scam}).
fn target_index(t: Target) -> usize {
    match t {
        Target::Label(l) => l.index(),
        Target::Unwanted => Label::ALL.len(),
    }
}

impl TrainParams {
    fn check(&self) -> Result<()> {
        self.featurizer.validate().map_err(Error::invalid)?;
        let finite_pos = |v: f64| v.is_finite() && v >= 0.0;
        if !finite_pos(self.alpha) || !finite_pos(self.category_alpha) {
            return Err(Error::invalid(format!(
                "alpha and category_alpha must be finite and >= 0 (got {} and {})",
                self.alpha, self.category_alpha
            )));
        }
        if !(8..=self.featurizer.buckets_log2).contains(&self.category_buckets_log2) {
            return Err(Error::invalid(format!(
                "category_buckets_log2 must be in 8..={}, got {}",
                self.featurizer.buckets_log2, self.category_buckets_log2
            )));
        }
        if self.max_iterations == 0 {
            return Err(Error::invalid("max_iterations must be > 0"));
        }
        if !(self.cost_tolerance.is_finite() && self.cost_tolerance >= 0.0) {
            return Err(Error::invalid(format!(
                "cost_tolerance must be finite and >= 0, got {}",
                self.cost_tolerance
            )));
        }
        if !(0.0..=0.25).contains(&self.fisher_floor) {
            return Err(Error::invalid(format!(
                "fisher_floor must be in [0, 0.25], got {}",
                self.fisher_floor
            )));
        }
        if !(0.0..=1.0).contains(&self.source_balance) {
            return Err(Error::invalid(format!(
                "source_balance must be in [0, 1], got {}",
                self.source_balance
            )));
        }
        if !(self.target_fpr > 0.0 && self.target_fpr < 0.5) {
            return Err(Error::invalid(format!(
                "target_fpr must be in (0, 0.5), got {}",
                self.target_fpr
            )));
        }
        if !(0.0..=1.0).contains(&self.min_coverage) {
            return Err(Error::invalid(format!(
                "min_coverage must be in [0, 1], got {}",
                self.min_coverage
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

/// What the trainer reports while it works.
pub type ProgressFn = dyn Fn(&str) + Send + Sync;

/// Trains models. Built from checked [`TrainParams`].
///
/// ```no_run
/// use scamscan::train::{TrainParams, Trainer};
/// let examples = scamscan::corpus::read_dir_or_file("datasets".as_ref()).unwrap();
/// let model = Trainer::new(TrainParams::default()).unwrap().train(&examples).unwrap();
/// model.save("my-model".as_ref()).unwrap();
/// ```
pub struct Trainer {
    params: TrainParams,
    progress: Option<Box<ProgressFn>>,
}

impl Trainer {
    /// Checks the parameters.
    pub fn new(params: TrainParams) -> Result<Self> {
        params.check()?;
        Ok(Trainer {
            params,
            progress: None,
        })
    }

    /// Reports each stage to `f` (the CLI prints them).
    pub fn with_progress(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    /// The parameters.
    pub fn params(&self) -> &TrainParams {
        &self.params
    }

    fn say(&self, msg: &str) {
        if let Some(f) = &self.progress {
            f(msg);
        }
    }

    /// Trains a model on `examples`.
    pub fn train(&self, examples: &[Example]) -> Result<Model> {
        let p = &self.params;
        let (fit_idx, cal_idx): (Vec<usize>, Vec<usize>) =
            (0..examples.len()).partition(|&i| fold(&examples[i].text) != CALIBRATION_FOLD);
        let targets: Vec<Target> = examples.iter().map(|e| p.target(e)).collect();
        let mut present = [false; 3];
        for &i in &fit_idx {
            if let Some(l) = targets[i].label() {
                present[l.index()] = true;
            }
        }
        if let Some(missing) = Label::ALL.iter().find(|l| !present[l.index()]) {
            let partial = if *missing == Label::Spam && p.partial_labels {
                " (the spam rows of partial sources are only \"unwanted\": marketing must come from another source)"
            } else {
                ""
            };
            return Err(Error::training(format!(
                "no {missing} examples to fit on (need ham, spam and scam; {} examples given){partial}",
                examples.len()
            )));
        }
        self.say(&format!("featurizing {} messages", examples.len()));
        let tokenizer = Tokenizer::new()?;
        let normalizer = Normalizer::new(p.normalizer.clone());
        let mut featurizer = Featurizer::new(p.featurizer.clone(), None).map_err(Error::invalid)?;
        // The vocabulary is built from the legitimate fit messages only: a
        // language the training data knows only from spam (SpamHunter holds
        // spam in a dozen languages and no ham) is one the model cannot tell
        // a legitimate message in, so it must count as unfamiliar.
        // Only the languages the model will call known count: a word of
        // another language's few legitimate messages would make the next
        // message in it look familiar.
        let languages: Vec<&str> = examples.par_iter().map(language_of).collect();
        let legitimate_by_language = {
            let mut m: BTreeMap<String, u64> = BTreeMap::new();
            for (e, lang) in examples.iter().zip(&languages) {
                if e.label == Label::Ham {
                    *m.entry(lang.to_string()).or_insert(0) += 1;
                }
            }
            m
        };
        let known = |lang: &str| {
            legitimate_by_language.get(lang).copied().unwrap_or(0) >= p.min_language_rows as u64
        };
        let is_fit: Vec<bool> = {
            let mut v = vec![false; examples.len()];
            fit_idx
                .iter()
                .filter(|&&i| examples[i].label == Label::Ham && known(languages[i]))
                .for_each(|&i| v[i] = true);
            v
        };
        // Each of rayon's jobs normalizes, tokenizes and hashes its run of
        // messages in buffers of its own, reused from message to message.
        let (mut counts, words): (Vec<TermCounts>, Vec<Vec<u32>>) = examples
            .par_iter()
            .zip(&is_fit)
            .map_init(
                <(Normalized, Tokens, Workspace)>::default,
                |(n, t, ws), (e, &fit)| {
                    // The same cut the classifier makes, so training sees what scoring sees.
                    let (text, _) = crate::classifier::truncate(&e.text, p.max_bytes);
                    normalizer.normalize_into(text, n);
                    if tokenizer.tokenize_into(n.text(), t).is_err() {
                        // As the tokens of a failed tokenization: none.
                        *t = Tokens::default();
                    }
                    let words = if fit {
                        VocabularyBuilder::word_ids(VOCABULARY_BITS_LOG2, n, t)
                    } else {
                        Vec::new()
                    };
                    (featurizer.count_in(n, t, ws), words)
                },
            )
            .unzip();
        let mut vocabulary = VocabularyBuilder::new(VOCABULARY_BITS_LOG2);
        words.iter().for_each(|w| vocabulary.add_ids(w));
        drop(words);
        // The IDF is learned on the fit rows' counts, moved out and back
        // rather than cloned (a copy of 90% of the counts).
        let fit_counts: Vec<TermCounts> = fit_idx
            .iter()
            .map(|&i| std::mem::take(&mut counts[i]))
            .collect();
        featurizer.fit_idf(&fit_counts);
        for (&i, c) in fit_idx.iter().zip(fit_counts) {
            counts[i] = c;
        }
        let dim = featurizer.dim();

        // The rows are vectorized a slice at a time and packed as they come:
        // the fit rows into one block for the ham/spam/scam head, the
        // category rows (folded copies of some fit rows) into their own,
        // and only the calibration rows, used again below, kept as vectors.
        // Holding every row as its own vector first would double the
        // memory, the per-row allocations staying with the process after
        // they are freed.
        let cdim = 1usize << p.category_buckets_log2;
        let cat_idx: Vec<usize> = fit_idx
            .iter()
            .copied()
            .filter(|&i| examples[i].label == Label::Scam && examples[i].category.is_some())
            .collect();
        let mut role = vec![Role::Calibration; examples.len()];
        fit_idx.iter().for_each(|&i| role[i] = Role::Fit);
        cat_idx.iter().for_each(|&i| role[i] = Role::FitAndCategory);
        let mut fit_rows = SparseRows::with_dim(dim);
        let mut cat_rows = SparseRows::with_dim(cdim);
        // Room for every row at once: grown by doubling, the blocks (hundreds
        // of megabytes) were copied over and over. The bound is a row's
        // counts in both blocks; the pages past what is written are never
        // touched.
        let bound = |idx: &[usize]| -> usize {
            idx.iter()
                .map(|&i| counts[i].words.len() + counts[i].chars.len())
                .sum()
        };
        fit_rows.reserve(fit_idx.len(), bound(&fit_idx));
        cat_rows.reserve(cat_idx.len(), bound(&cat_idx));
        let mut vectors: Vec<SparseVector> = vec![SparseVector::default(); examples.len()];
        let vectorize = |start: usize| -> Vec<SparseVector> {
            let end = (start + VECTORIZE_SLICE).min(examples.len());
            counts[start..end]
                .par_iter()
                .map(|c| featurizer.vectorize(c))
                .collect()
        };
        let mut pack = |start: usize, slice: Vec<SparseVector>| -> Result<()> {
            for (i, v) in (start..).zip(slice) {
                match role[i] {
                    Role::Calibration => vectors[i] = v,
                    Role::Fit => fit_rows.push(&v)?,
                    Role::FitAndCategory => {
                        fit_rows.push(&v)?;
                        cat_rows.push(&fold_vector(&v, cdim))?;
                    }
                }
            }
            Ok(())
        };
        // Each slice is packed (one thread, in order) while the next is
        // vectorized (the others): packing alone left them idle.
        let mut pending: Option<(usize, Vec<SparseVector>)> = None;
        let starts = (0..examples.len()).step_by(VECTORIZE_SLICE).map(Some);
        for start in starts.chain(std::iter::once(None)) {
            let (next, packed) = rayon::join(
                || start.map(|s| (s, vectorize(s))),
                || pending.take().map_or(Ok(()), |(s, slice)| pack(s, slice)),
            );
            packed?;
            pending = next;
        }
        drop(counts);

        // Unwanted rows are a group of their own when balancing: equal totals
        // for ham, marketing, scam and unwanted, so that the few rows that
        // say "marketing" weigh as much as the scams they are told from.
        let class = |i: usize| target_index(targets[i]);
        let groups = if targets.contains(&Target::Unwanted) {
            4
        } else {
            3
        };
        let weights = balance(examples, &fit_idx, p.source_balance, class, groups);
        self.say(&format!(
            "fitting the ham/spam/scam head on {} messages",
            fit_idx.len()
        ));
        let (head, report, fisher) = fit_head(
            fit_rows,
            &fit_idx,
            class,
            &weights,
            SoftmaxParams::new(3)
                .alpha(p.alpha)
                .max_iterations(p.max_iterations)
                .cost_tolerance(p.cost_tolerance)
                .label_sets(vec![vec![Label::Spam.index(), Label::Scam.index()]]),
            p.fisher_floor,
        )?;
        self.say(&describe_fit("ham/spam/scam head", &report));

        let precision_of = |f: &crate::linear::Fisher, alpha| HeadPrecision::from_fisher(f, alpha);
        let head_precision = precision_of(&fisher, p.alpha);
        drop(fisher);
        let (category_head, category_fisher) = if cat_idx.is_empty() {
            // No category evidence: an untrained head (uniform over categories).
            let k = Category::ALL.len();
            let head = SoftmaxRegression {
                weights: ndarray::Array2::zeros((cdim, k)),
                intercept: Array1::zeros(k),
            };
            let none = crate::linear::Fisher {
                features: vec![0.0; cdim],
                intercept: vec![0.0; k],
            };
            (head, none)
        } else {
            self.say(&format!(
                "fitting the category head on {} scam messages",
                cat_idx.len()
            ));
            let cat_of = |i: usize| examples[i].category.map_or(0, |c| c.index());
            let cweights = balance(
                examples,
                &cat_idx,
                p.source_balance,
                cat_of,
                Category::ALL.len(),
            );
            let (head, report, fisher) = fit_head(
                cat_rows,
                &cat_idx,
                cat_of,
                &cweights,
                SoftmaxParams::new(Category::ALL.len())
                    .alpha(p.category_alpha)
                    .max_iterations(p.max_iterations)
                    .cost_tolerance(p.cost_tolerance),
                p.fisher_floor,
            )?;
            self.say(&describe_fit("category head", &report));
            (head, fisher)
        };
        let precision = Precision {
            head: head_precision,
            category: precision_of(&category_fisher, p.category_alpha),
        };

        let mut model = Model {
            normalizer: p.normalizer.clone(),
            tokenizer,
            featurizer,
            head,
            category_head,
            calibration: calibrate::Calibration::default(),
            training: TrainingInfo::default(),
            vocabulary: Some(vocabulary.build(VOCABULARY_MIN_COUNT)),
            precision: Some(precision),
            feedback: None,
        };
        model.quantize();

        self.say(&format!(
            "calibrating on {} held-out messages",
            cal_idx.len()
        ));
        let logits: Vec<[f32; 3]> = cal_idx
            .iter()
            .map(|&i| {
                let mut z = [0.0f32; 3];
                model.head.logits(&vectors[i], &mut z);
                z
            })
            .collect();
        let labels: Vec<Target> = cal_idx.iter().map(|&i| targets[i]).collect();
        let cal_weights_all = balance(examples, &cal_idx, p.source_balance, class, groups);
        let cal_weights: Vec<f64> = cal_idx.iter().map(|&i| cal_weights_all[&i]).collect();
        model.calibration.min_coverage = p.min_coverage;
        model.calibration.min_language_rows = p.min_language_rows;
        let scorer = crate::classifier::Classifier::new(model.clone());
        let mut ham_weights = per_source_ham_weights(examples, &cal_idx, p.source_balance);
        // The threshold is chosen on the legitimate messages it will judge:
        // an unfamiliar one is judged on its language-free evidence, under
        // the offset fitted below, and letting it raise the threshold would
        // cost recall on every familiar message.
        let familiar: Vec<bool> = cal_idx
            .par_iter()
            .map(|&i| examples[i].label != Label::Ham || scorer.is_familiar(&examples[i].text))
            .collect();
        let unfamiliar_ham: Vec<usize> = cal_idx
            .iter()
            .zip(&familiar)
            .filter(|&(&i, &f)| !f && examples[i].label == Label::Ham)
            .map(|(&i, _)| i)
            .collect();
        for (w, &f) in ham_weights.iter_mut().zip(&familiar) {
            if !f {
                *w = 0.0;
            }
        }
        let (min_coverage, min_words) =
            (model.calibration.min_coverage, model.calibration.min_words);
        model.calibration =
            calibrate::fit(&logits, &labels, &cal_weights, &ham_weights, p.target_fpr);
        model.calibration.min_coverage = min_coverage;
        model.calibration.min_words = min_words;
        model.calibration.min_language_rows = p.min_language_rows;
        if p.min_language_rows > 0 || p.min_coverage > 0.0 {
            // The offset is fitted on the legitimate messages the evidence
            // will judge, the unfamiliar ones (bank alerts and one-time codes
            // in other languages are full of links, numbers and amounts),
            // each weighing the same, at EVIDENCE_FPR; with too few of them,
            // on every legitimate message.
            let scorer = crate::classifier::Classifier::new(model.clone());
            let ham: Vec<usize> = if unfamiliar_ham.len() >= MIN_UNFAMILIAR_HAM {
                unfamiliar_ham
            } else {
                cal_idx
                    .iter()
                    .copied()
                    .filter(|&i| examples[i].label == Label::Ham)
                    .collect()
            };
            let logits: Vec<[f32; 3]> = ham
                .par_iter()
                .map(|&i| scorer.evidence_logits_of(&examples[i].text))
                .collect();
            let w = vec![1.0; ham.len()];
            model.calibration.evidence_offset = calibrate::fit_evidence_offset(
                &model.calibration,
                &logits,
                &w,
                EVIDENCE_FPR.min(p.target_fpr),
            );
        }

        model.training = TrainingInfo {
            params: serde_json::to_value(p).map_err(|e| Error::training(e.to_string()))?,
            fit_counts: count_by_source(examples, &fit_idx),
            calibration_counts: count_by_source(examples, &cal_idx),
            category_counts: {
                let mut m = BTreeMap::new();
                for &i in &cat_idx {
                    *m.entry(
                        examples[i]
                            .category
                            .map_or("none", |c| c.as_str())
                            .to_string(),
                    )
                    .or_insert(0) += 1;
                }
                m
            },
            legitimate_by_language,
        };
        Ok(model)
    }
}

/// The language of a training row: its `lang`, or the detected language of
/// a row without one (`und` when that cannot be told).
pub(crate) fn language_of(e: &Example) -> &str {
    if e.lang.is_empty() {
        crate::language::identify(&e.text).unwrap_or("und")
    } else {
        &e.lang
    }
}

/// Sample weights for the rows `idx` (`class` of a row index): per class, each `(source, class)` group
/// of `n` rows gets total weight `n^beta`; classes present get equal totals;
/// the mean weight is 1.
fn balance(
    examples: &[Example],
    idx: &[usize],
    beta: f64,
    class: impl Fn(usize) -> usize,
    n_classes: usize,
) -> BTreeMap<usize, f64> {
    let mut groups: BTreeMap<(&str, usize), usize> = BTreeMap::new();
    for &i in idx {
        *groups
            .entry((examples[i].source.as_str(), class(i)))
            .or_default() += 1;
    }
    let mut class_total = vec![0.0f64; n_classes];
    for (&(_, c), &n) in &groups {
        class_total[c] += (n as f64).powf(beta);
    }
    let present = class_total.iter().filter(|&&t| t > 0.0).count().max(1) as f64;
    let mut w: BTreeMap<usize, f64> = idx
        .iter()
        .map(|&i| {
            let c = class(i);
            let n = groups[&(examples[i].source.as_str(), c)] as f64;
            (i, n.powf(beta) / n / class_total[c] / present)
        })
        .collect();
    let mean = w.values().sum::<f64>() / idx.len().max(1) as f64;
    if mean > 0.0 {
        w.values_mut().for_each(|v| *v /= mean);
    }
    w
}

/// Weights of the legitimate messages when choosing the threshold: a source
/// with `n` of them weighs `n^beta` in total, as in training.
fn per_source_ham_weights(examples: &[Example], idx: &[usize], beta: f64) -> Vec<f64> {
    let mut n: HashMap<&str, usize> = HashMap::new();
    for &i in idx {
        if examples[i].label == Label::Ham {
            *n.entry(examples[i].source.as_str()).or_default() += 1;
        }
    }
    idx.iter()
        .map(|&i| {
            let e = &examples[i];
            if e.label == Label::Ham {
                let n = n[e.source.as_str()] as f64;
                n.powf(beta) / n
            } else {
                0.0
            }
        })
        .collect()
}

/// What a message is used for in training.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    /// Held out, for the calibration.
    Calibration,
    /// Fitted by the ham/spam/scam head.
    Fit,
    /// Fitted by both heads (a scam message with a category).
    FitAndCategory,
}

/// Messages vectorized at a time while packing the rows: enough to keep the
/// threads busy, few enough that the slice's vectors are a small buffer.
const VECTORIZE_SLICE: usize = 4096;

/// Fits one head on `rows`, the rows of the examples `idx` (in that order),
/// and measures its Fisher information there.
fn fit_head(
    rows: SparseRows,
    idx: &[usize],
    target: impl Fn(usize) -> usize,
    weights: &BTreeMap<usize, f64>,
    params: SoftmaxParams,
    fisher_floor: f64,
) -> Result<(SoftmaxRegression, FitReport, crate::linear::Fisher)> {
    let y = Array1::from_iter(idx.iter().map(|&i| target(i)));
    let w = Array1::from_iter(idx.iter().map(|i| weights[i] as f32));
    let ds = DatasetBase::new(rows, y).with_weights(w);
    let (head, report) = params.check()?.fit_with_report(&ds)?;
    // The weights the fit saw (f32), so that the curvature is the fit's own.
    let w: Vec<f64> = ds
        .weights()
        .map_or_else(Vec::new, |w| w.iter().map(|&x| f64::from(x)).collect());
    let fisher = crate::linear::fisher_diagonal(&head, &ds.records, &w, fisher_floor);
    Ok((head, report, fisher))
}

/// One progress line about a fit: where the time went and why it stopped.
fn describe_fit(what: &str, r: &FitReport) -> String {
    format!(
        "{what}: {} L-BFGS iterations ({}), objective {:.6e}, {} passes over the data at {:.0} ms each, {:.1} s in all",
        r.iterations,
        r.stopped.to_lowercase(),
        r.cost,
        r.evaluations,
        r.evaluation_seconds * 1e3 / r.evaluations.max(1) as f64,
        r.seconds
    )
}

/// Folds a vector onto `dim` buckets (index modulo `dim`), summing collisions.
pub fn fold_vector(v: &SparseVector, dim: usize) -> SparseVector {
    let mut pairs: Vec<(u32, f32)> = v.iter().map(|(i, x)| ((i % dim) as u32, x)).collect();
    pairs.sort_unstable_by_key(|p| p.0);
    let mut out = SparseVector::default();
    for (i, x) in pairs {
        if out.indices.last() == Some(&i) {
            *out.values.last_mut().expect("non-empty") += x;
        } else {
            out.indices.push(i);
            out.values.push(x);
        }
    }
    out
}

fn count_by_source(examples: &[Example], idx: &[usize]) -> BTreeMap<String, [u64; 3]> {
    let mut m: BTreeMap<String, [u64; 3]> = BTreeMap::new();
    for &i in idx {
        m.entry(examples[i].source.clone()).or_default()[examples[i].label.index()] += 1;
    }
    m
}

/// Licences of the shared corpora, as their README states them.
const KNOWN_LICENCES: &[(&str, &str)] = &[
    (
        "mendeley_smishing",
        "not stated in the copy used (Mendeley Data, DOI 10.17632/f45bkkt8pr.1)",
    ),
    (
        "crypto_arbitrage_bot_scam_youtube",
        "no licence file in the repository (CryptoScamHunter)",
    ),
    ("scamspot_instagram", "MIT"),
    ("indonesian_sms_spam", "CC BY-SA 4.0"),
    ("exais_sms", "not stated in the copy used"),
    ("super_latest", "not stated (README asks for citation)"),
    ("spamhunter", "not stated in the copy used"),
    ("nus_sms", "not stated in the copy used"),
    ("super_legacy", "not stated (README asks for citation)"),
    (
        "spamassassin",
        "ODC PDDL 1.0 / CC0 1.0 (stdlib copy); message text copyright stays with senders",
    ),
    ("nazario_phishing", "none stated in the copy used"),
    (
        "emscad_fake_jobs",
        "BSD-2-Clause (r-dube copy); no licence file (Eric-Miao copy)",
    ),
    ("scamscan", "the project's own (same licence as the code)"),
];

/// Per-source metrics on held-out rows, for the model card.
#[derive(Debug, Clone, Serialize)]
pub struct SourceMetrics {
    /// The source.
    pub source: String,
    /// Rows.
    pub n: usize,
    /// ROC-AUC of flagged (spam or scam) vs ham, on `1 − p(ham)`.
    pub auc: Option<f64>,
    /// Recall of spam+scam at 1% FPR on this source's ham.
    pub recall_at_1pct: Option<f64>,
    /// Recall of spam+scam at the model's default decision.
    pub recall: Option<f64>,
    /// Share of ham flagged at the default decision.
    pub ham_fpr: Option<f64>,
}

/// Scores held-out `examples` and computes per-source metrics (plus "all").
pub fn held_out_metrics(
    classifier: &crate::Classifier,
    examples: &[&Example],
) -> Vec<SourceMetrics> {
    let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    let verdicts = classifier.classify_batch(&texts);
    let mut by: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, e) in examples.iter().enumerate() {
        by.entry(e.source.clone()).or_default().push(i);
        by.entry("(all)".into()).or_default().push(i);
    }
    by.into_iter()
        .map(|(source, idx)| {
            let scores: Vec<f32> = idx
                .iter()
                .map(|&i| 1.0 - verdicts[i].probabilities.ham)
                .collect();
            let truth: Vec<bool> = idx
                .iter()
                .map(|&i| examples[i].label != Label::Ham)
                .collect();
            let conf = metrics::Confusion::from_pairs(
                idx.iter()
                    .map(|&i| (verdicts[i].is_flagged(), examples[i].label != Label::Ham)),
            );
            SourceMetrics {
                n: idx.len(),
                auc: metrics::roc_auc(&scores, &truth),
                recall_at_1pct: metrics::recall_at_fpr(&scores, &truth, 0.01),
                recall: conf.recall(),
                ham_fpr: conf.fpr(),
                source,
            }
        })
        .collect()
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:.3}"))
}

/// Today's date (UTC) as `YYYY-MM-DD`, from the system clock.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (y, m, d) = crate::math::civil_from_days(secs.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Writes the model card `README.md` into `dir`.
///
/// `held_out` are metrics on the calibration rows; `seconds` the training time;
/// `command` the command that produced the model.
pub fn write_model_card(
    dir: &Path,
    model: &Model,
    held_out: &[SourceMetrics],
    seconds: f64,
    command: &str,
) -> Result<()> {
    use std::fmt::Write;
    let mut s = String::new();
    let t = &model.training;
    let size = std::fs::metadata(dir.join("model.bin")).map_or(0, |m| m.len());
    let _ = writeln!(s, "# scamscan model card\n");
    let _ = writeln!(
        s,
        "- Trained: {} in {seconds:.1} s (wall clock, {} threads)",
        today(),
        rayon::current_num_threads()
    );
    let _ = writeln!(s, "- Command: `{command}`");
    let _ = writeln!(
        s,
        "- `model.bin`: {size} bytes (weights stored as f16); `tokenizer.json` defines tokenization"
    );
    let _ = writeln!(
        s,
        "- Model: hashed word 1–2-grams + entity tokens + char_wb {}–{}-grams ({} buckets), TF-IDF (sublinear), per-block L2; multinomial logistic regression (ham/spam/scam) and a category head ({} buckets); temperature + offset calibration",
        model.featurizer.config().char_ngram_min,
        model.featurizer.config().char_ngram_max,
        model.featurizer.dim(),
        model.category_head.dim()
    );
    let _ = writeln!(
        s,
        "- Decision: flagged when 1 − p(ham) ≥ {:.3} (chosen for ≤ {:.0}% of held-out legitimate messages, a source of n of them weighing n^source_balance); then scam if p(scam) ≥ p(spam), else spam",
        model.calibration.flag_threshold,
        model.calibration.target_fpr * 100.0
    );
    if let Some(v) = &model.vocabulary {
        let _ = writeln!(
            s,
            "- Unsure: when fewer than {:.0}% of a message's counted words (at least {}) are among the words of the legitimate training messages ({} bits, {:.1}% set): an unfamiliar language or script",
            model.calibration.min_coverage * 100.0,
            model.calibration.min_words,
            1u64 << v.bits_log2(),
            v.fill() * 100.0
        );
    }
    if model.calibration.min_language_rows > 0 {
        let known: Vec<String> = model
            .training
            .legitimate_by_language
            .iter()
            .filter(|(l, _)| model.knows_language(l))
            .map(|(l, n)| format!("{l} ({n})"))
            .collect();
        let _ = writeln!(
            s,
            "- Languages: a message in a language (whatlang, on the original text) with fewer than {} legitimate training messages, told reliably or, when too close to call between languages, ahead of every known language by twice whatlang's margin of reliability (Tagalog, and Hindi and Urdu in Latin letters, also by their own function words, however much English is around them), is judged on its entities and cues alone (ham offset {:+.3}, fitted for ≤ 1% of the unfamiliar held-out legitimate messages), and unsure unless they flag it and include a suspicious link (a shortener, a brand look-alike, an IP address, a defanged or unencrypted link, a throwaway top-level domain), a wallet, a messenger, a handle, or a cue asking for a code or a fee or moving the talk to a messenger (phone numbers, amounts, codes, ordinary links, urgency, threats and prizes alone never flag it). Known: {}",
            model.calibration.min_language_rows,
            model.calibration.evidence_offset,
            known.join(", ")
        );
    }
    if let Some(sources) = model
        .training
        .params
        .get("partial_sources")
        .and_then(|v| v.as_array())
        .filter(|a| !a.is_empty())
    {
        let names: Vec<&str> = sources.iter().filter_map(|v| v.as_str()).collect();
        let _ = writeln!(
            s,
            "- Partial labels: the `spam` rows of {} (sources that call every unwanted message spam, marketing and fraud alike) are trained as \"spam or scam\", with the loss −log(p(spam) + p(scam)), except rows a person read (`datasets/annotations/unwanted.tsv`), which are hard labels",
            names.join(", ")
        );
    }
    let _ = writeln!(
        s,
        "- Filter evasion undone before scoring: look-alike letters, invisible characters, letters spaced apart, defanged links, leetspeak, emoji padding (normalizer `unmask`: {}, featurizer `unmask`: {}); scam-move cue features: {}",
        model.normalizer.unmask,
        model.featurizer.config().unmask,
        model.featurizer.config().cues
    );
    let _ = writeln!(
        s,
        "\n## Hyperparameters\n\n```json\n{}\n```",
        serde_json::to_string_pretty(&t.params).unwrap_or_default()
    );
    let _ = writeln!(
        s,
        "\n## Training data\n\nRows fitted / held out for calibration (ham, spam, scam), and licences as known:\n"
    );
    let _ = writeln!(
        s,
        "| source | fit ham | fit spam | fit scam | calib. rows | licence (as known) |\n|---|---:|---:|---:|---:|---|"
    );
    for (src, c) in &t.fit_counts {
        let cal: u64 = t.calibration_counts.get(src).map_or(0, |c| c.iter().sum());
        let lic = KNOWN_LICENCES
            .iter()
            .find(|(k, _)| k == src)
            .map_or("unknown", |(_, l)| l);
        let _ = writeln!(
            s,
            "| {src} | {} | {} | {} | {cal} | {lic} |",
            c[0], c[1], c[2]
        );
    }
    let _ = writeln!(
        s,
        "\nCategory head trained on: {}",
        t.category_counts
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        s,
        "\n## Held-out metrics (calibration fold, in-source)\n\nThese rows were not fitted, but the calibration and the decision threshold were chosen on them, and they come from the same sources as the fitted rows: they measure in-domain performance only. See `EVALUATION.md` for leave-one-source-out figures and the side-by-side comparison.\n"
    );
    let _ = writeln!(
        s,
        "| source | n | ROC-AUC | recall @1% FPR | recall (default) | ham FPR (default) |\n|---|---:|---:|---:|---:|---:|"
    );
    for m in held_out {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            m.source,
            m.n,
            fmt_opt(m.auc),
            fmt_opt(m.recall_at_1pct),
            fmt_opt(m.recall),
            fmt_opt(m.ham_fpr)
        );
    }
    let _ = writeln!(
        s,
        "\n## Reliability (calibration fold)\n\n| p(scam) bin | mean predicted | observed scam rate | n |\n|---|---:|---:|---:|"
    );
    for b in &model.calibration.reliability_scam {
        let _ = writeln!(
            s,
            "| {:.1}–{:.1} | {:.3} | {:.3} | {} |",
            b.lo, b.hi, b.predicted, b.observed, b.count
        );
    }
    let _ = writeln!(
        s,
        "\nTemperature {:.3}, offsets (ham, spam, scam) {:?}.",
        model.calibration.temperature, model.calibration.bias
    );
    let _ = writeln!(
        s,
        "\n## Limitations\n\n- Sources differ in era, country, channel and preprocessing; a model can learn the source instead of the scam. Leave-one-source-out figures are the honest ones.\n- `spam` in most sources mixes marketing and scams; the scam/spam boundary is noisy.\n- A corpus scam's category is the one a person read in it where `--annotations` gives one, else its source's (every Nazario row `bank`, every ScamSpot row `investment`); a category most of whose rows come from one source is named less often for traffic unlike that source (leave one source out: EVALUATION.md).\n- A language with fewer legitimate training messages than the floor above is not read: its messages are judged on their language-free evidence, and are `unsure` unless that is strong."
    );
    let path = dir.join("README.md");
    std::fs::write(&path, s).map_err(|e| Error::io(&path, e))
}
