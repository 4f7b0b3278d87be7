//! Campaigns: messages that are one script sent many times.
//!
//! Scam centres send the same script thousands of times with a new link,
//! number, name or amount, and disguises against filters. [`Campaigns`]
//! groups such messages as they stream past:
//!
//! 1. each message is normalized as the classifier normalizes it (look-alike
//!    letters, zero-width characters, spacing and defanging undone), and its
//!    words are read with the pipeline's tokenizer, with every entity masked
//!    (`<url>`, `<phone>`, `<money>`, `<email>`, `<wallet>`, `<handle>`,
//!    `<percent>`, `<code>`; a word with a digit in it is `<num>`), so that
//!    variants with another link, number or amount read the same ([`Sketch`]);
//! 2. the masked words are cut into overlapping shingles of
//!    [`CampaignConfig::shingle`] words, and a MinHash signature of them
//!    estimates the Jaccard similarity of two messages' shingle sets;
//! 3. LSH banding (the `gaoya` crate's index) finds, among the campaigns
//!    held, the messages whose signature agrees on a whole band with the new
//!    one; the new message joins the campaign of the most similar one whose
//!    estimated similarity reaches [`CampaignConfig::threshold`], or starts a
//!    campaign of its own.
//!
//! It is online and deterministic: messages are assigned in input order, a
//! message's campaign never changes once assigned, a campaign's id is the id
//! of its first message, and the same input gives the same campaigns. (Ties
//! go to the campaign that started first.)
//!
//! Memory is bounded: at most [`CampaignConfig::max_campaigns`] campaigns
//! are held open, each with at most [`CampaignConfig::representatives`]
//! signatures in the index. When a message would open one more, the campaign
//! **seen least recently** is closed and forgotten by the index: a later
//! message of its script starts a new campaign. A closed campaign of two or
//! more messages is kept as a summary until [`Campaigns::drain_closed`] takes
//! it; a closed single message is only counted.
//!
//! ```
//! use scamscan::campaigns::Campaigns;
//! let mut c = Campaigns::new()?;
//! let a = c.add_text("m1", "Your parcel is on hold. Pay the GBP 1.99 redelivery fee at parcel-fee.top today or it is returned");
//! let b = c.add_text("m2", "Your parcel is on hold. Pay the GBP 2.49 redelivery fee at evri-redeliver.top today or it is returned");
//! let d = c.add_text("m3", "Are we still on for dinner at 8? I booked the table");
//! assert_eq!((a.as_deref(), b.as_deref(), d.as_deref()), (Some("m1"), Some("m1"), Some("m3")));
//! assert_eq!(c.add_text("m4", "🙂 !!"), None); // no words: no campaign
//! let top = &c.summaries(2)[0];
//! assert_eq!((top.id.as_str(), top.size), ("m1", 2));
//! assert_eq!(top.template, "your parcel is on hold pay the <money> redelivery fee at <url> today or it is returned");
//! # Ok::<(), scamscan::Error>(())
//! ```

mod template;

use crate::classifier::Verdict;
use crate::error::Result;
use crate::indicators::{Chain, Extractor, Indicator, IndicatorKind};
use crate::label::{Category, Label};
use crate::normalize::{Normalized, Normalizer};
use crate::tokenize::{EntityKind, TokenKind, Tokenizer, Tokens};
use gaoya::minhash::{MinHashIndex, MinHasher, MinHasher32, SmallVecContainer};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use template::Template;

/// The parameters of campaign grouping.
///
/// The defaults were chosen by the sweep of `tests/campaigns.rs` (hand
/// written scripts in disguised variants among legitimate messages; the
/// figures are in `models/default/EVALUATION.md`): word bigrams with a low
/// threshold keep a script whose variants differ in a few words together,
/// where trigrams split it; unigrams gained no recall and lost precision
/// on short messages, which share single words by chance.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignConfig {
    /// Words per shingle.
    pub shingle: usize,
    /// LSH bands.
    pub bands: usize,
    /// MinHash values per band; the signature has `bands * rows` values.
    pub rows: usize,
    /// The least estimated Jaccard similarity of shingle sets for a message
    /// to join a campaign.
    pub threshold: f64,
    /// Signatures kept per campaign: a member less similar than
    /// [`CampaignConfig::novelty`] to every one already kept is added, so a
    /// script that drifts stays one campaign.
    pub representatives: usize,
    /// See [`CampaignConfig::representatives`].
    pub novelty: f64,
    /// Campaigns held open at most (see the module docs).
    pub max_campaigns: usize,
    /// Bytes of a message read; the rest does not count.
    pub max_bytes: usize,
}

