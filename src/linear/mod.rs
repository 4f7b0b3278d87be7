//! Stage 4 of the pipeline: the **linear model**.
//!
//! Multinomial logistic regression on sparse rows, minimised with L-BFGS
//! as argmin's (the solver linfa-logistic uses internally) runs it, with
//! argmin's More-Thuente line search and the two-loop recursion written out
//! for speed (see `lbfgs` in the source), exposed as a linfa
//! algorithm: checked hyperparameters ([`SoftmaxParams`] → [`ValidSoftmaxParams`]
//! through linfa's `ParamGuard`), `Fit` on a `DatasetBase<SparseRows, Array1<usize>>`,
//! and `PredictInplace` to class probabilities.
//!
//! Hand-written because every linfa model trains only on a dense `ArrayBase`;
//! a dense 100,000 × 262,144 matrix is 100 GB. The objective is linfa-logistic's
//!
//! ```text
//! L(W, b) = Σᵢ wᵢ · −log softmax(xᵢ W + b)[yᵢ]  +  α/2 · ‖W‖²
//! ```
//!
//! with per-sample weights `wᵢ` added (the intercept `b` is not regularised),
//! and a test (`tests/linfa_agreement.rs`) checks that on a dense problem our
//! weights and probabilities match linfa-logistic's.

use crate::error::{Error, Result};
use crate::math::softmax_in_place;
use crate::sparse::SparseVector;
use argmin::core::{CostFunction, Executor, Gradient};
use argmin::solver::linesearch::{LineSearch, MoreThuenteLineSearch};

use linfa::dataset::{DatasetBase, Records};
use linfa::traits::{Fit, PredictInplace};
use linfa::ParamGuard;
use ndarray::{Array1, Array2};
use rayon::prelude::*;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

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
    offsets: Vec<usize>,
    indices: Vec<u32>,
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

/// Unchecked hyperparameters of [`SoftmaxRegression`]. Check them with
/// [`ParamGuard::check`], or call `fit` directly (linfa checks them then).
///
/// # Example
///
/// ```
/// use linfa::ParamGuard;
/// use scamscan::linear::SoftmaxParams;
/// assert!(SoftmaxParams::new(3).alpha(-1.0).check().is_err());
/// assert!(SoftmaxParams::new(3).alpha(1e-3).check().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SoftmaxParams(ValidSoftmaxParams);

/// Hyperparameters that passed the check (linfa's pattern: the unchecked type
/// wraps the checked one, so `check_ref` can hand out a reference to it).
///
/// It implements linfa's `Fit` on a `DatasetBase<SparseRows, Array1<usize>>`.
///
/// # Example
///
/// ```
/// use linfa::ParamGuard;
/// use scamscan::linear::{SoftmaxParams, ValidSoftmaxParams};
/// let p: ValidSoftmaxParams = SoftmaxParams::new(3).max_iterations(50).check()?;
/// assert_eq!(p.max_iterations(), 50);
/// # Ok::<(), scamscan::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ValidSoftmaxParams {
    n_classes: usize,
    alpha: f64,
    max_iterations: u64,
    gradient_tolerance: f64,
    cost_tolerance: f64,
    history: usize,
}

impl SoftmaxParams {
    /// Defaults for `n_classes` classes: α = 1, 200 iterations, gradient
    /// tolerance 1e-5, cost tolerance 1e-12, 10 past steps.
    ///
    /// # Example
    ///
    /// ```
    /// use linfa::ParamGuard;
    /// let p = scamscan::linear::SoftmaxParams::new(3).check()?;
    /// assert_eq!((p.n_classes(), p.alpha(), p.max_iterations()), (3, 1.0, 200));
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn new(n_classes: usize) -> Self {
        SoftmaxParams(ValidSoftmaxParams {
            n_classes,
            alpha: 1.0,
            max_iterations: 200,
            gradient_tolerance: 1e-5,
            cost_tolerance: 1e-12,
            history: 10,
        })
    }

    /// L2 penalty α (the objective's `α/2 ‖W‖²`).
    ///
    /// Larger values keep the weights small, so that no single word decides a
    /// verdict; the check refuses negative or non-finite values.
    ///
    /// # Example
    ///
    /// ```
    /// use linfa::ParamGuard;
    /// use scamscan::linear::SoftmaxParams;
    /// assert_eq!(SoftmaxParams::new(3).alpha(1e-2).check()?.alpha(), 1e-2);
    /// assert!(SoftmaxParams::new(3).alpha(f64::NAN).check().is_err());
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.0.alpha = alpha;
        self
    }

    /// Maximum L-BFGS iterations: bounds training time when the tolerance
    /// is not reached.
    ///
    /// # Example
    ///
    /// ```
    /// use linfa::ParamGuard;
    /// use scamscan::linear::SoftmaxParams;
    /// assert!(SoftmaxParams::new(3).max_iterations(0).check().is_err());
    /// ```
    pub fn max_iterations(mut self, n: u64) -> Self {
        self.0.max_iterations = n;
        self
    }

    /// Stop when the gradient norm falls below this.
    ///
    /// # Example
    ///
    /// ```
    /// use linfa::ParamGuard;
    /// use scamscan::linear::SoftmaxParams;
    /// assert!(SoftmaxParams::new(3).gradient_tolerance(1e-6).check().is_ok());
    /// assert!(SoftmaxParams::new(3).gradient_tolerance(0.0).check().is_err());
    /// ```
    pub fn gradient_tolerance(mut self, tol: f64) -> Self {
        self.0.gradient_tolerance = tol;
        self
    }

    /// Stop when an iteration lowers the objective by less than this share
    /// of its value at zero weights (`Σ wᵢ · ln n_classes`); 1e-12 by default.
    ///
    /// A share of a value fixed by the data, so that one setting means the
    /// same on 500 rows and on 100,000: the objective is a sum over rows.
    ///
    /// # Example
    ///
    /// ```
    /// use linfa::ParamGuard;
    /// use scamscan::linear::SoftmaxParams;
    /// assert_eq!(SoftmaxParams::new(3).cost_tolerance(1e-7).check()?.cost_tolerance(), 1e-7);
    /// assert!(SoftmaxParams::new(3).cost_tolerance(-1.0).check().is_err());
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn cost_tolerance(mut self, share: f64) -> Self {
        self.0.cost_tolerance = share;
        self
    }

    /// Number of past steps L-BFGS keeps to model the curvature (10 by default).
    ///
    /// # Example
    ///
    /// ```
    /// use linfa::ParamGuard;
    /// use scamscan::linear::SoftmaxParams;
    /// assert_eq!(SoftmaxParams::new(3).history(5).check()?.history(), 5);
    /// assert!(SoftmaxParams::new(3).history(0).check().is_err());
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn history(mut self, m: usize) -> Self {
        self.0.history = m;
        self
    }
}

