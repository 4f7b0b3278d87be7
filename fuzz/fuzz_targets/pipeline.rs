//! `cargo +nightly fuzz run pipeline`: the body is `scamscan::fuzzing::pipeline`,
//! which `tests/fuzz_smoke.rs` also runs under a stable `cargo test`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scamscan::fuzzing::pipeline(data));
