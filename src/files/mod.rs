//! Reading files within bounds: a line reader that keeps at most a set
//! number of bytes of any line, and the one directory walk.
//!
//! A leaf of the library, shared by the labeled-corpus reader
//! ([`crate::corpus`]) and the command line's message inputs, so that a
//! directory is walked, and a line bounded, the same way everywhere.

mod lines;
mod walk;

pub use lines::{LineInfo, LineReader};
pub use walk::{Entry, WalkOptions, walk};
