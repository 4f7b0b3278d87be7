//! The README's figures come from files that commands write, and stay
//! what those files say: the Accuracy table is the summary of
//! `models/default/EVALUATION.md` (the output of `scamscan eval` and
//! `scripts/compare.sh`), the Speed table rows are rows of the latest run in
//! `benches/README.md` (the output of `scripts/bench.sh`). Its console
//! examples are run by `crates/scamscan-cli/tests/readme.rs`, its Rust
//! example by the doc tests (`scamscan::ReadmeDoctests`).

use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).expect(rel)
}

/// The table rows (`| ... |` lines past the header separator) of the
/// section of `markdown` whose heading is `heading`.
fn table_rows<'a>(markdown: &'a str, heading: &str) -> Vec<&'a str> {
    let start = markdown
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("no section {heading:?}"));
    let section = &markdown[start + heading.len() + 2..];
    let end = section.find("\n#").unwrap_or(section.len());
    let rows: Vec<&str> = section[..end]
        .lines()
        .filter(|l| l.starts_with('|'))
        .skip(2)
        .collect();
    assert!(!rows.is_empty(), "section {heading:?} has no table");
    rows
}

#[test]
fn the_accuracy_table_is_the_evaluation_summary() {
    let readme = read("README.md");
    let evaluation = read("models/default/EVALUATION.md");
    assert_eq!(
        table_rows(&readme, "## Accuracy"),
        table_rows(&evaluation, "## Summary")
    );
}

#[test]
fn the_speed_table_is_the_latest_bench_run() {
    let readme = read("README.md");
    let bench = read("benches/README.md");
    let latest = table_rows(&bench, "## Latest run");
    for row in table_rows(&readme, "## Speed") {
        assert!(
            latest.contains(&row),
            "not in benches/README.md's latest run: {row}"
        );
    }
}

#[test]
fn the_readme_stays_a_readme() {
    let lines = read("README.md").lines().count();
    // A user's guide: the history is in CHANGELOG.md, the benchmark diary in
    // benches/README.md, the full evaluation in models/default/EVALUATION.md.
    assert!(lines <= 450, "README.md has {lines} lines");
}
