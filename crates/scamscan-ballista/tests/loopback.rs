//! A Ballista cluster on loopback (127.0.0.1): a `scamscan-scheduler` and
//! two `scamscan-executor` processes score a Parquet input of more than
//! 20,000 rows; the verdicts must equal `scamscan classify --output jsonl`,
//! and both executors must have scored rows (each logs its count). Bad
//! input (null, empty and oversized texts, a column of another type, a
//! model that does not load) must neither win nor take a process down.

#[path = "../../scamscan-datafusion/tests/support/mod.rs"]
mod support;

use datafusion::arrow::array::{ArrayRef, AsArray, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use std::collections::HashMap;
use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{Row, cli};

/// Rows of the Parquet input: the test data repeated to at least this many.
const ROWS: usize = 20_000;
/// Parquet files the input is split into, so that there are several scan
/// tasks to share between the executors.
const FILES: usize = 8;
/// Rows with a null text, in a file of their own.
const NULLS: usize = 10;

/// The processes a test started, killed when it ends, passing or failing.
struct Cluster {
    procs: Vec<(String, Child, PathBuf)>,
}

impl Cluster {
    fn start(&mut self, name: &str, exe: &str, args: &[String], logs: &Path) {
        let log = logs.join(format!("{name}.log"));
        let child = Command::new(exe)
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(File::create(logs.join(format!("{name}.out"))).unwrap())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {exe}: {e}"));
        self.procs.push((name.to_string(), child, log));
    }

    fn log(&self, name: &str) -> String {
        let (_, _, path) = self.procs.iter().find(|p| p.0 == name).unwrap();
        std::fs::read_to_string(path).unwrap_or_default()
    }

    /// Every process's log, for a failure message.
    fn logs(&self) -> String {
        self.procs
            .iter()
            .map(|(n, _, _)| format!("--- {n} ---\n{}", self.log(n)))
            .collect()
    }

    /// The first process that has exited, and how.
    fn exited(&mut self) -> Option<String> {
        self.procs
            .iter_mut()
            .find_map(|(n, c, _)| match c.try_wait() {
                Ok(Some(status)) => Some(format!("{n} exited ({status})")),
                _ => None,
            })
    }

    /// Panics with the logs if a process has exited or logged a panic.
    fn assert_alive(&mut self, after: &str) {
        if let Some(e) = self.exited() {
            panic!("{e} after {after}:\n{}", self.logs());
        }
        assert!(
            !self.logs().contains("panicked"),
            "a process panicked after {after}:\n{}",
            self.logs()
        );
    }

    /// Waits until `ready` holds, failing with the logs after a minute or
    /// when a process has exited.
    fn wait_for(&mut self, what: &str, ready: impl Fn(&Cluster) -> bool) {
        let start = Instant::now();
        while !ready(self) {
            if let Some(e) = self.exited() {
                panic!("{e} before {what}:\n{}", self.logs());
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "no {what} within 60 s:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for (_, child, _) in &mut self.procs {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A port free on 127.0.0.1 now (the OS picks it; the listener is closed
/// before the process that will use it starts).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The last count an executor logged ("scamscan scored N texts in all").
fn scored(log: &str) -> u64 {
    log.lines()
        .filter_map(|l| l.split("scamscan scored ").nth(1))
        .filter_map(|r| r.split(' ').next()?.parse().ok())
        .next_back()
        .unwrap_or(0)
}

/// Writes `rows` (repeated to `ROWS`, ids `r{k}:{id}`) as `FILES` Parquet
/// files in `dir`, and `NULLS` rows with a null text (ids `null-{k}`) as one
/// more; each row also has an Int64 column `n`. Returns the ids of the
/// texts with the index of their text in `rows`.
async fn write_input(rows: &[(String, String)], dir: &Path) -> Vec<(String, usize)> {
    let mut ids = Vec::new();
    let mut k = 0;
    while ids.len() < ROWS {
        ids.extend((0..rows.len()).map(|i| (format!("r{k}:{}", rows[i].0), i)));
        k += 1;
    }
    let per_file = ids.len().div_ceil(FILES);
    let nulls: Vec<(String, Option<&str>)> =
        (0..NULLS).map(|k| (format!("null-{k}"), None)).collect();
    let files = ids
        .chunks(per_file)
        .map(|chunk| {
            chunk
                .iter()
                .map(|(id, i)| (id.clone(), Some(rows[*i].1.as_str())))
                .collect()
        })
        .chain([nulls]);
    std::fs::create_dir_all(dir).unwrap();
    let ctx = SessionContext::new();
    for (f, chunk) in files.enumerate() {
        let chunk: Vec<(String, Option<&str>)> = chunk;
        let id: StringArray = chunk.iter().map(|(id, _)| Some(id.as_str())).collect();
        let text: StringArray = chunk.iter().map(|(_, t)| *t).collect();
        let n: Int64Array = (0..chunk.len() as i64).map(Some).collect();
        let batch = RecordBatch::try_from_iter([
            ("id", Arc::new(id) as ArrayRef),
            ("text", Arc::new(text) as _),
            ("n", Arc::new(n) as _),
        ])
        .unwrap();
        let mem = MemTable::try_new(batch.schema(), vec![vec![batch]]).unwrap();
        let path = dir.join(format!("part-{f}.parquet")).display().to_string();
        ctx.read_table(Arc::new(mem))
            .unwrap()
            .write_parquet(&path, Default::default(), None)
            .await
            .unwrap();
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_executors_on_loopback_score_like_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let rows = cli::dataset_rows();
    let input = tmp.path().join("messages");
    let ids = write_input(&rows, &input).await;
    assert!(ids.len() >= ROWS);
    let expected: Vec<Row> = cli::classify(tmp.path(), &rows, &[])
        .iter()
        .map(Row::from_cli)
        .collect();

    let logs = tmp.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let mut cluster = Cluster { procs: Vec::new() };
    let port = free_port();
    let s = |v: &dyn ToString| v.to_string();
    cluster.start(
        "scheduler",
        env!("CARGO_BIN_EXE_scamscan-scheduler"),
        &[
            s(&"--bind-port"),
            s(&port),
            s(&"--external-host"),
            s(&"127.0.0.1"),
        ],
        &logs,
    );
    // An executor that starts before the scheduler accepts connections
    // exits ("Could not connect to scheduler"), as one did in a CI run.
    cluster.wait_for("the scheduler accepting connections", |_| {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    for name in ["executor-1", "executor-2"] {
        let work = tmp.path().join(name);
        std::fs::create_dir(&work).unwrap();
        cluster.start(
            name,
            env!("CARGO_BIN_EXE_scamscan-executor"),
            &[
                s(&"--scheduler-host"),
                s(&"127.0.0.1"),
                s(&"--scheduler-port"),
                s(&port),
                s(&"--bind-port"),
                s(&free_port()),
                s(&"--bind-grpc-port"),
                s(&free_port()),
                s(&"--concurrent-tasks"),
                s(&1),
                s(&"--work-dir"),
                s(&work.display()),
            ],
            &logs,
        );
    }
    cluster.wait_for("two executors registered", |c| {
        c.log("scheduler").matches("register executor").count() >= 2
    });

    let udf = scamscan_datafusion::ScamscanUdf::new(scamscan::Classifier::default());
    let ctx = scamscan_ballista::connect(&format!("df://127.0.0.1:{port}"), udf.clone())
        .await
        .unwrap_or_else(|e| panic!("connecting: {e}\n{}", cluster.logs()));
    let input_s = input.display().to_string();
    ctx.register_parquet("messages", &input_s, Default::default())
        .await
        .unwrap();
    let batches = ctx
        .sql("SELECT id, scamscan(text) AS v FROM messages")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_or_else(|e| panic!("the query failed: {e}\n{}", cluster.logs()));
    let mut got: HashMap<String, Option<Row>> = HashMap::new();
    for b in &batches {
        let id = cast(b.column(0), &DataType::Utf8).unwrap();
        let id = id.as_string::<i32>();
        for i in 0..b.num_rows() {
            got.insert(
                id.value(i).to_string(),
                Row::from_struct(b.column(1).as_struct(), i),
            );
        }
    }
    assert_eq!(got.len(), ids.len() + NULLS, "one row per input row");
    for (id, i) in &ids {
        assert_eq!(got[id].as_ref(), Some(&expected[*i]), "row {id}");
    }
    for k in 0..NULLS {
        assert_eq!(
            got[&format!("null-{k}")],
            None,
            "a null text gives a null struct"
        );
    }
    // The test data's edge cases went through the cluster like the rest.
    let row = |name: &str| got[&format!("r0:{name}")].as_ref().unwrap();
    assert_eq!(
        (
            row("empty").label.as_str(),
            row("empty").category.as_deref()
        ),
        ("ham", None)
    );
    assert!(row("long").truncated && !row("one").truncated);
    assert_eq!(udf.rows_scored(), 0, "the client scored nothing itself");

    // A column of another type fails while planning, naming the column,
    // and leaves every process up.
    let err = match ctx.sql("SELECT id, scamscan(n) FROM messages").await {
        Ok(df) => df.collect().await.map(|_| ()).unwrap_err(),
        Err(e) => e,
    };
    assert!(
        err.to_string().contains("the column n is Int64, not text"),
        "{err}"
    );
    cluster.assert_alive("a column of the wrong type");

    // The README's query, written back to Parquet by the executors.
    let out = tmp.path().join("flagged");
    ctx.sql(
        "SELECT id, scamscan(text)['label'] AS label FROM messages \
         WHERE scamscan(text)['label'] <> 'ham'",
    )
    .await
    .unwrap()
    .write_parquet(&out.display().to_string(), Default::default(), None)
    .await
    .unwrap_or_else(|e| panic!("writing Parquet failed: {e}\n{}", cluster.logs()));
    let local = SessionContext::new();
    local
        .register_parquet("flagged", &out.display().to_string(), Default::default())
        .await
        .unwrap();
    let b = local
        .sql("SELECT count(*) FROM flagged WHERE label = 'ham'")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(b[0].column(0).as_primitive::<Int64Type>().value(0), 0);
    let b = local
        .sql("SELECT count(*) FROM flagged")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let written = b[0].column(0).as_primitive::<Int64Type>().value(0);
    let not_ham = ids
        .iter()
        .filter(|(_, i)| expected[*i].label != "ham")
        .count();
    assert_eq!(
        written as usize, not_ham,
        "every row the command line does not call ham"
    );

    // Each executor logs its running count once a second.
    std::thread::sleep(Duration::from_millis(2500));
    let counts: Vec<u64> = ["executor-1", "executor-2"]
        .iter()
        .map(|n| scored(&cluster.log(n)))
        .collect();
    eprintln!("texts scored per executor: {counts:?}");
    assert!(
        counts.iter().all(|&c| c > 0),
        "both executors scored rows: {counts:?}\n{}",
        cluster.logs()
    );
    assert!(
        counts.iter().sum::<u64>() >= 2 * ids.len() as u64,
        "the two queries scored every row: {counts:?}"
    );
    cluster.assert_alive("the queries");
}

/// A scheduler or executor given a model that does not load stops at
/// start with the command line's message and status.
#[test]
fn a_model_that_does_not_load_stops_each_process_with_the_cli_message() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-model");
    let corrupt = dir.path().join("corrupt");
    std::fs::create_dir(&corrupt).unwrap();
    std::fs::write(corrupt.join("model.bin"), b"not a model").unwrap();
    for model in [&missing, &corrupt] {
        let shown = model.display().to_string();
        let (code, _, cli_err) = cli::run(&["classify", "--model", &shown, "README.md"]);
        assert_eq!(code, 2, "{cli_err}");
        let message = cli_err.trim_end().strip_prefix("scamscan: ").unwrap();
        assert!(message.contains(&shown), "{message}");
        for (program, exe) in [
            (
                "scamscan-scheduler",
                env!("CARGO_BIN_EXE_scamscan-scheduler"),
            ),
            ("scamscan-executor", env!("CARGO_BIN_EXE_scamscan-executor")),
        ] {
            // A port no one listens on: the process must stop before using it.
            let port = free_port().to_string();
            let out = Command::new(exe)
                .args(["--model", shown.as_str(), "--bind-port", port.as_str()])
                .stdin(Stdio::null())
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{program}: {stderr}");
            assert_eq!(
                stderr.trim_end(),
                format!("{program}: {message}"),
                "{program}"
            );
        }
    }
}
