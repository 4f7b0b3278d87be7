//! Emission: hashing the feature occurrences of one message into buckets,
//! in a fixed order, and telling a [`Sink`] (no trace, a full trace, or the
//! compact [`Trace`](super::Trace)) about each.

use super::shape::{fold_digits, shape_word};
use super::{FeatureFamily, FeatureTrace, Featurizer, Workspace};
use crate::normalize::Normalized;
use crate::tokenize::{TokenKind, Tokens};
use xxhash_rust::xxh3::xxh3_64_with_seed;

const SEED_WORD: u64 = 0x5ca3_0001;
const SEED_BIGRAM: u64 = 0x5ca3_0002;
const SEED_ENTITY: u64 = 0x5ca3_0003;
const SEED_CHAR: u64 = 0x5ca3_0004;

/// Characters of a word beyond which no more character n-grams are taken.
const MAX_WORD_CHARS: usize = 40;

impl Featurizer {
    /// Hashes every feature occurrence of one message into `ws.words` and
    /// `ws.chars`, in a fixed order, telling `sink` about each.
    ///
    ///
    /// A word seen before in the message emits no character n-grams of its
    /// own: its first occurrence's are counted once more in `ws.char_mult`
    /// (one entry per character-block emission), and the trace points at
    /// them. A message's repeated words (`the`, `you`, `your`) are some 28%
    /// of its n-grams in the bench input, and every emission costs its hash,
    /// its place in the sort and its run. Not for a sink that wants the
    /// spans of every n-gram ([`Sink::SPANS`]): there every emission is its
    /// own, and its multiplicity 1.
    pub(super) fn emit<S: Sink>(
        &self,
        norm: &Normalized,
        tokens: &Tokens,
        ws: &mut Workspace,
        sink: &mut S,
    ) {
        let fold_repeats = !S::SPANS;
        // A replay tells the sink what an earlier emission emitted, without
        // hashing the character n-grams again or touching the buckets.
        let record = !S::REPLAY;
        let text = norm.text();
        let mask = (self.dim() - 1) as u64;
        let bucket = |h: u64| (h & mask) as u32;
        let (lo, hi) = (self.config.char_ngram_min, self.config.char_ngram_max);
        let Workspace {
            words,
            chars,
            shaped,
            prev,
            bigram,
            scratch,
            bounds,
            char_mult,
            repeats,
            ..
        } = ws;
        if record {
            words.clear();
            chars.clear();
            char_mult.clear();
        }
        if fold_repeats {
            repeats.reset(tokens.words.len());
        }
        // Character-block emissions so far (`chars.len()` when recording).
        let mut n_chars = 0usize;
        let mut prev_start: Option<usize> = None;
        for tok in &tokens.words {
            let piece = &text[tok.start..tok.end];
            // ASCII punctuation is a property of how a corpus was preprocessed
            // (some strip it, some keep it), and U+FFFD of how it was decoded,
            // not of scams: as features they teach the model to recognise the
            // source. Emoji and non-ASCII currency signs stay.
            if tok.kind == TokenKind::Symbol && (piece.is_ascii() || piece == "\u{FFFD}") {
                continue;
            }
            shaped.clear();
            if self.config.unmask && tok.kind == TokenKind::Symbol {
                // No emoji or pictographs at all: some corpora strip them and
                // some keep them, so as features they tell the model the
                // source (in the shared corpora an emoji meant "not SMS
                // spam"), and padding a scam with them moved its score.
                // Currency signs still count, inside money entities.
                continue;
            } else if self.config.unmask && tok.kind == TokenKind::Word {
                shape_word(piece, shaped);
            } else {
                fold_digits(piece, shaped);
            }
            let h = xxh3_64_with_seed(shaped.as_bytes(), SEED_WORD);
            if record {
                words.push(bucket(h));
            }
            sink.feature(
                FeatureFamily::Word,
                h,
                bucket(h),
                shaped,
                (tok.start, tok.end),
            );
            if tok.kind == TokenKind::Symbol {
                continue;
            }
            if self.config.word_bigrams {
                if let Some(pstart) = prev_start {
                    bigram.clear();
                    bigram.push_str(prev);
                    bigram.push(' ');
                    bigram.push_str(shaped);
                    let h = xxh3_64_with_seed(bigram.as_bytes(), SEED_BIGRAM);
                    if record {
                        words.push(bucket(h));
                    }
                    sink.feature(
                        FeatureFamily::Bigram,
                        h,
                        bucket(h),
                        bigram,
                        (pstart, tok.end),
                    );
                }
                prev.clear();
                prev.push_str(shaped);
                prev_start = Some(tok.start);
            }
            if tok.kind != TokenKind::Word {
                continue;
            }
            if fold_repeats {
                // `h` hashes `shaped`: the same word, the same hash.
                if let Some((from, to)) = repeats.find_or_insert(h, shaped, n_chars) {
                    if record {
                        for m in &mut char_mult[from..to] {
                            *m += 1;
                        }
                    }
                    sink.word_chars(from..to);
                    continue;
                }
            }
            // Character n-grams of the word padded with a space each side,
            // its first MAX_WORD_CHARS characters only.
            let first = n_chars;
            if !record {
                let nchars = shaped.chars().take(MAX_WORD_CHARS).count() + 2;
                n_chars += ngram_count(nchars, lo, hi);
            } else if shaped.is_ascii() {
                // One byte per character: the n-grams are byte windows.
                let w = &shaped.as_bytes()[..shaped.len().min(MAX_WORD_CHARS)];
                let mut buf = [b' '; MAX_WORD_CHARS + 2];
                buf[1..=w.len()].copy_from_slice(w);
                let padded = &buf[..w.len() + 2];
                for n in lo..=hi.min(padded.len()) {
                    let at = chars.len();
                    ascii_grams(padded, n, mask, chars);
                    if S::SPANS {
                        for (s, &b) in chars[at..].iter().enumerate() {
                            sink.char_gram(b, (tok.start, tok.end), (s, s + n));
                        }
                    }
                }
            } else {
                scratch.clear();
                scratch.push(b' ');
                let mut end = shaped.len();
                if let Some((i, _)) = shaped.char_indices().nth(MAX_WORD_CHARS) {
                    end = i;
                }
                scratch.extend_from_slice(&shaped.as_bytes()[..end]);
                scratch.push(b' ');
                let padded = std::str::from_utf8(scratch).expect("a space, a string, a space");
                // `bounds[i]`: where character i of the padded word starts.
                bounds.clear();
                bounds.extend(padded.char_indices().map(|(i, _)| i));
                bounds.push(padded.len());
                let nchars = bounds.len() - 1;
                for n in lo..=hi.min(nchars) {
                    for s in 0..=(nchars - n) {
                        let gram = &scratch[bounds[s]..bounds[s + n]];
                        let b = bucket(xxh3_64_with_seed(gram, SEED_CHAR));
                        chars.push(b);
                        if S::SPANS {
                            sink.char_gram(b, (tok.start, tok.end), (bounds[s], bounds[s + n]));
                        }
                    }
                }
            }
            if record {
                n_chars = chars.len();
                char_mult.resize(n_chars, 1);
            }
            if fold_repeats {
                repeats.end_last(n_chars);
            }
            sink.word_chars(first..n_chars);
        }
        for e in &tokens.entities {
            if e.kind == crate::tokenize::EntityKind::Cue && !self.config.cues {
                continue;
            }
            for f in &e.features {
                let h = xxh3_64_with_seed(f.as_bytes(), SEED_ENTITY);
                if record {
                    words.push(bucket(h));
                }
                sink.feature(FeatureFamily::Entity, h, bucket(h), f, (e.start, e.end));
            }
        }
    }
}

