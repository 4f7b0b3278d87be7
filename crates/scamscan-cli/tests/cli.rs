//! The command line: verbs, input modes, output formats, exit codes and
//! every error case, run on the real binary.

mod cli_support;

use cli_support::{
    FAST_TRAIN, HAM_FILE, Out, SCAM_FILE, classify, classify_stdin, fixture, model, run, run_stdin,
};
use serde_json::{Value, json};
use std::path::Path;

fn labels(out: &Out) -> Vec<String> {
    out.json_lines()
        .iter()
        .map(|o| o["label"].as_str().unwrap_or("error").to_string())
        .collect()
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> String {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

// ---------------------------------------------------------------- help

#[test]
fn help_lists_verbs_with_examples() {
    let out = run(&["--help"]);
    assert_eq!(out.code, 0);
    for verb in [
        "classify",
        "train",
        "eval",
        "explain",
        "model",
        "completions",
        "man",
    ] {
        assert!(out.stdout.contains(verb), "{verb} missing from --help");
    }
    assert!(out.stdout.contains("Exit status"));
    for verb in ["classify", "train", "eval", "explain"] {
        let out = run(&[verb, "--help"]);
        assert_eq!(out.code, 0, "{verb}");
        assert!(
            out.stdout.contains("Examples:"),
            "{verb} --help has no examples"
        );
    }
    let out = run(&[]);
    assert_eq!(out.code, 2, "no verb is a usage error");
}

#[test]
fn completions_and_man_page_come_from_the_same_definitions() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run(&["completions", shell]);
        assert_eq!(out.code, 0, "{shell}");
        assert!(out.stdout.contains("only-flagged"), "{shell}");
        assert!(out.stdout.contains("classify"), "{shell}");
    }
    assert_eq!(run(&["completions", "nosuchshell"]).code, 2);
    let man = run(&["man"]);
    assert_eq!(man.code, 0);
    assert!(
        man.stdout.contains(".TH scamscan 1"),
        "{}",
        &man.stdout[..200]
    );
    assert!(man.stdout.contains("classify"));
    let man = run(&["man", "classify"]);
    assert!(man.stdout.contains(".TH scamscan-classify 1"));
    assert!(man.stdout.contains("only\\-flagged"));
    let bad = run(&["man", "nosuchverb"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("nosuchverb"));
}

// ---------------------------------------------------------------- exit codes

#[test]
fn exit_codes_follow_grep() {
    let ham = classify(&[HAM_FILE]);
    assert_eq!(ham.code, 0, "{ham:?}");
    assert!(ham.stdout.starts_with("ham "), "{}", ham.stdout);
    let scam = classify(&[SCAM_FILE]);
    assert_eq!(scam.code, 1, "{scam:?}");
    assert!(scam.stdout.starts_with("scam "), "{}", scam.stdout);
    assert!(
        scam.stdout.contains(" job "),
        "the category: {}",
        scam.stdout
    );
    assert!(scam.stdout.trim_end().ends_with(SCAM_FILE));
    // An error wins over a flag, and does not stop the other inputs.
    let both = classify(&[SCAM_FILE, "no/such/file.txt", HAM_FILE]);
    assert_eq!(both.code, 2, "{both:?}");
    assert_eq!(both.stdout.lines().count(), 2, "{}", both.stdout);
    assert!(
        both.stderr
            .contains("scamscan: no/such/file.txt: no such file or directory")
    );
}

#[test]
fn threshold_changes_the_decision() {
    let all_scam = classify(&["--threshold", "0", "--output", "jsonl", HAM_FILE, SCAM_FILE]);
    assert_eq!(labels(&all_scam), vec!["scam", "scam"]);
    assert_eq!(all_scam.code, 1);
    let default = classify(&["--output", "jsonl", HAM_FILE]);
    assert_eq!(labels(&default), vec!["ham"]);
    let bad = classify(&["--threshold", "1.5", HAM_FILE]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("not in [0, 1]"), "{}", bad.stderr);
}

#[test]
fn only_flagged_hides_ham_but_keeps_the_exit_code() {
    let out = classify(&["--only-flagged", "--lines", &fixture("lines.txt")]);
    assert_eq!(out.code, 1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert!(lines[0].ends_with("lines.txt:3"), "{}", lines[0]);
    let none = classify(&["--only-flagged", HAM_FILE]);
    assert_eq!((none.code, none.stdout.as_str()), (0, ""));
}

// ---------------------------------------------------------------- input modes

#[test]
fn whole_files_and_directory_walks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "b.txt", "Are you free for a call at 3pm tomorrow?");
    write(
        d,
        "a/one.txt",
        "Your parcel is waiting: pay the 1.99 customs fee at parcel-fee-pay.top now.",
    );
    write(d, ".hidden/secret.txt", "hidden message");
    write(d, ".dotfile", "hidden file");
    let ignore = write(d, ".gitignore", "b.txt\n");
    let root = d.display().to_string();
    let out = classify(&["--output", "jsonl", &root]);
    let ids: Vec<String> = out
        .json_lines()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    // Sorted, hidden entries skipped, .gitignore not honoured.
    assert_eq!(
        ids,
        vec![format!("{root}/a/one.txt"), format!("{root}/b.txt")]
    );
    let out = classify(&["--output", "jsonl", "--hidden", &root]);
    let ids: Vec<String> = out
        .json_lines()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 5, "{ids:?}");
    assert!(ids.contains(&format!("{root}/.hidden/secret.txt")));
    assert!(ids.contains(&ignore));
    // A hidden file named explicitly is read.
    let out = classify(&["--output", "jsonl", &format!("{root}/.dotfile")]);
    assert_eq!(out.json_lines().len(), 1);
}

