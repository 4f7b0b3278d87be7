//! Builds the input of `scripts/bench-engine.sh`: the labeled messages of
//! `--data` (the project's `datasets/` by default), repeated in order to
//! `--rows` rows with ids made unique, written twice with the same ids and
//! texts: as `--files` Parquet files (for DataFusion and Ballista) and as
//! one JSONL file (for `scamscan classify`). Both go under `--out`, in the
//! build's target directory, and are never committed.
//!
//! ```text
//! cargo run --profile release-engine -p scamscan-ballista --example bench_input -- \
//!     --rows 1000000 --files 8 --out target/bench-engine/input
//! ```

#![forbid(unsafe_code)]

use clap::Parser;
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Parser)]
struct Cli {
    /// A labeled JSONL file or a directory of them.
    #[arg(long, default_value = "datasets")]
    data: PathBuf,
    /// Rows to write (the messages are repeated to reach it).
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// Parquet files to split the rows into.
    #[arg(long, default_value_t = 8)]
    files: usize,
    /// Output directory: `messages/part-K.parquet` and `messages.jsonl`.
    #[arg(long)]
    out: PathBuf,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let examples = scamscan::corpus::read_dir_or_file(&cli.data)?;
    if examples.is_empty() {
        return Err(format!("{}: no messages", cli.data.display()).into());
    }
    let rows: Vec<(String, &str)> = (0..cli.rows)
        .map(|r| {
            let e = &examples[r % examples.len()];
            (format!("{}#{}", e.id, r / examples.len()), e.text.as_str())
        })
        .collect();
    let dir = cli.out.join("messages");
    std::fs::create_dir_all(&dir)?;
    let mut jsonl = std::io::BufWriter::new(std::fs::File::create(cli.out.join("messages.jsonl"))?);
    for (id, text) in &rows {
        serde_json::to_writer(&mut jsonl, &serde_json::json!({"id": id, "text": text}))?;
        jsonl.write_all(b"\n")?;
    }
    jsonl.flush()?;
    let ctx = SessionContext::new();
    for (k, chunk) in rows
        .chunks(rows.len().div_ceil(cli.files.max(1)))
        .enumerate()
    {
        let id: StringArray = chunk.iter().map(|r| Some(r.0.as_str())).collect();
        let text: StringArray = chunk.iter().map(|r| Some(r.1)).collect();
        let batch = RecordBatch::try_from_iter([
            ("id", Arc::new(id) as ArrayRef),
            ("text", Arc::new(text) as _),
        ])?;
        let mem = MemTable::try_new(batch.schema(), vec![vec![batch]])?;
        let path = dir.join(format!("part-{k}.parquet"));
        ctx.read_table(Arc::new(mem))?
            .write_parquet(&path.display().to_string(), Default::default(), None)
            .await?;
    }
    eprintln!(
        "bench_input: {} rows from {} messages of {} in {} and {}",
        rows.len(),
        examples.len(),
        cli.data.display(),
        dir.display(),
        cli.out.join("messages.jsonl").display()
    );
    Ok(())
}
