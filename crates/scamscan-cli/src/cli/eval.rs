//! `scamscan eval`.

use super::explain::ReportFormat;
use super::{DataArgs, DecisionArgs, Diag, EXIT_ERROR, EXIT_OK, ModelArg, load_classifier};
use clap::Args;
use scamscan::eval::{
    EvalOptions, HoldOut, LearnSimOptions, cross_validate, evaluate, robustness,
    robustness_markdown, simulate_learning,
};
use scamscan::obfuscate::Perturbation;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `scamscan eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub model: ModelArg,
    #[command(flatten)]
    pub data: DataArgs,
    /// Also draw the ROC, precision-recall and reliability curves to this .svg or .png file.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Output format: a Markdown report, or the full report as JSON.
    #[arg(long, short, value_enum, value_name = "FORMAT", default_value_t = ReportFormat::Human)]
    pub output: ReportFormat,
    #[command(flatten)]
    pub decision: DecisionArgs,
    /// Instead of evaluating a model: hold out each source (or channel, or
    /// language) in turn, train on the rest with the default parameters, and
    /// report the pooled held-out predictions. One training per group.
    #[arg(long, value_enum, value_name = "FIELD", conflicts_with = "model")]
    pub leave_one_out: Option<HoldOutArg>,
    /// With --leave-one-out: hold out only these groups (comma-separated),
    /// each still trained without; all of them when absent.
    #[arg(
        long,
        value_name = "GROUPS",
        value_delimiter = ',',
        requires = "leave_one_out"
    )]
    pub only: Vec<String>,
    /// Also score every spam and scam message under each filter-evasion
    /// perturbation (homoglyphs, zero-width characters, leetspeak, spaced
    /// letters, defanged links, random case, emoji) and report recall lost.
    #[arg(long)]
    pub perturb: bool,
    #[command(flatten)]
    pub params: super::train::TrainParamArgs,
    /// With --leave-one-out: also write every held-out row's prediction to
    /// this JSONL file (id, source, channel, lang, truth, predicted,
    /// probabilities, coverage, category head), for re-analysis.
    #[arg(long, value_name = "FILE", requires = "leave_one_out")]
    pub predictions: Option<PathBuf>,
    /// With --leave-one-out: simulate learning from each held-out group's
    /// own traffic. For each K (comma-separated, e.g. 0,25,100,400), learn
    /// K of its rows (stratified by label, seeded by --seed) on the model
    /// trained without it, and measure on the rest of the group; also
    /// checks that learning leaves the other groups' figures alone.
    #[arg(
        long,
        value_name = "K,...",
        value_delimiter = ',',
        requires = "leave_one_out"
    )]
    pub learn: Vec<usize>,
    /// With --learn: also retrain from scratch with the same K rows, the upper bound.
    #[arg(long, requires = "learn")]
    pub retrain: bool,
    /// With --learn: `scamscan learn --weight`, the multiplier of each learned row's weight.
    #[arg(long, value_name = "W", requires = "learn", default_value_t = scamscan::learn::LearnParams::default().weight)]
    pub learn_weight: f64,
    /// The seed of the perturbations, and of --learn's draw.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
}

/// The field `--leave-one-out` holds out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HoldOutArg {
    /// Each source corpus.
    Source,
    /// Each channel (sms, email, social, video, job_post).
    Channel,
    /// Each language.
    Lang,
}

/// Runs `eval`.
pub fn run(args: &EvalArgs, diag: &mut Diag) -> u8 {
    if let Some(by) = args.leave_one_out {
        return cross(args, by, diag);
    }
    let classifier = match load_classifier(&args.model) {
        Ok(c) => c.with_options(args.decision.options(0)),
        Err(e) => {
            diag.error(&e);
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
    if examples.is_empty() {
        diag.error("no labeled messages to evaluate on");
        return EXIT_ERROR;
    }
    diag.notice(&format!(
        "evaluating on {} labeled messages",
        examples.len()
    ));
    let opts = match eval_options(args) {
        Ok(o) => o,
        Err(e) => {
            diag.error(&e.to_string());
            return EXIT_ERROR;
        }
    };
    let report = evaluate(&classifier, &examples, &opts);
    if report.truncated > 0 {
        diag.warn(&format!(
            "warning: {} message(s) were longer than --max-bytes {} and were scored on their start",
            report.truncated, args.decision.max_bytes
        ));
    }
    let robust = args.perturb.then(|| {
        diag.notice("scoring spam and scam messages under each perturbation");
        robustness(&classifier, &examples, &Perturbation::ALL, args.seed)
    });
    let text = match args.output {
        ReportFormat::Human => {
            let mut s = report.to_markdown();
            if let Some(r) = &robust {
                s.push_str(&robustness_markdown(r));
            }
            s
        }
        ReportFormat::Json => {
            // The report alone, as before `--perturb` existed; with it, both.
            let v = match &robust {
                Some(r) => serde_json::json!({"report": &report, "robustness": r}),
                None => serde_json::to_value(&report).expect("the report serializes"),
            };
            serde_json::to_string_pretty(&v).expect("the report serializes") + "\n"
        }
    };
    let mut code = EXIT_OK;
    if let Some(path) = &args.plot {
        match crate::plot::write_plots(&report, path) {
            Ok(()) => {
                let png = path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("png"));
                if png && crate::plot::font_path().is_none() {
                    diag.warn(&format!(
                        "{}: warning: no font found, the PNG has no text (set {} to a .ttf file, or use .svg)",
                        path.display(),
                        crate::plot::FONT_ENV
                    ));
                }
                diag.notice(&format!("wrote {}", path.display()));
            }
            Err(e) => {
                diag.error(&e.to_string());
                code = EXIT_ERROR;
            }
        }
    }
    print_report(&text, diag).unwrap_or(code)
}

/// The evaluation's options: which sources' spam is only "unwanted", from
/// `--sources`.
fn eval_options(args: &EvalArgs) -> scamscan::Result<EvalOptions> {
    Ok(EvalOptions {
        unwanted_sources: match &args.params.sources {
            Some(path) => scamscan::corpus::unwanted_sources(path)?,
            None => Vec::new(),
        },
        ..EvalOptions::default()
    })
}

/// `eval --leave-one-out`: one training per held-out group.
fn cross(args: &EvalArgs, by: HoldOutArg, diag: &mut Diag) -> u8 {
    let examples = match args.data.read() {
        Ok(e) => e,
        Err(e) => {
            diag.error(&e.to_string());
            return EXIT_ERROR;
        }
    };
    let by = match by {
        HoldOutArg::Source => HoldOut::Source,
        HoldOutArg::Channel => HoldOut::Channel,
        HoldOutArg::Lang => HoldOut::Lang,
    };
    let params = match args.params.params() {
        Ok(p) => scamscan::train::TrainParams {
            max_bytes: args.decision.max_bytes,
            ..p
        },
        Err(e) => {
            diag.error(&e.to_string());
            return EXIT_ERROR;
        }
    };
    let quiet = !diag.can_report();
    let start = std::time::Instant::now();
    let say = move |m: &str| {
        if !quiet {
            eprintln!("scamscan: [{:7.1} s] {m}", start.elapsed().as_secs_f64());
        }
    };
    if !args.learn.is_empty() {
        return learning(args, &examples, &params, by, &say, diag);
    }
    let opts = EvalOptions {
        unwanted_sources: params.partial_sources.clone(),
        hold_out_only: args.only.clone(),
        ..EvalOptions::default()
    };
    let report = match cross_validate(&examples, &params, by, &opts, &say) {
        Ok(r) => r,
        Err(e) => {
            diag.error(&e.to_string());
            return EXIT_ERROR;
        }
    };
    let mut code = EXIT_OK;
    if let Some(path) = &args.predictions {
        let mut buf = String::new();
        for p in &report.predictions {
            buf.push_str(&serde_json::to_string(p).expect("a prediction serializes"));
            buf.push('\n');
        }
        if let Err(e) = std::fs::write(path, buf) {
            diag.error(&format!(
                "{}: cannot write the predictions: {e}",
                path.display()
            ));
            code = EXIT_ERROR;
        }
    }
    print_report(&render(args.output, &report, || report.to_markdown()), diag).unwrap_or(code)
}

/// `eval --leave-one-out --learn K,...`: the learning simulation.
fn learning(
    args: &EvalArgs,
    examples: &[scamscan::Example],
    params: &scamscan::train::TrainParams,
    by: HoldOut,
    say: &(dyn Fn(&str) + Sync),
    diag: &mut Diag,
) -> u8 {
    let opts = LearnSimOptions {
        ks: args.learn.clone(),
        retrain: args.retrain,
        seed: args.seed,
        only: args.only.clone(),
        learn: scamscan::learn::LearnParams {
            max_bytes: params.max_bytes,
            weight: args.learn_weight,
            ..Default::default()
        },
    };
    // The predictions are written group by group, and each group's figures
    // said as it finishes: a long run stopped early keeps what it measured.
    let mut file = match &args.predictions {
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Some((path, std::io::BufWriter::new(f))),
            Err(e) => {
                diag.error(&format!(
                    "{}: cannot write the predictions: {e}",
                    path.display()
                ));
                return EXIT_ERROR;
            }
        },
        None => None,
    };
    let mut write_error = None;
    let mut done = |g: &scamscan::eval::GroupResult, preds: &[scamscan::eval::LearnPrediction]| {
        say(&group_summary(g));
        if let Some((path, w)) = &mut file {
            let mut buf = String::new();
            for p in preds {
                buf.push_str(&serde_json::to_string(p).expect("a prediction serializes"));
                buf.push('\n');
            }
            if let Err(e) = w.write_all(buf.as_bytes()).and_then(|()| w.flush()) {
                write_error.get_or_insert(format!(
                    "{}: cannot write the predictions: {e}",
                    path.display()
                ));
            }
        }
    };
    let report = match simulate_learning(examples, params, by, &opts, say, &mut done) {
        Ok(r) => r,
        Err(e) => {
            diag.error(&e.to_string());
            return EXIT_ERROR;
        }
    };
    let mut code = EXIT_OK;
    if let Some(e) = write_error {
        diag.error(&e);
        code = EXIT_ERROR;
    }
    print_report(&render(args.output, &report, || report.to_markdown()), diag).unwrap_or(code)
}

/// A report as Markdown or as JSON.
fn render(
    format: ReportFormat,
    report: &impl serde::Serialize,
    markdown: impl FnOnce() -> String,
) -> String {
    match format {
        ReportFormat::Human => markdown(),
        ReportFormat::Json => {
            serde_json::to_string_pretty(report).expect("the report serializes") + "\n"
        }
    }
}

/// One line per (system, K) of a finished group of the learning simulation.
fn group_summary(g: &scamscan::eval::GroupResult) -> String {
    let f = |v: Option<f64>| v.map_or("—".into(), |v| format!("{v:.4}"));
    let mut s = format!("{} done ({} test rows):", g.name, g.test);
    for c in &g.cells {
        let m = &c.metrics;
        s.push_str(&format!(
            "\n    {} {}: ROC-AUC {}, recall at 1% FPR {}, ham flagged {}, recall {}",
            c.system,
            c.k,
            f(m.roc_auc),
            f(m.recall_at_1pct),
            f(m.ham_flagged),
            f(m.recall)
        ));
    }
    if let Some(fg) = &g.forgetting {
        let largest = fg
            .largest(scamscan::eval::SourceChange::change)
            .and_then(|c| Some(format!("{:+.4} ({})", c.change()?, c.source)))
            .unwrap_or_else(|| "—".into());
        s.push_str(&format!(
            "\n    forgetting after K = {}: pooled ROC-AUC {} -> {} (retrain {}), largest source change {largest}",
            fg.k,
            f(fg.pooled.before),
            f(fg.pooled.after),
            f(fg.pooled.retrain),
        ));
    }
    s
}

/// Writes a report to stdout; `Some(EXIT_ERROR)` when that fails (a closed
/// pipe is not a failure: `scamscan eval ... | head` is fine).
fn print_report(text: &str, diag: &mut Diag) -> Option<u8> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            diag.error(&format!("cannot write the output: {e}"));
            Some(EXIT_ERROR)
        }
        _ => None,
    }
}
