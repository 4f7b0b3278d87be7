//! `cargo +nightly fuzz run pipeline`: the body is `scamscan_fuzzing::pipeline`,
//! which `tests/fuzz_smoke.rs` also runs under a stable `cargo test`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scamscan_fuzzing::pipeline(data));
