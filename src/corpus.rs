//! Labeled examples in the shared corpus schema: the one reader of labeled
//! corpora, and deterministic splits.
//!
//! The schema is one JSON object per line:
//! `{"id", "source", "channel", "lang", "label": "scam"|"spam"|"ham", "category", "text"}`.

use crate::error::{Error, ErrorKind, Location, Result};
use crate::files::{self, Entry, LineReader, WalkOptions};
use crate::label::{Category, Label};
use serde::{Deserialize, Serialize};
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// One labeled message in the shared schema.
///
/// Every field but `label` and `text` may be missing, so that a minimal
/// `{"label", "text"}` file is a valid corpus.
///
/// # Example
///
/// ```
/// let line = r#"{"id":"x:1","source":"x","channel":"sms","lang":"en","label":"scam","category":"delivery","text":"Parcel held"}"#;
/// let e: scamscan::Example = serde_json::from_str(line).unwrap();
/// assert_eq!(e.label, scamscan::Label::Scam);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// Stable identifier.
    #[serde(default)]
    pub id: String,
    /// The corpus it comes from.
    #[serde(default)]
    pub source: String,
    /// sms, email, social, video or job_post.
    #[serde(default)]
    pub channel: String,
    /// ISO 639-1 language code (a guess per source).
    #[serde(default)]
    pub lang: String,
    /// The label.
    pub label: Label,
    /// The scam category, where known.
    #[serde(default, deserialize_with = "crate::label::optional_category")]
    pub category: Option<Category>,
    /// The message.
    pub text: String,
    /// A person read the row and its label is theirs (see [`Annotations`]),
    /// not the source's: it is a hard label even where the source's own
    /// `spam` means only "unwanted". Not part of the schema.
    #[serde(skip)]
    pub reviewed: bool,
}

/// The most bytes of one record (a JSONL line, a CSV row) parsed: 64 MiB.
///
/// A record is parsed whole, so this bounds the memory one line can take;
/// 64 MiB is far beyond any real message and well within a small machine.
pub const MAX_RECORD_BYTES: usize = 64 << 20;

/// The labeled-corpus reader: [`Example`]s from JSON Lines in the shared
/// schema, one `Result` per non-blank line, each error naming its path,
/// line and byte offset.
///
/// An iterator, so that a caller decides what a bad row means: training
/// may stop at the first, a feedback loop may report each and learn the
/// rest. No line takes more than [`Reader::with_limit`] bytes of memory
/// ([`MAX_RECORD_BYTES`] by default): a longer one is an error, and reading
/// goes on after it. Blank lines are skipped, so that files joined with
/// `cat` or edited by hand still read; a byte-order mark at the start is
/// ignored.
///
/// Labels parse as [`Label`] does (`legit`, `fraud`, `phishing`... are
/// accepted); a category may be `null`, empty or missing. A row whose text
/// is empty or only whitespace is an error: there is nothing to learn from
/// it.
///
/// # Example
///
/// ```
/// use scamscan::corpus::Reader;
/// let data = "{\"label\":\"ham\",\"text\":\"lunch?\"}\n\n{\"label\":\"maybe\",\"text\":\"x\"}\n{\"label\":\"fraud\",\"text\":\"pay now\"}\n";
/// let rows: Vec<_> = Reader::new(data.as_bytes()).with_path("inbox.jsonl").collect();
/// assert_eq!(rows.len(), 3);
/// assert_eq!(rows[0].as_ref().unwrap().text, "lunch?");
/// assert_eq!(
///     rows[1].as_ref().unwrap_err().to_string(),
///     "inbox.jsonl:3 (byte 33): unknown label \"maybe\" (expected scam, spam or ham)"
/// );
/// assert_eq!(rows[2].as_ref().unwrap().label, scamscan::Label::Scam);
/// ```
#[derive(Debug)]
pub struct Reader<R> {
    lines: LineReader<R>,
    buf: Vec<u8>,
    path: Option<PathBuf>,
    limit: usize,
    /// Byte offset of the next line.
    byte: u64,
    done: bool,
}

