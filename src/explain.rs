//! Stage 6 of the pipeline: **explain**.
//!
//! The model is linear, so the calibrated log-odds of scam against ham is
//! exactly a sum:
//!
//! ```text
//! log p(scam)/p(ham) = Σⱼ xⱼ · (W[j, scam] − W[j, ham]) / T  +  intercept term
//! ```
//!
//! Each bucket's term is split evenly over the occurrences that hashed into
//! it, and the occurrences are grouped into readable reasons: one per word,
//! bigram or entity feature, and one per word for its character n-grams. The
//! contributions of all reasons plus [`Explanation::intercept`] add up to the
//! log-odds, to rounding.

use crate::calibrate::Calibration;
use crate::featurize::{FeatureFamily, FeatureTrace, Trace, TraceItem, Workspace};
use crate::linear::SoftmaxRegression;
use crate::normalize::Normalized;
use crate::sparse::SparseVector;
use serde::Serialize;

/// One reason behind a score.
///
/// Spans and text refer to the original message, not the normalized one,
/// so that a user sees the very characters that were sent.
///
/// # Example
///
/// ```
/// use scamscan::Classifier;
/// let text = "Ｖｅｒｉｆｙ your account now";
/// let v = Classifier::default().explain(text);
/// let r = v.reasons.iter().find(|r| r.feature == "verify").unwrap();
/// assert_eq!(r.text, "Ｖｅｒｉｆｙ");
/// assert_eq!(&text[r.spans[0].0..r.spans[0].1], r.text);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// The feature: a word, a bigram, an entity type (`url:shortener`), or
    /// for character n-grams the word they were taken from.
    pub feature: String,
    /// Which block the feature belongs to.
    pub kind: FeatureFamily,
    /// Its exact additive contribution to the log-odds of scam vs ham
    /// (positive pushes towards scam).
    pub contribution: f32,
    /// Byte spans `[start, end)` of the original text where it occurs.
    pub spans: Vec<(usize, usize)>,
    /// The original text of the first span.
    pub text: String,
}

/// All reasons of one message, strongest first.
///
/// # Example
///
/// The contributions and the intercept add up to the calibrated log-odds of
/// scam against ham:
///
/// ```
/// use scamscan::{explain::explain, normalize::Normalizer};
/// let c = scamscan::Classifier::default();
/// let m = c.model();
/// let text = "Your parcel is held, pay the fee at royalmail-fee.top";
/// let norm = Normalizer::new(m.normalizer.clone()).normalize(text);
/// let mut trace = Vec::new();
/// let counts = m.featurizer.count(&norm, &m.tokenizer.tokenize(norm.text())?, Some(&mut trace));
/// let x = m.featurizer.vectorize(&counts);
/// let e = explain(text, &norm, &x, &trace, &m.head, &m.calibration, 0);
/// let mut z = [0.0; 3];
/// m.head.logits(&x, &mut z);
/// let p = m.calibration.probabilities(z);
/// let sum = e.intercept + e.reasons.iter().map(|r| r.contribution).sum::<f32>();
/// assert!((sum - (p[2] / p[0]).ln()).abs() < 1e-3);
/// # Ok::<(), scamscan::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Explanation {
    /// The reasons, by decreasing absolute contribution.
    pub reasons: Vec<Reason>,
    /// The part of the log-odds that does not depend on the text (intercepts and calibration offsets).
    pub intercept: f32,
}

type Span = (usize, usize);

/// A reason being accumulated: its identity (family and name; for character
/// n-grams, their word's name), its contribution so far and its spans in the
/// normalized text.
#[derive(Debug)]
struct Group {
    family: FeatureFamily,
    /// The name's byte range in the trace.
    name: (u32, u32),
    contribution: f32,
    /// The first span inline: most reasons occur once, and a vector per
    /// reason was an allocation per reason.
    first_span: Span,
    /// The group's other spans: the first in [`Scratch::spans`], each
    /// linking to the next ([`NONE`]: none).
    more_spans: u32,
    /// The last of them ([`NONE`]: none), where the next one is linked.
    last_span: u32,
    /// Whether the spans so far are in increasing order, as they are when
    /// added in text order: then a span after the last cannot be one of
    /// them, and adding it looks at nothing else.
    ascending: bool,
    /// For a word's group, the group of its character n-grams ([`NONE`]
    /// until it has one).
    chars: u32,
}