impl ValidSoftmaxParams {
    /// Number of classes.
    ///
    /// # Example
    ///
    /// ```
    /// use linfa::ParamGuard;
    /// assert_eq!(scamscan::linear::SoftmaxParams::new(12).check()?.n_classes(), 12);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }
    /// The L2 penalty.
    ///
    /// # Example
    ///
    /// ```
    /// use linfa::ParamGuard;
    /// assert_eq!(scamscan::linear::SoftmaxParams::new(3).check()?.alpha(), 1.0);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
    /// Maximum L-BFGS iterations.
    ///
    /// # Example
    ///
    /// ```
    /// use linfa::ParamGuard;
    /// assert_eq!(scamscan::linear::SoftmaxParams::new(3).check()?.max_iterations(), 200);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn max_iterations(&self) -> u64 {
        self.max_iterations
    }
    /// The share of the starting objective below which an iteration's gain stops the fit.
    ///
    /// # Example
    ///
    /// ```
    /// use linfa::ParamGuard;
    /// assert_eq!(scamscan::linear::SoftmaxParams::new(3).check()?.cost_tolerance(), 1e-12);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn cost_tolerance(&self) -> f64 {
        self.cost_tolerance
    }

    /// Past steps L-BFGS keeps.
    ///
    /// # Example
    ///
    /// ```
    /// use linfa::ParamGuard;
    /// assert_eq!(scamscan::linear::SoftmaxParams::new(3).check()?.history(), 10);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn history(&self) -> usize {
        self.history
    }
}

impl ParamGuard for SoftmaxParams {
    type Checked = ValidSoftmaxParams;
    type Error = Error;

    fn check_ref(&self) -> Result<&ValidSoftmaxParams> {
        let p = &self.0;
        if p.n_classes < 2 {
            return Err(Error::invalid(format!(
                "n_classes must be >= 2, got {}",
                p.n_classes
            )));
        }
        if !p.alpha.is_finite() || p.alpha < 0.0 {
            return Err(Error::invalid(format!(
                "alpha must be finite and >= 0, got {}",
                p.alpha
            )));
        }
        if p.max_iterations == 0 {
            return Err(Error::invalid("max_iterations must be > 0"));
        }
        if !p.cost_tolerance.is_finite() || p.cost_tolerance < 0.0 {
            return Err(Error::invalid(format!(
                "cost_tolerance must be finite and >= 0, got {}",
                p.cost_tolerance
            )));
        }
        if p.history == 0 {
            return Err(Error::invalid("history must be > 0"));
        }
        if !p.gradient_tolerance.is_finite() || p.gradient_tolerance <= 0.0 {
            return Err(Error::invalid(format!(
                "gradient_tolerance must be finite and > 0, got {}",
                p.gradient_tolerance
            )));
        }
        Ok(p)
    }

    fn check(self) -> Result<ValidSoftmaxParams> {
        self.check_ref()?;
        Ok(self.0)
    }
}

/// A fitted multinomial logistic regression.
///
/// The fields are public so that a model file can be read into one without
/// refitting, and so that explanations can read single weights.
///
/// # Example
///
/// ```
/// use ndarray::{array, Array1};
/// use scamscan::{sparse::SparseVector, linear::SoftmaxRegression};
/// // Two features, two classes: feature 1 votes for class 1.
/// let m = SoftmaxRegression { weights: array![[0.0, 0.0], [-2.0, 2.0]], intercept: Array1::zeros(2) };
/// let p = m.probabilities(&SparseVector { indices: vec![1], values: vec![1.0] });
/// assert!(p[1] > 0.98);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SoftmaxRegression {
    /// Weights, `dim × n_classes`, feature-major so one feature's class weights are adjacent.
    pub weights: Array2<f32>,
    /// One intercept per class.
    pub intercept: Array1<f32>,
}

impl SoftmaxRegression {
    /// Number of classes.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{Array1, Array2};
    /// let m = scamscan::linear::SoftmaxRegression { weights: Array2::zeros((8, 3)), intercept: Array1::zeros(3) };
    /// assert_eq!(m.n_classes(), 3);
    /// ```
    pub fn n_classes(&self) -> usize {
        self.intercept.len()
    }

    /// Number of features.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{Array1, Array2};
    /// let m = scamscan::linear::SoftmaxRegression { weights: Array2::zeros((8, 3)), intercept: Array1::zeros(3) };
    /// assert_eq!(m.dim(), 8);
    /// ```
    pub fn dim(&self) -> usize {
        self.weights.nrows()
    }

    /// Raw class scores (logits) of one row, written into `out` (one slot per
    /// class) so that scoring allocates nothing.
    ///
    /// Indices beyond `dim` fold onto it modulo `dim`, which lets a smaller
    /// head share a larger feature space.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::array;
    /// use scamscan::{sparse::SparseVector, linear::SoftmaxRegression};
    /// let m = SoftmaxRegression { weights: array![[1.0, -1.0], [0.5, 0.0]], intercept: array![0.1, 0.2] };
    /// let mut z = [0.0; 2];
    /// // Index 3 folds onto feature 1 (3 mod 2).
    /// m.logits(&SparseVector { indices: vec![0, 3], values: vec![2.0, 2.0] }, &mut z);
    /// assert_eq!(z, [0.1 + 2.0 + 1.0, 0.2 - 2.0]);
    /// ```
    pub fn logits(&self, x: &SparseVector, out: &mut [f32]) {
        let k = self.n_classes();
        let dim = self.dim();
        out.copy_from_slice(self.intercept.as_slice().expect("contiguous"));
        let w = self.weights.as_slice().expect("standard layout");
        // Feature dimensions are powers of two, and `%` by a run-time divisor
        // is a division per non-zero: a mask gives the same bucket for free.
        let fold = |j: usize| {
            if dim.is_power_of_two() {
                j & (dim - 1)
            } else {
                j % dim
            }
        };
        // The two heads a model has, by their class counts (a const generic
        // per count, so that the row copies are fixed-size moves).
        const LABELS: usize = crate::Label::ALL.len();
        const CATEGORIES: usize = crate::Category::ALL.len();
        match k {
            LABELS => logits_by_chunks::<LABELS>(x, w, fold, out),
            CATEGORIES => logits_by_chunks::<CATEGORIES>(x, w, fold, out),
            _ => {
                for (j, v) in x.iter() {
                    let j = fold(j);
                    for (o, &wc) in out.iter_mut().zip(&w[j * k..j * k + k]) {
                        *o += v * wc;
                    }
                }
            }
        }
    }

    /// Class probabilities of one row; they sum to 1.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{Array1, Array2};
    /// use scamscan::{sparse::SparseVector, linear::SoftmaxRegression};
    /// let m = SoftmaxRegression { weights: Array2::zeros((4, 2)), intercept: Array1::zeros(2) };
    /// assert_eq!(m.probabilities(&SparseVector::default()), [0.5, 0.5]);
    /// ```
    pub fn probabilities(&self, x: &SparseVector) -> Vec<f32> {
        let mut z = vec![0.0; self.n_classes()];
        self.logits(x, &mut z);
        softmax_in_place(&mut z);
        z
    }
}

