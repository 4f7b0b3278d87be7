//! `scamscan(text)` in a DataFusion `SessionContext`, checked against the
//! `scamscan classify --output jsonl` command line on the same texts.

mod support;

use support::{Row, cli};

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, LargeStringArray, RecordBatch, StringArray,
    StringViewArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::execution::FunctionRegistry;
use datafusion::prelude::SessionContext;
use scamscan::ClassifyOptions;
use scamscan_datafusion::{ScamscanUdf, register};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// A table `m(id, text, text_large, text_view, n)` of `rows`, in batches of
/// 1000 rows, with one extra row whose texts are null; every column is
/// nullable, so that the batches share one schema.
fn table(rows: &[(String, String)]) -> Vec<RecordBatch> {
    let mut all: Vec<(Option<&str>, Option<&str>)> = rows
        .iter()
        .map(|(id, t)| (Some(id.as_str()), Some(t.as_str())))
        .collect();
    all.push((Some("null"), None));
    all.chunks(1000)
        .map(|chunk| {
            let ids: StringArray = chunk.iter().map(|r| r.0).collect();
            let texts: Vec<Option<&str>> = chunk.iter().map(|r| r.1).collect();
            let n: Int64Array = (0..chunk.len() as i64).map(Some).collect();
            RecordBatch::try_from_iter_with_nullable([
                ("id", Arc::new(ids) as ArrayRef, true),
                (
                    "text",
                    Arc::new(StringArray::from(texts.clone())) as _,
                    true,
                ),
                (
                    "text_large",
                    Arc::new(LargeStringArray::from(texts.clone())) as _,
                    true,
                ),
                (
                    "text_view",
                    Arc::new(StringViewArray::from(texts)) as _,
                    true,
                ),
                ("n", Arc::new(n) as _, true),
            ])
            .unwrap()
        })
        .collect()
}

fn context(rows: &[(String, String)], udf: ScamscanUdf) -> SessionContext {
    let ctx = SessionContext::new();
    ctx.register_udf(udf.into());
    let batches = table(rows);
    let schema = batches[0].schema();
    let mem = datafusion::datasource::MemTable::try_new(schema, vec![batches]).unwrap();
    ctx.register_table("m", Arc::new(mem)).unwrap();
    ctx
}

/// Runs `sql` (selecting `id` and struct columns) and returns, per id, the
/// rows of every struct column.
async fn query(ctx: &SessionContext, sql: &str) -> HashMap<String, Vec<Option<Row>>> {
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    let mut out = HashMap::new();
    for b in &batches {
        // Parquet reads strings back as Utf8View (DataFusion's default).
        let ids = cast(b.column(0), &DataType::Utf8).unwrap();
        let ids = ids.as_string::<i32>();
        for i in 0..b.num_rows() {
            let rows = (1..b.num_columns())
                .map(|c| Row::from_struct(b.column(c).as_struct(), i))
                .collect();
            out.insert(ids.value(i).to_string(), rows);
        }
    }
    out
}

