//! Input parsers: turn files, directories and stdin into a stream of
//! messages to classify.
//!
//! [`Inputs`] is an iterator of [`Event`]s over the paths it is given, read
//! lazily and in order, with bounded memory:
//!
//! * a directory is walked recursively (sorted by name; hidden entries and
//!   binary files skipped unless asked; `.gitignore` files are *not*
//!   honoured: what the user points at is scanned);
//! * `-` is standard input;
//! * each file is read in the [`InputFormat`] asked for. In
//!   [`InputFormat::Auto`] a `.jsonl`/`.ndjson` file is JSONL, a `.eml` file
//!   or one that starts with RFC 5322 headers is an e-mail, a `.mbox` file or
//!   one that starts with an mbox `From ` line is a mailbox (one message per
//!   mail), and anything else is one message.
//!
//! No single message takes more than [`InputOptions::read_limit`] bytes of
//! memory: the rest of a longer file, line or mail is skipped, and the
//! [`Message`] says so in [`Message::cut`]. A JSONL line or a CSV/TSV row is
//! a structured record that cannot be parsed from its first bytes, so it is
//! read whole up to [`InputOptions::record_limit`] (64 MiB by default) and its
//! text is then cut to the read limit the same way; a longer record is an
//! [`Event::Error`] naming its line.
//!
//! Problems never stop the stream: an unreadable file or a malformed JSONL
//! line is an [`Event::Error`], and iteration goes on with the next input.

mod email;
mod sniff;
mod sources;

pub use email::email_text;
pub use sniff::{HEAD_BYTES, looks_binary, looks_like_email, looks_like_mbox};

use scamscan::corpus::MAX_RECORD_BYTES;
use scamscan::error::io_message;
use scamscan::files::{self, WalkOptions};
use serde_json::{Map, Value};
use sources::{Ctx, Jsonl, Lines, Mbox, Source, Table, WholeFile};
use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

/// How an input file is split into messages.
///
/// # Example
///
/// ```
/// use scamscan_cli::input::{Event, InputFormat, InputOptions, Inputs};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("sms.txt");
/// std::fs::write(&path, "first message\n\nsecond message\n")?;
/// let opts = InputOptions { format: InputFormat::Lines, ..Default::default() };
/// let lines: Vec<u64> = Inputs::new(vec![path], opts)
///     .filter_map(|e| match e { Event::Message(m) => m.origin.line, _ => None })
///     .collect();
/// assert_eq!(lines, [1, 3]); // the blank line is skipped, numbering is not
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum InputFormat {
    /// Decide per file: JSONL by extension, e-mail or mbox by extension or
    /// content, else the whole file is one message.
    #[default]
    Auto,
    /// The whole file is one message.
    Text,
    /// One message per line (blank lines skipped).
    Lines,
    /// The file is one RFC 5322 e-mail.
    Email,
    /// The file is an mbox mailbox: one message per mail.
    Mbox,
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
    /// Tab-separated values with a header row (no quoting).
    Tsv,
}

/// Options of [`Inputs`].
///
/// # Example
///
/// ```
/// use scamscan_cli::input::{Event, InputOptions, Inputs};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("export.csv");
/// std::fs::write(&path, "ref,body\nA-1,\"Your parcel is held, pay the fee\"\n")?;
/// let opts = InputOptions { format: scamscan_cli::input::InputFormat::Csv, text_field: "body".into(), id_field: "ref".into(), ..Default::default() };
/// let Some(Event::Message(m)) = Inputs::new(vec![path], opts).next() else { panic!() };
/// assert_eq!((m.id.as_str(), m.text.as_str()), (Some("A-1"), "Your parcel is held, pay the fee"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct InputOptions {
    /// How files are split into messages.
    pub format: InputFormat,
    /// The field (JSONL) or column (CSV/TSV) holding the message text.
    pub text_field: String,
    /// The field or column holding the message id.
    pub id_field: String,
    /// Walk hidden files and directories too.
    pub hidden: bool,
    /// Read binary files too (decoded lossily).
    pub binary: bool,
    /// The most bytes of one message (a whole file, a line, a mail) held in memory.
    pub read_limit: usize,
    /// The most bytes of one JSONL line or CSV/TSV row parsed (the larger of
    /// this and `read_limit` applies); its text is then cut to `read_limit`.
    pub record_limit: usize,
}

