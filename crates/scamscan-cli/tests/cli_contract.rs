//! The measurement contract of `scamscan classify --output jsonl`: other
//! tools parse this output, so every promise is checked here.

mod cli_support;

use cli_support::{Out, classify, classify_stdin, fixture, run};
use serde_json::{Value, json};

const LABELS: [&str; 4] = ["ham", "spam", "scam", "unsure"];

/// What the contract's decision depends on: the model's flag threshold and
/// coverage rule (from `model info --output json`).
struct Decision {
    flag_threshold: f64,
    min_coverage: f64,
    min_language_rows: u64,
}

/// The decision settings of a model: `None` is the built-in one.
fn decision(model: Option<&str>) -> Decision {
    let mut args = vec!["model", "info"];
    args.extend(model);
    args.extend(["--output", "json"]);
    let out = run(&args);
    assert_eq!(out.code, 0, "{out:?}");
    let v: Value = serde_json::from_str(&out.stdout).expect("JSON");
    let c = &v["calibration"];
    Decision {
        flag_threshold: c["flag_threshold"].as_f64().expect("a threshold"),
        min_coverage: c["min_coverage"].as_f64().expect("a coverage rule"),
        min_language_rows: c["min_language_rows"].as_u64().expect("a language rule"),
    }
}

fn contract_file() -> String {
    fixture("contract.jsonl")
}

fn jsonl_file() -> Out {
    classify(&["--input", "jsonl", "--output", "jsonl", &contract_file()])
}

/// The non-blank lines of the contract fixture, with their 1-based numbers.
fn non_blank_lines() -> Vec<(u64, String)> {
    let text = std::fs::read_to_string(cli_support::root().join(contract_file())).unwrap();
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i as u64 + 1, l.to_string()))
        .collect()
}

/// Which verdicts carry reasons: `--reasons-for flagged` (the default) or `all`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ReasonsFor {
    Flagged,
    All,
}

/// Checks one verdict object, of the message `text`, against every promise
/// of the contract.
fn check_verdict(v: &Value, text: &str, d: &Decision, reasons_for: ReasonsFor) {
    let o = v.as_object().expect("an object");
    let mut keys: Vec<&str> = o.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut want = vec![
        "category",
        "category_probability",
        "coverage",
        "id",
        "label",
        "probabilities",
        "reasons",
        "score",
        "truncated",
    ];
    if o.contains_key("fields") {
        want.push("fields");
        want.sort_unstable();
    }
    assert_eq!(keys, want, "{v}");
    let label = v["label"].as_str().expect("label is a string");
    assert!(LABELS.contains(&label), "{v}");
    let p = &v["probabilities"];
    let (ham, spam, scam) = (
        p["ham"].as_f64().unwrap(),
        p["spam"].as_f64().unwrap(),
        p["scam"].as_f64().unwrap(),
    );
    for x in [ham, spam, scam] {
        assert!((0.0..=1.0).contains(&x), "{v}");
    }
    assert!((ham + spam + scam - 1.0).abs() < 1e-4, "sum != 1: {v}");
    assert_eq!(
        v["score"], p["scam"],
        "score must equal probabilities.scam: {v}"
    );
    let coverage = v["coverage"].as_f64().expect("coverage is a number");
    assert!((0.0..=1.0).contains(&coverage), "{v}");
    if label == "unsure" {
        // Unfamiliar (too few known words, or a language the model has too
        // few legitimate messages of), and the probabilities it reports,
        // those of its language-free evidence, do not flag it.
        assert!(coverage < d.min_coverage || d.min_language_rows > 0, "{v}");
        assert!(1.0 - ham < d.flag_threshold + 1e-6, "{v}");
    } else {
        // The default decision: flagged exactly when 1 - p(ham) reaches the
        // model's threshold, and then scam when p(scam) >= p(spam).
        assert_eq!(label != "ham", 1.0 - ham >= d.flag_threshold - 1e-6, "{v}");
        if label != "ham" {
            assert_eq!(label == "scam", scam >= spam, "{v}");
        }
    }
    if label == "scam" {
        assert!(v["category"].is_string(), "{v}");
        let cp = v["category_probability"].as_f64().expect("a probability");
        assert!((0.0..=1.0).contains(&cp), "{v}");
    } else {
        assert!(v["category"].is_null(), "{v}");
        assert!(v["category_probability"].is_null(), "{v}");
    }
    assert!(v["truncated"].is_boolean(), "{v}");
    let reasons = v["reasons"].as_array().expect("reasons is an array");
    // Reasons for spam, scam and unsure verdicts; for ham only when asked.
    // A message with a word in it always has a feature to name, except an
    // unsure one: it is judged on its entities and cues alone, and may
    // have none.
    let wanted = label != "ham" || reasons_for == ReasonsFor::All;
    if !wanted {
        assert!(reasons.is_empty(), "{v}");
    } else if label != "unsure" && text.chars().any(char::is_alphanumeric) {
        assert!(!reasons.is_empty(), "{v}");
    }
    for r in reasons {
        let mut keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["contribution", "feature", "kind", "spans", "text"],
            "{r}"
        );
        assert!(r["contribution"].is_number());
        assert!(
            ["word", "bigram", "entity", "chars"].contains(&r["kind"].as_str().unwrap()),
            "{r}"
        );
        for s in r["spans"].as_array().unwrap() {
            let s = s.as_array().expect("a span is [start, end]");
            assert_eq!(s.len(), 2);
            assert!(s[0].as_u64().unwrap() <= s[1].as_u64().unwrap());
        }
    }
}

