//! `scamscan learn`.

use super::data::ColumnArgs;
use super::{Diag, EXIT_ERROR, EXIT_OK, command_line};
use clap::{ArgGroup, Args};
use scamscan::learn::{LearnParams, LearnReport};
use scamscan::{Classifier, Error, Model};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `scamscan learn`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("what").required(true).multiple(true).args(["data", "forget", "forget_file"])))]
pub struct LearnArgs {
    /// The model to learn on (a directory written by `train` or `learn`); the built-in model when absent.
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
    /// Labeled feedback (`label` ham, spam or scam, and `text`; `id`,
    /// `category` and `source` optional): a JSONL file, a directory of
    /// them, a CSV/TSV file (by extension), or - for standard input;
    /// repeatable. A row with the id of a row learned before replaces it.
    #[arg(long, value_name = "FILE_OR_DIR", num_args = 1..)]
    pub data: Vec<PathBuf>,
    #[command(flatten)]
    pub columns: ColumnArgs,
    /// Forget the feedback rows with these ids.
    #[arg(long, value_name = "ID", num_args = 1..)]
    pub forget: Vec<String>,
    /// Forget the ids listed in this file, one per line (- for standard input).
    #[arg(long, value_name = "FILE")]
    pub forget_file: Option<PathBuf>,
    /// The model directory to write: a new one, or a model directory to
    /// replace (never --model's). Written whole to a temporary directory
    /// beside it, then renamed into place.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Multiply each feedback row's weight (1: the weight a retrain with it would give it).
    #[arg(long, value_name = "W", default_value_t = LearnParams::default().weight)]
    pub weight: f64,
    /// Fewest legitimate feedback rows for re-checking the flag threshold;
    /// with fewer, the base threshold stays.
    #[arg(long, value_name = "N", default_value_t = LearnParams::default().threshold_rows)]
    pub threshold_rows: usize,
    /// Fewest legitimate feedback rows of a language for the model to count
    /// it as known, so that its messages are no longer unsure.
    #[arg(long, value_name = "N", default_value_t = LearnParams::default().language_rows)]
    pub language_rows: usize,
    /// Most L-BFGS iterations per fit (fewer is faster, and stops short of the optimum).
    #[arg(long, value_name = "N", default_value_t = LearnParams::default().max_iterations)]
    pub max_iterations: u64,
}

/// Runs `learn`.
pub fn run(args: &LearnArgs, diag: &mut Diag) -> u8 {
    let start = Instant::now();
    if let Err(e) = check_out(args) {
        diag.error(&e);
        return EXIT_ERROR;
    }
    let model = match &args.model {
        Some(dir) => Model::load(dir).map_err(|e| format!("cannot load model: {e}")),
        None => Classifier::builtin()
            .map(|c| c.model().clone())
            .map_err(|e| format!("cannot load the built-in model: {e}")),
    };
    let model = match model {
        Ok(m) => m,
        Err(e) => {
            diag.error(&e);
            return EXIT_ERROR;
        }
    };
    if model.precision.is_none() {
        let name = args
            .model
            .as_ref()
            .map_or("the built-in model".into(), |d| d.display().to_string());
        diag.error(&format!(
            "{name}: cannot learn: the model has no per-weight precisions (it predates model format version 2); retrain it with `scamscan train`"
        ));
        return EXIT_ERROR;
    }
    // Bad rows are reported and skipped; the others are learned.
    let mut bad_rows = 0usize;
    let examples = args.columns.read_with(&args.data, |e: Error| {
        bad_rows += 1;
        diag.error(&e.to_string());
        Ok(())
    });
    let examples = match examples {
        Ok(e) => e,
        Err(e) => {
            diag.error(&e.to_string());
            return EXIT_ERROR;
        }
    };
    let mut forget = args.forget.clone();
    if let Some(path) = &args.forget_file {
        match read_ids(path) {
            Ok(ids) => forget.extend(ids),
            Err(e) => {
                diag.error(&e);
                return EXIT_ERROR;
            }
        }
    }
    if examples.is_empty() && forget.is_empty() {
        diag.error("nothing to learn or forget: no readable feedback row; nothing written");
        return EXIT_ERROR;
    }
    let params = LearnParams {
        weight: args.weight,
        threshold_rows: args.threshold_rows,
        language_rows: args.language_rows,
        max_iterations: args.max_iterations,
        ..LearnParams::default()
    };
    let ids: Vec<&str> = forget.iter().map(String::as_str).collect();
    let (learned, report) = match model.update(&examples, &ids, &params) {
        Ok(r) => r,
        Err(e) => {
            diag.error(&format!("cannot learn: {e}"));
            return EXIT_ERROR;
        }
    };
    for id in &report.not_found {
        diag.warn(&format!(
            "warning: no feedback row with id {id:?} to forget"
        ));
    }
    if let Err(e) = write_model(&learned, &args.out, &card(&learned, &report)) {
        diag.error(&e);
        return EXIT_ERROR;
    }
    let mut summary = summary(args, &report, start.elapsed().as_secs_f64());
    summary.push_str(&languages(&learned, params.language_rows));
    let _ = std::io::stdout().lock().write_all(summary.as_bytes());
    if bad_rows > 0 || diag.errors() > 0 {
        EXIT_ERROR
    } else {
        EXIT_OK
    }
}

/// `--out` must not be `--model`: the model would be replaced while it is
/// the base of what is written, and a failed run would lose it.
fn check_out(args: &LearnArgs) -> Result<(), String> {
    let Some(model) = &args.model else {
        return Ok(());
    };
    let same = match (model.canonicalize(), args.out.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => model == &args.out,
    };
    if same {
        return Err(format!(
            "--out {} is the --model directory: write the learned model elsewhere (learning is cumulative: the next run takes it as --model)",
            args.out.display()
        ));
    }
    Ok(())
}

