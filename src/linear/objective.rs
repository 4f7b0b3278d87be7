//! The objective and its gradient: the rows in cache-sized bands
//! ([`Tile`]), and one banded pass over them per point ([`Problem`]).

use super::SparseRows;
use super::vector::{Shared, VECTOR_CHUNK};
use linfa::dataset::Records;
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

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
/// which are sized to stay in a core's cache (see [`band_bytes`]).
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

/// Bytes of logits (or residuals) per band where the L2 cache's size is
/// unknown: half the 1 MiB per core of current x86 server cores. Smaller
/// bands make a pass slower (each band sweeps the weights once); bands as
/// large as the whole L2 gain nothing.
const BAND_BYTES: usize = 512 << 10;

/// Bytes of logits (or residuals) per band, `rows × k` f64: half a core's
/// L2 cache ([`l2_cache_bytes`]), leaving room for the streams of weights
/// and occurrences passing through; [`BAND_BYTES`] where it is unknown.
/// Processors differ here (1 MiB per core on some, 512 KiB on others), and
/// a band the size of the whole L2 is slower where it is the smaller.
fn band_bytes() -> usize {
    static BYTES: OnceLock<usize> = OnceLock::new();
    *BYTES.get_or_init(|| band_bytes_for(l2_cache_bytes()))
}

/// [`band_bytes`] for an L2 cache of `l2` bytes (`None`: unknown), kept
/// between 64 KiB and 4 MiB whatever the system reports.
fn band_bytes_for(l2: Option<usize>) -> usize {
    l2.map_or(BAND_BYTES, |b| (b / 2).clamp(64 << 10, 4 << 20))
}

/// The size of the first core's L2 cache, from Linux's sysfs; `None` on
/// other systems or where it cannot be read.
///
/// Hand-written: std has no query for cache sizes, and on Linux, where
/// training runs, it is one small file.
fn l2_cache_bytes() -> Option<usize> {
    let dir = std::fs::read_dir("/sys/devices/system/cpu/cpu0/cache").ok()?;
    for entry in dir.flatten() {
        let path = entry.path();
        let read = |f: &str| std::fs::read_to_string(path.join(f)).ok();
        let level = read("level");
        let kind = read("type");
        if level.as_deref().map(str::trim) == Some("2")
            && kind.as_deref().map(str::trim) != Some("Instruction")
        {
            return read("size").and_then(|s| cache_size(&s));
        }
    }
    None
}

/// A cache size as sysfs writes it (`512K`, `2M`), in bytes.
fn cache_size(text: &str) -> Option<usize> {
    let text = text.trim();
    let (digits, unit) = match text.as_bytes().last()? {
        b'K' => (&text[..text.len() - 1], 1 << 10),
        b'M' => (&text[..text.len() - 1], 1 << 20),
        b'G' => (&text[..text.len() - 1], 1 << 30),
        _ => (text, 1),
    };
    digits.parse::<usize>().ok()?.checked_mul(unit)
}

/// Rows per band: the cache size above, at least two bands per thread so
/// that rayon can balance them, and at most 2^16 (rows within a band are
/// `u16`). Only the speed depends on it (see [`Tile`]).
fn band_rows(n: usize, k: usize) -> usize {
    let by_cache = (band_bytes() / (8 * k)).max(64);
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
pub(super) struct Problem<'a> {
    /// The rows, in bands of `band` rows.
    tiles: Vec<Tile>,
    band: usize,
    /// Feature ranges of the backward tasks, of about equal work.
    tasks: Vec<std::ops::Range<usize>>,
    targets: &'a [usize],
    /// The partial-label sets as class bitmasks: target `k + s` is set `s`.
    sets: &'a [u32],
    weights: &'a [f64],
    pub(super) k: usize,
    pub(super) dim: usize,
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
    theta: Shared,
    cost: f64,
    grad: Shared,
    finite: bool,
}