/// The logits of [`SoftmaxRegression::logits`] for `K` classes, with the
/// rows of the non-zeros copied out a chunk at a time before they are summed.
///
/// Each row is a likely cache miss (the category head is megabytes), and a
/// copy loop of fixed-size moves lets the processor have many of them in
/// flight, where the summing loop, longer, has few. The sums keep their
/// order, so the logits are the same bit for bit.
fn logits_by_chunks<const K: usize>(
    x: &SparseVector,
    w: &[f32],
    fold: impl Fn(usize) -> usize,
    out: &mut [f32],
) {
    const CHUNK: usize = 32;
    // As `SparseVector::iter` pairs them: up to the shorter of the two.
    let n = x.indices.len().min(x.values.len());
    let mut rows = [[0.0f32; K]; CHUNK];
    for (indices, values) in x.indices[..n]
        .chunks(CHUNK)
        .zip(x.values[..n].chunks(CHUNK))
    {
        for (&j, dst) in indices.iter().zip(rows.iter_mut()) {
            let j = fold(j as usize);
            *dst = w[j * K..j * K + K].try_into().expect("a row of K weights");
        }
        for (&v, row) in values.iter().zip(&rows) {
            for (o, &wc) in out.iter_mut().zip(row) {
                *o += v * wc;
            }
        }
    }
}

/// What one fit did: how far L-BFGS went and what the passes over the data
/// cost. For tuning, and for the trainer's progress messages.
///
/// # Example
///
/// ```
/// use linfa::{dataset::DatasetBase, ParamGuard};
/// use scamscan::linear::{SoftmaxParams, SparseRows};
/// let x = ndarray::array![[1.0, 0.0], [0.0, 1.0]];
/// let ds = DatasetBase::new(SparseRows::from_dense(&x), ndarray::array![0, 1]);
/// let (_, report) = SoftmaxParams::new(2).max_iterations(5).check()?.fit_with_report(&ds)?;
/// assert!(report.iterations <= 5 && report.evaluations >= 1);
/// # Ok::<(), scamscan::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FitReport {
    /// L-BFGS iterations run.
    pub iterations: u64,
    /// Passes over the data (the objective and its gradient at one point);
    /// the line search's repeated requests for a point already computed are
    /// not counted, they cost nothing.
    pub evaluations: u64,
    /// Wall-clock seconds spent in those passes.
    pub evaluation_seconds: f64,
    /// Wall-clock seconds of the whole fit (passes, solver, setup).
    pub seconds: f64,
    /// The objective at the returned weights.
    pub cost: f64,
    /// Why L-BFGS stopped, in argmin's words.
    pub stopped: String,
}

impl ValidSoftmaxParams {
    /// Fits like [`Fit::fit`], and also says how the fit went.
    pub fn fit_with_report(
        &self,
        ds: &DatasetBase<SparseRows, Array1<usize>>,
    ) -> Result<(SoftmaxRegression, FitReport)> {
        let start = Instant::now();
        let n = ds.records.nsamples();
        if n == 0 {
            return Err(Error::training("no training rows"));
        }
        if n > u32::MAX as usize {
            return Err(Error::training(format!(
                "{n} rows: at most {} can be fitted",
                u32::MAX
            )));
        }
        if ds.targets.len() != n {
            return Err(Error::training(format!(
                "{} rows but {} targets",
                n,
                ds.targets.len()
            )));
        }
        let k = self.n_classes;
        if let Some(&bad) = ds.targets.iter().find(|&&y| y >= k) {
            return Err(Error::training(format!(
                "target {bad} out of range for {k} classes"
            )));
        }
        let weights: Vec<f64> = match ds.weights() {
            Some(w) if w.len() == n => w.iter().map(|&x| x as f64).collect(),
            Some(w) => {
                return Err(Error::training(format!(
                    "{} sample weights for {n} rows",
                    w.len()
                )))
            }
            None => vec![1.0; n],
        };
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return Err(Error::training("sample weights must be finite and >= 0"));
        }
        let dim = ds.records.nfeatures();
        let problem = Problem::new(
            &ds.records,
            ds.targets.as_slice().expect("contiguous targets"),
            &weights,
            k,
            self.alpha,
        );
        // argmin's cost tolerance is absolute; at zero weights every row's
        // loss is ln k.
        let tol_cost = self.cost_tolerance * weights.iter().sum::<f64>() * (k as f64).ln();
        let found = lbfgs(&problem, self, tol_cost)?;
        let theta = found.theta;
        let report = FitReport {
            iterations: found.iterations,
            evaluations: problem.evaluations(),
            evaluation_seconds: problem.evaluation_seconds(),
            seconds: 0.0,
            cost: found.cost,
            stopped: found.stopped,
        };
        let w = Array2::from_shape_vec(
            (dim, k),
            theta.iter().take(dim * k).map(|&x| x as f32).collect(),
        )
        .map_err(|e| Error::training(e.to_string()))?;
        let b = Array1::from_iter(theta.iter().skip(dim * k).map(|&x| x as f32));
        let model = SoftmaxRegression {
            weights: w,
            intercept: b,
        };
        let seconds = start.elapsed().as_secs_f64();
        Ok((model, FitReport { seconds, ..report }))
    }
}

impl Fit<SparseRows, Array1<usize>, Error> for ValidSoftmaxParams {
    type Object = SoftmaxRegression;

    fn fit(&self, ds: &DatasetBase<SparseRows, Array1<usize>>) -> Result<SoftmaxRegression> {
        self.fit_with_report(ds).map(|(m, _)| m)
    }
}

/// Predicts class probabilities, one row of `n_classes` per record.
impl PredictInplace<SparseRows, Array2<f64>> for SoftmaxRegression {
    fn predict_inplace(&self, x: &SparseRows, y: &mut Array2<f64>) {
        assert_eq!(y.nrows(), x.nsamples(), "one output row per record");
        // One buffer for all rows: `probabilities` takes a `SparseVector`.
        let mut v = SparseVector::default();
        for ((idx, val), mut out) in x.iter().zip(y.outer_iter_mut()) {
            v.indices.clear();
            v.indices.extend_from_slice(idx);
            v.values.clear();
            v.values.extend_from_slice(val);
            for (o, p) in out.iter_mut().zip(self.probabilities(&v)) {
                *o = p as f64;
            }
        }
    }

    fn default_target(&self, x: &SparseRows) -> Array2<f64> {
        Array2::zeros((x.nsamples(), self.n_classes()))
    }
}

/// One band of consecutive rows, stored column by column: for each feature
/// that occurs in the band, its occurrences (row within the band, increasing,
/// and value).
///
/// Both passes over the data go tile by tile and, within a tile, feature by
/// feature, because that is what the caches need. Row by row, each non-zero
/// reads (forward) or adds into (backward) its feature's weights at a random
/// place in the 6 MB of weights (2^18 features × 3 classes, f64), nearly
/// always a cache miss, and the backward pass needs a private 6 MB gradient
/// per parallel chunk, summed at the end. Feature by feature within a band,
/// the weights and the gradient are read and written in order, once per
/// band, and the random accesses land in the band's logits or residuals,
/// which are sized to stay in a core's cache (see [`BAND_BYTES`]).
///
/// The order of every sum is the row-by-row one, whatever the banding and
/// the number of threads: a row's logits add its features in increasing
/// order (as a row lists them), and a feature's gradient adds its rows in
/// increasing order (bands in order, rows in order within each).
struct Tile {
    /// The band's first row.
    first: usize,
    /// The features occurring in the band, increasing.
    features: Vec<u32>,
    /// For each of them, where its occurrences end in `rows` and `values`.
    ends: Vec<u32>,
    /// Row of each occurrence, counted from `first`.
    rows: Vec<u16>,
    values: Vec<f32>,
}

