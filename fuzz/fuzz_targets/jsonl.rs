//! `cargo +nightly fuzz run jsonl`: the body is `scamscan_fuzzing::jsonl`,
//! which `tests/fuzz_smoke.rs` also runs under a stable `cargo test`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scamscan_fuzzing::jsonl(data));