/// No group.
const NONE: u32 = u32::MAX;

/// Marks a bucket that is not in the vector (see [`Positions`]).
const ABSENT: u32 = u32::MAX;

/// Where each bucket of a sparse vector sits in it: an open-addressing table
/// indexed by the bucket's low bits.
///
/// Hand-written rather than a `HashMap` because buckets are already xxh3
/// hash values, uniformly spread, so they need no hashing of their own, and a
/// table of twice the vector's size stays in the L1 cache; this lookup runs
/// for every feature occurrence of every explained message.
struct Positions {
    /// `(bucket, position)`, or `(ABSENT, _)` for an empty slot.
    slots: Vec<(u32, u32)>,
    mask: usize,
}

impl Positions {
    fn new(indices: &[u32]) -> Self {
        let size = (indices.len() * 2).next_power_of_two().max(16);
        let mut slots = vec![(ABSENT, 0); size];
        let mask = size - 1;
        for (p, &b) in indices.iter().enumerate() {
            let mut s = b as usize & mask;
            while slots[s].0 != ABSENT {
                s = (s + 1) & mask;
            }
            slots[s] = (b, p as u32);
        }
        Positions { slots, mask }
    }

    /// The position of `bucket` in the vector, or [`ABSENT`].
    fn get(&self, bucket: u32) -> u32 {
        let mut s = bucket as usize & self.mask;
        loop {
            match self.slots[s] {
                (b, p) if b == bucket => return p,
                (ABSENT, _) => return ABSENT,
                _ => s = (s + 1) & self.mask,
            }
        }
    }
}

/// The groups of one explanation, by their key's hash: an open-addressing
/// table of `(hash, group)` indexed by the hash's low bits.
///
/// Hand-written, like [`Positions`], because the keys are already hashes
/// (the trace's xxh3 of each name) and most lookups are misses followed by
/// an insert (a message has nearly as many groups as trace items), which
/// here is one store into the slot the miss found. `hashbrown::HashTable`'s
/// separate find and insert cost more instructions per message
/// (benches/README.md, "Explain").
#[derive(Debug, Default)]
struct GroupIndex {
    /// `(hash, group)`, or `(_, NONE)` for an empty slot.
    slots: Vec<(u64, u32)>,
    mask: usize,
}

impl GroupIndex {
    /// Empties the table, sized for up to `n` groups at most half full.
    fn reset(&mut self, n: usize) {
        let size = (n * 2).next_power_of_two().max(16);
        self.slots.clear();
        self.slots.resize(size, (0, NONE));
        self.mask = size - 1;
    }

    /// The group with `hash` for which `same` holds, or `Err(slot)`: the
    /// empty slot where such a group goes. There must be an empty slot.
    fn find(&self, hash: u64, same: impl Fn(u32) -> bool) -> Result<u32, usize> {
        let mut s = hash as usize & self.mask;
        loop {
            match self.slots[s] {
                (_, NONE) => return Err(s),
                (h, g) if h == hash && same(g) => return Ok(g),
                _ => s = (s + 1) & self.mask,
            }
        }
    }
}

