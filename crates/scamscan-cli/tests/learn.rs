//! `scamscan learn` on the real binary: bad rows are errors naming file
//! and line while the other rows are learned, what it writes loads in every
//! verb, forgetting gives the bytes of never having learned, and a refused
//! or failed run leaves nothing half-written.

mod cli_support;

use cli_support::{model, run, run_stdin};
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// Feedback rows written for these tests (not corpus text).
const HAM: [&str; 3] = [
    r#"{"id": "fb-h1", "label": "ham", "text": "Hi team, the stand-up moves to 10:30 tomorrow, same room."}"#,
    r#"{"id": "fb-h2", "label": "ham", "text": "Your table for four at Olive & Ash is confirmed for Friday 19:00."}"#,
    r#"{"id": "fb-h3", "label": "ham", "source": "helpdesk", "text": "Ticket 5521 closed: the printer on floor 2 works again."}"#,
];
const SCAM: [&str; 2] = [
    r#"{"id": "fb-s1", "label": "scam", "category": "job", "text": "Earn 300 a day liking videos! Pay the 40 USDT activation fee to start: t.me/likejobs-pay"}"#,
    r#"{"id": "fb-s2", "label": "scam", "category": "job", "text": "Task job: rate hotels, 5% commission per task. Top up 100 USDT to unlock level 2 tasks."}"#,
];

fn model_bin(dir: &str) -> Vec<u8> {
    std::fs::read(Path::new(dir).join("model.bin")).unwrap()
}

#[test]
fn bad_rows_are_errors_with_file_and_line_and_the_rest_is_learned() {
    let tmp = tempfile::tempdir().unwrap();
    let jsonl = [
        HAM[0],
        r#"{"id": "no-label", "text": "a row without a label"}"#,
        SCAM[0],
        r#"{"id": "odd-label", "label": "phishy", "text": "an unknown label"}"#,
        r#"{"id": "empty", "label": "ham", "text": "   "}"#,
        HAM[1],
    ]
    .join("\n");
    let data = write(tmp.path(), "feedback.jsonl", &jsonl);
    let out = tmp.path().join("learned").display().to_string();
    let r = run(&["learn", "--model", model(), "--data", &data, "--out", &out]);
    assert_eq!(r.code, 2, "{r:?}");
    for line in [2, 4, 5] {
        assert!(
            r.stderr.contains(&format!("feedback.jsonl:{line}")),
            "no error for line {line}: {}",
            r.stderr
        );
    }
    assert!(!r.stderr.contains("feedback.jsonl:1:"), "{}", r.stderr);
    assert!(
        r.stdout
            .contains("holds 3 feedback row(s) (ham 2, spam 0, scam 1)"),
        "{r:?}"
    );
    let info = run(&["model", "info", "--output", "json", &out]);
    assert_eq!(info.code, 0, "{info:?}");
    let v: serde_json::Value = serde_json::from_str(&info.stdout).unwrap();
    assert_eq!(v["feedback"]["rows"], 3, "{}", info.stdout);

    // CSV: the same rules, with the CSV's line numbers.
    let csv = "id,label,text\nc1,ham,See you at the station at six\nc2,,no label here\nc3,scam,Send 200 USDT to unlock your withdrawal today\n";
    let data = write(tmp.path(), "feedback.csv", csv);
    let out2 = tmp.path().join("learned-csv").display().to_string();
    let r = run(&["learn", "--model", model(), "--data", &data, "--out", &out2]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("feedback.csv:3"), "{}", r.stderr);
    assert!(r.stdout.contains("holds 2 feedback row(s)"), "{r:?}");
}