/// Checks the output for the contract fixture, line by line, and returns
/// the labels of its verdicts.
fn check_fixture_output(out: &Out, d: &Decision, reasons_for: ReasonsFor) -> Vec<String> {
    let objs = out.json_lines();
    let lines = non_blank_lines();
    assert_eq!(objs.len(), lines.len(), "{}", out.stdout);
    let mut labels = Vec::new();
    for (obj, (number, line)) in objs.iter().zip(&lines) {
        let input: Result<Value, _> = serde_json::from_str(line);
        let is_good =
            matches!(&input, Ok(Value::Object(o)) if o.get("text").is_some_and(Value::is_string));
        if is_good {
            let input = input.unwrap();
            check_verdict(obj, input["text"].as_str().unwrap(), d, reasons_for);
            assert_eq!(obj["id"], input.get("id").cloned().unwrap_or(Value::Null));
            labels.push(obj["label"].as_str().unwrap().to_string());
        } else {
            assert!(obj["error"].is_string(), "line {number}: {obj}");
            assert_eq!(obj["line"], json!(number), "{obj}");
            assert!(obj.get("label").is_none(), "{obj}");
        }
    }
    labels
}

#[test]
fn one_object_per_non_blank_line_in_order() {
    let out = jsonl_file();
    assert_eq!(
        out.code, 2,
        "malformed lines make the run an error: {out:?}"
    );
    let d = decision(Some(cli_support::model()));
    let labels = check_fixture_output(&out, &d, ReasonsFor::Flagged);
    // The check above is only as good as the labels it saw.
    for want in ["ham", "scam", "unsure"] {
        assert!(
            labels.iter().any(|l| l == want),
            "no {want} among {labels:?}"
        );
    }
}

/// The same promises hold for the model users run: the built-in one.
#[test]
fn the_builtin_model_keeps_the_contract() {
    let file = contract_file();
    let out = run(&["classify", "--input", "jsonl", "--output", "jsonl", &file]);
    assert_eq!(out.code, 2, "{out:?}");
    let labels = check_fixture_output(&out, &decision(None), ReasonsFor::Flagged);
    for want in ["ham", "scam", "unsure"] {
        assert!(
            labels.iter().any(|l| l == want),
            "no {want} among {labels:?}"
        );
    }
}

/// `--reasons-for all` gives ham verdicts their reasons, and changes
/// nothing else: the other verdicts, reasons included, are the default's.
#[test]
fn reasons_for_all_adds_the_reasons_of_ham_verdicts() {
    let file = contract_file();
    for model in [Some(cli_support::model()), None] {
        let mut args = vec![
            "classify",
            "--input",
            "jsonl",
            "--output",
            "jsonl",
            file.as_str(),
        ];
        if let Some(m) = model {
            args.extend(["--model", m]);
        }
        let default = run(&args);
        args.extend(["--reasons-for", "all"]);
        let all = run(&args);
        assert_eq!((default.code, all.code), (2, 2), "{all:?}");
        let labels = check_fixture_output(&all, &decision(model), ReasonsFor::All);
        assert!(labels.iter().any(|l| l == "ham"), "{labels:?}");
        let (objs, all_objs) = (default.json_lines(), all.json_lines());
        for (d, a) in objs.iter().zip(&all_objs) {
            if d["label"] == json!("ham") {
                let mut a = a.clone();
                a["reasons"] = json!([]);
                assert_eq!(d, &a);
            } else {
                assert_eq!(d, a);
            }
        }
    }
}

#[test]
fn stdin_and_file_give_identical_output() {
    let file = jsonl_file();
    let bytes = std::fs::read(cli_support::root().join(contract_file())).unwrap();
    let stdin = classify_stdin(&["--input", "jsonl", "--output", "jsonl"], &bytes);
    let dash = classify_stdin(&["--input", "jsonl", "--output", "jsonl", "-"], &bytes);
    assert!(!file.stdout.is_empty());
    assert_eq!(file.stdout, stdin.stdout);
    assert_eq!(file.stdout, dash.stdout);
    assert_eq!((file.code, stdin.code), (2, 2));
    // stderr names the source: the file, or "-".
    assert!(
        file.stderr.contains("tests/fixtures/contract.jsonl:6:"),
        "{}",
        file.stderr
    );
    assert!(stdin.stderr.contains("scamscan: -:6:"), "{}", stdin.stderr);
}

