//! The Markdown rendering of an [`EvalReport`]: a summary paragraph and its
//! tables, with the formatting helpers that never print NaN.

use super::{BinaryMetrics, EvalReport, GroupMetrics};
use crate::label::Label;
use std::fmt::Write as _;

/// A rate with three decimals, or "—".
pub(super) fn f3(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:.3}"))
}

/// A share as a percentage, or "—".
fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{:.2}%", v * 100.0))
}

/// An interval's bounds times `scale`, to `digits` decimals: `2.07–12.77`.
fn span(interval: Option<[f64; 2]>, scale: f64, digits: usize) -> String {
    interval.map_or("—".into(), |[lo, hi]| {
        format!("{:.digits$}–{:.digits$}", lo * scale, hi * scale)
    })
}

/// A share and its 95% interval: `5.26% (2.07–12.77%)`.
fn pct_in(v: Option<f64>, interval: Option<[f64; 2]>) -> String {
    match (v, interval) {
        (Some(_), Some(_)) => format!("{} ({}%)", pct(v), span(interval, 100.0, 2)),
        _ => pct(v),
    }
}

/// `0.001` → `0.1%`, `0.05` → `5%`.
fn fpr_level(fpr: f64) -> String {
    let s = format!("{:.4}", fpr * 100.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

/// Escapes a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn recall_list(m: &BinaryMetrics) -> String {
    m.recall_at_fpr
        .iter()
        .map(|r| format!("{} at {} FPR", f3(r.recall), fpr_level(r.fpr)))
        .collect::<Vec<_>>()
        .join(", ")
}

impl EvalReport {
    /// A summary paragraph, then tables: overall, per source, per channel,
    /// per category, the confusion matrix and the reliability of `p(scam)`.
    ///
    /// Undefined metrics are shown as "—", so a table never shows NaN.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{eval::{evaluate, EvalOptions}, Classifier, Example, Label};
    /// let ham = Example { id: String::new(), source: "demo".into(), channel: "sms".into(),
    ///     lang: "en".into(), label: Label::Ham, category: None, text: "lunch at 1?".into(), reviewed: false };
    /// let md = evaluate(&Classifier::default(), &[ham], &EvalOptions::default()).to_markdown();
    /// assert!(md.starts_with("# Evaluation") && md.contains("## Per source"));
    /// assert!(md.contains('—') && !md.contains("NaN")); // no scam: AUC undefined
    /// ```
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let o = &self.overall;
        let _ = writeln!(s, "# Evaluation\n");
        s.push_str(&self.summary());
        s.push_str("\n\n");

        let _ = writeln!(s, "## Overall\n");
        let _ = writeln!(
            s,
            "| metric | flagged (spam or scam) vs ham | scam vs ham |"
        );
        let _ = writeln!(s, "|---|---:|---:|");
        let (f, c) = (&o.flagged, &o.scam);
        let (fd, cd) = (&o.decision, &o.scam_decision);
        let _ = writeln!(
            s,
            "| positives / negatives | {} / {} | {} / {} |",
            f.positives, f.negatives, c.positives, c.negatives
        );
        let _ = writeln!(s, "| ROC-AUC | {} | {} |", f3(f.roc_auc), f3(c.roc_auc));
        let _ = writeln!(
            s,
            "| PR-AUC (average precision) | {} | {} |",
            f3(f.pr_auc),
            f3(c.pr_auc)
        );
        let _ = writeln!(
            s,
            "| PR-AUC of a random ranking (prevalence) | {} | {} |",
            f3(f.prevalence()),
            f3(c.prevalence())
        );
        for (rf, rc) in f.recall_at_fpr.iter().zip(&c.recall_at_fpr) {
            let _ = writeln!(
                s,
                "| recall at {} FPR | {} | {} |",
                fpr_level(rf.fpr),
                f3(rf.recall),
                f3(rc.recall)
            );
        }
        let _ = writeln!(
            s,
            "| precision (default decision) | {} | {} |",
            f3(fd.precision),
            f3(cd.precision)
        );
        let _ = writeln!(
            s,
            "| recall (default decision) | {} | {} |",
            f3(fd.recall),
            f3(cd.recall)
        );
        let _ = writeln!(
            s,
            "| F1 (default decision) | {} | {} |",
            f3(fd.f1),
            f3(cd.f1)
        );
        let _ = writeln!(
            s,
            "| ham flagged (default decision) | {} ({} of {}) | {} ({} of {}) |",
            pct(fd.ham_fpr),
            fd.confusion.fp,
            fd.confusion.fp + fd.confusion.tn,
            pct(cd.ham_fpr),
            cd.confusion.fp,
            cd.confusion.fp + cd.confusion.tn
        );
        let _ = writeln!(
            s,
            "| 95% interval of recall / of ham flagged | {} / {}% | {} / {}% |",
            span(fd.recall_interval, 1.0, 3),
            span(fd.ham_fpr_interval, 100.0, 2),
            span(cd.recall_interval, 1.0, 3),
            span(cd.ham_fpr_interval, 100.0, 2),
        );
        let _ = writeln!(
            s,
            "| TP / FP / FN / TN | {} / {} / {} / {} | {} / {} / {} / {} |",
            fd.confusion.tp,
            fd.confusion.fp,
            fd.confusion.fn_,
            fd.confusion.tn,
            cd.confusion.tp,
            cd.confusion.fp,
            cd.confusion.fn_,
            cd.confusion.tn
        );
        s.push('\n');
        if let Some(note) = self.low_fpr_note() {
            let _ = writeln!(s, "{note}\n");
        }

        self.group_table(&mut s, "Per source", "source", &self.by_source);
        self.group_table(&mut s, "Per channel", "channel", &self.by_channel);
        self.group_table(&mut s, "Per language", "lang", &self.by_lang);
        self.category_table(&mut s);
        self.category_confusion_table(&mut s);
        self.confusion_table(&mut s);
        self.reliability_table(&mut s);
        s
    }

    fn summary(&self) -> String {
        let o = &self.overall;
        let c = &o.counts;
        if self.n == 0 {
            return "No messages were evaluated; every metric is undefined (—).".into();
        }
        let mut s = format!(
            "Evaluated {} messages ({} ham, {} spam, {} scam) from {} source{} over {} channel{}.",
            self.n,
            c.ham,
            c.spam,
            c.scam,
            self.by_source.len(),
            if self.by_source.len() == 1 { "" } else { "s" },
            self.by_channel.len(),
            if self.by_channel.len() == 1 { "" } else { "s" },
        );
        if self.truncated > 0 {
            let _ = write!(
                s,
                " {} message{} longer than the size limit {} scored on {} first bytes.",
                self.truncated,
                if self.truncated == 1 { "" } else { "s" },
                if self.truncated == 1 { "was" } else { "were" },
                if self.truncated == 1 { "its" } else { "their" },
            );
        }
        let f = &o.flagged;
        let d = &o.decision;
        let _ = write!(
            s,
            " Flagged (spam or scam) vs ham: ROC-AUC {}, PR-AUC {} (a random ranking scores {}).",
            f3(f.roc_auc),
            f3(f.pr_auc),
            f3(f.prevalence())
        );
        let _ = write!(
            s,
            " At the default decision, precision {}, recall {}, F1 {}, and {} of legitimate messages flagged ({} of {}).",
            f3(d.precision),
            f3(d.recall),
            f3(d.f1),
            pct(d.ham_fpr),
            d.confusion.fp,
            d.confusion.fp + d.confusion.tn
        );
        if !f.recall_at_fpr.is_empty() {
            let _ = write!(s, " Recall at fixed FPR: {}.", recall_list(f));
        }
        let sc = &o.scam;
        let _ = write!(
            s,
            " Scam vs ham (spam excluded): ROC-AUC {}, PR-AUC {}.",
            f3(sc.roc_auc),
            f3(sc.pr_auc)
        );
        if let Some(all) = self.by_category.iter().find(|m| m.category == "(all)") {
            let _ = write!(
                s,
                " Of the {} messages with a known scam category, {} were predicted scam and {} of those were given the right category; the category head's top choice is right for {} of all {}.",
                all.n,
                all.predicted_scam,
                pct(all.named_accuracy),
                pct(all.head_accuracy),
                all.n
            );
        }
        let _ = write!(
            s,
            " Calibration of p(scam): expected calibration error {}.",
            f3(self.ece)
        );
        s
    }

    /// A note when a fixed FPR is below one ham message.
    fn low_fpr_note(&self) -> Option<String> {
        let neg = self.overall.flagged.negatives;
        let low: Vec<String> = self
            .fprs
            .iter()
            .filter(|&&f| neg > 0 && f * (neg as f64) < 1.0)
            .map(|&f| fpr_level(f))
            .collect();
        (!low.is_empty()).then(|| {
            format!(
                "With {neg} ham messages, recall at {} FPR allows no false positive at all: it is recall above the highest-scoring ham message.",
                low.join(" and ")
            )
        })
    }

    fn group_table(&self, s: &mut String, title: &str, kind: &str, groups: &[GroupMetrics]) {
        let _ = writeln!(s, "## {title}\n");
        if groups.is_empty() {
            let _ = writeln!(s, "No rows.\n");
            return;
        }
        let levels: String = self
            .fprs
            .iter()
            .map(|&f| format!(" R@{} |", fpr_level(f)))
            .collect();
        let _ = writeln!(
            s,
            "| {kind} | n | ham | spam | scam | ROC-AUC | PR-AUC | precision | recall | F1 | ham flagged (95% interval) | unsure (of ham) | ROC-AUC not unsure |{levels} scam ROC-AUC | scam PR-AUC | scam vs spam ROC-AUC | scam vs rest ROC-AUC | scams called scam / spam / missed |"
        );
        let _ = writeln!(
            s,
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|{}---:|---:|---:|---:|---:|",
            "---:|".repeat(self.fprs.len())
        );
        for g in groups {
            let recalls: String = g
                .flagged
                .recall_at_fpr
                .iter()
                .map(|r| format!(" {} |", f3(r.recall)))
                .collect();
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} ({}) | {} |{recalls} {} | {} | {} | {} | {} |",
                cell(&g.name),
                g.n,
                g.counts.ham,
                g.counts.spam,
                g.counts.scam,
                f3(g.flagged.roc_auc),
                f3(g.flagged.pr_auc),
                f3(g.decision.precision),
                f3(g.decision.recall),
                f3(g.decision.f1),
                pct_in(g.decision.ham_fpr, g.decision.ham_fpr_interval),
                g.unsure,
                pct((g.counts.ham > 0).then(|| g.ham_unsure as f64 / g.counts.ham as f64)),
                f3(g.flagged_sure.roc_auc),
                f3(g.scam.roc_auc),
                f3(g.scam.pr_auc),
                f3(g.scam_vs_spam.roc_auc),
                f3(g.scam_vs_rest.roc_auc),
                scam_outcomes(g),
            );
        }
        s.push('\n');
    }

    fn category_table(&self, s: &mut String) {
        let _ = writeln!(s, "## Per scam category\n");
        if self.by_category.is_empty() {
            let _ = writeln!(s, "No rows with a scam category.\n");
            return;
        }
        let _ = writeln!(
            s,
            "| category | n | flagged | predicted scam | right category (of predicted scam) | caught and named right | category head right (all rows; 95% interval) | precision of the name |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
        for m in &self.by_category {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} ({}) | {} | {} | {} | {} |",
                cell(&m.category),
                m.n,
                pct(m.flagged_recall),
                pct(m.scam_recall),
                m.predicted_scam,
                pct(m.named_accuracy),
                pct(m.caught_and_named),
                pct_in(m.head_accuracy, m.head_accuracy_interval),
                pct(m.named_precision),
            );
        }
        s.push('\n');
    }

    fn category_confusion_table(&self, s: &mut String) {
        let c = &self.category_confusion;
        if c.truth.is_empty() {
            return;
        }
        let _ = writeln!(s, "## Category head's top choice per true category\n");
        let _ = writeln!(
            s,
            "Rows of each true category (down) by the category head's top choice (across), whatever the predicted label; empty cells are 0.\n"
        );
        let _ = writeln!(s, "| true \\ head | {} | n |", c.head.join(" | "));
        let _ = writeln!(s, "|---|{}---:|", "---:|".repeat(c.head.len()));
        for (name, row) in c.truth.iter().zip(&c.counts) {
            let cells: Vec<String> = row
                .iter()
                .map(|&n| if n == 0 { String::new() } else { n.to_string() })
                .collect();
            let n: u64 = row.iter().sum();
            let _ = writeln!(s, "| {} | {} | {n} |", cell(name), cells.join(" | "));
        }
        s.push('\n');
    }

    fn confusion_table(&self, s: &mut String) {
        let m = &self.overall.confusion;
        let _ = writeln!(s, "## Confusion matrix\n");
        let _ = writeln!(
            s,
            "| true \\ predicted | ham | spam | scam | unsure | total | right |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
        for t in Label::ALL {
            let row = m.counts[t.index()];
            let total: u64 = row.iter().sum();
            let right = (total > 0).then(|| row[t.index()] as f64 / total as f64);
            let _ = writeln!(
                s,
                "| {t} | {} | {} | {} | {} | {total} | {} |",
                row[0],
                row[1],
                row[2],
                row[3],
                pct(right)
            );
        }
        s.push('\n');
    }

    fn reliability_table(&self, s: &mut String) {
        let _ = writeln!(s, "## Reliability of p(scam)\n");
        let _ = writeln!(
            s,
            "Scam vs not scam (spam and ham; the spam of sources that do not tell scams from marketing left out), {} equal-width bins; a calibrated model has observed ≈ predicted. Expected calibration error: {}.\n",
            self.reliability.len(),
            f3(self.ece)
        );
        let _ = writeln!(s, "| p(scam) | n | mean predicted | observed | gap |");
        let _ = writeln!(s, "|---|---:|---:|---:|---:|");
        for b in &self.reliability {
            let (p, o, g) = if b.count > 0 {
                let (p, o) = (b.predicted as f64, b.observed as f64);
                (Some(p), Some(o), Some(o - p))
            } else {
                (None, None, None)
            };
            let gap = g.map_or("—".into(), |g| format!("{g:+.3}"));
            let _ = writeln!(
                s,
                "| {:.1}–{:.1} | {} | {} | {} | {gap} |",
                b.lo,
                b.hi,
                b.count,
                f3(p),
                f3(o)
            );
        }
        s.push('\n');
    }
}

