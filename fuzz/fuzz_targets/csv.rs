//! `cargo +nightly fuzz run csv`: the body is `scamscan_fuzzing::csv`,
//! which `tests/fuzz_smoke.rs` also runs under a stable `cargo test`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scamscan_fuzzing::csv(data));