#[test]
fn the_learned_model_loads_in_every_verb() {
    let tmp = tempfile::tempdir().unwrap();
    let rows: Vec<&str> = HAM.iter().chain(&SCAM).copied().collect();
    let data = write(tmp.path(), "feedback.jsonl", &rows.join("\n"));
    let out = tmp.path().join("learned").display().to_string();
    let r = run(&["learn", "--model", model(), "--data", &data, "--out", &out]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(Path::new(&out).join("README.md").is_file());
    let card = std::fs::read_to_string(Path::new(&out).join("README.md")).unwrap();
    assert!(
        card.contains("the texts are not in this directory"),
        "{card}"
    );

    let c = run(&[
        "classify",
        "--model",
        &out,
        "--output",
        "jsonl",
        "examples/messages",
    ]);
    assert!(c.code <= 1, "{c:?}");
    assert!(c.stdout.lines().count() >= 10, "{c:?}");
    let e = run(&["eval", "--model", &out, "--data", &data]);
    assert_eq!(e.code, 0, "{e:?}");
    assert!(e.stdout.contains("ROC-AUC"), "{}", e.stdout);
    let i = run(&["model", "info", &out]);
    assert_eq!(i.code, 0, "{i:?}");
    assert!(
        i.stdout.contains("format:        version 2"),
        "{}",
        i.stdout
    );
    assert!(i.stdout.contains("feedback"), "{}", i.stdout);
    // English is known from training: the summary says so.
    assert!(
        r.stdout
            .contains("Legitimate rows by language: en 1 (known)."),
        "{}",
        r.stdout
    );
    // Three legitimate rows make no language known at the default
    // --language-rows (100); with --language-rows 1 the language of the one
    // whatlang is sure of (English) is.
    assert!(
        i.stdout.contains("languages known from feedback: none"),
        "{}",
        i.stdout
    );
    let out3 = format!("{out}-1");
    let r = run(&[
        "learn",
        "--model",
        model(),
        "--data",
        &data,
        "--out",
        &out3,
        "--language-rows",
        "1",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let i = run(&["model", "info", "--output", "json", &out3]);
    let v: serde_json::Value = serde_json::from_str(&i.stdout).unwrap();
    assert_eq!(
        v["feedback"]["languages"],
        serde_json::json!(["en"]),
        "{}",
        i.stdout
    );
    let x = run(&[
        "explain",
        "--model",
        &out,
        "Top up 100 USDT to unlock level 2 tasks",
    ]);
    assert!(x.code <= 1, "{x:?}");

    // Standard input, CSV: the same rows give the same model.
    let csv = "id,label,category,source,text\n".to_string()
        + &[HAM.as_slice(), SCAM.as_slice()]
            .concat()
            .iter()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
                format!(
                    "{},{},{},{},\"{}\"",
                    s("id"),
                    s("label"),
                    s("category"),
                    s("source"),
                    s("text")
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
    let out2 = tmp.path().join("learned-stdin").display().to_string();
    let r = run_stdin(
        &[
            "learn",
            "--model",
            model(),
            "--data",
            "-",
            "--data-format",
            "csv",
            "--out",
            &out2,
        ],
        csv.as_bytes(),
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        model_bin(&out) == model_bin(&out2),
        "stdin CSV learned another model"
    );
}

#[test]
fn forgetting_from_the_command_line_is_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let all = write(
        tmp.path(),
        "all.jsonl",
        &[HAM.as_slice(), SCAM.as_slice()].concat().join("\n"),
    );
    let only_ham = write(tmp.path(), "ham.jsonl", &HAM.join("\n"));
    let ab = tmp.path().join("ab").display().to_string();
    let a = tmp.path().join("a").display().to_string();
    let forgot = tmp.path().join("forgot").display().to_string();
    assert_eq!(
        run(&["learn", "--model", model(), "--data", &all, "--out", &ab]).code,
        0
    );
    assert_eq!(
        run(&[
            "learn",
            "--model",
            model(),
            "--data",
            &only_ham,
            "--out",
            &a
        ])
        .code,
        0
    );
    let ids = write(tmp.path(), "ids.txt", "fb-s2\n\n");
    let r = run(&[
        "learn",
        "--model",
        &ab,
        "--forget",
        "fb-s1",
        "not-there",
        "--forget-file",
        &ids,
        "--out",
        &forgot,
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("not-there"), "{}", r.stderr);
    assert!(
        model_bin(&forgot) == model_bin(&a),
        "forgetting differs from never learning"
    );
}

#[test]
fn refused_and_failed_runs_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = write(tmp.path(), "feedback.jsonl", &HAM.join("\n"));
    let base = tmp.path().join("base").display().to_string();
    assert_eq!(
        run(&["learn", "--model", model(), "--data", &data, "--out", &base]).code,
        0
    );
    let before = model_bin(&base);

    // --out is --model.
    let r = run(&["learn", "--model", &base, "--data", &data, "--out", &base]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("is the --model directory"),
        "{}",
        r.stderr
    );
    assert!(model_bin(&base) == before);

    // --out is something else that exists: not replaced.
    let other = tmp.path().join("notes");
    std::fs::create_dir(&other).unwrap();
    write(&other, "todo.txt", "keep me");
    let r = run(&[
        "learn",
        "--model",
        &base,
        "--data",
        &data,
        "--out",
        &other.display().to_string(),
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("not a model directory"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(other.join("todo.txt")).unwrap(),
        "keep me"
    );

    // No readable row: nothing to learn, nothing written.
    let empty = write(
        tmp.path(),
        "bad.jsonl",
        r#"{"id": "x", "text": "no label"}"#,
    );
    let out = tmp.path().join("never").display().to_string();
    let r = run(&["learn", "--model", &base, "--data", &empty, "--out", &out]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("bad.jsonl:1"), "{}", r.stderr);
    assert!(!Path::new(&out).exists());

    // A directory that cannot be written (skipped as root, who can write anywhere).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let locked = tmp.path().join("locked");
        std::fs::create_dir(&locked).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
        let probe = locked.join("probe");
        if std::fs::create_dir(&probe).is_err() {
            let out = locked.join("m").display().to_string();
            let r = run(&["learn", "--model", &base, "--data", &data, "--out", &out]);
            assert_eq!(r.code, 2, "{r:?}");
            assert!(r.stderr.contains("cannot"), "{}", r.stderr);
            assert!(
                std::fs::read_dir(&locked).unwrap().next().is_none(),
                "something was left"
            );
        } else {
            let _ = std::fs::remove_dir(&probe);
        }
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    // Replacing an earlier learned model in place of --out works, whole.
    let next = tmp.path().join("next").display().to_string();
    assert_eq!(
        run(&["learn", "--model", &base, "--data", &data, "--out", &next]).code,
        0
    );
    let scam = write(tmp.path(), "scam.jsonl", &SCAM.join("\n"));
    assert_eq!(
        run(&["learn", "--model", &base, "--data", &scam, "--out", &next]).code,
        0
    );
    let leftovers: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".scamscan-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
