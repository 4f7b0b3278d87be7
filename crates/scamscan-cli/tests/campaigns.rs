//! `scamscan campaigns` and `scamscan indicators` on the real binary: the
//! outputs, the assignments file, first and last seen, and bad input.

mod cli_support;

use cli_support::{Out, run, run_stdin};
use serde_json::{Value, json};
use std::path::Path;

/// Three variants of one script (another link, number, amount, name, and a
/// disguise), an unrelated scam, and two legitimate messages, as JSONL.
fn inbox() -> String {
    let rows = [
        (
            "a1",
            1_700_000_300,
            "Hi Anna, your parcel is held at the depot. Pay the GBP 1.99 redelivery fee at https://parcel-fee.top/x today or it is returned to sender",
        ),
        (
            "h1",
            1_700_000_100,
            "Are we still on for dinner at 8? I booked the table near the station",
        ),
        (
            "a2",
            1_700_000_200,
            "Hi Bob, your parcel is held at the depot. Pay the GBP 2.49 redelivery fee at hxxps://evri-redeliver[.]top/y today or it is returned to sender",
        ),
        (
            "w1",
            1_700_000_400,
            "Send 100 USDT to TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t to unlock your task commission, contact @TaskMentor_Lily on Telegram",
        ),
        (
            "a3",
            1_700_000_900,
            "Hi Cy, y0ur parcel is held at the dep0t. Pay the GBP 3.10 redelivery fee at parcel-fee.top today or it is returned to sender",
        ),
        (
            "h2",
            1_700_000_500,
            "Thanks for the notes from the meeting, I will read them tonight",
        ),
        ("e1", 1_700_000_600, "!!! 🙂 ???"),
    ];
    rows.iter()
        .map(|(id, t, text)| json!({"id": id, "at": t, "text": text}).to_string() + "\n")
        .collect()
}

