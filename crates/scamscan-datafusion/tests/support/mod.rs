//! What the tests of the engine crates share (`scamscan-ballista`'s
//! include this file by `#[path]`): the `scamscan` command line, the
//! reference the UDF's verdicts must equal, and a verdict row to compare.

#![allow(dead_code)] // each test crate uses its own part

use datafusion::arrow::array::{Array, AsArray, StructArray};
use datafusion::arrow::datatypes::Float32Type;

use serde_json::Value;

/// One row's verdict as the UDF gives it.
#[derive(Debug, PartialEq)]
pub struct Row {
    pub label: String,
    pub score: u32,
    pub p: [u32; 3],
    pub category: Option<String>,
    pub unsure: bool,
    pub truncated: bool,
}

impl Row {
    /// The same fields from a `classify --output jsonl` record; floats as
    /// their bits, so that equality is bit for bit.
    pub fn from_cli(r: &Value) -> Row {
        let f = |v: &Value| (v.as_f64().expect("a number") as f32).to_bits();
        let label = r["label"].as_str().expect("a label").to_string();
        Row {
            unsure: label == "unsure",
            label,
            score: f(&r["score"]),
            p: [
                f(&r["probabilities"]["ham"]),
                f(&r["probabilities"]["spam"]),
                f(&r["probabilities"]["scam"]),
            ],
            category: r["category"].as_str().map(String::from),
            truncated: r["truncated"].as_bool().expect("truncated"),
        }
    }

    /// Row `i` of a `scamscan(...)` struct column; `None` when it is null.
    pub fn from_struct(s: &StructArray, i: usize) -> Option<Row> {
        if s.is_null(i) {
            for c in s.columns() {
                assert!(c.is_null(i), "a null struct has null fields");
            }
            return None;
        }
        let text = |name: &str| {
            let a = s.column_by_name(name).unwrap().as_string::<i32>();
            (!a.is_null(i)).then(|| a.value(i).to_string())
        };
        let float = |name: &str| {
            let a = s
                .column_by_name(name)
                .unwrap()
                .as_primitive::<Float32Type>();
            a.value(i).to_bits()
        };
        let boolean = |name: &str| s.column_by_name(name).unwrap().as_boolean().value(i);
        Some(Row {
            label: text("label").expect("a label"),
            score: float("score"),
            p: [float("p_ham"), float("p_spam"), float("p_scam")],
            category: text("category"),
            unsure: boolean("unsure"),
            truncated: boolean("truncated"),
        })
    }
}

/// The `scamscan` command line.
pub mod cli {
    use serde_json::Value;
    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::sync::OnceLock;

    /// The workspace root.
    pub fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// The `scamscan` binary: `$SCAMSCAN_BIN` when set (as
    /// scripts/test-cluster.sh does), else the one cargo builds for the test
    /// command. A test crate cannot name another package's binary, hence
    /// the build; it asks for what the test command (`cargo test
    /// --workspace`) builds, every binary and test target,
    /// so that features unify the same way and the build is a no-op after
    /// that command, where `cargo build -p scamscan-cli` would rebuild the
    /// library and its dependencies with other features.
    pub fn bin() -> &'static Path {
        static BIN: OnceLock<PathBuf> = OnceLock::new();
        BIN.get_or_init(|| {
            if let Some(p) = std::env::var_os("SCAMSCAN_BIN") {
                return PathBuf::from(p);
            }
            let messages = escargot::CargoBuild::new()
                .manifest_path(root().join("Cargo.toml"))
                .args(["--workspace", "--bins", "--tests"])
                .exec()
                .expect("cargo builds the workspace's binaries");
            let mut found = None;
            for m in messages {
                let m = m.expect("cargo builds the workspace's binaries");
                if let Ok(escargot::format::Message::CompilerArtifact(a)) = m.decode()
                    && a.target.name == "scamscan"
                    && a.target.kind == ["bin"]
                    && !a.profile.test
                {
                    found = a.executable.map(|p| p.into_owned());
                }
            }
            found.expect("cargo built the scamscan binary")
        })
    }

    /// Runs `scamscan ARGS` and returns (exit code, stdout, stderr).
    pub fn run(args: &[&str]) -> (i32, String, String) {
        let out = Command::new(bin())
            .args(args)
            .current_dir(root())
            .output()
            .expect("scamscan runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Writes `rows` (id, text) as JSONL to `path`.
    pub fn write_jsonl(path: &Path, rows: &[(String, String)]) {
        let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create the JSONL"));
        for (id, text) in rows {
            serde_json::to_writer(&mut f, &serde_json::json!({"id": id, "text": text})).unwrap();
            f.write_all(b"\n").unwrap();
        }
        f.flush().unwrap();
    }

    /// `scamscan classify --input jsonl --output jsonl EXTRA... FILE` on `rows`:
    /// one JSON record per row, in order.
    pub fn classify(dir: &Path, rows: &[(String, String)], extra: &[&str]) -> Vec<Value> {
        let input = dir.join("cli-input.jsonl");
        write_jsonl(&input, rows);
        let input = input.display().to_string();
        let mut args = vec!["classify", "--input", "jsonl", "--output", "jsonl"];
        args.extend_from_slice(extra);
        args.push(&input);
        let (code, stdout, stderr) = run(&args);
        assert!(
            code == 0 || code == 1,
            "scamscan classify failed ({code}): {stderr}"
        );
        let records: Vec<Value> = stdout
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        assert_eq!(
            records.len(),
            rows.len(),
            "one record per row; stderr: {stderr}"
        );
        records
    }

    /// A model trained by `scamscan train` on `datasets/` with hyperparameters
    /// that train in seconds, in `dir`.
    pub fn train(dir: &Path) -> PathBuf {
        let out = dir.join("model");
        let out_s = out.display().to_string();
        let (code, _, stderr) = run(&[
            "train",
            "--quiet",
            "--data",
            "datasets",
            "--out",
            &out_s,
            "--buckets-log2",
            "12",
            "--max-iterations",
            "40",
        ]);
        assert_eq!(code, 0, "scamscan train failed: {stderr}");
        out
    }

    /// The texts of `datasets/` with ids, plus the edge cases every test
    /// should see: an empty text, one longer than the default `--max-bytes`
    /// (cut inside a multi-byte character), and a one-character text.
    pub fn dataset_rows() -> Vec<(String, String)> {
        let examples =
            scamscan::corpus::read_dir_or_file(&root().join("datasets")).expect("datasets/ reads");
        let mut rows: Vec<(String, String)> = examples
            .into_iter()
            .enumerate()
            .map(|(i, e)| (format!("d{i}"), e.text))
            .collect();
        assert!(rows.len() > 500, "{} dataset messages", rows.len());
        let long: String = rows[..40]
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join(" é ")
            .repeat(64);
        assert!(
            long.len() > scamscan::classifier::DEFAULT_MAX_BYTES,
            "{}",
            long.len()
        );
        rows.push(("empty".into(), String::new()));
        rows.push(("long".into(), long));
        rows.push(("one".into(), "a".into()));
        rows
    }
}