impl<R: BufRead> Reader<R> {
    /// Reads `reader` with the default limit and no path in errors.
    ///
    /// # Example
    ///
    /// ```
    /// let file = std::io::BufReader::new(std::fs::File::open("datasets/scam/job.jsonl")?);
    /// let first = scamscan::corpus::Reader::new(file).next().unwrap()?;
    /// assert_eq!(first.label, scamscan::Label::Scam);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(reader: R) -> Self {
        Reader {
            lines: LineReader::new(reader, MAX_RECORD_BYTES),
            buf: Vec::new(),
            path: None,
            limit: MAX_RECORD_BYTES,
            byte: 0,
            done: false,
        }
    }

    /// Names the input in errors (a file's path, or `-` for stdin).
    ///
    /// # Example
    ///
    /// ```
    /// let mut r = scamscan::corpus::Reader::new(&b"{oops\n"[..]).with_path("-");
    /// assert!(r.next().unwrap().unwrap_err().to_string().starts_with("-:1 (byte 0): invalid JSON"));
    /// ```
    pub fn with_path(mut self, path: impl AsRef<Path>) -> Self {
        self.path = Some(path.as_ref().to_path_buf());
        self
    }

    /// The most bytes of one line parsed; a longer line is an error.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::corpus::Reader;
    /// let data = format!("{{\"label\":\"ham\",\"text\":\"{}\"}}\n{{\"label\":\"ham\",\"text\":\"ok\"}}\n", "x".repeat(100));
    /// let rows: Vec<_> = Reader::new(data.as_bytes()).with_limit(64).collect();
    /// assert!(rows[0].as_ref().unwrap_err().to_string().contains("longer than the 64-byte record limit"));
    /// assert_eq!(rows[1].as_ref().unwrap().text, "ok");
    /// ```
    pub fn with_limit(mut self, bytes: usize) -> Self {
        self.limit = bytes;
        self.lines.set_limit(bytes);
        self
    }

    fn location(&self, line: u64, byte: u64) -> Location {
        let loc = Location::default().at_line(line, byte);
        match &self.path {
            Some(p) => Location {
                path: Some(p.clone()),
                ..loc
            },
            None => loc,
        }
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = Result<Example>;

    fn next(&mut self) -> Option<Result<Example>> {
        while !self.done {
            let info = match self.lines.next_line(&mut self.buf) {
                Ok(Some(info)) => info,
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    let loc = self.location(self.lines.line_number() + 1, self.byte);
                    return Some(Err(Error::new(ErrorKind::Io(e)).at(loc)));
                }
            };
            let start = self.byte;
            self.byte += info.bytes;
            let loc = self.location(info.number, start);
            if info.overflow {
                return Some(Err(Error::parse(format!(
                    "line is {} bytes, longer than the {}-byte record limit; not parsed",
                    info.len, self.limit
                ))
                .at(loc)));
            }
            let mut line: &[u8] = &self.buf;
            if info.number == 1 {
                line = line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(line);
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(parse_line(line).map_err(|e| e.at(loc)));
        }
        None
    }
}

/// One line of the schema into an [`Example`].
fn parse_line(line: &[u8]) -> Result<Example> {
    let ex: Example = serde_json::from_slice(line).map_err(|e| {
        let msg = e.to_string();
        // serde_json counts lines and columns within the line: keep the column.
        let msg = msg
            .rsplit_once(" at line ")
            .map_or(msg.as_str(), |(m, _)| m);
        if e.is_syntax() || e.is_eof() {
            Error::parse(format!("invalid JSON at column {}: {msg}", e.column()))
        } else {
            Error::parse(msg)
        }
    })?;
    ex.checked()
}

impl Example {
    /// The example if it can be learned from, else the reason why not: its
    /// text is empty or only whitespace. Every reader of labeled rows (JSON
    /// Lines here, CSV/TSV in the command line) checks its rows with this.
    ///
    /// # Example
    ///
    /// ```
    /// let row = |text: &str| scamscan::Example { id: "x".into(), source: String::new(), channel: String::new(),
    ///     lang: String::new(), label: scamscan::Label::Ham, category: None, text: text.into(), reviewed: false };
    /// assert!(row("lunch?").checked().is_ok());
    /// assert_eq!(row(" \n").checked().unwrap_err().to_string(), "empty text");
    /// ```
    pub fn checked(self) -> Result<Self> {
        if self.text.trim().is_empty() {
            return Err(Error::parse("empty text"));
        }
        Ok(self)
    }
}

