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

mod sparse_rows;
mod params;
mod vector;
mod objective;
mod lbfgs;
mod fisher;

use crate::error::{Error, Result};
use crate::math::softmax_in_place;
use crate::sparse::SparseVector;
use lbfgs::lbfgs;
use linfa::dataset::{DatasetBase, Records};
use linfa::traits::{Fit, PredictInplace};
use ndarray::{Array1, Array2};
use objective::Problem;
use std::time::Instant;

pub use fisher::{Fisher, fisher_diagonal};
pub use params::{SoftmaxParams, ValidSoftmaxParams};
pub use sparse_rows::SparseRows;

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
        let targets = k + self.label_sets.len();
        if let Some(&bad) = ds.targets.iter().find(|&&y| y >= targets) {
            return Err(Error::training(format!(
                "target {bad} out of range for {k} classes and {} label sets",
                self.label_sets.len()
            )));
        }
        let weights: Vec<f64> = match ds.weights() {
            Some(w) if w.len() == n => w.iter().map(|&x| x as f64).collect(),
            Some(w) => {
                return Err(Error::training(format!(
                    "{} sample weights for {n} rows",
                    w.len()
                )));
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
        )
        .with_label_sets(&self.label_sets);
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

    pub(super) fn toy() -> DatasetBase<SparseRows, Array1<usize>> {
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
