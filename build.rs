//! Embeds the default model (models/default) into the library.
//!
//! The files are copied into OUT_DIR so that a checkout without a trained
//! model (the very first bootstrap, before `scamscan train` has ever run) still
//! compiles: the copies are then empty and `Classifier::builtin()` says so.

use std::path::Path;

fn main() {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    for name in ["model.bin", "tokenizer.json"] {
        let src = Path::new("models/default").join(name);
        println!("cargo:rerun-if-changed={}", src.display());
        let bytes = std::fs::read(&src).unwrap_or_default();
        std::fs::write(Path::new(&out).join(name), bytes).expect("write to OUT_DIR");
    }
}
