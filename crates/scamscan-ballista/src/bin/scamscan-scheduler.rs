//! `scamscan-scheduler`: a Ballista scheduler that can plan `scamscan(text)`.

#![forbid(unsafe_code)]

use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::{SchedulerConfig, TaskDistributionPolicy};
use ballista_scheduler::scheduler_process::start_server;
use clap::{Parser, ValueEnum};
use scamscan_ballista::{ModelArgs, fail, init, session_builder};
use std::net::SocketAddr;
use std::sync::Arc;

const PROGRAM: &str = "scamscan-scheduler";

/// How tasks are spread over the executors' free slots.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Distribution {
    /// One task to each executor in turn: every executor scores a share of
    /// even a small query.
    RoundRobin,
    /// Fill one executor's slots before the next (Ballista's default).
    Bias,
}

/// A Ballista scheduler with the scamscan(text) SQL function compiled in.
/// Start it first, then one or more `scamscan-executor`s pointing at it.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = "Example:\n  scamscan-scheduler --bind-port 50050\n  scamscan-executor --scheduler-port 50050 --bind-port 50051 --bind-grpc-port 50052"
)]
struct Cli {
    /// The address to listen on (0.0.0.0 for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    bind_host: String,
    /// The gRPC port that executors and clients connect to.
    #[arg(long, default_value_t = 50050)]
    bind_port: u16,
    /// The host name this scheduler gives executors and clients.
    #[arg(long, default_value = "localhost")]
    external_host: String,
    /// How tasks are spread over executors.
    #[arg(long, value_enum, default_value_t = Distribution::RoundRobin)]
    task_distribution: Distribution,
    #[command(flatten)]
    model: ModelArgs,
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let udf = init(PROGRAM, &cli.model);
    let addr: SocketAddr = format!("{}:{}", cli.bind_host, cli.bind_port)
        .parse()
        .unwrap_or_else(|e| fail(PROGRAM, &format!("--bind-host {}: {e}", cli.bind_host)));
    let config = SchedulerConfig {
        bind_host: cli.bind_host.clone(),
        bind_port: cli.bind_port,
        external_host: cli.external_host.clone(),
        task_distribution: match cli.task_distribution {
            Distribution::RoundRobin => TaskDistributionPolicy::RoundRobin,
            Distribution::Bias => TaskDistributionPolicy::Bias,
        },
        ..SchedulerConfig::default()
    }
    .with_override_session_builder(session_builder(udf));
    let cluster = match BallistaCluster::new_from_config(&config).await {
        Ok(c) => c,
        Err(e) => fail(PROGRAM, &e),
    };
    if let Err(e) = start_server(cluster, addr, Arc::new(config)).await {
        fail(PROGRAM, &e);
    }
}
