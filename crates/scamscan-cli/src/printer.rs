//! Output formats of `scamscan classify`: human, JSONL, CSV and TSV.
//!
//! ## The JSONL record
//!
//! One JSON object per message, in input order. It is a contract other
//! tools depend on, stated once, in the README's "The JSON Lines contract"
//! section; [`VerdictRecord`] is its Rust form and `tests/cli_contract.rs`
//! checks every promise of it.
//!
//! ## CSV and TSV
//!
//! A header row, then one row per message or error record, with the columns
//! [`TABLE_COLUMNS`]: `id,label,score,p_ham,p_spam,p_scam,category,top_reason,error`.
//! TSV is written without quoting; tabs and line breaks inside a value
//! become spaces.

use crate::input::{InputError, Message};
use scamscan::explain::Reason;
use scamscan::label::{Category, Label};
use scamscan::{Probabilities, Verdict};
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt::Write as _;
use std::io::{self, Write};

/// How verdicts are written.
///
/// # Example
///
/// ```
/// use clap::ValueEnum;
/// use scamscan_cli::printer::OutputFormat;
/// assert_eq!(OutputFormat::from_str("JSONL", true), Ok(OutputFormat::Jsonl));
/// assert_eq!(OutputFormat::default(), OutputFormat::Human);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// One readable line per message.
    #[default]
    Human,
    /// One JSON object per message, in input order.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
}

/// The columns of CSV and TSV output.
pub const TABLE_COLUMNS: [&str; 9] = [
    "id",
    "label",
    "score",
    "p_ham",
    "p_spam",
    "p_scam",
    "category",
    "top_reason",
    "error",
];

/// Options of a [`Printer`].
///
/// # Example
///
/// ```
/// use scamscan_cli::input::{Message, Origin};
/// use scamscan_cli::printer::{PrintOptions, Printer};
/// let m = Message { id: "msg-1".into(), origin: Origin { path: "-".into(), line: None },
///     text: "lunch at 1?".into(), fields: None, lossy: false, cut: None };
/// let v = scamscan::Classifier::default().classify(&m.text);
/// let mut out = Vec::new();
/// let mut p = Printer::new(&mut out, PrintOptions { explain: true, ..Default::default() })?;
/// p.message(&m, &v)?;
/// drop(p);
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.starts_with("ham ") && text.lines().next().unwrap().ends_with("msg-1"));
/// assert!(text.lines().nth(1).unwrap().starts_with("    | ")); // the message, highlighted
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintOptions {
    /// The format.
    pub format: OutputFormat,
    /// Use ANSI colours (human output only).
    pub color: bool,
    /// Human output: show each message with the spans of its reasons
    /// highlighted, and each reason's contribution.
    pub explain: bool,
    /// Human output: how many reasons to show on the verdict line.
    pub reasons: usize,
}

impl Default for PrintOptions {
    fn default() -> Self {
        PrintOptions {
            format: OutputFormat::Human,
            color: false,
            explain: false,
            reasons: 3,
        }
    }
}

/// The JSONL record of a verdict (see the [module docs](self)).
///
/// It borrows from the message and the verdict, so writing a record copies
/// nothing.
///
/// # Example
///
/// ```
/// use scamscan_cli::input::{Message, Origin};
/// use scamscan_cli::printer::VerdictRecord;
/// let m = Message { id: serde_json::Value::Null, origin: Origin { path: "-".into(), line: None },
///     text: "lunch at 1?".into(), fields: None, lossy: false, cut: None };
/// let v = scamscan::Classifier::default().classify(&m.text);
/// let json = serde_json::to_value(VerdictRecord::new(&m, &v)).unwrap();
/// assert_eq!(json["label"], "ham");
/// assert_eq!(json["truncated"], false);
/// assert!(json.get("fields").is_none()); // only JSONL and CSV inputs have fields
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct VerdictRecord<'a> {
    /// The message id.
    pub id: &'a Value,
    /// The label.
    pub label: Label,
    /// `p(scam)`.
    pub score: f32,
    /// All three probabilities.
    pub probabilities: Probabilities,
    /// The scam category.
    pub category: Option<Category>,
    /// The category head's probability for `category`.
    pub category_probability: Option<f32>,
    /// The reasons.
    pub reasons: &'a [Reason],
    /// Only the start of the message was scored.
    pub truncated: bool,
    /// The share of the message's words in the model's vocabulary.
    pub coverage: f32,
    /// Other fields of the input record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<&'a Map<String, Value>>,
}