impl Default for InputOptions {
    fn default() -> Self {
        InputOptions {
            format: InputFormat::Auto,
            text_field: "text".into(),
            id_field: "id".into(),
            hidden: false,
            binary: false,
            read_limit: read_limit(scamscan::classifier::DEFAULT_MAX_BYTES),
            record_limit: MAX_RECORD_BYTES,
        }
    }
}

/// The read limit used for a given `max_bytes`: `max(4 × max_bytes, 1 MiB)`.
///
/// Four times the scored length leaves room for e-mail markup and encodings
/// (HTML, base64, quoted-printable) that shrink when decoded.
///
/// # Example
///
/// ```
/// use scamscan_cli::input::read_limit;
/// assert_eq!(read_limit(64 * 1024), 1 << 20);
/// assert_eq!(read_limit(1 << 20), 4 << 20);
/// assert_eq!(read_limit(usize::MAX), usize::MAX); // saturates, never overflows
/// ```
pub fn read_limit(max_bytes: usize) -> usize {
    max_bytes.saturating_mul(4).max(1 << 20)
}

/// Where an event comes from: a path (`-` for stdin) and, for line-oriented
/// inputs, a 1-based line number. Displays as `path` or `path:line`, the form
/// editors and terminals turn into a link.
///
/// # Example
///
/// ```
/// use scamscan_cli::input::Origin;
/// assert_eq!(Origin { path: "inbox.txt".into(), line: Some(4) }.to_string(), "inbox.txt:4");
/// assert_eq!(Origin { path: "-".into(), line: None }.to_string(), "-");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The path as given or found by the walk; `-` for stdin.
    pub path: String,
    /// The 1-based line, for line-oriented inputs.
    pub line: Option<u64>,
}

impl Origin {
    fn file(path: &str) -> Self {
        Origin {
            path: path.to_string(),
            line: None,
        }
    }

    fn at(path: &str, line: u64) -> Self {
        Origin {
            path: path.to_string(),
            line: Some(line),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}", self.path),
            None => f.write_str(&self.path),
        }
    }
}

/// A message was longer than [`InputOptions::read_limit`]: only its start was read.
///
/// # Example
///
/// ```
/// use scamscan_cli::input::{Cut, Event, InputOptions, Inputs};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("long.txt");
/// std::fs::write(&path, "x".repeat(20))?;
/// let opts = InputOptions { read_limit: 8, ..Default::default() };
/// let Some(Event::Message(m)) = Inputs::new(vec![path], opts).next() else { panic!() };
/// assert_eq!(m.cut, Some(Cut { read: 8, total: Some(20) }));
/// assert_eq!(m.text.len(), 8);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    /// Bytes read.
    pub read: u64,
    /// The full size, when known.
    pub total: Option<u64>,
}

/// One message to classify.
///
/// # Example
///
/// ```
/// use scamscan_cli::input::{Event, InputOptions, Inputs};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("in.jsonl");
/// std::fs::write(&path, "{\"id\":\"m1\",\"text\":\"hi\",\"lang\":\"en\"}\n")?;
/// let Some(Event::Message(m)) = Inputs::new(vec![path], InputOptions::default()).next() else { panic!() };
/// assert_eq!((m.id.as_str(), m.text.as_str(), m.origin.line), (Some("m1"), "hi", Some(1)));
/// assert_eq!(m.fields.unwrap()["lang"], "en"); // passed through to the output
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The id reported for it: the input's id field (JSONL, CSV; `null` when
    /// absent), else `path` (whole file), `path:LINE` (`--lines`), `path#N`
    /// (mbox message N), with `-` standing for stdin.
    pub id: Value,
    /// Where it comes from.
    pub origin: Origin,
    /// The text to score.
    pub text: String,
    /// The other fields of a JSONL or CSV record.
    pub fields: Option<Map<String, Value>>,
    /// The input was not valid UTF-8 and was decoded lossily.
    pub lossy: bool,
    /// The input was longer than the read limit.
    pub cut: Option<Cut>,
}

