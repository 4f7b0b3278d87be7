//! Parallel arithmetic on parameter-sized vectors (comparison, copies, dot
//! products), chunked the same way on any number of threads.

use rayon::prelude::*;

/// Whether `a` and `b` are equal element by element (`==`, as ndarray's
/// comparison is), in parallel.
pub(super) fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.par_chunks(VECTOR_CHUNK)
            .zip(b.par_chunks(VECTOR_CHUNK))
            .all(|(x, y)| x == y)
}

/// A copy of `a`, made in parallel: parameter-sized vectors are megabytes,
/// and copied on one thread they leave the others idle.
pub(super) fn copied(a: &[f64]) -> Vec<f64> {
    a.par_iter().copied().collect()
}

/// `dst` made a copy of `src`, in parallel, in `dst`'s memory.
pub(super) fn copy_into(dst: &mut Vec<f64>, src: &[f64]) {
    dst.resize(src.len(), 0.0);
    dst.par_chunks_mut(VECTOR_CHUNK)
        .zip(src.par_chunks(VECTOR_CHUNK))
        .for_each(|(d, s)| d.copy_from_slice(s));
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
