//! `scamscan campaigns` and `scamscan indicators`: what a stream of
//! verdicts adds up to. Both read and classify exactly as `classify` does
//! (its input options and its one input path, [`super::classify::stream`]).

use super::classify::{InputArgs, Sink, stream};
use super::{DecisionArgs, Diag, EXIT_ERROR, ModelArg, load_classifier};
use crate::input::{InputError, Message};
use clap::{Args, ValueEnum};
use scamscan::Verdict;
use scamscan::campaigns::{CampaignConfig, Campaigns, Member};
use scamscan::indicators::{Indicators, stix};
use serde_json::{Value, json};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

/// Output formats of `campaigns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum CampaignFormat {
    /// A few readable lines per campaign.
    #[default]
    Human,
    /// One JSON object per campaign.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
}

/// Output formats of `indicators`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum IndicatorFormat {
    /// Comma-separated values with a header row.
    #[default]
    Csv,
    /// One JSON object per indicator.
    Jsonl,
    /// A STIX 2.1 bundle of indicator objects.
    Stix,
}

/// The options both verbs share: what is grouped and how.
#[derive(Debug, Args)]
pub struct GroupArgs {
    /// Files or directories (read recursively); `-` or nothing reads stdin.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    /// Group every message, not only the flagged ones (spam or scam).
    #[arg(long)]
    pub all: bool,
    /// JSONL/CSV/TSV: the field holding each message's time, for first and last seen
    /// (numbers compare as numbers, other values as text: ISO 8601 in one time zone sorts right).
    #[arg(long, value_name = "NAME")]
    pub time_field: Option<String>,
    /// Read phone numbers without a country code as numbers of this country (ISO 3166: GB, US, ID...).
    #[arg(long, value_name = "CC")]
    pub region: Option<String>,
    /// Campaigns held open at most; past it the least recently seen is closed (memory stays bounded).
    #[arg(long, value_name = "N", default_value_t = CampaignConfig::default().max_campaigns)]
    pub max_campaigns: usize,
    #[command(flatten)]
    pub model: ModelArg,
    #[command(flatten)]
    pub decision: DecisionArgs,
}

/// Arguments of `scamscan campaigns`.
#[derive(Debug, Args)]
pub struct CampaignsArgs {
    #[command(flatten)]
    pub group: GroupArgs,
    /// Output format.
    #[arg(long, short, value_enum, value_name = "FORMAT", default_value_t = CampaignFormat::Human)]
    pub output: CampaignFormat,
    /// Print campaigns of at least N messages.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub min_size: u64,
    /// Write one JSON line per input message, in input order, to FILE: {"id": ..., "campaign": ... or null}.
    #[arg(long, value_name = "FILE")]
    pub assignments: Option<PathBuf>,
}

/// Arguments of `scamscan indicators`.
#[derive(Debug, Args)]
pub struct IndicatorsArgs {
    #[command(flatten)]
    pub group: GroupArgs,
    /// Output format.
    #[arg(long, short, value_enum, value_name = "FORMAT", default_value_t = IndicatorFormat::Csv)]
    pub output: IndicatorFormat,
    /// Write links and addresses defanged (hxxps://site[.]top); STIX patterns always hold the real value.
    #[arg(long)]
    pub defang: bool,
}

/// The sink of both verbs: campaigns, indicators and the assignments file.
struct Group {
    campaigns: Campaigns,
    indicators: Indicators,
    all: bool,
    time_field: Option<String>,
    assignments: Option<BufWriter<File>>,
}