impl Default for CampaignConfig {
    fn default() -> Self {
        CampaignConfig {
            shingle: 2,
            bands: 32,
            rows: 2,
            threshold: 0.3,
            representatives: 8,
            novelty: 0.8,
            max_campaigns: 100_000,
            max_bytes: 64 * 1024,
        }
    }
}

/// What grouping needs of one message: its MinHash signature, its masked
/// words (for the template) and its indicators. Computed by
/// [`Campaigns::sketch`], a pure function that may run on any thread, so
/// that only [`Campaigns::add`] is sequential.
#[derive(Debug, Clone, PartialEq)]
pub struct Sketch {
    signature: Vec<u32>,
    words: Vec<String>,
    /// The words as compared ([`fold_leet`]); shown words stay readable.
    keys: Vec<String>,
    indicators: Vec<Indicator>,
}

impl Sketch {
    /// The message's words with entities masked, as grouping sees them.
    ///
    /// ```
    /// let c = scamscan::campaigns::Campaigns::new()?;
    /// let s = c.sketch("Pay $5 at fee.top, code 4471");
    /// assert_eq!(s.words(), ["pay", "<money>", "at", "<url>", "code", "<code>"]);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// The indicators found in the message.
    pub fn indicators(&self) -> &[Indicator] {
        &self.indicators
    }

    /// True when the message has no words (only symbols, or nothing): it
    /// joins no campaign. A message that is only an entity (a bare link)
    /// has no words either.
    pub fn is_empty(&self) -> bool {
        !self.words.iter().any(|w| !w.starts_with('<'))
    }
}

/// One message to add: its id, text, sketch, and what else is known.
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    /// The message's id; a campaign started by it takes it as its id.
    pub id: &'a str,
    /// The message (a campaign keeps its first message as representative).
    pub text: &'a str,
    /// Its sketch ([`Campaigns::sketch`]).
    pub sketch: &'a Sketch,
    /// Its verdict, for the campaign's majority label and category.
    pub verdict: Option<&'a Verdict>,
    /// Its time, for first and last seen: compared as numbers when both are
    /// numbers, else as text (ISO 8601 in one time zone sorts as text).
    pub time: Option<&'a str>,
}

/// Counts of the labels of a campaign's messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LabelCounts {
    /// Legitimate.
    pub ham: u64,
    /// Spam.
    pub spam: u64,
    /// Scam.
    pub scam: u64,
    /// Unsure.
    pub unsure: u64,
}

impl LabelCounts {
    fn add(&mut self, l: Label) {
        match l {
            Label::Ham => self.ham += 1,
            Label::Spam => self.spam += 1,
            Label::Scam => self.scam += 1,
            Label::Unsure => self.unsure += 1,
        }
    }

    /// The most frequent label (ties: scam, spam, ham, unsure), or `None`
    /// when no verdict was given.
    pub fn majority(&self) -> Option<Label> {
        let all = [
            (self.scam, Label::Scam),
            (self.spam, Label::Spam),
            (self.ham, Label::Ham),
            (self.unsure, Label::Unsure),
        ];
        let best = all
            .iter()
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))?;
        (best.0 > 0).then_some(best.1)
    }
}

/// An indicator of a campaign, with the number of its messages it occurs in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignIndicator {
    /// What it is.
    pub kind: IndicatorKind,
    /// Its canonical value.
    pub value: String,
    /// A wallet's chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain: Option<Chain>,
    /// Messages of the campaign it occurs in.
    pub count: u64,
}