impl<'a> Problem<'a> {
    pub(super) fn new(
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
            sets: &[],
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

    /// Targets from `k` on stand for these sets of classes (bitmasks).
    pub(super) fn with_label_sets(mut self, sets: &'a [u32]) -> Self {
        self.sets = sets;
        self
    }

    pub(super) fn evaluations(&self) -> u64 {
        self.evaluations.load(Ordering::Relaxed)
    }

    pub(super) fn evaluation_seconds(&self) -> f64 {
        self.evaluation_nanos.load(Ordering::Relaxed) as f64 * 1e-9
    }

    /// The cost at `theta` and, with `gradient`, the gradient there; an
    /// error where either is not finite (see [`not_finite`]).
    ///
    /// The line search asks for the cost, then the gradient, of each point
    /// it builds: the second is answered from the cache, which knows the
    /// point by its allocation (a vector equal to the cached one but built
    /// apart is evaluated again), and hands out the gradient it holds.
    pub(super) fn evaluate(
        &self,
        theta: &Shared,
        gradient: bool,
    ) -> std::result::Result<(f64, Option<Shared>), argmin::core::Error> {
        let mut cache = self.cache.lock().expect("cache lock");
        let hit = cache.as_ref().is_some_and(|e| e.theta.is(theta));
        if !hit {
            let start = Instant::now();
            // The last gradient's buffer, unless the solver still holds it.
            let mut grad = cache
                .take()
                .and_then(|e| e.grad.reclaim())
                .unwrap_or_default();
            // With the class count known at compile time, the per-class loops
            // unroll and a feature's weights stay in registers, which a
            // run-time count does not allow. Specialised for the counts scamscan
            // fits (ham/spam/scam, the categories) and for two classes; any
            // other count takes the general path, with the same result.
            let th = &theta[..];
            let cost = match self.k {
                2 => self.pass_into(th, [0.0; 2], &mut grad),
                3 => self.pass_into(th, [0.0; 3], &mut grad),
                CATEGORIES => self.pass_into(th, [0.0; CATEGORIES], &mut grad),
                k => self.pass_into(th, vec![0.0; k], &mut grad),
            };
            let finite = cost.is_finite()
                && grad
                    .par_chunks(VECTOR_CHUNK)
                    .all(|c| c.iter().all(|g| g.is_finite()));
            *cache = Some(Evaluation {
                theta: theta.clone(),
                cost,
                grad: Shared::from(grad),
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
        Ok((e.cost, gradient.then(|| e.grad.clone())))
    }

    /// The cost and the gradient at `theta`.
    pub(super) fn cost_and_gradient(
        &self,
        theta: &Shared,
    ) -> std::result::Result<(f64, Shared), argmin::core::Error> {
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
                    if y < k {
                        *l = w * (lse - z[y]);
                        for (c, zc) in z.iter_mut().enumerate() {
                            *zc = w * ((*zc - lse).exp() - if c == y { 1.0 } else { 0.0 });
                        }
                    } else {
                        // A set S of classes: loss −log Σ_S p = lse − lse_S,
                        // residual p_c − [c ∈ S] p_c / P(S).
                        let set = self.sets[y - k];
                        let within = |c: usize| set >> c & 1 == 1;
                        let ms = (0..k)
                            .filter(|&c| within(c))
                            .map(|c| z[c])
                            .fold(f64::NEG_INFINITY, f64::max);
                        let ss: f64 = (0..k)
                            .filter(|&c| within(c))
                            .map(|c| (z[c] - ms).exp())
                            .sum();
                        let lse_s = ms + ss.ln();
                        *l = w * (lse - lse_s);
                        for (c, zc) in z.iter_mut().enumerate() {
                            let share = if within(c) { (*zc - lse_s).exp() } else { 0.0 };
                            *zc = w * ((*zc - lse).exp() - share);
                        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linear::tests::toy;
    use crate::sparse::SparseVector;
    use argmin::core::{CostFunction, Gradient};

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
            let (loss, grad) = p.cost_and_gradient(&Shared::from(th.clone())).unwrap();
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
            assert!(
                g_gen
                    .iter()
                    .zip(grad.iter())
                    .all(|(a, b)| a.to_bits() == b.to_bits())
            );
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
        let at = |s: f64| {
            Shared::from(
                (0..53 * 3 + 3)
                    .map(|i| (i as f64 * s).sin())
                    .collect::<Vec<_>>(),
            )
        };
        let (a, b) = (at(0.41), at(0.77));
        let reused = Problem::new(&x, &y, &w, 3, 0.2);
        for th in [&a, &b, &a] {
            let (c, g) = reused.cost_and_gradient(th).unwrap();
            let fresh = Problem::new(&x, &y, &w, 3, 0.2);
            let (c0, g0) = fresh.cost_and_gradient(th).unwrap();
            assert_eq!(c.to_bits(), c0.to_bits());
            assert!(
                g.iter()
                    .zip(g0.iter())
                    .all(|(p, q)| p.to_bits() == q.to_bits())
            );
            // The same point again is answered from the cache.
            assert_eq!((&reused).cost(th).unwrap().to_bits(), c.to_bits());
        }
        assert_eq!(reused.evaluations(), 3);
    }

    #[test]
    fn cache_sizes_read_as_sysfs_writes_them() {
        assert_eq!(cache_size("512K\n"), Some(512 << 10));
        assert_eq!(cache_size("2M"), Some(2 << 20));
        assert_eq!(cache_size("1G"), Some(1 << 30));
        assert_eq!(cache_size("4096"), Some(4096));
        for bad in ["", "K", "12Q", "-1K", "99999999999999999999G"] {
            assert_eq!(cache_size(bad), None, "{bad:?}");
        }
        // Half the L2; the fixed size where it is unknown; within bounds
        // whatever a system reports.
        assert_eq!(band_bytes_for(Some(1 << 20)), 512 << 10);
        assert_eq!(band_bytes_for(Some(512 << 10)), 256 << 10);
        assert_eq!(band_bytes_for(None), BAND_BYTES);
        assert_eq!(band_bytes_for(Some(16 << 10)), 64 << 10);
        assert_eq!(band_bytes_for(Some(1 << 30)), 4 << 20);
        assert_eq!(band_bytes_for(Some(0)), 64 << 10);
    }

    #[test]
    fn the_cache_knows_a_point_by_its_allocation() {
        let (x, y, w) = random_problem(200, 31, 3);
        let p = Problem::new(&x, &y, &w, 3, 0.2);
        let th: Vec<f64> = (0..31 * 3 + 3).map(|i| (i as f64 * 0.3).cos()).collect();
        let a = Shared::from(th.clone());
        let c = (&p).cost(&a).unwrap();
        let g = (&p).gradient(&a).unwrap();
        assert_eq!(p.evaluations(), 1, "the gradient of the point just costed");
        // The gradient handed out is the cached one, not a copy.
        assert!(g.is(&p.cost_and_gradient(&a).unwrap().1));
        // Equal values in another vector: evaluated again, to the same bits.
        let (c2, g2) = p.cost_and_gradient(&Shared::from(th)).unwrap();
        assert_eq!(p.evaluations(), 2);
        assert_eq!(c2.to_bits(), c.to_bits());
        assert!(
            g2.iter()
                .zip(g.iter())
                .all(|(p, q)| p.to_bits() == q.to_bits())
        );
    }

    /// The set loss, the plain way: −log Σ_{c ∈ set} softmax(z)_c per row.
    fn set_reference(
        x: &SparseRows,
        y: &[usize],
        sets: &[u32],
        w: &[f64],
        k: usize,
        th: &[f64],
    ) -> f64 {
        let dim = x.nfeatures();
        let mut loss = 0.0;
        for (i, (idx, val)) in x.iter().enumerate() {
            let mut z = th[dim * k..].to_vec();
            for (&j, &v) in idx.iter().zip(val) {
                for c in 0..k {
                    z[c] += v as f64 * th[j as usize * k + c];
                }
            }
            let total: f64 = z.iter().map(|v| v.exp()).sum();
            let inside: f64 = if y[i] < k {
                z[y[i]].exp()
            } else {
                (0..k)
                    .filter(|c| sets[y[i] - k] >> c & 1 == 1)
                    .map(|c| z[c].exp())
                    .sum()
            };
            loss += w[i] * -(inside / total).ln();
        }
        loss
    }

    #[test]
    fn the_set_loss_and_its_gradient_match_the_plain_sums_and_finite_differences() {
        // Every third row is known only to be class 1 or 2 (target 3), every
        // fifth one of classes 0, 2 or 3 of four (target 4 with k = 4).
        for k in [3, 4] {
            let (x, mut y, w) = random_problem(400, 41, k);
            let sets: Vec<u32> = if k == 3 {
                vec![0b110]
            } else {
                vec![0b110, 0b1101]
            };
            for (i, t) in y.iter_mut().enumerate() {
                if i % 3 == 0 {
                    *t = k;
                } else if k == 4 && i % 5 == 0 {
                    *t = k + 1;
                }
            }
            let p = Problem::new(&x, &y, &w, k, 0.0).with_label_sets(&sets);
            let th: Vec<f64> = (0..41 * k + k).map(|i| (i as f64 * 0.53).sin()).collect();
            let (loss, grad) = p.cost_and_gradient(&Shared::from(th.clone())).unwrap();
            let want = set_reference(&x, &y, &sets, &w, k, &th);
            assert!(
                (loss - want).abs() <= 1e-10 * want.abs(),
                "k {k}: {loss} vs {want}"
            );
            for i in (0..th.len()).step_by(7) {
                let (mut a, mut b) = (th.clone(), th.clone());
                a[i] += 1e-6;
                b[i] -= 1e-6;
                let fd = ((&p).cost(&a.into()).unwrap() - (&p).cost(&b.into()).unwrap()) / 2e-6;
                assert!(
                    (fd - grad[i]).abs() < 1e-5,
                    "k {k}, param {i}: fd {fd} vs grad {}",
                    grad[i]
                );
            }
        }
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
        let mut theta = vec![0.0; 12];
        assert!((&problem).cost(&theta.clone().into()).unwrap().is_finite());
        // Where a line search may wander: logits overflow to infinity.
        theta[0] = f64::MAX;
        theta[1] = -f64::MAX;
        let theta = Shared::from(theta);
        assert!((&problem).cost(&theta).is_err());
        assert!((&problem).gradient(&theta).is_err());
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let ds = toy();
        let w = vec![1.0, 2.0, 0.5, 1.0, 1.0, 1.0];
        let p = Problem::new(&ds.records, ds.targets.as_slice().unwrap(), &w, 3, 0.3);
        let theta: Vec<f64> = (0..12).map(|i| (i as f64 * 0.37).sin()).collect();
        let (_, g) = p.cost_and_gradient(&theta.clone().into()).unwrap();
        for i in 0..12 {
            let mut a = theta.clone();
            let mut b = theta.clone();
            a[i] += 1e-6;
            b[i] -= 1e-6;
            let fd = ((&p).cost(&a.into()).unwrap() - (&p).cost(&b.into()).unwrap()) / 2e-6;
            assert!(
                (fd - g[i]).abs() < 1e-5,
                "param {i}: fd {fd} vs grad {}",
                g[i]
            );
        }
    }
}