/// Reads a JSONL file of [`Example`]s, stopping at the first bad line (an
/// error naming the file and line): the strict reading a training set
/// wants, since one with a bad label is better fixed than silently trained
/// on. [`Reader`] reads row by row.
///
/// # Example
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("mine.jsonl");
/// std::fs::write(&path, "{\"label\":\"ham\",\"text\":\"lunch?\"}\n\n{\"label\":\"scam\",\"text\":\"pay now\"}\n")?;
/// let examples = scamscan::corpus::read_jsonl(&path)?;
/// assert_eq!(examples.len(), 2);
/// assert_eq!(examples[1].label, scamscan::Label::Scam);
/// # Ok::<(), scamscan::Error>(())
/// ```
pub fn read_jsonl(path: &Path) -> Result<Vec<Example>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    Reader::new(std::io::BufReader::new(file))
        .with_path(path)
        .collect()
}

/// The `*.jsonl` files of `path`: the file itself, or those found by
/// [`files::walk`] under a directory (hidden entries skipped), in the
/// walk's fixed order. A directory without any is an error rather than an
/// empty corpus, and so is one that cannot be walked.
///
/// # Example
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("a.jsonl"), "")?;
/// std::fs::write(dir.path().join("notes.txt"), "")?;
/// assert_eq!(scamscan::corpus::jsonl_files(dir.path())?, [dir.path().join("a.jsonl")]);
/// assert!(scamscan::corpus::jsonl_files(&dir.path().join("notes.txt")).is_ok()); // named: read as given
/// # Ok::<(), scamscan::Error>(())
/// ```
pub fn jsonl_files(path: &Path) -> Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    for entry in files::walk(path, WalkOptions::default()) {
        match entry {
            Entry::File(f) if f.extension().is_some_and(|e| e == "jsonl") => out.push(f),
            Entry::Error { path, message } | Entry::BrokenLink { path, message } => {
                return Err(Error::parse(message).with_path(path));
            }
            _ => {}
        }
    }
    if out.is_empty() {
        return Err(Error::parse("no .jsonl files found").with_path(path));
    }
    Ok(out)
}

/// Reads every `*.jsonl` file of `path` ([`jsonl_files`]) strictly, as
/// [`read_jsonl`].
///
/// The same directory always gives the same examples in the same order,
/// and so the same trained model.
///
/// # Example
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir(dir.path().join("sms"))?;
/// std::fs::write(dir.path().join("sms/b.jsonl"), "{\"label\":\"ham\",\"text\":\"b\"}\n")?;
/// std::fs::write(dir.path().join("a.jsonl"), "{\"label\":\"ham\",\"text\":\"a\"}\n")?;
/// std::fs::write(dir.path().join("notes.txt"), "not a corpus")?;
/// let texts: Vec<String> = scamscan::corpus::read_dir_or_file(dir.path())?.into_iter().map(|e| e.text).collect();
/// assert_eq!(texts, ["a", "b"]);
/// # Ok::<(), scamscan::Error>(())
/// ```
pub fn read_dir_or_file(path: &Path) -> Result<Vec<Example>> {
    let mut out = Vec::new();
    for f in jsonl_files(path)? {
        out.extend(read_jsonl(&f)?);
    }
    Ok(out)
}