/// Where the group's scams ended up: the shares called scam, called spam,
/// and missed (ham or unsure), or "—" without scams.
fn scam_outcomes(g: &GroupMetrics) -> String {
    let row = &g.confusion.counts[Label::Scam.index()];
    let n: u64 = row.iter().sum();
    if n == 0 {
        return "—".into();
    }
    let share = |k: u64| format!("{:.1}%", 100.0 * k as f64 / n as f64);
    let missed = row[Label::Ham.index()] + row[Label::Unsure.index()];
    format!(
        "{} / {} / {}",
        share(row[Label::Scam.index()]),
        share(row[Label::Spam.index()]),
        share(missed)
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::run;
    use super::super::{EvalOptions, evaluate_with};
    use super::*;

    #[test]
    fn markdown_renders_missing_as_dash_never_nan() {
        let md = run(4).to_markdown();
        for t in [
            "## Overall",
            "## Per source",
            "## Per channel",
            "## Per scam category",
            "## Confusion matrix",
            "## Reliability of p(scam)",
        ] {
            assert!(md.contains(t), "{t} missing:\n{md}");
        }
        assert!(!md.contains("NaN"), "{md}");
        assert!(md.contains('—'), "{md}");
        assert!(md.contains("| job | 2 |"), "{md}");
        assert!(md.contains("| scam | 1 | 0 | 2 | 0 | 3 | 66.67% |"), "{md}");
        assert!(md.contains("## Per language"), "{md}");
        let empty = evaluate_with(
            &[],
            &EvalOptions::default(),
            8,
            |_| unreachable!(),
            |_| unreachable!(),
        );
        let md = empty.to_markdown();
        assert!(md.contains("No messages were evaluated"), "{md}");
        assert!(!md.contains("NaN"));
    }

    #[test]
    fn fpr_levels_read_well() {
        assert_eq!(fpr_level(0.001), "0.1%");
        assert_eq!(fpr_level(0.01), "1%");
        assert_eq!(fpr_level(0.05), "5%");
        assert_eq!(fpr_level(0.0025), "0.25%");
    }
}
