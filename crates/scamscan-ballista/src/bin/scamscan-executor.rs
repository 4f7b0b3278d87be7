//! `scamscan-executor`: a Ballista executor that scores `scamscan(text)`.

#![forbid(unsafe_code)]

use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use clap::Parser;
use scamscan_ballista::{ModelArgs, fail, function_registry, init};
use std::sync::Arc;
use std::time::Duration;

const PROGRAM: &str = "scamscan-executor";

/// A Ballista executor with the scamscan(text) SQL function compiled in.
/// It registers with the scheduler, runs the tasks it is given, and logs
/// how many texts it has scored.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = "Example (two executors on one machine):\n  scamscan-executor --bind-port 50051 --bind-grpc-port 50052\n  scamscan-executor --bind-port 50061 --bind-grpc-port 50062"
)]
struct Cli {
    /// The scheduler's host.
    #[arg(long, default_value = "localhost")]
    scheduler_host: String,
    /// The scheduler's gRPC port.
    #[arg(long, default_value_t = 50050)]
    scheduler_port: u16,
    /// The address to listen on (0.0.0.0 for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    bind_host: String,
    /// The host name this executor gives the scheduler and other executors
    /// (default: --bind-host).
    #[arg(long)]
    external_host: Option<String>,
    /// The Arrow Flight port (results and shuffle data).
    #[arg(long, default_value_t = 50051)]
    bind_port: u16,
    /// The gRPC port the scheduler sends tasks to.
    #[arg(long, default_value_t = 50052)]
    bind_grpc_port: u16,
    /// Tasks run at once (default: the number of cores). Each task scores
    /// its batches on all cores.
    #[arg(long, value_name = "N")]
    concurrent_tasks: Option<usize>,
    /// Where shuffle files go (default: a new temporary directory).
    #[arg(long, value_name = "DIR")]
    work_dir: Option<String>,
    #[command(flatten)]
    model: ModelArgs,
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let udf = init(PROGRAM, &cli.model);
    let config = ExecutorProcessConfig {
        bind_host: cli.bind_host.clone(),
        external_host: Some(cli.external_host.clone().unwrap_or(cli.bind_host.clone())),
        port: cli.bind_port,
        grpc_port: cli.bind_grpc_port,
        scheduler_host: cli.scheduler_host.clone(),
        scheduler_port: cli.scheduler_port,
        vcores: cli.concurrent_tasks.unwrap_or(0),
        work_dir: cli.work_dir.clone(),
        override_function_registry: Some(Arc::new(function_registry(udf.clone()))),
        ..ExecutorProcessConfig::default()
    };
    let id = config.executor_id.clone();
    // The texts this executor has scored, logged when the count changes
    // (at most once a second): each executor's share of a query.
    tokio::spawn(async move {
        let mut reported = 0;
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let scored = udf.rows_scored();
            if scored != reported {
                log::info!("executor {id}: scamscan scored {scored} texts in all");
                reported = scored;
            }
        }
    });
    if let Err(e) = start_executor_process(Arc::new(config)).await {
        fail(PROGRAM, &e);
    }
}
