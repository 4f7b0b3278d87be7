//! Sparse vectors: what the featurizer makes of a message and what the
//! linear model reads. A leaf of the library.

/// A sparse vector: strictly increasing indices with their values.
///
/// Two parallel vectors rather than one of pairs, so that the indices can be
/// scanned without touching the values.
///
/// # Example
///
/// ```
/// use scamscan::sparse::SparseVector;
/// let v = SparseVector { indices: vec![3, 7], values: vec![0.6, 0.8] };
/// let dot: f32 = v.iter().map(|(_, x)| x * x).sum();
/// assert!((dot - 1.0).abs() < 1e-6);
/// ```
#[derive(Debug, Default, PartialEq)]
pub struct SparseVector {
    /// Bucket indices, strictly increasing.
    pub indices: Vec<u32>,
    /// Values, one per index.
    pub values: Vec<f32>,
}

/// By hand for `clone_from`: the derived one clones afresh, and a vector
/// copied into a reused buffer per message should keep that buffer's
/// allocations.
impl Clone for SparseVector {
    fn clone(&self) -> Self {
        SparseVector {
            indices: self.indices.clone(),
            values: self.values.clone(),
        }
    }

    fn clone_from(&mut self, source: &Self) {
        self.indices.clone_from(&source.indices);
        self.values.clone_from(&source.values);
    }
}

impl SparseVector {
    /// Number of stored entries.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::sparse::SparseVector;
    /// assert_eq!(SparseVector::default().nnz(), 0);
    /// assert_eq!(SparseVector { indices: vec![1, 5], values: vec![0.5, 0.5] }.nnz(), 2);
    /// ```
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Iterates over `(index, value)` pairs, indices increasing.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::sparse::SparseVector;
    /// let v = SparseVector { indices: vec![2, 9], values: vec![1.0, -1.0] };
    /// assert_eq!(v.iter().collect::<Vec<_>>(), [(2, 1.0), (9, -1.0)]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (usize, f32)> + '_ {
        self.indices
            .iter()
            .map(|&i| i as usize)
            .zip(self.values.iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::SparseVector;

    #[test]
    fn clone_from_copies_into_the_buffers_it_has() {
        let source = SparseVector {
            indices: vec![2, 9, 40],
            values: vec![0.5, -1.0, 2.0],
        };
        let mut into = SparseVector {
            indices: Vec::with_capacity(64),
            values: Vec::with_capacity(64),
        };
        let (indices, values) = (into.indices.as_ptr(), into.values.as_ptr());
        into.clone_from(&source);
        assert_eq!(into, source);
        assert_eq!(into.indices.as_ptr(), indices);
        assert_eq!(into.values.as_ptr(), values);
        assert_eq!(source.clone(), source);
    }
}