#[test]
fn ids_pass_through_and_other_fields_go_under_fields() {
    let objs = jsonl_file().json_lines();
    let by_line: Vec<&Value> = objs.iter().collect();
    // Line 1: a string id and fields named like contract keys.
    assert_eq!(by_line[0]["id"], json!("c1"));
    assert_eq!(
        by_line[0]["fields"],
        json!({"channel": "sms", "label": "not-the-verdict", "score": 5, "probabilities": "ignored"})
    );
    assert!(LABELS.contains(&by_line[0]["label"].as_str().unwrap()));
    assert!(by_line[0]["score"].is_f64());
    // Line 2: a numeric id stays a number.
    assert_eq!(by_line[1]["id"], json!(2));
    assert_eq!(by_line[1]["fields"], json!({}));
    // Line 4: no id at all is null.
    assert_eq!(by_line[2]["id"], Value::Null);
    assert_eq!(by_line[2]["fields"], json!({"lang": "en"}));
    // An input field named "fields" is passed through, not merged.
    let c11 = objs.iter().find(|o| o["id"] == json!("c11")).unwrap();
    assert_eq!(c11["fields"], json!({"fields": {"nested": true}}));
    // An empty text is still a message with a verdict.
    let last = objs.last().unwrap();
    assert!(last["label"].is_string(), "{last}");
}

#[test]
fn error_records_for_bad_lines() {
    let objs = jsonl_file().json_lines();
    let errors: Vec<&Value> = objs.iter().filter(|o| o.get("error").is_some()).collect();
    let summary: Vec<(Value, u64)> = errors
        .iter()
        .map(|e| (e["id"].clone(), e["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (Value::Null, 6),
            (json!("c6"), 7),
            (json!("c7"), 8),
            (json!("c8"), 9),
            (Value::Null, 11),
        ]
    );
    let msg = |i: usize| errors[i]["error"].as_str().unwrap().to_string();
    assert!(msg(0).contains("invalid JSON"), "{}", msg(0));
    assert!(msg(1).contains("no `text` field"), "{}", msg(1));
    assert!(msg(2).contains("not a string"), "{}", msg(2));
    assert!(msg(4).contains("not a JSON object"), "{}", msg(4));
    for e in &errors {
        let keys: Vec<&String> = e.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 3, "{e}");
    }
}

#[test]
fn custom_text_and_id_fields() {
    let input = b"{\"msg\": \"see you at the station at 5\", \"key\": \"k1\", \"id\": \"other\"}\n{\"text\": \"no msg field\", \"key\": \"k2\"}\n";
    let out = classify_stdin(
        &[
            "--input",
            "jsonl",
            "--output",
            "jsonl",
            "--text-field",
            "msg",
            "--id-field",
            "key",
        ],
        input,
    );
    let objs = out.json_lines();
    assert_eq!(objs.len(), 2, "{out:?}");
    assert_eq!(objs[0]["id"], json!("k1"));
    assert_eq!(objs[0]["fields"], json!({"id": "other"}));
    assert_eq!(objs[1]["id"], json!("k2"));
    assert!(objs[1]["error"].as_str().unwrap().contains("`msg`"));
    assert_eq!(out.code, 2);
}

#[test]
fn ids_of_non_jsonl_inputs() {
    let lines = fixture("lines.txt");
    let mbox = fixture("mailbox.mbox");
    let out = classify(&[
        "--output",
        "jsonl",
        "--reasons",
        "0",
        cli_support::HAM_FILE,
        &mbox,
    ]);
    let ids: Vec<Value> = out.json_lines().iter().map(|o| o["id"].clone()).collect();
    assert_eq!(
        ids,
        vec![
            json!(cli_support::HAM_FILE),
            json!(format!("{mbox}#1")),
            json!(format!("{mbox}#2")),
            json!(format!("{mbox}#3")),
        ]
    );
    let out = classify(&["--lines", "--output", "jsonl", &lines]);
    let ids: Vec<Value> = out.json_lines().iter().map(|o| o["id"].clone()).collect();
    assert_eq!(
        ids,
        vec![
            json!(format!("{lines}:1")),
            json!(format!("{lines}:3")),
            json!(format!("{lines}:6")),
        ]
    );
    let out = classify_stdin(&["--output", "jsonl"], b"Can you call me back after lunch?");
    assert_eq!(out.json_lines()[0]["id"], json!("-"));
    assert!(out.json_lines()[0].get("fields").is_none());
    let out = classify_stdin(&["--lines", "--output", "jsonl"], b"one\n\ntwo\n");
    let ids: Vec<Value> = out.json_lines().iter().map(|o| o["id"].clone()).collect();
    assert_eq!(ids, vec![json!("-:1"), json!("-:3")]);
}