/// Ids from a file (or stdin), one per line; blank lines skipped.
fn read_ids(path: &Path) -> Result<Vec<String>, String> {
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let f = std::fs::File::open(path)
            .map_err(|e| format!("{}: cannot read the ids to forget: {e}", path.display()))?;
        Box::new(std::io::BufReader::new(f))
    };
    let mut ids = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
        let id = line.trim();
        if !id.is_empty() {
            ids.push(id.to_string());
        }
    }
    Ok(ids)
}

/// Writes the model directory whole into a temporary directory beside
/// `out`, then renames it into place: a failure leaves `out` as it was.
/// An existing `out` is replaced only if it is a model directory.
fn write_model(model: &Model, out: &Path, card: &str) -> Result<(), String> {
    let shown = out.display();
    if out.exists() && !(out.is_dir() && out.join("model.bin").is_file()) {
        let empty = out.is_dir() && std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_none());
        if !empty {
            return Err(format!(
                "{shown}: exists and is not a model directory: not replaced (choose a new --out)"
            ));
        }
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .map_err(|e| format!("{}: cannot create the directory: {e}", parent.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix(".scamscan-learn-")
        .tempdir_in(&parent)
        .map_err(|e| {
            format!(
                "{shown}: cannot write beside it in {}: {e}",
                parent.display()
            )
        })?;
    model
        .save(tmp.path())
        .map_err(|e| format!("{shown}: cannot write the model: {e}"))?;
    let readme = tmp.path().join("README.md");
    std::fs::write(&readme, card)
        .map_err(|e| format!("{shown}: cannot write the model card: {e}"))?;
    // What was written must load: a model that does not is never put in place.
    Model::load(tmp.path())
        .map_err(|e| format!("{shown}: the written model does not load: {e}"))?;
    let old = if out.exists() {
        let old = tempfile::Builder::new()
            .prefix(".scamscan-replaced-")
            .tempdir_in(&parent)
            .map_err(|e| format!("{shown}: cannot replace it: {e}"))?;
        let target = old.path().join("model");
        std::fs::rename(out, &target).map_err(|e| format!("{shown}: cannot replace it: {e}"))?;
        Some((old, target))
    } else {
        None
    };
    let tmp = tmp.keep();
    if let Err(e) = std::fs::rename(&tmp, out) {
        // Put the old model back; the new one is removed.
        if let Some((_, target)) = &old {
            let _ = std::fs::rename(target, out);
        }
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(format!("{shown}: cannot move the model into place: {e}"));
    }
    Ok(())
}

/// The line printed on success.
fn summary(args: &LearnArgs, r: &LearnReport, seconds: f64) -> String {
    let [h, sp, sc] = r.per_label;
    let mut s = format!(
        "The model in {} holds {} feedback row(s) (ham {h}, spam {sp}, scam {sc}): {} added, {} replaced, {} forgotten, in {seconds:.1} s ({} L-BFGS iterations).",
        args.out.display(),
        r.rows,
        r.added,
        r.replaced,
        r.forgotten,
        r.iterations
    );
    if let Some(t) = &r.threshold {
        s.push_str(&format!(" Threshold: {}.", t.rule));
    }
    s.push('\n');
    s
}

/// What the legitimate feedback rows do for their languages: which the
/// model knows, and how many rows the others still need (an operator
/// teaching a language must know why its messages are still unsure).
fn languages(model: &Model, language_rows: usize) -> String {
    let Some(f) = &model.feedback else {
        return String::new();
    };
    let count = scamscan::model::legitimate_rows_by_language(&f.rows);
    if count.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = count
        .iter()
        .map(|(&lang, &n)| {
            if model.knows_language(lang) {
                format!("{lang} {n} (known)")
            } else {
                format!(
                    "{lang} {n} (unknown until {}: --language-rows)",
                    language_rows.max(1)
                )
            }
        })
        .collect();
    format!("Legitimate rows by language: {}.\n", parts.join(", "))
}

/// The model card of a learned model.
fn card(model: &Model, r: &LearnReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::from("# scamscan model card (learned from feedback)\n\n");
    let _ = writeln!(s, "- Command: `{}`", command_line());
    let [h, sp, sc] = r.per_label;
    let _ = writeln!(
        s,
        "- Feedback rows: {} (ham {h}, spam {sp}, scam {sc}), kept as hashed feature vectors, ids, labels and sources: the texts are not in this directory",
        r.rows
    );
    let t = &model.training;
    let fit: u64 = t.fit_counts.values().flatten().sum();
    let _ = writeln!(
        s,
        "- Base model: trained on {fit} rows from {} source(s): {}",
        t.fit_counts.len(),
        t.fit_counts.keys().cloned().collect::<Vec<_>>().join(", ")
    );
    match &r.threshold {
        Some(c) => {
            let _ = writeln!(
                s,
                "- Decision: flagged when 1 − p(ham) ≥ {:.4} (base {:.4}): {}",
                c.threshold, c.base_threshold, c.rule
            );
        }
        None => {
            let _ = writeln!(
                s,
                "- Decision: the base model's, flagged when 1 − p(ham) ≥ {:.4}",
                model.calibration.flag_threshold
            );
        }
    }
    let _ = writeln!(
        s,
        "\nLearning is MAP adaptation: the log-loss on the feedback rows plus, for every weight, a quadratic pull towards the base model's weight whose strength is the Fisher information the training data gave it (see the `scamscan::learn` documentation). `scamscan learn --forget ID` removes a row and re-derives the model from the base: the result is the model that never learned it."
    );
    s
}
