//! `scamscan explain`.

use super::{DecisionArgs, Diag, EXIT_ERROR, EXIT_FLAGGED, EXIT_OK, ModelArg, load_classifier};
use crate::input::{Event, InputOptions, Inputs, Message, Origin, read_limit};
use crate::printer::{VerdictRecord, highlight, reason_table};
use clap::{Args, ValueEnum};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Reasons whose spans are highlighted in the message.
const HIGHLIGHTED: usize = 10;

/// Output of `explain` and `model info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Readable text.
    Human,
    /// One JSON document.
    Json,
}

/// Arguments of `scamscan explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The message: an existing file (read like `classify` reads it; `-` is stdin), else the text itself.
    #[arg(value_name = "TEXT|FILE")]
    pub message: String,
    /// Output format.
    #[arg(long, short, value_enum, value_name = "FORMAT", default_value_t = ReportFormat::Human)]
    pub output: ReportFormat,
    /// List only the N strongest reasons [default: all of them].
    #[arg(long, value_name = "N")]
    pub reasons: Option<usize>,
    #[command(flatten)]
    pub model: ModelArg,
    #[command(flatten)]
    pub decision: DecisionArgs,
}

/// Runs `explain`; the exit status is the one `classify` would give.
pub fn run(args: &ExplainArgs, color: bool, diag: &mut Diag) -> u8 {
    let classifier = match load_classifier(&args.model) {
        Ok(c) => c.with_options(args.decision.options(usize::MAX)),
        Err(e) => {
            diag.error(&e);
            return EXIT_ERROR;
        }
    };
    let path = Path::new(&args.message);
    if path.is_dir() {
        diag.error(&format!(
            "{}: is a directory (explain takes one message; use `scamscan classify --explain` for many)",
            args.message
        ));
        return EXIT_ERROR;
    }
    let message = if args.message == "-" || path.is_file() {
        match read_one(&args.message, args.decision.max_bytes, diag) {
            Some(m) => m,
            None => return EXIT_ERROR,
        }
    } else {
        Message {
            id: Value::Null,
            origin: Origin {
                path: "<text>".into(),
                line: None,
            },
            text: args.message.clone(),
            fields: None,
            lossy: false,
            cut: None,
        }
    };
    let mut v = classifier.explain(&message.text);
    let total = v.reasons.len();
    v.reasons.truncate(args.reasons.unwrap_or(total));
    if v.truncated || message.cut.is_some() {
        diag.warn(&format!(
            "{}: warning: message truncated: only its first {} bytes were scored (--max-bytes)",
            message.origin, args.decision.max_bytes
        ));
    }
    let mut out = std::io::stdout().lock();
    let written = match args.output {
        ReportFormat::Json => {
            let mut doc = serde_json::to_value(VerdictRecord::new(&message, &v))
                .expect("a verdict serializes");
            if let Value::Object(o) = &mut doc {
                o.insert("text".into(), Value::String(message.text.clone()));
            }
            serde_json::to_writer_pretty(&mut out, &doc)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
        }
        ReportFormat::Human => {
            let text = human(&classifier, &message, &v, total, color);
            out.write_all(text.as_bytes())
        }
    };
    if let Err(e) = written.and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        diag.error(&format!("cannot write the output: {e}"));
        return EXIT_ERROR;
    }
    if v.is_flagged() {
        EXIT_FLAGGED
    } else {
        EXIT_OK
    }
}

/// Reads the first message of a file (or stdin), reporting whatever else happens.
fn read_one(path: &str, max_bytes: usize, diag: &mut Diag) -> Option<Message> {
    let opts = InputOptions {
        read_limit: read_limit(max_bytes),
        ..InputOptions::default()
    };
    let mut found = None;
    let mut extra = 0u64;
    for ev in Inputs::new(vec![PathBuf::from(path)], opts) {
        match ev {
            Event::Message(m) if found.is_none() => found = Some(m),
            Event::Message(_) => extra += 1,
            Event::Error(e) => diag.error(&format!("{}: {}", e.origin, e.message)),
            Event::Warning(o, msg) => diag.warn(&format!("{o}: warning: {msg}")),
            Event::Notice(o, msg) => diag.notice(&format!("{o}: {msg}")),
        }
    }
    if extra > 0 {
        diag.notice(&format!(
            "{path}: holds {} messages; explaining the first (use `scamscan classify --explain` for all)",
            extra + 1
        ));
    }
    if found.is_none() && diag.errors() == 0 {
        diag.error(&format!("{path}: no message to explain"));
    }
    found.filter(|_| diag.errors() == 0)
}

/// The report on `v`, whose reasons are the strongest `v.reasons.len()` of `total`.
fn human(
    classifier: &scamscan::Classifier,
    m: &Message,
    v: &scamscan::Verdict,
    total: usize,
    color: bool,
) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let p = v.probabilities;
    let label = if color {
        let code = match v.label {
            scamscan::Label::Scam => "\x1b[1;31m",
            scamscan::Label::Spam => "\x1b[1;33m",
            scamscan::Label::Ham => "\x1b[32m",
            scamscan::Label::Unsure => "\x1b[1;36m",
        };
        format!("{code}{}\x1b[0m", v.label.as_str().to_uppercase())
    } else {
        v.label.as_str().to_uppercase()
    };
    let _ = write!(
        s,
        "{label}  p(scam) {:.3}  p(spam) {:.3}  p(ham) {:.3}",
        p.scam, p.spam, p.ham
    );
    if let (Some(c), Some(cp)) = (v.category, v.category_probability) {
        let _ = write!(s, "  category: {c} ({cp:.2})");
    }
    if m.id != Value::Null {
        let _ = write!(s, "  {}", m.name());
    }
    s.push('\n');
    let cal = &classifier.model().calibration;
    let rule = match classifier.options().scam_threshold {
        Some(t) => format!(
            "scam when p(scam) >= {t}; else spam when 1 - p(ham) >= {:.3} and p(spam) >= p(scam)",
            cal.flag_threshold
        ),
        None => format!(
            "flagged when 1 - p(ham) >= {:.3}, then scam if p(scam) >= p(spam), else spam",
            cal.flag_threshold
        ),
    };
    let _ = writeln!(s, "decision: {rule}");
    let _ = writeln!(
        s,
        "\nmessage ({} strongest reasons marked: [+towards scam+], [-towards ham-]):",
        HIGHLIGHTED.min(v.reasons.len())
    );
    let top = &v.reasons[..HIGHLIGHTED.min(v.reasons.len())];
    for line in highlight(&m.text, top, color).lines() {
        let _ = writeln!(s, "  | {line}");
    }
    let shown = if v.reasons.len() < total {
        format!("the {} strongest of {total}", v.reasons.len())
    } else {
        total.to_string()
    };
    let _ = writeln!(
        s,
        "\nreasons ({shown}; contribution to the log-odds of scam vs ham):"
    );
    s.push_str(&reason_table(&v.reasons, color, "  "));
    s
}