/// Labels read by people for rows of a corpus, by id: they replace a row's
/// label or category where a source's own is coarse (every phishing e-mail
/// "bank", every unwanted SMS "spam").
///
/// Tab-separated files with a header row: an `id` column, and a `label` (or
/// `class`) column, a `category` column, or both. A label is one of `scam`,
/// `spam`, `marketing` (the same as `spam`: unwanted, and no fraud), `ham`,
/// or `unclear` / `-` / empty (the row keeps its label). A category is one
/// of the taxonomy's, `not_scam` (no fraud in the text: the row has no
/// category), or `-` / empty (unchanged). Only ids and labels: the text
/// stays in its corpus.
///
/// # Example
///
/// ```
/// use scamscan::corpus::Annotations;
/// use scamscan::{Category, Example, Label};
/// let tsv = "id\tclass\tcategory\nsms:1\tscam\tdelivery\nsms:2\tmarketing\t-\nsms:3\tunclear\t-\n";
/// let notes = Annotations::parse(tsv, "unwanted.tsv")?;
/// let row = |id: &str| Example { id: id.into(), source: "sms".into(), channel: String::new(),
///     lang: String::new(), label: Label::Spam, category: None, text: "...".into(), reviewed: false };
/// let mut rows = vec![row("sms:1"), row("sms:2"), row("sms:3"), row("sms:4")];
/// assert_eq!(notes.apply(&mut rows), 1); // only sms:1 changed label
/// assert_eq!((rows[0].label, rows[0].category), (Label::Scam, Some(Category::Delivery)));
/// assert_eq!((rows[1].label, rows[2].label), (Label::Spam, Label::Spam));
/// assert!(rows[1].reviewed && !rows[2].reviewed); // marketing, read; unclear, not
/// # Ok::<(), scamscan::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Annotations {
    by_id: std::collections::HashMap<String, Annotation>,
}

/// One row's annotation: `None` leaves the field as the corpus has it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Annotation {
    label: Option<Label>,
    category: Option<Option<Category>>,
}

impl Annotations {
    /// Reads an annotation file (see the type's docs); errors name the file and line.
    ///
    /// # Example
    ///
    /// ```
    /// let err = scamscan::corpus::Annotations::read("no/such.tsv".as_ref()).unwrap_err();
    /// assert!(err.to_string().starts_with("no/such.tsv: "));
    /// ```
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text, path)
    }

    /// Parses the text of an annotation file named `path` (for errors).
    pub fn parse(text: &str, path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let mut lines = text.lines().enumerate();
        let at = |line: usize| Location::path(path).with_line(line as u64 + 1);
        let header: Vec<&str> = match lines.next() {
            Some((_, h)) => h.split('\t').map(str::trim).collect(),
            None => return Err(Error::parse("empty annotation file").with_path(path)),
        };
        let col = |names: &[&str]| header.iter().position(|h| names.contains(h));
        let id_col =
            col(&["id"]).ok_or_else(|| Error::parse("no `id` column in the header").at(at(0)))?;
        let (label_col, cat_col) = (col(&["label", "class"]), col(&["category"]));
        if label_col.is_none() && cat_col.is_none() {
            return Err(
                Error::parse("no `label`, `class` or `category` column in the header").at(at(0)),
            );
        }
        let mut by_id = std::collections::HashMap::new();
        for (n, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let cells: Vec<&str> = line.split('\t').map(str::trim).collect();
            let cell = |c: Option<usize>| c.and_then(|c| cells.get(c)).copied().unwrap_or("");
            let id = cell(Some(id_col));
            if id.is_empty() {
                return Err(Error::parse("a row without an id").at(at(n)));
            }
            let label = match cell(label_col) {
                "" | "-" | "unclear" => None,
                "marketing" => Some(Label::Spam),
                other => Some(other.parse::<Label>().map_err(|e| e.at(at(n)))?),
            };
            let category = match cell(cat_col) {
                "" | "-" => None,
                "not_scam" => Some(None),
                other => Some(Some(other.parse::<Category>().map_err(|e| e.at(at(n)))?)),
            };
            let note = Annotation { label, category };
            if by_id.insert(id.to_string(), note).is_some() {
                return Err(Error::parse(format!("id {id:?} annotated twice")).at(at(n)));
            }
        }
        Ok(Annotations { by_id })
    }

    /// Adds the annotations of `other`; an id annotated in both keeps the
    /// fields `other` sets.
    pub fn merge(&mut self, other: Annotations) {
        for (id, note) in other.by_id {
            let e = self.by_id.entry(id).or_insert(Annotation {
                label: None,
                category: None,
            });
            e.label = note.label.or(e.label);
            e.category = note.category.or(e.category);
        }
    }

    /// The number of annotated ids.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// True when nothing is annotated.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Applies the annotations to the rows they name; returns how many rows
    /// changed. A row annotated ham, spam or "not a scam" loses its category;
    /// a row given a label is [`Example::reviewed`].
    pub fn apply(&self, rows: &mut [Example]) -> usize {
        let mut changed = 0;
        for e in rows.iter_mut() {
            let Some(note) = self.by_id.get(&e.id) else {
                continue;
            };
            let before = (e.label, e.category);
            if let Some(l) = note.label {
                e.label = l;
                e.reviewed = true;
            }
            if let Some(c) = note.category {
                e.category = c;
            }
            if e.label != Label::Scam {
                e.category = None;
            }
            changed += usize::from((e.label, e.category) != before);
        }
        changed
    }
}