impl Sink for Group {
    fn message(&mut self, m: &Message, v: &Verdict) -> io::Result<()> {
        let grouped = self.all || v.is_flagged();
        let campaign = if grouped {
            let name = m.name();
            let time = self.time(m);
            let sketch = self.campaigns.sketch(&m.text);
            let campaign = self.campaigns.add(Member {
                id: &name,
                text: &m.text,
                sketch: &sketch,
                verdict: Some(v),
                time: time.as_deref(),
            });
            self.indicators.add(
                &name,
                sketch.indicators(),
                campaign.as_deref(),
                time.as_deref(),
            );
            campaign
        } else {
            None
        };
        if let Some(out) = &mut self.assignments {
            let id = if m.id.is_null() {
                Value::from(m.name())
            } else {
                m.id.clone()
            };
            serde_json::to_writer(&mut *out, &json!({"id": id, "campaign": campaign}))?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
    fn error(&mut self, _: &InputError) -> io::Result<()> {
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.assignments {
            Some(out) => out.flush(),
            None => Ok(()),
        }
    }
}

impl Group {
    /// The message's time field, as text.
    fn time(&self, m: &Message) -> Option<String> {
        let field = self.time_field.as_deref()?;
        match m.fields.as_ref()?.get(field)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

/// Classifies and groups the inputs; returns the sink and the exit status,
/// or the exit status alone when the run could not start.
fn group(g: &GroupArgs, assignments: Option<&PathBuf>, diag: &mut Diag) -> Result<(Group, u8), u8> {
    let classifier = match load_classifier(&g.model) {
        Ok(c) => c.with_options(g.decision.options(0)),
        Err(e) => {
            diag.error(&e);
            return Err(EXIT_ERROR);
        }
    };
    let config = CampaignConfig {
        max_campaigns: g.max_campaigns,
        max_bytes: g.decision.max_bytes,
        ..CampaignConfig::default()
    };
    let mut campaigns = match Campaigns::with_config(config) {
        Ok(c) => c,
        Err(e) => {
            diag.error(&e.to_string());
            return Err(EXIT_ERROR);
        }
    };
    if let Some(r) = &g.region {
        campaigns = match campaigns.with_region(r) {
            Ok(c) => c,
            Err(e) => {
                diag.error(&format!("--region: {e}"));
                return Err(EXIT_ERROR);
            }
        };
    }
    let assignments = match assignments {
        Some(path) => match File::create(path) {
            Ok(f) => Some(BufWriter::new(f)),
            Err(e) => {
                diag.error(&format!(
                    "{}: cannot write the assignments: {e}",
                    path.display()
                ));
                return Err(EXIT_ERROR);
            }
        },
        None => None,
    };
    let mut sink = Group {
        campaigns,
        indicators: Indicators::new(),
        all: g.all,
        time_field: g.time_field.clone(),
        assignments,
    };
    let status = stream(
        &g.paths,
        &g.input,
        g.decision.max_bytes,
        &classifier,
        &mut sink,
        diag,
    );
    if let Some(out) = &mut sink.assignments
        && let Err(e) = out.flush()
    {
        diag.error(&format!("cannot write the assignments: {e}"));
        return Err(EXIT_ERROR);
    }
    Ok((sink, status))
}

/// Runs `campaigns`; returns the exit status.
pub fn run_campaigns(args: &CampaignsArgs, diag: &mut Diag) -> u8 {
    let (sink, status) = match group(&args.group, args.assignments.as_ref(), diag) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let list = sink.campaigns.summaries(args.min_size.max(1));
    let stats = sink.campaigns.stats();
    diag.notice(&format!(
        "{} messages grouped into {} campaigns of {} or more ({} without words)",
        stats.messages,
        list.len(),
        args.min_size.max(1),
        stats.wordless
    ));
    let out = io::stdout().lock();
    let written = match args.output {
        CampaignFormat::Human => write_human(out, &list),
        CampaignFormat::Jsonl => write_jsonl(out, &list),
        CampaignFormat::Csv => write_campaigns_csv(out, &list),
    };
    finish(written, status, diag)
}

/// Runs `indicators`; returns the exit status.
pub fn run_indicators(args: &IndicatorsArgs, diag: &mut Diag) -> u8 {
    let (sink, status) = match group(&args.group, None, diag) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let records = sink.indicators.records();
    if sink.indicators.forgotten() > 0 {
        diag.warn(&format!(
            "warning: {} indicators seen once were forgotten to bound memory",
            sink.indicators.forgotten()
        ));
    }
    let mut out = io::stdout().lock();
    let written = match args.output {
        IndicatorFormat::Stix => {
            let created = stix::timestamp(now());
            serde_json::to_writer_pretty(&mut out, &stix::bundle(&records, &created))
                .map_err(io::Error::other)
                .and_then(|()| out.write_all(b"\n"))
        }
        IndicatorFormat::Jsonl => (|| {
            for r in &records {
                let mut v = serde_json::to_value(r).map_err(io::Error::other)?;
                if args.defang {
                    v["value"] = Value::from(scamscan::indicators::defang(r.kind, &r.value));
                }
                serde_json::to_writer(&mut out, &v).map_err(io::Error::other)?;
                out.write_all(b"\n")?;
            }
            out.flush()
        })(),
        IndicatorFormat::Csv => (|| {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record([
                "kind",
                "value",
                "chain",
                "platform",
                "count",
                "campaigns",
                "first_seen",
                "last_seen",
                "first_message",
                "last_message",
            ])?;
            for r in &records {
                let value = if args.defang {
                    scamscan::indicators::defang(r.kind, &r.value)
                } else {
                    r.value.clone()
                };
                w.write_record([
                    r.kind.as_str(),
                    &value,
                    r.chain.map_or("", |c| c.as_str()),
                    r.platform.unwrap_or(""),
                    &r.count.to_string(),
                    &r.campaigns.join(";"),
                    r.first_seen.as_deref().unwrap_or(""),
                    r.last_seen.as_deref().unwrap_or(""),
                    &r.first_message,
                    &r.last_message,
                ])?;
            }
            w.flush()
        })()
        .map_err(io::Error::other),
    };
    finish(written, status, diag)
}

/// Seconds since the epoch: `SOURCE_DATE_EPOCH` when set (reproducible
/// output), else the clock.
fn now() -> u64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        })
}

fn finish(written: io::Result<()>, status: u8, diag: &mut Diag) -> u8 {
    match written {
        Ok(()) => status,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => status,
        Err(e) => {
            diag.error(&format!("cannot write the output: {e}"));
            EXIT_ERROR
        }
    }
}

/// One line of a message, cut to `max` characters.
fn one_line(s: &str, max: usize) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &flat[..i]),
        None => flat,
    }
}

