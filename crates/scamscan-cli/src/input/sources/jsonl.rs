//! One JSON object per line: the text and id from named fields, every
//! other field passed through to the output.

use super::{Ctx, LineSource, Reader, Source, decode, strip_bom};
use crate::input::{Event, InputError, Message, Origin};
use serde_json::{Map, Value};
use std::ops::ControlFlow;

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
pub(crate) struct Jsonl {
    src: LineSource,
    text_field: String,
    id_field: String,
}

impl Jsonl {
    pub(crate) fn new(ctx: Ctx, reader: Reader, text_field: &str, id_field: &str) -> Self {
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
                    ));
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

#[cfg(test)]
mod tests {
    use crate::input::test_support::{events, small_limits};
    use crate::input::{Cut, Event, InputFormat, InputOptions, Inputs};
    use std::io::Cursor;

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
}