/// Asserts that every row of `got` equals the command line's record for
/// its id, in every struct column, and that the null row is null.
fn assert_same(rows: &[(String, String)], cli: &[Value], got: &HashMap<String, Vec<Option<Row>>>) {
    assert_eq!(got.len(), rows.len() + 1, "one output row per input row");
    for ((id, _), record) in rows.iter().zip(cli) {
        assert_eq!(record["id"].as_str(), Some(id.as_str()));
        let want = Row::from_cli(record);
        for (c, row) in got[id].iter().enumerate() {
            assert_eq!(row.as_ref(), Some(&want), "row {id}, struct column {c}");
        }
    }
    assert!(
        got["null"].iter().all(Option::is_none),
        "a null text gives a null struct"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verdicts_equal_the_command_line_bit_for_bit() {
    let rows = cli::dataset_rows();
    let dir = tempfile::tempdir().unwrap();
    let cli = cli::classify(dir.path(), &rows, &[]);
    let ctx = context(
        &rows,
        ScamscanUdf::load(None, ClassifyOptions::default()).unwrap(),
    );
    let got = query(
        &ctx,
        "SELECT id, scamscan(text), scamscan(text_large), scamscan(text_view), \
         scamscan(arrow_cast(text, 'Dictionary(Int32, Utf8)')) FROM m",
    )
    .await;
    assert_same(&rows, &cli, &got);
    // What the crate documents: the empty text is ham, the long one truncated.
    let empty = got["empty"][0].as_ref().unwrap();
    assert_eq!(
        (empty.label.as_str(), empty.category.as_deref()),
        ("ham", None)
    );
    assert!(got["long"][0].as_ref().unwrap().truncated);
    // The test data has every label, so the comparison covers them all.
    for label in ["scam", "spam", "ham"] {
        assert!(
            got.values()
                .any(|r| r[0].as_ref().is_some_and(|r| r.label == label)),
            "no {label} row"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_and_a_trained_model_equal_the_command_line() {
    let rows = cli::dataset_rows();
    let dir = tempfile::tempdir().unwrap();
    let model = cli::train(dir.path());
    let model_s = model.display().to_string();
    let cli = cli::classify(
        dir.path(),
        &rows,
        &[
            "--model",
            &model_s,
            "--max-bytes",
            "120",
            "--threshold",
            "0.6",
        ],
    );
    let options = ClassifyOptions {
        max_bytes: 120,
        scam_threshold: Some(0.6),
        ..ClassifyOptions::default()
    };
    let ctx = context(&rows, ScamscanUdf::load(Some(&model), options).unwrap());
    let got = query(&ctx, "SELECT id, scamscan(text_view) FROM m").await;
    assert_same(&rows, &cli, &got);
    let truncated = got
        .values()
        .filter(|r| r[0].as_ref().is_some_and(|r| r.truncated));
    assert!(
        truncated.count() > 100,
        "--max-bytes 120 truncates many texts"
    );
}

#[tokio::test]
async fn sql_can_filter_on_fields_and_score_a_constant() {
    let rows = cli::dataset_rows();
    let ctx = SessionContext::new();
    register(&ctx, None, ClassifyOptions::default()).unwrap();
    let batches = table(&rows);
    let schema = batches[0].schema();
    let mem = datafusion::datasource::MemTable::try_new(schema, vec![batches]).unwrap();
    ctx.register_table("m", Arc::new(mem)).unwrap();
    let count = |sql: &'static str| {
        let ctx = ctx.clone();
        async move {
            let b = ctx.sql(sql).await.unwrap().collect().await.unwrap();
            b[0].column(0)
                .as_primitive::<datafusion::arrow::datatypes::Int64Type>()
                .value(0)
        }
    };
    let flagged =
        count("SELECT count(*) FROM m WHERE scamscan(text)['label'] IN ('scam', 'spam')").await;
    let ham = count("SELECT count(*) FROM m WHERE scamscan(text)['label'] = 'ham'").await;
    let unsure = count("SELECT count(*) FROM m WHERE scamscan(text)['unsure']").await;
    let nulls = count("SELECT count(*) FROM m WHERE scamscan(text)['label'] IS NULL").await;
    assert_eq!(nulls, 1);
    assert_eq!(flagged + ham + unsure + nulls, rows.len() as i64 + 1);
    assert!(flagged > 100 && ham > 100, "{flagged} flagged, {ham} ham");
    let b = ctx
        .sql("SELECT scamscan('Hello dear, I am recruiter from Amazon. Part-time job, earn 300-800 USDT per day. WhatsApp wa.me/6281234567') AS v")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let v = Row::from_struct(b[0].column(0).as_struct(), 0).unwrap();
    assert_eq!(
        (v.label.as_str(), v.category.as_deref()),
        ("scam", Some("job"))
    );
    let b = ctx
        .sql("SELECT scamscan(NULL) AS v")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert!(b[0].column(0).is_null(0));
}

#[tokio::test]
async fn a_column_of_another_type_is_a_planning_error_naming_it() {
    let rows = cli::dataset_rows();
    let ctx = context(&rows, ScamscanUdf::new(scamscan::Classifier::default()));
    let err = ctx
        .sql("SELECT scamscan(n) FROM m")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("the column n is Int64, not text"), "{err}");
    let err = ctx
        .sql("SELECT scamscan(text, id) FROM m")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("takes one argument"), "{err}");
}

#[test]
fn a_missing_or_corrupt_model_stops_registration_with_the_cli_message() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-model");
    let corrupt = dir.path().join("corrupt");
    std::fs::create_dir(&corrupt).unwrap();
    std::fs::write(corrupt.join("model.bin"), b"not a model").unwrap();
    std::fs::write(corrupt.join("tokenizer.json"), b"{}").unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    for model in [&missing, &corrupt, &empty] {
        let shown = model.display().to_string();
        let (code, _, stderr) = cli::run(&["classify", "--model", &shown, "README.md"]);
        assert_eq!(code, 2, "{stderr}");
        let ctx = SessionContext::new();
        let err = register(&ctx, Some(model), ClassifyOptions::default()).unwrap_err();
        assert_eq!(format!("scamscan: {err}"), stderr.trim_end(), "{shown}");
        assert!(err.to_string().contains(&shown), "{err}");
        assert!(ctx.udf("scamscan").is_err(), "nothing registered");
    }
}

#[tokio::test]
async fn parquet_text_is_scored_as_read() {
    let rows = cli::dataset_rows();
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(&rows, ScamscanUdf::new(scamscan::Classifier::default()));
    let path = dir.path().join("m.parquet").display().to_string();
    ctx.sql("SELECT id, text FROM m")
        .await
        .unwrap()
        .write_parquet(&path, Default::default(), None)
        .await
        .unwrap();
    ctx.register_parquet("p", &path, Default::default())
        .await
        .unwrap();
    let from_parquet = query(&ctx, "SELECT id, scamscan(text) FROM p").await;
    let from_memory = query(&ctx, "SELECT id, scamscan(text) FROM m").await;
    assert_eq!(from_parquet, from_memory);
}

#[tokio::test]
async fn a_struct_selected_once_scores_each_row_once() {
    let rows = cli::dataset_rows();
    // How often DataFusion 55 scores a row for each way of reading fields.
    let mut counts = Vec::new();
    for sql in [
        "SELECT id, scamscan(text) AS v FROM m",
        "SELECT id, v['label'], v['score'] FROM (SELECT id, scamscan(text) AS v FROM m)",
        "SELECT id, scamscan(text)['label'], scamscan(text)['score'] FROM m",
        "SELECT id, v['label'] FROM (SELECT id, scamscan(text) AS v FROM m) WHERE v['label'] <> 'ham'",
    ] {
        let udf = ScamscanUdf::new(scamscan::Classifier::default());
        let ctx = context(&rows, udf.clone());
        ctx.sql(sql).await.unwrap().collect().await.unwrap();
        counts.push(udf.rows_scored());
    }
    let n = rows.len() as u64;
    assert_eq!(counts[0], n, "every non-null text once");
    // What the crate's README says: DataFusion 55 inlines the subquery and
    // scores once per field read, so reading two fields scores twice.
    assert_eq!(counts[1..], [2 * n, 2 * n, 2 * n], "{counts:?}");
}
