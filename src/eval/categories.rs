//! Metrics per true scam category: how often each category is caught, and
//! how often it is named right.

use super::ratio;
use crate::label::{Category, Label};
use serde::Serialize;

/// One row with a true scam category, free of any classifier.
///
/// `named` and `head` are both kept because they answer different
/// questions: what the user is told, and what the category head knows.
///
/// # Example
///
/// ```
/// use scamscan::{eval::{category_metrics, CategoryScored}, Category, Label};
/// // A missed job scam whose category the head would still have named right.
/// let row = CategoryScored { truth: Category::Job, predicted: Label::Ham, named: None, head: Some(Category::Job) };
/// let m = &category_metrics(&[row])[0];
/// assert_eq!((m.scam_recall, m.head_accuracy), (Some(0.0), Some(1.0)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CategoryScored {
    /// The true category.
    pub truth: Category,
    /// The label of the default decision.
    pub predicted: Label,
    /// The category the verdict names (present when the predicted label is scam).
    pub named: Option<Category>,
    /// The category head's top choice whatever the predicted label.
    pub head: Option<Category>,
}

/// How well one scam category is caught and named.
///
/// # Example
///
/// ```
/// use scamscan::{eval::{category_metrics, CategoryScored}, Category, Label};
/// let row = |truth, named| CategoryScored { truth, predicted: Label::Scam, named: Some(named), head: Some(named) };
/// let m = category_metrics(&[row(Category::Bank, Category::Bank), row(Category::Job, Category::Bank)]);
/// let bank = m.iter().find(|m| m.category == "bank").unwrap();
/// assert_eq!(bank.named_precision, Some(0.5)); // named "bank" twice, right once
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryMetrics {
    /// The category (`(all)` for every row with a category).
    pub category: String,
    /// Rows whose true category is this one.
    pub n: usize,
    /// Share of those rows flagged (predicted spam or scam).
    pub flagged_recall: Option<f64>,
    /// Share of those rows predicted scam.
    pub scam_recall: Option<f64>,
    /// Rows predicted scam (the denominator of `named_accuracy`).
    pub predicted_scam: usize,
    /// Among rows predicted scam, the share whose named category is right.
    pub named_accuracy: Option<f64>,
    /// Share of all rows predicted scam *and* named right (end to end).
    pub caught_and_named: Option<f64>,
    /// The category head's top-1 accuracy over all rows, whatever the predicted label.
    pub head_accuracy: Option<f64>,
    /// The 95% interval of `head_accuracy` ([`crate::metrics::wilson_interval`]).
    pub head_accuracy_interval: Option<[f64; 2]>,
    /// Among categorized rows named this category, the share truly of it.
    pub named_precision: Option<f64>,
}

/// Per-category metrics (categories with rows, in taxonomy order), then `(all)`.
///
/// # Example
///
/// ```
/// use scamscan::{eval::{category_metrics, CategoryScored}, Category, Label};
/// let rows = [
///     CategoryScored { truth: Category::Job, predicted: Label::Scam, named: Some(Category::Job), head: Some(Category::Job) },
///     CategoryScored { truth: Category::Job, predicted: Label::Ham, named: None, head: Some(Category::Bank) },
/// ];
/// let m = category_metrics(&rows);
/// assert_eq!(m[0].category, "job");
/// assert_eq!(m[0].scam_recall, Some(0.5));
/// assert_eq!(m[0].named_accuracy, Some(1.0));
/// assert_eq!(m[0].head_accuracy, Some(0.5));
/// assert_eq!(m.last().unwrap().category, "(all)");
/// ```
pub fn category_metrics(rows: &[CategoryScored]) -> Vec<CategoryMetrics> {
    let mut out = Vec::new();
    for c in Category::ALL {
        let mine: Vec<CategoryScored> = rows.iter().copied().filter(|r| r.truth == c).collect();
        if mine.is_empty() {
            continue;
        }
        let named_as = rows.iter().filter(|r| r.named == Some(c)).count();
        let named_right = mine.iter().filter(|r| r.named == Some(c)).count();
        let mut m = category_row(c.as_str(), &mine);
        m.named_precision = ratio(named_right, named_as);
        out.push(m);
    }
    if !rows.is_empty() {
        let mut all = category_row("(all)", rows);
        let named = rows.iter().filter(|r| r.named.is_some()).count();
        let right = rows.iter().filter(|r| r.named == Some(r.truth)).count();
        all.named_precision = ratio(right, named);
        out.push(all);
    }
    out
}

