//! The `scamscan` command line, as a library: the layers between files and
//! the [`scamscan`] library.
//!
//! | module | job |
//! |---|---|
//! | [`input`] | files, directories and stdin into a stream of messages (text, lines, JSONL, CSV/TSV, e-mail, mbox), with limits |
//! | [`printer`] | verdicts out as human lines, JSON Lines, CSV or TSV |
//! | [`plot`] | ROC, precision-recall and reliability curves as SVG or PNG |
//! | [`cli`] | the clap definitions and one module per verb |
//!
//! The binary (`src/main.rs`) is [`run`]. Nothing here classifies: every
//! verb calls the library.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

// In layer order: each module uses only those above it (tests/layers.rs).
pub mod input;
pub mod printer;
pub mod plot;
pub mod cli;

pub use cli::run;
