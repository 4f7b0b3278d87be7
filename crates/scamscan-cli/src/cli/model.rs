//! `scamscan model info`.

use super::explain::ReportFormat;
use super::{Diag, EXIT_ERROR, EXIT_OK, ModelArg, load_classifier};
use clap::{Args, Subcommand};
use scamscan::Model;
use scamscan::model::FORMAT_VERSION;
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

/// `scamscan model ...`.
#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Describe a model: format, dimensions, calibration, training data, size.
    #[command(
        after_help = "Examples:\n  scamscan model info\n  scamscan model info my-model --output json"
    )]
    Info(InfoArgs),
}

/// Arguments of `scamscan model info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The model directory; the built-in model when absent.
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Output format.
    #[arg(long, short, value_enum, value_name = "FORMAT", default_value_t = ReportFormat::Human)]
    pub output: ReportFormat,
}

/// What `model info --output json` prints.
#[derive(Debug, Serialize)]
struct Info<'a> {
    model: String,
    format_version: u32,
    model_bin_bytes: u64,
    buckets: usize,
    category_buckets: usize,
    featurizer: &'a scamscan::featurize::FeaturizerConfig,
    normalizer: &'a scamscan::normalize::NormalizerConfig,
    calibration: Calibration,
    training: &'a scamscan::model::TrainingInfo,
    fit_rows: [u64; 3],
    calibration_rows: [u64; 3],
    /// Whether the model has the per-weight precisions `learn` needs.
    learnable: bool,
    /// What it learned from feedback, if it did.
    feedback: Option<Feedback<'a>>,
}

#[derive(Debug, Serialize)]
struct Feedback<'a> {
    rows: usize,
    /// The languages the feedback made known.
    languages: &'a [String],
    per_label: [usize; 3],
    base_flag_threshold: f32,
    info: &'a serde_json::Value,
}

#[derive(Debug, Serialize)]
struct Calibration {
    temperature: f32,
    bias: [f32; 3],
    flag_threshold: f32,
    target_fpr: f32,
    min_coverage: f32,
    min_words: u32,
    min_language_rows: u32,
    evidence_offset: f32,
    vocabulary_bits: Option<u64>,
    vocabulary_fill: Option<f64>,
}

fn totals(m: &std::collections::BTreeMap<String, [u64; 3]>) -> [u64; 3] {
    m.values()
        .fold([0; 3], |a, c| [a[0] + c[0], a[1] + c[1], a[2] + c[2]])
}

/// Runs `model info`.
pub fn run(cmd: &ModelCommand, diag: &mut Diag) -> u8 {
    let ModelCommand::Info(args) = cmd;
    let classifier = match load_classifier(&ModelArg {
        model: args.dir.clone(),
    }) {
        Ok(c) => c,
        Err(e) => {
            diag.error(&e);
            return EXIT_ERROR;
        }
    };
    let model: &Model = classifier.model();
    let size = match &args.dir {
        Some(d) => std::fs::metadata(d.join("model.bin")).map_or(0, |m| m.len()),
        // The built-in bytes are not exposed; serializing is deterministic and gives the same size.
        None => model.to_bytes().map_or(0, |b| b.len() as u64),
    };
    let c = &model.calibration;
    let info = Info {
        model: args
            .dir
            .as_ref()
            .map_or("built-in".into(), |d| d.display().to_string()),
        format_version: match &args.dir {
            Some(d) => file_version(&d.join("model.bin")).unwrap_or(FORMAT_VERSION),
            None => FORMAT_VERSION,
        },
        model_bin_bytes: size,
        buckets: model.featurizer.dim(),
        category_buckets: model.category_head.dim(),
        featurizer: model.featurizer.config(),
        normalizer: &model.normalizer,
        calibration: Calibration {
            temperature: c.temperature,
            bias: c.bias,
            flag_threshold: c.flag_threshold,
            target_fpr: c.target_fpr,
            min_coverage: c.min_coverage,
            min_words: c.min_words,
            min_language_rows: c.min_language_rows,
            evidence_offset: c.evidence_offset,
            vocabulary_bits: model.vocabulary.as_ref().map(|v| 1u64 << v.bits_log2()),
            vocabulary_fill: model.vocabulary.as_ref().map(|v| v.fill()),
        },
        training: &model.training,
        fit_rows: totals(&model.training.fit_counts),
        calibration_rows: totals(&model.training.calibration_counts),
        learnable: model.precision.is_some(),
        feedback: model.feedback.as_ref().map(|f| {
            let mut per_label = [0usize; 3];
            f.rows.iter().for_each(|r| per_label[r.label.index()] += 1);
            Feedback {
                rows: f.rows.len(),
                languages: &f.languages,
                per_label,
                base_flag_threshold: f.base.calibration.flag_threshold,
                info: &f.info,
            }
        }),
    };
    let text = match args.output {
        ReportFormat::Json => {
            serde_json::to_string_pretty(&info).expect("model info serializes") + "\n"
        }
        ReportFormat::Human => human(&info),
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            diag.error(&format!("cannot write the output: {e}"));
            EXIT_ERROR
        }
        _ => EXIT_OK,
    }
}

/// The format version a model file declares (bytes 8 to 12).
fn file_version(path: &std::path::Path) -> Option<u32> {
    use std::io::Read;
    let mut head = [0u8; 12];
    std::fs::File::open(path).ok()?.read_exact(&mut head).ok()?;
    Some(u32::from_le_bytes(head[8..12].try_into().ok()?))
}