/// A campaign as summarized for output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Campaign {
    /// The id of its first message.
    pub id: String,
    /// Messages in it.
    pub size: u64,
    /// Input position (0-based) of its first message.
    pub first_index: u64,
    /// Input position of its last message.
    pub last_index: u64,
    /// The id of its last message.
    pub last_message: String,
    /// The earliest time of its messages, when times were given.
    pub first_seen: Option<String>,
    /// The latest time.
    pub last_seen: Option<String>,
    /// The labels of its messages, when verdicts were given.
    pub labels: LabelCounts,
    /// The majority label.
    pub label: Option<Label>,
    /// The most frequent category among its scam verdicts.
    pub category: Option<Category>,
    /// Its first message, cut to 300 bytes.
    pub representative: String,
    /// The script: the masked words most of its messages share, with `*`
    /// where they differ.
    pub template: String,
    /// Its indicators, the most frequent first (at most 32 kept).
    pub indicators: Vec<CampaignIndicator>,
    /// False once it was closed to bound memory (see the module docs).
    pub open: bool,
}

/// Indicators kept per campaign.
const MAX_CAMPAIGN_INDICATORS: usize = 32;
/// Bytes of the first message kept as representative.
const REPRESENTATIVE_BYTES: usize = 300;

/// A campaign while messages may still join it.
#[derive(Debug, Clone)]
struct Open {
    id: String,
    size: u64,
    first_index: u64,
    last_index: u64,
    last_message: String,
    first_seen: Option<String>,
    last_seen: Option<String>,
    labels: LabelCounts,
    categories: [u64; Category::ALL.len()],
    representative: String,
    template: Template,
    indicators: Vec<CampaignIndicator>,
    reps: Vec<u64>,
}

type Index = MinHashIndex<u32, u64, SmallVecContainer<u64, 2>>;

/// Groups a stream of messages into campaigns (see the module docs).
pub struct Campaigns {
    config: CampaignConfig,
    normalizer: Normalizer,
    tokenizer: Tokenizer,
    extractor: Extractor,
    hasher: MinHasher32<fnv::FnvBuildHasher>,
    index: Index,
    /// Open campaigns; `None` where one was closed (reused).
    slots: Vec<Option<Open>>,
    free: Vec<u32>,
    /// Representative signature id -> slot.
    rep_slot: HashMap<u64, u32>,
    next_rep: u64,
    /// (last index seen, slot) of every open campaign: the least recent first.
    recency: BTreeMap<(u64, u32), ()>,
    open: usize,
    messages: u64,
    closed: Vec<Campaign>,
    closed_singles: u64,
    wordless: u64,
}

impl std::fmt::Debug for Campaigns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Campaigns")
            .field("config", &self.config)
            .field("open", &self.open)
            .field("messages", &self.messages)
            .finish_non_exhaustive()
    }
}

impl Campaigns {
    /// Grouping with the default [`CampaignConfig`].
    pub fn new() -> Result<Self> {
        Campaigns::with_config(CampaignConfig::default())
    }