impl Tile {
    /// The band `first..first + n` of `x`, transposed. `count` is scratch
    /// space of `x.nfeatures()` zeros, and is left zeroed.
    fn new(x: &SparseRows, first: usize, n: usize, count: &mut [u32]) -> Self {
        let span = x.offsets[first]..x.offsets[first + n];
        for &j in &x.indices[span.clone()] {
            count[j as usize] += 1;
        }
        let mut features = Vec::new();
        let mut ends = Vec::new();
        let mut end = 0u32;
        for (j, c) in count.iter_mut().enumerate() {
            if *c > 0 {
                features.push(j as u32);
                // From now on `count` holds where the feature's next occurrence goes.
                (end, *c) = (end + *c, end);
                ends.push(end);
            }
        }
        let nnz = span.len();
        let mut rows = vec![0u16; nnz];
        let mut values = vec![0f32; nnz];
        for r in 0..n {
            let (idx, val) = x.row(first + r);
            for (&j, &v) in idx.iter().zip(val) {
                let p = &mut count[j as usize];
                rows[*p as usize] = r as u16;
                values[*p as usize] = v;
                *p += 1;
            }
        }
        for &j in &features {
            count[j as usize] = 0;
        }
        Tile {
            first,
            features,
            ends,
            rows,
            values,
        }
    }

    /// The `q`-th feature of the band and its occurrences: rows, values.
    #[inline]
    fn column(&self, q: usize) -> (usize, &[u16], &[f32]) {
        let start = if q == 0 { 0 } else { self.ends[q - 1] as usize };
        let span = start..self.ends[q] as usize;
        (
            self.features[q] as usize,
            &self.rows[span.clone()],
            &self.values[span],
        )
    }
}

/// Bytes of logits (or residuals) per band, `rows × k` f64: half the 1 MiB
/// L2 cache per core of current x86 server cores, leaving room for the
/// streams of weights and occurrences passing through. Measured on the
/// shared corpora's ham/spam/scam head (one thread): bands of 32 KB take
/// 2.3 times as long per pass as bands of 512 KB (each band sweeps the
/// weights once), 256 KB 1.15 times, 1 MB about the same.
const BAND_BYTES: usize = 512 << 10;

/// Rows per band: the cache size above, at least two bands per thread so
/// that rayon can balance them, and at most 2^16 (rows within a band are
/// `u16`). Only the speed depends on it (see [`Tile`]).
fn band_rows(n: usize, k: usize) -> usize {
    let by_cache = (BAND_BYTES / (8 * k)).max(64);
    let by_threads = n.div_ceil(2 * rayon::current_num_threads()).max(1);
    by_cache.min(by_threads).min(1 << 16)
}

/// Number of scam categories: one of the class counts [`Problem::evaluate`]
/// is specialised for.
const CATEGORIES: usize = crate::label::Category::ALL.len();

/// Target number of tasks of the backward pass (feature ranges): enough
/// for rayon to balance two to a few dozen threads. Only the speed depends
/// on it (each feature is summed on its own).
const FEATURE_TASKS: usize = 64;

/// The objective, with a one-entry cache: L-BFGS's line search asks for the
/// cost and the gradient at the same point, and one pass over the data gives both.
struct Problem<'a> {
    /// The rows, in bands of `band` rows.
    tiles: Vec<Tile>,
    band: usize,
    /// Feature ranges of the backward tasks, of about equal work.
    tasks: Vec<std::ops::Range<usize>>,
    targets: &'a [usize],
    weights: &'a [f64],
    k: usize,
    dim: usize,
    alpha: f64,
    cache: Mutex<Option<Evaluation>>,
    /// The pass's residuals and losses, kept from pass to pass: megabytes
    /// that fresh allocations would page-fault in (and the kernel zero) every
    /// time, on the thread everything else waits for.
    scratch: Mutex<(Vec<f64>, Vec<f64>)>,
    evaluations: AtomicU64,
    evaluation_nanos: AtomicU64,
}

/// A point, the cost there, the gradient there, and whether both are finite.
struct Evaluation {
    theta: Vec<f64>,
    cost: f64,
    grad: Vec<f64>,
    finite: bool,
}

/// Whether `a` and `b` are equal element by element (`==`, as ndarray's
/// comparison is), in parallel.
fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.par_chunks(VECTOR_CHUNK)
            .zip(b.par_chunks(VECTOR_CHUNK))
            .all(|(x, y)| x == y)
}

/// A copy of `a`, made in parallel: parameter-sized vectors are megabytes,
/// and copied on one thread they leave the others idle.
fn copied(a: &[f64]) -> Vec<f64> {
    a.par_iter().copied().collect()
}

/// `dst` made a copy of `src`, in parallel, in `dst`'s memory.
fn copy_into(dst: &mut Vec<f64>, src: &[f64]) {
    dst.resize(src.len(), 0.0);
    dst.par_chunks_mut(VECTOR_CHUNK)
        .zip(src.par_chunks(VECTOR_CHUNK))
        .for_each(|(d, s)| d.copy_from_slice(s));
}

impl<'a> Problem<'a> {
    fn new(
        rows: &SparseRows,
        targets: &'a [usize],
        weights: &'a [f64],
        k: usize,
        alpha: f64,
    ) -> Self {
        let (n, dim) = (rows.nsamples(), rows.nfeatures());
        let band = band_rows(n, k);
        let tiles: Vec<Tile> = (0..n.div_ceil(band))
            .into_par_iter()
            .map_init(
                || vec![0u32; dim],
                |count, b| Tile::new(rows, b * band, band.min(n - b * band), count),
            )
            .collect();
        // A feature costs its occurrences plus its regularisation term.
        let mut work = vec![1usize; dim];
        for t in &tiles {
            for q in 0..t.features.len() {
                let (j, r, _) = t.column(q);
                work[j] += r.len();
            }
        }
        let per_task = work.iter().sum::<usize>().div_ceil(FEATURE_TASKS).max(1);
        let mut tasks = Vec::with_capacity(FEATURE_TASKS + 1);
        let (mut start, mut acc) = (0, 0);
        for (j, w) in work.iter().enumerate() {
            acc += w;
            if acc >= per_task {
                tasks.push(start..j + 1);
                (start, acc) = (j + 1, 0);
            }
        }
        if start < dim {
            tasks.push(start..dim);
        }
        Problem {
            tiles,
            band,
            tasks,
            targets,
            weights,
            k,
            dim,
            alpha,
            cache: Mutex::new(None),
            scratch: Mutex::new((Vec::new(), Vec::new())),
            evaluations: AtomicU64::new(0),
            evaluation_nanos: AtomicU64::new(0),
        }
    }

