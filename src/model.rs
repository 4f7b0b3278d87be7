//! Stage 4 of the pipeline: the **linear model**.
//!
//! Multinomial logistic regression on sparse rows, minimised with argmin's
//! L-BFGS (the solver linfa-logistic uses internally), exposed as a linfa
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
use crate::featurize::SparseVector;
use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use linfa::dataset::{DatasetBase, Records};
use linfa::traits::{Fit, PredictInplace};
use linfa::ParamGuard;
use ndarray::{Array1, Array2};
use rayon::prelude::*;
use std::sync::Mutex;

/// Rows of sparse feature vectors: the records type of our linfa datasets.
///
/// The dimension is stored with the rows because sparse rows do not reveal
/// it, and linfa asks every record type for its number of features.
///
/// # Example
///
/// ```
/// use linfa::dataset::Records;
/// use scamscan::{featurize::SparseVector, model::SparseRows};
/// let rows = SparseRows::new(vec![SparseVector { indices: vec![0, 3], values: vec![1.0, 2.0] }], 4)?;
/// assert_eq!((rows.nsamples(), rows.nfeatures()), (1, 4));
/// # Ok::<(), scamscan::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct SparseRows {
    rows: Vec<SparseVector>,
    dim: usize,
}

impl SparseRows {
    /// Wraps rows whose indices are all below `dim`.
    ///
    /// Checked here, once, so that fitting can index its weights without a
    /// bounds check per feature.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{featurize::SparseVector, model::SparseRows};
    /// let row = SparseVector { indices: vec![9], values: vec![1.0] };
    /// assert!(SparseRows::new(vec![row.clone()], 10).is_ok());
    /// assert!(SparseRows::new(vec![row], 9).is_err());
    /// ```
    pub fn new(rows: Vec<SparseVector>, dim: usize) -> Result<Self> {
        if let Some(bad) = rows
            .iter()
            .position(|r| r.indices.iter().any(|&i| i as usize >= dim))
        {
            return Err(Error::invalid(format!(
                "row {bad} has an index >= dimension {dim}"
            )));
        }
        Ok(SparseRows { rows, dim })
    }

    /// The rows.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{featurize::SparseVector, model::SparseRows};
    /// let rows = SparseRows::new(vec![SparseVector::default(); 3], 8)?;
    /// assert_eq!(rows.rows().len(), 3);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn rows(&self) -> &[SparseVector] {
        &self.rows
    }

    /// Builds sparse rows from a dense matrix (zeros dropped).
    ///
    /// For tests and for comparing with linfa's dense models on small problems.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::model::SparseRows;
    /// let rows = SparseRows::from_dense(&ndarray::array![[0.0, 2.0, 0.0], [1.0, 0.0, 0.0]]);
    /// assert_eq!(rows.rows()[0].indices, [1]);
    /// assert_eq!(rows.rows()[1].values, [1.0]);
    /// ```
    pub fn from_dense(x: &Array2<f64>) -> Self {
        let rows = x
            .outer_iter()
            .map(|r| {
                let mut v = SparseVector::default();
                for (j, &x) in r.iter().enumerate() {
                    if x != 0.0 {
                        v.indices.push(j as u32);
                        v.values.push(x as f32);
                    }
                }
                v
            })
            .collect();
        SparseRows {
            rows,
            dim: x.ncols(),
        }
    }
}

impl Records for SparseRows {
    type Elem = f32;