    /// Grouping with `config`; its numbers are clamped to sane ranges
    /// (at least one band, row, word per shingle and campaign).
    ///
    /// ```
    /// use scamscan::campaigns::{CampaignConfig, Campaigns};
    /// let c = Campaigns::with_config(CampaignConfig { max_campaigns: 1000, ..Default::default() })?;
    /// assert_eq!(c.config().max_campaigns, 1000);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn with_config(mut config: CampaignConfig) -> Result<Self> {
        config.shingle = config.shingle.clamp(1, 16);
        config.bands = config.bands.clamp(1, 256);
        config.rows = config.rows.clamp(1, 64);
        config.threshold = config.threshold.clamp(0.0, 1.0);
        config.novelty = config.novelty.clamp(0.0, 1.0);
        config.representatives = config.representatives.max(1);
        config.max_campaigns = config.max_campaigns.max(1);
        config.max_bytes = config.max_bytes.max(1);
        let index = Index::new_index(config.bands, config.rows, config.threshold);
        Ok(Campaigns {
            hasher: MinHasher32::new(config.bands * config.rows),
            normalizer: Normalizer::default(),
            tokenizer: Tokenizer::new()?,
            extractor: Extractor::new(),
            index,
            config,
            slots: Vec::new(),
            free: Vec::new(),
            rep_slot: HashMap::new(),
            next_rep: 0,
            recency: BTreeMap::new(),
            open: 0,
            messages: 0,
            closed: Vec::new(),
            closed_singles: 0,
            wordless: 0,
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &CampaignConfig {
        &self.config
    }

    /// Reads phone numbers without a country code in `region` (see
    /// [`Extractor::with_region`]).
    pub fn with_region(mut self, region: &str) -> Result<Self> {
        self.extractor = self.extractor.with_region(region)?;
        Ok(self)
    }

    /// The sketch of one message (see [`Sketch`]). Takes `&self` and no
    /// lock: call it from many threads, then [`Campaigns::add`] in order.
    pub fn sketch(&self, text: &str) -> Sketch {
        let (text, _) = crate::classifier::truncate(text, self.config.max_bytes);
        let norm = self.normalizer.normalize(text);
        let mut tokens = Tokens::default();
        if self
            .tokenizer
            .tokenize_into(norm.text(), &mut tokens)
            .is_err()
        {
            tokens.words.clear();
        }
        self.sketch_parts(text, &norm, &tokens)
    }

    /// The sketch of `text` from its normalized form and tokens.
    fn sketch_parts(&self, text: &str, norm: &Normalized, tokens: &Tokens) -> Sketch {
        let words = masked_words(norm.text(), tokens);
        let keys: Vec<String> = words
            .iter()
            .map(|w| {
                if w.starts_with('<') {
                    w.clone()
                } else {
                    fold_leet(w)
                }
            })
            .collect();
        let indicators = self
            .extractor
            .extract_normalized(text, norm, &tokens.entities);
        let k = self.config.shingle;
        let shingles = keys
            .windows(k.min(keys.len()).max(1))
            .map(|w| xxhash_rust::xxh3::xxh3_64(w.join("\u{1f}").as_bytes()));
        let signature = if words.is_empty() {
            Vec::new()
        } else {
            self.hasher.create_signature(shingles)
        };
        Sketch {
            signature,
            words,
            keys,
            indicators,
        }
    }

    /// Adds one message; returns the id of the campaign it joined or
    /// started, or `None` when it has no words.
    pub fn add(&mut self, m: Member<'_>) -> Option<String> {
        let index = self.messages;
        self.messages += 1;
        if m.sketch.is_empty() || m.sketch.signature.is_empty() {
            self.wordless += 1;
            return None;
        }
        let sig = &m.sketch.signature;
        let best = self
            .index
            .query_owned_return_similarity(sig)
            .into_iter()
            .filter_map(|(rep, sim)| {
                let slot = *self.rep_slot.get(&rep)?;
                let first = self.slots[slot as usize].as_ref()?.first_index;
                Some((sim, first, rep, slot))
            })
            // The most similar; among equals, the campaign that started first.
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)).then(b.2.cmp(&a.2)));
        let slot = match best {
            Some((sim, _, _, slot)) => {
                let add_rep = {
                    let c = self.slots[slot as usize].as_ref().expect("an open slot");
                    sim < self.config.novelty && c.reps.len() < self.config.representatives
                };
                if add_rep {
                    self.insert_rep(slot, sig.clone());
                }
                let c = self.slots[slot as usize].as_mut().expect("an open slot");
                self.recency.remove(&(c.last_index, slot));
                c.join(index, &m);
                slot
            }
            None => {
                if self.open >= self.config.max_campaigns {
                    self.close_least_recent();
                }
                let c = Open::start(index, &m);
                let slot = match self.free.pop() {
                    Some(s) => {
                        self.slots[s as usize] = Some(c);
                        s
                    }
                    None => {
                        self.slots.push(Some(c));
                        (self.slots.len() - 1) as u32
                    }
                };
                self.open += 1;
                self.insert_rep(slot, sig.clone());
                slot
            }
        };
        self.recency.insert((index, slot), ());
        Some(self.slots[slot as usize].as_ref().expect("open").id.clone())
    }

    /// Adds a message by its text alone (no verdict, no time).
    pub fn add_text(&mut self, id: &str, text: &str) -> Option<String> {
        let sketch = self.sketch(text);
        self.add(Member {
            id,
            text,
            sketch: &sketch,
            verdict: None,
            time: None,
        })
    }

    /// Adds a message with its verdict, so that the campaign knows its
    /// majority label and category.
    ///
    /// ```
    /// use scamscan::{campaigns::Campaigns, Classifier, Label};
    /// let (classifier, mut c) = (Classifier::default(), Campaigns::new()?);
    /// for (id, text) in [
    ///     ("a", "Hello dear, I am recruiter from Amazon. Part-time job, like videos and earn 300-800 USDT per day. Contact my WhatsApp wa.me/6281234567"),
    ///     ("b", "Hello dear, I am recruiter from Amazon. Part-time job, like videos and earn 200-500 USDT per day. Contact my WhatsApp wa.me/6289876543"),
    /// ] {
    ///     c.add_verdict(id, text, &classifier.classify(text));
    /// }
    /// let top = &c.summaries(2)[0];
    /// assert_eq!((top.size, top.label), (2, Some(Label::Scam)));
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn add_verdict(&mut self, id: &str, text: &str, verdict: &Verdict) -> Option<String> {
        let sketch = self.sketch(text);
        self.add(Member {
            id,
            text,
            sketch: &sketch,
            verdict: Some(verdict),
            time: None,
        })
    }

    fn insert_rep(&mut self, slot: u32, sig: Vec<u32>) {
        let rep = self.next_rep;
        self.next_rep += 1;
        self.index.insert(rep, sig);
        self.rep_slot.insert(rep, slot);
        self.slots[slot as usize]
            .as_mut()
            .expect("an open slot")
            .reps
            .push(rep);
    }

    fn close_least_recent(&mut self) {
        let Some((&(last, slot), _)) = self.recency.iter().next() else {
            return;
        };
        self.recency.remove(&(last, slot));
        let c = self.slots[slot as usize].take().expect("an open slot");
        for rep in &c.reps {
            self.index.remove(rep);
            self.rep_slot.remove(rep);
        }
        self.free.push(slot);
        self.open -= 1;
        if c.size >= 2 {
            self.closed.push(c.summary(false));
        } else {
            self.closed_singles += 1;
        }
    }

    /// Takes the campaigns of two or more messages closed so far to bound
    /// memory (see the module docs), oldest first.
    pub fn drain_closed(&mut self) -> Vec<Campaign> {
        std::mem::take(&mut self.closed)
    }

    /// Every campaign of at least `min_size` messages, open or closed and
    /// not yet drained: the largest first, then in order of first message.
    pub fn summaries(&self, min_size: u64) -> Vec<Campaign> {
        let mut v: Vec<Campaign> = self
            .slots
            .iter()
            .flatten()
            .filter(|c| c.size >= min_size)
            .map(|c| c.summary(true))
            .chain(self.closed.iter().filter(|c| c.size >= min_size).cloned())
            .collect();
        v.sort_by(|a, b| b.size.cmp(&a.size).then(a.first_index.cmp(&b.first_index)));
        v
    }

    /// Counts of what the stream held so far.
    pub fn stats(&self) -> Stats {
        Stats {
            messages: self.messages,
            wordless: self.wordless,
            open: self.open as u64,
            closed: self.closed.len() as u64,
            closed_singles: self.closed_singles,
            signatures: self.rep_slot.len() as u64,
        }
    }
}