/// Computes reasons from a traced featurization.
///
/// `x` is the vector the model scored; `trace` the feature occurrences that
/// produced it; `calibration` supplies the temperature and offsets that turn
/// logits into calibrated log-odds. Keeps the `top` strongest reasons (all if
/// `top` is 0).
///
/// Contributions are taken on the calibrated log-odds rather than on raw
/// logits, so that they add up to the probabilities the user is shown.
/// [`Classifier::classify`](crate::Classifier::classify) calls this; call it
/// directly to explain with a head or a calibration of your own.
///
/// # Example
///
/// ```
/// use scamscan::{explain::explain, normalize::Normalizer};
/// let c = scamscan::Classifier::default();
/// let m = c.model();
/// let text = "URGENT: verify your bank account at secure-login.xyz";
/// let norm = Normalizer::new(m.normalizer.clone()).normalize(text);
/// let mut trace = Vec::new();
/// let counts = m.featurizer.count(&norm, &m.tokenizer.tokenize(norm.text())?, Some(&mut trace));
/// let x = m.featurizer.vectorize(&counts);
/// let e = explain(text, &norm, &x, &trace, &m.head, &m.calibration, 3);
/// assert_eq!(e.reasons.len(), 3);
/// assert!(e.reasons[0].contribution.abs() >= e.reasons[2].contribution.abs());
/// # Ok::<(), scamscan::Error>(())
/// ```
pub fn explain(
    original: &str,
    norm: &Normalized,
    x: &SparseVector,
    trace: &[FeatureTrace],
    head: &SoftmaxRegression,
    calibration: &Calibration,
    top: usize,
) -> Explanation {
    // The same record as the featurizer's compact trace: an item per word,
    // bigram and entity occurrence, one per run of a word's n-grams, and for
    // each occurrence its position in `x` (or ABSENT).
    let positions = Positions::new(&x.indices);
    let mut compact = Trace::default();
    let (mut word_pos, mut char_pos) = (Vec::new(), Vec::new());
    let mut occurrences = vec![0u32; x.indices.len()];
    let mut seen_word = false;
    let mut chars_open = false;
    for t in trace {
        let p = positions.get(t.bucket);
        if p != ABSENT {
            occurrences[p as usize] += 1;
        }
        if t.family != FeatureFamily::Chars {
            seen_word |= t.family == FeatureFamily::Word;
            chars_open = false;
            let at = word_pos.len() as u32;
            word_pos.push(p);
            let hash = xxhash_rust::xxh3::xxh3_64(t.name.as_bytes());
            compact.push(t.family, hash, &t.name, t.span, (at, at + 1));
            continue;
        }
        let at = char_pos.len();
        char_pos.push(p);
        if !seen_word {
            // N-grams before any word are reasons of their own.
            let hash = xxhash_rust::xxh3::xxh3_64(t.name.as_bytes());
            compact.push(t.family, hash, &t.name, t.span, (at as u32, at as u32 + 1));
        } else if chars_open {
            compact.extend_chars();
        } else {
            compact.push_chars(at..at + 1);
            chars_open = true;
        }
    }
    let mut share = Vec::new();
    shares(x, &occurrences, calibration, head_weights(head), &mut share);
    let mut scratch = Scratch::default();
    Explanation {
        reasons: reasons(
            original,
            norm,
            &compact,
            &share,
            &word_pos,
            &char_pos,
            top,
            &mut scratch,
        ),
        intercept: intercept(head, calibration),
    }
}

/// [`explain`] for a message featurized by
/// [`Featurizer::vectorize_into`](crate::featurize::Featurizer::vectorize_into)
/// with a trace: the classifier's fast path, the same reasons.
///
/// Without a trace in `ws` there are no reasons, only the intercept.
///
/// # Example
///
/// ```
/// use scamscan::{explain::{explain, explain_workspace}, featurize::Workspace, normalize::Normalizer};
/// let c = scamscan::Classifier::default();
/// let m = c.model();
/// let text = "URGENT: verify your bank account at secure-login.xyz";
/// let norm = Normalizer::new(m.normalizer.clone()).normalize(text);
/// let tokens = m.tokenizer.tokenize(norm.text())?;
/// let mut ws = Workspace::default();
/// m.featurizer.vectorize_into(&norm, &tokens, &mut ws, true);
/// let fast = explain_workspace(text, &norm, &ws, &m.head, &m.calibration, 3);
/// let mut trace = Vec::new();
/// let x = m.featurizer.vectorize(&m.featurizer.count(&norm, &tokens, Some(&mut trace)));
/// assert_eq!(fast, explain(text, &norm, &x, &trace, &m.head, &m.calibration, 3));
/// # Ok::<(), scamscan::Error>(())
/// ```
pub fn explain_workspace(
    original: &str,
    norm: &Normalized,
    ws: &Workspace,
    head: &SoftmaxRegression,
    calibration: &Calibration,
    top: usize,
) -> Explanation {
    let mut scratch = Scratch::default();
    Explanation {
        reasons: reasons_of_workspace(
            original,
            norm,
            ws,
            calibration,
            top,
            &mut scratch,
            head_weights(head),
        ),
        intercept: intercept(head, calibration),
    }
}

