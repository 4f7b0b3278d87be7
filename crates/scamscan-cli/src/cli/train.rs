//! `scamscan train`.

use super::{DataArgs, Diag, EXIT_ERROR, EXIT_OK, command_line};
use clap::Args;
use scamscan::Label;
use scamscan::corpus::{CALIBRATION_FOLD, Example, fold};
use scamscan::featurize::FeaturizerConfig;
use scamscan::train::{TrainParams, Trainer, held_out_metrics, write_model_card};
use scamscan::{Classifier, ClassifyOptions};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `scamscan train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// The model directory to write (created if missing): model.bin, tokenizer.json and the model card README.md.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub params: TrainParamArgs,
}

/// Training hyperparameters as flags, shared by `train` and `eval --leave-one-out`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Training")]
pub struct TrainParamArgs {
    /// L2 penalty of the ham/spam/scam head.
    #[arg(long, value_name = "A", default_value_t = TrainParams::default().alpha)]
    pub alpha: f64,
    /// L2 penalty of the category head.
    #[arg(long, value_name = "A", default_value_t = TrainParams::default().category_alpha)]
    pub category_alpha: f64,
    /// Most L-BFGS iterations per head.
    #[arg(long, value_name = "N", default_value_t = TrainParams::default().max_iterations)]
    pub max_iterations: u64,
    /// Stop a head's fit when an iteration lowers its objective by less than
    /// this share of the objective at zero weights (0: never).
    #[arg(long, value_name = "F", default_value_t = TrainParams::default().cost_tolerance)]
    pub cost_tolerance: f64,
    /// log2 of the number of hashed feature buckets (10 to 24).
    #[arg(long, value_name = "B", default_value_t = FeaturizerConfig::default().buckets_log2)]
    pub buckets_log2: u8,
    /// Shortest character n-grams taken from each word (fastText's -minn).
    #[arg(long, value_name = "N", default_value_t = FeaturizerConfig::default().char_ngram_min)]
    pub char_ngram_min: usize,
    /// Longest character n-grams taken from each word (fastText's -maxn).
    #[arg(long, value_name = "N", default_value_t = FeaturizerConfig::default().char_ngram_max)]
    pub char_ngram_max: usize,
    /// log2 of the category head's buckets [default: min(16, --buckets-log2)].
    #[arg(long, value_name = "B")]
    pub category_buckets_log2: Option<u8>,
    /// Largest share of held-out legitimate messages the default decision may flag.
    #[arg(long, value_name = "F", default_value_t = TrainParams::default().target_fpr)]
    pub target_fpr: f32,
    /// Per-source balancing exponent: 0 every source weighs the same, 1 every row does.
    #[arg(long, value_name = "B", default_value_t = TrainParams::default().source_balance)]
    pub source_balance: f64,
    /// The least curvature p(1-p) a training row adds to the per-weight
    /// precisions `learn` anchors to (0: the plain Fisher information).
    #[arg(long, value_name = "F", default_value_t = TrainParams::default().fisher_floor)]
    pub fisher_floor: f64,
    /// Turn off undoing filter evasion (spaced letters, defanged links,
    /// leetspeak, emoji padding): for measuring what it is worth.
    #[arg(long)]
    pub no_unmask: bool,
    /// Turn off the scam-move cue features (urgency, threats, fees,
    /// credentials, job pay, moving to a messenger, prizes).
    #[arg(long)]
    pub no_cues: bool,
    /// Below this share of known words a message is unsure (0: never).
    #[arg(long, value_name = "F", default_value_t = TrainParams::default().min_coverage)]
    pub min_coverage: f32,
    /// How features are hashed into buckets: xxh3 (each feature on its own;
    /// the default, and the built-in model's scheme), or multiply-add (one
    /// multiply-add per character and n-gram length), for comparing the two.
    #[arg(long, value_enum, value_name = "SCHEME", default_value_t = HashingArg::Xxh3)]
    pub hashing: HashingArg,
    /// Legitimate training messages a language needs to count as known
    /// (0: every language does). A message in another language is judged
    /// on its links, numbers, wallets and cues alone, and unsure unless
    /// they are enough.
    #[arg(long, value_name = "N", default_value_t = TrainParams::default().min_language_rows)]
    pub min_language_rows: u32,
    /// The sources file (`datasets/sources.tsv`): which sources' `spam` is
    /// "unwanted", marketing and fraud mixed, rather than marketing. Their
    /// spam rows are trained as "spam or scam" (partial labels).
    #[arg(long, value_name = "FILE")]
    pub sources: Option<PathBuf>,
    /// Train every `spam` row as marketing, whatever the sources file says
    /// (the behaviour before partial labels).
    #[arg(long)]
    pub no_partial_labels: bool,
}

/// `--hashing`: [`scamscan::featurize::Hashing`] on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HashingArg {
    /// xxh3 of each feature; the default.
    Xxh3,
    /// One multiply-add per byte.
    MultiplyAdd,
}

impl From<HashingArg> for scamscan::featurize::Hashing {
    fn from(arg: HashingArg) -> Self {
        match arg {
            HashingArg::MultiplyAdd => scamscan::featurize::Hashing::MultiplyAdd,
            HashingArg::Xxh3 => scamscan::featurize::Hashing::Xxh3,
        }
    }
}

impl TrainParamArgs {
    /// The checked-later parameters these flags describe (reading the
    /// sources file).
    pub fn params(&self) -> scamscan::Result<TrainParams> {
        let d = TrainParams::default();
        let partial_sources = match &self.sources {
            Some(path) => scamscan::corpus::unwanted_sources(path)?,
            None => Vec::new(),
        };
        Ok(TrainParams {
            normalizer: scamscan::normalize::NormalizerConfig {
                unmask: !self.no_unmask,
                ..d.normalizer.clone()
            },
            featurizer: FeaturizerConfig {
                buckets_log2: self.buckets_log2,
                char_ngram_min: self.char_ngram_min,
                char_ngram_max: self.char_ngram_max,
                unmask: !self.no_unmask,
                cues: !self.no_cues,
                hashing: self.hashing.into(),
                ..FeaturizerConfig::default()
            },
            alpha: self.alpha,
            category_alpha: self.category_alpha,
            category_buckets_log2: self
                .category_buckets_log2
                .unwrap_or(d.category_buckets_log2.min(self.buckets_log2)),
            max_iterations: self.max_iterations,
            cost_tolerance: self.cost_tolerance,
            source_balance: self.source_balance,
            fisher_floor: self.fisher_floor,
            target_fpr: self.target_fpr,
            min_coverage: self.min_coverage,
            min_language_rows: self.min_language_rows,
            partial_labels: !self.no_partial_labels,
            partial_sources,
            ..d
        })
    }
}

/// Runs `train`.
pub fn run(args: &TrainArgs, diag: &mut Diag) -> u8 {
    let trainer = match args.params.params().and_then(Trainer::new) {
        Ok(t) => t,
        Err(e) => {
            diag.error(&e.to_string());
            return EXIT_ERROR;
        }
    };
    let examples = match args.data.read() {
        Ok(e) => e,
        Err(e) => {
            diag.error(&e.to_string());
            return EXIT_ERROR;
        }
    };
    diag.notice(&format!("read {} labeled messages", examples.len()));
    let start = Instant::now();
    let trainer = if diag.can_report() {
        trainer.with_progress(move |msg| {
            eprintln!("scamscan: [{:6.1} s] {msg}", start.elapsed().as_secs_f64());
        })
    } else {
        trainer
    };
    let model = match trainer.train(&examples) {
        Ok(m) => m,
        Err(e) => {
            diag.error(&e.to_string());
            return EXIT_ERROR;
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    if let Err(e) = model.save(&args.out) {
        diag.error(&format!("cannot save the model: {e}"));
        return EXIT_ERROR;
    }
    // Reload what was written: the card's metrics are those of the saved
    // model. They need scores only, not reasons.
    let classifier = match Classifier::from_path(&args.out) {
        Ok(c) => c.with_options(ClassifyOptions {
            reasons: 0,
            ..ClassifyOptions::default()
        }),
        Err(e) => {
            diag.error(&format!("the saved model does not load: {e}"));
            return EXIT_ERROR;
        }
    };
    let held: Vec<&Example> = examples
        .iter()
        .filter(|e| fold(&e.text) == CALIBRATION_FOLD)
        .collect();
    let metrics = held_out_metrics(&classifier, &held);
    if let Err(e) = write_model_card(&args.out, &model, &metrics, seconds, &command_line()) {
        diag.error(&format!("cannot write the model card: {e}"));
        return EXIT_ERROR;
    }
    let mut counts = [0usize; 3];
    for e in &examples {
        counts[e.label.index()] += 1;
    }
    let sources: std::collections::BTreeSet<&str> =
        examples.iter().map(|e| e.source.as_str()).collect();
    let all = metrics.iter().find(|m| m.source == "(all)");
    let f3 = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.3}"));
    let size = std::fs::metadata(args.out.join("model.bin")).map_or(0, |m| m.len());
    let out = args.out.display();
    let summary = format!(
        "Trained on {} messages from {} source(s) ({} ham, {} spam, {} scam) in {seconds:.1} s. \
         On the {} held-out calibration rows: ROC-AUC {} (flagged vs ham), recall {} of spam+scam \
         at a ham false-positive rate of {} under the default decision (flagged when 1 - p(ham) >= {:.3}). \
         Wrote {out}/model.bin ({size} bytes), {out}/tokenizer.json and the model card {out}/README.md.\n",
        examples.len(),
        sources.len(),
        counts[Label::Ham.index()],
        counts[Label::Spam.index()],
        counts[Label::Scam.index()],
        held.len(),
        f3(all.and_then(|m| m.auc)),
        f3(all.and_then(|m| m.recall)),
        f3(all.and_then(|m| m.ham_fpr)),
        model.calibration.flag_threshold,
    );
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(summary.as_bytes());
    EXIT_OK
}