#[test]
fn examples_directory_mixes_modes() {
    let out = classify(&["--output", "jsonl", "--reasons", "0", "examples/messages"]);
    assert_ne!(out.code, 2, "{}", out.stderr);
    let objs = out.json_lines();
    let ids: Vec<String> = objs
        .iter()
        .map(|o| match &o["id"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    // inbox.jsonl is read as JSONL: its records keep their own ids.
    let inbox =
        std::fs::read_to_string(cli_support::root().join("examples/messages/inbox.jsonl")).unwrap();
    let inbox_ids: Vec<String> = inbox
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for id in &inbox_ids {
        assert!(ids.contains(id), "{id} missing");
    }
    assert!(!ids.iter().any(|i| i.ends_with("inbox.jsonl")));
    // Every other file is one message.
    let files = std::fs::read_dir(cli_support::root().join("examples/messages"))
        .unwrap()
        .filter(|e| {
            let n = e.as_ref().unwrap().file_name();
            let n = n.to_string_lossy();
            !n.starts_with('.') && !n.ends_with(".jsonl")
        })
        .count();
    assert_eq!(objs.len(), inbox_ids.len() + files);
    let phishing = objs
        .iter()
        .find(|o| o["id"] == json!("examples/messages/phishing-bank-account-restricted.eml"))
        .unwrap();
    assert_eq!(phishing["label"], json!("scam"));
}

#[test]
fn lines_mode_skips_blank_lines_but_counts_them() {
    let out = classify(&["--lines", &fixture("lines.txt")]);
    let names: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.rsplit("  ").next().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "tests/fixtures/lines.txt:1",
            "tests/fixtures/lines.txt:3",
            "tests/fixtures/lines.txt:6"
        ]
    );
    assert!(out.stdout.lines().nth(1).unwrap().starts_with("scam"));
    // CRLF endings are not part of the message.
    let crlf = classify_stdin(
        &["--lines", "--output", "jsonl", "--reasons", "5"],
        b"hello there\r\nsecond\r\n",
    );
    assert_eq!(crlf.json_lines().len(), 2);
    // --input lines is the same as --lines.
    let same = classify(&["--input", "lines", &fixture("lines.txt")]);
    assert_eq!(same.stdout, out.stdout);
    assert_eq!(classify(&["--lines", "--input", "jsonl", HAM_FILE]).code, 2);
}

/// The text scamscan scored, as `explain --output json` reports it.
fn scored_text(path: &str) -> String {
    let out = run(&["explain", "--model", model(), "--output", "json", path]);
    assert_ne!(out.code, 2, "{out:?}");
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    v["text"].as_str().unwrap().to_string()
}

