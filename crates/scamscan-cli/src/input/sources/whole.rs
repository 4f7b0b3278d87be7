//! A whole file as one message: plain text, or one e-mail decoded to its
//! subject and text.

use super::{Ctx, Reader, Source, decode, strip_bom};
use crate::input::{Cut, Event, Message, Origin, email};
use serde_json::Value;
use std::io::Read;

/// The whole file is one message (plain text or one e-mail).
pub(crate) struct WholeFile {
    ctx: Ctx,
    reader: Option<Reader>,
    email: bool,
}

impl WholeFile {
    /// Reads all of `reader` (at most the read limit) as one message; as an
    /// e-mail when `email`.
    pub(crate) fn new(ctx: Ctx, reader: Reader, email: bool) -> Self {
        WholeFile {
            ctx,
            reader: Some(reader),
            email,
        }
    }
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

#[cfg(test)]
mod tests {
    use crate::input::test_support::{events, small_limits};
    use crate::input::{Cut, Event, InputFormat, InputOptions, Inputs};
    use std::io::Cursor;

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
}
