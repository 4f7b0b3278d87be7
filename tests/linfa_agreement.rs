//! Our sparse softmax regression minimises linfa-logistic's multinomial
//! objective. On a dense problem both can solve, the weights, intercepts and
//! probabilities must agree.

use linfa::prelude::*;
use linfa_logistic::MultiLogisticRegression;
use ndarray::{Array1, Array2};
use scamscan::linear::{SoftmaxParams, SparseRows};

/// A reproducible 3-class problem: 240 rows, 12 features, overlapping classes
/// (so the optimum is finite and the comparison meaningful), a third of the
/// entries zero (so the sparse path skips something).
fn problem() -> (Array2<f64>, Array1<usize>) {
    let (n, d) = (240, 12);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut x = Array2::zeros((n, d));
    let mut y = Array1::zeros(n);
    for i in 0..n {
        let class = i % 3;
        y[i] = class;
        for j in 0..d {
            if next() < 0.33 {
                continue;
            }
            let signal = if j % 3 == class { 0.8 } else { 0.0 };
            x[[i, j]] = signal + next() - 0.5;
        }
    }
    (x, y)
}

#[test]
fn weights_and_probabilities_match_linfa_logistic() {
    let (x, y) = problem();
    let alpha = 0.5;

    let ours = SoftmaxParams::new(3)
        .alpha(alpha)
        .max_iterations(1000)
        .gradient_tolerance(1e-10)
        .fit(&DatasetBase::new(SparseRows::from_dense(&x), y.clone()))
        .unwrap();

    let theirs = MultiLogisticRegression::default()
        .alpha(alpha)
        .max_iterations(1000)
        .gradient_tolerance(1e-10)
        .fit(&DatasetBase::new(x.clone(), y.clone()))
        .unwrap();
    // linfa orders its classes by sorting the labels: 0, 1, 2 as ours.
    assert_eq!(theirs.classes(), &[0usize, 1, 2]);

    // Stated tolerance: 1e-4 on weights and intercepts (ours are stored as
    // f32), 1e-5 on probabilities.
    let w_ours = ours.weights.mapv(|v| v as f64);
    let max_w = (&w_ours - theirs.params())
        .iter()
        .fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(max_w < 1e-4, "weights differ by {max_w}");
    let b_ours = ours.intercept.mapv(|v| v as f64);
    let max_b = (&b_ours - theirs.intercept())
        .iter()
        .fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(max_b < 1e-4, "intercepts differ by {max_b}");

    let p_theirs = theirs.predict_probabilities(&x);
    // Through linfa's `Predict` (blanket impl over our `PredictInplace`).
    let p_ours: Array2<f64> =
        ours.predict(&DatasetBase::new(SparseRows::from_dense(&x), y.clone()));
    let max_p = (&p_ours - &p_theirs)
        .iter()
        .fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(max_p < 1e-5, "probabilities differ by {max_p}");

    eprintln!(
        "linfa agreement: max |dW| = {max_w:.2e}, max |db| = {max_b:.2e}, max |dp| = {max_p:.2e}"
    );
    // And the problem is not trivial: the weights are far from zero.
    assert!(w_ours.iter().any(|v| v.abs() > 0.1));
}

#[test]
fn sample_weights_act_as_repetition() {
    // Weight 2 on a row must equal that row appearing twice.
    let (x, y) = problem();
    let (x, y) = (
        x.slice(ndarray::s![..60, ..]).to_owned(),
        y.slice(ndarray::s![..60]).to_owned(),
    );
    let mut w = Array1::from_elem(60, 1.0f32);
    w[0] = 2.0;
    let weighted = SoftmaxParams::new(3)
        .alpha(0.3)
        .max_iterations(1000)
        .gradient_tolerance(1e-10)
        .fit(&DatasetBase::new(SparseRows::from_dense(&x), y.clone()).with_weights(w))
        .unwrap();
    let mut x2 = x.clone();
    x2.push_row(x.row(0)).unwrap();
    let mut y2 = y.to_vec();
    y2.push(y[0]);
    let repeated = SoftmaxParams::new(3)
        .alpha(0.3)
        .max_iterations(1000)
        .gradient_tolerance(1e-10)
        .fit(&DatasetBase::new(
            SparseRows::from_dense(&x2),
            Array1::from(y2),
        ))
        .unwrap();
    let diff = (&weighted.weights - &repeated.weights)
        .iter()
        .fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(diff < 1e-4, "weights differ by {diff}");
}