/// The number of character n-grams of lengths `lo..=hi` of a padded word
/// of `chars` characters: what the emission of its n-grams pushes.
fn ngram_count(chars: usize, lo: usize, hi: usize) -> usize {
    (lo..=hi.min(chars)).map(|n| chars - n + 1).sum()
}

/// The character n-grams of length `n` of an ASCII padded word, hashed.
///
/// Dispatched to a version per length so that the hash's branches on the
/// input length fold away.
fn ascii_grams(padded: &[u8], n: usize, mask: u64, out: &mut Vec<u32>) {
    fn grams<const N: usize>(padded: &[u8], mask: u64, out: &mut Vec<u32>) {
        out.extend(padded.windows(N).map(|g| {
            let g: &[u8; N] = g.try_into().expect("a window of N bytes");
            (xxh3_64_with_seed(g, SEED_CHAR) & mask) as u32
        }));
    }
    match n {
        1 => grams::<1>(padded, mask, out),
        2 => grams::<2>(padded, mask, out),
        3 => grams::<3>(padded, mask, out),
        4 => grams::<4>(padded, mask, out),
        5 => grams::<5>(padded, mask, out),
        6 => grams::<6>(padded, mask, out),
        7 => grams::<7>(padded, mask, out),
        _ => out.extend(
            padded
                .windows(n)
                .map(|g| (xxh3_64_with_seed(g, SEED_CHAR) & mask) as u32),
        ),
    }
}