    fn nsamples(&self) -> usize {
        self.rows.len()
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
/// use scamscan::model::SoftmaxParams;
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
/// use scamscan::model::{SoftmaxParams, ValidSoftmaxParams};
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
    history: usize,
}

impl SoftmaxParams {
    /// Defaults for `n_classes` classes: α = 1, 200 iterations, gradient tolerance 1e-5.
    ///
    /// # Example
    ///
    /// ```
    /// use linfa::ParamGuard;
    /// let p = scamscan::model::SoftmaxParams::new(3).check()?;
    /// assert_eq!((p.n_classes(), p.alpha(), p.max_iterations()), (3, 1.0, 200));
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn new(n_classes: usize) -> Self {
        SoftmaxParams(ValidSoftmaxParams {
            n_classes,
            alpha: 1.0,
            max_iterations: 200,
            gradient_tolerance: 1e-5,
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
    /// use scamscan::model::SoftmaxParams;
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
    /// use scamscan::model::SoftmaxParams;
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
    /// use scamscan::model::SoftmaxParams;
    /// assert!(SoftmaxParams::new(3).gradient_tolerance(1e-6).check().is_ok());
    /// assert!(SoftmaxParams::new(3).gradient_tolerance(0.0).check().is_err());
    /// ```
    pub fn gradient_tolerance(mut self, tol: f64) -> Self {
        self.0.gradient_tolerance = tol;
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
    /// assert_eq!(scamscan::model::SoftmaxParams::new(12).check()?.n_classes(), 12);
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
    /// assert_eq!(scamscan::model::SoftmaxParams::new(3).check()?.alpha(), 1.0);
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
    /// assert_eq!(scamscan::model::SoftmaxParams::new(3).check()?.max_iterations(), 200);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn max_iterations(&self) -> u64 {
        self.max_iterations
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
/// use scamscan::{featurize::SparseVector, model::SoftmaxRegression};
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
    /// let m = scamscan::model::SoftmaxRegression { weights: Array2::zeros((8, 3)), intercept: Array1::zeros(3) };
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
    /// let m = scamscan::model::SoftmaxRegression { weights: Array2::zeros((8, 3)), intercept: Array1::zeros(3) };
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
    /// use scamscan::{featurize::SparseVector, model::SoftmaxRegression};
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
        for (j, v) in x.iter() {
            let j = fold(j);
            let row = &w[j * k..j * k + k];
            for c in 0..k {
                out[c] += v * row[c];
            }
        }
    }

    /// Class probabilities of one row; they sum to 1.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{Array1, Array2};
    /// use scamscan::{featurize::SparseVector, model::SoftmaxRegression};
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

/// Replaces logits by their softmax.
///
/// The largest logit is subtracted first, so that large logits do not
/// overflow `exp` into infinities.
///
/// # Example
///
/// ```
/// let mut z = [1000.0, 1000.0];
/// scamscan::model::softmax_in_place(&mut z);
/// assert_eq!(z, [0.5, 0.5]);
/// ```
pub fn softmax_in_place(z: &mut [f32]) {
    let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut s = 0.0;
    for v in z.iter_mut() {
        *v = (*v - m).exp();
        s += *v;
    }
    for v in z.iter_mut() {
        *v /= s;
    }
}

impl Fit<SparseRows, Array1<usize>, Error> for ValidSoftmaxParams {
    type Object = SoftmaxRegression;

    fn fit(&self, ds: &DatasetBase<SparseRows, Array1<usize>>) -> Result<SoftmaxRegression> {
        let n = ds.records.nsamples();
        if n == 0 {
            return Err(Error::training("no training rows"));
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
        let problem = Problem {
            rows: ds.records.rows(),
            targets: ds.targets.as_slice().expect("contiguous targets"),
            weights: &weights,
            k,
            dim: ds.records.nfeatures(),
            alpha: self.alpha,
            cache: Mutex::new(None),
        };
        let solver = LBFGS::new(MoreThuenteLineSearch::new(), self.history)
            .with_tolerance_grad(self.gradient_tolerance)
            .map_err(|e| Error::training(e.to_string()))?
            .with_tolerance_cost(1e-9)
            .map_err(|e| Error::training(e.to_string()))?;
        let init = Array1::<f64>::zeros(problem.dim * k + k);
        let res = Executor::new(problem, solver)
            .configure(|s| s.param(init.clone()).max_iters(self.max_iterations))
            .run()
            .map_err(|e| Error::training(format!("L-BFGS: {e}")))?;
        let theta = res.state().get_best_param().cloned().unwrap_or(init);
        let dim = ds.records.nfeatures();
        let w = Array2::from_shape_vec(
            (dim, k),
            theta.iter().take(dim * k).map(|&x| x as f32).collect(),
        )
        .map_err(|e| Error::training(e.to_string()))?;
        let b = Array1::from_iter(theta.iter().skip(dim * k).map(|&x| x as f32));
        Ok(SoftmaxRegression {
            weights: w,
            intercept: b,
        })
    }
}

/// Predicts class probabilities, one row of `n_classes` per record.
impl PredictInplace<SparseRows, Array2<f64>> for SoftmaxRegression {
    fn predict_inplace(&self, x: &SparseRows, y: &mut Array2<f64>) {
        assert_eq!(y.nrows(), x.nsamples(), "one output row per record");
        for (row, mut out) in x.rows().iter().zip(y.outer_iter_mut()) {
            for (o, p) in out.iter_mut().zip(self.probabilities(row)) {
                *o = p as f64;
            }
        }
    }

    fn default_target(&self, x: &SparseRows) -> Array2<f64> {
        Array2::zeros((x.nsamples(), self.n_classes()))
    }
}

/// The objective, with a one-entry cache: L-BFGS's line search asks for the
/// cost and the gradient at the same point, and one pass over the data gives both.
struct Problem<'a> {
    rows: &'a [SparseVector],
    targets: &'a [usize],
    weights: &'a [f64],
    k: usize,
    dim: usize,
    alpha: f64,
    cache: Mutex<Option<Evaluation>>,
}

/// A point, the cost there, and the gradient there.
type Evaluation = (Array1<f64>, f64, Array1<f64>);

/// Fixed number of chunks, so the summation order (and the model) does not
/// depend on how many threads rayon has.
const CHUNKS: usize = 4;

impl Problem<'_> {
    fn evaluate(&self, theta: &Array1<f64>) -> (f64, Array1<f64>) {
        if let Some((p, c, g)) = self.cache.lock().expect("cache lock").as_ref() {
            if p == theta {
                return (*c, g.clone());
            }
        }
        let (k, dim) = (self.k, self.dim);
        let th = theta.as_slice().expect("contiguous");
        let n = self.rows.len();
        let chunk = n.div_ceil(CHUNKS).max(1);
        let parts: Vec<(f64, Vec<f64>)> = (0..n.div_ceil(chunk))
            .into_par_iter()
            .map(|ci| {
                let mut grad = vec![0.0f64; dim * k + k];
                let mut loss = 0.0;
                let mut z = vec![0.0f64; k];
                for i in ci * chunk..((ci + 1) * chunk).min(n) {
                    let (x, y, w) = (&self.rows[i], self.targets[i], self.weights[i]);
                    if w == 0.0 {
                        continue;
                    }
                    z.copy_from_slice(&th[dim * k..]);
                    for (j, v) in x.iter() {
                        for c in 0..k {
                            z[c] += v as f64 * th[j * k + c];
                        }
                    }
                    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let s: f64 = z.iter().map(|v| (v - m).exp()).sum();
                    let lse = m + s.ln();
                    loss += w * (lse - z[y]);
                    for (c, zc) in z.iter_mut().enumerate() {
                        *zc = w * ((*zc - lse).exp() - if c == y { 1.0 } else { 0.0 });
                    }
                    for (j, v) in x.iter() {
                        for c in 0..k {
                            grad[j * k + c] += v as f64 * z[c];
                        }
                    }
                    for c in 0..k {
                        grad[dim * k + c] += z[c];
                    }
                }
                (loss, grad)
            })
            .collect();
        let mut loss = 0.0;
        let mut grad = vec![0.0f64; dim * k + k];
        for (l, g) in parts {
            loss += l;
            for (a, b) in grad.iter_mut().zip(g) {
                *a += b;
            }
        }
        let mut reg = 0.0;
        for (g, &t) in grad[..dim * k].iter_mut().zip(&th[..dim * k]) {
            reg += t * t;
            *g += self.alpha * t;
        }
        loss += 0.5 * self.alpha * reg;
        let grad = Array1::from_vec(grad);
        *self.cache.lock().expect("cache lock") = Some((theta.clone(), loss, grad.clone()));
        (loss, grad)
    }
}

impl CostFunction for Problem<'_> {
    type Param = Array1<f64>;
    type Output = f64;

    fn cost(&self, p: &Array1<f64>) -> std::result::Result<f64, argmin::core::Error> {
        finite(self.evaluate(p)).map(|e| e.0)
    }
}

/// Refuses a non-finite cost or gradient.
///
/// argmin's More-Thuente line search never ends once it sees a NaN (the
/// calibration objective hung that way); an error ends the fit with a
/// message instead. Overflow needs weights near 1e154, so on sane data this
/// never fires, but a hostile or broken dataset (huge sample weights) must
/// not hang the trainer.
fn finite(e: (f64, Array1<f64>)) -> std::result::Result<(f64, Array1<f64>), argmin::core::Error> {
    if e.0.is_finite() && e.1.iter().all(|g| g.is_finite()) {
        Ok(e)
    } else {
        Err(argmin::core::Error::msg(
            "the objective is not finite at a point the line search tried (are the sample weights or features huge?)",
        ))
    }
}

impl Gradient for Problem<'_> {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;

    fn gradient(&self, p: &Array1<f64>) -> std::result::Result<Array1<f64>, argmin::core::Error> {
        finite(self.evaluate(p)).map(|e| e.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_non_finite_objective_is_an_error_not_a_nan() {
        let ds = toy();
        let weights = vec![1.0; 6];
        let problem = Problem {
            rows: ds.records.rows(),
            targets: ds.targets.as_slice().unwrap(),
            weights: &weights,
            k: 3,
            dim: 3,
            alpha: 0.01,
            cache: Mutex::new(None),
        };
        let mut theta = Array1::<f64>::zeros(12);
        assert!(problem.cost(&theta).unwrap().is_finite());
        // Where a line search may wander: logits overflow to infinity.
        theta[0] = f64::MAX;
        theta[1] = -f64::MAX;
        assert!(problem.cost(&theta).is_err());
        assert!(problem.gradient(&theta).is_err());
    }

    #[test]
    fn learns_a_separable_toy_problem() {
        let model = SoftmaxParams::new(3).alpha(0.01).fit(&toy()).unwrap();
        let ds = toy();
        for (row, &y) in ds.records.rows().iter().zip(ds.targets.iter()) {
            let p = model.probabilities(row);
            let best = (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
            assert_eq!(best, y, "{p:?}");
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let ds = toy();
        let w = vec![1.0, 2.0, 0.5, 1.0, 1.0, 1.0];
        let p = Problem {
            rows: ds.records.rows(),
            targets: ds.targets.as_slice().unwrap(),
            weights: &w,
            k: 3,
            dim: 3,
            alpha: 0.3,
            cache: Mutex::new(None),
        };
        let theta = Array1::from_iter((0..12).map(|i| (i as f64 * 0.37).sin()));
        let (_, g) = p.evaluate(&theta);
        for i in 0..12 {
            let mut a = theta.clone();
            let mut b = theta.clone();
            a[i] += 1e-6;
            b[i] -= 1e-6;
            let fd = (p.evaluate(&a).0 - p.evaluate(&b).0) / 2e-6;
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
