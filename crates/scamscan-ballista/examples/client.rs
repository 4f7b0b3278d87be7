//! A client: runs SQL that calls `scamscan(text)` over a Parquet file or
//! directory, on a Ballista cluster (or, with `--local`, in this process),
//! and prints the result or writes it to Parquet.
//!
//! ```text
//! cargo run --release -p scamscan-ballista --example client -- \
//!     --scheduler df://localhost:50050 --parquet /data/messages/ --out /data/flagged/
//! ```

#![forbid(unsafe_code)]

use clap::Parser;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use scamscan_ballista::{ModelArgs, connect, fail};
use std::time::Instant;

const PROGRAM: &str = "client";

/// The query of the README: the flagged messages, with their label, score
/// and category.
const DEFAULT_SQL: &str = "SELECT id, v['label'] AS label, v['score'] AS score, v['category'] AS category \
     FROM (SELECT id, scamscan(text) AS v FROM messages) WHERE v['label'] <> 'ham'";

#[derive(Debug, Parser)]
struct Cli {
    /// The scheduler (df://HOST:PORT).
    #[arg(long, default_value = "df://localhost:50050")]
    scheduler: String,
    /// Run in this process with DataFusion instead of on the cluster.
    #[arg(long)]
    local: bool,
    /// With --local: the partitions DataFusion runs at once (default: cores).
    #[arg(long, value_name = "N")]
    partitions: Option<usize>,
    /// The Parquet file or directory registered as the table `messages`.
    #[arg(long, value_name = "PATH")]
    parquet: String,
    /// The query.
    #[arg(long, default_value = DEFAULT_SQL)]
    sql: String,
    /// Write the result to this Parquet directory instead of printing it.
    #[arg(long, value_name = "DIR")]
    out: Option<String>,
    #[command(flatten)]
    model: ModelArgs,
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let udf = cli.model.load().unwrap_or_else(|e| fail(PROGRAM, &e));
    let started = Instant::now();
    let ctx = if cli.local {
        let mut config = SessionConfig::new();
        if let Some(n) = cli.partitions {
            config = config.with_target_partitions(n);
        }
        let ctx = SessionContext::new_with_config(config);
        ctx.register_udf(udf.into());
        ctx
    } else {
        connect(&cli.scheduler, udf)
            .await
            .unwrap_or_else(|e| fail(PROGRAM, &format!("{}: {e}", cli.scheduler)))
    };
    if let Err(e) = run(&ctx, &cli).await {
        fail(PROGRAM, &e);
    }
    eprintln!(
        "{PROGRAM}: done in {:.2} s",
        started.elapsed().as_secs_f64()
    );
}

async fn run(ctx: &SessionContext, cli: &Cli) -> datafusion::error::Result<()> {
    ctx.register_parquet("messages", &cli.parquet, ParquetReadOptions::default())
        .await?;
    let df = ctx.sql(&cli.sql).await?;
    match &cli.out {
        Some(out) => {
            let written = df.write_parquet(out, Default::default(), None).await?;
            eprintln!("{PROGRAM}: wrote {out}");
            println!("{}", pretty_format_batches(&written)?);
        }
        None => println!("{}", pretty_format_batches(&df.collect().await?)?),
    }
    Ok(())
}
