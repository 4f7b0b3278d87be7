//! Ordering the emitted buckets: the sort-key layout, the radix sort of
//! one or two blocks, the runs of a bucket, and the merge of two blocks.

use crate::sparse::SparseVector;

/// The bit of a sort key set for the second block (the character n-grams).
pub(super) const CHAR_BLOCK: u64 = 1 << 31;

/// The emission index (within its block) in a sort key.
pub(super) fn emission(key: u64) -> usize {
    (key & (CHAR_BLOCK - 1)) as usize
}

/// Sorts the emitted buckets of one or two blocks into `keys` as `bucket <<
/// 32 | block flag | emission index`: by bucket; within a bucket, the first
/// block's occurrences then the second's, each in emission order. Every
/// bucket must be below `2^bits` (the featurizer's bucket count).
///
/// An LSD radix sort on the bucket bits only (the emission index is already
/// in order, and the sort is stable), in as few passes of at most 9 bits as
/// `bits` needs; short blocks use a comparison sort. The keys are built and
/// the first two passes' histograms counted in one read of the blocks.
///
/// Hand-written because std has no radix sort, and this one, about four
/// character n-grams per character of every message, was the featurizer's
/// largest cost: on a thousand 18-bit ids two counting passes beat a
/// comparison sort several times over.
pub(super) fn sort_keys(blocks: &[&[u32]], bits: u32, keys: &mut Vec<u64>, spare: &mut Vec<u64>) {
    debug_assert!(bits <= 32);
    debug_assert!(
        blocks
            .iter()
            .flat_map(|b| b.iter())
            .all(|&b| bits == 32 || b >> bits == 0)
    );
    keys.clear();
    let n: usize = blocks.iter().map(|b| b.len()).sum();
    let key = |flag: u64| move |(i, &b): (usize, &u32)| (b as u64) << 32 | flag | i as u64;
    let flag = |block: usize| if block == 0 { 0 } else { CHAR_BLOCK };
    if n < 64 || bits == 0 {
        for (block, emitted) in blocks.iter().enumerate() {
            keys.extend(emitted.iter().enumerate().map(key(flag(block))));
        }
        // Keys are distinct, so an unstable sort is stable here.
        keys.sort_unstable();
        return;
    }
    // Digits of at most 9 bits: two passes for the usual 18-bit buckets,
    // with histograms small enough to stay in the L1 cache.
    let passes = bits.div_ceil(9) as usize;
    let digit = bits.div_ceil(passes as u32);
    let radix = 1usize << digit;
    let mask = (radix - 1) as u64;
    let digit_of = |k: u64, p: usize| ((k >> (32 + p as u32 * digit)) & mask) as usize & 511;
    let mut hist = [[0u32; 512]; 2];
    for (block, emitted) in blocks.iter().enumerate() {
        let key = key(flag(block));
        keys.extend(emitted.iter().enumerate().map(|e| {
            let k = key(e);
            hist[0][digit_of(k, 0)] += 1;
            hist[1][digit_of(k, 1)] += 1;
            k
        }));
    }
    if spare.len() < n {
        spare.resize(n, 0);
    }
    let (mut from, mut to) = (&mut keys[..], &mut spare[..n]);
    for p in 0..passes {
        let mut start = if p < 2 { hist[p] } else { [0u32; 512] };
        if p >= 2 {
            for &k in from.iter() {
                start[digit_of(k, p)] += 1;
            }
        }
        let mut sum = 0;
        for c in start[..radix].iter_mut() {
            let n = *c;
            *c = sum;
            sum += n;
        }
        for &k in from.iter() {
            let d = digit_of(k, p);
            to[start[d] as usize] = k;
            start[d] += 1;
        }
        std::mem::swap(&mut from, &mut to);
    }
    if passes % 2 == 1 {
        // The sorted keys are in `spare`.
        std::mem::swap(keys, spare);
        keys.truncate(n);
    }
}