/// The distinct words of one message with their character-block emissions,
/// to find a repeated word's n-grams.
///
/// Hand-written open addressing rather than a `HashMap<String, _>`: the key
/// is the word's feature hash, already computed, so a probe hashes nothing,
/// and the table is sized and cleared per message without allocating.
#[derive(Debug, Clone, Default)]
pub(super) struct Repeats {
    /// Index + 1 into `words`, or 0 for an empty slot.
    slots: Vec<u32>,
    /// The distinct words, in order of first occurrence.
    words: Vec<SeenWord>,
    names: String,
}

/// A word of [`Repeats`].
#[derive(Debug, Clone, Copy)]
struct SeenWord {
    hash: u64,
    /// Byte range in [`Repeats::names`].
    name: (u32, u32),
    /// Its character-block emissions.
    emissions: (u32, u32),
}

impl Repeats {
    /// Empties the table for a message of `tokens` word tokens.
    fn reset(&mut self, tokens: usize) {
        let size = (2 * tokens).next_power_of_two().max(16);
        self.slots.clear();
        self.slots.resize(size, 0);
        self.words.clear();
        self.names.clear();
    }

    /// The emissions of `word` (hashed `hash`) if it was seen, or else
    /// records it as starting at emission `at`, to be ended by
    /// [`Repeats::end_last`].
    fn find_or_insert(&mut self, hash: u64, word: &str, at: usize) -> Option<(usize, usize)> {
        let mask = self.slots.len() - 1;
        // The top bits: the low ones are the word's bucket, which many
        // words of a message may share.
        let mut s = (hash >> 40) as usize & mask;
        while let Some(i) = self.slots[s].checked_sub(1) {
            let w = self.words[i as usize];
            let (start, end) = (w.name.0 as usize, w.name.1 as usize);
            if w.hash == hash && &self.names.as_bytes()[start..end] == word.as_bytes() {
                return Some((w.emissions.0 as usize, w.emissions.1 as usize));
            }
            s = (s + 1) & mask;
        }
        let start = self.names.len() as u32;
        self.names.push_str(word);
        self.words.push(SeenWord {
            hash,
            name: (start, self.names.len() as u32),
            emissions: (at as u32, at as u32),
        });
        self.slots[s] = self.words.len() as u32;
        None
    }

    /// Ends the emissions of the word last inserted at `end`.
    fn end_last(&mut self, end: usize) {
        if let Some(w) = self.words.last_mut() {
            w.emissions.1 = end as u32;
        }
    }

    pub(super) fn capacity_bytes(&self) -> usize {
        4 * self.slots.capacity()
            + std::mem::size_of::<SeenWord>() * self.words.capacity()
            + self.names.capacity()
    }
}

