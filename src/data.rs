//! Labeled examples in the shared corpus schema, and deterministic splits.
//!
//! The schema is one JSON object per line:
//! `{"id", "source", "channel", "lang", "label": "scam"|"spam"|"ham", "category", "text"}`.

use crate::error::{Error, Location, Result};
use serde::{Deserialize, Serialize};
use std::io::BufRead;
use std::path::Path;

/// The three verdicts.
///
/// Spam is kept apart from scam because most spam is legal marketing: a
/// filter may quarantine it, but only a scam should raise an alarm. Parsing
/// accepts the synonyms public corpora use (`legit`, `fraud`, `phishing`,
/// `0`/`1`...), so that corpora can be read without relabeling.
///
/// # Example
///
/// ```
/// use scamscan::Label;
/// assert_eq!("Phishing".parse::<Label>()?, Label::Scam);
/// assert_eq!(Label::Spam.to_string(), "spam");
/// assert!("maybe".parse::<Label>().is_err());
/// # Ok::<(), scamscan::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    /// A legitimate message.
    Ham,
    /// Unsolicited bulk or marketing; may still be a scam.
    Spam,
    /// A fraud attempt.
    Scam,
    /// A decision only, never a training label: the message is too unlike
    /// anything the model was trained on (an unfamiliar language, say) for
    /// its scores to mean much. See [`crate::vocabulary`].
    #[serde(skip_deserializing)]
    Unsure,
}

impl Label {
    /// All labels, in class-index order.
    pub const ALL: [Label; 3] = [Label::Ham, Label::Spam, Label::Scam];

    /// The class index used by the model: the position of this label in
    /// probability arrays and weight columns. [`Label::Unsure`], a decision
    /// and not a class, has index 3, past the model's classes.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::Label;
    /// assert_eq!(Label::Scam.index(), 2);
    /// assert_eq!(Label::ALL[Label::Spam.index()], Label::Spam);
    /// ```
    pub fn index(self) -> usize {
        self as usize
    }

    /// Spam or scam: what a filter would act on. Ham and unsure are not.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::Label;
    /// assert!(Label::Spam.is_flagged() && !Label::Unsure.is_flagged());
    /// ```
    pub fn is_flagged(self) -> bool {
        matches!(self, Label::Spam | Label::Scam)
    }

    /// The lower-case name, as in the corpus schema and the CLI's output.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(scamscan::Label::Ham.as_str(), "ham");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Ham => "ham",
            Label::Spam => "spam",
            Label::Scam => "scam",
            Label::Unsure => "unsure",
        }
    }
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Label {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ham" | "legit" | "legitimate" | "0" => Ok(Label::Ham),
            "spam" | "promo" => Ok(Label::Spam),
            "scam" | "fraud" | "smishing" | "phishing" | "1" => Ok(Label::Scam),
            other => Err(Error::parse(format!(
                "unknown label {other:?} (expected scam, spam or ham)"
            ))),
        }
    }
}

/// The scam taxonomy.
///
/// Naming the kind of scam tells a user what the sender is after (a
/// payment, a login, a deposit), which a bare score does not.
///
/// # Example
///
/// ```
/// use scamscan::Category;
/// assert_eq!("tech_support".parse::<Category>()?, Category::TechSupport);
/// assert_eq!(Category::AdvanceFee.to_string(), "advance_fee");
/// # Ok::<(), scamscan::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Fake job and task offers.
    Job,
    /// Bank or account impersonation, credential phishing.
    Bank,
    /// Crypto, investment, pig-butchering, recovery scams.
    Investment,
    /// Parcel, toll and postal lures.
    Delivery,
    /// Lottery, prize, reward, gift.
    Prize,
    /// Tax, police, government impersonation.
    Government,
    /// Romance and wrong-number openers.
    Romance,
    /// Loan and credit offers.
    Loan,
    /// Fake technical support.
    TechSupport,
    /// Threats and sextortion.
    Extortion,
    /// 419, inheritance, advance-fee.
    AdvanceFee,
    /// Other fraud.
    Other,
}

impl Category {
    /// All categories, in class-index order.
    pub const ALL: [Category; 12] = [
        Category::Job,
        Category::Bank,
        Category::Investment,
        Category::Delivery,
        Category::Prize,
        Category::Government,
        Category::Romance,
        Category::Loan,
        Category::TechSupport,
        Category::Extortion,
        Category::AdvanceFee,
        Category::Other,
    ];

    /// The class index used by the category head.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::Category;
    /// assert_eq!(Category::Job.index(), 0);
    /// assert_eq!(Category::ALL[Category::Loan.index()], Category::Loan);
    /// ```
    pub fn index(self) -> usize {
        self as usize
    }

    /// The snake_case name used in the schema.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(scamscan::Category::TechSupport.as_str(), "tech_support");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Job => "job",
            Category::Bank => "bank",
            Category::Investment => "investment",
            Category::Delivery => "delivery",
            Category::Prize => "prize",
            Category::Government => "government",
            Category::Romance => "romance",
            Category::Loan => "loan",
            Category::TechSupport => "tech_support",
            Category::Extortion => "extortion",
            Category::AdvanceFee => "advance_fee",
            Category::Other => "other",
        }
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Category {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim().to_ascii_lowercase();
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| Error::parse(format!("unknown category {s:?}")))
    }
}

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
/// let examples = scamscan::data::read_jsonl(&path)?;
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
/// let texts: Vec<String> = scamscan::data::read_dir_or_file(dir.path())?.into_iter().map(|e| e.text).collect();
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
/// assert_eq!(scamscan::data::fold("Call 555-0101 NOW!"), scamscan::data::fold("call 555 0199 now"));
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
    fn parses_labels_and_categories() {
        assert_eq!("SCAM".parse::<Label>().unwrap(), Label::Scam);
        assert!("weird".parse::<Label>().is_err());
        assert_eq!(
            "tech_support".parse::<Category>().unwrap(),
            Category::TechSupport
        );
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>().unwrap(), c);
            assert_eq!(Category::ALL[c.index()], c);
        }
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
