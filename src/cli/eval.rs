//! `scamscan eval`.

use super::explain::ReportFormat;
use super::{load_classifier, DataArgs, DecisionArgs, Diag, ModelArg, EXIT_ERROR, EXIT_OK};
use clap::Args;
use scamscan::eval::{evaluate, EvalOptions};
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
}

/// Runs `eval`.
pub fn run(args: &EvalArgs, diag: &mut Diag) -> u8 {
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
    let report = evaluate(&classifier, &examples, &EvalOptions::default());
    if report.truncated > 0 {
        diag.warn(&format!(
            "warning: {} message(s) were longer than --max-bytes {} and were scored on their start",
            report.truncated, args.decision.max_bytes
        ));
    }
    let text = match args.output {
        ReportFormat::Human => report.to_markdown(),
        ReportFormat::Json => {
            serde_json::to_string_pretty(&report).expect("the report serializes") + "\n"
        }
    };
    let mut code = EXIT_OK;
    if let Some(path) = &args.plot {
        match scamscan::plot::write_plots(&report, path) {
            Ok(()) => {
                let png = path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("png"));
                if png && scamscan::plot::font_path().is_none() {
                    diag.warn(&format!(
                        "{}: warning: no font found, the PNG has no text (set {} to a .ttf file, or use .svg)",
                        path.display(),
                        scamscan::plot::FONT_ENV
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
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            diag.error(&format!("cannot write the output: {e}"));
            return EXIT_ERROR;
        }
    }
    code
}
