//! The one error type of the crate.
//!
//! Every error says *what* went wrong and *where*: the path of the file, and for
//! line-oriented inputs the 1-based line number, so that a user scanning ten
//! thousand files can find the one that failed.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where an error happened: a file (or `<stdin>`), optionally a line and a byte offset.
///
/// The byte offset is there for tools: an editor can jump to it even when
/// line endings or encodings make line counts disagree.
///
/// # Example
///
/// ```
/// use scamscan::Location;
/// assert_eq!(Location::path("a.jsonl").at_line(2, 40).to_string(), "a.jsonl:2 (byte 40)");
/// assert_eq!(Location::default().to_string(), "<input>");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The path of the input, if the input has one.
    pub path: Option<PathBuf>,
    /// 1-based line number within the input.
    pub line: Option<u64>,
    /// Byte offset of the start of that line (or of the problem) within the input.
    pub byte: Option<u64>,
}

impl Location {
    /// A location naming only a path.
    ///
    /// # Example
    ///
    /// ```
    /// let l = scamscan::Location::path("models/default");
    /// assert_eq!((l.to_string().as_str(), l.line), ("models/default", None));
    /// ```
    pub fn path(path: impl AsRef<Path>) -> Self {
        Location {
            path: Some(path.as_ref().to_path_buf()),
            ..Location::default()
        }
    }

    /// Adds a 1-based line number and the byte offset where that line starts.
    ///
    /// # Example
    ///
    /// ```
    /// let l = scamscan::Location::path("x.jsonl").at_line(7, 512);
    /// assert_eq!((l.line, l.byte), (Some(7), Some(512)));
    /// ```
    pub fn at_line(mut self, line: u64, byte: u64) -> Self {
        self.line = Some(line);
        self.byte = Some(byte);
        self
    }

    /// Adds a 1-based line number, for inputs read in a way that does not
    /// count bytes.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(scamscan::Location::path("notes.tsv").with_line(3).to_string(), "notes.tsv:3");
    /// ```
    pub fn with_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{}", p.display())?,
            None => write!(f, "<input>")?,
        }
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(byte) = self.byte {
            write!(f, " (byte {byte})")?;
        }
        Ok(())
    }
}

/// What kind of failure an [`Error`] is.
///
/// Non-exhaustive, so that new kinds can be added without breaking callers:
/// match the kinds you handle and keep a `_` arm.
///
/// # Example
///
/// ```
/// use scamscan::{Classifier, ErrorKind};
/// let err = Classifier::from_path("no/such/model").unwrap_err();
/// assert!(matches!(err.kind(), ErrorKind::Model(_)));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading or writing a file failed.
    ///
    /// Displayed the way [`io_message`] puts it
    /// (`no such file or directory`), without the system's error number.
    #[error("{}", io_message(.0))]
    Io(std::io::Error),
    /// A record could not be parsed (bad JSON, missing field, bad label...).
    #[error("{0}")]
    Parse(String),
    /// A model file or directory is corrupt, truncated, of another version, or too large.
    #[error("bad model: {0}")]
    Model(String),
    /// A hyperparameter or option is out of range.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// Training failed (no data, a class missing, the solver failed).
    #[error("training failed: {0}")]
    Training(String),
    /// The tokenizer definition (`tokenizer.json`) could not be built or applied.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
}

/// The crate's error: a kind and, where known, the location it happened at.
///
/// # Example
///
/// ```
/// use scamscan::{Error, Location};
/// let e = Error::parse("missing field `text`").at(Location::path("inbox.jsonl").at_line(3, 120));
/// assert_eq!(e.to_string(), "inbox.jsonl:3 (byte 120): missing field `text`");
/// ```
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    location: Option<Location>,
}

impl Error {
    /// Builds an error of the given kind with no location yet; the caller
    /// that knows the file adds it with [`Error::at`] or [`Error::with_path`].
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{Error, ErrorKind};
    /// let e = Error::new(ErrorKind::Tokenizer("bad pattern".into()));
    /// assert_eq!(e.to_string(), "tokenizer: bad pattern");
    /// assert!(e.location().is_none());
    /// ```
    pub fn new(kind: ErrorKind) -> Self {
        Error {
            kind,
            location: None,
        }
    }