impl<'a> VerdictRecord<'a> {
    /// The record of `verdict` on `message`.
    ///
    /// `truncated` is set when either the reader or the classifier cut the
    /// message, since either way only its start was scored.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan_cli::input::{Cut, Message, Origin};
    /// use scamscan_cli::printer::VerdictRecord;
    /// let m = Message { id: "big.txt".into(), origin: Origin { path: "big.txt".into(), line: None },
    ///     text: "hello".into(), fields: None, lossy: false, cut: Some(Cut { read: 5, total: Some(9000) }) };
    /// let v = scamscan::Classifier::default().classify(&m.text);
    /// assert!(!v.truncated);
    /// assert!(VerdictRecord::new(&m, &v).truncated);
    /// ```
    pub fn new(message: &'a Message, verdict: &'a Verdict) -> Self {
        VerdictRecord {
            id: &message.id,
            label: verdict.label,
            score: verdict.score,
            probabilities: verdict.probabilities,
            category: verdict.category,
            category_probability: verdict.category_probability,
            reasons: &verdict.reasons,
            truncated: verdict.truncated || message.cut.is_some(),
            coverage: verdict.coverage,
            fields: message.fields.as_ref(),
        }
    }
}

/// The JSONL record standing for an input record that could not be read.
///
/// It has no path, so that a file and the same bytes on stdin give identical
/// output; stderr names the path.
///
/// # Example
///
/// ```
/// use scamscan_cli::input::{InputError, Origin};
/// use scamscan_cli::printer::ErrorRecord;
/// let e = InputError { id: 7.into(), origin: Origin { path: "in.jsonl".into(), line: Some(3) },
///     message: "no `text` field".into(), record: true };
/// let json = serde_json::to_string(&ErrorRecord::new(&e)).unwrap();
/// assert_eq!(json, r#"{"id":7,"error":"no `text` field","line":3}"#);
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct ErrorRecord<'a> {
    /// The record's id when known, else `null`.
    pub id: &'a Value,
    /// What is wrong.
    pub error: &'a str,
    /// The 1-based line (the first line of the record).
    pub line: Option<u64>,
}

impl<'a> ErrorRecord<'a> {
    /// The record of an input error.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan_cli::input::{InputError, Origin};
    /// let e = InputError { id: serde_json::Value::Null, origin: Origin { path: "-".into(), line: None },
    ///     message: "read error".into(), record: false };
    /// let r = scamscan_cli::printer::ErrorRecord::new(&e);
    /// assert_eq!((r.error, r.line), ("read error", None));
    /// ```
    pub fn new(e: &'a InputError) -> Self {
        ErrorRecord {
            id: &e.id,
            error: &e.message,
            line: e.origin.line,
        }
    }
}

enum Sink<W: Write> {
    Plain(W),
    Csv(Box<csv::Writer<W>>),
}

/// Writes verdicts and error records in one [`OutputFormat`].
///
/// Errors are written in place of the record that failed, so that output
/// rows line up with input records and a script can join them.
///
/// # Example
///
/// ```
/// use scamscan_cli::printer::{OutputFormat, Printer, PrintOptions};
/// let mut out = Vec::new();
/// let p = Printer::new(&mut out, PrintOptions { format: OutputFormat::Csv, ..Default::default() })?;
/// drop(p);
/// assert_eq!(String::from_utf8(out).unwrap(), "id,label,score,p_ham,p_spam,p_scam,category,top_reason,error\n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Printer<W: Write> {
    opts: PrintOptions,
    sink: Sink<W>,
}

