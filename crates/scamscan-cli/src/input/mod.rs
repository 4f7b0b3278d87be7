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
mod lines;
mod sniff;

pub use email::email_text;
pub use lines::{LineInfo, LineReader};
pub use sniff::{looks_binary, looks_like_email, looks_like_mbox, HEAD_BYTES};

use scamscan::corpus::Example;
use scamscan::error::io_message;
use scamscan::error::{Error, Result};
use scamscan::{Category, Label};
use serde_json::{Map, Value};
use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read};
use std::ops::ControlFlow;
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

/// The default [`InputOptions::record_limit`]: 64 MiB.
///
/// A record is parsed whole, so this bounds the memory one JSONL line or CSV
/// row can take; 64 MiB is far beyond any real message and well within a
/// small machine.
pub const MAX_RECORD_BYTES: usize = 64 << 20;

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
    walk: ignore::Walk,
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
        let walk = ignore::WalkBuilder::new(dir)
            .standard_filters(false)
            .hidden(!self.opts.hidden)
            .skip_stdout(true)
            .sort_by_file_name(|a, b| a.cmp(b))
            .build();
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
            Some(Ok(entry)) => {
                let path = entry.path().display().to_string();
                if entry.file_type().is_some_and(|t| t.is_file()) {
                    w.files += 1;
                    self.open_path(entry.path(), &path, false);
                } else if entry.path_is_symlink() {
                    // The walk does not follow links (a link to a parent
                    // directory would never end), but a link to a file is a
                    // message the user pointed at: read it, and say what
                    // else was passed over.
                    match std::fs::metadata(entry.path()) {
                        Ok(m) if m.is_file() => {
                            w.files += 1;
                            self.open_path(entry.path(), &path, false);
                        }
                        Ok(m) if m.is_dir() => self.pending.push_back(Event::Notice(
                            Origin::file(&path),
                            "symbolic link to a directory, not followed".into(),
                        )),
                        Ok(_) => self.pending.push_back(Event::Notice(
                            Origin::file(&path),
                            "symbolic link to a special file, skipped".into(),
                        )),
                        Err(e) => self.pending.push_back(Event::Warning(
                            Origin::file(&path),
                            format!("symbolic link skipped: {}", io_message(&e)),
                        )),
                    }
                }
            }
            Some(Err(e)) => {
                let origin = Origin::file(&walk_error_path(&e).unwrap_or_else(|| w.root.clone()));
                self.error(origin, walk_error_message(&e));
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
            InputFormat::Auto | InputFormat::Text => Box::new(WholeFile {
                ctx,
                reader: Some(reader),
                email: false,
            }),
            InputFormat::Email => Box::new(WholeFile {
                ctx,
                reader: Some(reader),
                email: true,
            }),
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

fn walk_error_path(e: &ignore::Error) -> Option<String> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path.display().to_string()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_path(err)
        }
        _ => None,
    }
}

fn walk_error_message(e: &ignore::Error) -> String {
    match e {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => walk_error_message(err),
        ignore::Error::Io(io) => io_message(io),
        other => other.to_string(),
    }
}

/// Decodes bytes as UTF-8, lossily; the flag says whether anything was replaced.
fn decode(bytes: Vec<u8>) -> (String, bool) {
    match String::from_utf8(bytes) {
        Ok(s) => (s, false),
        Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), true),
    }
}

fn strip_bom(s: String) -> String {
    match s.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => s,
    }
}

/// Per-file reading context.
struct Ctx {
    path: String,
    /// The read limit of one message.
    limit: usize,
    /// The most bytes of one JSONL line or CSV row parsed.
    record_limit: usize,
    size: Option<u64>,
}

impl Ctx {
    /// Cuts the text of a parsed record to the read limit, as a long line
    /// or file is cut, so every message holds at most `limit` bytes.
    fn cut_text(&self, text: &mut String) -> Option<Cut> {
        if text.len() <= self.limit {
            return None;
        }
        let total = text.len() as u64;
        text.truncate(text.floor_char_boundary(self.limit));
        text.shrink_to_fit();
        Some(Cut {
            read: text.len() as u64,
            total: Some(total),
        })
    }
}

impl Ctx {
    fn error(&self, origin: Origin, e: &io::Error) -> Event {
        Event::Error(InputError {
            id: Value::Null,
            origin,
            message: format!("read error: {}", io_message(e)),
            record: false,
        })
    }
}