fn lines_of(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn campaigns(args: &[&str], input: &str) -> Out {
    let mut all = vec!["campaigns", "--input", "jsonl"];
    all.extend_from_slice(args);
    run_stdin(&all, input.as_bytes())
}

#[test]
fn all_groups_every_message_and_writes_assignments_in_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let assign = dir.path().join("assign.jsonl");
    let a = assign.display().to_string();
    let out = campaigns(
        &[
            "--all",
            "--output",
            "jsonl",
            "--time-field",
            "at",
            "--assignments",
            &a,
        ],
        &inbox(),
    );
    assert!(out.code <= 1, "{out:?}");
    let list = out.json_lines();
    assert_eq!(list.len(), 1, "one campaign of two or more: {list:?}");
    let c = &list[0];
    assert_eq!(c["id"], "a1", "a campaign is named by its first message");
    assert_eq!(c["size"], 3);
    assert_eq!(c["last_message"], "a3");
    // Times compare as numbers: a2 (…200) is earlier than a1 (…300).
    assert_eq!(c["first_seen"], "1700000200");
    assert_eq!(c["last_seen"], "1700000900");
    let template = c["template"].as_str().unwrap();
    assert!(
        template.starts_with(
            "hi * your parcel is held at the depot pay the <money> redelivery fee at <url>"
        ),
        "{template}"
    );
    let values: Vec<&str> = c["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["value"].as_str().unwrap())
        .collect();
    assert_eq!(values[0], "https://parcel-fee.top/x");
    assert!(
        values.contains(&"https://evri-redeliver.top/y") && values.contains(&"parcel-fee.top"),
        "{values:?}"
    );
    assert!(c["representative"].as_str().unwrap().starts_with("Hi Anna"));

    let assigned: Vec<(String, Value)> = lines_of(&assign)
        .into_iter()
        .map(|l| (l["id"].as_str().unwrap().to_string(), l["campaign"].clone()))
        .collect();
    let expected = [
        ("a1", json!("a1")),
        ("h1", json!("h1")),
        ("a2", json!("a1")),
        ("w1", json!("w1")),
        ("a3", json!("a1")),
        ("h2", json!("h2")),
        ("e1", Value::Null), // no words: no campaign
    ];
    let expected: Vec<(String, Value)> = expected
        .into_iter()
        .map(|(a, b)| (a.to_string(), b))
        .collect();
    assert_eq!(assigned, expected);

    // The same input gives the same output, byte for byte.
    let again = campaigns(
        &["--all", "--output", "jsonl", "--time-field", "at"],
        &inbox(),
    );
    assert_eq!(again.stdout, out.stdout);
}

#[test]
fn by_default_only_flagged_messages_are_grouped() {
    let dir = tempfile::tempdir().unwrap();
    let assign = dir.path().join("assign.jsonl");
    let a = assign.display().to_string();
    let out = campaigns(
        &["--output", "jsonl", "--min-size", "1", "--assignments", &a],
        &inbox(),
    );
    let verdicts = run_stdin(
        &["classify", "--input", "jsonl", "--output", "jsonl"],
        inbox().as_bytes(),
    );
    assert_eq!(out.code, verdicts.code, "the exit status is classify's");
    for (v, a) in verdicts.json_lines().iter().zip(lines_of(&assign)) {
        assert_eq!(v["id"], a["id"]);
        let flagged = v["label"] == "scam" || v["label"] == "spam";
        assert_eq!(
            a["campaign"].is_null(),
            !flagged || a["id"] == "e1",
            "{v} {a}"
        );
    }
    let sizes: u64 = out
        .json_lines()
        .iter()
        .map(|c| c["size"].as_u64().unwrap())
        .sum();
    let flagged = verdicts
        .json_lines()
        .iter()
        .filter(|v| v["label"] == "scam" || v["label"] == "spam")
        .count();
    assert!(sizes as usize <= flagged);
}

#[test]
fn human_and_csv_output() {
    let human = campaigns(&["--all"], &inbox());
    assert!(
        human.stdout.starts_with("a1  3 messages"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains("  template:   hi * your parcel is held"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains("  indicators: url https://parcel-fee.top/x (1)"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stderr
            .contains("7 messages grouped into 1 campaigns of 2 or more (1 without words)"),
        "{}",
        human.stderr
    );

    let csv = campaigns(&["--all", "--output", "csv", "--min-size", "1"], &inbox());
    let mut r = csv::Reader::from_reader(csv.stdout.as_bytes());
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "id",
            "size",
            "first_message",
            "last_message",
            "first_seen",
            "last_seen",
            "label",
            "category",
            "template",
            "indicators",
            "representative"
        ]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4, "a1, h1, w1, h2; e1 has no words");
    assert_eq!((&rows[0][0], &rows[0][1]), ("a1", "3"));
}

#[test]
fn bad_records_are_reported_and_the_rest_grouped() {
    let dir = tempfile::tempdir().unwrap();
    let assign = dir.path().join("assign.jsonl");
    let a = assign.display().to_string();
    let mut input = inbox();
    input.insert_str(0, "{not json\n");
    input.push_str("{\"id\": \"n1\", \"text\": 5}\n");
    let out = campaigns(&["--all", "--output", "jsonl", "--assignments", &a], &input);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("-:1: invalid JSON"), "{}", out.stderr);
    assert!(out.stderr.contains("-:9: field `text`"), "{}", out.stderr);
    assert_eq!(out.json_lines()[0]["size"], 3);
    assert_eq!(lines_of(&assign).len(), 7, "one line per message read");

    let missing = run(&["campaigns", "--all", "no/such/file.txt"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("no/such/file.txt"),
        "{}",
        missing.stderr
    );

    let unwritable = campaigns(&["--assignments", "no/such/dir/a.jsonl"], &inbox());
    assert_eq!(unwritable.code, 2);
    assert!(
        unwritable.stderr.contains("no/such/dir/a.jsonl"),
        "{}",
        unwritable.stderr
    );
}

fn indicators(args: &[&str]) -> Out {
    let mut all = vec![
        "indicators",
        "--input",
        "jsonl",
        "--all",
        "--time-field",
        "at",
    ];
    all.extend_from_slice(args);
    run_stdin(&all, inbox().as_bytes())
}

#[test]
fn indicators_as_csv_jsonl_and_stix() {
    let csv = indicators(&[]);
    let mut r = csv::Reader::from_reader(csv.stdout.as_bytes());
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "kind",
            "value",
            "chain",
            "platform",
            "count",
            "campaigns",
            "first_seen",
            "last_seen",
            "first_message",
            "last_message"
        ]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let find = |v: &str| {
        rows.iter()
            .find(|r| &r[1] == v)
            .unwrap_or_else(|| panic!("{v} in {rows:?}"))
    };
    let domain = find("parcel-fee.top");
    assert_eq!((&domain[0], &domain[4], &domain[5]), ("domain", "1", "a1"));
    let wallet = find("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t");
    assert_eq!(
        (&wallet[0], &wallet[2], &wallet[5]),
        ("wallet", "trx", "w1")
    );
    let handle = find("@TaskMentor_Lily");
    assert_eq!(&handle[0], "handle");
    assert_eq!(
        (
            &find("https://evri-redeliver.top/y")[6],
            &find("https://evri-redeliver.top/y")[8]
        ),
        ("1700000200", "a2")
    );

    let defanged = indicators(&["--defang", "--output", "jsonl"]);
    let values: Vec<String> = defanged
        .json_lines()
        .iter()
        .map(|l| l["value"].as_str().unwrap().to_string())
        .collect();
    assert!(
        values.contains(&"hxxps://evri-redeliver[.]top/y".to_string()),
        "{values:?}"
    );
    assert!(
        values.contains(&"parcel-fee[.]top".to_string()),
        "{values:?}"
    );
    assert!(
        !values.iter().any(|v| v.contains("parcel-fee.top")),
        "{values:?}"
    );

    let stix = run_stdin(
        &[
            "indicators",
            "--input",
            "jsonl",
            "--all",
            "--defang",
            "--output",
            "stix",
        ],
        inbox().as_bytes(),
    );
    let bundle: Value = serde_json::from_str(&stix.stdout).unwrap();
    assert_eq!(bundle["type"], "bundle");
    let patterns: Vec<&str> = bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["pattern"].as_str().unwrap())
        .collect();
    // STIX patterns hold the real value, defanged or not.
    assert!(
        patterns.contains(&"[domain-name:value = 'parcel-fee.top']"),
        "{patterns:?}"
    );
    assert!(patterns.contains(&"[x-cryptocurrency-wallet:value = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t' AND x-cryptocurrency-wallet:chain = 'trx']"), "{patterns:?}");
}

#[test]
fn a_wallet_with_a_bad_checksum_is_not_exported() {
    let text = "Send 100 USDT to TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6T and 0.1 BTC to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa now";
    let out = run_stdin(
        &["indicators", "--all", "--output", "jsonl"],
        text.as_bytes(),
    );
    let values: Vec<String> = out
        .json_lines()
        .iter()
        .map(|l| l["value"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(values, ["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"]);
}