impl Message {
    /// A readable name: the id when it is a non-empty string or a number,
    /// else the origin.
    ///
    /// So that every line of human output names its message, even when the
    /// input had no ids.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan_cli::input::{Message, Origin};
    /// let m = |id: serde_json::Value| Message { id, origin: Origin { path: "a.jsonl".into(), line: Some(2) },
    ///     text: String::new(), fields: None, lossy: false, cut: None };
    /// assert_eq!(m(42.into()).name(), "42");
    /// assert_eq!(m(serde_json::Value::Null).name(), "a.jsonl:2");
    /// ```
    pub fn name(&self) -> String {
        match &self.id {
            Value::String(s) if !s.is_empty() => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => self.origin.to_string(),
        }
    }
}

/// Something that went wrong with an input.
///
/// An error is an event rather than the end of the stream: one bad line in
/// a file of a million must not hide the other verdicts.
///
/// # Example
///
/// ```
/// use scamscan_cli::input::{Event, InputOptions, Inputs};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("in.jsonl");
/// std::fs::write(&path, "{\"id\":1,\"text\":\"hi\"}\n{\"id\":2,\"body\":\"hi\"}\n")?;
/// let e = Inputs::new(vec![path], InputOptions::default())
///     .find_map(|e| match e { Event::Error(e) => Some(e), _ => None })
///     .unwrap();
/// assert_eq!((e.id.as_i64(), e.origin.line, e.record), (Some(2), Some(2), true));
/// assert_eq!(e.message, "no `text` field");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    /// The record's id when known (a JSONL line with an id but no text), else `null`.
    pub id: Value,
    /// Where it happened.
    pub origin: Origin,
    /// What is wrong.
    pub message: String,
    /// True for a record of a line-oriented input (a JSONL line, a CSV row, a
    /// mail of an mbox): it stands in the output where its verdict would.
    pub record: bool,
}

/// One item of the input stream.
///
/// # Example
///
/// ```
/// use scamscan_cli::input::{Event, InputOptions, Inputs};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("empty.txt");
/// std::fs::write(&path, "")?;
/// let events: Vec<Event> = Inputs::new(vec![path], InputOptions::default()).collect();
/// assert!(matches!(events.as_slice(), [Event::Notice(_, note)] if note.contains("empty")));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A message to classify.
    Message(Message),
    /// A problem: the run should end with an error status.
    Error(InputError),
    /// Something the user should know that did not stop anything (a message
    /// decoded lossily, a line too long).
    Warning(Origin, String),
    /// Information only (an empty file, a binary file skipped in a walk).
    Notice(Origin, String),
}

/// Counts kept by [`Inputs`].
///
/// The CLI reads them at the end to choose its exit status and summary line.
///
/// # Example
///
/// ```
/// use scamscan_cli::input::{InputOptions, InputStats, Inputs};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("in.jsonl");
/// std::fs::write(&path, "{\"text\":\"a\"}\nnot json\n{\"text\":\"b\"}\n")?;
/// let mut inputs = Inputs::new(vec![path], InputOptions::default());
/// inputs.by_ref().for_each(drop);
/// assert_eq!(inputs.stats(), InputStats { files: 1, messages: 2, errors: 1 });
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputStats {
    /// Files opened (stdin counts as one).
    pub files: u64,
    /// Messages yielded.
    pub messages: u64,
    /// Errors yielded.
    pub errors: u64,
}

