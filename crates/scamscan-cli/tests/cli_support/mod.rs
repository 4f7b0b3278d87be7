//! Helpers shared by the command-line tests: run the real binary, and train
//! (once per build) a small model from the project's own `datasets/`.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// What a run of the binary produced.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// The stdout lines parsed as JSON.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:?}")))
            .collect()
    }
}

/// The repository root: tests run there, so relative paths are stable.
pub fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .canonicalize()
        .expect("the repository root")
}

pub fn fixture(name: &str) -> String {
    format!("tests/fixtures/{name}")
}

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_scamscan"));
    c.args(args)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .env_remove("SCAMSCAN_FONT");
    c
}

/// Runs `scamscan ARGS` with an empty stdin.
pub fn run(args: &[&str]) -> Out {
    let out = command(args)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    finish(out)
}

/// Runs `scamscan ARGS` with `input` on stdin.
pub fn run_stdin(args: &[&str], input: &[u8]) -> Out {
    let mut child = command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_vec();
    // Write from another thread so a large input cannot deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("the binary finishes");
    writer.join().expect("the writer thread");
    finish(out)
}

fn finish(out: std::process::Output) -> Out {
    Out {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Hyperparameters that train in seconds even in a debug build.
pub const FAST_TRAIN: &[&str] = &["--buckets-log2", "12", "--max-iterations", "40"];

/// A model trained with `scamscan train` on `datasets/`, shared by every
/// test of this build (kept under the target directory, keyed by the binary,
/// so a rebuilt binary trains a fresh one).
pub fn model() -> &'static str {
    static MODEL: OnceLock<String> = OnceLock::new();
    MODEL.get_or_init(|| {
        let exe = Path::new(env!("CARGO_BIN_EXE_scamscan"));
        let meta = std::fs::metadata(exe).expect("the binary exists");
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let key = format!("{:x}", mtime ^ u128::from(meta.len()));
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let dir = base.join(format!("cli-model-{key}"));
        if !(dir.join("model.bin").is_file() && dir.join("tokenizer.json").is_file()) {
            if let Ok(entries) = std::fs::read_dir(&base) {
                for e in entries.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if name.starts_with("cli-model-") && e.path() != dir {
                        let _ = std::fs::remove_dir_all(e.path());
                    }
                }
            }
            // Not named cli-model-*: another test process may be cleaning those up.
            let tmp = base.join(format!("cli-training-{}", std::process::id()));
            let tmp_s = tmp.display().to_string();
            let mut args = vec!["train", "--quiet", "--data", "datasets", "--out", &tmp_s];
            args.extend_from_slice(FAST_TRAIN);
            let out = run(&args);
            assert_eq!(out.code, 0, "training the test model failed: {out:?}");
            if std::fs::rename(&tmp, &dir).is_err() {
                let _ = std::fs::remove_dir_all(&tmp);
            }
        }
        dir.display().to_string()
    })
}

/// `scamscan classify --model <test model> ARGS`.
pub fn classify(args: &[&str]) -> Out {
    let mut all = vec!["classify", "--model", model()];
    all.extend_from_slice(args);
    run(&all)
}

/// `scamscan classify --model <test model> ARGS` with `input` on stdin.
pub fn classify_stdin(args: &[&str], input: &[u8]) -> Out {
    let mut all = vec!["classify", "--model", model()];
    all.extend_from_slice(args);
    run_stdin(&all, input)
}

/// A scam message the test model flags and a legitimate one it does not
/// (checked by the tests that rely on them).
pub const SCAM_FILE: &str = "examples/messages/scam-task-job-offer.txt";
pub const HAM_FILE: &str = "examples/messages/legit-parcel-delivered.txt";
