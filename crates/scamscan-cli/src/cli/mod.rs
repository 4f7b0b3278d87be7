//! The command line: clap definitions and dispatch. Every verb is a thin
//! layer over the library.

mod campaigns;
mod classify;
mod data;
mod diag;
mod eval;
mod explain;
mod learn;
mod model;
mod perturb;
mod train;

use crate::input::InputFormat;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use scamscan::{Classifier, ClassifyOptions};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

pub use data::{DataArgs, SplitSide};
pub use diag::Diag;

/// Exit status: nothing flagged, no error.
pub const EXIT_OK: u8 = 0;
/// Exit status: at least one message flagged (and no error).
pub const EXIT_FLAGGED: u8 = 1;
/// Exit status: an error happened.
pub const EXIT_ERROR: u8 = 2;

const ABOUT: &str = "Score messages (SMS, chat, e-mail, job posts) as scam, spam or ham, name the kind of scam, and explain why.";

const LONG_ABOUT: &str = "\
Score messages (SMS, chat, e-mail, job posts) as scam, spam or ham, name the kind of scam, and explain why.

scamscan is a calibrated linear classifier over hashed word, character and entity features \
(links, phone numbers, money, crypto wallets...). Every verdict comes with the features that \
pushed it, and where they occur in the text.";

const MAIN_EXAMPLES: &str = "\
Examples:
  scamscan classify message.txt                     one file, one message
  scamscan classify --lines sms-export.txt          one message per line
  scamscan classify --output jsonl inbox/           a directory, JSON lines out
  scamscan classify --input jsonl --output jsonl < messages.jsonl
  scamscan explain 'Your parcel is on hold, pay the fee at parcel-fee.top'
  scamscan train --data datasets --out my-model
  scamscan learn --data my-feedback.jsonl --out my-model
  scamscan eval --model my-model --data test.jsonl --plot eval.svg
  scamscan model info my-model

Exit status: 0 nothing flagged, 1 something flagged (spam or scam), 2 an error happened.";

const CLASSIFY_EXAMPLES: &str = "\
Examples:
  scamscan classify message.txt
  scamscan classify --lines --only-flagged sms-export.txt
  scamscan classify --explain scam-offer.txt
  scamscan classify --output csv mail/              e-mails and mbox files are detected
  scamscan classify --input jsonl --output jsonl messages.jsonl > verdicts.jsonl
  cat messages.csv | scamscan classify --input csv --text-field body --id-field msg_id -
  scamscan classify --threshold 0.9 --model my-model inbox/

