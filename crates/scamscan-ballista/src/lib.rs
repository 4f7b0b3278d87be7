//! # scamscan-ballista
//!
//! A Ballista cluster that knows `scamscan(text)`: the pieces shared by the
//! `scamscan-scheduler` and `scamscan-executor` binaries and by clients.
//!
//! Ballista 55 loads no plugins, so a UDF must be compiled into every
//! process of the cluster:
//!
//! - the scheduler plans queries in sessions made by its session builder
//!   ([`session_builder`]);
//! - each executor decodes plans with its function registry
//!   ([`function_registry`]);
//! - the client plans the SQL it sends, and Ballista's
//!   `upgrade_for_ballista` drops the functions a client had registered,
//!   so [`connect`] registers the UDF again on the remote session.
//!
//! All three load the model the same way ([`ModelArgs`], the command
//! line's `--model`, `--max-bytes` and `--threshold`), and a model that does
//! not load stops the process with the command line's message. See the
//! crate's README for running a cluster.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use ballista::prelude::SessionContextExt;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::utils::default_session_builder;
use ballista_scheduler::scheduler_server::SessionBuilder;
use clap::Args;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::{SessionConfig, SessionContext};
use scamscan_cli::cli::{DecisionArgs, ModelArg};
use scamscan_datafusion::{ModelError, ScamscanUdf};
use std::sync::Arc;

/// The model options every process of a cluster takes, with the same
/// names, defaults and checks as `scamscan classify`.
///
/// # Example
///
/// ```
/// use clap::Parser;
/// #[derive(Parser)]
/// struct Cli {
///     #[command(flatten)]
///     model: scamscan_ballista::ModelArgs,
/// }
/// let cli = Cli::parse_from(["prog", "--max-bytes", "4096"]);
/// let udf = cli.model.load()?;
/// assert_eq!(udf.classifier().options().max_bytes, 4096);
/// # Ok::<(), scamscan_datafusion::ModelError>(())
/// ```
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    #[command(flatten)]
    model: ModelArg,
    #[command(flatten)]
    decision: DecisionArgs,
}

impl ModelArgs {
    /// Loads the UDF; a missing or corrupt model directory is an error
    /// with the command line's message.
    ///
    /// # Example
    ///
    /// ```
    /// use clap::Parser;
    /// #[derive(Parser)]
    /// struct Cli {
    ///     #[command(flatten)]
    ///     model: scamscan_ballista::ModelArgs,
    /// }
    /// let err = Cli::parse_from(["prog", "--model", "no/such/dir"]).model.load().unwrap_err();
    /// let err = err.to_string();
    /// assert!(err.starts_with("cannot load model") && err.contains("no/such/dir"), "{err}");
    /// ```
    pub fn load(&self) -> Result<ScamscanUdf, ModelError> {
        ScamscanUdf::load(self.model.model.as_deref(), self.decision.options(0))
    }
}

/// The scheduler's session builder: Ballista's default sessions, with
/// `scamscan(text)` registered, so that the scheduler can plan (and
/// deserialize) queries that call it.
///
/// # Example
///
/// ```
/// use datafusion::execution::FunctionRegistry;
/// let udf = scamscan_datafusion::ScamscanUdf::new(scamscan::Classifier::default());
/// let build = scamscan_ballista::session_builder(udf);
/// let state = build(datafusion::prelude::SessionConfig::new()).unwrap();
/// assert!(state.udf("scamscan").is_ok());
/// ```
pub fn session_builder(udf: ScamscanUdf) -> SessionBuilder {
    let udf = Arc::new(ScalarUDF::from(udf));
    Arc::new(move |config: SessionConfig| {
        let mut state = default_session_builder(config)?;
        state.register_udf(Arc::clone(&udf))?;
        Ok(state)
    })
}

/// The executor's function registry: Ballista's default functions and
/// `scamscan(text)`.
///
/// # Example
///
/// ```
/// let udf = scamscan_datafusion::ScamscanUdf::new(scamscan::Classifier::default());
/// let registry = scamscan_ballista::function_registry(udf);
/// assert!(registry.scalar_functions.contains_key("scamscan"));
/// assert!(registry.scalar_functions.contains_key("lower"));
/// ```
pub fn function_registry(udf: ScamscanUdf) -> BallistaFunctionRegistry {
    let mut registry = BallistaFunctionRegistry::default();
    registry
        .scalar_functions
        .insert(scamscan_datafusion::NAME.to_string(), Arc::new(udf.into()));
    registry
}

/// A client session on the scheduler at `url` (`df://host:port`), with
/// `scamscan(text)` registered for planning.
///
/// The client's `udf` plans the query; the executors' score the rows
/// (and the scheduler's, for a constant argument folded while planning),
/// so every process should be given the same model options.
///
/// # Example
///
/// ```no_run
/// # #[tokio::main]
/// # async fn main() -> datafusion::error::Result<()> {
/// let udf = scamscan_datafusion::ScamscanUdf::new(scamscan::Classifier::default());
/// let ctx = scamscan_ballista::connect("df://localhost:50050", udf).await?;
/// ctx.register_parquet("messages", "/data/messages/", Default::default()).await?;
/// ctx.sql("SELECT id, scamscan(text)['label'] AS label FROM messages WHERE scamscan(text)['label'] <> 'ham'")
///     .await?
///     .write_parquet("/data/flagged/", Default::default(), None)
///     .await?;
/// # Ok(())
/// # }
/// ```
pub async fn connect(url: &str, udf: ScamscanUdf) -> datafusion::error::Result<SessionContext> {
    let ctx = SessionContext::remote(url).await?;
    ctx.register_udf(udf.into());
    Ok(ctx)
}

/// What every process of the cluster does first: logging on, then the
/// model loaded, or the process stopped with the command line's message
/// (see [`fail`]).
pub fn init(program: &str, model: &ModelArgs) -> ScamscanUdf {
    init_logging();
    model.load().unwrap_or_else(|e| fail(program, &e))
}

/// Logs to stderr at `RUST_LOG`'s level (info by default), the way
/// Ballista's own binaries do.
pub fn init_logging() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_target(false)
        .init();
}

/// Prints `message` as `PROGRAM: message` on stderr and exits with status
/// 2, the command line's status for errors.
pub fn fail(program: &str, message: &dyn std::fmt::Display) -> ! {
    eprintln!("{program}: {message}");
    std::process::exit(2)
}