#[test]
fn email_is_decoded_and_attachments_skipped() {
    let text = scored_text(&fixture("attachment.eml"));
    assert_eq!(
        text,
        "Subject: Invoice overdue – action required\n\nDear customer, your invoice is overdue. Pay €49 today by gift card or your account will be closed."
    );
    // The same mail without the .eml extension is detected by its headers.
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(cli_support::root().join(fixture("attachment.eml"))).unwrap();
    let copy = write(dir.path(), "mail.txt", &bytes);
    assert_eq!(scored_text(&copy), text);
    // Forced as plain text, the raw bytes are scored.
    let out = classify(&["--input", "text", "--explain", &copy]);
    assert!(out.stdout.contains("ATTACHMENTMARKER"));
    // An HTML-only mail is rendered to text.
    let html = scored_text("examples/messages/newsletter-makerspace.eml");
    assert!(
        html.starts_with("Subject: June at the Makerspace"),
        "{html}"
    );
    assert!(!html.contains("<td") && !html.contains("=3D"), "{html}");
    assert!(html.contains("laser cutter is back"), "{html}");
}

#[test]
fn mbox_is_one_message_per_mail() {
    let out = classify(&["--explain", "--reasons", "1", &fixture("mailbox.mbox")]);
    assert_ne!(out.code, 2, "{}", out.stderr);
    let verdicts: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| !l.starts_with(' '))
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(verdicts.len(), 3, "{}", out.stdout);
    // The phishing mail scores far above the two legitimate ones, which pass.
    let score = |l: &str| l.split_whitespace().nth(1).unwrap().parse::<f32>().unwrap();
    assert!(score(verdicts[0]) > 0.5, "{}", verdicts[0]);
    assert!(
        score(verdicts[0]) > 4.0 * score(verdicts[1]).max(score(verdicts[2])),
        "{}",
        out.stdout
    );
    assert!(
        verdicts[1].starts_with("ham") && verdicts[2].starts_with("ham"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Saturday picnic 🧺"), "{}", out.stdout);
    assert!(
        out.stdout.contains("From there we can walk"),
        "unquoted >From"
    );
    assert!(!out.stdout.contains("<b>"));
    assert!(
        !out.stdout.contains("MBOXATTACHMENTMARKER"),
        "attachment skipped"
    );
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    // Detected by content too, on stdin.
    let bytes = std::fs::read(cli_support::root().join(fixture("mailbox.mbox"))).unwrap();
    let out = classify_stdin(&["--output", "jsonl"], &bytes);
    let ids: Vec<Value> = out.json_lines().iter().map(|o| o["id"].clone()).collect();
    assert_eq!(ids, vec![json!("-#1"), json!("-#2"), json!("-#3")]);
}

#[test]
fn csv_and_tsv_inputs() {
    let out = classify(&[
        "--input",
        "csv",
        "--text-field",
        "body",
        "--id-field",
        "key",
        "--output",
        "jsonl",
        &fixture("messages.csv"),
    ]);
    let objs = out.json_lines();
    assert_eq!(objs.len(), 3, "{out:?}");
    assert_eq!(objs[1]["id"], json!("m2"));
    assert_eq!(objs[1]["fields"], json!({"channel": "sms"}));
    assert_eq!(
        objs[1]["label"],
        json!("scam"),
        "the quoted, two-line message"
    );
    let out = classify(&[
        "--input",
        "tsv",
        "--text-field",
        "body",
        "--id-field",
        "key",
        "--output",
        "jsonl",
        "--reasons",
        "50",
        "--reasons-for",
        "all",
        &fixture("messages.tsv"),
    ]);
    let objs = out.json_lines();
    assert_eq!(objs.len(), 3);
    assert_eq!(objs[2]["id"], json!("t3"));
    // TSV has no quoting: the quotes are part of the text, so a reason whose
    // span covers the quote shows it.
    let reasons = objs[2]["reasons"].as_array().unwrap();
    assert!(
        reasons
            .iter()
            .any(|r| r["text"].as_str().is_some_and(|t| t.contains('"'))),
        "{reasons:?}"
    );
    // A missing text column is one error for the file.
    let bad = classify(&["--input", "csv", &fixture("messages.csv")]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("no column named `text`"),
        "{}",
        bad.stderr
    );
    assert!(bad.stderr.contains("key, body, channel"), "{}", bad.stderr);
}

// ---------------------------------------------------------------- output

#[test]
fn human_output_and_explain() {
    let out = classify(&[SCAM_FILE]);
    let line = out.stdout.lines().next().unwrap();
    // label, score, category, [reasons], id
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields[0], "scam");
    let score: f64 = fields[1].parse().unwrap();
    assert!((0.5..=1.0).contains(&score), "{line}");
    assert_eq!(fields[2], "job");
    assert!(line.contains('[') && line.contains(']'), "{line}");
    assert_eq!(line.matches(", ").count(), 2, "three reasons: {line}");
    let out = classify(&["--explain", SCAM_FILE]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[1].starts_with("    | Hi there"), "{}", lines[1]);
    assert!(lines[1].contains("[+"), "highlighted: {}", lines[1]);
    let contributions = lines[2..]
        .iter()
        .filter(|l| l.trim_start().starts_with(['+', '-']))
        .count();
    assert_eq!(contributions, 3, "{}", out.stdout);
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let plain = classify(&[SCAM_FILE]);
    assert!(!plain.stdout.contains('\x1b'), "not a terminal: no colour");
    let coloured = classify(&["--color", "always", "--explain", SCAM_FILE]);
    assert!(
        coloured.stdout.starts_with("\x1b[1;31mscam"),
        "{:?}",
        coloured.stdout
    );
    assert!(
        !coloured.stdout.contains("[+"),
        "colour replaces the brackets"
    );
    let jsonl = classify(&["--color", "always", "--output", "jsonl", SCAM_FILE]);
    assert!(!jsonl.stdout.contains('\x1b'), "never in machine output");
}