/// The head's `(ham, scam)` weights of a bucket, the pair explanations
/// weigh a feature by.
pub(crate) fn head_weights(head: &SoftmaxRegression) -> impl Fn(usize) -> (f32, f32) + '_ {
    let (ham, scam) = (crate::Label::Ham.index(), crate::Label::Scam.index());
    let k = head.n_classes();
    let w = head.weights.as_slice().expect("standard layout");
    move |j| (w[j * k + ham], w[j * k + scam])
}

/// Buffers of one explanation, reused from message to message by the
/// classifier so that explaining allocates only the reasons it returns.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    share: Vec<f32>,
    groups: Vec<Group>,
    /// Group numbers, by the hash of their key.
    index: GroupIndex,
    top: Vec<u32>,
    /// The groups' spans after their first: `(span, next)`, linked per
    /// group, one buffer for all (rather than a vector per group).
    spans: Vec<(Span, u32)>,
}

/// Adds `span` to group `g`'s spans unless it has it.
///
/// In constant time when the spans come in text order, which is how the
/// trace lists them: a word repeated through a 64 KiB message (one group,
/// thousands of spans) took a second to explain when every span was
/// compared with all the group's others.
fn add_span(groups: &mut [Group], spans: &mut Vec<(Span, u32)>, g: usize, span: Span) {
    let grp = &mut groups[g];
    let last = match grp.last_span {
        NONE => grp.first_span,
        l => spans[l as usize].0,
    };
    if span == last {
        return;
    }
    if !(grp.ascending && span > last) {
        // Out of order: the span may be any of the others.
        if grp.first_span == span {
            return;
        }
        let mut at = grp.more_spans;
        while at != NONE {
            if spans[at as usize].0 == span {
                return;
            }
            at = spans[at as usize].1;
        }
        grp.ascending = false;
    }
    spans.push((span, NONE));
    let new = (spans.len() - 1) as u32;
    match grp.last_span {
        NONE => grp.more_spans = new,
        l => spans[l as usize].1 = new,
    }
    grp.last_span = new;
}

/// The reasons of a traced workspace (none without a trace), the head's
/// `(ham, scam)` weights of a bucket read through `weights`.
// Never inlined, so that `scripts/profile.sh` can name it (see
// `Featurizer::vectorize_into_with`); one call per message.
#[inline(never)]
pub(crate) fn reasons_of_workspace(
    original: &str,
    norm: &Normalized,
    ws: &Workspace,
    calibration: &Calibration,
    top: usize,
    scratch: &mut Scratch,
    weights: impl Fn(usize) -> (f32, f32),
) -> Vec<Reason> {
    let Some(trace) = ws.trace() else {
        return Vec::new();
    };
    let mut share = std::mem::take(&mut scratch.share);
    shares(
        ws.vector(),
        &ws.occurrences,
        calibration,
        weights,
        &mut share,
    );
    let r = reasons(
        original,
        norm,
        trace,
        &share,
        &ws.word_pos,
        &ws.char_pos,
        top,
        scratch,
    );
    scratch.share = share;
    r
}

/// The part of the calibrated log-odds that does not depend on the text.
pub(crate) fn intercept(head: &SoftmaxRegression, calibration: &Calibration) -> f32 {
    let (ham, scam) = (crate::Label::Ham.index(), crate::Label::Scam.index());
    let bias_diff = calibration.bias[scam] - calibration.bias[ham];
    (head.intercept[scam] - head.intercept[ham]) / calibration.temperature + bias_diff
}