/// The stream of [`Event`]s over a list of paths. See the [module docs](self).
///
/// An iterator, so that the CLI classifies while it reads and memory stays
/// bounded whatever the size of the input.
///
/// # Example
///
/// ```
/// use scamscan_cli::input::{Event, InputOptions, Inputs};
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("a.txt"), "Your parcel is held, pay the fee")?;
/// std::fs::write(dir.path().join("b.jsonl"), "{\"id\":1,\"text\":\"hi\"}\n{\"id\":2}\n")?;
/// let events: Vec<Event> = Inputs::new(vec![dir.path().to_path_buf()], InputOptions::default()).collect();
/// let messages = events.iter().filter(|e| matches!(e, Event::Message(_))).count();
/// let errors = events.iter().filter(|e| matches!(e, Event::Error(_))).count();
/// assert_eq!((messages, errors), (2, 1)); // the second JSONL line has no text
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Inputs {
    opts: InputOptions,
    args: VecDeque<PathBuf>,
    walk: Option<WalkState>,
    current: Option<Box<dyn Source>>,
    /// A reader given to [`Inputs::from_reader`], read when first asked for.
    reader: Option<(String, Box<dyn Read>)>,
    pending: VecDeque<Event>,
    stats: InputStats,
    /// Messages plus errors that stand for a record.
    records: u64,
}

struct WalkState {
    root: String,
    walk: Box<dyn Iterator<Item = files::Entry>>,
    records_before: u64,
    files: u64,
}

impl Inputs {
    /// Reads `paths` in order; no paths means stdin.
    ///
    /// Nothing is opened until the first call to `next`, so a missing path is
    /// reported in its place in the stream, not up front.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan_cli::input::{Event, InputOptions, Inputs};
    /// let mut inputs = Inputs::new(vec!["no/such/file.txt".into()], InputOptions::default());
    /// let Some(Event::Error(e)) = inputs.next() else { panic!() };
    /// assert_eq!((e.origin.path.as_str(), e.message.as_str()), ("no/such/file.txt", "no such file or directory"));
    /// assert!(inputs.next().is_none());
    /// ```
    pub fn new(paths: Vec<PathBuf>, opts: InputOptions) -> Self {
        let mut args: VecDeque<PathBuf> = paths.into();
        if args.is_empty() {
            args.push_back(PathBuf::from("-"));
        }
        Inputs {
            opts,
            args,
            walk: None,
            current: None,
            reader: None,
            pending: VecDeque::new(),
            stats: InputStats::default(),
            records: 0,
        }
    }

    /// Reads one stream already open (a socket, a decompressor, bytes in
    /// memory) as if it were the file `name`: `name` is what events report,
    /// and in [`InputFormat::Auto`] its extension picks the format as a
    /// file's would.
    ///
    /// So that a program embedding scamscan gets the same parsing, limits
    /// and errors as the command line without writing a file first.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan_cli::input::{Event, InputOptions, Inputs};
    /// let data = "{\"id\":1,\"text\":\"hi\"}\nnot json\n";
    /// let events: Vec<Event> = Inputs::from_reader("upload.jsonl", std::io::Cursor::new(data), InputOptions::default()).collect();
    /// assert!(matches!(&events[0], Event::Message(m) if m.text == "hi"));
    /// assert!(matches!(&events[1], Event::Error(e) if e.origin.to_string() == "upload.jsonl:2"));
    /// ```
    pub fn from_reader(name: &str, reader: impl Read + 'static, opts: InputOptions) -> Self {
        let mut inputs = Inputs::new(Vec::new(), opts);
        inputs.args.clear();
        inputs.reader = Some((name.to_string(), Box::new(reader)));
        inputs
    }

