//! The hot-path layout of a trained model: the IDF weight of each bucket and
//! the ham/spam/scam head's weights side by side.
//!
//! Scoring a message reads the IDF weight and the three class weights of
//! each of its several hundred buckets, spread at random over tables of
//! megabytes. Kept apart (the featurizer's IDF table, the head's weight
//! matrix), that is two cache misses per bucket; interleaved, the second
//! read finds its cache line already loaded. The values are the model's own,
//! and scores are computed with the same operations in the same order, so
//! they are bit for bit those of [`SoftmaxRegression::logits`].

use crate::featurize::Featurizer;
use crate::linear::SoftmaxRegression;
use crate::sparse::SparseVector;

/// `[idf, w_ham, w_spam, w_scam]` per bucket, with the intercepts.
#[derive(Debug, Clone)]
pub(crate) struct ScoreTable {
    rows: Vec<[f32; 4]>,
    intercept: [f32; 3],
}

impl ScoreTable {
    /// The table of a featurizer and a three-class head over the same
    /// buckets; `None` for other shapes (they score the general way).
    pub(crate) fn new(featurizer: &Featurizer, head: &SoftmaxRegression) -> Option<Self> {
        if head.n_classes() != 3 || head.dim() != featurizer.dim() {
            return None;
        }
        let w = head.weights.as_slice()?;
        let rows = featurizer
            .idf()
            .iter()
            .zip(w.chunks_exact(3))
            .map(|(&idf, w)| [idf, w[0], w[1], w[2]])
            .collect();
        let b = head.intercept.as_slice()?;
        Some(ScoreTable {
            rows,
            intercept: [b[0], b[1], b[2]],
        })
    }

    /// The IDF weight of bucket `i`.
    #[inline]
    pub(crate) fn idf(&self, i: usize) -> f32 {
        self.rows[i][0]
    }

    /// The head's logits of `x`, as [`SoftmaxRegression::logits`] computes them.
    // Never inlined, so that `scripts/profile.sh` can name it (see
    // `Featurizer::vectorize_into_with`); one call per message.
    #[inline(never)]
    pub(crate) fn logits(&self, x: &SparseVector) -> [f32; 3] {
        let mut out = self.intercept;
        for (j, v) in x.iter() {
            let row = &self.rows[j];
            for c in 0..3 {
                out[c] += v * row[c + 1];
            }
        }
        out
    }

    /// The head's `(ham, scam)` weights of bucket `i`, as
    /// [`crate::explain`] weighs a feature by them.
    #[inline]
    pub(crate) fn ham_scam(&self, i: usize) -> (f32, f32) {
        let r = &self.rows[i];
        (r[1], r[3])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_logits_as_the_head() {
        let c = crate::Classifier::default();
        let m = c.model();
        let t = ScoreTable::new(&m.featurizer, &m.head).expect("the built-in model has the shape");
        let n = crate::normalize::Normalizer::new(m.normalizer.clone());
        for text in [
            "",
            "hi mum",
            "URGENT: verify your account at secure-login.xyz now!!",
        ] {
            let norm = n.normalize(text);
            let tokens = m.tokenizer.tokenize(norm.text()).unwrap();
            let x = m
                .featurizer
                .vectorize(&m.featurizer.count(&norm, &tokens, None));
            let mut z = [0.0f32; 3];
            m.head.logits(&x, &mut z);
            assert_eq!(t.logits(&x), z, "{text:?}");
        }
    }
}
