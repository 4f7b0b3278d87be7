//! [`SparseRows`]: the training rows, packed as one compressed-sparse-row
//! block, and linfa's `Records` view of them.

use crate::error::{Error, Result};
use crate::sparse::SparseVector;
use linfa::dataset::Records;
use ndarray::Array2;

/// Rows of sparse feature vectors: the records type of our linfa datasets.
///
/// Stored as one compressed-sparse-row block (all indices in one `u32`
/// array, all values in one `f32` array, row `i` spanning
/// `offsets[i]..offsets[i + 1]`) rather than a `Vec` per row: 8 bytes per
/// non-zero and 8 per row, instead of two heap allocations and 48 bytes of
/// headers per row, and a fit reads the non-zeros front to back.
///
/// The dimension is stored with the rows because sparse rows do not reveal
/// it, and linfa asks every record type for its number of features.
///
/// # Example
///
/// ```
/// use linfa::dataset::Records;
/// use scamscan::{sparse::SparseVector, linear::SparseRows};
/// let rows = SparseRows::new(vec![SparseVector { indices: vec![0, 3], values: vec![1.0, 2.0] }], 4)?;
/// assert_eq!((rows.nsamples(), rows.nfeatures(), rows.nnz()), (1, 4, 2));
/// # Ok::<(), scamscan::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SparseRows {
    /// `n + 1` offsets into `indices` and `values`, starting at 0.
    pub(super) offsets: Vec<usize>,
    pub(super) indices: Vec<u32>,
    values: Vec<f32>,
    dim: usize,
}

impl Default for SparseRows {
    fn default() -> Self {
        SparseRows {
            offsets: vec![0],
            indices: Vec::new(),
            values: Vec::new(),
            dim: 0,
        }
    }
}

impl SparseRows {
    /// Packs rows whose indices are all below `dim`, consuming them (each
    /// row's memory is freed once it is copied, so packing does not double
    /// the memory the rows take).
    ///
    /// The bound is checked here, once, so that fitting can index its
    /// weights without a bounds check per feature.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{sparse::SparseVector, linear::SparseRows};
    /// let row = SparseVector { indices: vec![9], values: vec![1.0] };
    /// assert!(SparseRows::new(vec![row.clone()], 10).is_ok());
    /// assert!(SparseRows::new(vec![row], 9).is_err());
    /// ```
    pub fn new(rows: Vec<SparseVector>, dim: usize) -> Result<Self> {
        if let Some(bad) = rows.iter().position(|r| {
            r.indices.len() != r.values.len() || r.indices.iter().any(|&i| i as usize >= dim)
        }) {
            return Err(Error::invalid(format!(
                "row {bad} has an index >= dimension {dim}, or not one value per index"
            )));
        }
        let nnz = rows.iter().map(SparseVector::nnz).sum();
        let mut out = SparseRows {
            offsets: Vec::with_capacity(rows.len() + 1),
            indices: Vec::with_capacity(nnz),
            values: Vec::with_capacity(nnz),
            dim,
        };
        out.offsets.push(0);
        for r in rows {
            out.indices.extend_from_slice(&r.indices);
            out.values.extend_from_slice(&r.values);
            out.offsets.push(out.indices.len());
        }
        Ok(out)
    }

    /// No rows yet, of dimension `dim`: add them with [`push`](Self::push).
    ///
    /// # Example
    ///
    /// ```
    /// use linfa::dataset::Records;
    /// let rows = scamscan::linear::SparseRows::with_dim(16);
    /// assert_eq!((rows.nsamples(), rows.nfeatures()), (0, 16));
    /// ```
    pub fn with_dim(dim: usize) -> Self {
        SparseRows {
            dim,
            ..SparseRows::default()
        }
    }