    /// Counts so far.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan_cli::input::{InputOptions, Inputs};
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("a.txt"), "hello")?;
    /// let mut inputs = Inputs::new(vec![dir.path().join("a.txt")], InputOptions::default());
    /// assert_eq!(inputs.stats().files, 0); // nothing read yet
    /// inputs.next();
    /// assert_eq!((inputs.stats().files, inputs.stats().messages), (1, 1));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stats(&self) -> InputStats {
        self.stats
    }

    fn count(&mut self, ev: Event) -> Event {
        match &ev {
            Event::Message(_) => {
                self.stats.messages += 1;
                self.records += 1;
            }
            Event::Error(e) => {
                self.stats.errors += 1;
                if e.record {
                    // A record that failed still is a record of the input.
                    self.records += 1;
                }
            }
            _ => {}
        }
        ev
    }

    fn error(&mut self, origin: Origin, message: impl Into<String>) {
        self.pending.push_back(Event::Error(InputError {
            id: Value::Null,
            origin,
            message: message.into(),
            record: false,
        }));
    }

    fn start_walk(&mut self, dir: &Path) {
        let opts = WalkOptions {
            hidden: self.opts.hidden,
        };
        let walk = Box::new(files::walk(dir, opts));
        self.walk = Some(WalkState {
            root: dir.display().to_string(),
            walk,
            records_before: self.records,
            files: 0,
        });
    }

    /// Advances the directory walk by one entry; ends the walk after the last.
    fn step_walk(&mut self) {
        let Some(w) = self.walk.as_mut() else {
            return;
        };
        match w.walk.next() {
            Some(files::Entry::File(path)) => {
                w.files += 1;
                let shown = path.display().to_string();
                self.open_path(&path, &shown, false);
            }
            Some(files::Entry::Skipped { path, why }) => self.pending.push_back(Event::Notice(
                Origin::file(&path.display().to_string()),
                why.into(),
            )),
            Some(files::Entry::BrokenLink { path, message }) => {
                self.pending.push_back(Event::Warning(
                    Origin::file(&path.display().to_string()),
                    format!("symbolic link skipped: {message}"),
                ))
            }
            Some(files::Entry::Error { path, message }) => {
                self.error(Origin::file(&path.display().to_string()), message);
            }
            None => {
                let w = self.walk.take().expect("walking");
                if self.records == w.records_before {
                    let detail = match w.files {
                        0 => "it has no files".to_string(),
                        n => format!("{n} file(s), none with a message"),
                    };
                    self.error(
                        Origin::file(&w.root),
                        format!("no messages found in directory ({detail})"),
                    );
                }
            }
        }
    }

    /// Opens one file (or stdin) and sets `current`, or queues the event
    /// that explains why there is nothing to read.
    fn open_path(&mut self, path: &Path, shown: &str, explicit: bool) {
        self.stats.files += 1;
        let (reader, size): (Box<dyn Read>, Option<u64>) = if shown == "-" {
            (Box::new(io::stdin().lock()), None)
        } else {
            match File::open(path) {
                Ok(f) => {
                    let size = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
                    (Box::new(f), size)
                }
                Err(e) => {
                    self.error(Origin::file(shown), io_message(&e));
                    return;
                }
            }
        };
        self.open_reader(path, shown, explicit, reader, size);
    }

    /// Sniffs an open input and sets `current` to the source that reads it,
    /// or queues the event that explains why there is nothing to read.
    fn open_reader(
        &mut self,
        path: &Path,
        shown: &str,
        explicit: bool,
        mut reader: Box<dyn Read>,
        size: Option<u64>,
    ) {
        let mut head = Vec::with_capacity(HEAD_BYTES);
        if let Err(e) = (&mut reader).take(HEAD_BYTES as u64).read_to_end(&mut head) {
            self.error(Origin::file(shown), io_message(&e));
            return;
        }
        if head.is_empty() {
            self.pending.push_back(Event::Notice(
                Origin::file(shown),
                "empty file, no message".into(),
            ));
            return;
        }
        if !self.opts.binary && looks_binary(&head) {
            // Not an error: a binary file holds no message to lose, and
            // scoring its bytes as text would give a meaningless verdict. A
            // file the user named gets a warning, one met in a walk a notice.
            if explicit {
                self.pending.push_back(Event::Warning(
                    Origin::file(shown),
                    "binary file, skipped (use --binary to scan)".into(),
                ));
            } else {
                self.pending.push_back(Event::Notice(
                    Origin::file(shown),
                    "binary file, skipped (use --binary to scan)".into(),
                ));
            }
            return;
        }
        let format = match self.opts.format {
            InputFormat::Auto => sniff_format(path, &head),
            f => f,
        };
        let reader = BufReader::with_capacity(64 * 1024, Cursor::new(head).chain(reader));
        let ctx = Ctx {
            path: shown.to_string(),
            limit: self.opts.read_limit,
            record_limit: self.opts.record_limit.max(self.opts.read_limit),
            size,
        };
        let source: Box<dyn Source> = match format {
            InputFormat::Auto | InputFormat::Text => Box::new(WholeFile::new(ctx, reader, false)),
            InputFormat::Email => Box::new(WholeFile::new(ctx, reader, true)),
            InputFormat::Lines => Box::new(Lines::new(ctx, reader)),
            InputFormat::Jsonl => Box::new(Jsonl::new(
                ctx,
                reader,
                &self.opts.text_field,
                &self.opts.id_field,
            )),
            InputFormat::Mbox => Box::new(Mbox::new(ctx, reader)),
            InputFormat::Csv | InputFormat::Tsv => Box::new(Table::new(
                ctx,
                reader,
                format == InputFormat::Tsv,
                &self.opts.text_field,
                &self.opts.id_field,
            )),
        };
        self.current = Some(source);
    }
}

