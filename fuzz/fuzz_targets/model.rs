//! `cargo +nightly fuzz run model`: the body is `scamscan_fuzzing::model`,
//! which `tests/fuzz_smoke.rs` also runs under a stable `cargo test`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scamscan_fuzzing::model(data));
