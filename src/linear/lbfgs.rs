//! The solver: L-BFGS's two-loop recursion written out, around argmin's
//! More-Thuente line search, and the glue that lets argmin evaluate a
//! [`Problem`].

use super::ValidSoftmaxParams;
use super::objective::Problem;
use super::vector::{Shared, VECTOR_CHUNK, copied, dot, update_dot};
use crate::error::{Error, Result};
use argmin::core::{CostFunction, Executor, Gradient};
use argmin::solver::linesearch::{LineSearch, MoreThuenteLineSearch};
use ndarray::Array1;
use rayon::prelude::*;
use std::collections::VecDeque;

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
pub(super) struct Minimum {
    pub(super) theta: Array1<f64>,
    pub(super) cost: f64,
    pub(super) iterations: u64,
    pub(super) stopped: String,
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
/// passes over the weight vectors per iteration, as long as a pass over the
/// category data (benches/README.md has the figures). Written out,
/// the recursion works in place in about 80 passes, each a dot product
/// fused with the update before it, on all cores. The line search, the
/// delicate part, is still argmin's, on [`Shared`] vectors: what it clones
/// is a reference count, and the trial points it asks for are built on all
/// cores.
pub(super) fn lbfgs(
    problem: &Problem,
    params: &ValidSoftmaxParams,
    tol_cost: f64,
) -> Result<Minimum> {
    let n = problem.dim * problem.k + problem.k;
    let lift = |e: argmin::core::Error| Error::training(format!("L-BFGS: {e}"));
    let mut x = Shared::from(vec![0.0; n]);
    let (mut cost, mut grad) = problem.cost_and_gradient(&x).map_err(lift)?;
    let mut prev_cost = f64::INFINITY;
    let mut steps: VecDeque<Step> = Default::default();
    let mut spare: Option<Step> = None;
    let mut gamma = 1.0;
    let mut iterations = 0;
    let stopped = loop {
        let g = &grad[..];
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
        search.search_direction(Shared::from(q));
        // Shared vectors: what the line search keeps of the point and
        // the gradient is theirs, not copies.
        let found = Executor::new(problem, search)
            .configure(|s| s.param(x.clone()).gradient(grad.clone()).cost(cost))
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
        let (xs, xn, gn) = (&x[..], &x_new[..], &grad_new[..]);
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
        theta: Array1::from_vec(x.into_vec()),
        cost,
        iterations,
        stopped,
    })
}

impl CostFunction for &Problem<'_> {
    type Param = Shared;
    type Output = f64;

    fn cost(&self, p: &Shared) -> std::result::Result<f64, argmin::core::Error> {
        self.evaluate(p, false).map(|e| e.0)
    }
}

impl Gradient for &Problem<'_> {
    type Param = Shared;
    type Gradient = Shared;

    fn gradient(&self, p: &Shared) -> std::result::Result<Shared, argmin::core::Error> {
        self.cost_and_gradient(p).map(|e| e.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
