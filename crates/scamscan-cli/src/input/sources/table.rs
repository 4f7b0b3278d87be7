//! CSV and TSV with a header row, each row's memory bounded by the record
//! limit (the csv crate has no limit of its own).

use super::{Ctx, LossyCount, Reader, Source, decode};
use crate::input::{Event, InputError, Message, Origin};
use scamscan::error::io_message;
use serde_json::{Map, Value};
use std::fmt;
use std::io::{self, Read};

/// A reader that fails once one CSV record has taken more than `limit` bytes.
///
/// The csv crate grows a record's buffer without bound (a quote never
/// closed makes the rest of the file one field); it has no limit of its own.
pub(crate) struct RecordBudget {
    inner: Reader,
    /// Bytes handed to the csv reader so far, and where the current record
    /// starts, shared with [`Table`], which moves the mark at each record.
    state: std::rc::Rc<std::cell::Cell<(u64, u64)>>,
    limit: u64,
}

/// The error [`RecordBudget`] fails with.
#[derive(Debug)]
pub(crate) struct RecordTooLong(u64);

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
pub(crate) struct Table {
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
    pub(crate) fn new(
        ctx: Ctx,
        reader: Reader,
        tsv: bool,
        text_field: &str,
        id_field: &str,
    ) -> Self {
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
        if !self.started
            && let Some(ev) = self.start()
        {
            return Some(ev);
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

#[cfg(test)]
mod tests {
    use crate::input::test_support::small_limits;
    use crate::input::{Cut, Event, InputFormat, Inputs};
    use std::io::Cursor;

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
}
