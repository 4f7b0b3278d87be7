//! The fuzz targets under a stable `cargo test`: the same bodies
//! (`scamscan_fuzzing`) that `cargo +nightly fuzz run TARGET` drives, run
//! here over the seed corpus, every input a fuzz run ever crashed on
//! (`fuzz/seeds/TARGET/`), and proptest mutations of the seeds. A smoke run,
//! not a fuzz run: a few seconds per target, so CI exercises the targets and
//! their invariants without nightly or libFuzzer.

use proptest::prelude::*;
use scamscan_fuzzing::TARGETS;
use std::path::PathBuf;

fn seed_dir(target: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("fuzz/seeds")
        .join(target)
}

/// The seeds generated in code, grouped by target.
fn generated(target: &str) -> Vec<Vec<u8>> {
    scamscan_fuzzing::seeds()
        .into_iter()
        .filter(|(t, _, _)| *t == target)
        .map(|(_, _, b)| b)
        .collect()
}

#[test]
fn every_target_runs_on_every_committed_input() {
    let mut files = 0;
    for target in TARGETS {
        let run = scamscan_fuzzing::target(target).expect("a known target");
        for bytes in generated(target) {
            run(&bytes);
        }
        let dir = seed_dir(target);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            let bytes = std::fs::read(&path).expect("a readable seed");
            run(&bytes);
            files += 1;
        }
    }
    assert!(
        files >= scamscan_fuzzing::seeds().len(),
        "{files} seed files"
    );
}

/// The committed seed corpus is what `scamscan_fuzzing::seeds()` generates, so the
/// fuzz command in the README starts from the current seeds.
/// `SCAMSCAN_WRITE_SEEDS=1 cargo test --test fuzz_smoke` rewrites them.
#[test]
fn committed_seeds_are_current() {
    let write = std::env::var_os("SCAMSCAN_WRITE_SEEDS").is_some();
    for (target, name, bytes) in scamscan_fuzzing::seeds() {
        let path = seed_dir(target).join(&name);
        if write {
            std::fs::create_dir_all(seed_dir(target)).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        } else {
            let on_disk = std::fs::read(&path).unwrap_or_else(|e| {
                panic!("{}: {e}; rerun with SCAMSCAN_WRITE_SEEDS=1", path.display())
            });
            assert!(
                on_disk == bytes,
                "{} is stale; rerun with SCAMSCAN_WRITE_SEEDS=1",
                path.display()
            );
        }
    }
}

/// An edit of a seed: overwrite, insert or delete a byte, or cut the input.
#[derive(Debug, Clone)]
enum Edit {
    Set(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Delete),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

/// A seed of `target` with up to 8 edits, keeping the selector byte
/// mostly (edits at index 0 change what the target reads the bytes as).
fn mutated(target: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let seeds = generated(target);
    (0..seeds.len(), prop::collection::vec(edit(), 0..8)).prop_map(move |(i, edits)| {
        let mut b = seeds[i].clone();
        for e in edits {
            let len = b.len().max(1);
            match e {
                Edit::Set(i, v) if !b.is_empty() => b[i % len] = v,
                Edit::Insert(i, v) => b.insert(i % (b.len() + 1), v),
                Edit::Delete(i) if !b.is_empty() => {
                    b.remove(i % len);
                }
                Edit::Truncate(i) => b.truncate(i % (b.len() + 1)),
                _ => {}
            }
        }
        b
    })
}

// Case counts are chosen for about a second per target in a test build;
// the fuzzer, not this, is where the volume comes from.
proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn pipeline_on_random_bytes(data in prop::collection::vec(any::<u8>(), 0..1500)) {
        scamscan_fuzzing::pipeline(&data);
    }

    #[test]
    fn pipeline_on_random_text(text in "\\PC{0,400}") {
        scamscan_fuzzing::pipeline(text.as_bytes());
    }

    #[test]
    fn pipeline_on_mutated_seeds(data in mutated("pipeline")) {
        scamscan_fuzzing::pipeline(&data);
    }

    #[test]
    fn model_loader_on_mutated_seeds(data in mutated("model")) {
        scamscan_fuzzing::model(&data);
    }

    #[test]
    fn model_loader_on_random_bytes(data in prop::collection::vec(any::<u8>(), 0..600)) {
        scamscan_fuzzing::model(&data);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn jsonl_and_lines_on_mutated_seeds(data in mutated("jsonl")) {
        scamscan_fuzzing::jsonl(&data);
    }

    #[test]
    fn csv_and_tsv_on_mutated_seeds(data in mutated("csv")) {
        scamscan_fuzzing::csv(&data);
    }

    #[test]
    fn email_and_mbox_on_mutated_seeds(data in mutated("email")) {
        scamscan_fuzzing::email(&data);
    }

    #[test]
    fn parsers_on_random_bytes(data in prop::collection::vec(any::<u8>(), 0..1500)) {
        scamscan_fuzzing::jsonl(&data);
        scamscan_fuzzing::csv(&data);
        scamscan_fuzzing::email(&data);
    }
}
