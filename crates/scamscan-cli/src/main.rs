//! The `scamscan` command line. See `scamscan --help`.

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    scamscan_cli::run()
}
