//! Does the e-mail reader parse hostile MIME nesting in linear time?
//! `cargo bench -p scamscan-cli --bench mime`.
//!
//! For each shape of `tests/mime_shapes`, the median of nine parses of the
//! 1 MiB mail (the default read limit) and of its 64 KiB prefix, and their
//! ratio: sixteen times the input should take about sixteen times as long
//! (a quadratic parser: 256). Exits with status 1 when a ratio reaches 64,
//! so that `scripts/bench.sh` stops on a regression. A ratio, not a
//! duration, because the machine's speed is not the question.

#[path = "../tests/mime_shapes/mod.rs"]
mod mime_shapes;

use std::hint::black_box;
use std::time::{Duration, Instant};

/// The most a 16× larger input may take, relative to the small one.
const MAX_RATIO: f64 = 64.0;

fn median_parse(mail: &str) -> Duration {
    let mut times: Vec<Duration> = (0..9)
        .map(|_| {
            let started = Instant::now();
            black_box(scamscan_cli::input::email_text(black_box(mail.as_bytes())));
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn main() {
    // `cargo test --benches` runs bench targets with `--bench` absent:
    // nothing to measure there.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!("| shape | 64 KiB | 1 MiB | ratio |\n|---|---:|---:|---:|");
    let mut worst = 0.0f64;
    for (name, mail) in mime_shapes::shapes(1 << 20) {
        let small = &mail[..mail.floor_char_boundary(mail.len() / 16)];
        let (t_small, t_big) = (median_parse(small), median_parse(&mail));
        let ratio = t_big.as_secs_f64() / t_small.as_secs_f64().max(1e-9);
        worst = worst.max(ratio);
        println!("| {name} | {t_small:.2?} | {t_big:.2?} | {ratio:.1} |");
    }
    if worst >= MAX_RATIO {
        eprintln!("mime: a shape took {worst:.1}× as long for 16× the input (limit {MAX_RATIO})");
        std::process::exit(1);
    }
}
