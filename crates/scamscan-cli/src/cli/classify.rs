//! `scamscan classify`.

use super::{
    DecisionArgs, Diag, EXIT_ERROR, EXIT_FLAGGED, EXIT_OK, ModelArg, input_format, load_classifier,
};
use crate::input::{Event, InputError, InputFormat, InputOptions, Inputs, Message, read_limit};
use crate::printer::{OutputFormat, PrintOptions, Printer};
use clap::{Args, ValueEnum};
use scamscan::{Classifier, ReasonsFor, Verdict};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;

/// Messages classified per batch: enough to keep the pool busy, few enough
/// that the three batches in flight (printed, classified, read) stay small.
const BATCH: usize = 512;
/// Bytes of text per batch, at most (a batch ends at whichever comes first).
const BATCH_BYTES: usize = 8 << 20;

/// How inputs are read.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// How to split inputs into messages [default: auto: whole file, JSONL, e-mail or mbox by extension and content].
    #[arg(long, value_enum, value_name = "MODE")]
    pub input: Option<InputFormat>,
    /// One message per line (blank lines skipped); the same as --input lines.
    #[arg(long, conflicts_with = "input")]
    pub lines: bool,
    /// JSONL/CSV/TSV: the field holding the message text.
    #[arg(long, value_name = "NAME", default_value = "text")]
    pub text_field: String,
    /// JSONL/CSV/TSV: the field holding the message id (passed through to the output).
    #[arg(long, value_name = "NAME", default_value = "id")]
    pub id_field: String,
    /// Also read hidden files and directories when walking a directory.
    #[arg(long)]
    pub hidden: bool,
    /// Also read binary files (decoded lossily) instead of skipping them.
    #[arg(long)]
    pub binary: bool,
}

/// Arguments of `scamscan classify`.
#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// Files or directories (read recursively); `-` or nothing reads stdin.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format.
    #[arg(long, short, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Human)]
    pub output: OutputFormat,
    /// Print only flagged messages (spam or scam); errors are still reported.
    #[arg(long)]
    pub only_flagged: bool,
    /// Human output: show each message with its reasons highlighted, and each reason's contribution.
    #[arg(long)]
    pub explain: bool,
    /// Reasons kept per message (0: none, faster).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub reasons: usize,
    /// Which messages get reasons (by default not ham, which is faster).
    #[arg(long, value_enum, value_name = "WHICH", default_value_t = ReasonsForArg::Flagged)]
    pub reasons_for: ReasonsForArg,
    #[command(flatten)]
    pub model: ModelArg,
    #[command(flatten)]
    pub decision: DecisionArgs,
}

/// `--reasons-for`: [`scamscan::ReasonsFor`] on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReasonsForArg {
    /// Spam, scam and unsure messages.
    Flagged,
    /// Every message, ham included.
    All,
}

impl From<ReasonsForArg> for ReasonsFor {
    fn from(arg: ReasonsForArg) -> Self {
        match arg {
            ReasonsForArg::Flagged => ReasonsFor::Flagged,
            ReasonsForArg::All => ReasonsFor::All,
        }
    }
}

/// Where the verdicts of a run go: `classify` prints them, `campaigns`
/// and `indicators` group and add them up.
pub(super) trait Sink {
    /// One message and its verdict, in input order.
    fn message(&mut self, m: &Message, v: &Verdict) -> io::Result<()>;
    /// A record that could not be read, in its place in the input.
    fn error(&mut self, e: &InputError) -> io::Result<()>;
    /// The end of a batch.
    fn flush(&mut self) -> io::Result<()>;
}

/// `classify`'s sink: the printer, less the unflagged messages with `--only-flagged`.
struct Print {
    printer: Printer<BufWriter<io::StdoutLock<'static>>>,
    only_flagged: bool,
}

impl Sink for Print {
    fn message(&mut self, m: &Message, v: &Verdict) -> io::Result<()> {
        if !self.only_flagged || v.is_flagged() {
            self.printer.message(m, v)?;
        }
        Ok(())
    }
    fn error(&mut self, e: &InputError) -> io::Result<()> {
        self.printer.error(e)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.printer.flush()
    }
}

