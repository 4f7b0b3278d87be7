//! Our own messages (`datasets/`) keep their promises: the corpus schema
//! with `lang`, `channel` and, for scams, `category` on every row; enough
//! legitimate messages and scams in every language the scam centres work in;
//! and no two rows near-duplicates of each other (written, not generated).

use scamscan::corpus::{jsonl_files, read_jsonl};
use scamscan::{Example, Label};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// The languages issue #22 asks for, each with at least [`MIN_HAM`]
/// legitimate messages and [`MIN_SCAM`] scams.
const LANGUAGES: [&str; 22] = [
    "vi", "th", "km", "my", "lo", "tl", "id", "ms", "zh", "es", "pt", "ar", "hi", "ja", "ko", "fr",
    "de", "ru", "sw", "tr", "bn", "ur",
];
const MIN_HAM: usize = 40;
const MIN_SCAM: usize = 25;
/// Two rows whose character 5-gram sets have a Jaccard similarity at least
/// this are near-duplicates (`scripts/near_dups.py` applies the same rule).
const NEAR_DUPLICATE: f64 = 0.8;

fn rows() -> Vec<Example> {
    let mut out = Vec::new();
    for file in jsonl_files(Path::new("datasets")).expect("datasets/ lists") {
        if file.components().any(|c| c.as_os_str() == "annotations") {
            continue;
        }
        out.extend(read_jsonl(&file).unwrap_or_else(|e| panic!("{e}")));
    }
    out
}

#[test]
fn every_row_has_language_channel_and_scam_category() {
    let rows = rows();
    assert!(rows.len() > 3000, "{} rows", rows.len());
    let mut ids = HashSet::new();
    for e in &rows {
        assert!(ids.insert(e.id.as_str()), "duplicate id {}", e.id);
        assert!(!e.lang.is_empty(), "{}: no lang", e.id);
        assert!(
            ["sms", "email", "social", "video", "job_post"].contains(&e.channel.as_str()),
            "{}: channel {:?}",
            e.id,
            e.channel
        );
        assert_eq!(
            e.label == Label::Scam,
            e.category.is_some(),
            "{}: a scam has a category, nothing else does",
            e.id
        );
        assert!(!e.text.trim().is_empty(), "{}: empty text", e.id);
    }
}

#[test]
fn every_language_has_enough_legitimate_messages_and_scams() {
    let mut counts: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    let rows = rows();
    for e in &rows {
        counts.entry(e.lang.as_str()).or_default()[e.label.index()] += 1;
    }
    let short: Vec<String> = LANGUAGES
        .iter()
        .filter_map(|l| {
            let c = counts.get(l).copied().unwrap_or_default();
            let (ham, scam) = (c[Label::Ham.index()], c[Label::Scam.index()]);
            (ham < MIN_HAM || scam < MIN_SCAM).then(|| format!("{l}: {ham} ham, {scam} scam"))
        })
        .collect();
    assert!(short.is_empty(), "too few: {short:?}");
    let en = counts.get("en").copied().unwrap_or_default();
    assert!(en.iter().sum::<usize>() >= 300, "English: {en:?}");
}

fn shingles(text: &str) -> HashSet<String> {
    let t: Vec<char> = text
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .collect();
    if t.len() < 5 {
        return std::iter::once(t.iter().collect()).collect();
    }
    t.windows(5).map(|w| w.iter().collect()).collect()
}

/// Pairs at or above [`NEAR_DUPLICATE`], by prefix filtering: two sets with
/// Jaccard ≥ t share a shingle among the first `|A| - ceil(t |A|) + 1` of
/// each set's rarest-first order, so only rows sharing such a shingle are
/// compared (comparing all 13 million pairs would take minutes).
fn near_duplicates(texts: &[&str]) -> Vec<(usize, usize, f64)> {
    let sets: Vec<HashSet<String>> = texts.iter().map(|t| shingles(t)).collect();
    let mut df: HashMap<&str, usize> = HashMap::new();
    for s in &sets {
        for g in s {
            *df.entry(g.as_str()).or_default() += 1;
        }
    }
    let mut index: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut found = Vec::new();
    for (i, s) in sets.iter().enumerate() {
        let mut order: Vec<&str> = s.iter().map(String::as_str).collect();
        order.sort_by_key(|g| (df[g], *g));
        let prefix = order.len() - (NEAR_DUPLICATE * order.len() as f64).ceil() as usize + 1;
        let mut candidates: Vec<usize> = order[..prefix.min(order.len())]
            .iter()
            .flat_map(|g| index.get(g).into_iter().flatten().copied())
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        for j in candidates {
            let inter = s.intersection(&sets[j]).count();
            let jaccard = inter as f64 / (s.len() + sets[j].len() - inter) as f64;
            if jaccard >= NEAR_DUPLICATE {
                found.push((j, i, jaccard));
            }
        }
        for g in &order[..prefix.min(order.len())] {
            index.entry(g).or_default().push(i);
        }
    }
    found
}

#[test]
fn the_near_duplicate_check_finds_an_edited_copy() {
    let a = "Your parcel is waiting at the depot, pay the 1.99 fee at parcel-depot.top today";
    let b = "Your parcel is waiting at the depot, pay the 2.99 fee at parcel-depot.top today";
    let c = "Mum can you call me back when you get a minute, the car is making that noise again";
    assert_eq!(near_duplicates(&[a, c, b]).len(), 1);
    assert!(near_duplicates(&[a, c]).is_empty());
}

#[test]
fn no_two_rows_are_near_duplicates() {
    let rows = rows();
    let texts: Vec<&str> = rows.iter().map(|e| e.text.as_str()).collect();
    let pairs: Vec<String> = near_duplicates(&texts)
        .into_iter()
        .map(|(i, j, s)| format!("{} ~ {} ({s:.2})", rows[i].id, rows[j].id))
        .collect();
    assert!(pairs.is_empty(), "near-duplicates: {pairs:#?}");
}