/// Counts of a [`Campaigns`] stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Messages added.
    pub messages: u64,
    /// Messages without words, in no campaign.
    pub wordless: u64,
    /// Campaigns open (single messages included).
    pub open: u64,
    /// Campaigns of two or more closed and not yet drained.
    pub closed: u64,
    /// Single-message campaigns closed and forgotten.
    pub closed_singles: u64,
    /// Signatures in the index.
    pub signatures: u64,
}

impl Open {
    fn start(index: u64, m: &Member<'_>) -> Open {
        let cut = m
            .text
            .floor_char_boundary(REPRESENTATIVE_BYTES.min(m.text.len()));
        let mut c = Open {
            id: m.id.to_string(),
            size: 0,
            first_index: index,
            last_index: index,
            last_message: String::new(),
            first_seen: None,
            last_seen: None,
            labels: LabelCounts::default(),
            categories: [0; Category::ALL.len()],
            representative: m.text[..cut].to_string(),
            template: Template::new(&m.sketch.words, &m.sketch.keys),
            indicators: Vec::new(),
            reps: Vec::new(),
        };
        c.join(index, m);
        c
    }

    fn join(&mut self, index: u64, m: &Member<'_>) {
        if self.size > 0 {
            self.template.observe(&m.sketch.keys);
        }
        self.size += 1;
        self.last_index = index;
        self.last_message.clear();
        self.last_message.push_str(m.id);
        if let Some(v) = m.verdict {
            self.labels.add(v.label);
            if let Some(cat) = v.category
                && let Some(i) = Category::ALL.iter().position(|&c| c == cat)
            {
                self.categories[i] += 1;
            }
        }
        if let Some(t) = m.time {
            use crate::indicators::earlier;
            if self.first_seen.as_deref().is_none_or(|f| earlier(t, f)) {
                self.first_seen = Some(t.to_string());
            }
            if self.last_seen.as_deref().is_none_or(|l| earlier(l, t)) {
                self.last_seen = Some(t.to_string());
            }
        }
        for ind in &m.sketch.indicators {
            let known = self
                .indicators
                .iter()
                .position(|c| c.kind == ind.kind && c.value == ind.value);
            match known {
                Some(i) => self.indicators[i].count += 1,
                None if self.indicators.len() < MAX_CAMPAIGN_INDICATORS => {
                    self.indicators.push(CampaignIndicator {
                        kind: ind.kind,
                        value: ind.value.clone(),
                        chain: ind.chain,
                        count: 1,
                    })
                }
                None => {}
            }
        }
    }