trait Source {
    fn next_event(&mut self) -> Option<Event>;
}

type Reader = BufReader<io::Chain<Cursor<Vec<u8>>, Box<dyn Read>>>;

/// The whole file is one message (plain text or one e-mail).
struct WholeFile {
    ctx: Ctx,
    reader: Option<Reader>,
    email: bool,
}

impl Source for WholeFile {
    fn next_event(&mut self) -> Option<Event> {
        let reader = self.reader.take()?;
        let origin = Origin::file(&self.ctx.path);
        let mut bytes = Vec::new();
        let limit = self.ctx.limit as u64;
        let mut reader = reader;
        if let Err(e) = (&mut reader).take(limit).read_to_end(&mut bytes) {
            return Some(self.ctx.error(origin, &e));
        }
        let mut cut = if bytes.len() as u64 == limit {
            // Anything left? One more byte tells, without reading the rest.
            let mut one = [0u8; 1];
            match reader.read(&mut one) {
                Ok(0) => None,
                Ok(_) => Some(Cut {
                    read: limit,
                    total: self.ctx.size,
                }),
                Err(e) => return Some(self.ctx.error(origin, &e)),
            }
        } else {
            None
        };
        let (text, lossy) = if self.email {
            match email::email_text_within(&bytes, self.ctx.limit) {
                Some((t, text_cut)) => {
                    if text_cut && cut.is_none() {
                        cut = Some(Cut {
                            read: t.len() as u64,
                            total: None,
                        });
                    }
                    (t, false)
                }
                None => decode(bytes),
            }
        } else {
            decode(bytes)
        };
        let text = strip_bom(text);
        if text.trim().is_empty() {
            return Some(Event::Notice(origin, "only whitespace, no message".into()));
        }
        Some(Event::Message(Message {
            id: Value::String(self.ctx.path.clone()),
            origin,
            text,
            fields: None,
            lossy,
            cut,
        }))
    }
}

/// Tracks invalid UTF-8 per file: the first lossy record is flagged on its
/// message, later ones are counted and summed up at the end of the file.
#[derive(Default)]
struct LossyCount {
    n: u64,
}

impl LossyCount {
    /// Returns whether this record should carry the `lossy` flag.
    fn see(&mut self, lossy: bool) -> bool {
        if lossy {
            self.n += 1;
        }
        lossy && self.n == 1
    }

    fn summary(&self, path: &str) -> Option<Event> {
        (self.n > 1).then(|| {
            Event::Warning(
                Origin::file(path),
                format!(
                    "{} lines had invalid UTF-8 and were decoded lossily",
                    self.n
                ),
            )
        })
    }
}

/// The reading state the line-oriented sources ([`Lines`], [`Jsonl`]) share.
struct LineSource {
    ctx: Ctx,
    lines: LineReader<Reader>,
    buf: Vec<u8>,
    /// A non-blank line was seen.
    any: bool,
    lossy: LossyCount,
    done: bool,
}

impl LineSource {
    /// Lines keep at most `limit` bytes.
    fn new(ctx: Ctx, reader: Reader, limit: usize) -> Self {
        LineSource {
            lines: LineReader::new(reader, limit),
            ctx,
            buf: Vec::new(),
            any: false,
            lossy: LossyCount::default(),
            done: false,
        }
    }

    /// Reads the next line into `buf`. At the end (or on a read error) marks
    /// the source done and breaks with the last event it owes: a notice if it
    /// held no message, the lossy-decoding summary, or the error.
    fn next_line(&mut self) -> ControlFlow<Option<Event>, LineInfo> {
        match self.lines.next_line(&mut self.buf) {
            Ok(Some(info)) => ControlFlow::Continue(info),
            Ok(None) => {
                self.done = true;
                if !self.any {
                    return ControlFlow::Break(Some(Event::Notice(
                        Origin::file(&self.ctx.path),
                        "only blank lines, no message".into(),
                    )));
                }
                ControlFlow::Break(self.lossy.summary(&self.ctx.path))
            }
            Err(e) => {
                self.done = true;
                let origin = Origin::at(&self.ctx.path, self.lines.line_number() + 1);
                ControlFlow::Break(Some(self.ctx.error(origin, &e)))
            }
        }
    }
}