fn indicator_list(c: &scamscan::campaigns::Campaign, max: usize) -> String {
    c.indicators
        .iter()
        .take(max)
        .map(|i| format!("{} {} ({})", i.kind, i.value, i.count))
        .collect::<Vec<_>>()
        .join(", ")
}

fn write_human(mut out: impl Write, list: &[scamscan::campaigns::Campaign]) -> io::Result<()> {
    for c in list {
        let label = match (c.label, c.category) {
            (Some(l), Some(cat)) if l == scamscan::Label::Scam => format!("{l} {cat}"),
            (Some(l), _) => l.to_string(),
            (None, _) => "-".into(),
        };
        let seen = match (&c.first_seen, &c.last_seen) {
            (Some(f), Some(l)) => format!("  {f} .. {l}"),
            _ => String::new(),
        };
        writeln!(out, "{}  {} messages  {label}{seen}", c.id, c.size)?;
        writeln!(out, "  template:   {}", one_line(&c.template, 200))?;
        writeln!(out, "  example:    {}", one_line(&c.representative, 120))?;
        if !c.indicators.is_empty() {
            writeln!(out, "  indicators: {}", indicator_list(c, 8))?;
        }
        writeln!(out)?;
    }
    out.flush()
}

fn write_jsonl(mut out: impl Write, list: &[scamscan::campaigns::Campaign]) -> io::Result<()> {
    for c in list {
        serde_json::to_writer(&mut out, c).map_err(io::Error::other)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

fn write_campaigns_csv(out: impl Write, list: &[scamscan::campaigns::Campaign]) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let header = [
        "id",
        "size",
        "first_message",
        "last_message",
        "first_seen",
        "last_seen",
        "label",
        "category",
        "template",
        "indicators",
        "representative",
    ];
    w.write_record(header).map_err(io::Error::other)?;
    for c in list {
        w.write_record([
            c.id.as_str(),
            &c.size.to_string(),
            &c.id,
            &c.last_message,
            c.first_seen.as_deref().unwrap_or(""),
            c.last_seen.as_deref().unwrap_or(""),
            c.label.map_or("", |l| l.as_str()),
            &c.category.map_or(String::new(), |c| c.to_string()),
            &c.template,
            &indicator_list(c, usize::MAX),
            &c.representative,
        ])
        .map_err(io::Error::other)?;
    }
    w.flush()
}