/// Calls `f(bucket, run)` for each run of sorted keys with the same bucket.
pub(super) fn for_each_run(keys: &[u64], mut f: impl FnMut(u32, &[u64])) {
    let mut start = 0;
    while start < keys.len() {
        let b = keys[start] >> 32;
        let mut end = start + 1;
        while end < keys.len() && keys[end] >> 32 == b {
            end += 1;
        }
        f(b as u32, &keys[start..end]);
        start = end;
    }
}

/// Merges two blocks sorted by bucket into `out`, summing a bucket present
/// in both; `visit(a_entry, b_entry)` is told which entries made each entry
/// of `out`, in order.
pub(super) fn merge(
    a: &[(u32, f32)],
    b: &[(u32, f32)],
    out: &mut SparseVector,
    mut visit: impl FnMut(Option<usize>, Option<usize>),
) {
    out.indices.clear();
    out.values.clear();
    out.indices.reserve(a.len() + b.len());
    out.values.reserve(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let take_a = j >= b.len() || (i < a.len() && a[i].0 < b[j].0);
        let take_b = i >= a.len() || (j < b.len() && b[j].0 < a[i].0);
        let (idx, val) = if take_a {
            visit(Some(i), None);
            i += 1;
            a[i - 1]
        } else if take_b {
            visit(None, Some(j));
            j += 1;
            b[j - 1]
        } else {
            visit(Some(i), Some(j));
            i += 1;
            j += 1;
            (a[i - 1].0, a[i - 1].1 + b[j - 1].1)
        };
        out.indices.push(idx);
        out.values.push(val);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_sort_sorts_stably() {
        let (mut keys, mut spare) = (Vec::new(), Vec::new());
        for n in [0usize, 1, 5, 127, 128, 255, 256, 1000, 5000] {
            for bits in [1u32, 9, 18, 22, 24, 32] {
                // A deterministic spread of ids, with repeats.
                let v: Vec<u32> = (0..n as u64)
                    .map(|i| {
                        let x = (i * 2_654_435_761 + i / 3) as u32 / ((i % 3 + 1) as u32);
                        if bits == 32 { x } else { x % (1 << bits) }
                    })
                    .collect();
                let mut want: Vec<(u32, usize)> = v.iter().copied().zip(0..).collect();
                want.sort(); // by bucket, then emission
                sort_keys(&[&v], bits, &mut keys, &mut spare);
                let got: Vec<(u32, usize)> = keys
                    .iter()
                    .map(|&k| ((k >> 32) as u32, emission(k)))
                    .collect();
                assert_eq!(got, want, "n = {n}, bits = {bits}");
                // Two blocks: by bucket, the first block's before the second's.
                let (a, b) = v.split_at(n / 3);
                let mut want: Vec<(u32, u64, usize)> = a
                    .iter()
                    .enumerate()
                    .map(|(i, &x)| (x, 0, i))
                    .chain(b.iter().enumerate().map(|(i, &x)| (x, 1, i)))
                    .collect();
                want.sort();
                sort_keys(&[a, b], bits, &mut keys, &mut spare);
                let got: Vec<(u32, u64, usize)> = keys
                    .iter()
                    .map(|&k| ((k >> 32) as u32, (k & CHAR_BLOCK) >> 31, emission(k)))
                    .collect();
                assert_eq!(got, want, "two blocks, n = {n}, bits = {bits}");
            }
        }
    }

    #[test]
    fn merge_sums_collisions_and_keeps_order() {
        let mut v = SparseVector::default();
        let mut from = Vec::new();
        merge(
            &[(1, 1.0), (5, 2.0)],
            &[(0, 0.5), (5, 1.0), (9, 3.0)],
            &mut v,
            |a, b| from.push((a, b)),
        );
        assert_eq!(v.indices, [0, 1, 5, 9]);
        assert_eq!(v.values, [0.5, 1.0, 3.0, 3.0]);
        assert_eq!(
            from,
            [
                (None, Some(0)),
                (Some(0), None),
                (Some(1), Some(1)),
                (None, Some(2))
            ]
        );
    }
}