impl<W: Write> Printer<W> {
    /// A printer writing to `out`; CSV and TSV write their header row now.
    ///
    /// Now, so that an empty input still gives a well-formed table.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan_cli::printer::{OutputFormat, Printer, PrintOptions, TABLE_COLUMNS};
    /// let mut out = Vec::new();
    /// Printer::new(&mut out, PrintOptions { format: OutputFormat::Tsv, ..Default::default() })?;
    /// assert_eq!(String::from_utf8(out).unwrap(), TABLE_COLUMNS.join("\t") + "\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(out: W, opts: PrintOptions) -> io::Result<Self> {
        let sink = match opts.format {
            OutputFormat::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(TABLE_COLUMNS).map_err(csv_io)?;
                w.flush()?;
                Sink::Csv(Box::new(w))
            }
            OutputFormat::Tsv => {
                let mut out = out;
                writeln!(out, "{}", TABLE_COLUMNS.join("\t"))?;
                Sink::Plain(out)
            }
            _ => Sink::Plain(out),
        };
        Ok(Printer { opts, sink })
    }

    /// Writes the verdict on one message.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan_cli::input::{Message, Origin};
    /// use scamscan_cli::printer::{OutputFormat, PrintOptions, Printer};
    /// let m = Message { id: "msg-1".into(), origin: Origin { path: "-".into(), line: None },
    ///     text: "lunch at 1?".into(), fields: None, lossy: false, cut: None };
    /// let v = scamscan::Classifier::default().classify(&m.text);
    /// let mut out = Vec::new();
    /// let mut p = Printer::new(&mut out, PrintOptions { format: OutputFormat::Jsonl, ..Default::default() })?;
    /// p.message(&m, &v)?;
    /// drop(p);
    /// let record: serde_json::Value = serde_json::from_slice(&out)?;
    /// assert_eq!(record["id"], "msg-1");
    /// assert_eq!(record["label"], "ham");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    // Never inlined, so that `scripts/profile.sh` can name it (see
    // `Featurizer::vectorize_into_with`); one call per message.
    #[inline(never)]
    pub fn message(&mut self, m: &Message, v: &Verdict) -> io::Result<()> {
        match self.opts.format {
            OutputFormat::Human => {
                let s = human(m, v, &self.opts);
                self.plain()?.write_all(s.as_bytes())
            }
            OutputFormat::Jsonl => {
                let out = self.plain()?;
                serde_json::to_writer(&mut *out, &VerdictRecord::new(m, v))?;
                out.write_all(b"\n")
            }
            OutputFormat::Csv | OutputFormat::Tsv => {
                let top = v.reasons.first().map_or("", |r| r.feature.as_str());
                let row = [
                    id_string(&m.id),
                    v.label.as_str().to_string(),
                    v.score.to_string(),
                    v.probabilities.ham.to_string(),
                    v.probabilities.spam.to_string(),
                    v.probabilities.scam.to_string(),
                    v.category.map_or(String::new(), |c| c.as_str().to_string()),
                    top.to_string(),
                    String::new(),
                ];
                self.row(&row)
            }
        }
    }

    /// Writes an error record in place (JSONL, CSV, TSV); human output shows
    /// errors on stderr only, so this writes nothing there.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan_cli::input::{InputError, Origin};
    /// use scamscan_cli::printer::{OutputFormat, PrintOptions, Printer};
    /// let e = InputError { id: serde_json::Value::Null, origin: Origin { path: "in.jsonl".into(), line: Some(3) },
    ///     message: "invalid JSON".into(), record: true };
    /// let mut out = Vec::new();
    /// let mut p = Printer::new(&mut out, PrintOptions { format: OutputFormat::Csv, ..Default::default() })?;
    /// p.error(&e)?;
    /// drop(p);
    /// assert!(String::from_utf8(out).unwrap().ends_with(",,,,,,,,in.jsonl:3: invalid JSON\n"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn error(&mut self, e: &InputError) -> io::Result<()> {
        match self.opts.format {
            OutputFormat::Human => Ok(()),
            OutputFormat::Jsonl => {
                let out = self.plain()?;
                serde_json::to_writer(&mut *out, &ErrorRecord::new(e))?;
                out.write_all(b"\n")
            }
            OutputFormat::Csv | OutputFormat::Tsv => {
                let mut row: [String; 9] = Default::default();
                row[0] = id_string(&e.id);
                row[8] = match e.origin.line {
                    Some(l) => format!("{}:{l}: {}", e.origin.path, e.message),
                    None => format!("{}: {}", e.origin.path, e.message),
                };
                self.row(&row)
            }
        }
    }

    /// Flushes the output.
    ///
    /// Call it before handing the writer to anything else: CSV output is
    /// buffered inside the printer, and `out` may be buffered too.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan_cli::printer::{OutputFormat, PrintOptions, Printer};
    /// let mut buffered = std::io::BufWriter::new(Vec::new());
    /// let mut p = Printer::new(&mut buffered, PrintOptions { format: OutputFormat::Tsv, ..Default::default() })?;
    /// p.flush()?;
    /// drop(p);
    /// assert!(buffered.get_ref().starts_with(b"id\tlabel"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Plain(w) => w.flush(),
            Sink::Csv(w) => w.flush(),
        }
    }

    fn plain(&mut self) -> io::Result<&mut W> {
        match &mut self.sink {
            Sink::Plain(w) => Ok(w),
            Sink::Csv(_) => Err(io::Error::other("not a plain sink")),
        }
    }

    fn row(&mut self, row: &[String; 9]) -> io::Result<()> {
        match &mut self.sink {
            Sink::Csv(w) => w.write_record(row).map_err(csv_io),
            Sink::Plain(w) => {
                let cells: Vec<String> = row
                    .iter()
                    .map(|c| c.replace(['\t', '\n', '\r'], " "))
                    .collect();
                writeln!(w, "{}", cells.join("\t"))
            }
        }
    }
}

fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

fn id_string(id: &Value) -> String {
    match id {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

const RESET: &str = "\x1b[0m";

fn label_color(label: Label) -> &'static str {
    match label {
        Label::Scam => "\x1b[1;31m",
        Label::Spam => "\x1b[1;33m",
        Label::Ham => "\x1b[32m",
        Label::Unsure => "\x1b[1;36m",
    }
}

fn paint(s: &str, code: &str, color: bool) -> String {
    if color {
        format!("{code}{s}{RESET}")
    } else {
        s.to_string()
    }
}

/// A reason as `feature +1.23` (`chars:word` for a word's character n-grams,
/// which would otherwise read like the word itself).
fn short_reason(r: &Reason) -> String {
    match r.kind {
        scamscan::featurize::FeatureFamily::Chars => {
            format!("chars:{} {:+.2}", r.feature, r.contribution)
        }
        _ => format!("{} {:+.2}", r.feature, r.contribution),
    }
}

/// The human verdict line: label, score, category, top reasons, name; then,
/// with `explain`, the highlighted message and the reasons.
fn human(m: &Message, v: &Verdict, opts: &PrintOptions) -> String {
    let mut s = String::new();
    let label = paint(
        &format!("{:<4}", v.label.as_str()),
        label_color(v.label),
        opts.color,
    );
    let category = v.category.map_or("-", |c| c.as_str());
    let reasons: Vec<String> = v
        .reasons
        .iter()
        .take(opts.reasons)
        .map(short_reason)
        .collect();
    let _ = write!(s, "{label} {:.3} {category:<12}", v.score);
    if !reasons.is_empty() {
        let _ = write!(s, " [{}]", reasons.join(", "));
    }
    let _ = write!(s, "  {}", m.name());
    if v.truncated || m.cut.is_some() {
        s.push_str(" (truncated)");
    }
    s.push('\n');
    if opts.explain {
        for line in highlight(&m.text, &v.reasons, opts.color).lines() {
            let _ = writeln!(s, "    | {line}");
        }
        s.push_str(&reason_table(&v.reasons, opts.color, "    "));
        s.push('\n');
    }
    s
}

/// The reasons as an aligned table, one per line, each prefixed by `indent`:
/// contribution, kind, feature, and the original text where it differs.
///
/// The original text is shown because it may differ from the feature in
/// the very way the sender hid it (`Ｖｅｒｉｆｙ` for `verify`).
///
/// # Example
///
/// ```
/// use scamscan::explain::Reason;
/// use scamscan::featurize::FeatureFamily;
/// let r = Reason { feature: "verify".into(), kind: FeatureFamily::Word, contribution: 1.5, spans: vec![(0, 6)], text: "Verify".into() };
/// let t = scamscan_cli::printer::reason_table(&[r], false, "");
/// assert_eq!(t, "+1.500  word    verify  \"Verify\"\n");
/// ```
pub fn reason_table(reasons: &[Reason], color: bool, indent: &str) -> String {
    let width = reasons
        .iter()
        .map(|r| r.feature.chars().count())
        .max()
        .unwrap_or(0);
    let mut s = String::new();
    for r in reasons {
        let kind = serde_json::to_value(r.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let contribution = format!("{:+.3}", r.contribution);
        let contribution = paint(
            &contribution,
            if r.contribution > 0.0 {
                "\x1b[31m"
            } else {
                "\x1b[32m"
            },
            color,
        );
        let mut line = format!("{indent}{contribution}  {kind:<7} {:<width$}", r.feature);
        if !r.text.is_empty() && r.text != r.feature {
            let _ = write!(line, "  {:?}", r.text);
        }
        if r.spans.len() > 1 {
            let _ = write!(line, "  (x{})", r.spans.len());
        }
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

/// The text with the spans of `reasons` marked: `[+...+]` around text that
/// pushes towards scam, `[-...-]` around text that pushes towards ham (with
/// `color`, red and green underlines instead). Of overlapping spans, the
/// one that starts first (the longer one on a tie) is marked and the others
/// are dropped, so that markers never nest. Spans outside the text or not
/// on character boundaries are ignored rather than a panic.
///
/// # Example
///
/// ```
/// use scamscan::explain::Reason;
/// use scamscan::featurize::FeatureFamily;
/// let r = |f: &str, c: f32, s: (usize, usize)| Reason { feature: f.into(), kind: FeatureFamily::Word, contribution: c, spans: vec![s], text: String::new() };
/// let text = "please verify now, mum";
/// let out = scamscan_cli::printer::highlight(text, &[r("verify", 1.0, (7, 13)), r("mum", -0.5, (19, 22))], false);
/// assert_eq!(out, "please [+verify+] now, [-mum-]");
/// ```
pub fn highlight(text: &str, reasons: &[Reason], color: bool) -> String {
    let mut spans: Vec<(usize, usize, bool)> = reasons
        .iter()
        .flat_map(|r| {
            r.spans
                .iter()
                .map(move |&(s, e)| (s, e, r.contribution > 0.0))
        })
        .filter(|&(s, e, _)| {
            s < e && e <= text.len() && text.is_char_boundary(s) && text.is_char_boundary(e)
        })
        .collect();
    spans.sort_by_key(|&(s, e, _)| (s, std::cmp::Reverse(e)));
    let mut out = String::with_capacity(text.len() + spans.len() * 6);
    let mut at = 0usize;
    for (s, e, positive) in spans {
        if s < at {
            continue;
        }
        out.push_str(&text[at..s]);
        let inner = &text[s..e];
        match (color, positive) {
            (true, true) => {
                let _ = write!(out, "\x1b[1;4;31m{inner}{RESET}");
            }
            (true, false) => {
                let _ = write!(out, "\x1b[4;32m{inner}{RESET}");
            }
            (false, true) => {
                let _ = write!(out, "[+{inner}+]");
            }
            (false, false) => {
                let _ = write!(out, "[-{inner}-]");
            }
        }
        at = e;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use scamscan::featurize::FeatureFamily;

    fn reason(c: f32, spans: Vec<(usize, usize)>) -> Reason {
        Reason {
            feature: "f".into(),
            kind: FeatureFamily::Chars,
            contribution: c,
            spans,
            text: String::new(),
        }
    }

    #[test]
    fn highlight_skips_overlaps_and_bad_spans() {
        let t = "abcdef";
        let out = highlight(
            t,
            &[
                reason(1.0, vec![(0, 3), (2, 5), (4, 99)]),
                reason(-1.0, vec![(5, 6)]),
            ],
            false,
        );
        assert_eq!(out, "[+abc+]de[-f-]");
        let t = "é!";
        assert_eq!(highlight(t, &[reason(1.0, vec![(1, 3)])], false), "é!");
    }

    #[test]
    fn tsv_cells_are_sanitized() {
        let mut out = Vec::new();
        let mut p = Printer::new(
            &mut out,
            PrintOptions {
                format: OutputFormat::Tsv,
                ..PrintOptions::default()
            },
        )
        .unwrap();
        p.error(&InputError {
            id: Value::String("a\tb".into()),
            origin: crate::input::Origin {
                path: "x".into(),
                line: Some(2),
            },
            message: "bad\nthing".into(),
            record: true,
        })
        .unwrap();
        drop(p);
        let s = String::from_utf8(out).unwrap();
        assert_eq!(
            s.lines().nth(1).unwrap(),
            "a b\t\t\t\t\t\t\t\tx:2: bad thing"
        );
    }
}