Input modes: a file is one message unless it is JSONL (.jsonl/.ndjson), an e-mail (.eml, or \
content that starts with mail headers: the subject and decoded text body are scored, \
attachments skipped) or an mbox mailbox (.mbox, or content that starts with a \"From \" line: \
one message per mail). --lines reads one message per line; --input forces a mode.

JSONL output: one object per input record, in input order: id, label, score (= p(scam)), \
probabilities {ham, spam, scam}, category, category_probability, reasons [{feature, kind, \
contribution, spans, text}] (for spam, scam and unsure messages; [] for ham unless \
--reasons-for all), truncated, and for JSONL/CSV inputs the other fields under \"fields\". A record that cannot be read gets {id, error, line} in its place.
CSV/TSV output columns: id,label,score,p_ham,p_spam,p_scam,category,top_reason,error.

Memory stays bounded: line-oriented inputs are classified in batches of 2048 messages, and at \
most max(4 x --max-bytes, 1 MiB) bytes of any one file, line or mail are read; the rest is not \
scored, and a warning names the message. A JSONL line or CSV/TSV row is parsed whole up to 64 MiB \
(a longer one is an error naming its line) and its text is then cut the same way.

Exit status: 0 nothing flagged, 1 something flagged (spam or scam), 2 an error happened \
(other inputs are still classified).";

const TRAIN_EXAMPLES: &str = "\
Examples:
  scamscan train --data datasets --out my-model
  scamscan train --data corpus.jsonl --data extra/ --out my-model --alpha 1e-4 --target-fpr 0.005
  scamscan train --data sms.csv --text-column message --label-column class --out sms-model

Data: JSONL in the shared schema ({id, source, channel, lang, label, category, text}; a \
directory is read recursively for *.jsonl), or CSV/TSV (by extension) with the columns named \
by --text-column, --label-column, --category-column and --source-column.
Rows whose fold is the calibration fold are held out for calibration; the model card \
(README.md in --out) reports metrics on them.";

const LEARN_EXAMPLES: &str = "\
Examples:
  scamscan learn --data feedback.jsonl --out my-model          on the built-in model
  scamscan learn --model my-model --data more.csv --out my-model-2
  scamscan learn --model my-model-2 --forget msg-1187 msg-2203 --out my-model-3
  cat reported.jsonl | scamscan learn --model my-model-3 --data - --out my-model-4

Learning is cumulative and exact to undo: the model directory keeps the base model and what it \
needs of every feedback row (hashed feature vectors, ids, labels; never the text), and each run \
re-derives the model from the base and the whole set of rows. A bad row is an error naming its \
file and line; the other rows are still learned (exit status 2).";

const EVAL_EXAMPLES: &str = "\
Examples:
  scamscan eval --data test.jsonl
  scamscan eval --model my-model --data test/ --plot eval.svg
  scamscan eval --model my-model --data test.csv --output json > report.json";

const CAMPAIGNS_EXAMPLES: &str = "\
Examples:
  scamscan campaigns --lines sms-export.txt
  scamscan campaigns --input jsonl --time-field received_at --output jsonl reports.jsonl
  scamscan campaigns --all --assignments assignments.jsonl --input csv messages.csv

Inputs are read and classified as by `classify` (same options). Messages are grouped online, in \
input order: a campaign's id is the id of its first message, and the same input gives the same \
campaigns. Exit status as for classify.";

const INDICATORS_EXAMPLES: &str = "\
Examples:
  scamscan indicators --lines sms-export.txt
  scamscan indicators --output stix --input jsonl reports.jsonl > bundle.json
  scamscan indicators --defang --region GB --output jsonl inbox/

SOURCE_DATE_EPOCH, when set, is the time written into a STIX bundle.";

const EXPLAIN_EXAMPLES: &str = "\
Examples:
  scamscan explain 'URGENT: your account is suspended, verify at secure-bank-login.xyz'
  scamscan explain --reasons 8 message.eml
  echo 'hi mum, new number, send money' | scamscan explain -";

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "scamscan",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = MAIN_EXAMPLES,
    propagate_version = true,
    arg_required_else_help = true
)]
pub struct Cli {
    /// Options of every verb.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The verb.
    #[command(subcommand)]
    pub command: Command,
}

/// Options of every verb.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// When to colour human output: auto (when stdout is a terminal and NO_COLOR is unset), always or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN", hide_possible_values = true)]
    pub color: ColorChoice,
    /// Print no notices or progress (warnings and errors still go to stderr).
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// When to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour stdout.
    pub fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Classify messages from files, directories or stdin.
    #[command(after_help = CLASSIFY_EXAMPLES)]
    Classify(classify::ClassifyArgs),
    /// Train a model from labeled data.
    #[command(after_help = TRAIN_EXAMPLES)]
    Train(train::TrainArgs),
    /// Learn from labeled feedback (or forget it) without the training data: writes an adapted model.
    #[command(after_help = LEARN_EXAMPLES)]
    Learn(learn::LearnArgs),
    /// Evaluate a model on labeled data.
    #[command(after_help = EVAL_EXAMPLES)]
    Eval(eval::EvalArgs),
    /// Explain the verdict on one message: every reason and where it occurs.
    #[command(after_help = EXPLAIN_EXAMPLES)]
    Explain(explain::ExplainArgs),
    /// Inspect models.
    #[command(subcommand)]
    Model(model::ModelCommand),
    /// Rewrite JSONL messages the way scam senders disguise them (homoglyphs,
    /// zero-width characters, leetspeak, spaced letters, defanged links,
    /// random case, emoji padding), to measure any filter on them.
    #[command(
        after_help = "Example:\n  scamscan perturb --kind leetspeak scams.jsonl > scams-leet.jsonl\n  scamscan classify --input jsonl --output jsonl scams-leet.jsonl"
    )]
    Perturb(perturb::PerturbArgs),
    /// Group flagged messages into campaigns (one script sent many times) and
    /// print each with its size, template, label and indicators.
    #[command(after_help = CAMPAIGNS_EXAMPLES)]
    Campaigns(campaigns::CampaignsArgs),
    /// Export the domains, links, phone numbers, wallets, e-mail addresses and
    /// handles of flagged messages, with counts and campaigns: CSV, JSONL or STIX 2.1.
    #[command(after_help = INDICATORS_EXAMPLES)]
    Indicators(campaigns::IndicatorsArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  scamscan completions bash > /etc/bash_completion.d/scamscan"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to stdout: scamscan(1), or scamscan-VERB(1).
    #[command(
        after_help = "Examples:\n  scamscan man > scamscan.1 && man ./scamscan.1\n  scamscan man classify > scamscan-classify.1"
    )]
    Man {
        /// The verb whose page to print (classify, train, eval, explain, model, completions).
        #[arg(value_name = "VERB")]
        verb: Option<String>,
    },
}