/// What the featurizer tells about each occurrence it emits.
pub(super) trait Sink {
    /// Whether [`Sink::char_gram`] is wanted (it costs a call per n-gram).
    const SPANS: bool = false;
    /// Whether the emission is a replay of one already recorded in the
    /// workspace: the sink is told the same occurrences in the same order,
    /// but the character n-grams are counted rather than hashed, and the
    /// workspace's buckets are left as they are.
    const REPLAY: bool = false;
    /// A word-block feature (word, bigram or entity), in emission order,
    /// with its hash before the bucket was taken from it.
    fn feature(
        &mut self,
        _family: FeatureFamily,
        _hash: u64,
        _bucket: u32,
        _name: &str,
        _span: (usize, usize),
    ) {
    }
    /// One character n-gram of the token spanning `token`, covering bytes
    /// `padded` of the word padded with a space on each side.
    fn char_gram(&mut self, _bucket: u32, _token: (usize, usize), _padded: (usize, usize)) {}
    /// The range of character-block emissions of the word just emitted.
    fn word_chars(&mut self, _emissions: std::ops::Range<usize>) {}
}

/// Records nothing: training and scoring without reasons.
pub(super) struct NoTrace;
impl Sink for NoTrace {}

/// Records the compact [`Trace`](super::Trace) of an emission already made
/// (see [`Sink::REPLAY`]).
pub(super) struct Replay<'a>(pub(super) &'a mut super::Trace);

impl Sink for Replay<'_> {
    const REPLAY: bool = true;

    fn feature(
        &mut self,
        family: FeatureFamily,
        hash: u64,
        bucket: u32,
        name: &str,
        span: (usize, usize),
    ) {
        self.0.feature(family, hash, bucket, name, span);
    }

    fn word_chars(&mut self, emissions: std::ops::Range<usize>) {
        self.0.word_chars(emissions);
    }
}

/// Records a [`FeatureTrace`] per occurrence.
pub(super) struct FullTrace<'a>(pub(super) &'a mut Vec<FeatureTrace>);

impl Sink for FullTrace<'_> {
    const SPANS: bool = true;

    fn feature(
        &mut self,
        family: FeatureFamily,
        _: u64,
        bucket: u32,
        name: &str,
        span: (usize, usize),
    ) {
        self.0.push(FeatureTrace {
            bucket,
            family,
            name: name.to_string(),
            span,
        });
    }

    fn char_gram(&mut self, bucket: u32, (start, end): (usize, usize), (lo, hi): (usize, usize)) {
        // Map the n-gram back onto the token (padding spaces excluded).
        let len = end - start;
        let lo = start + lo.saturating_sub(1).min(len);
        let hi = start + hi.saturating_sub(1).min(len);
        // No name: explanations group n-grams by their word.
        self.0.push(FeatureTrace {
            bucket,
            family: FeatureFamily::Chars,
            name: String::new(),
            span: (lo, hi.max(lo)),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::featurize::tests::counts;

    #[test]
    fn digits_are_folded() {
        assert_eq!(
            counts("call 5550143", None).words,
            counts("call 9876543", None).words
        );
    }

    #[test]
    fn trace_names_and_spans() {
        let mut tr = Vec::new();
        let text = "Verify now";
        counts(text, Some(&mut tr));
        let w: Vec<_> = tr
            .iter()
            .filter(|t| t.family == FeatureFamily::Word)
            .collect();
        assert_eq!(w[0].name, "verify");
        assert_eq!(w[0].span, (0, 6));
        let bi = tr
            .iter()
            .find(|t| t.family == FeatureFamily::Bigram)
            .unwrap();
        assert_eq!(bi.name, "verify now");
        assert_eq!(bi.span, (0, 10));
        let spans: Vec<&str> = tr
            .iter()
            .filter(|t| t.family == FeatureFamily::Chars)
            .map(|t| &"verify now"[t.span.0..t.span.1])
            .collect();
        assert!(
            spans.contains(&"erif") && spans.contains(&"v") && spans.contains(&"now"),
            "{spans:?}"
        );
    }
}