// ---------------------------------------------------------------- error cases

#[test]
fn missing_path_is_an_error() {
    let out = classify(&["no/such/thing.txt"]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr.trim(),
        "scamscan: no/such/thing.txt: no such file or directory"
    );
}

#[test]
fn directory_with_no_messages_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = classify(&[&empty.display().to_string()]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("no messages found in directory"),
        "{}",
        out.stderr
    );
    // Only an empty file and a binary file: still no message.
    write(&empty, "blank.txt", "");
    write(
        &empty,
        "image.bin",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR",
    );
    let out = classify(&[&empty.display().to_string()]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("2 file(s), none with a message"),
        "{}",
        out.stderr
    );
}

#[test]
fn binary_files() {
    let dir = tempfile::tempdir().unwrap();
    let bin = write(
        dir.path(),
        "d/blob.bin",
        b"\x00\x01\x02 win a prize now \x00",
    );
    write(
        dir.path(),
        "d/note.txt",
        "Dinner at 7? I'll book the table.",
    );
    // Named explicitly: a warning (not an error: there is no message to lose).
    let out = classify(&[&bin]);
    assert_eq!(out.code, 0);
    assert!(out.stderr.contains(&format!(
        "scamscan: {bin}: warning: binary file, skipped (use --binary to scan)"
    )));
    assert_eq!(out.stdout, "");
    let quiet = classify(&["--quiet", &bin]);
    assert!(
        quiet.stderr.contains("warning: binary file"),
        "--quiet keeps warnings"
    );
    // Met in a walk: a notice, not an error.
    let d = dir.path().join("d").display().to_string();
    let out = classify(&["--output", "jsonl", &d]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json_lines().len(), 1);
    assert!(out.stderr.contains("binary file, skipped"));
    let quiet = classify(&["--quiet", &d]);
    assert_eq!(quiet.stderr, "", "--quiet hides notices");
    // --binary scans it.
    let out = classify(&["--binary", "--output", "jsonl", &bin]);
    assert_ne!(out.code, 2, "{out:?}");
    assert_eq!(out.json_lines().len(), 1);
}

#[test]
fn invalid_utf8_is_decoded_lossily_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "latin1.txt",
        b"Caf\xe9 voucher: claim your \xa3500 prize at claim-prize-now.top",
    );
    let out = classify(&["--output", "jsonl", &p]);
    assert_ne!(out.code, 2, "a warning is not an error: {out:?}");
    assert_eq!(out.json_lines().len(), 1);
    assert!(
        out.stderr
            .contains(&format!("{p}: warning: invalid UTF-8, decoded lossily")),
        "{}",
        out.stderr
    );
    // Line mode: the first bad line is named, the rest counted.
    let p = write(
        dir.path(),
        "lines.txt",
        b"ok line\nbad \xff one\nbad \xfe two\n",
    );
    let out = classify(&["--lines", "--output", "jsonl", &p]);
    assert_eq!(out.json_lines().len(), 3);
    assert!(
        out.stderr
            .contains(&format!("{p}:2: warning: invalid UTF-8")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("2 lines had invalid UTF-8"),
        "{}",
        out.stderr
    );
}