/// One message per non-blank line.
struct Lines {
    src: LineSource,
}

impl Lines {
    fn new(ctx: Ctx, reader: Reader) -> Self {
        let limit = ctx.limit;
        Lines {
            src: LineSource::new(ctx, reader, limit),
        }
    }
}

impl Source for Lines {
    fn next_event(&mut self) -> Option<Event> {
        if self.src.done {
            return None;
        }
        loop {
            let info = match self.src.next_line() {
                ControlFlow::Continue(info) => info,
                ControlFlow::Break(end) => return end,
            };
            let (mut text, lossy) = decode(std::mem::take(&mut self.src.buf));
            if info.number == 1 {
                text = strip_bom(text);
            }
            if text.trim().is_empty() {
                continue;
            }
            self.src.any = true;
            let origin = Origin::at(&self.src.ctx.path, info.number);
            return Some(Event::Message(Message {
                id: Value::String(origin.to_string()),
                origin,
                text,
                fields: None,
                lossy: self.src.lossy.see(lossy),
                cut: info.overflow.then_some(Cut {
                    read: self.src.ctx.limit as u64,
                    total: Some(info.len),
                }),
            }));
        }
    }
}

/// A JSON record's id, text and other fields.
type Split = (Value, String, Map<String, Value>);

/// Splits a JSON record into (id, text, other fields), or an error with the id if known.
fn split_record(
    mut obj: Map<String, Value>,
    text_field: &str,
    id_field: &str,
) -> std::result::Result<Split, (Value, String)> {
    let id = obj.remove(id_field).unwrap_or(Value::Null);
    match obj.remove(text_field) {
        Some(Value::String(text)) => Ok((id, text, obj)),
        Some(other) => Err((
            id,
            format!(
                "field `{text_field}` is not a string (it is {})",
                json_type(&other)
            ),
        )),
        None => Err((id, format!("no `{text_field}` field"))),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One JSON object per line.
struct Jsonl {
    src: LineSource,
    text_field: String,
    id_field: String,
}

impl Jsonl {
    fn new(ctx: Ctx, reader: Reader, text_field: &str, id_field: &str) -> Self {
        let limit = ctx.record_limit;
        Jsonl {
            src: LineSource::new(ctx, reader, limit),
            text_field: text_field.into(),
            id_field: id_field.into(),
        }
    }

    fn record_error(&self, id: Value, line: u64, message: String) -> Event {
        Event::Error(InputError {
            id,
            origin: Origin::at(&self.src.ctx.path, line),
            message,
            record: true,
        })
    }
}

impl Source for Jsonl {
    fn next_event(&mut self) -> Option<Event> {
        if self.src.done {
            return None;
        }
        loop {
            let info = match self.src.next_line() {
                ControlFlow::Continue(info) => info,
                ControlFlow::Break(end) => return end,
            };
            if self.src.buf.iter().all(|b| b.is_ascii_whitespace()) && !info.overflow {
                continue;
            }
            self.src.any = true;
            if info.overflow {
                return Some(self.record_error(
                    Value::Null,
                    info.number,
                    format!(
                        "line is {} bytes, longer than the {}-byte record limit; not parsed",
                        info.len, self.src.ctx.record_limit
                    ),
                ));
            }
            let (mut line, lossy) = decode(std::mem::take(&mut self.src.buf));
            if info.number == 1 {
                line = strip_bom(line);
            }
            let obj = match serde_json::from_str::<Value>(&line) {
                Ok(Value::Object(obj)) => obj,
                Ok(other) => {
                    return Some(self.record_error(
                        Value::Null,
                        info.number,
                        format!("not a JSON object (found {})", json_type(&other)),
                    ))
                }
                Err(e) => {
                    // serde_json counts lines and columns within the line: keep the column.
                    let msg = e.to_string();
                    let msg = msg
                        .rsplit_once(" at line ")
                        .map_or(msg.as_str(), |(m, _)| m);
                    return Some(self.record_error(
                        Value::Null,
                        info.number,
                        format!("invalid JSON at column {}: {msg}", e.column()),
                    ));
                }
            };
            return Some(match split_record(obj, &self.text_field, &self.id_field) {
                Ok((id, mut text, fields)) => Event::Message(Message {
                    id,
                    origin: Origin::at(&self.src.ctx.path, info.number),
                    cut: self.src.ctx.cut_text(&mut text),
                    text,
                    fields: Some(fields),
                    lossy: self.src.lossy.see(lossy),
                }),
                Err((id, msg)) => self.record_error(id, info.number, msg),
            });
        }
    }
}

/// An mbox mailbox: one message per mail.
struct Mbox {
    ctx: Ctx,
    lines: LineReader<Reader>,
    buf: Vec<u8>,
    /// The mail being gathered: its first line number, its bytes, whether it was cut.
    mail: Option<(u64, Vec<u8>, u64)>,
    n: u64,
    done: bool,
}

impl Mbox {
    fn new(ctx: Ctx, reader: Reader) -> Self {
        Mbox {
            lines: LineReader::new(reader, ctx.limit),
            ctx,
            buf: Vec::new(),
            mail: None,
            n: 0,
            done: false,
        }
    }

    fn finish(&mut self, start: u64, bytes: Vec<u8>, total: u64) -> Event {
        self.n += 1;
        let id = format!("{}#{}", self.ctx.path, self.n);
        let origin = Origin::at(&self.ctx.path, start);
        match email::email_text_within(&bytes, self.ctx.limit) {
            Some((text, text_cut)) => Event::Message(Message {
                id: Value::String(id),
                origin,
                fields: None,
                lossy: false,
                cut: if total > bytes.len() as u64 {
                    Some(Cut {
                        read: bytes.len() as u64,
                        total: Some(total),
                    })
                } else {
                    text_cut.then_some(Cut {
                        read: text.len() as u64,
                        total: None,
                    })
                },
                text,
            }),
            None => Event::Error(InputError {
                id: Value::String(id),
                origin,
                message: "not a parsable e-mail".into(),
                record: true,
            }),
        }
    }
}

impl Source for Mbox {
    fn next_event(&mut self) -> Option<Event> {
        if self.done {
            return None;
        }
        loop {
            let info = match self.lines.next_line(&mut self.buf) {
                Ok(Some(info)) => info,
                Ok(None) => {
                    self.done = true;
                    return match self.mail.take() {
                        Some((start, bytes, total)) => Some(self.finish(start, bytes, total)),
                        None if self.n == 0 => Some(Event::Notice(
                            Origin::file(&self.ctx.path),
                            "no mail in mailbox".into(),
                        )),
                        None => None,
                    };
                }
                Err(e) => {
                    self.done = true;
                    let origin = Origin::at(&self.ctx.path, self.lines.line_number() + 1);
                    return Some(self.ctx.error(origin, &e));
                }
            };
            if self.buf.starts_with(b"From ") {
                let prev = self.mail.replace((info.number, Vec::new(), 0));
                if let Some((start, bytes, total)) = prev {
                    return Some(self.finish(start, bytes, total));
                }
                continue;
            }
            if self.mail.is_none() && self.n == 0 && !self.buf.is_empty() {
                // No separator first: the file is read as one mail.
                self.mail = Some((info.number, Vec::new(), 0));
            }
            let Some((_, bytes, total)) = self.mail.as_mut() else {
                continue;
            };
            // ">From " quoting: one '>' is removed.
            let line: &[u8] = {
                let quoted = self.buf.iter().position(|&b| b != b'>').unwrap_or(0);
                if quoted > 0 && self.buf[quoted..].starts_with(b"From ") {
                    &self.buf[1..]
                } else {
                    &self.buf
                }
            };
            let dropped = info.len - self.buf.len() as u64;
            *total += (line.len() as u64 + dropped) + 1;
            let room = self.ctx.limit.saturating_sub(bytes.len());
            let take = line.len().min(room);
            bytes.extend_from_slice(&line[..take]);
            if bytes.len() < self.ctx.limit {
                bytes.push(b'\n');
            }
        }
    }
}

/// A reader that fails once one CSV record has taken more than `limit` bytes.
///
/// The csv crate grows a record's buffer without bound (a quote never
/// closed makes the rest of the file one field); it has no limit of its own.
struct RecordBudget {
    inner: Reader,
    /// Bytes handed to the csv reader so far, and where the current record
    /// starts, shared with [`Table`], which moves the mark at each record.
    state: std::rc::Rc<std::cell::Cell<(u64, u64)>>,
    limit: u64,
}

/// The error [`RecordBudget`] fails with.
#[derive(Debug)]
struct RecordTooLong(u64);

impl fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a row is longer than the {}-byte record limit", self.0)
    }
}

