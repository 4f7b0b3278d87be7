//! The readers of one input file, one per `InputFormat`, behind the
//! [`Source`] trait `Inputs` drives, and the state they share.

mod jsonl;
mod lines;
mod mbox;
mod table;
mod whole;

pub(crate) use jsonl::Jsonl;
pub(crate) use lines::Lines;
pub(crate) use mbox::Mbox;
pub(crate) use table::Table;
pub(crate) use whole::WholeFile;

use super::{Cut, Event, InputError, Origin};
use scamscan::error::io_message;
use scamscan::files::{LineInfo, LineReader};
use serde_json::Value;
use std::io::{self, BufReader, Cursor, Read};
use std::ops::ControlFlow;

/// Decodes bytes as UTF-8, lossily; the flag says whether anything was replaced.
pub(crate) fn decode(bytes: Vec<u8>) -> (String, bool) {
    match String::from_utf8(bytes) {
        Ok(s) => (s, false),
        Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), true),
    }
}

pub(crate) fn strip_bom(s: String) -> String {
    match s.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => s,
    }
}

/// Per-file reading context.
pub(crate) struct Ctx {
    pub(crate) path: String,
    /// The read limit of one message.
    pub(crate) limit: usize,
    /// The most bytes of one JSONL line or CSV row parsed.
    pub(crate) record_limit: usize,
    pub(crate) size: Option<u64>,
}

impl Ctx {
    /// Cuts the text of a parsed record to the read limit, as a long line
    /// or file is cut, so every message holds at most `limit` bytes.
    pub(crate) fn cut_text(&self, text: &mut String) -> Option<Cut> {
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
    pub(crate) fn error(&self, origin: Origin, e: &io::Error) -> Event {
        Event::Error(InputError {
            id: Value::Null,
            origin,
            message: format!("read error: {}", io_message(e)),
            record: false,
        })
    }
}

pub(crate) trait Source {
    fn next_event(&mut self) -> Option<Event>;
}

pub(crate) type Reader = BufReader<io::Chain<Cursor<Vec<u8>>, Box<dyn Read>>>;

/// Tracks invalid UTF-8 per file: the first lossy record is flagged on its
/// message, later ones are counted and summed up at the end of the file.
#[derive(Default)]
pub(crate) struct LossyCount {
    n: u64,
}

impl LossyCount {
    /// Returns whether this record should carry the `lossy` flag.
    pub(crate) fn see(&mut self, lossy: bool) -> bool {
        if lossy {
            self.n += 1;
        }
        lossy && self.n == 1
    }

    pub(crate) fn summary(&self, path: &str) -> Option<Event> {
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
pub(crate) struct LineSource {
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
    pub(crate) fn new(ctx: Ctx, reader: Reader, limit: usize) -> Self {
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
    pub(crate) fn next_line(&mut self) -> ControlFlow<Option<Event>, LineInfo> {
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
