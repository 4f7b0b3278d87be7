//! Parallel arithmetic on parameter-sized vectors (copies, dot products,
//! scaled sums), chunked the same way on any number of threads, and the
//! shared vector type the line search works with.

use argmin_math::{ArgminDot, ArgminScaledAdd};
use ndarray::ArrayView1;
use rayon::prelude::*;
use std::sync::Arc;

/// A parameter-sized vector shared by reference count: the type of the
/// points, gradients and search directions the line search passes around.
///
/// Why not an ndarray `Array1`: argmin's More-Thuente line search clones
/// its point and gradient (and its executor the best point so far), builds
/// each trial point and takes each dot product through these traits, so
/// with an owned array each of those was a pass over megabytes on one
/// thread. Shared, a clone is a reference count, and a trial point is
/// built on all cores.
#[derive(Clone, Debug)]
pub(super) struct Shared(Arc<Vec<f64>>);

impl Shared {
    /// Whether `self` and `other` are the same vector (one allocation),
    /// which is how the objective's cache recognises a point it has seen:
    /// the line search asks for the cost and the gradient of one point.
    pub(super) fn is(&self, other: &Shared) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The vector, copied only if it is still shared.
    pub(super) fn into_vec(self) -> Vec<f64> {
        Arc::try_unwrap(self.0).unwrap_or_else(|v| copied(&v))
    }

    /// The vector's buffer if nothing else holds it, to be reused.
    pub(super) fn reclaim(self) -> Option<Vec<f64>> {
        Arc::try_unwrap(self.0).ok()
    }
}

impl From<Vec<f64>> for Shared {
    fn from(v: Vec<f64>) -> Self {
        Shared(Arc::new(v))
    }
}

impl std::ops::Deref for Shared {
    type Target = [f64];
    fn deref(&self) -> &[f64] {
        &self.0
    }
}

impl ArgminDot<Shared, f64> for Shared {
    /// ndarray's dot product, on one thread, as the line search took it of
    /// ndarray vectors: its rounding, and so the model a training gives,
    /// stay what they were (two such products per trial point cost little
    /// next to the clones and copies this type saves).
    fn dot(&self, other: &Shared) -> f64 {
        ArrayView1::from(&self[..]).dot(&ArrayView1::from(&other[..]))
    }
}

impl ArgminScaledAdd<Shared, f64, Shared> for Shared {
    /// `self + factor · d`, in parallel, into a new vector.
    fn scaled_add(&self, factor: &f64, d: &Shared) -> Shared {
        let a = *factor;
        let mut out = Vec::with_capacity(self.len());
        out.par_extend(self.par_iter().zip(d.par_iter()).map(|(x, d)| x + a * d));
        Shared::from(out)
    }
}

/// A copy of `a`, made in parallel: parameter-sized vectors are megabytes,
/// and copied on one thread they leave the others idle.
pub(super) fn copied(a: &[f64]) -> Vec<f64> {
    a.par_iter().copied().collect()
}

/// Elements per chunk of the solver's vector arithmetic: big enough to
/// amortise a rayon task, small enough to balance two to a few dozen
/// threads. Fixed, because a dot product's rounding depends on it.
pub(super) const VECTOR_CHUNK: usize = 1 << 14;

/// `Σ a[i] b[i]`, chunk by chunk, the chunks' sums added in order.
pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let parts: Vec<f64> = a
        .par_chunks(VECTOR_CHUNK)
        .zip(b.par_chunks(VECTOR_CHUNK))
        .map(|(a, b)| dot_lanes(a, b))
        .collect();
    parts.iter().sum()
}

/// `x ← scale · x + a · y` (`y` may be absent), then `next · x` with the
/// new `x` (0 without `next`): one pass where two dependent ones would read
/// `x` twice.
pub(super) fn update_dot(
    x: &mut [f64],
    scale: f64,
    a: f64,
    y: Option<&[f64]>,
    next: Option<&[f64]>,
) -> f64 {
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
            next.map_or(0.0, |n| dot_lanes(xc, &n[span]))
        })
        .collect();
    parts.iter().sum()
}

/// `Σ a[i] b[i]` on one thread, in eight interleaved partial sums: a single
/// running sum waits on each addition's latency (floating-point addition is
/// not associative, so the compiler keeps the order), eight let the
/// additions overlap and vectorise.
fn dot_lanes(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f64 = ac
        .remainder()
        .iter()
        .zip(bc.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ac.zip(bc) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    acc.iter().sum::<f64>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scaled_sum_is_the_element_by_element_one() {
        let x: Vec<f64> = (0..50_000).map(|i| (i as f64 * 0.7).sin()).collect();
        let d: Vec<f64> = (0..50_000).map(|i| (i as f64 * 0.3).cos()).collect();
        let (xs, ds) = (Shared::from(x.clone()), Shared::from(d.clone()));
        let out = xs.scaled_add(&-0.37, &ds);
        assert_eq!(out.len(), x.len());
        assert!(
            out.iter()
                .zip(x.iter().zip(&d))
                .all(|(o, (x, d))| o.to_bits() == (x + -0.37 * d).to_bits())
        );
        let nd = ndarray::Array1::from(x.clone()).dot(&ndarray::Array1::from(d.clone()));
        assert_eq!(ArgminDot::dot(&xs, &ds).to_bits(), nd.to_bits());
        // A clone is the same vector; the copy of a shared one is its own.
        let again = xs.clone();
        assert!(again.is(&xs));
        assert_eq!(again.into_vec(), x);
        assert_eq!(xs.reclaim(), Some(x));
    }

    #[test]
    fn dot_products_count_every_element_once() {
        // Small integers: every sum is exact, whatever its order, so any
        // element dropped or counted twice (the lanes' tail, a chunk's
        // edge) shows.
        for n in (0..40).chain([VECTOR_CHUNK - 3, 2 * VECTOR_CHUNK + 5]) {
            let a: Vec<f64> = (0..n).map(|i| (i % 7) as f64 - 3.0).collect();
            let b: Vec<f64> = (0..n).map(|i| (i % 5) as f64 + 1.0).collect();
            let exact: f64 = (0..n).map(|i| a[i] * b[i]).sum();
            assert_eq!(dot_lanes(&a, &b), exact, "n = {n}");
            assert_eq!(dot(&a, &b), exact, "n = {n}");
            let mut x = a.clone();
            let next = update_dot(&mut x, 2.0, 1.0, Some(&b), Some(&b));
            let want: f64 = (0..n).map(|i| (2.0 * a[i] + b[i]) * b[i]).sum();
            assert_eq!(next, want, "n = {n}");
        }
    }
}
