//! Labeled data for `train` and `eval`: JSON Lines through the library's
//! corpus reader, CSV and TSV through the same record reader `classify`
//! uses, every row made an [`Example`] and checked the same way.

use crate::input::{Event, InputFormat, InputOptions, Inputs, Message};
use clap::Args;
use scamscan::corpus::{self, Annotations, Example, MAX_RECORD_BYTES, TEST_FOLDS, fold};
use scamscan::{Category, Error, Label, Location, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Labeled data for `train` and `eval`.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// A JSONL file, a directory of JSONL files, a CSV/TSV file (by extension), or - for standard input (see --data-format); repeatable.
    #[arg(long, value_name = "FILE_OR_DIR", required = true, num_args = 1..)]
    pub data: Vec<PathBuf>,
    /// How the rows are read.
    #[command(flatten)]
    pub columns: ColumnArgs,
    /// Labels read by people for rows of the data, by id (TSV: `id` and a
    /// `label`/`class` and/or `category` column; see `datasets/annotations/`):
    /// they replace the rows' own; repeatable.
    #[arg(long, value_name = "FILE")]
    pub annotations: Vec<PathBuf>,
    /// Keep only one side of the project's fixed split: `test` is folds 0–1
    /// (a 20% hold-out of every source), `train` folds 2–9. The fold is a hash
    /// of the text's letters, so the split is the same on every machine.
    #[arg(long, value_enum, value_name = "SIDE")]
    pub split: Option<SplitSide>,
}

/// How labeled rows are read: the columns of CSV/TSV files, the format of
/// standard input.
#[derive(Debug, Clone, Args)]
pub struct ColumnArgs {
    /// CSV/TSV: the column holding the message text.
    #[arg(long, value_name = "NAME", default_value = "text")]
    pub text_column: String,
    /// CSV/TSV: the column holding the label (scam, spam, ham).
    #[arg(long, value_name = "NAME", default_value = "label")]
    pub label_column: String,
    /// CSV/TSV: the column holding the scam category [default: `category` if present].
    #[arg(long, value_name = "NAME")]
    pub category_column: Option<String>,
    /// CSV/TSV: the column holding the source corpus [default: `source` if present, else the file name].
    #[arg(long, value_name = "NAME")]
    pub source_column: Option<String>,
    /// The format of labeled data on standard input (`--data -`).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = DataFormat::Jsonl)]
    pub data_format: DataFormat,
}

/// The formats of labeled data on standard input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DataFormat {
    /// JSON Lines in the corpus schema.
    Jsonl,
    /// CSV with a header row.
    Csv,
    /// TSV with a header row.
    Tsv,
}

/// One side of the fixed train/test split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SplitSide {
    /// Folds 2–9: what an in-source model is trained on.
    Train,
    /// Folds 0–1: what it is tested on.
    Test,
}

impl DataArgs {
    /// Reads every `--data` path, stopping at the first bad row: a training
    /// set with a bad label is better fixed than silently trained on.
    pub fn read(&self) -> Result<Vec<Example>> {
        self.read_with(Err)
    }

    /// Reads every `--data` path, handing each bad row's error to `bad`,
    /// which may stop the reading by returning it, or let the rest be read.
    pub fn read_with(&self, bad: impl FnMut(Error) -> Result<()>) -> Result<Vec<Example>> {
        let mut out = self.columns.read_with(&self.data, bad)?;
        if !self.annotations.is_empty() {
            let mut notes = Annotations::default();
            for path in &self.annotations {
                notes.merge(Annotations::read(path)?);
            }
            notes.apply(&mut out);
        }
        if let Some(side) = self.split {
            let test = |e: &Example| TEST_FOLDS.contains(&fold(&e.text));
            out.retain(|e| test(e) == (side == SplitSide::Test));
        }
        Ok(out)
    }
}