impl Iterator for Inputs {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(ev) = self.pending.pop_front() {
                return Some(self.count(ev));
            }
            if let Some(src) = self.current.as_mut() {
                match src.next_event() {
                    Some(ev) => return Some(self.count(ev)),
                    None => {
                        self.current = None;
                        continue;
                    }
                }
            }
            if self.walk.is_some() {
                self.step_walk();
                continue;
            }
            if let Some((name, reader)) = self.reader.take() {
                self.stats.files += 1;
                self.open_reader(Path::new(&name), &name, true, reader, None);
                continue;
            }
            let arg = self.args.pop_front()?;
            let shown = arg.display().to_string();
            if shown == "-" {
                self.open_path(&arg, "-", true);
                continue;
            }
            match std::fs::metadata(&arg) {
                Err(e) => self.error(Origin::file(&shown), io_message(&e)),
                Ok(m) if m.is_dir() => self.start_walk(&arg),
                Ok(_) => self.open_path(&arg, &shown, true),
            }
        }
    }
}

/// The format [`InputFormat::Auto`] picks for a file.
fn sniff_format(path: &Path, head: &[u8]) -> InputFormat {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("jsonl" | "ndjson") => InputFormat::Jsonl,
        Some("eml") => InputFormat::Email,
        Some("mbox") => InputFormat::Mbox,
        _ if looks_like_mbox(head) => InputFormat::Mbox,
        _ if looks_like_email(head) => InputFormat::Email,
        _ => InputFormat::Text,
    }
}

/// Helpers of the sources' tests.
#[cfg(test)]
mod test_support {
    use super::{Event, InputFormat, InputOptions, Inputs};
    use std::path::Path;

    /// Every event of one file.
    pub(crate) fn events(path: &Path, opts: InputOptions) -> Vec<Event> {
        Inputs::new(vec![path.to_path_buf()], opts).collect()
    }

    /// Options with a 100-byte read limit and a 1,000-byte record limit.
    pub(crate) fn small_limits(format: InputFormat) -> InputOptions {
        InputOptions {
            format,
            read_limit: 100,
            record_limit: 1000,
            ..InputOptions::default()
        }
    }
}
