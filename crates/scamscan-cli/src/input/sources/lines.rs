//! One message per non-blank line (`--lines`).

use super::{Ctx, LineSource, Reader, Source, decode, strip_bom};
use crate::input::{Cut, Event, Message, Origin};
use serde_json::Value;
use std::ops::ControlFlow;

/// One message per non-blank line.
pub(crate) struct Lines {
    src: LineSource,
}

impl Lines {
    pub(crate) fn new(ctx: Ctx, reader: Reader) -> Self {
        let limit = ctx.limit;
        Lines {
            src: LineSource::new(ctx, reader, limit),
        }
    }
}

impl Source for Lines {
    fn next_event(&mut self) -> Option<Event> {
        if self.src.done {
            return None;
        }
        loop {
            let info = match self.src.next_line() {
                ControlFlow::Continue(info) => info,
                ControlFlow::Break(end) => return end,
            };
            let (mut text, lossy) = decode(std::mem::take(&mut self.src.buf));
            if info.number == 1 {
                text = strip_bom(text);
            }
            if text.trim().is_empty() {
                continue;
            }
            self.src.any = true;
            let origin = Origin::at(&self.src.ctx.path, info.number);
            return Some(Event::Message(Message {
                id: Value::String(origin.to_string()),
                origin,
                text,
                fields: None,
                lossy: self.src.lossy.see(lossy),
                cut: info.overflow.then_some(Cut {
                    read: self.src.ctx.limit as u64,
                    total: Some(info.len),
                }),
            }));
        }
    }
}