#[test]
fn empty_file_is_a_notice_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "empty.txt", "");
    let out = classify(&["--output", "jsonl", &p]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains(&format!("{p}: empty file, no message")),
        "{}",
        out.stderr
    );
    let ws = write(dir.path(), "ws.txt", " \n\t\n");
    let out = classify(&[&ws]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
    let out = classify_stdin(&[], b"");
    assert_eq!(out.code, 0);
    assert!(out.stderr.contains("-: empty file"), "{}", out.stderr);
}

#[test]
fn oversized_inputs_are_cut_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    // Bigger than the read limit of max(4 x 64 KiB, 1 MiB).
    let big = "Pay the release fee today at fee-desk.top. ".repeat(40_000);
    let p = write(dir.path(), "big.txt", &big);
    let out = classify(&["--output", "jsonl", &p]);
    assert_eq!(out.json_lines()[0]["truncated"], json!(true));
    assert!(
        out.stderr.contains(&format!(
            "{p}: warning: message truncated: read the first 1048576 of {} bytes, the rest was not scored",
            big.len()
        )),
        "{}",
        out.stderr
    );
    // --max-bytes cuts what is scored.
    let small = write(dir.path(), "small.txt", "word ".repeat(100));
    let out = classify(&["--max-bytes", "64", &small]);
    assert!(out.stdout.contains("(truncated)"), "{}", out.stdout);
    assert!(out.stderr.contains(&format!(
        "{small}: warning: message truncated: it is 500 bytes"
    )));
    assert_eq!(classify(&["--max-bytes", "0", &small]).code, 2);
}

#[test]
fn corrupt_model_dirs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = Path::new(model());
    let bin = std::fs::read(good.join("model.bin")).unwrap();
    let tok = std::fs::read(good.join("tokenizer.json")).unwrap();
    type Files = Vec<(&'static str, Vec<u8>)>;
    let cases: Vec<(&str, Files, &str)> = vec![
        (
            "garbage",
            vec![
                (
                    "model.bin",
                    b"this is not a model at all, just text".repeat(3),
                ),
                ("tokenizer.json", tok.clone()),
            ],
            "not a scamscan model",
        ),
        (
            "truncated",
            vec![
                ("model.bin", bin[..bin.len() / 2].to_vec()),
                ("tokenizer.json", tok.clone()),
            ],
            "truncated",
        ),
        (
            "no-tokenizer",
            vec![("model.bin", bin.clone())],
            "tokenizer.json",
        ),
        (
            "bad-tokenizer",
            vec![
                ("model.bin", bin.clone()),
                ("tokenizer.json", b"{not json".to_vec()),
            ],
            "tokenizer",
        ),
    ];
    for (name, files, problem) in cases {
        let d = dir.path().join(name);
        std::fs::create_dir(&d).unwrap();
        for (f, bytes) in files {
            std::fs::write(d.join(f), bytes).unwrap();
        }
        let shown = d.display().to_string();
        let out = run(&["classify", "--model", &shown, SCAM_FILE]);
        assert_eq!(out.code, 2, "{name}: {out:?}");
        assert_eq!(out.stdout, "", "{name}: nothing classified");
        assert!(
            out.stderr.contains(&shown),
            "{name}: names the dir: {}",
            out.stderr
        );
        assert!(out.stderr.contains(problem), "{name}: {}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{name}: {}", out.stderr);
    }
    let out = run(&["classify", "--model", "no/such/model", SCAM_FILE]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no/such/model") && out.stderr.contains("no such directory"));
    // A corrupt model also stops explain, eval and model info.
    let garbage = dir.path().join("garbage").display().to_string();
    for args in [
        vec!["explain", "--model", &garbage, "hello"],
        vec![
            "eval",
            "--model",
            &garbage,
            "--data",
            "examples/messages/inbox.jsonl",
        ],
        vec!["model", "info", &garbage],
    ] {
        let out = run(&args);
        assert_eq!(out.code, 2, "{args:?}");
        assert!(
            out.stderr.contains("not a scamscan model"),
            "{args:?}: {}",
            out.stderr
        );
    }
}

/// The binary carries the committed model: no file is needed, and
/// `model info` describes that very file. (A build without it says so and
/// names `--model DIR`: `cli::tests::a_missing_builtin_model_names_the_way_out`.)
#[test]
fn the_builtin_model_is_compiled_in_and_works() {
    let out = run(&["classify", "--output", "jsonl", SCAM_FILE]);
    assert_eq!(
        out.code, 1,
        "the built-in model flags the task scam: {out:?}"
    );
    assert_eq!(labels(&out), vec!["scam"]);
    let info = run(&["model", "info", "--output", "json"]);
    assert_eq!(info.code, 0);
    let v: Value = serde_json::from_str(&info.stdout).unwrap();
    assert_eq!(v["model"], json!("built-in"));
    let on_disk = std::fs::metadata(cli_support::root().join("models/default/model.bin"))
        .unwrap()
        .len();
    assert_eq!(v["model_bin_bytes"].as_u64(), Some(on_disk));
}

// ---------------------------------------------------------------- other verbs

#[test]
fn explain_text_and_file() {
    // The text of a file the test model flags, given as an argument.
    let text = std::fs::read_to_string(cli_support::root().join(SCAM_FILE)).unwrap();
    let text = text.trim();
    let out = run(&["explain", "--model", model(), text]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.starts_with("SCAM  p(scam)"), "{}", out.stdout);
    assert!(out.stdout.contains("  | Hi there"), "{}", out.stdout);
    assert!(out.stdout.contains("[+"), "{}", out.stdout);
    let json = run(&["explain", "--model", model(), "--output", "json", text]);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["text"], json!(text));
    assert_eq!(v["id"], Value::Null);
    let reasons = v["reasons"].as_array().unwrap();
    assert!(reasons.len() > 10, "all reasons: {}", reasons.len());
    let header = out
        .stdout
        .lines()
        .find(|l| l.starts_with("reasons ("))
        .unwrap();
    assert!(
        header.starts_with(&format!("reasons ({};", reasons.len())),
        "{header}"
    );
    // A file is read like classify reads it.
    let out = run(&["explain", "--model", model(), HAM_FILE]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.starts_with("HAM "), "{}", out.stdout);
    assert!(out.stdout.contains(HAM_FILE));
    // stdin.
    let out = run_stdin(&["explain", "--model", model(), "-"], text.as_bytes());
    assert_eq!(out.code, 1);
    // A directory is not one message.
    assert_eq!(run(&["explain", "--model", model(), "examples"]).code, 2);
}

