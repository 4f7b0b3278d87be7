//! ROC and precision-recall curves for plotting, downsampled to a bounded
//! number of points.

use crate::metrics;
use serde::Serialize;

/// Most points kept per curve.
pub const MAX_CURVE_POINTS: usize = 500;

/// One point of a curve.
///
/// The threshold is kept with each point so that a point read off a plot
/// can be turned into a `--threshold`.
///
/// # Example
///
/// ```
/// let roc = scamscan::eval::roc_curve(&[0.9, 0.1], &[true, false], 500);
/// assert_eq!(roc[0].threshold, None);
/// assert_eq!((roc[1].x, roc[1].y, roc[1].threshold), (0.0, 1.0, Some(0.9)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurvePoint {
    /// False-positive rate (ROC) or recall (PR).
    pub x: f64,
    /// True-positive rate (ROC) or precision (PR).
    pub y: f64,
    /// The score threshold (`score >= threshold` is positive); `None` for the
    /// ROC curve's starting point, where nothing is flagged.
    pub threshold: Option<f32>,
}

/// Curves of flagged (spam or scam) vs ham over all rows, ranked by `1 − p(ham)`.
///
/// # Example
///
/// ```
/// use scamscan::{eval::{evaluate, EvalOptions}, Classifier};
/// let report = evaluate(&Classifier::default(), &[], &EvalOptions::default());
/// assert!(report.curves.roc.is_empty() && report.curves.pr.is_empty()); // no rows, no curve
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Curves {
    /// ROC: x = false-positive rate, y = recall. Empty when a class is missing.
    pub roc: Vec<CurvePoint>,
    /// Precision-recall: x = recall, y = precision. Empty without positives.
    pub pr: Vec<CurvePoint>,
}

/// The ROC curve, from `(0, 0)` to `(1, 1)`, one point per distinct score,
/// downsampled to at most `max_points` (endpoints kept). Empty when a class is missing.
///
/// Downsampled so that a report over a million rows stays small enough to
/// read and plot.
///
/// # Example
///
/// ```
/// let roc = scamscan::eval::roc_curve(&[0.9, 0.8, 0.3, 0.1], &[true, false, true, false], 500);
/// let xy: Vec<(f64, f64)> = roc.iter().map(|p| (p.x, p.y)).collect();
/// assert_eq!(xy, [(0.0, 0.0), (0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (1.0, 1.0)]);
/// ```
pub fn roc_curve(scores: &[f32], truth: &[bool], max_points: usize) -> Vec<CurvePoint> {
    let pos = truth.iter().filter(|&&t| t).count();
    let neg = truth.len() - pos;
    if pos == 0 || neg == 0 {
        return Vec::new();
    }
    let mut pts = vec![CurvePoint {
        x: 0.0,
        y: 0.0,
        threshold: None,
    }];
    pts.extend(
        metrics::sweep(scores, truth)
            .into_iter()
            .map(|(s, tp, fp)| CurvePoint {
                x: fp as f64 / neg as f64,
                y: tp as f64 / pos as f64,
                threshold: Some(s),
            }),
    );
    downsample(pts, max_points)
}

/// The precision-recall curve, one point per distinct score from the highest
/// down, downsampled to at most `max_points` (endpoints kept). Empty without positives.
///
/// # Example
///
/// ```
/// let pr = scamscan::eval::pr_curve(&[0.9, 0.8, 0.3, 0.1], &[true, false, true, false], 500);
/// let xy: Vec<(f64, f64)> = pr.iter().map(|p| (p.x, p.y)).collect();
/// assert_eq!(xy, [(0.5, 1.0), (0.5, 0.5), (1.0, 2.0 / 3.0), (1.0, 0.5)]);
/// ```
pub fn pr_curve(scores: &[f32], truth: &[bool], max_points: usize) -> Vec<CurvePoint> {
    let pos = truth.iter().filter(|&&t| t).count();
    if pos == 0 {
        return Vec::new();
    }
    let pts = metrics::sweep(scores, truth)
        .into_iter()
        .map(|(s, tp, fp)| CurvePoint {
            x: tp as f64 / pos as f64,
            y: tp as f64 / (tp + fp) as f64,
            threshold: Some(s),
        })
        .collect();
    downsample(pts, max_points)
}

/// Keeps at most `max` evenly spaced points, always the first and the last.
fn downsample<T: Copy>(pts: Vec<T>, max: usize) -> Vec<T> {
    let max = max.max(2);
    if pts.len() <= max {
        return pts;
    }
    let last = pts.len() - 1;
    (0..max)
        .map(|i| pts[(i * last + (max - 1) / 2) / (max - 1)])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsample_keeps_endpoints_and_bound() {
        let v: Vec<usize> = (0..10_000).collect();
        let d = downsample(v, 500);
        assert_eq!(d.len(), 500);
        assert_eq!((d[0], d[499]), (0, 9999));
        assert!(d.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(downsample(vec![1, 2, 3], 500), [1, 2, 3]);
    }
}