impl ColumnArgs {
    /// Reads `paths` (`-` is standard input), handing each bad row's error
    /// to `bad`, which may stop the reading by returning it, or let the
    /// rest be read.
    pub fn read_with(
        &self,
        paths: &[PathBuf],
        mut bad: impl FnMut(Error) -> Result<()>,
    ) -> Result<Vec<Example>> {
        let mut out = Vec::new();
        for path in paths {
            let stdin = path.as_os_str() == "-";
            let format = match (stdin, self.data_format) {
                (true, DataFormat::Csv) => Some(InputFormat::Csv),
                (true, DataFormat::Tsv) => Some(InputFormat::Tsv),
                (true, DataFormat::Jsonl) => None,
                (false, _) => table_format(path),
            };
            match format {
                Some(format) => self.read_table(path, format, &mut out, &mut bad)?,
                None if stdin => {
                    let rows = corpus::Reader::new(std::io::stdin().lock()).with_path("-");
                    for row in rows {
                        match row {
                            Ok(e) => out.push(e),
                            Err(e) => bad(e)?,
                        }
                    }
                }
                None => {
                    for file in corpus::jsonl_files(path)? {
                        let f = std::fs::File::open(&file).map_err(|e| Error::io(&file, e))?;
                        let rows = corpus::Reader::new(std::io::BufReader::new(f)).with_path(&file);
                        for row in rows {
                            match row {
                                Ok(e) => out.push(e),
                                Err(e) => bad(e)?,
                            }
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// The rows of one CSV/TSV file, read with the limits of every input.
    fn read_table(
        &self,
        path: &Path,
        format: InputFormat,
        out: &mut Vec<Example>,
        bad: &mut impl FnMut(Error) -> Result<()>,
    ) -> Result<()> {
        let opts = InputOptions {
            format,
            text_field: self.text_column.clone(),
            id_field: "id".into(),
            // Labeled texts are learned whole: no cut below the record limit.
            read_limit: MAX_RECORD_BYTES,
            record_limit: MAX_RECORD_BYTES,
            binary: true,
            ..InputOptions::default()
        };
        // Standard input has no name to default the source to.
        let stem = match path.file_stem() {
            Some(s) if path.as_os_str() != "-" => s.to_string_lossy().into_owned(),
            _ => String::new(),
        };
        for event in Inputs::new(vec![path.to_path_buf()], opts) {
            let result = match event {
                Event::Message(m) => self
                    .example(&m, &stem)
                    .map_err(|e| e.at(location(&m.origin))),
                Event::Error(e) => {
                    // The input's hint names classify's flag; here it is another.
                    let message = e.message.replace("--text-field", "--text-column");
                    Err(Error::parse(message).at(location(&e.origin)))
                }
                Event::Warning(..) | Event::Notice(..) => continue,
            };
            match result {
                Ok(e) => out.push(e),
                Err(e) => bad(e)?,
            }
        }
        Ok(())
    }

    /// One table row as an example: optional columns default to `category`
    /// and `source` when the file has them, the source to the file's name.
    fn example(&self, m: &Message, stem: &str) -> Result<Example> {
        let fields = m.fields.as_ref();
        let cell = |name: &str| fields.and_then(|f| f.get(name)).and_then(Value::as_str);
        let label = cell(&self.label_column).ok_or_else(|| {
            let mut columns = vec![self.text_column.as_str()];
            columns.extend(
                fields
                    .into_iter()
                    .flat_map(|f| f.keys().map(String::as_str)),
            );
            Error::parse(format!(
                "no `{}` column (columns: {})",
                self.label_column,
                columns.join(", ")
            ))
        })?;
        let category_column = self.category_column.as_deref().unwrap_or("category");
        let source = match &self.source_column {
            Some(c) => cell(c).unwrap_or(""),
            None => cell("source").unwrap_or(stem),
        };
        let id = match &m.id {
            Value::String(s) if !s.is_empty() => s.clone(),
            _ if stem.is_empty() => format!("-:{}", m.origin.line.unwrap_or(0)),
            _ => format!("{stem}:{}", m.origin.line.unwrap_or(0)),
        };
        Example {
            id,
            source: source.to_string(),
            channel: cell("channel").unwrap_or("").to_string(),
            lang: cell("lang").unwrap_or("").to_string(),
            label: label.parse::<Label>()?,
            category: Category::parse_optional(cell(category_column).unwrap_or(""))?,
            text: m.text.clone(),
            reviewed: false,
        }
        .checked()
    }
}

/// CSV or TSV by extension; anything else is read as JSON Lines.
fn table_format(path: &Path) -> Option<InputFormat> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "csv" if path.is_file() => Some(InputFormat::Csv),
        "tsv" if path.is_file() => Some(InputFormat::Tsv),
        _ => None,
    }
}

fn location(origin: &crate::input::Origin) -> Location {
    let at = Location::path(&origin.path);
    match origin.line {
        Some(line) => at.with_line(line),
        None => at,
    }
}
