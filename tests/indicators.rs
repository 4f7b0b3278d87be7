//! Indicator extraction against the hand-labelled fixture set
//! (`tests/fixtures/indicators/`, see its README): precision and recall per
//! kind, and the look-alikes that must not be extracted.
//!
//! A message's phone numbers are read in the country the fixture gives for
//! it (`Extractor::with_region`), as an operator reads its own traffic.
//! An indicator counts as found when its kind and value match exactly.

use scamscan::indicators::{Extractor, IndicatorKind};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};

fn rows() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/indicators/messages.jsonl"
    );
    std::fs::read_to_string(path)
        .expect("the indicator fixtures")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON row"))
        .collect()
}

#[derive(Default, Debug)]
struct Tally {
    tp: u64,
    fp: u64,
    fn_: u64,
}

#[test]
fn precision_and_recall_per_kind() {
    let mut tally: BTreeMap<String, Tally> = BTreeMap::new();
    let mut misses = Vec::new();
    let mut negatives_hit = Vec::new();
    let plain = Extractor::new();
    for row in rows() {
        let text = row["text"].as_str().unwrap();
        let x = match row["country"].as_str() {
            Some(c) => plain
                .clone()
                .with_region(c)
                .unwrap_or_else(|_| plain.clone()),
            None => plain.clone(),
        };
        let found: HashSet<(String, String)> = x
            .extract(text)
            .into_iter()
            .map(|i| (i.kind.to_string(), i.value))
            .collect();
        let truth: HashSet<(String, String)> = row["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["kind"].as_str().unwrap().to_string(),
                    i["value"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        for k in &truth {
            let t = tally.entry(k.0.clone()).or_default();
            if found.contains(k) {
                t.tp += 1;
            } else {
                t.fn_ += 1;
                misses.push(format!("{} {:?} in {}", row["id"], k, text));
            }
        }
        for k in found.difference(&truth) {
            tally.entry(k.0.clone()).or_default().fp += 1;
            misses.push(format!("{} extra {:?}", row["id"], k));
        }
        for n in row["not_indicators"].as_array().unwrap() {
            let t = n["text"].as_str().unwrap();
            if found.iter().any(|f| f.1 == t || f.1.contains(t.trim())) {
                negatives_hit.push(format!("{} {}", row["id"], t));
            }
        }
    }
    if std::env::var_os("SCAMSCAN_SHOW_MISSES").is_some() {
        for m in &misses {
            eprintln!("{m}");
        }
    }
    let mut report =
        String::from("| kind | labelled | precision | recall |\n|---|---:|---:|---:|\n");
    for (kind, t) in &tally {
        let p = t.tp as f64 / (t.tp + t.fp).max(1) as f64;
        let r = t.tp as f64 / (t.tp + t.fn_).max(1) as f64;
        report.push_str(&format!(
            "| {kind} | {} | {p:.3} | {r:.3} |\n",
            t.tp + t.fn_
        ));
    }
    eprintln!("{report}negatives extracted: {}", negatives_hit.len());
    // Every kind is labelled at least 300 times (the README's counts), and
    // extraction stays near what it was measured at (models/default/EVALUATION.md).
    for k in IndicatorKind::ALL {
        let t = &tally[k.as_str()];
        assert!(t.tp + t.fn_ >= 300, "{k}: {t:?}");
        let p = t.tp as f64 / (t.tp + t.fp).max(1) as f64;
        let r = t.tp as f64 / (t.tp + t.fn_).max(1) as f64;
        assert!(
            p >= 0.87 && r >= 0.84,
            "{k}: precision {p:.3}, recall {r:.3}"
        );
    }
    assert!(
        negatives_hit.len() <= 8,
        "look-alikes extracted: {negatives_hit:?}"
    );
}
