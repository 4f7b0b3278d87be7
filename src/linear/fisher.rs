//! The diagonal of a fitted head's Fisher information on its training rows:
//! how firmly the data pinned each weight down. `learn` turns it into the
//! per-weight precision of its prior, so that feedback moves the weights
//! the corpora decided little about and leaves the others where they are.

use super::{SoftmaxRegression, SparseRows};
use crate::math::softmax_in_place;
use rayon::prelude::*;

/// The diagonal of the Fisher information (equally, of the Gauss-Newton
/// Hessian of the weighted log-loss) of a [`SoftmaxRegression`] at its
/// weights, over the rows it was fitted on.
///
/// For weight `(j, c)` the diagonal is `Σᵢ wᵢ pᵢc (1 − pᵢc) xᵢⱼ²`; one value
/// per feature is kept, the mean over the classes, so that a model file
/// stores one precision per feature rather than one per weight.
///
/// # Example
///
/// ```
/// use ndarray::{array, Array1};
/// use scamscan::linear::{fisher_diagonal, SoftmaxRegression, SparseRows};
/// let rows = SparseRows::from_dense(&array![[1.0, 0.0], [1.0, 0.0], [0.5, 0.0]]);
/// let head = SoftmaxRegression { weights: array![[0.0, 0.0], [0.0, 0.0]], intercept: Array1::zeros(2) };
/// let f = fisher_diagonal(&head, &rows, &[1.0, 1.0, 2.0]);
/// // p = 1/2 everywhere: p (1 − p) = 1/4, times w x²: 1/4 + 1/4 + 2/16.
/// assert!((f.features[0] - 0.625).abs() < 1e-12);
/// assert_eq!(f.features[1], 0.0); // never seen: the data says nothing about it
/// assert!((f.intercept[0] - 1.0).abs() < 1e-12); // Σ w p (1 − p)
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Fisher {
    /// One value per feature: the class mean of the diagonal.
    pub features: Vec<f64>,
    /// One value per class: the diagonal at that class's intercept.
    pub intercept: Vec<f64>,
}

/// Computes [`Fisher`] for `head` on `rows` (one sample weight per row).
///
/// Deterministic: the per-row factors are computed in parallel, the sums
/// are taken in row order.
///
/// # Panics
///
/// When `weights` does not have one entry per row, or a row has an index
/// beyond `head`'s dimension: both are bugs of the caller, which fitted
/// `head` on these rows.
pub fn fisher_diagonal(head: &SoftmaxRegression, rows: &SparseRows, weights: &[f64]) -> Fisher {
    use linfa::dataset::Records;
    assert_eq!(weights.len(), rows.nsamples(), "one weight per row");
    let k = head.n_classes();
    let w = head.weights.as_slice().expect("standard layout");
    let b = head.intercept.as_slice().expect("contiguous");
    // Per row: w p_c (1 − p_c) for each class.
    let factors: Vec<Vec<f64>> = (0..rows.nsamples())
        .into_par_iter()
        .map(|i| {
            let (idx, val) = rows.row(i);
            let mut z = b.to_vec();
            for (&j, &v) in idx.iter().zip(val) {
                let j = j as usize;
                for (zc, &wc) in z.iter_mut().zip(&w[j * k..j * k + k]) {
                    *zc += v * wc;
                }
            }
            softmax_in_place(&mut z);
            z.iter()
                .map(|&p| weights[i] * f64::from(p) * (1.0 - f64::from(p)))
                .collect()
        })
        .collect();
    let mut features = vec![0.0f64; head.dim()];
    let mut intercept = vec![0.0f64; k];
    for (i, f) in factors.iter().enumerate() {
        let mean = f.iter().sum::<f64>() / k as f64;
        intercept.iter_mut().zip(f).for_each(|(a, v)| *a += v);
        let (idx, val) = rows.row(i);
        for (&j, &v) in idx.iter().zip(val) {
            features[j as usize] += mean * f64::from(v) * f64::from(v);
        }
    }
    Fisher {
        features,
        intercept,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Against the definition, computed per weight and then averaged.
    #[test]
    fn matches_the_per_weight_diagonal_averaged_over_classes() {
        let x = array![[1.0, 0.5, 0.0], [0.0, 2.0, 1.0], [0.3, 0.0, 0.7]];
        let rows = SparseRows::from_dense(&x);
        let head = SoftmaxRegression {
            weights: array![[0.4, -0.2, 0.1], [0.0, 0.3, -0.5], [1.0, 0.2, 0.0]],
            intercept: array![0.1, 0.0, -0.1],
        };
        let wts = [1.0, 0.5, 2.0];
        let f = fisher_diagonal(&head, &rows, &wts);
        for j in 0..3 {
            let mut per_class = [0.0f64; 3];
            for i in 0..3 {
                let p = head.probabilities(&crate::sparse::SparseVector {
                    indices: vec![0, 1, 2],
                    values: x.row(i).iter().map(|&v| v as f32).collect(),
                });
                for c in 0..3 {
                    let p = f64::from(p[c]);
                    per_class[c] += wts[i] * p * (1.0 - p) * x[[i, j]].powi(2);
                }
            }
            let want = per_class.iter().sum::<f64>() / 3.0;
            assert!(
                (f.features[j] - want).abs() < 1e-6,
                "{j}: {} vs {want}",
                f.features[j]
            );
        }
    }
}
