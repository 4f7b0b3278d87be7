//! The README's console examples, run as written: each `$ scamscan ...`
//! block of README.md is run from the repository root and its output (stdout
//! and stderr together) and exit status (`? N`) must be the ones printed
//! there, so the README cannot go stale.
//!
//! After a change that moves a verdict, `TRYCMD=overwrite cargo test -p
//! scamscan-cli --test readme` rewrites the blocks; read the diff before
//! committing it, and update the Limitations section if a mistake came or
//! went.

use std::path::PathBuf;

#[test]
fn readme_console_examples_give_their_output() {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .canonicalize()
        .expect("the repository root");
    // The examples' paths are relative to the root, as a user types them.
    // This test binary holds no other test, so nothing else minds the
    // working directory.
    std::env::set_current_dir(&root).expect("cd to the repository root");
    trycmd::TestCases::new()
        .register_bin("scamscan", PathBuf::from(env!("CARGO_BIN_EXE_scamscan")))
        .env("NO_COLOR", "1")
        .case(root.join("README.md"));
}
