//! Recall under obfuscation: every spam and scam row scored clean and under
//! each perturbation, and the table of what was lost.

use super::report::f3;
use super::{CHUNK, ratio};
use crate::classifier::{Classifier, ClassifyOptions};
use crate::corpus::Example;
use crate::label::Label;
use crate::obfuscate::Perturbation;
use rayon::prelude::*;
use serde::Serialize;
use std::fmt::Write as _;

/// Recall at the default decision on clean and perturbed positives.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RobustnessRow {
    /// The perturbation, or `None` for the clean text.
    pub perturbation: Option<Perturbation>,
    /// Spam and scam rows perturbed and scored.
    pub positives: usize,
    /// Share of them flagged (spam or scam).
    pub recall: Option<f64>,
    /// Scam rows among them.
    pub scams: usize,
    /// Share of scam rows labeled scam.
    pub scam_recall: Option<f64>,
    /// Clean recall minus this recall (positive: recall lost).
    pub recall_drop: Option<f64>,
}

/// Scores every spam and scam row clean and under each perturbation, and
/// reports recall at the classifier's default decision: how much a sender
/// gains by disguising the text.
///
/// # Example
///
/// ```
/// use scamscan::{eval::robustness, obfuscate::Perturbation, Classifier, Example, Label};
/// let ex = Example { id: String::new(), source: "demo".into(), channel: "sms".into(), lang: "en".into(),
///     label: Label::Scam, category: None,
///     text: "URGENT: your bank account is suspended. Verify now at secure-bank-login.xyz/verify".into(), reviewed: false };
/// let rows = robustness(&Classifier::default(), &[ex], &[Perturbation::ZeroWidth], 1);
/// assert_eq!(rows.len(), 2); // clean, then zero-width
/// assert_eq!(rows[1].recall, rows[0].recall);
/// ```
pub fn robustness(
    classifier: &Classifier,
    examples: &[Example],
    perturbations: &[Perturbation],
    seed: u64,
) -> Vec<RobustnessRow> {
    let positives: Vec<&Example> = examples.iter().filter(|e| e.label != Label::Ham).collect();
    let fast = classifier.clone().with_options(ClassifyOptions {
        reasons: 0,
        ..classifier.options().clone()
    });
    let scams = positives.iter().filter(|e| e.label == Label::Scam).count();
    let run = |p: Option<Perturbation>| -> (usize, usize) {
        let mut flagged = 0;
        let mut scam_hit = 0;
        for chunk in positives.chunks(CHUNK) {
            let texts: Vec<String> = chunk
                .par_iter()
                .map(|e| p.map_or_else(|| e.text.clone(), |p| p.apply(&e.text, seed)))
                .collect();
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            for (e, v) in chunk.iter().zip(fast.classify_batch(&refs)) {
                flagged += v.is_flagged() as usize;
                scam_hit += (e.label == Label::Scam && v.label == Label::Scam) as usize;
            }
        }
        (flagged, scam_hit)
    };
    let (clean_f, clean_s) = run(None);
    let clean = ratio(clean_f, positives.len());
    let mut out = vec![RobustnessRow {
        perturbation: None,
        positives: positives.len(),
        recall: clean,
        scams,
        scam_recall: ratio(clean_s, scams),
        recall_drop: clean.map(|_| 0.0),
    }];
    for &p in perturbations {
        let (f, s) = run(Some(p));
        let recall = ratio(f, positives.len());
        out.push(RobustnessRow {
            perturbation: Some(p),
            positives: positives.len(),
            recall,
            scams,
            scam_recall: ratio(s, scams),
            recall_drop: clean.zip(recall).map(|(c, r)| c - r),
        });
    }
    out
}

/// The robustness table as Markdown.
pub fn robustness_markdown(rows: &[RobustnessRow]) -> String {
    let mut s = String::from(
        "## Recall under obfuscation (default decision)\n\n| text | spam+scam rows | recall | recall lost | scam rows | scam recall |\n|---|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            r.perturbation.map_or("clean", |p| p.as_str()),
            r.positives,
            f3(r.recall),
            r.recall_drop.map_or("—".into(), |d| format!("{d:+.3}")),
            r.scams,
            f3(r.scam_recall)
        );
    }
    s.push('\n');
    s
}
