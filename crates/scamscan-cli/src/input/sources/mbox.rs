//! An mbox mailbox: one message per mail, `>From ` quoting undone.

use super::{Ctx, Reader, Source};
use crate::input::{Cut, Event, InputError, Message, Origin, email};
use scamscan::files::LineReader;
use serde_json::Value;

/// An mbox mailbox: one message per mail.
pub(crate) struct Mbox {
    ctx: Ctx,
    lines: LineReader<Reader>,
    buf: Vec<u8>,
    /// The mail being gathered: its first line number, its bytes, whether it was cut.
    mail: Option<(u64, Vec<u8>, u64)>,
    n: u64,
    done: bool,
}

impl Mbox {
    pub(crate) fn new(ctx: Ctx, reader: Reader) -> Self {
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

#[cfg(test)]
mod tests {
    use crate::input::test_support::events;
    use crate::input::{Event, InputOptions, Message};
    use serde_json::Value;

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
}
