//! [`Indicators`]: the indicators of a stream of messages, added up.

use super::{Chain, Indicator, IndicatorKind};
use serde::Serialize;
use std::collections::HashMap;

/// The most campaign ids kept per indicator; the rest are counted.
const MAX_CAMPAIGNS: usize = 16;

/// The default cap on distinct indicators held (see [`Indicators::with_limit`]).
pub const DEFAULT_MAX_INDICATORS: usize = 1 << 20;

/// One indicator over a stream: how often, where and when it was seen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorRecord {
    /// What it is.
    pub kind: IndicatorKind,
    /// Its canonical, refanged value.
    pub value: String,
    /// A wallet's chain.
    pub chain: Option<Chain>,
    /// A handle's messenger, when its link named one.
    pub platform: Option<&'static str>,
    /// Messages it occurred in.
    pub count: u64,
    /// The campaigns of those messages (first seen first, at most 16).
    pub campaigns: Vec<String>,
    /// Campaigns past the 16 listed.
    pub more_campaigns: u64,
    /// The id of the first message it occurred in.
    pub first_message: String,
    /// The id of the last message it occurred in.
    pub last_message: String,
    /// The earliest time among its messages, when times were given.
    pub first_seen: Option<String>,
    /// The latest time among its messages, when times were given.
    pub last_seen: Option<String>,
    /// Input order of its first message (0-based), for sorting.
    #[serde(skip)]
    pub first_index: u64,
    /// Input order of its last message.
    #[serde(skip)]
    last_index: u64,
}

/// The indicators of many messages, with counts, campaigns and first and
/// last seen.
///
/// Memory is bounded: at most `limit` distinct indicators are held. When a
/// new one would pass the limit, the indicators seen in a single message
/// are forgotten first (all of them at once: one-off links and numbers are
/// most of a long stream), then, if that freed less than a tenth of the
/// table, the least recently seen half. [`Indicators::forgotten`] counts them.
///
/// ```
/// use scamscan::indicators::{Extractor, Indicators};
/// let x = Extractor::new();
/// let mut all = Indicators::new();
/// for (id, text, campaign) in [
///     ("m1", "Your parcel is held: pay at parcel-fee.top", "m1"),
///     ("m2", "Parcel held, pay the fee at parcel-fee.top today", "m1"),
///     ("m3", "hi mum, new number, text me on +44 7700 900123", "m3"),
/// ] {
///     all.add(id, &x.extract(text), Some(campaign), None);
/// }
/// let records = all.records();
/// assert_eq!((records[0].value.as_str(), records[0].count), ("parcel-fee.top", 2));
/// assert_eq!(records[0].campaigns, ["m1"]);
/// assert_eq!((records[0].first_message.as_str(), records[0].last_message.as_str()), ("m1", "m2"));
/// ```
#[derive(Debug, Clone)]
pub struct Indicators {
    table: HashMap<(IndicatorKind, String), IndicatorRecord>,
    messages: u64,
    limit: usize,
    forgotten: u64,
}

impl Default for Indicators {
    fn default() -> Self {
        Indicators::with_limit(DEFAULT_MAX_INDICATORS)
    }
}

impl Indicators {
    /// An empty table holding at most [`DEFAULT_MAX_INDICATORS`].
    pub fn new() -> Self {
        Indicators::default()
    }

    /// An empty table holding at most `limit` distinct indicators (at least 16).
    pub fn with_limit(limit: usize) -> Self {
        Indicators {
            table: HashMap::new(),
            messages: 0,
            limit: limit.max(16),
            forgotten: 0,
        }
    }