    fn evaluations(&self) -> u64 {
        self.evaluations.load(Ordering::Relaxed)
    }

    fn evaluation_seconds(&self) -> f64 {
        self.evaluation_nanos.load(Ordering::Relaxed) as f64 * 1e-9
    }

    /// The cost at `theta` and, with `gradient`, the gradient there; an
    /// error where either is not finite (see [`not_finite`]).
    ///
    /// The line search asks for the cost, then the gradient, at each point:
    /// the second is answered from the cache, which keeps its buffers from
    /// point to point.
    fn evaluate(
        &self,
        theta: &Array1<f64>,
        gradient: bool,
    ) -> std::result::Result<(f64, Option<Array1<f64>>), argmin::core::Error> {
        let th = theta.as_slice().expect("contiguous");
        let mut cache = self.cache.lock().expect("cache lock");
        let hit = cache.as_ref().is_some_and(|e| same(&e.theta, th));
        if !hit {
            let start = Instant::now();
            let (mut point, mut grad) = cache
                .take()
                .map_or((Vec::new(), Vec::new()), |e| (e.theta, e.grad));
            // With the class count known at compile time, the per-class loops
            // unroll and a feature's weights stay in registers: 2.5 times faster
            // than with a run-time count. Specialised for the counts scamscan
            // fits (ham/spam/scam, the categories) and for two classes; any
            // other count takes the general path, with the same result.
            let cost = match self.k {
                2 => self.pass_into(th, [0.0; 2], &mut grad),
                3 => self.pass_into(th, [0.0; 3], &mut grad),
                CATEGORIES => self.pass_into(th, [0.0; CATEGORIES], &mut grad),
                k => self.pass_into(th, vec![0.0; k], &mut grad),
            };
            copy_into(&mut point, th);
            let finite = cost.is_finite()
                && grad
                    .par_chunks(VECTOR_CHUNK)
                    .all(|c| c.iter().all(|g| g.is_finite()));
            *cache = Some(Evaluation {
                theta: point,
                cost,
                grad,
                finite,
            });
            self.evaluations.fetch_add(1, Ordering::Relaxed);
            self.evaluation_nanos
                .fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        }
        let e = cache.as_ref().expect("just filled");
        if !e.finite {
            return Err(not_finite());
        }
        Ok((e.cost, gradient.then(|| Array1::from_vec(copied(&e.grad)))))
    }

    /// The cost and the gradient at `theta`.
    fn cost_and_gradient(
        &self,
        theta: &Array1<f64>,
    ) -> std::result::Result<(f64, Array1<f64>), argmin::core::Error> {
        let (cost, grad) = self.evaluate(theta, true)?;
        Ok((cost, grad.expect("asked for")))
    }

    /// [`Problem::pass_into`] into a new gradient vector.
    #[cfg(test)]
    fn pass<Z>(&self, th: &[f64], zero: Z) -> (f64, Vec<f64>)
    where
        Z: AsMut<[f64]> + AsRef<[f64]> + Clone + Send + Sync,
    {
        let mut grad = Vec::new();
        let loss = self.pass_into(th, zero, &mut grad);
        (loss, grad)
    }

    /// One pass over the data: the cost at `th`, returned, and the gradient
    /// there, into `grad` (whatever it held).
    ///
    /// `zero` is `k` zeros, an array when `k` is a compile-time constant
    /// (see [`Problem::evaluate`]): the type of the accumulators.
    fn pass_into<Z>(&self, th: &[f64], zero: Z, grad: &mut Vec<f64>) -> f64
    where
        Z: AsMut<[f64]> + AsRef<[f64]> + Clone + Send + Sync,
    {
        // The class count from `zero`, not `self.k`: a constant in the
        // specialised copies, which is what lets the loops unroll.
        let (k, dim) = (zero.as_ref().len(), self.dim);
        debug_assert_eq!(k, self.k);
        let (w_th, b_th) = th.split_at(dim * k);
        let n = self.targets.len();

        // Forward, band by band: the logits z_i, then in their place the
        // residuals r_i = w_i (softmax(z_i) − e_{y_i}), and the losses.
        // Every entry of both is written below before it is read.
        let mut scratch = self.scratch.lock().expect("scratch lock");
        let (resid, losses) = &mut *scratch;
        resid.resize(n * k, 0.0);
        losses.resize(n, 0.0);
        resid
            .par_chunks_mut(self.band * k)
            .zip(losses.par_chunks_mut(self.band))
            .zip(self.tiles.par_iter())
            .for_each(|((zb, lb), tile)| {
                for z in zb.chunks_exact_mut(k) {
                    z.copy_from_slice(b_th);
                }
                for q in 0..tile.features.len() {
                    let (j, rows, vals) = tile.column(q);
                    let mut t = zero.clone();
                    t.as_mut().copy_from_slice(&w_th[j * k..][..k]);
                    let t = t.as_ref();
                    for (&r, &v) in rows.iter().zip(vals) {
                        let z = &mut zb[r as usize * k..][..k];
                        for c in 0..k {
                            z[c] += v as f64 * t[c];
                        }
                    }
                }
                let rows = (tile.first..).zip(zb.chunks_exact_mut(k).zip(lb.iter_mut()));
                for (i, (z, l)) in rows {
                    let (y, w) = (self.targets[i], self.weights[i]);
                    if w == 0.0 {
                        z.fill(0.0);
                        *l = 0.0;
                        continue;
                    }
                    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let s: f64 = z.iter().map(|v| (v - m).exp()).sum();
                    let lse = m + s.ln();
                    *l = w * (lse - z[y]);
                    for (c, zc) in z.iter_mut().enumerate() {
                        *zc = w * ((*zc - lse).exp() - if c == y { 1.0 } else { 0.0 });
                    }
                }
            });

        // Backward, a range of features per task: each feature's gradient
        // summed over the bands in order, plus α θ. Each task zeroes its own
        // range first.
        grad.resize(dim * k + k, 0.0);
        let (grad_w, grad_b) = grad.split_at_mut(dim * k);
        grad_b.fill(0.0);
        let mut slices = Vec::with_capacity(self.tasks.len());
        let mut rest = grad_w;
        for t in &self.tasks {
            let (a, b) = rest.split_at_mut(t.len() * k);
            slices.push(a);
            rest = b;
        }
        let resid = &*resid;
        let regs: Vec<f64> = slices
            .into_par_iter()
            .zip(self.tasks.par_iter())
            .map(|(g, task)| {
                g.fill(0.0);
                for tile in &self.tiles {
                    let rb = &resid[tile.first * k..];
                    let from = tile
                        .features
                        .partition_point(|&j| (j as usize) < task.start);
                    for q in from..tile.features.len() {
                        let (j, rows, vals) = tile.column(q);
                        if j >= task.end {
                            break;
                        }
                        let gj = &mut g[(j - task.start) * k..][..k];
                        let mut acc = zero.clone();
                        let a = acc.as_mut();
                        a.copy_from_slice(gj);
                        for (&r, &v) in rows.iter().zip(vals) {
                            let r = &rb[r as usize * k..][..k];
                            for c in 0..k {
                                a[c] += v as f64 * r[c];
                            }
                        }
                        gj.copy_from_slice(a);
                    }
                }
                let mut reg = 0.0;
                for (gc, &tc) in g.iter_mut().zip(&w_th[task.start * k..task.end * k]) {
                    reg += tc * tc;
                    *gc += self.alpha * tc;
                }
                reg
            })
            .collect();

        // The sums over rows, in row order: the same on any number of threads.
        for r in resid.chunks_exact(k) {
            for (g, rc) in grad_b.iter_mut().zip(r) {
                *g += rc;
            }
        }
        losses.iter().sum::<f64>() + 0.5 * self.alpha * regs.iter().sum::<f64>()
    }
}

