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

/// The civil date (year, month 1–12, day 1–31) of `days` days after
/// 1970-01-01, by Howard Hinnant's civil-from-days algorithm: a date crate
/// for the model card's date and STIX timestamps would be mostly unused.
///
/// ```
/// assert_eq!(scamscan::math::civil_from_days(0), (1970, 1, 1));
/// assert_eq!(scamscan::math::civil_from_days(20_119), (2025, 1, 31));
/// ```
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m as u32, d as u32)
}