    /// A parse error with the given message.
    ///
    /// # Example
    ///
    /// ```
    /// let e = scamscan::Error::parse("unknown label \"maybe\"");
    /// assert!(matches!(e.kind(), scamscan::ErrorKind::Parse(_)));
    /// ```
    pub fn parse(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::Parse(msg.into()))
    }

    /// A bad-model error with the given message.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(scamscan::Error::model("truncated").to_string(), "bad model: truncated");
    /// ```
    pub fn model(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::Model(msg.into()))
    }

    /// An invalid-parameter error with the given message.
    ///
    /// # Example
    ///
    /// ```
    /// let e = scamscan::Error::invalid("alpha must be >= 0");
    /// assert_eq!(e.to_string(), "invalid parameter: alpha must be >= 0");
    /// ```
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidParameter(msg.into()))
    }

    /// A training error with the given message.
    ///
    /// # Example
    ///
    /// ```
    /// let e = scamscan::Error::training("no ham messages");
    /// assert_eq!(e.to_string(), "training failed: no ham messages");
    /// ```
    pub fn training(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::Training(msg.into()))
    }

    /// An I/O error that happened on `path`.
    ///
    /// `std::io::Error` does not say which file failed; this does.
    ///
    /// # Example
    ///
    /// ```
    /// let io = std::fs::read("no/such/file").unwrap_err();
    /// let e = scamscan::Error::io("no/such/file", io);
    /// assert!(e.to_string().starts_with("no/such/file: "), "{e}");
    /// ```
    pub fn io(path: impl AsRef<Path>, err: std::io::Error) -> Self {
        Error::new(ErrorKind::Io(err)).at(Location::path(path))
    }

    /// Attaches a location, keeping a more precise one if already set.
    ///
    /// So that a low-level function can record the line it knows, and a caller
    /// further up the path it knows, in either order.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{Error, Location};
    /// let e = Error::parse("bad JSON")
    ///     .at(Location::default().at_line(3, 80))
    ///     .at(Location::path("in.jsonl").at_line(1, 0));
    /// assert_eq!(e.to_string(), "in.jsonl:3 (byte 80): bad JSON");
    /// ```
    pub fn at(mut self, location: Location) -> Self {
        match &mut self.location {
            None => self.location = Some(location),
            Some(l) => {
                if l.path.is_none() {
                    l.path = location.path;
                }
                if l.line.is_none() {
                    l.line = location.line;
                    l.byte = location.byte;
                }
            }
        }
        self
    }

    /// Attaches a path, keeping a line number already set.
    ///
    /// # Example
    ///
    /// ```
    /// let e = scamscan::Error::model("checksum mismatch").with_path("m/model.bin");
    /// assert_eq!(e.to_string(), "m/model.bin: bad model: checksum mismatch");
    /// ```
    pub fn with_path(self, path: impl AsRef<Path>) -> Self {
        self.at(Location::path(path))
    }

    /// What went wrong, for callers that react differently to, say, a
    /// missing file and a corrupt one.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::ErrorKind;
    /// let e = scamscan::corpus::read_jsonl("no/such.jsonl".as_ref()).unwrap_err();
    /// assert!(matches!(e.kind(), ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::NotFound));
    /// ```
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Where it went wrong, if known.
    ///
    /// # Example
    ///
    /// ```
    /// let e = scamscan::corpus::read_jsonl("no/such.jsonl".as_ref()).unwrap_err();
    /// let path = e.location().and_then(|l| l.path.as_deref()).unwrap();
    /// assert_eq!(path, std::path::Path::new("no/such.jsonl"));
    /// ```
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(l) => write!(f, "{l}: {}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

/// No `source()`: the message already includes the underlying I/O error,
/// and an error reporter that prints the chain (anyhow, eyre) would print it
/// twice. The I/O error itself is in [`Error::kind`].
///
/// # Example
///
/// ```
/// use std::error::Error as _;
/// let e = scamscan::corpus::read_jsonl("no/such.jsonl".as_ref()).unwrap_err();
/// assert_eq!(e.to_string(), "no/such.jsonl: no such file or directory");
/// assert!(e.source().is_none());
/// ```
impl std::error::Error for Error {}

/// Not `#[from]`: that would also make the I/O error the kind's `source()`,
/// and its message would be printed twice by chain printers.
impl From<std::io::Error> for ErrorKind {
    fn from(e: std::io::Error) -> Self {
        ErrorKind::Io(e)
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::new(ErrorKind::Io(e))
    }
}

/// linfa's `Fit` trait requires the error type to absorb linfa's own errors.
impl From<linfa::Error> for Error {
    fn from(e: linfa::Error) -> Self {
        Error::training(e.to_string())
    }
}

/// The crate's result type.
///
/// # Example
///
/// ```
/// fn threshold(s: &str) -> scamscan::Result<f32> {
///     s.parse().map_err(|_| scamscan::Error::invalid(format!("not a number: {s}")))
/// }
/// assert!(threshold("0.9").is_ok());
/// assert!(threshold("high").is_err());
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A short message for an I/O error, without the `(os error N)` suffix for
/// the common cases.
///
/// The suffix means nothing to most users, and differs between systems,
/// which would make the output of the same run differ too.
///
/// # Example
///
/// ```
/// let e = std::fs::File::open("no/such/file").unwrap_err();
/// assert_eq!(scamscan::error::io_message(&e), "no such file or directory");
/// ```
pub fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "is a directory".into(),
        _ => {
            let msg = e.to_string();
            // "Too many levels of symbolic links (os error 40)" -> "too many levels of symbolic links"
            let msg = match msg.rsplit_once(" (os error ") {
                Some((m, code)) if code.ends_with(')') => m.to_string(),
                _ => msg,
            };
            let mut chars = msg.chars();
            match chars.next() {
                Some(c)
                    if c.is_uppercase()
                        && !chars.clone().next().is_some_and(char::is_uppercase) =>
                {
                    c.to_lowercase().chain(chars).collect()
                }
                _ => msg,
            }
        }
    }
}