/// The sources whose `spam` label means "unwanted" (marketing and fraud
/// mixed), read from a sources file: tab-separated, a header row with a
/// `source` and a `spam` column, `spam` being `unwanted` or `marketing` (the
/// source labels its scams apart, so its spam is marketing). Other columns
/// (a note) are ignored.
///
/// The property belongs to the data, not to the code that trains on it:
/// the trainer's partial labels take it from here.
///
/// # Example
///
/// ```
/// let tsv = "source\tspam\tnote\nspamhunter\tunwanted\treported SMS\nmendeley_smishing\tmarketing\tsmishing apart\n";
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("sources.tsv"), tsv)?;
/// assert_eq!(scamscan::corpus::unwanted_sources(&dir.path().join("sources.tsv"))?, ["spamhunter"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn unwanted_sources(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut lines = text.lines().enumerate();
    let at = |line: usize| Location::path(path).with_line(line as u64 + 1);
    let header: Vec<&str> = match lines.next() {
        Some((_, h)) => h.split('\t').map(str::trim).collect(),
        None => return Err(Error::parse("empty sources file").with_path(path)),
    };
    let (Some(src), Some(spam)) = (
        header.iter().position(|h| *h == "source"),
        header.iter().position(|h| *h == "spam"),
    ) else {
        return Err(Error::parse("the header needs a `source` and a `spam` column").at(at(0)));
    };
    let mut out = Vec::new();
    for (n, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').map(str::trim).collect();
        match (cells.get(src), cells.get(spam)) {
            (Some(s), Some(&"unwanted")) if !s.is_empty() => out.push(s.to_string()),
            (Some(s), Some(&"marketing")) if !s.is_empty() => {}
            _ => {
                return Err(Error::parse(
                    "each row needs a source and, as `spam`, `unwanted` or `marketing`",
                )
                .at(at(n)));
            }
        }
    }
    Ok(out)
}

/// The fold (0..10) of a text, for deterministic, near-duplicate-aware splits.
///
/// The group key keeps only letters (ASCII lower-cased, non-ASCII bytes as is),
/// so template messages that differ in a number, a link or punctuation land in
/// the same fold. The hash is 64-bit FNV-1a, simple enough that the Python
/// comparison script (`scripts/compare.py`) computes the very same split.
///
/// # Example
///
/// ```
/// assert_eq!(scamscan::corpus::fold("Call 555-0101 NOW!"), scamscan::corpus::fold("call 555 0199 now"));
/// ```
pub fn fold(text: &str) -> u8 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in text.as_bytes() {
        let b = match b {
            b'A'..=b'Z' => b + 32,
            b'a'..=b'z' | 0x80..=0xff => b,
            _ => continue,
        };
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h % 10) as u8
}

/// The fold reserved for calibration inside any training pool.
pub const CALIBRATION_FOLD: u8 = 2;

/// Folds held out as the in-source test split (20%).
pub const TEST_FOLDS: [u8; 2] = [0, 1];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_reference_value() {
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c; that modulo 10 is 4.
        assert_eq!(0xaf63dc4c8601ec8cu64 % 10, fold("a") as u64);
        assert_eq!(fold("A!"), fold("a"));
    }

    #[test]
    fn bad_line_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.jsonl");
        std::fs::write(&p, "{\"label\":\"ham\",\"text\":\"hi\"}\n{oops\n").unwrap();
        let e = read_jsonl(&p).unwrap_err().to_string();
        assert!(e.contains("x.jsonl:2"), "{e}");
    }
}