    /// Reserves room for `rows` more rows holding `nnz` more entries in all,
    /// as [`Vec::reserve`] does: for a caller that knows the size of what it
    /// will [`push`](SparseRows::push), and would otherwise have the blocks
    /// copied as they grow.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{sparse::SparseVector, linear::SparseRows};
    /// let mut rows = SparseRows::with_dim(4);
    /// rows.reserve(1, 2);
    /// rows.push(&SparseVector { indices: vec![1, 3], values: vec![0.5, 1.0] })?;
    /// assert_eq!(rows.nnz(), 2);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn reserve(&mut self, rows: usize, nnz: usize) {
        self.offsets.reserve(rows);
        self.indices.reserve(nnz);
        self.values.reserve(nnz);
    }

    /// Appends a copy of `row`, refusing (and leaving the rows as they were)
    /// an index `>= dim` or a row without one value per index.
    ///
    /// Lets a caller pack rows as it makes them, never holding them all as
    /// separate vectors.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{sparse::SparseVector, linear::SparseRows};
    /// let mut rows = SparseRows::with_dim(4);
    /// rows.push(&SparseVector { indices: vec![1, 3], values: vec![0.5, 1.0] })?;
    /// assert!(rows.push(&SparseVector { indices: vec![4], values: vec![1.0] }).is_err());
    /// assert_eq!(rows.row(0).0, [1, 3]);
    /// assert_eq!(rows.nnz(), 2);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn push(&mut self, row: &SparseVector) -> Result<()> {
        if row.indices.len() != row.values.len()
            || row.indices.iter().any(|&i| i as usize >= self.dim)
        {
            return Err(Error::invalid(format!(
                "row {} has an index >= dimension {}, or not one value per index",
                self.offsets.len() - 1,
                self.dim
            )));
        }
        self.indices.extend_from_slice(&row.indices);
        self.values.extend_from_slice(&row.values);
        self.offsets.push(self.indices.len());
        Ok(())
    }

    /// Row `i`: its indices and its values.
    ///
    /// # Panics
    ///
    /// When `i >= nsamples()`.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{sparse::SparseVector, linear::SparseRows};
    /// let rows = SparseRows::new(vec![SparseVector::default(), SparseVector { indices: vec![2], values: vec![0.5] }], 8)?;
    /// assert_eq!(rows.row(1), (&[2u32][..], &[0.5f32][..]));
    /// assert!(rows.row(0).0.is_empty());
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let span = self.offsets[i]..self.offsets[i + 1];
        (&self.indices[span.clone()], &self.values[span])
    }

    /// The rows in order, as [`row`](Self::row) gives them.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{sparse::SparseVector, linear::SparseRows};
    /// let rows = SparseRows::new(vec![SparseVector::default(); 3], 8)?;
    /// assert_eq!(rows.iter().count(), 3);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&[u32], &[f32])> + '_ {
        (0..self.offsets.len() - 1).map(move |i| self.row(i))
    }

    /// Number of stored entries, over all rows.
    ///
    /// # Example
    ///
    /// ```
    /// let rows = scamscan::linear::SparseRows::from_dense(&ndarray::array![[0.0, 2.0], [1.0, 3.0]]);
    /// assert_eq!(rows.nnz(), 3);
    /// ```
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Builds sparse rows from a dense matrix (zeros dropped).
    ///
    /// For tests and for comparing with linfa's dense models on small problems.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::linear::SparseRows;
    /// let rows = SparseRows::from_dense(&ndarray::array![[0.0, 2.0, 0.0], [1.0, 0.0, 0.0]]);
    /// assert_eq!(rows.row(0).0, [1]);
    /// assert_eq!(rows.row(1).1, [1.0]);
    /// ```
    pub fn from_dense(x: &Array2<f64>) -> Self {
        let mut out = SparseRows {
            dim: x.ncols(),
            ..SparseRows::default()
        };
        for r in x.outer_iter() {
            for (j, &x) in r.iter().enumerate() {
                if x != 0.0 {
                    out.indices.push(j as u32);
                    out.values.push(x as f32);
                }
            }
            out.offsets.push(out.indices.len());
        }
        out
    }
}

impl Records for SparseRows {
    type Elem = f32;

    fn nsamples(&self) -> usize {
        self.offsets.len() - 1
    }

    fn nfeatures(&self) -> usize {
        self.dim
    }
}