    fn summary(&self, open: bool) -> Campaign {
        let mut indicators = self.indicators.clone();
        indicators.sort_by_key(|i| std::cmp::Reverse(i.count));
        let category = (0..self.categories.len())
            .filter(|&i| self.categories[i] > 0)
            .max_by(|&a, &b| self.categories[a].cmp(&self.categories[b]).then(b.cmp(&a)))
            .map(|i| Category::ALL[i]);
        Campaign {
            id: self.id.clone(),
            size: self.size,
            first_index: self.first_index,
            last_index: self.last_index,
            last_message: self.last_message.clone(),
            first_seen: self.first_seen.clone(),
            last_seen: self.last_seen.clone(),
            labels: self.labels,
            label: self.labels.majority(),
            category,
            representative: self.representative.clone(),
            template: self.template.render(),
            indicators,
            open,
        }
    }
}

/// The words of a normalized text as grouping reads them: entities
/// masked, one mask per entity; numbers `<num>`; punctuation and symbols
/// dropped. (Leetspeak is folded in the keys compared, [`fold_leet`].)
fn masked_words(text: &str, tokens: &Tokens) -> Vec<String> {
    let mut masks: Vec<(usize, usize, &'static str)> = tokens
        .entities
        .iter()
        .filter_map(|e| {
            let name = match e.kind {
                EntityKind::Url => "<url>",
                EntityKind::Email => "<email>",
                EntityKind::Phone => "<phone>",
                EntityKind::Money => "<money>",
                EntityKind::Wallet => "<wallet>",
                EntityKind::Handle => "<handle>",
                EntityKind::Percent => "<percent>",
                EntityKind::Code => "<code>",
                EntityKind::Messenger | EntityKind::Cue => return None,
            };
            Some((e.start, e.end, name))
        })
        .collect();
    masks.sort_by_key(|m| (m.0, std::cmp::Reverse(m.1)));
    let mut out = Vec::new();
    let mut m = 0;
    let mut covered_until = 0;
    for w in &tokens.words {
        while m < masks.len() && masks[m].1 <= w.start {
            m += 1;
        }
        if w.start < covered_until {
            continue;
        }
        if m < masks.len() && masks[m].0 <= w.start && w.start < masks[m].1 {
            out.push(masks[m].2.to_string());
            covered_until = masks[m].1;
            continue;
        }
        if w.kind == TokenKind::Symbol {
            continue;
        }
        let word = &text[w.start..w.end];
        if word.chars().all(char::is_numeric) {
            out.push("<num>".to_string());
        } else {
            out.push(word.to_string());
        }
    }
    out
}

/// A word as grouping compares it: in a word of letters and digits, the
/// digits read as the letters they stand for (`numb3r`, `w45`, `0f`); and
/// `l` read as `i` in every word, since `1`, `!` and `|` stand for either
/// (`c14!m`, `mo8i13`). Coarser than the featurizer's reading, which must
/// keep `3rd` and `10am` apart from words: here both sides of a comparison
/// are folded alike, and a campaign's variants are what must meet.
fn fold_leet(word: &str) -> String {
    let mixed = word.bytes().any(|b| b.is_ascii_digit()) && word.chars().any(char::is_alphabetic);
    word.chars()
        .map(|c| match c {
            '0' if mixed => 'o',
            '1' if mixed => 'i',
            '3' if mixed => 'e',
            '4' if mixed => 'a',
            '5' if mixed => 's',
            '7' if mixed => 't',
            '8' if mixed => 'b',
            '9' if mixed => 'g',
            'l' => 'i',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disguised_variants_join_and_ids_are_stable() {
        use crate::obfuscate::Perturbation;
        let base = "Congratulations! Your number was selected in the Global Mobile Draw. To claim your prize of USD 850,000 send your full name and address to claims@globaldraw.top within 48 hours";
        let mut c = Campaigns::new().unwrap();
        assert_eq!(c.add_text("first", base).as_deref(), Some("first"));
        for (i, p) in Perturbation::ALL.iter().enumerate() {
            let text = p.apply(base, i as u64);
            assert_eq!(
                c.add_text(&format!("v{i}"), &text).as_deref(),
                Some("first"),
                "{p:?}: {text}\n{:?}\n{:?}",
                c.sketch(&text).words(),
                c.sketch(base).words()
            );
        }
        assert_eq!(
            c.add_text(
                "other",
                "see you at the station at six, bring the cake please"
            )
            .as_deref(),
            Some("other")
        );
    }

    #[test]
    fn memory_is_bounded_by_closing_the_least_recent() {
        let mut c = Campaigns::with_config(CampaignConfig {
            max_campaigns: 4,
            ..CampaignConfig::default()
        })
        .unwrap();
        let script = "your account is locked, verify your identity at the secure portal now";
        c.add_text("s0", script);
        for i in 0..50 {
            c.add_text(
                &format!("u{i}"),
                &format!(
                    "unique message number {} about topic {}",
                    i * 7919,
                    ["apples", "boats", "clouds", "drums", "eels"][i % 5]
                ),
            );
            if i % 3 == 0 {
                // The script keeps coming back, so it stays recent.
                assert_eq!(
                    c.add_text(&format!("s{}", i + 1), script).as_deref(),
                    Some("s0")
                );
            }
            assert!(c.stats().open <= 4);
        }
        assert!(c.stats().signatures <= 4 * 8);
    }

    #[test]
    fn same_input_same_campaigns() {
        let texts: Vec<String> = (0..60)
            .map(|i| {
                format!(
                    "hello {} your parcel {} is waiting pay fee at site{}.top",
                    ["ann", "bob", "cy"][i % 3],
                    i,
                    i % 7
                )
            })
            .collect();
        let run = || {
            let mut c = Campaigns::new().unwrap();
            texts
                .iter()
                .enumerate()
                .map(|(i, t)| c.add_text(&i.to_string(), t))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }
}