/// Elements per chunk of the solver's vector arithmetic: big enough to
/// amortise a rayon task, small enough to balance two to a few dozen
/// threads. Fixed, because a dot product's rounding depends on it.
const VECTOR_CHUNK: usize = 1 << 14;

/// `Σ a[i] b[i]`, chunk by chunk, the chunks' sums added in order.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let parts: Vec<f64> = a
        .par_chunks(VECTOR_CHUNK)
        .zip(b.par_chunks(VECTOR_CHUNK))
        .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x * y).sum())
        .collect();
    parts.iter().sum()
}

/// `x ← scale · x + a · y` (`y` may be absent), then `next · x` with the
/// new `x` (0 without `next`): one pass where two dependent ones would read
/// `x` twice.
fn update_dot(x: &mut [f64], scale: f64, a: f64, y: Option<&[f64]>, next: Option<&[f64]>) -> f64 {
    let parts: Vec<f64> = x
        .par_chunks_mut(VECTOR_CHUNK)
        .enumerate()
        .map(|(ci, xc)| {
            let span = ci * VECTOR_CHUNK..ci * VECTOR_CHUNK + xc.len();
            match y {
                Some(y) => xc
                    .iter_mut()
                    .zip(&y[span.clone()])
                    .for_each(|(x, y)| *x = scale * *x + a * y),
                None => xc.iter_mut().for_each(|x| *x *= scale),
            }
            next.map_or(0.0, |n| xc.iter().zip(&n[span]).map(|(x, n)| x * n).sum())
        })
        .collect();
    parts.iter().sum()
}

/// One remembered step: `s = x₊ − x`, `y = ∇₊ − ∇`, `ρ = 1 / yᵀs`.
struct Step {
    s: Vec<f64>,
    y: Vec<f64>,
    rho: f64,
}

/// Appends `step` to the history, dropping the oldest step beyond
/// `history` of them; returns the dropped one, whose buffers the next step
/// reuses.
fn remember(steps: &mut VecDeque<Step>, step: Step, history: usize) -> Option<Step> {
    steps.push_back(step);
    if steps.len() > history {
        steps.pop_front()
    } else {
        None
    }
}

/// How a minimisation ended.
struct Minimum {
    theta: Array1<f64>,
    cost: f64,
    iterations: u64,
    stopped: String,
}

/// L-BFGS as argmin's `LBFGS` runs it (the two-loop recursion over the last
/// `history` steps, the initial inverse Hessian `sᵀy / yᵀy` of the newest
/// step, argmin's More-Thuente line search from a unit step, and the same
/// three stopping rules: gradient norm, cost change, iteration count), with
/// the two-loop recursion written out.
///
/// Why not argmin's own: its recursion is generic over the vector type, so
/// every operation allocates a new vector, and every iteration recomputes
/// each remembered `yᵀs`; with 10 steps that is some 200 single-threaded
/// passes over 786,000-element vectors per iteration, 35–45 ms here, a third
/// of a pass over the ham/spam/scam data and as long as one over the
/// category data: 9 s of the 37 s the two default heads took. Written out,
/// the recursion works in place in about 80 passes, each a dot product
/// fused with the update before it, on all cores. The line search, the
/// delicate part, is still argmin's.
fn lbfgs(problem: &Problem, params: &ValidSoftmaxParams, tol_cost: f64) -> Result<Minimum> {
    let n = problem.dim * problem.k + problem.k;
    let lift = |e: argmin::core::Error| Error::training(format!("L-BFGS: {e}"));
    let mut x = Array1::<f64>::zeros(n);
    let (mut cost, mut grad) = problem.cost_and_gradient(&x).map_err(lift)?;
    let mut prev_cost = f64::INFINITY;
    let mut steps: VecDeque<Step> = Default::default();
    let mut spare: Option<Step> = None;
    let mut gamma = 1.0;
    let mut iterations = 0;
    let stopped = loop {
        let g = grad.as_slice().expect("contiguous");
        if dot(g, g).sqrt() < params.gradient_tolerance || (prev_cost - cost).abs() < tol_cost {
            break argmin::core::TerminationReason::SolverConverged
                .text()
                .to_string();
        }
        if iterations >= params.max_iterations {
            break argmin::core::TerminationReason::MaxItersReached
                .text()
                .to_string();
        }

        // Two-loop recursion: q ← H g, newest step first, then oldest first.
        let mut q = copied(g);
        let h = steps.len();
        let mut alpha = vec![0.0; h];
        let mut sq = steps.back().map_or(0.0, |st| dot(&st.s, &q));
        for i in (0..h).rev() {
            alpha[i] = steps[i].rho * sq;
            let next = i.checked_sub(1).map(|p| steps[p].s.as_slice());
            sq = update_dot(&mut q, 1.0, -alpha[i], Some(&steps[i].y), next);
        }
        let mut yq = update_dot(
            &mut q,
            gamma,
            0.0,
            None,
            steps.front().map(|st| st.y.as_slice()),
        );
        for i in 0..h {
            let beta = steps[i].rho * yq;
            let next = steps.get(i + 1).map(|st| st.y.as_slice());
            yq = update_dot(&mut q, 1.0, alpha[i] - beta, Some(&steps[i].s), next);
        }
        q.par_iter_mut().for_each(|v| *v = -*v);

        let mut search = MoreThuenteLineSearch::new();
        search.search_direction(Array1::from_vec(q));
        let found = Executor::new(problem, search)
            .configure(|s| {
                // Copies in parallel: the line search keeps its own.
                s.param(Array1::from_vec(copied(x.as_slice().expect("contiguous"))))
                    .gradient(Array1::from_vec(copied(g)))
                    .cost(cost)
            })
            .ctrlc(false)
            .run();
        let mut found = match found {
            Ok(r) => r,
            // What argmin's L-BFGS does: stop, keeping the last point.
            Err(e) => break format!("Line search terminated with: '{e}'"),
        };
        let x_new = found
            .state
            .take_param()
            .expect("the line search returns its point");
        let cost_new = found.state.get_cost();
        // The line search ends with the gradient at its point (asked of
        // `problem`, so checked finite); evaluating again would only copy it.
        let grad_new = match found.state.take_gradient() {
            Some(g) => g,
            None => problem.cost_and_gradient(&x_new).map_err(lift)?.1,
        };

        // The step goes into spare buffers (those of the step last dropped
        // from the history, once there is one): the oldest step is dropped
        // only when this one is remembered, so that a step not remembered
        // does not cost the history one.
        let mut step = spare.take().unwrap_or_else(|| Step {
            s: vec![0.0; n],
            y: vec![0.0; n],
            rho: 0.0,
        });
        let (xs, xn) = (
            x.as_slice().expect("contiguous"),
            x_new.as_slice().expect("contiguous"),
        );
        let gn = grad_new.as_slice().expect("contiguous");
        let sums: Vec<(f64, f64)> = step
            .s
            .par_chunks_mut(VECTOR_CHUNK)
            .zip(step.y.par_chunks_mut(VECTOR_CHUNK))
            .enumerate()
            .map(|(ci, (sc, yc))| {
                let o = ci * VECTOR_CHUNK;
                let (mut ys, mut yy) = (0.0, 0.0);
                for (t, (s, y)) in sc.iter_mut().zip(yc.iter_mut()).enumerate() {
                    *s = xn[o + t] - xs[o + t];
                    *y = gn[o + t] - g[o + t];
                    ys += *y * *s;
                    yy += *y * *y;
                }
                (ys, yy)
            })
            .collect();
        let (ys, yy) = sums
            .iter()
            .fold((0.0, 0.0), |(a, b), (c, d)| (a + c, b + d));
        // A step without positive curvature (the line search stopped short
        // of the Wolfe conditions) would make H indefinite: not remembered.
        spare = if ys > 0.0 {
            step.rho = 1.0 / ys;
            gamma = ys / yy;
            remember(&mut steps, step, params.history)
        } else {
            Some(step)
        };
        (x, prev_cost, cost, grad) = (x_new, cost, cost_new, grad_new);
        iterations += 1;
    };
    Ok(Minimum {
        theta: x,
        cost,
        iterations,
        stopped,
    })
}