/// Each entry's term of the calibrated scam-vs-ham log-odds, split evenly
/// over the `occurrences` that fell into it, into `out`; `weights` gives a
/// bucket's `(ham, scam)` weights.
fn shares(
    x: &SparseVector,
    occurrences: &[u32],
    calibration: &Calibration,
    weights: impl Fn(usize) -> (f32, f32),
    out: &mut Vec<f32>,
) {
    let temperature = calibration.temperature;
    out.clear();
    out.extend(
        x.indices
            .iter()
            .zip(&x.values)
            .zip(occurrences)
            .map(|((&j, &v), &n)| {
                let (ham, scam) = weights(j as usize);
                let delta = (scam - ham) / temperature;
                v * delta / n as f32
            }),
    );
}

/// The hash a group is indexed by: its name's hash from the trace, told
/// apart by family.
fn key_hash(family: FeatureFamily, name_hash: u64) -> u64 {
    name_hash ^ (family as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Groups the trace's occurrences into reasons and keeps the `top` strongest.
///
/// Group key: (family, name); a word's character n-grams are grouped under
/// the word, so all occurrences of a word form one reason. Groups are
/// numbered in order of first contribution, and each sums its shares in
/// trace order, so ties and rounding are those of a plain pass over the
/// occurrences. This runs for every message classified with reasons (the
/// CLI default), so the per-occurrence work is array indexing, and finding
/// an item's group hashes nothing (the trace carries its name's hash);
/// strings are built only for the reasons kept.
#[allow(clippy::too_many_arguments)]
fn reasons(
    original: &str,
    norm: &Normalized,
    trace: &Trace,
    share: &[f32],
    word_pos: &[u32],
    char_pos: &[u32],
    top: usize,
    scratch: &mut Scratch,
) -> Vec<Reason> {
    let Scratch {
        groups,
        index,
        top: best,
        spans,
        ..
    } = scratch;
    groups.clear();
    spans.clear();
    // Each item makes at most one group. Sized per message: a table grown by
    // a long message would cost its size in clearing for every message after.
    index.reset(trace.items.len());
    // The group of `item`, created (in order of first contribution) if new.
    fn group_of(
        trace: &Trace,
        index: &mut GroupIndex,
        groups: &mut Vec<Group>,
        spans: &mut Vec<(Span, u32)>,
        item: &TraceItem,
    ) -> usize {
        let name = trace.name_bytes(item.name);
        let hash = key_hash(item.family, item.hash);
        let same = |g: u32| {
            let g = &groups[g as usize];
            g.family == item.family && trace.name_bytes(g.name) == name
        };
        let slot = match index.find(hash, same) {
            Ok(g) => {
                add_span(groups, spans, g as usize, item.span);
                return g as usize;
            }
            Err(slot) => slot,
        };
        groups.push(Group {
            family: item.family,
            name: item.name,
            contribution: 0.0,
            first_span: item.span,
            more_spans: NONE,
            last_span: NONE,
            ascending: true,
            chars: NONE,
        });
        let g = groups.len() - 1;
        index.slots[slot] = (hash, g as u32);
        g
    }
    let mut group = |groups: &mut Vec<Group>, spans: &mut Vec<(Span, u32)>, item: &TraceItem| {
        group_of(trace, index, groups, spans, item)
    };
    // The last word item's name and group: its n-grams come next, and their
    // group is found through the word's (one lookup per word, not two).
    let mut last_word: Option<((u32, u32), usize)> = None;
    for item in &trace.items {
        let (from, to) = (item.emissions.0 as usize, item.emissions.1 as usize);
        if item.family == FeatureFamily::Chars {
            let positions = &char_pos[from..to];
            // The group is found at the first n-gram in the vector (none
            // for an item with no n-gram there).
            let Some(first) = positions.iter().position(|&p| p != ABSENT) else {
                continue;
            };
            let g = match last_word {
                Some((name, w)) if name == item.name => match groups[w].chars {
                    NONE => {
                        let c = group(groups, spans, item);
                        groups[w].chars = c as u32;
                        c
                    }
                    c => {
                        add_span(groups, spans, c as usize, item.span);
                        c as usize
                    }
                },
                _ => group(groups, spans, item),
            };
            // Summed in a local, in the same order, so that each addition
            // waits on a register rather than on the store of the last one.
            let mut sum = groups[g].contribution;
            for &p in &positions[first..] {
                if p != ABSENT {
                    sum += share[p as usize];
                }
            }
            groups[g].contribution = sum;
        } else {
            let p = word_pos[from];
            if p == ABSENT {
                last_word = None;
                continue;
            }
            let g = group(groups, spans, item);
            if item.family == FeatureFamily::Word {
                last_word = Some((item.name, g));
            }
            groups[g].contribution += share[p as usize];
        }
    }
    // Strongest first; ties in order of first appearance, as the reasons
    // were always ordered (a stable sort). Only the kept ones get strings.
    let stronger = |a: u32, b: u32| {
        let (a, b) = (&groups[a as usize], &groups[b as usize]);
        b.contribution.abs().total_cmp(&a.contribution.abs()) == std::cmp::Ordering::Less
    };
    best.clear();
    if top == 0 {
        best.extend(0..groups.len() as u32);
        best.sort_by(|&a, &b| {
            groups[b as usize]
                .contribution
                .abs()
                .total_cmp(&groups[a as usize].contribution.abs())
        });
    } else {
        // The first `top` of that order, without sorting all the groups:
        // each group goes before the first kept one it is stronger than.
        for g in 0..groups.len() as u32 {
            let at = best
                .iter()
                .position(|&b| stronger(g, b))
                .unwrap_or(best.len());
            if at < top {
                best.insert(at, g);
                best.truncate(top);
            }
        }
    }
    best.iter()
        .map(|&g| {
            let g = &groups[g as usize];
            let mut more = Vec::new();
            let mut at = g.more_spans;
            while at != NONE {
                more.push(spans[at as usize].0);
                at = spans[at as usize].1;
            }
            let spans: Vec<Span> = std::iter::once(&g.first_span)
                .chain(&more)
                .map(|&(s, e)| norm.original_span(s, e))
                .collect();
            let text = spans
                .first()
                .and_then(|&(s, e)| original.get(s..e))
                .unwrap_or("")
                .to_string();
            Reason {
                feature: trace.name_at(g.name).to_string(),
                kind: g.family,
                contribution: g.contribution,
                spans,
                text,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Classifier;
    use std::collections::HashMap;

    /// The straightforward form of [`explain`] (one hash-map pass over the
    /// trace, a string per occurrence), kept as the reference the fast one
    /// must match bit for bit.
    fn reference(
        original: &str,
        norm: &Normalized,
        x: &SparseVector,
        trace: &[FeatureTrace],
        head: &SoftmaxRegression,
        calibration: &Calibration,
        top: usize,
    ) -> Vec<Reason> {
        let temperature = calibration.temperature;
        let (ham, scam) = (crate::Label::Ham.index(), crate::Label::Scam.index());
        let k = head.n_classes();
        let w = head.weights.as_slice().unwrap();
        let value: HashMap<u32, f32> = x.iter().map(|(i, v)| (i as u32, v)).collect();
        let mut occurrences: HashMap<u32, u32> = HashMap::new();
        for t in trace {
            *occurrences.entry(t.bucket).or_default() += 1;
        }
        type Key = (FeatureFamily, String);
        let mut groups: HashMap<Key, (f32, Vec<Span>)> = HashMap::new();
        let mut order: Vec<Key> = Vec::new();
        let mut last_word: Option<&FeatureTrace> = None;
        for t in trace {
            if t.family == FeatureFamily::Word {
                last_word = Some(t);
            }
            let Some(&v) = value.get(&t.bucket) else {
                continue;
            };
            let j = t.bucket as usize;
            let delta = (w[j * k + scam] - w[j * k + ham]) / temperature;
            let share = v * delta / occurrences[&t.bucket] as f32;
            let (key, span) = match (t.family, last_word) {
                (FeatureFamily::Chars, Some(word)) => {
                    ((FeatureFamily::Chars, word.name.clone()), word.span)
                }
                (f, _) => ((f, t.name.clone()), t.span),
            };
            let g = groups.entry(key.clone()).or_insert_with(|| {
                order.push(key.clone());
                (0.0, Vec::new())
            });
            g.0 += share;
            if !g.1.contains(&span) {
                g.1.push(span);
            }
        }
        let mut reasons: Vec<Reason> = order
            .into_iter()
            .map(|key| {
                let (contribution, spans) = groups.remove(&key).unwrap();
                let spans: Vec<Span> = spans
                    .into_iter()
                    .map(|(s, e)| norm.original_span(s, e))
                    .collect();
                let text = spans
                    .first()
                    .and_then(|&(s, e)| original.get(s..e))
                    .unwrap_or("")
                    .to_string();
                Reason {
                    feature: key.1,
                    kind: key.0,
                    contribution,
                    spans,
                    text,
                }
            })
            .collect();
        reasons.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
        if top > 0 {
            reasons.truncate(top);
        }
        reasons
    }

    #[test]
    fn group_index_tells_apart_keys_with_one_hash_and_probes_past_full_slots() {
        let mut index = GroupIndex::default();
        index.reset(4);
        let names = ["a", "b", "c", "d"];
        // Keys 0 and 1 share a whole hash, 2 shares 0's slot, 3 is elsewhere.
        let hashes = [7u64, 7, 7 + 16 * 3, 8];
        for (g, (&name, &hash)) in names.iter().zip(&hashes).enumerate() {
            let slot = index
                .find(hash, |other| names[other as usize] == name)
                .expect_err("not there yet");
            index.slots[slot] = (hash, g as u32);
        }
        for (g, (&name, &hash)) in names.iter().zip(&hashes).enumerate() {
            assert_eq!(
                index.find(hash, |o| names[o as usize] == name),
                Ok(g as u32)
            );
        }
        assert!(index.find(7, |_| false).is_err());
        index.reset(4);
        assert!(index.find(7, |_| true).is_err(), "reset empties the table");
    }

    #[test]
    fn add_span_keeps_each_span_once_in_order_whatever_the_order() {
        // Runs in text order (the fast path), spans out of order, repeats
        // of the last span and of older ones, over a few groups.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n) as usize
        };
        for round in 0..200 {
            let mut groups: Vec<Group> = (0..3)
                .map(|_| Group {
                    family: FeatureFamily::Word,
                    name: (0, 0),
                    contribution: 0.0,
                    first_span: (next(40), 0),
                    more_spans: NONE,
                    last_span: NONE,
                    ascending: true,
                    chars: NONE,
                })
                .collect();
            let mut expected: Vec<Vec<Span>> = groups.iter().map(|g| vec![g.first_span]).collect();
            let mut spans = Vec::new();
            let mut at: Vec<usize> = groups.iter().map(|g| g.first_span.0).collect();
            for _ in 0..60 {
                let g = next(3);
                let span = match (round % 3, next(4)) {
                    (0, _) | (_, 0) => {
                        at[g] += next(3);
                        (at[g], at[g] + 1)
                    }
                    (_, 1) => *expected[g].last().unwrap(),
                    _ => (next(40), next(2)),
                };
                add_span(&mut groups, &mut spans, g, span);
                if !expected[g].contains(&span) {
                    expected[g].push(span);
                }
            }
            for (g, want) in groups.iter().zip(&expected) {
                let mut got = vec![g.first_span];
                let mut i = g.more_spans;
                while i != NONE {
                    got.push(spans[i as usize].0);
                    i = spans[i as usize].1;
                }
                assert_eq!(&got, want, "round {round}");
                if round % 3 == 0 {
                    // Text order throughout: every span took the short path.
                    assert!(g.ascending, "round {round}");
                }
            }
        }
    }

    #[test]
    fn matches_the_reference_on_every_dataset_message() {
        let c = Classifier::default();
        let mut texts: Vec<String> = Vec::new();
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets");
        for dir in ["legit", "scam"] {
            let mut files: Vec<_> = std::fs::read_dir(format!("{root}/{dir}"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            for f in files {
                for line in std::fs::read_to_string(f).unwrap().lines() {
                    let v: serde_json::Value = serde_json::from_str(line).unwrap();
                    texts.push(v["text"].as_str().unwrap().to_string());
                }
            }
        }
        // Repeated words and n-grams (shared buckets), digits, look-alikes, empty text.
        texts.extend(
            [
                "",
                "win win win WIN wín 𝐰𝐢𝐧",
                "call 555 0100 or 555 0199 now now",
                "a",
                "!!! ??? 💰💰💰 恭喜恭喜",
            ]
            .map(String::from),
        );
        assert!(texts.len() > 500);
        for c in [&c, multiply_add()] {
            // One workspace throughout, as a classifier's thread keeps one.
            let mut ws = crate::featurize::Workspace::default();
            for text in &texts {
                check_hot_path(c, text, &mut ws);
            }
        }
    }

    /// The built-in model's weights read through the other hashing scheme:
    /// meaningless scores, but every path of the featurizer and the trace.
    fn multiply_add() -> &'static Classifier {
        static C: std::sync::OnceLock<Classifier> = std::sync::OnceLock::new();
        C.get_or_init(|| {
            let mut m = Classifier::default().model().clone();
            let config = crate::featurize::FeaturizerConfig {
                hashing: crate::featurize::Hashing::MultiplyAdd,
                ..m.featurizer.config().clone()
            };
            m.featurizer =
                crate::featurize::Featurizer::new(config, Some(m.featurizer.idf().to_vec()))
                    .expect("the same shape");
            Classifier::new(m)
        })
    }

    /// Checks the classifier's hot path on `text` against the two-step form
    /// and the reference: the same counts with and without a trace, the
    /// same vector with and without one, and the same reasons. `ws` may hold
    /// an earlier message.
    fn check_hot_path(c: &Classifier, text: &str, ws: &mut crate::featurize::Workspace) {
        let m = c.model();
        let normalizer = crate::normalize::Normalizer::new(m.normalizer.clone());
        let norm = normalizer.normalize(text);
        let tokens = m.tokenizer.tokenize(norm.text()).unwrap();
        let mut trace = Vec::new();
        let counts = m.featurizer.count(&norm, &tokens, Some(&mut trace));
        // Without a trace the counts come through the repeated words' folding.
        let folded = m.featurizer.count(&norm, &tokens, None);
        assert_eq!(folded.words, counts.words, "{text:?}");
        assert_eq!(folded.chars, counts.chars, "{text:?}");
        let x = m.featurizer.vectorize(&counts);
        m.featurizer.vectorize_into(&norm, &tokens, ws, false);
        assert_eq!(ws.vector(), &x, "{text:?}");
        m.featurizer.vectorize_into(&norm, &tokens, ws, true);
        assert_eq!(ws.vector(), &x, "{text:?}");
        for top in [0, 3] {
            let fast = explain(text, &norm, &x, &trace, &m.head, &m.calibration, top);
            let slow = reference(text, &norm, &x, &trace, &m.head, &m.calibration, top);
            assert_eq!(fast.reasons, slow, "{text:?}");
            let hot = explain_workspace(text, &norm, ws, &m.head, &m.calibration, top);
            assert_eq!(hot, fast, "{text:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, failure_persistence: None, ..Default::default() })]

        /// Words drawn from a few, so that most repeat: the hot path counts a
        /// repeated word's n-grams through its first occurrence's.
        #[test]
        fn repeated_words_match_the_reference(words in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::strategy::Just("the".to_string()),
                proptest::strategy::Just("Verify".to_string()),
                proptest::strategy::Just("verify".to_string()),
                proptest::strategy::Just("fr33".to_string()),
                proptest::strategy::Just("wín".to_string()),
                proptest::strategy::Just("恭喜".to_string()),
                proptest::strategy::Just("a".repeat(45)),
                proptest::strategy::Just("ü".repeat(45)),
                "[a-c0-9]{1,3}",
                "[ .,!\n]{1,2}",
            ],
            0..60,
        )) {
            // The same words backwards next, in the same workspace.
            for c in [classifier(), multiply_add()] {
                let mut ws = crate::featurize::Workspace::default();
                check_hot_path(c, &words.join(" "), &mut ws);
                let backwards: Vec<&str> = words.iter().rev().map(String::as_str).collect();
                check_hot_path(c, &backwards.join(" "), &mut ws);
            }
        }
    }

    fn classifier() -> &'static Classifier {
        static C: std::sync::OnceLock<Classifier> = std::sync::OnceLock::new();
        C.get_or_init(Classifier::default)
    }
}