impl std::error::Error for RecordTooLong {}

impl Read for RecordBudget {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let (read, mark) = self.state.get();
        if read.saturating_sub(mark) > self.limit {
            return Err(io::Error::other(RecordTooLong(self.limit)));
        }
        let n = self.inner.read(buf)?;
        self.state.set((read + n as u64, mark));
        Ok(n)
    }
}

/// CSV or TSV with a header row.
struct Table {
    ctx: Ctx,
    reader: csv::Reader<RecordBudget>,
    budget: std::rc::Rc<std::cell::Cell<(u64, u64)>>,
    text_col: Option<usize>,
    id_col: Option<usize>,
    names: Vec<String>,
    text_field: String,
    id_field: String,
    started: bool,
    any: bool,
    lossy: LossyCount,
    done: bool,
    record: csv::ByteRecord,
}

impl Table {
    fn new(ctx: Ctx, reader: Reader, tsv: bool, text_field: &str, id_field: &str) -> Self {
        let budget = std::rc::Rc::new(std::cell::Cell::new((0, 0)));
        let reader = table_reader(tsv).from_reader(RecordBudget {
            inner: reader,
            state: budget.clone(),
            limit: ctx.record_limit as u64,
        });
        Table {
            ctx,
            reader,
            budget,
            text_col: None,
            id_col: None,
            names: Vec::new(),
            text_field: text_field.to_string(),
            id_field: id_field.to_string(),
            started: false,
            any: false,
            lossy: LossyCount::default(),
            done: false,
            record: csv::ByteRecord::new(),
        }
    }