#[test]
fn model_info_human_and_json() {
    let out = run(&["model", "info", model()]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("format:        version 2"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("2^12 = 4096 hashed buckets (xxh3)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("scamscan"),
        "the training source: {}",
        out.stdout
    );
    let out = run(&["model", "info", model(), "--output", "json"]);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["format_version"], json!(2));
    assert_eq!(v["buckets"], json!(4096));
    let size = std::fs::metadata(Path::new(model()).join("model.bin"))
        .unwrap()
        .len();
    assert_eq!(v["model_bin_bytes"], json!(size));
    let t = v["calibration"]["flag_threshold"].as_f64().unwrap();
    assert!(t > 0.0 && t < 1.0);
    let rows: u64 = v["fit_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .sum();
    let cal: u64 = v["calibration_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .sum();
    let datasets =
        scamscan::corpus::read_dir_or_file(&cli_support::root().join("datasets")).unwrap();
    assert_eq!(rows + cal, datasets.len() as u64);
}

#[test]
fn eval_reports_and_plots() {
    let data = "examples/messages/inbox.jsonl";
    let n = std::fs::read_to_string(cli_support::root().join(data))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    let out = run(&["eval", "--model", model(), "--data", data]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.starts_with("# Evaluation"), "{}", out.stdout);
    let out = run(&[
        "eval",
        "--model",
        model(),
        "--data",
        data,
        "--output",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["n"], json!(n));
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("eval.svg").display().to_string();
    let out = run(&["eval", "--model", model(), "--data", data, "--plot", &svg]);
    assert_eq!(out.code, 0, "{out:?}");
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(drawn.contains("<svg"), "an SVG");
    let txt = dir.path().join("eval.txt").display().to_string();
    let out = run(&["eval", "--model", model(), "--data", data, "--plot", &txt]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains(".svg or .png"), "{}", out.stderr);
    let out = run(&["eval", "--model", model(), "--data", "no/such.jsonl"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no/such.jsonl"), "{}", out.stderr);
}

#[test]
fn train_from_csv_writes_a_model_dir_and_card() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("message,class,kind\n");
    // Rows differ in letters, not only digits, so that they spread over folds.
    let w = |i: usize| {
        format!(
            "{}{}",
            (b'a' + (i % 26) as u8) as char,
            (b'k' + (i / 26) as u8) as char
        )
    };
    for i in 0..40 {
        let w = w(i);
        csv.push_str(&format!(
            "\"Hi {w}, are we still meeting at {i}? Bring the notes\",ham,\n"
        ));
        csv.push_str(&format!(
            "\"SALE {w}: {i}% off all sofas this weekend only, visit our store\",spam,\n"
        ));
        csv.push_str(&format!(
            "\"Your parcel {w} is held, pay the fee at parcel-{w}.top\",scam,delivery\n"
        ));
    }
    let data = write(dir.path(), "train.csv", csv);
    let out_dir = dir.path().join("model").display().to_string();
    let mut args = vec![
        "train",
        "--data",
        &data,
        "--text-column",
        "message",
        "--label-column",
        "class",
        "--category-column",
        "kind",
        "--out",
        &out_dir,
        "--char-ngram-min",
        "3",
        "--char-ngram-max",
        "4",
    ];
    args.extend_from_slice(FAST_TRAIN);
    let out = run(&args);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .starts_with("Trained on 120 messages from 1 source(s) (40 ham, 40 spam, 40 scam)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("featurizing"),
        "progress on stderr: {}",
        out.stderr
    );
    for f in ["model.bin", "tokenizer.json", "README.md"] {
        assert!(Path::new(&out_dir).join(f).is_file(), "{f}");
    }
    let card = std::fs::read_to_string(Path::new(&out_dir).join("README.md")).unwrap();
    assert!(
        card.contains("--label-column class"),
        "the command line: {card}"
    );
    assert!(
        card.contains("| train |"),
        "the source is the file stem: {card}"
    );
    // The new model loads and scores a message, with reasons.
    let out = run(&[
        "classify", "--model", &out_dir, "--output", "jsonl", SCAM_FILE,
    ]);
    let v = &out.json_lines()[0];
    assert!(v["probabilities"]["ham"].as_f64().is_some(), "{out:?}");
    assert!(
        v["reasons"].as_array().is_some_and(|r| !r.is_empty()),
        "{v}"
    );
    let info = run(&["model", "info", &out_dir, "--output", "json"]);
    let v: Value = serde_json::from_str(&info.stdout).unwrap();
    assert!(
        v["training"]["category_counts"]["delivery"]
            .as_u64()
            .unwrap()
            > 0
    );
    // The n-gram flags reach the stored featurizer.
    assert_eq!(
        (
            &v["featurizer"]["char_ngram_min"],
            &v["featurizer"]["char_ngram_max"]
        ),
        (&Value::from(3), &Value::from(4)),
        "{v}"
    );
}

#[test]
fn train_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("m").display().to_string();
    let out = run(&[
        "train",
        "--data",
        "datasets",
        "--out",
        &out_dir,
        "--target-fpr",
        "0.9",
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("target_fpr"), "{}", out.stderr);
    let out = run(&[
        "train",
        "--data",
        "datasets",
        "--out",
        &out_dir,
        "--char-ngram-min",
        "4",
        "--char-ngram-max",
        "3",
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("4..=3"), "{}", out.stderr);
    assert!(!Path::new(&out_dir).exists(), "nothing written on failure");
    let out = run(&["train", "--data", "no/such/data", "--out", &out_dir]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no/such/data"), "{}", out.stderr);
    let only_ham = write(
        dir.path(),
        "ham.jsonl",
        "{\"label\":\"ham\",\"text\":\"hello\"}\n",
    );
    let out = run(&["train", "--data", &only_ham, "--out", &out_dir]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no spam examples"), "{}", out.stderr);
    assert!(!Path::new(&out_dir).exists(), "nothing written on failure");
    let bad_csv = write(dir.path(), "x.csv", "text,label\nhi,maybe\n");
    let out = run(&["train", "--data", &bad_csv, "--out", &out_dir]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("x.csv:2") && out.stderr.contains("maybe"),
        "{}",
        out.stderr
    );
}
