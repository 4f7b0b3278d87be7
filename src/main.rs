//! The `scamscan` command line. See `scamscan --help`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
