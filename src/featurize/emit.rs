//! Emission: hashing the feature occurrences of one message into buckets,
//! in a fixed order, and telling a [`Sink`] (no trace, or a full trace)
//! about each.

use super::hashing::{Grams, GramsOut, MultiplyAdd, Scheme, Xxh3};
use super::{FeatureFamily, FeatureTrace, Featurizer, Hashing, Workspace};
use crate::normalize::Normalized;
use crate::tokenize::{TokenKind, Tokens};

/// Characters of a word beyond which no more character n-grams are taken.
const MAX_WORD_CHARS: usize = 40;

/// What one token emitted, kept so that the explanation trace can be built
/// afterwards, for the messages that need one, without hashing again (see
/// [`Featurizer::trace_into`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct Emitted {
    /// The token's index in [`Tokens::words`].
    pub(super) token: u32,
    /// Whether the shaped word is the token's text as it stands (no digit
    /// was folded), so that its name needs no shaping again.
    pub(super) plain: bool,
    /// The word feature's hash.
    pub(super) hash: u64,
    /// Its character-block emissions (for a repeated word, its first
    /// occurrence's; empty for glyphs and symbols).
    pub(super) chars: (u32, u32),
}

impl Featurizer {
    /// Hashes every feature occurrence of one message into `ws.words` and
    /// `ws.chars`, in a fixed order, telling `sink` about each, and records
    /// what each token emitted in `ws.emitted`.
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
        match self.config.hashing {
            Hashing::Xxh3 => self.emit_with::<Xxh3, S>(norm, tokens, ws, sink),
            Hashing::MultiplyAdd => self.emit_with::<MultiplyAdd, S>(norm, tokens, ws, sink),
        }
    }

    fn emit_with<H: Scheme, S: Sink>(
        &self,
        norm: &Normalized,
        tokens: &Tokens,
        ws: &mut Workspace,
        sink: &mut S,
    ) {
        let fold_repeats = !S::SPANS;
        let text = norm.text();
        let bits = self.bucket_bits();
        let bucket = |h: u64| H::bucket(h, bits);
        let grams = Grams {
            with_spans: S::SPANS,
            lo: self.config.char_ngram_min,
            hi: self.config.char_ngram_max,
            bits,
        };
        let Workspace {
            words,
            chars,
            shaped,
            prev,
            bigram,
            scratch,
            bounds,
            spans,
            char_mult,
            repeats,
            emitted,
            entities_from,
            ..
        } = ws;
        words.clear();
        chars.clear();
        char_mult.clear();
        emitted.clear();
        if fold_repeats {
            repeats.reset(tokens.words.len());
        }
        // The previous word's hash and start, for its bigram with the next.
        let mut last: Option<(u64, usize)> = None;
        for (index, tok) in tokens.words.iter().enumerate() {
            let piece = &text[tok.start..tok.end];
            // ASCII punctuation is a property of how a corpus was preprocessed
            // (some strip it, some keep it), and U+FFFD of how it was decoded,
            // not of scams: as features they teach the model to recognise the
            // source. Emoji and non-ASCII currency signs stay.
            if tok.kind == TokenKind::Symbol && (piece.is_ascii() || piece == "\u{FFFD}") {
                continue;
            }
            if self.config.unmask && tok.kind == TokenKind::Symbol {
                // No emoji or pictographs at all: some corpora strip them and
                // some keep them, so as features they tell the model the
                // source (in the shared corpora an emoji meant "not SMS
                // spam"), and padding a scam with them moved its score.
                // Currency signs still count, inside money entities.
                continue;
            }
            // The word as the model sees it: shaping changes only words
            // with ASCII digits (folded, or read as leetspeak), so any
            // other is its own text, not copied.
            let plain = !piece.bytes().any(|b| b.is_ascii_digit());
            let name: &str = if plain {
                piece
            } else {
                self.shape_into(piece, tok.kind, shaped)
            };
            let h = H::word(name.as_bytes());
            words.push(bucket(h));
            sink.feature(
                FeatureFamily::Word,
                h,
                bucket(h),
                name,
                (tok.start, tok.end),
            );
            let mut record = Emitted {
                token: index as u32,
                plain,
                hash: h,
                chars: (0, 0),
            };
            if tok.kind == TokenKind::Symbol {
                emitted.push(record);
                continue;
            }
            if self.config.word_bigrams {
                if let Some((ph, pstart)) = last {
                    if H::BIGRAM_TEXT || S::NAMES {
                        bigram.clear();
                        bigram.push_str(prev);
                        bigram.push(' ');
                        bigram.push_str(name);
                    }
                    let b = H::bigram(ph, h, bigram);
                    words.push(bucket(b));
                    sink.feature(
                        FeatureFamily::Bigram,
                        b,
                        bucket(b),
                        bigram,
                        (pstart, tok.end),
                    );
                }
                if H::BIGRAM_TEXT || S::NAMES {
                    prev.clear();
                    prev.push_str(name);
                }
                last = Some((h, tok.start));
            }
            if tok.kind != TokenKind::Word {
                emitted.push(record);
                continue;
            }
            if fold_repeats {
                // `h` hashes `name`: the same word, the same hash.
                if let Some((from, to)) = repeats.find_or_insert(h, name, chars.len()) {
                    for m in &mut char_mult[from..to] {
                        *m += 1;
                    }
                    record.chars = (from as u32, to as u32);
                    emitted.push(record);
                    sink.word_chars(from..to);
                    continue;
                }
            }
            // Character n-grams of the word padded with a space each side,
            // its first MAX_WORD_CHARS characters only.
            let first = chars.len();
            spans.clear();
            if name.is_ascii() {
                // One byte per character.
                let w = &name.as_bytes()[..name.len().min(MAX_WORD_CHARS)];
                let mut buf = [b' '; MAX_WORD_CHARS + 2];
                buf[1..=w.len()].copy_from_slice(w);
                let out = GramsOut {
                    buckets: chars,
                    spans,
                };
                H::grams(grams, &buf[..w.len() + 2], None, out);
            } else {
                scratch.clear();
                scratch.push(b' ');
                let mut end = name.len();
                if let Some((i, _)) = name.char_indices().nth(MAX_WORD_CHARS) {
                    end = i;
                }
                scratch.extend_from_slice(&name.as_bytes()[..end]);
                scratch.push(b' ');
                let padded = std::str::from_utf8(scratch).expect("a space, a string, a space");
                // `bounds[i]`: where character i of the padded word starts.
                bounds.clear();
                bounds.extend(padded.char_indices().map(|(i, _)| i));
                bounds.push(padded.len());
                let out = GramsOut {
                    buckets: chars,
                    spans,
                };
                H::grams(grams, scratch, Some(bounds), out);
            }
            if S::SPANS {
                for (&b, &span) in chars[first..].iter().zip(spans.iter()) {
                    sink.char_gram(b, (tok.start, tok.end), span);
                }
            }
            char_mult.resize(chars.len(), 1);
            if fold_repeats {
                repeats.end_last(chars.len());
            }
            record.chars = (first as u32, chars.len() as u32);
            emitted.push(record);
            sink.word_chars(first..chars.len());
        }
        *entities_from = words.len();
        for e in &tokens.entities {
            if e.kind == crate::tokenize::EntityKind::Cue && !self.config.cues {
                continue;
            }
            for f in &e.features {
                let h = H::entity(f.as_bytes());
                words.push(bucket(h));
                sink.feature(FeatureFamily::Entity, h, bucket(h), f, (e.start, e.end));
            }
        }
    }
}

/// The number of character n-grams of lengths `lo..=hi` of a padded word
/// of `chars` characters.
pub(super) fn ngram_count(chars: usize, lo: usize, hi: usize) -> usize {
    (lo..=hi.min(chars)).map(|n| chars - n + 1).sum()
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
    /// Whether [`Sink::feature`] is told the names of bigrams (the scheme
    /// may hash them without building their text).
    const NAMES: bool = false;
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

/// Records nothing: training, and scoring (the trace, when a verdict needs
/// one, is built afterwards from [`Emitted`]).
pub(super) struct NoTrace;
impl Sink for NoTrace {}

/// Records a [`FeatureTrace`] per occurrence.
pub(super) struct FullTrace<'a>(pub(super) &'a mut Vec<FeatureTrace>);

impl Sink for FullTrace<'_> {
    const SPANS: bool = true;
    const NAMES: bool = true;

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
