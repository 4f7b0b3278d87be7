//! Leave-one-group-out cross-validation: train without each source, channel
//! or language in turn, and measure the pooled held-out predictions.

use super::{CHUNK, EvalOptions, EvalReport, evaluate_with, key};
use crate::classifier::{Classifier, ClassifyOptions, Verdict};
use crate::corpus::Example;
use crate::label::{Category, Label};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// How [`cross_validate`] splits the data: each value of this field is held
/// out in turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldOut {
    /// Leave one source out: how the model does on a corpus it never saw.
    Source,
    /// Leave one channel out: SMS, e-mail, social, video, job posts.
    Channel,
    /// Leave one language out.
    Lang,
}

impl HoldOut {
    /// The group of `e` under this split (`(none)` when the field is empty).
    pub(crate) fn key(self, e: &Example) -> String {
        key(match self {
            HoldOut::Source => &e.source,
            HoldOut::Channel => &e.channel,
            HoldOut::Lang => &e.lang,
        })
    }
}

/// Leave-one-group-out evaluation: for every value of `by` (every source,
/// say), trains a model with `params` on all other rows and scores the held-out
/// rows with it; the report pools those held-out predictions, so its
/// `by_source` (or `by_channel`, `by_lang`) table is the per-group
/// generalisation table and `overall` the micro-pooled one.
///
/// This is the measure that matters for a scam filter: new scripts, channels
/// and languages appear all the time, and in-domain figures hide how much a
/// model learned its training sources rather than scams.
///
/// `progress` hears about each group as it starts. A group whose complement
/// cannot be trained on (no scam rows left, say) is skipped and named in
/// `skipped`.
pub fn cross_validate(
    examples: &[Example],
    params: &crate::train::TrainParams,
    by: HoldOut,
    opts: &EvalOptions,
    progress: &(dyn Fn(&str) + Sync),
) -> crate::Result<CrossReport> {
    let mut names: Vec<String> = examples.iter().map(|e| by.key(e)).collect();
    names.sort();
    names.dedup();
    if !opts.hold_out_only.is_empty() {
        names.retain(|n| opts.hold_out_only.contains(n));
    }
    let mut verdicts: Vec<Option<Verdict>> = vec![None; examples.len()];
    let mut heads: Vec<Option<Category>> = vec![None; examples.len()];
    let mut thresholds: Vec<f32> = vec![f32::NAN; examples.len()];
    let mut skipped = Vec::new();
    for (g, name) in names.iter().enumerate() {
        let (test, train): (Vec<usize>, Vec<usize>) =
            (0..examples.len()).partition(|&i| by.key(&examples[i]) == *name);
        progress(&format!(
            "[{}/{}] holding out {name}: training on {} messages, testing on {}",
            g + 1,
            names.len(),
            train.len(),
            test.len()
        ));
        let train_rows: Vec<Example> = train.iter().map(|&i| examples[i].clone()).collect();
        let model = match crate::train::Trainer::new(params.clone())?.train(&train_rows) {
            Ok(m) => m,
            Err(e) => {
                progress(&format!("skipping {name}: {e}"));
                skipped.push(format!("{name}: {e}"));
                continue;
            }
        };
        drop(train_rows);
        for &i in &test {
            thresholds[i] = model.calibration.flag_threshold;
        }
        let c = Classifier::new(model).with_options(ClassifyOptions {
            reasons: 0,
            max_bytes: params.max_bytes,
            ..ClassifyOptions::default()
        });
        let texts: Vec<&str> = test.iter().map(|&i| examples[i].text.as_str()).collect();
        let vs = c.classify_batch(&texts);
        let cats: Vec<Category> = texts.par_iter().map(|t| c.categorize(t).0).collect();
        for ((&i, v), cat) in test.iter().zip(vs).zip(cats) {
            verdicts[i] = Some(v);
            heads[i] = Some(cat);
        }
    }
    let kept: Vec<usize> = (0..examples.len())
        .filter(|&i| verdicts[i].is_some())
        .collect();
    let rows: Vec<Example> = kept.iter().map(|&i| examples[i].clone()).collect();
    let predictions = kept
        .iter()
        .map(|&i| {
            let e = &examples[i];
            let v = verdicts[i].as_ref().expect("scored");
            HeldOutPrediction {
                id: e.id.clone(),
                source: e.source.clone(),
                channel: e.channel.clone(),
                lang: e.lang.clone(),
                truth: e.label,
                category: e.category,
                predicted: v.label,
                p_ham: v.probabilities.ham,
                p_spam: v.probabilities.spam,
                p_scam: v.probabilities.scam,
                coverage: v.coverage,
                head_category: heads[i].expect("categorized"),
                flag_threshold: thresholds[i],
            }
        })
        .collect();
    let report = evaluate_with(
        &rows,
        opts,
        CHUNK,
        |idx| {
            idx.iter()
                .map(|&j| verdicts[kept[j]].clone().expect("scored"))
                .collect()
        },
        |idx| {
            idx.iter()
                .map(|&j| heads[kept[j]].expect("categorized"))
                .collect()
        },
    );
    Ok(CrossReport {
        by,
        groups: names.len() - skipped.len(),
        skipped,
        report,
        predictions,
    })
}

/// One held-out row of [`cross_validate`]: for re-analysis (other
/// thresholds, other groupings) without retraining.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldOutPrediction {
    /// The row's id.
    pub id: String,
    /// Its source.
    pub source: String,
    /// Its channel.
    pub channel: String,
    /// Its language.
    pub lang: String,
    /// Its true label.
    pub truth: Label,
    /// Its true category, if any.
    pub category: Option<Category>,
    /// The decision of the model that did not see its group.
    pub predicted: Label,
    /// Calibrated p(ham).
    pub p_ham: f32,
    /// Calibrated p(spam).
    pub p_spam: f32,
    /// Calibrated p(scam).
    pub p_scam: f32,
    /// Share of its words in that model's vocabulary.
    pub coverage: f32,
    /// The category head's choice.
    pub head_category: Category,
    /// That model's flag threshold on `1 − p(ham)`.
    pub flag_threshold: f32,
}

/// What [`cross_validate`] returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossReport {
    /// The field held out.
    pub by: HoldOut,
    /// Groups evaluated.
    pub groups: usize,
    /// Groups that could not be trained without, with the reason.
    pub skipped: Vec<String>,
    /// The pooled held-out predictions, measured.
    pub report: EvalReport,
    /// Every held-out row's prediction (not part of the JSON report; the
    /// CLI writes them with `--predictions`).
    #[serde(skip)]
    pub predictions: Vec<HeldOutPrediction>,
}

impl CrossReport {
    /// The report as Markdown, titled by what was held out.
    pub fn to_markdown(&self) -> String {
        let what = match self.by {
            HoldOut::Source => "source",
            HoldOut::Channel => "channel",
            HoldOut::Lang => "language",
        };
        let mut s = format!(
            "# Leave-one-{what}-out evaluation\n\nEach {what} was held out in turn ({} in all); a model trained on everything else scored it. The tables pool those held-out predictions: the per-{what} table is the generalisation table, the overall figures are micro-pooled.\n\n",
            self.groups
        );
        for sk in &self.skipped {
            s.push_str(&format!("Skipped: {sk}\n\n"));
        }
        let inner = self.report.to_markdown();
        s.push_str(inner.trim_start_matches("# Evaluation\n\n"));
        s
    }
}