    fn start(&mut self) -> Option<Event> {
        self.started = true;
        let headers = match self.reader.byte_headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                self.done = true;
                return Some(Event::Error(InputError {
                    id: Value::Null,
                    origin: Origin::at(&self.ctx.path, 1),
                    message: format!("cannot read the header row: {e}"),
                    record: false,
                }));
            }
        };
        self.names = headers
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().to_string())
            .collect();
        self.text_col = self.names.iter().position(|n| *n == self.text_field);
        self.id_col = self.names.iter().position(|n| *n == self.id_field);
        if self.text_col.is_none() {
            self.done = true;
            return Some(Event::Error(InputError {
                id: Value::Null,
                origin: Origin::at(&self.ctx.path, 1),
                message: format!(
                    "no column named `{}` in the header row (columns: {}); use --text-field",
                    self.text_field,
                    self.names.join(", ")
                ),
                record: false,
            }));
        }
        None
    }
}

impl Source for Table {
    fn next_event(&mut self) -> Option<Event> {
        if self.done {
            return None;
        }
        if !self.started {
            if let Some(ev) = self.start() {
                return Some(ev);
            }
        }
        let text_col = self.text_col?;
        // The next record starts where the csv reader stands; bytes it has
        // buffered past that count against this record, which only makes
        // the limit a buffer's size stricter.
        let (read, _) = self.budget.get();
        self.budget.set((read, self.reader.position().byte()));
        match self.reader.read_byte_record(&mut self.record) {
            Ok(true) => {}
            Ok(false) => {
                self.done = true;
                if !self.any {
                    return Some(Event::Notice(
                        Origin::file(&self.ctx.path),
                        "no rows, no message".into(),
                    ));
                }
                return self.lossy.summary(&self.ctx.path);
            }
            Err(e) => {
                self.done = true;
                let line = e.position().map_or_else(
                    // An I/O error has no position: it is in the row after the last one read.
                    || self.reader.position().line(),
                    |p| p.line(),
                );
                let message = match e.kind() {
                    csv::ErrorKind::Io(io) => {
                        match io.get_ref().and_then(|i| i.downcast_ref::<RecordTooLong>()) {
                            Some(too_long) => {
                                format!("{too_long}; the rest of the file was not read")
                            }
                            None => format!("read error: {}", io_message(io)),
                        }
                    }
                    _ => format!("cannot read row: {e}"),
                };
                return Some(Event::Error(InputError {
                    id: Value::Null,
                    origin: Origin::at(&self.ctx.path, line),
                    message,
                    record: false,
                }));
            }
        }
        self.any = true;
        let line = self.record.position().map_or(0, |p| p.line());
        let origin = Origin::at(&self.ctx.path, line);
        let mut lossy = false;
        let mut cell = |i: usize| -> Option<String> {
            let (s, l) = decode(self.record.get(i)?.to_vec());
            lossy |= l;
            Some(s)
        };
        let id = self
            .id_col
            .and_then(&mut cell)
            .map_or(Value::Null, Value::String);
        let Some(mut text) = cell(text_col) else {
            return Some(Event::Error(InputError {
                id,
                origin,
                message: format!(
                    "row has {} field(s), no `{}` column",
                    self.record.len(),
                    self.text_field
                ),
                record: true,
            }));
        };
        let mut fields = Map::new();
        for (i, name) in self.names.iter().enumerate() {
            if Some(i) == self.id_col || i == text_col {
                continue;
            }
            if let Some(v) = self.record.get(i) {
                let (s, l) = decode(v.to_vec());
                lossy |= l;
                fields.insert(name.clone(), Value::String(s));
            }
        }
        Some(Event::Message(Message {
            id,
            origin,
            cut: self.ctx.cut_text(&mut text),
            text,
            fields: Some(fields),
            lossy: self.lossy.see(lossy),
        }))
    }
}

