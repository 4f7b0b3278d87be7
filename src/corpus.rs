//! Labeled examples in the shared corpus schema, and deterministic splits.
//!
//! The schema is one JSON object per line:
//! `{"id", "source", "channel", "lang", "label": "scam"|"spam"|"ham", "category", "text"}`.

use crate::error::{Error, Location, Result};
use crate::label::{Category, Label};
use serde::{Deserialize, Serialize};
use std::io::BufRead;
use std::path::Path;

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
    #[serde(default)]
    pub category: Option<Category>,
    /// The message.
    pub text: String,
}

/// Reads a JSONL file of [`Example`]s. A bad line is an error naming the file and line.
///
/// Blank lines are skipped, so that files joined with `cat` or edited by
/// hand still read.
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
    let reader = std::io::BufReader::new(file);
    let mut out = Vec::new();
    let mut byte = 0u64;
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        let loc = Location::path(path).at_line(i as u64 + 1, byte);
        byte += line.len() as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let ex: Example =
            serde_json::from_str(&line).map_err(|e| Error::parse(e.to_string()).at(loc))?;
        out.push(ex);
    }
    Ok(out)
}

/// Reads every `*.jsonl` file under `path` (a file or a directory, recursively, sorted).
///
/// Sorted, so that the same directory always gives the same examples in the
/// same order, and so the same trained model. A directory without any
/// `.jsonl` file is an error rather than an empty corpus.
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
    if path.is_file() {
        return read_jsonl(path);
    }
    let mut files = Vec::new();
    collect_jsonl(path, &mut files)?;
    files.sort();
    if files.is_empty() {
        return Err(Error::parse("no .jsonl files found").with_path(path));
    }
    let mut out = Vec::new();
    for f in files {
        out.extend(read_jsonl(&f)?);
    }
    Ok(out)
}

fn collect_jsonl(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> Result<()> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in rd {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let p = entry.path();
        if p.is_dir() {
            collect_jsonl(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "jsonl") {
            out.push(p);
        }
    }
    Ok(())
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
