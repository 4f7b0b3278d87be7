//! Small maths shared by the stages. A leaf of the library.

/// Replaces logits by their softmax.
///
/// The largest logit is subtracted first, so that large logits do not
/// overflow `exp` into infinities.
///
/// # Example
///
/// ```
/// let mut z = [1000.0, 1000.0];
/// scamscan::math::softmax_in_place(&mut z);
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
