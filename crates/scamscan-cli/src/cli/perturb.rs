//! `scamscan perturb`: rewrite labeled messages the way scam senders disguise
//! them, so that any system (ours or another) can be measured on the same
//! disguised text.

use super::{Diag, EXIT_ERROR, EXIT_OK};
use clap::Args;
use scamscan::obfuscate::Perturbation;
use std::io::{BufRead, Write};
use std::path::PathBuf;

/// Arguments of `scamscan perturb`.
#[derive(Debug, Args)]
pub struct PerturbArgs {
    /// The perturbation: homoglyph, zero_width, leetspeak, spaced_letters,
    /// defanged_urls, random_case or emoji_padding.
    #[arg(long, value_name = "KIND", value_parser = parse_kind)]
    pub kind: Perturbation,
    /// The seed (the output depends only on the text, the kind and the seed).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// The field holding the text.
    #[arg(long, value_name = "NAME", default_value = "text")]
    pub text_field: String,
    /// A JSONL file (one object per line); `-` or nothing for stdin.
    #[arg(value_name = "FILE")]
    pub input: Option<PathBuf>,
}

fn parse_kind(s: &str) -> Result<Perturbation, String> {
    Perturbation::parse(s).ok_or_else(|| {
        let all: Vec<&str> = Perturbation::ALL.iter().map(|p| p.as_str()).collect();
        format!(
            "unknown perturbation {s:?} (expected one of {})",
            all.join(", ")
        )
    })
}

/// Runs `perturb`: each JSONL record is written back with its text field
/// rewritten and a `"perturbation"` field added; a line that is not a JSON
/// object with a string text field is reported on stderr and skipped.
pub fn run(args: &PerturbArgs, diag: &mut Diag) -> u8 {
    let name = args
        .input
        .as_ref()
        .map_or("-".to_string(), |p| p.display().to_string());
    let reader: Box<dyn BufRead> = match &args.input {
        Some(p) if p.as_os_str() != "-" => match std::fs::File::open(p) {
            Ok(f) => Box::new(std::io::BufReader::new(f)),
            Err(e) => {
                diag.error(&format!("{name}: {e}"));
                return EXIT_ERROR;
            }
        },
        _ => Box::new(std::io::stdin().lock()),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut code = EXIT_OK;
    for (n, line) in reader.lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                diag.error(&format!("{name}:{}: {e}", n + 1));
                return EXIT_ERROR;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let mut record: serde_json::Map<String, serde_json::Value> =
            match serde_json::from_str(&line) {
                Ok(r) => r,
                Err(e) => {
                    diag.error(&format!("{name}:{}: not a JSON object: {e}", n + 1));
                    code = EXIT_ERROR;
                    continue;
                }
            };
        let Some(text) = record.get(&args.text_field).and_then(|v| v.as_str()) else {
            diag.error(&format!(
                "{name}:{}: no string field {:?}",
                n + 1,
                args.text_field
            ));
            code = EXIT_ERROR;
            continue;
        };
        let new = args.kind.apply(text, args.seed);
        record.insert(args.text_field.clone(), new.into());
        record.insert("perturbation".into(), args.kind.as_str().into());
        let written = serde_json::to_writer(&mut out, &record)
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n"));
        if let Err(e) = written {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return code;
            }
            diag.error(&format!("cannot write the output: {e}"));
            return EXIT_ERROR;
        }
    }
    if let Err(e) = out.flush()
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        diag.error(&format!("cannot write the output: {e}"));
        return EXIT_ERROR;
    }
    code
}