fn table_reader(tsv: bool) -> csv::ReaderBuilder {
    let mut b = csv::ReaderBuilder::new();
    b.has_headers(true).flexible(true);
    if tsv {
        b.delimiter(b'\t').quoting(false);
    }
    b
}

/// Columns of a labeled CSV/TSV file, for training and evaluation.
///
/// Public corpora name their columns every which way (`v1`/`v2`,
/// `message`/`class`); naming them here saves converting each corpus.
///
/// # Example
///
/// ```
/// use scamscan_cli::input::LabeledColumns;
/// let cols = LabeledColumns { text: "v2".into(), label: "v1".into(), ..Default::default() };
/// assert_eq!((cols.category, cols.source), (None, None));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabeledColumns {
    /// The message text.
    pub text: String,
    /// The label (`scam`/`spam`/`ham` and the synonyms [`Label`] parses).
    pub label: String,
    /// The scam category, if the file has one.
    pub category: Option<String>,
    /// The source corpus, if the file has one (else the file stem is used).
    pub source: Option<String>,
}

impl Default for LabeledColumns {
    fn default() -> Self {
        LabeledColumns {
            text: "text".into(),
            label: "label".into(),
            category: None,
            source: None,
        }
    }
}

/// Reads a labeled CSV (or TSV, `tsv = true`) file with a header row into
/// [`Example`]s. A bad row is an error naming the file and line.
///
/// An empty category cell is no category; without a source column every row's
/// source is the file stem.
///
/// Unlike [`Inputs`], this stops at the first bad row: a training set with
/// a bad label is better fixed than silently trained on.
///
/// # Example
///
/// ```
/// use scamscan_cli::input::{read_labeled_table, LabeledColumns};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("sms.csv");
/// std::fs::write(&path, "class,message\nspam,\"WIN a prize, reply YES\"\nham,see you\n")?;
/// let cols = LabeledColumns { text: "message".into(), label: "class".into(), ..Default::default() };
/// let examples = read_labeled_table(&path, false, &cols)?;
/// assert_eq!((examples[0].label, examples[0].text.as_str()), (scamscan::Label::Spam, "WIN a prize, reply YES"));
/// assert_eq!(examples[1].source, "sms"); // the file stem
/// # Ok::<(), scamscan::Error>(())
/// ```
pub fn read_labeled_table(path: &Path, tsv: bool, cols: &LabeledColumns) -> Result<Vec<Example>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = table_reader(tsv).from_reader(BufReader::new(file));
    // csv positions carry the record's line and byte offset.
    let loc = |pos: Option<&csv::Position>| {
        let (line, byte) = pos.map_or((0, 0), |p| (p.line(), p.byte()));
        scamscan::Location::path(path).at_line(line, byte)
    };
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Error::parse(format!("header row: {e}")).with_path(path))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let find = |name: &str| -> Result<usize> {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            Error::parse(format!(
                "no column named `{name}` (columns: {})",
                headers.join(", ")
            ))
            .with_path(path)
        })
    };
    let text_i = find(&cols.text)?;
    let label_i = find(&cols.label)?;
    let cat_i = cols.category.as_deref().map(find).transpose()?;
    let src_i = cols.source.as_deref().map(find).transpose()?;
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let mut out = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| Error::parse(e.to_string()).at(loc(e.position())))?;
        let pos = rec.position().cloned();
        let get = |i: usize, name: &str| -> Result<&str> {
            rec.get(i).ok_or_else(|| {
                Error::parse(format!("row has no `{name}` column")).at(loc(pos.as_ref()))
            })
        };
        let label: Label = get(label_i, &cols.label)?
            .parse()
            .map_err(|e: Error| e.at(loc(pos.as_ref())))?;
        let category: Option<Category> = match cat_i {
            Some(i) => match rec.get(i).map(str::trim).unwrap_or("") {
                "" | "null" | "none" => None,
                c => Some(c.parse().map_err(|e: Error| e.at(loc(pos.as_ref())))?),
            },
            None => None,
        };
        let source = match src_i {
            Some(i) => rec.get(i).unwrap_or("").to_string(),
            None => stem.clone(),
        };
        out.push(Example {
            id: format!("{stem}:{}", pos.as_ref().map_or(0, |p| p.line())),
            source,
            channel: String::new(),
            lang: String::new(),
            label,
            category,
            text: get(text_i, &cols.text)?.to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(path: &Path, opts: InputOptions) -> Vec<Event> {
        Inputs::new(vec![path.to_path_buf()], opts).collect()
    }

    #[test]
    fn jsonl_records_and_errors_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.jsonl");
        std::fs::write(
            &p,
            "{\"id\":7,\"text\":\"hi\",\"lang\":\"en\"}\n\n{oops\n{\"id\":\"b\"}\n[1]\n",
        )
        .unwrap();
        let ev = events(&p, InputOptions::default());
        assert_eq!(ev.len(), 4, "{ev:?}");
        let Event::Message(m) = &ev[0] else {
            panic!("{ev:?}")
        };
        assert_eq!(m.id, serde_json::json!(7));
        assert_eq!(m.fields.as_ref().unwrap()["lang"], "en");
        let lines: Vec<Option<u64>> = ev[1..]
            .iter()
            .map(|e| match e {
                Event::Error(e) => {
                    assert!(e.record);
                    e.origin.line
                }
                _ => panic!("{e:?}"),
            })
            .collect();
        assert_eq!(lines, vec![Some(3), Some(4), Some(5)]);
        let Event::Error(e) = &ev[2] else { panic!() };
        assert_eq!(e.id, serde_json::json!("b"));
    }

    #[test]
    fn mbox_splits_mails() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("box");
        std::fs::write(
            &p,
            "From a@x.example Mon Jun  3 09:00:00 2024\nFrom: a@x.example\nSubject: one\n\nfirst body\n>From here\n\nFrom b@x.example Mon Jun  3 10:00:00 2024\nFrom: b@x.example\nSubject: two\n\nsecond body\n",
        )
        .unwrap();
        let ev = events(&p, InputOptions::default());
        let msgs: Vec<&Message> = ev
            .iter()
            .filter_map(|e| match e {
                Event::Message(m) => Some(m),
                _ => None,
            })
            .collect();
        assert_eq!(msgs.len(), 2, "{ev:?}");
        assert_eq!(msgs[0].text, "Subject: one\n\nfirst body\nFrom here");
        assert_eq!(msgs[1].id, Value::String(format!("{}#2", p.display())));
        assert_eq!(msgs[1].origin.line, Some(8));
    }

    #[test]
    fn whole_file_is_cut_at_the_read_limit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.txt");
        std::fs::write(&p, "a".repeat(5000)).unwrap();
        let ev = events(
            &p,
            InputOptions {
                read_limit: 1000,
                ..InputOptions::default()
            },
        );
        let Event::Message(m) = &ev[0] else {
            panic!("{ev:?}")
        };
        assert_eq!(m.text.len(), 1000);
        assert_eq!(
            m.cut,
            Some(Cut {
                read: 1000,
                total: Some(5000)
            })
        );
    }

    fn small_limits(format: InputFormat) -> InputOptions {
        InputOptions {
            format,
            read_limit: 100,
            record_limit: 1000,
            ..InputOptions::default()
        }
    }

    #[test]
    fn long_jsonl_records_are_cut_and_too_long_ones_are_errors() {
        let data = format!(
            "{{\"id\":1,\"text\":\"{}\"}}\n{{\"id\":2,\"text\":\"{}\"}}\n{{\"id\":3,\"text\":\"ok\"}}\n",
            "é".repeat(150),
            "y".repeat(2000)
        );
        let ev: Vec<Event> = Inputs::from_reader(
            "r.jsonl",
            Cursor::new(data),
            small_limits(InputFormat::Jsonl),
        )
        .collect();
        assert_eq!(ev.len(), 3, "{ev:?}");
        let Event::Message(m) = &ev[0] else {
            panic!("{ev:?}")
        };
        // Cut at a character boundary at or below the limit.
        assert_eq!(
            (m.text.len(), m.cut),
            (
                100,
                Some(Cut {
                    read: 100,
                    total: Some(300)
                })
            )
        );
        let Event::Error(e) = &ev[1] else {
            panic!("{ev:?}")
        };
        assert_eq!(e.origin.to_string(), "r.jsonl:2");
        assert!(
            e.message.contains("longer than the 1000-byte record limit"),
            "{e:?}"
        );
        assert!(matches!(&ev[2], Event::Message(m) if m.text == "ok"));
    }

    #[test]
    fn long_csv_rows_are_cut_and_too_long_ones_end_the_file() {
        let data = format!(
            "id,text\n1,\"{}\"\n2,\"never closed {}",
            "x, ".repeat(100),
            "z".repeat(5000)
        );
        let ev: Vec<Event> =
            Inputs::from_reader("t.csv", Cursor::new(data), small_limits(InputFormat::Csv))
                .collect();
        assert_eq!(ev.len(), 2, "{ev:?}");
        let Event::Message(m) = &ev[0] else {
            panic!("{ev:?}")
        };
        assert_eq!(
            (m.text.len(), m.cut),
            (
                100,
                Some(Cut {
                    read: 100,
                    total: Some(300)
                })
            )
        );
        let Event::Error(e) = &ev[1] else {
            panic!("{ev:?}")
        };
        assert_eq!(e.origin.to_string(), "t.csv:3");
        assert_eq!(
            e.message,
            "a row is longer than the 1000-byte record limit; the rest of the file was not read"
        );
    }

    #[test]
    fn mail_text_is_kept_within_the_read_limit() {
        // Latin-1 doubles in UTF-8: 195 bytes of mail decode to 252 of text.
        let mut mail =
            b"From: a@b.example\nSubject: x\nContent-Type: text/plain; charset=iso-8859-1\n\n"
                .to_vec();
        mail.extend_from_slice(&[0xe9; 120]);
        assert!(mail.len() <= 200);
        let opts = InputOptions {
            read_limit: 200,
            ..small_limits(InputFormat::Auto)
        };
        let ev: Vec<Event> = Inputs::from_reader("m.eml", Cursor::new(mail), opts).collect();
        let Event::Message(m) = &ev[0] else {
            panic!("{ev:?}")
        };
        assert!(m.text.starts_with("Subject: x\n\néé"), "{}", m.text);
        assert_eq!(
            (m.text.len(), m.cut),
            (
                200,
                Some(Cut {
                    read: 200,
                    total: None
                })
            )
        );
    }

    #[test]
    fn labeled_csv() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.csv");
        std::fs::write(&p, "msg,y,cat\n\"hello, you\",ham,\nwin now,scam,prize\n").unwrap();
        let cols = LabeledColumns {
            text: "msg".into(),
            label: "y".into(),
            category: Some("cat".into()),
            source: None,
        };
        let ex = read_labeled_table(&p, false, &cols).unwrap();
        assert_eq!(ex.len(), 2);
        assert_eq!(ex[0].text, "hello, you");
        assert_eq!(ex[1].category, Some(Category::Prize));
        assert_eq!(ex[1].source, "d");
        std::fs::write(&p, "msg,y,cat\nx,maybe,\n").unwrap();
        let e = read_labeled_table(&p, false, &cols)
            .unwrap_err()
            .to_string();
        assert!(e.contains("d.csv:2") && e.contains("maybe"), "{e}");
    }
}