impl CostFunction for &Problem<'_> {
    type Param = Array1<f64>;
    type Output = f64;

    fn cost(&self, p: &Array1<f64>) -> std::result::Result<f64, argmin::core::Error> {
        self.evaluate(p, false).map(|e| e.0)
    }
}

/// The error for a point where the cost or the gradient is not finite.
///
/// argmin's More-Thuente line search never ends once it sees a NaN (the
/// calibration objective hung that way); an error ends the fit with a
/// message instead. Overflow needs weights near 1e154, so on sane data this
/// never happens, but a hostile or broken dataset (huge sample weights) must
/// not hang the trainer.
fn not_finite() -> argmin::core::Error {
    argmin::core::Error::msg(
        "the objective is not finite at a point the line search tried (are the sample weights or features huge?)",
    )
}

impl Gradient for &Problem<'_> {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;

    fn gradient(&self, p: &Array1<f64>) -> std::result::Result<Array1<f64>, argmin::core::Error> {
        self.cost_and_gradient(p).map(|e| e.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logits_are_the_row_by_row_sums_bit_for_bit() {
        // The chunked paths (the label and category heads' class counts, 3
        // and 12) and the general one against the plain sum, over
        // more non-zeros than a chunk holds and indices that fold.
        let mut rng = fastrand::Rng::with_seed(7);
        for k in [1, 3, 5, 12] {
            let dim = 64;
            let weights = Array2::from_shape_fn((dim, k), |_| rng.f32() * 2.0 - 1.0);
            let m = SoftmaxRegression {
                intercept: Array1::from_shape_fn(k, |_| rng.f32()),
                weights,
            };
            for nnz in [0, 1, 31, 32, 33, 100] {
                let mut indices: Vec<u32> = (0..4 * dim as u32).collect();
                rng.shuffle(&mut indices);
                indices.truncate(nnz);
                indices.sort_unstable();
                let values: Vec<f32> = (0..nnz).map(|_| rng.f32()).collect();
                let mut x = SparseVector { indices, values };
                if nnz == 33 {
                    // More values than indices: the extra ones are ignored.
                    x.values.extend([1.0; 5]);
                }
                let mut want = m.intercept.to_vec();
                for (j, v) in x.iter() {
                    for (c, o) in want.iter_mut().enumerate() {
                        *o += v * m.weights[[j % dim, c]];
                    }
                }
                let mut got = vec![0.0; k];
                m.logits(&x, &mut got);
                assert_eq!(got, want, "{k} classes, {nnz} non-zeros");
            }
        }
    }

    fn toy() -> DatasetBase<SparseRows, Array1<usize>> {
        let x = ndarray::array![
            [1.0, 0.0, 0.2],
            [0.9, 0.1, 0.0],
            [0.0, 1.0, 0.1],
            [0.1, 0.8, 0.0],
            [0.0, 0.1, 1.0],
            [0.2, 0.0, 0.9]
        ];
        DatasetBase::new(
            SparseRows::from_dense(&x),
            ndarray::array![0, 0, 1, 1, 2, 2],
        )
    }

    /// A random sparse problem: `n` rows of about 8 features among `dim`,
    /// `k` classes, uneven sample weights (some zero).
    fn random_problem(n: usize, dim: usize, k: usize) -> (SparseRows, Vec<usize>, Vec<f64>) {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut rows = SparseRows::with_dim(dim);
        let (mut y, mut w) = (Vec::new(), Vec::new());
        for _ in 0..n {
            let mut idx: Vec<u32> = (0..8).map(|_| (next() % dim as u64) as u32).collect();
            idx.sort_unstable();
            idx.dedup();
            let values = idx
                .iter()
                .map(|_| (next() % 1000) as f32 / 500.0 - 0.7)
                .collect();
            rows.push(&SparseVector {
                indices: idx,
                values,
            })
            .unwrap();
            y.push((next() % k as u64) as usize);
            w.push([0.0, 0.5, 1.0, 2.5][(next() % 4) as usize]);
        }
        (rows, y, w)
    }

    /// The objective computed the plain way, row by row, for reference.
    fn reference(
        x: &SparseRows,
        y: &[usize],
        w: &[f64],
        k: usize,
        alpha: f64,
        th: &[f64],
    ) -> (f64, Vec<f64>) {
        let dim = x.nfeatures();
        let mut grad = vec![0.0; th.len()];
        let mut loss = 0.0;
        for (i, (idx, val)) in x.iter().enumerate() {
            let mut z = th[dim * k..].to_vec();
            for (&j, &v) in idx.iter().zip(val) {
                for c in 0..k {
                    z[c] += v as f64 * th[j as usize * k + c];
                }
            }
            let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lse = m + z.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
            loss += w[i] * (lse - z[y[i]]);
            for c in 0..k {
                let r = w[i] * ((z[c] - lse).exp() - if c == y[i] { 1.0 } else { 0.0 });
                for (&j, &v) in idx.iter().zip(val) {
                    grad[j as usize * k + c] += v as f64 * r;
                }
                grad[dim * k + c] += r;
            }
        }
        for (g, t) in grad[..dim * k].iter_mut().zip(&th[..dim * k]) {
            loss += 0.5 * alpha * t * t;
            *g += alpha * t;
        }
        (loss, grad)
    }

    #[test]
    fn the_banded_pass_matches_the_row_by_row_objective() {
        // 2, 3 and 12 classes take specialised paths, 5 the general one.
        for k in [2, 3, 5, 12] {
            let (x, y, w) = random_problem(700, 97, k);
            let p = Problem::new(&x, &y, &w, k, 0.3);
            let th: Vec<f64> = (0..97 * k + k).map(|i| (i as f64 * 0.61).sin()).collect();
            let (loss, grad) = p.cost_and_gradient(&Array1::from(th.clone())).unwrap();
            let (l_ref, g_ref) = reference(&x, &y, &w, k, 0.3, &th);
            assert!(
                (loss - l_ref).abs() <= 1e-12 * l_ref.abs(),
                "k {k}: {loss} vs {l_ref}"
            );
            for (i, (a, b)) in grad.iter().zip(&g_ref).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-12 * (1.0 + b.abs()),
                    "k {k}, param {i}: {a} vs {b}"
                );
            }
            // The general path gives the same numbers as a specialised one.
            let (l_gen, g_gen) = p.pass(&th, vec![0.0; k]);
            assert_eq!(l_gen.to_bits(), loss.to_bits(), "k {k}");
            assert!(g_gen
                .iter()
                .zip(grad.iter())
                .all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }

    #[test]
    fn the_pass_is_the_same_on_any_number_of_threads() {
        // The bands depend on the number of threads; the sums must not.
        let (x, y, w) = random_problem(3000, 211, 3);
        let th: Vec<f64> = (0..211 * 3 + 3).map(|i| (i as f64 * 0.23).cos()).collect();
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    let p = Problem::new(&x, &y, &w, 3, 0.1);
                    assert!(p.tiles.len() >= 2 * threads, "{} tiles", p.tiles.len());
                    p.pass(&th, [0.0; 3])
                })
        };
        let (l1, g1) = run(1);
        for threads in [2, 3, 7] {
            let (l, g) = run(threads);
            assert_eq!(l.to_bits(), l1.to_bits(), "{threads} threads");
            assert!(
                g.iter().zip(&g1).all(|(a, b)| a.to_bits() == b.to_bits()),
                "{threads} threads"
            );
        }
    }

    #[test]
    fn evaluations_reusing_buffers_match_fresh_ones() {
        // A quarter of random_problem's rows have zero weight: nothing of
        // one point's losses, residuals or gradient may leak into the next.
        let (x, y, w) = random_problem(900, 53, 3);
        let at = |s: f64| Array1::from_iter((0..53 * 3 + 3).map(|i| (i as f64 * s).sin()));
        let (a, b) = (at(0.41), at(0.77));
        let reused = Problem::new(&x, &y, &w, 3, 0.2);
        for th in [&a, &b, &a] {
            let (c, g) = reused.cost_and_gradient(th).unwrap();
            let fresh = Problem::new(&x, &y, &w, 3, 0.2);
            let (c0, g0) = fresh.cost_and_gradient(th).unwrap();
            assert_eq!(c.to_bits(), c0.to_bits());
            assert!(g.iter().zip(&g0).all(|(p, q)| p.to_bits() == q.to_bits()));
            // The same point again is answered from the cache.
            assert_eq!((&reused).cost(th).unwrap().to_bits(), c.to_bits());
        }
        assert_eq!(reused.evaluations(), 3);
    }

    #[test]
    fn the_history_keeps_its_newest_steps() {
        let step = |rho: f64| Step {
            s: vec![rho],
            y: vec![rho],
            rho,
        };
        let mut steps = VecDeque::new();
        assert!(remember(&mut steps, step(1.0), 2).is_none());
        assert!(remember(&mut steps, step(2.0), 2).is_none());
        // Full: the oldest goes, and only then.
        let dropped = remember(&mut steps, step(3.0), 2).expect("the oldest");
        assert_eq!(dropped.rho, 1.0);
        assert_eq!(steps.iter().map(|s| s.rho).collect::<Vec<_>>(), [2.0, 3.0]);
    }

    #[test]
    fn a_non_finite_objective_is_an_error_not_a_nan() {
        let ds = toy();
        let weights = vec![1.0; 6];
        let problem = Problem::new(
            &ds.records,
            ds.targets.as_slice().unwrap(),
            &weights,
            3,
            0.01,
        );
        let mut theta = Array1::<f64>::zeros(12);
        assert!((&problem).cost(&theta).unwrap().is_finite());
        // Where a line search may wander: logits overflow to infinity.
        theta[0] = f64::MAX;
        theta[1] = -f64::MAX;
        assert!((&problem).cost(&theta).is_err());
        assert!((&problem).gradient(&theta).is_err());
    }

    #[test]
    fn learns_a_separable_toy_problem() {
        let model = SoftmaxParams::new(3).alpha(0.01).fit(&toy()).unwrap();
        let ds = toy();
        for ((idx, val), &y) in ds.records.iter().zip(ds.targets.iter()) {
            let row = SparseVector {
                indices: idx.to_vec(),
                values: val.to_vec(),
            };
            let p = model.probabilities(&row);
            let best = (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
            assert_eq!(best, y, "{p:?}");
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let ds = toy();
        let w = vec![1.0, 2.0, 0.5, 1.0, 1.0, 1.0];
        let p = Problem::new(&ds.records, ds.targets.as_slice().unwrap(), &w, 3, 0.3);
        let theta = Array1::from_iter((0..12).map(|i| (i as f64 * 0.37).sin()));
        let (_, g) = p.cost_and_gradient(&theta).unwrap();
        for i in 0..12 {
            let mut a = theta.clone();
            let mut b = theta.clone();
            a[i] += 1e-6;
            b[i] -= 1e-6;
            let fd = ((&p).cost(&a).unwrap() - (&p).cost(&b).unwrap()) / 2e-6;
            assert!(
                (fd - g[i]).abs() < 1e-5,
                "param {i}: fd {fd} vs grad {}",
                g[i]
            );
        }
    }

    #[test]
    fn rejects_bad_targets_and_empty_data() {
        let mut ds = toy();
        ds.targets[0] = 7;
        assert!(SoftmaxParams::new(3).fit(&ds).is_err());
        let short_weights = toy().with_weights(Array1::from_elem(2, 1.0f32));
        let err = SoftmaxParams::new(3)
            .fit(&short_weights)
            .unwrap_err()
            .to_string();
        assert!(err.contains("2 sample weights for 6 rows"), "{err}");
        let empty = DatasetBase::new(SparseRows::default(), Array1::<usize>::zeros(0));
        assert!(SoftmaxParams::new(3).fit(&empty).is_err());
    }
}