/// What a run has seen so far.
struct Run<'a, S: Sink> {
    classifier: &'a Classifier,
    sink: &'a mut S,
    max_bytes: usize,
    flagged: bool,
    messages: u64,
}

impl<S: Sink> Run<'_, S> {
    /// Reports every event of a classified batch in order (`verdicts` holds
    /// one verdict per message of `batch`).
    fn report(
        &mut self,
        batch: Vec<Event>,
        verdicts: Vec<Verdict>,
        diag: &mut Diag,
    ) -> io::Result<()> {
        let mut verdicts = verdicts.into_iter();
        for ev in batch {
            match ev {
                Event::Message(m) => {
                    let v = verdicts.next().expect("one verdict per message");
                    self.message(&m, &v, diag)?;
                }
                Event::Error(e) => {
                    diag.error(&format!("{}: {}", e.origin, e.message));
                    if e.record {
                        self.sink.error(&e)?;
                    }
                }
                Event::Warning(origin, msg) => diag.warn(&format!("{origin}: warning: {msg}")),
                Event::Notice(origin, msg) => diag.notice(&format!("{origin}: {msg}")),
            }
        }
        self.sink.flush()
    }

    fn message(&mut self, m: &Message, v: &Verdict, diag: &mut Diag) -> io::Result<()> {
        self.messages += 1;
        if m.lossy {
            diag.warn(&format!(
                "{}: warning: invalid UTF-8, decoded lossily",
                m.origin
            ));
        }
        let scored = if v.truncated {
            format!(
                "; scored its first {} bytes of text (--max-bytes)",
                self.max_bytes
            )
        } else {
            String::new()
        };
        match m.cut {
            Some(cut) => diag.warn(&format!(
                "{}: warning: message truncated: read the first {} of {}, the rest was not scored{scored}",
                m.origin,
                cut.read,
                cut.total.map_or("a longer input".to_string(), |t| format!("{t} bytes"))
            )),
            None if v.truncated => diag.warn(&format!(
                "{}: warning: message truncated: it is {} bytes{scored}",
                m.origin,
                m.text.len()
            )),
            None => {}
        }
        self.flagged |= v.is_flagged();
        self.sink.message(m, v)
    }
}

/// Runs `classify`; returns the exit status.
pub fn run(args: &ClassifyArgs, color: bool, diag: &mut Diag) -> u8 {
    let classifier = match load_classifier(&args.model) {
        Ok(c) => c
            .with_options(args.decision.options(args.reasons))
            .with_reasons_for(args.reasons_for.into()),
        Err(e) => {
            diag.error(&e);
            return EXIT_ERROR;
        }
    };
    let human = args.output == OutputFormat::Human;
    if args.explain && !human {
        diag.notice(
            "--explain only changes human output (JSONL output has the reasons and their spans)",
        );
    }
    let out = BufWriter::with_capacity(256 * 1024, io::stdout().lock());
    let printer = match Printer::new(
        out,
        PrintOptions {
            format: args.output,
            color: color && human,
            explain: args.explain,
            reasons: args.reasons,
        },
    ) {
        Ok(p) => p,
        Err(e) => return output_error(&e, diag),
    };
    let mut sink = Print {
        printer,
        only_flagged: args.only_flagged,
    };
    stream(
        &args.paths,
        &args.input,
        args.decision.max_bytes,
        &classifier,
        &mut sink,
        diag,
    )
}

