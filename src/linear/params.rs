//! The fit's hyperparameters: [`SoftmaxParams`] as set, [`ValidSoftmaxParams`]
//! once linfa's `ParamGuard` has checked them.

use crate::error::{Error, Result};
use linfa::ParamGuard;

/// Unchecked hyperparameters of [`SoftmaxRegression`](super::SoftmaxRegression).
/// Check them with [`ParamGuard::check`], or call `fit` directly (linfa
/// checks them then).
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
    pub(super) n_classes: usize,
    pub(super) alpha: f64,
    pub(super) max_iterations: u64,
    pub(super) gradient_tolerance: f64,
    pub(super) cost_tolerance: f64,
    pub(super) history: usize,
    /// Sets of classes a target may stand for (bit `c` of an entry is class
    /// `c`): target `n_classes + s` is set `s`. See [`SoftmaxParams::label_sets`].
    #[serde(default)]
    pub(super) label_sets: Vec<u32>,
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
            label_sets: Vec::new(),
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

    /// Partial labels: sets of classes a row may be known to belong to
    /// without knowing which. Target `n_classes + s` stands for `sets[s]`,
    /// and its row's loss is that of the set, `−log Σ_{c ∈ set} p(c)`: the
    /// row pushes probability into the set and leaves its split to the rows
    /// that know. Each set names at least two classes.
    ///
    /// For corpora that label everything unwanted "spam": their rows say
    /// "spam or scam", and the scam-against-marketing boundary is learned
    /// from the sources that tell the two apart.
    ///
    /// # Example
    ///
    /// ```
    /// use linfa::ParamGuard;
    /// use scamscan::linear::SoftmaxParams;
    /// let p = SoftmaxParams::new(3).label_sets(vec![vec![1, 2]]).check()?;
    /// assert_eq!(p.label_sets(), [vec![1, 2]]);
    /// assert!(SoftmaxParams::new(3).label_sets(vec![vec![2]]).check().is_err());
    /// assert!(SoftmaxParams::new(3).label_sets(vec![vec![1, 3]]).check().is_err());
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn label_sets(mut self, sets: Vec<Vec<usize>>) -> Self {
        self.0.label_sets = sets
            .iter()
            .map(|set| {
                set.iter().fold(0u32, |mask, &c| {
                    // A class past the mask's width makes the set invalid:
                    // the check refuses a mask with the top bit, set here.
                    mask | if c < 31 { 1 << c } else { 1 << 31 }
                })
            })
            .collect();
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

    /// The partial-label sets, each a sorted list of classes.
    ///
    /// # Example
    ///
    /// ```
    /// use linfa::ParamGuard;
    /// assert!(scamscan::linear::SoftmaxParams::new(3).check()?.label_sets().is_empty());
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn label_sets(&self) -> Vec<Vec<usize>> {
        self.label_sets
            .iter()
            .map(|&m| (0..32).filter(|c| m >> c & 1 == 1).collect())
            .collect()
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
        for (s, &mask) in p.label_sets.iter().enumerate() {
            let beyond = p.n_classes >= 31 || mask >> p.n_classes != 0;
            if beyond || mask.count_ones() < 2 {
                return Err(Error::invalid(format!(
                    "label set {s} must name at least two of the {} classes (at most 31)",
                    p.n_classes
                )));
            }
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
