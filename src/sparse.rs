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
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVector {
    /// Bucket indices, strictly increasing.
    pub indices: Vec<u32>,
    /// Values, one per index.
    pub values: Vec<f32>,
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