/// Reads `paths` as `input` says, classifies every message with
/// `classifier` in pipelined batches, and hands each verdict to `sink` in
/// input order, reporting warnings and errors on the way; returns the exit
/// status. The one input path of every verb that classifies a stream.
pub(super) fn stream<S: Sink>(
    paths: &[PathBuf],
    input: &InputArgs,
    max_bytes: usize,
    classifier: &Classifier,
    sink: &mut S,
    diag: &mut Diag,
) -> u8 {
    let args_paths = paths;
    let reads_stdin = args_paths.is_empty() || args_paths.iter().any(|p| p.as_os_str() == "-");
    // Someone typing messages wants each verdict at once, not after 2048 of them.
    let batch_size = if reads_stdin && io::stdin().is_terminal() {
        1
    } else {
        BATCH
    };
    if args_paths.is_empty() && io::stdin().is_terminal() {
        diag.notice("reading messages from stdin (end with Ctrl-D; see --help for files)");
    }
    let mut inputs = Inputs::new(
        args_paths.to_vec(),
        InputOptions {
            format: input_format(input.input, input.lines),
            text_field: input.text_field.clone(),
            id_field: input.id_field.clone(),
            hidden: input.hidden,
            binary: input.binary,
            read_limit: read_limit(max_bytes),
            ..InputOptions::default()
        },
    );
    let mut run = Run {
        classifier,
        sink,
        max_bytes,
        flagged: false,
        messages: 0,
    };
    let stdout_is_terminal = io::stdout().is_terminal();
    // Batches are pipelined: while the pool classifies one batch, this
    // thread prints the previous one and reads the next, so reading and
    // printing (single-threaded) no longer leave the cores idle. Not for
    // someone typing messages, who must see each verdict before typing on.
    let pipelined = batch_size > 1;
    let classifier = run.classifier;
    let (mut batch, mut end) = read_batch(&mut inputs, batch_size);
    let mut previous: Option<(Vec<Event>, Vec<Verdict>)> = None;
    let mut progress = false;
    loop {
        // A long run (more than one batch): show a bar, unless verdicts are
        // printed on the terminal it would share.
        if !progress && !end && pipelined && !stdout_is_terminal {
            diag.start_progress("messages");
            progress = true;
        }
        let texts: Vec<&str> = batch
            .iter()
            .filter_map(|e| match e {
                Event::Message(m) => Some(m.text.as_str()),
                _ => None,
            })
            .collect();
        let (verdicts, printed, next) = if pipelined {
            std::thread::scope(|s| {
                let worker = s.spawn(|| classifier.classify_batch(&texts));
                let printed = match previous.take() {
                    Some((evs, vs)) => run.report(evs, vs, diag),
                    None => Ok(()),
                };
                let next = (!end && printed.is_ok()).then(|| read_batch(&mut inputs, batch_size));
                let verdicts = worker.join().expect("classifying never panics");
                (verdicts, printed, next)
            })
        } else {
            (classifier.classify_batch(&texts), Ok(()), None)
        };
        drop(texts);
        let mut printed = printed;
        if printed.is_ok() {
            if pipelined {
                previous = Some((batch, verdicts));
            } else {
                printed = run.report(batch, verdicts, diag);
            }
        }
        // Past the last batch, the one still held is printed now.
        if printed.is_ok()
            && end
            && let Some((evs, vs)) = previous.take()
        {
            printed = run.report(evs, vs, diag);
        }
        if let Err(e) = printed {
            diag.finish_progress();
            if e.kind() == io::ErrorKind::BrokenPipe {
                // The reader went away (`| head`): stop quietly.
                return status(diag, run.flagged);
            }
            return output_error(&e, diag);
        }
        let s = inputs.stats();
        diag.progress(run.messages, &format!("({} files)", s.files));
        if end {
            break;
        }
        (batch, end) = match next {
            Some(next) => next,
            None => read_batch(&mut inputs, batch_size),
        };
    }
    diag.finish_progress();
    status(diag, run.flagged)
}

/// Reads events up to a full batch (`batch_size` messages, [`BATCH_BYTES`]
/// of text, or `4 * BATCH` events); true when the input has ended.
fn read_batch(inputs: &mut Inputs, batch_size: usize) -> (Vec<Event>, bool) {
    let mut batch = Vec::new();
    let (mut messages, mut bytes) = (0usize, 0usize);
    for ev in inputs.by_ref() {
        if let Event::Message(m) = &ev {
            messages += 1;
            bytes += m.text.len();
        }
        batch.push(ev);
        if messages >= batch_size || bytes >= BATCH_BYTES || batch.len() >= 4 * BATCH {
            return (batch, false);
        }
    }
    (batch, true)
}

fn status(diag: &Diag, flagged: bool) -> u8 {
    if diag.errors() > 0 {
        EXIT_ERROR
    } else if flagged {
        EXIT_FLAGGED
    } else {
        EXIT_OK
    }
}

fn output_error(e: &io::Error, diag: &mut Diag) -> u8 {
    if e.kind() != io::ErrorKind::BrokenPipe {
        diag.error(&format!("cannot write the output: {e}"));
    }
    let _ = io::stderr().flush();
    EXIT_ERROR
}
