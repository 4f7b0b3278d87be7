//! Campaign grouping against the hand-written scripts of
//! `tests/fixtures/campaigns/` (71 scripts, 972 variants; see its README):
//! B-cubed precision, recall and F1 against the true script.
//!
//! The variants are disguised here, in code, with the obfuscation suite:
//! variant `n` of a script gets `Perturbation::ALL[n % 8]` (none for one
//! in eight). They are interleaved with the legitimate messages of
//! `datasets/legit/`, each of which is its own class: grouping two
//! legitimate messages, or a legitimate one with a script, costs precision.
//! With `SCAMSCAN_CORPORA=DIR` (the shared corpora) the first 20,000 rows
//! of every corpus are mixed in as well, for the figure with corpus
//! messages; CI has no corpora and runs the first mix only.

use scamscan::campaigns::Campaigns;
use scamscan::metrics::{bcubed, bcubed_scoring};
use scamscan::obfuscate::Perturbation;
use serde_json::Value;
use std::path::Path;

fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON row"))
        .collect()
}

/// `(id, text, true class)` of the scripts' variants, disguised.
fn scripts() -> Vec<(String, String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    jsonl(&root.join("tests/fixtures/campaigns/scripts.jsonl"))
        .into_iter()
        .map(|r| {
            let id = r["id"].as_str().unwrap().to_string();
            let n: usize = id.rsplit(':').next().unwrap().parse().unwrap();
            let text = r["text"].as_str().unwrap();
            let text = match Perturbation::ALL.get(n % 8) {
                Some(p) => p.apply(text, n as u64),
                None => text.to_string(),
            };
            (id, text, r["script"].as_str().unwrap().to_string())
        })
        .collect()
}

/// Rows of the JSONL files under `dir`, each its own class.
fn singles(dir: &Path, per_file: usize) -> Vec<(String, String, String)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| jsonl(f).into_iter().take(per_file))
        .map(|r| {
            let id = r["id"].as_str().unwrap().to_string();
            (
                id.clone(),
                r["text"].as_str().unwrap().to_string(),
                format!("single:{id}"),
            )
        })
        .collect()
}

/// Interleaves `b` into `a` evenly, groups every message, and returns
/// B-cubed (precision, recall, F1) over all and over the scripts' rows.
fn measure_with(
    config: scamscan::campaigns::CampaignConfig,
    a: Vec<(String, String, String)>,
    b: Vec<(String, String, String)>,
) -> ((f64, f64, f64), (f64, f64, f64)) {
    let mut stream = Vec::with_capacity(a.len() + b.len());
    let (na, nb) = (a.len(), b.len());
    let (mut ia, mut ib) = (a.into_iter(), b.into_iter());
    let mut taken_b = 0;
    for i in 0..na + nb {
        let want_b = ((i + 1) * nb) / (na + nb);
        let next = if taken_b < want_b {
            taken_b += 1;
            ib.next()
        } else {
            ia.next()
        };
        stream.push(next.expect("counts add up"));
    }
    let mut c = Campaigns::with_config(config).unwrap();
    let assigned: Vec<(String, Option<String>, bool)> = stream
        .iter()
        .map(|(id, text, class)| {
            (
                class.clone(),
                c.add_text(id, text),
                !class.starts_with("single:"),
            )
        })
        .collect();
    let all: Vec<(String, Option<String>)> = assigned
        .iter()
        .map(|(t, p, _)| (t.clone(), p.clone()))
        .collect();
    // The script rows, their clusters counted whole: a script row grouped
    // with another message loses precision, whatever that message is.
    let scripted = bcubed_scoring(&all, |i| assigned[i].2).unwrap();
    (bcubed(&all).unwrap(), scripted)
}

fn measure(
    a: Vec<(String, String, String)>,
    b: Vec<(String, String, String)>,
) -> ((f64, f64, f64), (f64, f64, f64)) {
    measure_with(Default::default(), a, b)
}

#[test]
#[ignore]
fn sweep() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let legit = singles(&root.join("datasets/legit"), usize::MAX);
    for shingle in [1, 2, 3] {
        for (bands, rows) in [(16, 4), (32, 2), (21, 3)] {
            for threshold in [0.2, 0.3, 0.4, 0.5] {
                let config = scamscan::campaigns::CampaignConfig {
                    shingle,
                    bands,
                    rows,
                    threshold,
                    ..Default::default()
                };
                let (all, only) = measure_with(config, scripts(), legit.clone());
                eprintln!(
                    "k={shingle} b={bands} r={rows} t={threshold}: all P {:.3} R {:.3} F1 {:.3}; scripts F1 {:.3}",
                    all.0, all.1, all.2, only.2
                );
            }
        }
    }
}

#[test]
fn scripts_group_by_script_among_legitimate_messages() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scripts = scripts();
    assert!(scripts.len() >= 900, "{} variants", scripts.len());
    let legit = singles(&root.join("datasets/legit"), usize::MAX);
    assert!(legit.len() >= 300, "{} legitimate messages", legit.len());
    let (all, only) = measure(scripts.clone(), legit.clone());
    eprintln!(
        "B-cubed with {} rows of datasets/legit: all rows P {:.3} R {:.3} F1 {:.3}; script rows P {:.3} R {:.3} F1 {:.3}",
        legit.len(),
        all.0,
        all.1,
        all.2,
        only.0,
        only.1,
        only.2
    );
    assert!(all.2 >= 0.90, "F1 {:.3}", all.2);
    assert!(only.2 >= 0.90, "F1 {:.3}", only.2);
    if let Some(dir) = std::env::var_os("SCAMSCAN_CORPORA") {
        let mut others = singles(Path::new(&dir), 20_000);
        let n = others.len();
        others.extend(legit);
        let (all, only) = measure(scripts, others);
        // Corpus rows are each their own class here, though the corpora
        // hold near-duplicates of their own: the all-rows figure is a floor.
        eprintln!(
            "B-cubed with {n} corpus rows too: all rows P {:.3} R {:.3} F1 {:.3}; script rows P {:.3} R {:.3} F1 {:.3}",
            all.0, all.1, all.2, only.0, only.1, only.2
        );
        assert!(only.2 >= 0.90, "F1 {:.3}", only.2);
    }
}
