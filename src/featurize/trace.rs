//! The compact explanation trace: where the feature occurrences of one
//! message came from, recorded while they are emitted.

use super::FeatureFamily;

/// Where the feature occurrences of one message came from, compactly: what
/// explanations group into reasons.
///
/// One item per word, bigram and entity feature occurrence, and one per word
/// for all its character n-grams, in the order the featurizer emits them.
/// [`FeatureTrace`] is the same information one occurrence at a time.
///
/// [`FeatureTrace`]: super::FeatureTrace
#[derive(Debug, Clone, Default)]
pub struct Trace {
    pub(crate) items: Vec<TraceItem>,
    names: String,
    /// Word-block emissions so far.
    words: u32,
    /// The last item of family [`FeatureFamily::Word`].
    last_word: Option<usize>,
}

/// One item of a [`Trace`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TraceItem {
    pub(crate) family: FeatureFamily,
    /// A hash of the name (the same name, the same hash), so that grouping
    /// items by name need not hash the name again.
    pub(crate) hash: u64,
    /// Byte range of the name in [`Trace::names`].
    pub(crate) name: (u32, u32),
    /// Byte span in the normalized text.
    pub(crate) span: (usize, usize),
    /// The emissions it covers: one in the word block, or (for
    /// [`FeatureFamily::Chars`]) a range of the character block, which for
    /// a word repeated in the message is its first occurrence's range.
    pub(crate) emissions: (u32, u32),
}

impl Trace {
    /// Empties the trace, keeping its buffers.
    pub(crate) fn clear(&mut self) {
        self.items.clear();
        self.names.clear();
        self.words = 0;
        self.last_word = None;
    }

    /// The name of an item (the word, bigram or entity feature, or for
    /// character n-grams the word they were taken from), from its byte range.
    pub(crate) fn name_at(&self, (start, end): (u32, u32)) -> &str {
        &self.names[start as usize..end as usize]
    }

    /// [`Trace::name_at`] as bytes, to compare names without the checks of
    /// string slicing.
    pub(crate) fn name_bytes(&self, (start, end): (u32, u32)) -> &[u8] {
        &self.names.as_bytes()[start as usize..end as usize]
    }

    /// Adds an item covering `emissions`: one of the word block, or a range
    /// of the character block for [`FeatureFamily::Chars`]. `hash` must be
    /// the same for the same name within a trace.
    pub(crate) fn push(
        &mut self,
        family: FeatureFamily,
        hash: u64,
        name: &str,
        span: (usize, usize),
        emissions: (u32, u32),
    ) {
        let start = self.names.len() as u32;
        self.names.push_str(name);
        if family == FeatureFamily::Word {
            self.last_word = Some(self.items.len());
        }
        self.items.push(TraceItem {
            family,
            hash,
            name: (start, self.names.len() as u32),
            span,
            emissions,
        });
    }

    /// Adds the next word-block emission: an item of `family` (a bigram or
    /// an entity; [`Trace::push_word`] for words).
    pub(crate) fn push_word_block(
        &mut self,
        family: FeatureFamily,
        hash: u64,
        name: &str,
        span: (usize, usize),
    ) {
        let at = self.words;
        self.words += 1;
        self.push(family, hash, name, span, (at, at + 1));
    }

    /// Adds the next word-block emission, a word; returns its name's range
    /// (see [`Trace::name_at`]).
    pub(crate) fn push_word(&mut self, hash: u64, name: &str, span: (usize, usize)) -> (u32, u32) {
        self.push_word_block(FeatureFamily::Word, hash, name, span);
        self.items.last().expect("just pushed").name
    }

    /// The word-block emissions added by [`Trace::push_word`] and
    /// [`Trace::push_word_block`].
    pub(crate) fn word_emissions(&self) -> usize {
        self.words as usize
    }

    /// Adds an item for the character-block `emissions` of the last word
    /// item (nothing for an empty range or without a word item).
    pub(crate) fn push_chars(&mut self, emissions: std::ops::Range<usize>) {
        let Some(word) = self.last_word.map(|i| self.items[i]) else {
            return;
        };
        if emissions.is_empty() {
            return;
        }
        self.items.push(TraceItem {
            family: FeatureFamily::Chars,
            hash: word.hash,
            name: word.name,
            span: word.span,
            emissions: (emissions.start as u32, emissions.end as u32),
        });
    }

    /// Extends the last item, a character-block one, by one emission.
    pub(crate) fn extend_chars(&mut self) {
        if let Some(last) = self.items.last_mut() {
            debug_assert_eq!(last.family, FeatureFamily::Chars);
            last.emissions.1 += 1;
        }
    }

    /// The number of items.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::featurize::{Featurizer, FeaturizerConfig, Workspace};
    /// use scamscan::{normalize::Normalizer, tokenize::Tokenizer};
    /// let norm = Normalizer::default().normalize("verify now");
    /// let tokens = Tokenizer::new()?.tokenize(norm.text())?;
    /// let mut ws = Workspace::default();
    /// Featurizer::new(FeaturizerConfig::default(), None).unwrap().vectorize_into(&norm, &tokens, &mut ws, true);
    /// // Two words, their n-grams (one item each), one bigram.
    /// assert_eq!(ws.trace().unwrap().len(), 5);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when the trace has no item.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub(super) fn capacity_bytes(&self) -> usize {
        self.items.capacity() * std::mem::size_of::<TraceItem>() + self.names.capacity()
    }
}