fn category_row(name: &str, rows: &[CategoryScored]) -> CategoryMetrics {
    let n = rows.len();
    let flagged = rows.iter().filter(|r| r.predicted.is_flagged()).count();
    let scam: Vec<&CategoryScored> = rows.iter().filter(|r| r.predicted == Label::Scam).collect();
    let named_right = scam.iter().filter(|r| r.named == Some(r.truth)).count();
    let head_right = rows.iter().filter(|r| r.head == Some(r.truth)).count();
    CategoryMetrics {
        category: name.to_string(),
        n,
        flagged_recall: ratio(flagged, n),
        scam_recall: ratio(scam.len(), n),
        predicted_scam: scam.len(),
        named_accuracy: ratio(named_right, scam.len()),
        caught_and_named: ratio(named_right, n),
        head_accuracy: ratio(head_right, n),
        head_accuracy_interval: crate::metrics::wilson_interval(head_right as u64, n as u64),
        named_precision: None,
    }
}

/// Which category the category head chose for the rows of each true
/// category: the mistakes [`CategoryMetrics`] counts, by what they were
/// taken for (a government fee scam read as advance-fee, a romance opener
/// as investment).
///
/// # Example
///
/// ```
/// use scamscan::{eval::{category_confusion, CategoryScored}, Category, Label};
/// let row = |truth, head| CategoryScored { truth, predicted: Label::Scam, named: Some(head), head: Some(head) };
/// let c = category_confusion(&[row(Category::Government, Category::AdvanceFee), row(Category::Government, Category::Government)]);
/// assert_eq!(c.truth, ["government"]);
/// assert_eq!(c.count("government", "advance_fee"), 1);
/// assert_eq!(c.count("government", "government"), 1);
/// assert_eq!(c.head.len(), 12); // no "(none)": every row got a category
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryConfusion {
    /// The true categories that have rows, in taxonomy order: the rows of `counts`.
    pub truth: Vec<String>,
    /// Every category in taxonomy order, then `(none)` when a row got no
    /// category (a model without a category head): the columns of `counts`.
    pub head: Vec<String>,
    /// `counts[t][h]`: rows of true category `truth[t]` whose head's top
    /// choice is `head[h]`.
    pub counts: Vec<Vec<u64>>,
}

impl CategoryConfusion {
    /// The rows of true category `truth` the head called `head` (0 when
    /// either name is not in the table).
    pub fn count(&self, truth: &str, head: &str) -> u64 {
        let t = self.truth.iter().position(|c| c == truth);
        let h = self.head.iter().position(|c| c == head);
        t.zip(h).map_or(0, |(t, h)| self.counts[t][h])
    }
}

/// The [`CategoryConfusion`] of `rows`.
pub fn category_confusion(rows: &[CategoryScored]) -> CategoryConfusion {
    // Counted by class index, then the true categories without rows dropped.
    let none = Category::ALL.len();
    let mut all = vec![vec![0u64; none + 1]; none];
    for r in rows {
        all[r.truth.index()][r.head.map_or(none, |h| h.index())] += 1;
    }
    let any_none = all.iter().any(|row| row[none] > 0);
    let (truth, counts) = Category::ALL
        .iter()
        .zip(all)
        .filter(|(_, row)| row.iter().any(|&n| n > 0))
        .map(|(c, mut row)| {
            row.truncate(none + usize::from(any_none));
            (c.as_str().to_string(), row)
        })
        .unzip();
    CategoryConfusion {
        truth,
        head: Category::ALL
            .iter()
            .map(|c| c.as_str().to_string())
            .chain(any_none.then(|| "(none)".to_string()))
            .collect(),
        counts,
    }
}