/// `--model DIR`.
#[derive(Debug, Clone, Args)]
pub struct ModelArg {
    /// The model directory (model.bin and tokenizer.json); the built-in model when absent.
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
}

/// The decision and scoring options.
#[derive(Debug, Clone, Args)]
pub struct DecisionArgs {
    /// Label a message scam when p(scam) >= T, instead of the model's calibrated rule.
    #[arg(long, value_name = "T", value_parser = parse_probability)]
    pub threshold: Option<f32>,
    /// Score at most this many bytes of each message; a longer one is scored on its start, with a warning.
    #[arg(long, value_name = "N", default_value_t = scamscan::classifier::DEFAULT_MAX_BYTES, value_parser = parse_max_bytes)]
    pub max_bytes: usize,
}

impl DecisionArgs {
    /// The classifier options with `reasons` reasons kept.
    pub fn options(&self, reasons: usize) -> ClassifyOptions {
        ClassifyOptions {
            max_bytes: self.max_bytes,
            reasons,
            scam_threshold: self.threshold,
        }
    }
}

fn parse_probability(s: &str) -> Result<f32, String> {
    let v: f32 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is not in [0, 1]"))
    }
}

fn parse_max_bytes(s: &str) -> Result<usize, String> {
    let v: usize = s
        .parse()
        .map_err(|_| format!("{s:?} is not a whole number"))?;
    if v == 0 {
        Err("must be at least 1".into())
    } else {
        Ok(v)
    }
}

/// Loads `--model DIR` or the built-in model; the error names what failed
/// (the library's [`Classifier::load`], so that every program built on it
/// says it the same way).
pub fn load_classifier(model: &ModelArg) -> Result<Classifier, String> {
    Classifier::load(model.model.as_deref())
}

/// The input format named by `--input` / `--lines`.
pub fn input_format(input: Option<InputFormat>, lines: bool) -> InputFormat {
    if lines {
        InputFormat::Lines
    } else {
        input.unwrap_or_default()
    }
}

/// The command line as typed, shell-quoted where needed (for the model card).
pub fn command_line() -> String {
    std::env::args()
        .map(|a| {
            let plain = !a.is_empty()
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
            if plain {
                a
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Parses the command line and runs the verb.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let mut diag = Diag::new(cli.global.quiet);
    let color = cli.global.color.enabled();
    let code = match cli.command {
        Command::Classify(args) => classify::run(&args, color, &mut diag),
        Command::Train(args) => train::run(&args, &mut diag),
        Command::Learn(args) => learn::run(&args, &mut diag),
        Command::Eval(args) => eval::run(&args, &mut diag),
        Command::Explain(args) => explain::run(&args, color, &mut diag),
        Command::Model(cmd) => model::run(&cmd, &mut diag),
        Command::Perturb(args) => perturb::run(&args, &mut diag),
        Command::Campaigns(args) => campaigns::run_campaigns(&args, &mut diag),
        Command::Indicators(args) => campaigns::run_indicators(&args, &mut diag),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "scamscan", &mut std::io::stdout());
            EXIT_OK
        }
        Command::Man { verb } => {
            let cmd = Cli::command();
            let cmd = match verb {
                None => cmd,
                Some(v) => match cmd.find_subcommand(&v) {
                    Some(sub) => {
                        // clap names are &'static str without its "string" feature;
                        // the process prints one page and exits.
                        let name: &'static str =
                            Box::leak(format!("scamscan-{v}").into_boxed_str());
                        sub.clone()
                            .name(name)
                            .bin_name(name)
                            .version(env!("CARGO_PKG_VERSION"))
                    }
                    None => {
                        diag.error(&format!("no verb named {v:?} (see scamscan --help)"));
                        return ExitCode::from(EXIT_ERROR);
                    }
                },
            };
            let man = clap_mangen::Man::new(cmd);
            let mut out = std::io::stdout().lock();
            match man.render(&mut out) {
                Ok(()) => EXIT_OK,
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
                Err(e) => {
                    diag.error(&format!("writing the manual page: {e}"));
                    EXIT_ERROR
                }
            }
        }
    };
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definitions_are_valid() {
        Cli::command().debug_assert();
    }
}
