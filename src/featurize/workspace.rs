//! The workspace: the buffers one message is featurized in, reused from
//! message to message, and the vector and trace it leaves there.

use super::Trace;
use super::emit::{Emitted, Repeats};
use crate::sparse::SparseVector;

/// Reusable buffers of [`Featurizer::vectorize_into`]: the hot path of the
/// [`Classifier`](crate::Classifier) keeps one per thread, so that a
/// message costs no allocation once the buffers have grown to its size.
///
/// After [`Featurizer::vectorize_into`] it holds the message's vector and,
/// when asked, its [`Trace`].
///
/// [`Featurizer::vectorize_into`]: super::Featurizer::vectorize_into
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    /// Word-block buckets in the order they were emitted.
    pub(super) words: Vec<u32>,
    /// Character-block buckets in the order they were emitted.
    pub(super) chars: Vec<u32>,
    /// Sort keys, `bucket << 32 | emission index`, and the sort's second buffer.
    pub(super) keys: Vec<u64>,
    pub(super) spare: Vec<u64>,
    /// The buckets of the message, in order, with their counts and values.
    pub(super) runs: Vec<Run>,
    pub(super) vector: SparseVector,
    /// Per emission of each block (with a trace): its position in `vector`
    /// (longer than the emissions: only their prefix is this message's).
    pub(crate) word_pos: Vec<u32>,
    pub(crate) char_pos: Vec<u32>,
    /// Per position of `vector` (with a trace): the occurrences that fell into it.
    pub(crate) occurrences: Vec<u32>,
    pub(super) trace: Trace,
    pub(super) traced: bool,
    pub(super) shaped: String,
    pub(super) prev: String,
    pub(super) bigram: String,
    pub(super) scratch: Vec<u8>,
    pub(super) bounds: Vec<usize>,
    /// Byte ranges of a word's n-grams in its padded form, for a sink that
    /// wants their spans.
    pub(super) spans: Vec<(usize, usize)>,
    /// What each token emitted, for [`Featurizer::trace_into`].
    ///
    /// [`Featurizer::trace_into`]: super::Featurizer::trace_into
    pub(super) emitted: Vec<Emitted>,
    /// Per character-block emission: the occurrences of its word in the
    /// message (see [`Featurizer::emit`]).
    ///
    /// [`Featurizer::emit`]: super::Featurizer::emit
    pub(super) char_mult: Vec<u32>,
    pub(super) repeats: Repeats,
    /// The first of the word block's entity and cue emissions, which come
    /// after every word's and bigram's (see [`Featurizer::evidence_into`]).
    ///
    /// [`Featurizer::evidence_into`]: super::Featurizer::evidence_into
    pub(super) entities_from: usize,
}

impl Workspace {
    /// The vector of the last message.
    pub fn vector(&self) -> &SparseVector {
        &self.vector
    }

    /// The trace of the last message, if it was asked for.
    pub fn trace(&self) -> Option<&Trace> {
        self.traced.then_some(&self.trace)
    }

    /// Bytes held by the buffers, to drop a workspace a huge message grew.
    pub(crate) fn capacity_bytes(&self) -> usize {
        4 * (self.words.capacity() + self.chars.capacity())
            + 8 * (self.keys.capacity() + self.spare.capacity())
            + std::mem::size_of::<Run>() * self.runs.capacity()
            + 8 * self.vector.indices.capacity()
            + 4 * (self.word_pos.capacity() + self.char_pos.capacity())
            + 4 * self.occurrences.capacity()
            + 4 * self.char_mult.capacity()
            + 16 * self.spans.capacity()
            + std::mem::size_of::<Emitted>() * self.emitted.capacity()
            + self.repeats.capacity_bytes()
            + self.trace.capacity_bytes()
    }
}

/// One bucket of a message: its occurrences in each block and its weight
/// in each (before normalization).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Run {
    pub(super) bucket: u32,
    pub(super) idf: f32,
    pub(super) words: u32,
    pub(super) chars: u32,
    pub(super) word_value: f32,
    pub(super) char_value: f32,
}