    /// Adds the indicators of one message, its campaign and its time
    /// (compared as numbers when both are numbers, else as text: ISO 8601
    /// times in one time zone sort as text).
    pub fn add(
        &mut self,
        message: &str,
        indicators: &[Indicator],
        campaign: Option<&str>,
        time: Option<&str>,
    ) {
        let index = self.messages;
        self.messages += 1;
        for ind in indicators {
            let key = (ind.kind, ind.value.clone());
            if !self.table.contains_key(&key) && self.table.len() >= self.limit {
                self.make_room();
            }
            let r = self.table.entry(key).or_insert_with(|| IndicatorRecord {
                kind: ind.kind,
                value: ind.value.clone(),
                chain: ind.chain,
                platform: ind.platform,
                count: 0,
                campaigns: Vec::new(),
                more_campaigns: 0,
                first_message: message.to_string(),
                last_message: String::new(),
                first_seen: None,
                last_seen: None,
                first_index: index,
                last_index: index,
            });
            if r.last_index == index && r.count > 0 {
                continue;
            }
            r.count += 1;
            r.last_index = index;
            r.last_message.clear();
            r.last_message.push_str(message);
            if r.platform.is_none() {
                r.platform = ind.platform;
            }
            if let Some(c) = campaign
                && !r.campaigns.iter().any(|k| k == c)
            {
                if r.campaigns.len() < MAX_CAMPAIGNS {
                    r.campaigns.push(c.to_string());
                } else {
                    r.more_campaigns += 1;
                }
            }
            if let Some(t) = time {
                if r.first_seen.as_deref().is_none_or(|f| earlier(t, f)) {
                    r.first_seen = Some(t.to_string());
                }
                if r.last_seen.as_deref().is_none_or(|l| earlier(l, t)) {
                    r.last_seen = Some(t.to_string());
                }
            }
        }
    }

    /// Forgets indicators to make room (see the type's docs).
    fn make_room(&mut self) {
        let before = self.table.len();
        self.table.retain(|_, r| r.count > 1);
        if self.table.len() > before - before / 10 {
            let mut last: Vec<u64> = self.table.values().map(|r| r.last_index).collect();
            let mid = last.len() / 2;
            let (_, cut, _) = last.select_nth_unstable(mid);
            let cut = *cut;
            self.table.retain(|_, r| r.last_index > cut);
        }
        self.forgotten += (before - self.table.len()) as u64;
    }

    /// Messages added so far.
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// Distinct indicators forgotten to keep within the limit.
    pub fn forgotten(&self) -> u64 {
        self.forgotten
    }

    /// Distinct indicators held.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True when no indicator is held.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Every indicator held: the most frequent first, then by kind, then in
    /// order of first appearance.
    pub fn records(&self) -> Vec<IndicatorRecord> {
        let mut v: Vec<IndicatorRecord> = self.table.values().cloned().collect();
        v.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(a.kind.cmp(&b.kind))
                .then(a.first_index.cmp(&b.first_index))
                .then(a.value.cmp(&b.value))
        });
        v
    }
}

/// True when time `a` is before time `b`: as numbers when both are
/// numbers (epoch seconds), else as text.
pub(crate) fn earlier(a: &str, b: &str) -> bool {
    match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(x), Ok(y)) => x < y,
        _ => a < b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::Extractor;

    #[test]
    fn counts_messages_not_mentions_and_orders_times() {
        let x = Extractor::new();
        let mut t = Indicators::new();
        t.add(
            "a",
            &x.extract("pay at fee.top, fee.top!"),
            Some("a"),
            Some("2024-05-02T10:00:00Z"),
        );
        t.add(
            "b",
            &x.extract("pay at fee.top"),
            Some("a"),
            Some("2024-05-01T09:00:00Z"),
        );
        let r = &t.records()[0];
        assert_eq!(r.count, 2);
        assert_eq!(r.first_seen.as_deref(), Some("2024-05-01T09:00:00Z"));
        assert_eq!(r.last_seen.as_deref(), Some("2024-05-02T10:00:00Z"));
        assert!(earlier("9", "10") && earlier("2024-01-01", "2024-02-01"));
    }

    #[test]
    fn memory_is_bounded_and_repeat_indicators_survive() {
        let x = Extractor::new();
        let mut t = Indicators::with_limit(16);
        let keep = x.extract("pay at keep-me.top");
        for i in 0..200 {
            t.add(&i.to_string(), &keep, None, None);
            t.add(
                &i.to_string(),
                &x.extract(&format!("see site{i}.top")),
                None,
                None,
            );
            assert!(t.len() <= 16);
        }
        assert!(t.forgotten() > 150);
        assert_eq!(t.records()[0].value, "keep-me.top");
        assert_eq!(t.records()[0].count, 200);
    }
}