fn human(i: &Info) -> String {
    let mut s = String::new();
    let f = i.featurizer;
    let _ = writeln!(s, "model:         {}", i.model);
    let _ = writeln!(s, "format:        version {}", i.format_version);
    let _ = writeln!(
        s,
        "model.bin:     {} bytes ({:.1} MiB, weights as f16)",
        i.model_bin_bytes,
        i.model_bin_bytes as f64 / (1 << 20) as f64
    );
    let _ = writeln!(
        s,
        "features:      2^{} = {} hashed buckets ({}): words{}, entities, character {}-{}-grams",
        f.buckets_log2,
        i.buckets,
        match f.hashing {
            scamscan::featurize::Hashing::Xxh3 => "xxh3",
            scamscan::featurize::Hashing::MultiplyAdd => "multiply-add",
        },
        if f.word_bigrams {
            " and word bigrams"
        } else {
            ""
        },
        f.char_ngram_min,
        f.char_ngram_max
    );
    let _ = writeln!(
        s,
        "heads:         ham/spam/scam ({} x 3); scam category ({} x 12)",
        i.buckets, i.category_buckets
    );
    let c = &i.calibration;
    let _ = writeln!(
        s,
        "calibration:   temperature {:.3}, offsets ham {:+.3} spam {:+.3} scam {:+.3}",
        c.temperature, c.bias[0], c.bias[1], c.bias[2]
    );
    let _ = writeln!(
        s,
        "decision:      flagged when 1 - p(ham) >= {:.4} (chosen for <= {}% of held-out ham); scam if p(scam) >= p(spam)",
        c.flag_threshold,
        c.target_fpr * 100.0
    );
    match (c.vocabulary_bits, c.vocabulary_fill) {
        (Some(bits), Some(fill)) if c.min_coverage > 0.0 => {
            let _ = writeln!(
                s,
                "unsure:        when fewer than {:.0}% of a message's words (and at least {}) are in the vocabulary ({bits} bits, {:.1}% set)",
                c.min_coverage * 100.0,
                c.min_words,
                fill * 100.0
            );
        }
        _ => {
            let _ = writeln!(s, "unsure:        never (no vocabulary, or min_coverage 0)");
        }
    }
    if c.min_language_rows > 0 {
        let _ = writeln!(
            s,
            "               or when its language has fewer than {} legitimate training messages; then flagged only on its links, numbers and cues (ham offset {:+.3})",
            c.min_language_rows, c.evidence_offset
        );
    }
    let [h, sp, sc] = i.fit_rows;
    let [ch, csp, csc] = i.calibration_rows;
    let _ = writeln!(
        s,
        "trained on:    {} rows (ham {h}, spam {sp}, scam {sc}); calibrated on {} (ham {ch}, spam {csp}, scam {csc})",
        h + sp + sc,
        ch + csp + csc
    );
    if !i.training.fit_counts.is_empty() {
        let _ = writeln!(
            s,
            "\n  {:<34} {:>8} {:>8} {:>8} {:>8}",
            "source", "ham", "spam", "scam", "calib."
        );
        for (src, n) in &i.training.fit_counts {
            let cal: u64 = i
                .training
                .calibration_counts
                .get(src)
                .map_or(0, |c| c.iter().sum());
            let _ = writeln!(
                s,
                "  {src:<34} {:>8} {:>8} {:>8} {cal:>8}",
                n[0], n[1], n[2]
            );
        }
    }
    if !i.training.category_counts.is_empty() {
        let cats: Vec<String> = i
            .training
            .category_counts
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(s, "\ncategory head: {}", cats.join(", "));
    }
    if !i.training.legitimate_by_language.is_empty() {
        let langs: Vec<String> = i
            .training
            .legitimate_by_language
            .iter()
            .map(|(k, v)| {
                let known = c.min_language_rows == 0 || *v >= c.min_language_rows as u64;
                format!("{k} {v}{}", if known { "" } else { " (too few)" })
            })
            .collect();
        let _ = writeln!(s, "legitimate by language: {}", langs.join(", "));
    }
    if let Some(obj) = i.training.params.as_object() {
        let keys = ["alpha", "max_iterations", "source_balance", "target_fpr"];
        let ps: Vec<String> = keys
            .iter()
            .filter_map(|k| {
                obj.get(*k).map(|v| match v.as_f64() {
                    // f32 parameters widened to f64: print them short.
                    Some(f) => format!("{k} {}", f as f32),
                    None => format!("{k} {v}"),
                })
            })
            .collect();
        if !ps.is_empty() {
            let _ = writeln!(s, "parameters:    {}", ps.join(", "));
        }
    }
    match (&i.feedback, i.learnable) {
        (Some(f), _) => {
            let [h, sp, sc] = f.per_label;
            let _ = writeln!(
                s,
                "learned:       {} feedback rows (ham {h}, spam {sp}, scam {sc}) on top of the base model; base threshold {:.4}",
                f.rows, f.base_flag_threshold
            );
            let known = match f.languages {
                [] => "none".to_string(),
                l => l.join(", "),
            };
            let _ = writeln!(s, "               languages known from feedback: {known}");
        }
        (None, true) => {
            let _ = writeln!(
                s,
                "learn:         per-weight precisions stored; no feedback learned"
            );
        }
        (None, false) => {
            let _ = writeln!(
                s,
                "learn:         no per-weight precisions: retrain to use `scamscan learn`"
            );
        }
    }
    s
}