#[test]
fn many_lines_stream_in_batches_in_order() {
    // More than two batches of 2048 messages.
    let n = 4500;
    let mut input = String::new();
    for i in 0..n {
        if i % 2 == 0 {
            input.push_str(&format!(
                "{{\"id\": {i}, \"text\": \"see you at {i} o'clock\"}}\n"
            ));
        } else {
            input.push_str(&format!(
                "{{\"id\": {i}, \"text\": \"WIN {i} USD now, claim at prize-{i}.top\"}}\n"
            ));
        }
    }
    let out = classify_stdin(
        &["--input", "jsonl", "--output", "jsonl", "--reasons", "0"],
        input.as_bytes(),
    );
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    let objs = out.json_lines();
    assert_eq!(objs.len(), n);
    for (i, o) in objs.iter().enumerate() {
        assert_eq!(o["id"], json!(i), "out of order at {i}");
    }
}

#[test]
fn truncated_is_always_a_boolean_and_true_only_when_cut() {
    let long = format!(
        "{{\"id\": \"long\", \"text\": \"{}\"}}\n{{\"id\": \"short\", \"text\": \"lunch?\"}}\n",
        "please pay the fee now ".repeat(20)
    );
    let out = classify_stdin(
        &[
            "--input",
            "jsonl",
            "--output",
            "jsonl",
            "--max-bytes",
            "100",
        ],
        long.as_bytes(),
    );
    let objs = out.json_lines();
    assert_eq!(objs[0]["truncated"], json!(true));
    assert_eq!(objs[1]["truncated"], json!(false));
    assert!(
        out.stderr.contains("-:1: warning: message truncated"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("-:2:"), "{}", out.stderr);
}

#[test]
fn reasons_count_follows_the_flag() {
    let text = "URGENT: your account is suspended. Verify now at secure-login-check.top or lose access today.";
    let count = |n: &str| {
        let out = classify_stdin(&["--output", "jsonl", "--reasons", n], text.as_bytes());
        out.json_lines()[0]["reasons"].as_array().unwrap().len()
    };
    assert_eq!(count("0"), 0);
    assert_eq!(count("2"), 2);
    // The default is 3.
    let out = classify_stdin(&["--output", "jsonl"], text.as_bytes());
    assert_eq!(out.json_lines()[0]["reasons"].as_array().unwrap().len(), 3);
    // Reason spans point into the message text.
    let out = classify_stdin(&["--output", "jsonl", "--reasons", "5"], text.as_bytes());
    for r in out.json_lines()[0]["reasons"].as_array().unwrap() {
        let s = &r["spans"][0];
        let (a, b) = (
            s[0].as_u64().unwrap() as usize,
            s[1].as_u64().unwrap() as usize,
        );
        assert_eq!(r["text"].as_str().unwrap(), &text[a..b], "{r}");
    }
}

#[test]
fn table_outputs_have_the_contract_columns() {
    const HEADER: &str = "id,label,score,p_ham,p_spam,p_scam,category,top_reason,error";
    let out = classify(&["--input", "jsonl", "--output", "csv", &contract_file()]);
    let mut rdr = csv::Reader::from_reader(out.stdout.as_bytes());
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>().join(","),
        HEADER
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), non_blank_lines().len());
    let last = rows.len() - 1;
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), 9);
        if row[8].is_empty() {
            assert!(LABELS.contains(&&row[1]), "{row:?}");
            let p: Vec<f64> = (3..6).map(|i| row[i].parse().unwrap()).collect();
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-4, "{row:?}");
            assert_eq!(&row[2], &row[5], "score == p_scam: {row:?}");
            // Every spam or scam message has a top reason; a ham one has
            // none (reasons are for flagged and unsure verdicts), nor has
            // the last, an empty text; an unsure one has one unless its
            // language-free evidence is empty.
            if row[1] == *"ham" || i == last {
                assert!(row[7].is_empty(), "{row:?}");
            } else if row[1] != *"unsure" {
                assert!(!row[7].is_empty(), "{row:?}");
            }
        } else {
            assert!(row[1].is_empty() && row[2].is_empty(), "{row:?}");
        }
    }
    assert_eq!(&rows[0][0], "c1");
    assert!(rows[4][8].contains(":6: invalid JSON"), "{:?}", rows[4]);

    let out = classify(&["--input", "jsonl", "--output", "tsv", &contract_file()]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], HEADER.replace(',', "\t"));
    assert_eq!(lines.len(), non_blank_lines().len() + 1);
    assert!(
        lines.iter().all(|l| l.split('\t').count() == 9),
        "{lines:?}"
    );
}
