//! The classifier: the whole pipeline behind one call.

use crate::error::{Error, Result};
use crate::explain::{Reason, head_weights, reasons_of_workspace};
use crate::label::{Category, Label};
use crate::model::Model;
use crate::normalize::{Normalized, Normalizer};
use crate::sparse::SparseVector;
mod table;

use crate::tokenize::{Tokenizer, Tokens};
use crate::vocabulary::Coverage;
use rayon::prelude::*;
use serde::Serialize;
use std::cell::RefCell;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use table::ScoreTable;

static BUILTIN_MODEL: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/model.bin"));
static BUILTIN_TOKENIZER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/tokenizer.json"));

/// The default largest message scored in full: 64 KiB. Longer messages are
/// scored on their first 64 KiB (cut at a character boundary) and the verdict
/// says `truncated`.
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024;

/// Options of a [`Classifier`].
///
/// Options change how verdicts are reported, never the model's scores, so
/// one model serves both a strict filter and a lenient one.
///
/// # Example
///
/// ```
/// use scamscan::{Classifier, ClassifyOptions};
/// let c = Classifier::default().with_options(ClassifyOptions { max_bytes: 16, ..Default::default() });
/// let v = c.classify("a message that is longer than sixteen bytes");
/// assert!(v.truncated);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifyOptions {
    /// Messages longer than this many bytes are scored on their first `max_bytes`.
    pub max_bytes: usize,
    /// How many reasons to keep per verdict (0: compute none, which is faster).
    pub reasons: usize,
    /// Overrides the model's rule for scam: scam when `p(scam) >= threshold`.
    pub scam_threshold: Option<f32>,
}

impl Default for ClassifyOptions {
    fn default() -> Self {
        ClassifyOptions {
            max_bytes: DEFAULT_MAX_BYTES,
            reasons: 5,
            scam_threshold: None,
        }
    }
}

/// Which verdicts of [`Classifier::classify`] carry reasons.
///
/// Reasons are what a reviewer reads before acting on a flag, and what
/// makes an `unsure` verdict checkable; a legitimate message is acted on by
/// doing nothing, so by default it gets none, and explaining it is not
/// paid for (it costs about as much as scoring it).
/// [`Classifier::explain`] gives reasons whatever the label.
///
/// # Example
///
/// ```
/// use scamscan::{Classifier, ReasonsFor};
/// let ham = "are we still on for dinner tonight?";
/// assert!(Classifier::default().classify(ham).reasons.is_empty());
/// let all = Classifier::default().with_reasons_for(ReasonsFor::All);
/// assert!(!all.classify(ham).reasons.is_empty());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonsFor {
    /// Spam, scam and unsure verdicts; ham verdicts have no reasons.
    #[default]
    Flagged,
    /// Every verdict.
    All,
}

impl ReasonsFor {
    /// Whether a verdict labelled `label` gets reasons.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{Label, ReasonsFor};
    /// assert!(ReasonsFor::Flagged.applies_to(Label::Unsure));
    /// assert!(!ReasonsFor::Flagged.applies_to(Label::Ham));
    /// assert!(ReasonsFor::All.applies_to(Label::Ham));
    /// ```
    pub fn applies_to(self, label: Label) -> bool {
        self == ReasonsFor::All || label != Label::Ham
    }
}

/// The three class probabilities; they sum to 1.
///
/// Named fields rather than an array, so that JSON output reads
/// `{"ham": .., "spam": .., "scam": ..}`.
///
/// # Example
///
/// ```
/// let p = scamscan::Classifier::default().classify("are we still on for dinner tonight?").probabilities;
/// assert!(p.ham > p.scam);
/// assert!((p.ham + p.spam + p.scam - 1.0).abs() < 1e-4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Probabilities {
    /// Legitimate.
    pub ham: f32,
    /// Unsolicited bulk / marketing.
    pub spam: f32,
    /// Fraud.
    pub scam: f32,
}

/// What the classifier says about one message.
///
/// # Example
///
/// ```
/// use scamscan::{Classifier, Label};
/// let v = Classifier::default().classify("Your parcel is on hold. Pay the $1.99 redelivery fee at usps-track-redelivery.top today");
/// assert_eq!(v.label, Label::Scam);
/// assert_eq!(v.score, v.probabilities.scam);
/// assert!(v.category.is_some() && !v.reasons.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// scam, spam or ham; unsure when the model cannot read the message
    /// (too few known words, or a language it has too few legitimate
    /// training messages of: see [`crate::language`]) and its language-free
    /// evidence is not enough to flag it. Such a message is never ham.
    pub label: Label,
    /// The calibrated probability of scam (equal to `probabilities.scam`).
    pub score: f32,
    /// All three calibrated probabilities; for a message the model cannot
    /// read, those of its language-free evidence alone (links, numbers,
    /// wallets, cues), which the label follows.
    pub probabilities: Probabilities,
    /// The kind of scam, when the label is scam.
    pub category: Option<Category>,
    /// The category head's probability for `category`.
    pub category_probability: Option<f32>,
    /// The features that pushed the scam-vs-ham log-odds most, with spans in
    /// the original text; by default only for scam, spam and unsure verdicts
    /// (see [`ReasonsFor`]), empty for ham.
    pub reasons: Vec<Reason>,
    /// True when only the message's start was scored: it was longer than
    /// `max_bytes`, or its normalized text grew past
    /// [`MAX_EXPANSION`](crate::normalize::MAX_EXPANSION) times its length.
    pub truncated: bool,
    /// The share of the message's counted words that the model saw in
    /// training (1 for a model without a vocabulary, or a message without
    /// words). A low coverage makes the label [`Label::Unsure`].
    pub coverage: f32,
}

impl Verdict {
    /// True when the message is flagged (scam or spam): the one bit a filter
    /// acts on.
    ///
    /// # Example
    ///
    /// ```
    /// let c = scamscan::Classifier::default();
    /// assert!(!c.classify("see you at the station at 6").is_flagged());
    /// assert!(c.classify("URGENT: your account is suspended, verify at secure-bank-login.xyz").is_flagged());
    /// ```
    pub fn is_flagged(&self) -> bool {
        self.label.is_flagged()
    }
}

/// Scores messages as scam, spam or ham. Cheap to share: `Send + Sync`, and
/// every method takes `&self`.
///
/// # Example
///
/// ```
/// let classifier = scamscan::Classifier::default();
/// let v = classifier.classify("Your parcel is on hold. Pay the $1.99 redelivery fee at usps-track-redelivery.top today");
/// assert_eq!(v.label, scamscan::Label::Scam);
/// assert!((v.probabilities.ham + v.probabilities.spam + v.probabilities.scam - 1.0).abs() < 1e-4);
/// ```
#[derive(Debug, Clone)]
pub struct Classifier {
    model: Model,
    normalizer: Normalizer,
    options: ClassifyOptions,
    reasons_for: ReasonsFor,
    /// The model's IDF and head weights laid out for scoring (see
    /// [`table`]), built once it pays; shared by clones.
    table: Arc<LazyTable>,
    /// [`Model::known_languages`], kept: the language check asks about a
    /// dozen candidates per message, and the model's answer is two lookups
    /// in maps.
    known_languages: Option<Vec<String>>,
}

/// Messages scored the general way before the [`ScoreTable`] is built.
///
/// The table is 16 bytes per bucket (megabytes for the built-in model),
/// written at once: its page faults cost a one-message run more than the
/// table saves on a few thousand messages (the cold start is one of the
/// benchmark's figures). Both ways give the same verdicts bit for bit
/// (tested below), so the table waits until a run has shown it has many
/// messages to score.
const TABLE_AFTER: usize = 2048;

/// Vocabulary coverage below which a message's language is identified: at
/// or above it the words are the model's, whatever the language is called.
const LANGUAGE_CHECK_BELOW: f32 = 0.9;

/// A [`ScoreTable`] built on first need, after [`TABLE_AFTER`] messages.
#[derive(Debug, Default)]
struct LazyTable {
    table: OnceLock<Option<ScoreTable>>,
    scored: AtomicUsize,
}

impl Default for Classifier {
    /// The built-in model. Panics only if this build was made without one
    /// (see [`Classifier::builtin`] for the fallible form); the crate's tests
    /// check that the shipped model loads.
    fn default() -> Self {
        Classifier::builtin().expect("the built-in model loads")
    }
}

impl Classifier {
    /// The model embedded in the library at build time.
    ///
    /// Embedded so that the library works with no file to ship or find; this
    /// is the fallible form of [`Classifier::default`].
    ///
    /// # Example
    ///
    /// ```
    /// let c = scamscan::Classifier::builtin()?;
    /// assert_eq!(c.classify("hi mum, call me when you land").label, scamscan::Label::Ham);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    // Never inlined, so that `scripts/profile.sh` can name it (see
    // `Featurizer::vectorize_into_with`); one call per run.
    #[inline(never)]
    pub fn builtin() -> Result<Self> {
        if BUILTIN_MODEL.is_empty() {
            return Err(Error::model(
                "this build has no built-in model (models/default/model.bin was missing at build time)",
            ));
        }
        let tokenizer = Tokenizer::from_json(BUILTIN_TOKENIZER)?;
        Ok(Classifier::new(Model::from_bytes(
            BUILTIN_MODEL,
            tokenizer,
        )?))
    }

    /// Loads a model directory (`model.bin`, `tokenizer.json`).
    ///
    /// Errors name the directory, so that a wrong `--model` path is obvious.
    ///
    /// # Example
    ///
    /// ```
    /// let err = scamscan::Classifier::from_path("no/such/dir").unwrap_err();
    /// assert!(err.to_string().contains("no/such/dir"));
    /// ```
    pub fn from_path(dir: impl AsRef<Path>) -> Result<Self> {
        Ok(Classifier::new(Model::load(dir.as_ref())?))
    }

    /// Loads the model a program is told to use: the directory `dir`, or
    /// the built-in model when there is none. The error is the sentence a
    /// user reads, the same from every program built on the library (the
    /// `scamscan` command line, the DataFusion UDF, the Ballista executor):
    /// it names the directory (or file in it) and the problem.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::Classifier;
    /// assert!(Classifier::load(None).is_ok());
    /// let err = Classifier::load(Some("no/such/dir".as_ref())).unwrap_err();
    /// assert!(err.starts_with("cannot load model") && err.contains("no/such/dir"), "{err}");
    /// ```
    pub fn load(dir: Option<&Path>) -> std::result::Result<Self, String> {
        match dir {
            Some(dir) => Classifier::from_path(dir).map_err(|e| {
                let shown = dir.display().to_string();
                let e = e.to_string();
                if e.contains(&shown) {
                    format!("cannot load model: {e}")
                } else {
                    format!("cannot load model {shown}: {e}")
                }
            }),
            None => Classifier::builtin().map_err(builtin_error),
        }
    }

    /// Wraps a trained [`Model`], with the default options.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::Classifier;
    /// let model = Classifier::default().model().clone();
    /// let c = Classifier::new(model);
    /// assert_eq!(c.options().reasons, 5);
    /// ```
    pub fn new(model: Model) -> Self {
        Classifier {
            normalizer: Normalizer::new(model.normalizer.clone()),
            table: Arc::default(),
            known_languages: model.known_languages(),
            model,
            options: ClassifyOptions::default(),
            reasons_for: ReasonsFor::default(),
        }
    }

    /// Replaces the options.
    ///
    /// By value, builder-style: options are set once, before the classifier
    /// is shared between threads.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{Classifier, ClassifyOptions};
    /// let c = Classifier::default().with_options(ClassifyOptions { reasons: 0, ..Default::default() });
    /// assert!(c.classify("hi mum").reasons.is_empty());
    /// ```
    pub fn with_options(mut self, options: ClassifyOptions) -> Self {
        self.options = options;
        self
    }

    /// Replaces which verdicts get reasons (the flagged and unsure ones by
    /// default).
    ///
    /// Apart from [`ClassifyOptions`], so that code that builds the options
    /// field by field compiles as it did before reasons were skipped for ham.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{Classifier, ReasonsFor};
    /// let c = Classifier::default().with_reasons_for(ReasonsFor::All);
    /// assert_eq!(c.reasons_for(), ReasonsFor::All);
    /// ```
    pub fn with_reasons_for(mut self, reasons_for: ReasonsFor) -> Self {
        self.reasons_for = reasons_for;
        self
    }

    /// Which verdicts get reasons.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{Classifier, ReasonsFor};
    /// assert_eq!(Classifier::default().reasons_for(), ReasonsFor::Flagged);
    /// ```
    pub fn reasons_for(&self) -> ReasonsFor {
        self.reasons_for
    }

    /// The options.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{classifier::DEFAULT_MAX_BYTES, Classifier};
    /// assert_eq!(Classifier::default().options().max_bytes, DEFAULT_MAX_BYTES);
    /// ```
    pub fn options(&self) -> &ClassifyOptions {
        &self.options
    }

    /// The model, for inspection (its training counts, its calibration) or
    /// to save it.
    ///
    /// # Example
    ///
    /// ```
    /// let c = scamscan::Classifier::default();
    /// assert!((0.0..=1.0).contains(&c.model().calibration.flag_threshold));
    /// ```
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Classifies one message. Never panics; any `&str` is a valid message.
    ///
    /// The category is named only when the label is scam: naming the "kind
    /// of scam" of a legitimate message would only confuse.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{Category, Classifier, Label};
    /// let c = Classifier::default();
    /// let ham = c.classify("Running late, be there in 10");
    /// assert_eq!((ham.label, ham.category), (Label::Ham, None));
    /// let scam = c.classify("Hello dear, I am recruiter from Amazon. Part-time job, like videos and earn 300-800 USDT per day. Contact my WhatsApp wa.me/6281234567");
    /// assert_eq!(scam.category, Some(Category::Job));
    /// ```
    pub fn classify(&self, text: &str) -> Verdict {
        with_buffers(|ws| self.classify_with(ws, text, self.table(TABLE_AFTER), false))
    }

    /// Classifies one message and explains the verdict whatever its label:
    /// [`Classifier::classify`] with every reason, strongest first (the
    /// options' `reasons` and [`Classifier::reasons_for`] do not apply).
    ///
    /// # Example
    ///
    /// ```
    /// let c = scamscan::Classifier::default();
    /// let v = c.explain("Running late, be there in 10");
    /// assert_eq!(v.label, scamscan::Label::Ham);
    /// assert!(v.reasons.len() > 3);
    /// assert!(v.reasons[0].contribution.abs() >= v.reasons[1].contribution.abs());
    /// ```
    pub fn explain(&self, text: &str) -> Verdict {
        with_buffers(|ws| self.classify_with(ws, text, self.table(TABLE_AFTER), true))
    }

    /// [`Classifier::classify`] with the score table or without it; with
    /// every reason whatever the label when `explain`.
    fn classify_with(
        &self,
        ws: &mut Buffers,
        text: &str,
        table: Option<&ScoreTable>,
        explain: bool,
    ) -> Verdict {
        let (text, truncated) = truncate(text, self.options.max_bytes);
        let coverage = self.vectorize(ws, text, table);
        let x = ws.features.vector();
        let z = match table {
            Some(t) => t.logits(x),
            None => {
                let mut z = [0.0f32; 3];
                self.model.head.logits(x, &mut z);
                z
            }
        };
        let cal = &self.model.calibration;
        let (p, label, evidence_only) = if self.familiar(text, &ws.norm, coverage) {
            let p = cal.probabilities(z);
            (p, cal.decide(p, self.options.scam_threshold), false)
        } else {
            // The words are ones the model cannot read: judge the message
            // on its entities and cues alone, and say unsure unless they
            // are enough. The reasons then come from them too; the
            // category, as `categorize` gives it, from the whole message,
            // whose vector the evidence vector replaces: kept aside, since
            // the category is wanted only if the label turns out scam.
            ws.whole.clone_from(ws.features.vector());
            let strong = self.has_strong_evidence(&ws.tokens.entities);
            let z = self.evidence_logits(ws, table);
            let p = cal.evidence_probabilities(z);
            let label = match cal.decide_unfamiliar(p, self.options.scam_threshold) {
                Label::Spam | Label::Scam if !strong => Label::Unsure,
                l => l,
            };
            (p, label, true)
        };
        let (category, category_probability) = if label == Label::Scam {
            let x = if evidence_only {
                &ws.whole
            } else {
                ws.features.vector()
            };
            let (c, p) = self.top_category(x);
            (Some(c), Some(p))
        } else {
            (None, None)
        };
        // The trace only for the messages that get reasons: building it
        // costs about a third of featurizing.
        let (top, wanted) = match explain {
            true => (0, true),
            false => {
                let top = self.options.reasons;
                (top, top > 0 && self.reasons_for.applies_to(label))
            }
        };
        let reasons = if wanted {
            self.model
                .featurizer
                .trace_into(&ws.norm, &ws.tokens, &mut ws.features);
            let (norm, f, scratch) = (&ws.norm, &ws.features, &mut ws.explain);
            match table {
                Some(t) => {
                    reasons_of_workspace(text, norm, f, cal, top, scratch, |j| t.ham_scam(j))
                }
                None => {
                    let weights = head_weights(&self.model.head);
                    reasons_of_workspace(text, norm, f, cal, top, scratch, weights)
                }
            }
        } else {
            Vec::new()
        };
        Verdict {
            label,
            score: p[2],
            probabilities: Probabilities {
                ham: p[0],
                spam: p[1],
                scam: p[2],
            },
            category,
            category_probability,
            reasons,
            truncated: truncated || ws.norm.is_cut(),
            coverage: coverage.map_or(1.0, |c| c.ratio()),
        }
    }

    /// The scam category the category head picks for `text`, with its
    /// probability, whatever the ham/spam/scam decision: what kind of scam
    /// the message would be, if it were one.
    ///
    /// ```
    /// use scamscan::Category;
    /// let c = scamscan::Classifier::default();
    /// let (category, p) = c.categorize("Your parcel could not be delivered. Pay the £1.99 redelivery fee at parcel-redeliver.top");
    /// assert_eq!(category, Category::Delivery);
    /// assert!(p > 0.0 && p <= 1.0);
    /// ```
    pub fn categorize(&self, text: &str) -> (Category, f32) {
        with_buffers(|ws| {
            let (text, _) = truncate(text, self.options.max_bytes);
            self.vectorize(ws, text, self.table(TABLE_AFTER));
            self.top_category(ws.features.vector())
        })
    }

    /// The score table once `after` messages have asked for it (`None`
    /// before, and for a model whose shape it does not fit).
    fn table(&self, after: usize) -> Option<&ScoreTable> {
        let lazy = &*self.table;
        if let Some(t) = lazy.table.get() {
            return t.as_ref();
        }
        if lazy.scored.fetch_add(1, Ordering::Relaxed) < after {
            return None;
        }
        lazy.table
            .get_or_init(|| ScoreTable::new(&self.model.featurizer, &self.model.head))
            .as_ref()
    }

    /// Normalizes, tokenizes and featurizes one message (already truncated)
    /// into `ws`, without the explanation trace, reading the IDF from
    /// `table` when there is one; returns its vocabulary coverage.
    fn vectorize(
        &self,
        ws: &mut Buffers,
        text: &str,
        table: Option<&ScoreTable>,
    ) -> Option<Coverage> {
        self.normalizer.normalize_into(text, &mut ws.norm);
        // The tokenizers pipeline cannot fail on valid UTF-8 with our pattern;
        // if it ever did, scoring on entities and no words beats failing.
        let tokenizer = &self.model.tokenizer;
        if tokenizer
            .tokenize_into(ws.norm.text(), &mut ws.tokens)
            .is_err()
        {
            ws.tokens.words.clear();
            crate::tokenize::EntityRecognizer::new()
                .recognize_into(ws.norm.text(), &mut ws.tokens.entities);
        }
        let (norm, tokens, features) = (&ws.norm, &ws.tokens, &mut ws.features);
        let featurizer = &self.model.featurizer;
        match table {
            Some(t) => featurizer.vectorize_into_with(norm, tokens, features, |i| t.idf(i)),
            None => featurizer.vectorize_into(norm, tokens, features, false),
        }
        self.model
            .vocabulary
            .as_ref()
            .map(|v| v.coverage(&ws.norm, &ws.tokens))
    }

    /// Calls `f` with the feature vector of `text` as
    /// [`Classifier::classify`] scores it (cut to `max_bytes` the same way)
    /// and the normalized text and tokens it came from: what
    /// [`Model::learn`](crate::Model::learn) keeps of a message is computed
    /// from these.
    pub(crate) fn featurize_with<T>(
        &self,
        text: &str,
        f: impl FnOnce(&SparseVector, &Normalized, &Tokens) -> T,
    ) -> T {
        with_buffers(|ws| {
            let (text, _) = truncate(text, self.options.max_bytes);
            self.vectorize(ws, text, None);
            f(ws.features.vector(), &ws.norm, &ws.tokens)
        })
    }

    /// Whether the model can read the message: enough of its words are in
    /// the vocabulary, and it is not clearly in a language the model has
    /// too few legitimate messages of ([`crate::language::outside`]). A
    /// message of fewer than
    /// [`Calibration::min_words`](crate::calibrate::Calibration::min_words)
    /// counted words is always familiar: it says too little either way.
    fn familiar(&self, text: &str, norm: &Normalized, coverage: Option<Coverage>) -> bool {
        let Some(c) = coverage else { return true };
        let cal = &self.model.calibration;
        if c.words < cal.min_words {
            return true;
        }
        if c.ratio() < cal.min_coverage {
            return false;
        }
        // Identification costs more than the rest of a short message's
        // path; a message nearly all of whose words are known needs none.
        if cal.min_language_rows == 0 || c.ratio() >= LANGUAGE_CHECK_BELOW {
            return true;
        }
        // The language of the original text, unless it is disguised:
        // Cyrillic look-alikes, invisible characters or letters spaced
        // apart read as no language, or a foreign one, and the words the
        // model reads are the normalized ones.
        let text = if norm.is_disguised() {
            norm.text()
        } else {
            text
        };
        let known = |lang: &str| {
            self.known_languages
                .as_ref()
                .is_none_or(|k| k.iter().any(|l| l == lang))
        };
        !crate::language::outside(text, known)
    }

    /// Whether a message's entities include one that is evidence of a scam
    /// whatever the words say: a suspicious link
    /// ([`Entity::is_suspicious_link`](crate::tokenize::Entity::is_suspicious_link):
    /// a shortener, a brand look-alike, an IP address, a throwaway domain),
    /// a wallet address, a messenger or an `@handle`, or a cue that asks
    /// for a code or credentials, asks for a fee, or moves the talk to a
    /// messenger. A link to an ordinary domain is in every bank's,
    /// courier's and utility's genuine notices (issue #22's list names
    /// look-alike and throwaway domains and shorteners, not every link).
    /// Phone numbers, amounts, percentages, e-mail addresses and one-time
    /// codes are also in every bank alert and delivery notice, and so are
    /// urgency and threats ("if this was not you, call us immediately",
    /// "your card is blocked"), as are prizes and pay in every promotion
    /// and job ad: alone, they leave a message the model cannot read
    /// unsure, however its evidence scores them.
    ///
    /// Their weights are learned in whole messages, where a phone number is
    /// one feature among dozens; in the evidence vector it is the only one,
    /// and its weight then rests on the few short legitimate messages of the
    /// training data that have one, so one language more or less in training
    /// moved the legitimate messages a lone phone number flagged (issue #22).
    fn has_strong_evidence(&self, entities: &[crate::tokenize::Entity]) -> bool {
        use crate::tokenize::EntityKind as K;
        let cues = self.model.featurizer.config().cues;
        entities.iter().any(|e| match e.kind {
            K::Url => e.is_suspicious_link(),
            K::Wallet | K::Messenger | K::Handle => true,
            K::Cue => cues && e.is_request(),
            K::Phone | K::Money | K::Percent | K::Email | K::Code => false,
        })
    }

    /// Whether the model can read `text` (see [`Classifier::classify`]):
    /// when it cannot, the verdict rests on the message's language-free
    /// evidence alone.
    pub(crate) fn is_familiar(&self, text: &str) -> bool {
        with_buffers(|ws| {
            let (text, _) = truncate(text, self.options.max_bytes);
            let coverage = self.vectorize(ws, text, None);
            self.familiar(text, &ws.norm, coverage)
        })
    }

    /// Turns the message vectorized in `ws` into its entities and cues only
    /// (the language-free evidence) and returns the main head's logits.
    fn evidence_logits(&self, ws: &mut Buffers, table: Option<&ScoreTable>) -> [f32; 3] {
        let featurizer = &self.model.featurizer;
        match table {
            Some(t) => featurizer.evidence_into(&mut ws.features, |i| t.idf(i)),
            None => featurizer.evidence_into(&mut ws.features, |i| featurizer.idf()[i]),
        }
        let x = ws.features.vector();
        match table {
            Some(t) => t.logits(x),
            None => {
                let mut z = [0.0f32; 3];
                self.model.head.logits(x, &mut z);
                z
            }
        }
    }

    /// The main head's logits of `text`'s language-free evidence (see
    /// [`Calibration::evidence_offset`](crate::calibrate::Calibration::evidence_offset)).
    pub(crate) fn evidence_logits_of(&self, text: &str) -> [f32; 3] {
        with_buffers(|ws| {
            let (text, _) = truncate(text, self.options.max_bytes);
            self.vectorize(ws, text, None);
            self.evidence_logits(ws, None)
        })
    }

    fn top_category(&self, x: &SparseVector) -> (Category, f32) {
        let cp = self.model.category_head.probabilities(x);
        let best = (0..cp.len())
            .max_by(|&a, &b| cp[a].total_cmp(&cp[b]))
            .unwrap_or(0);
        (Category::ALL[best], cp[best])
    }

    /// Classifies many messages in parallel (rayon); results are in input order
    /// and equal to calling [`Classifier::classify`] on each.
    ///
    /// # Example
    ///
    /// ```
    /// let c = scamscan::Classifier::default();
    /// let vs = c.classify_batch(&["see you at 6", "You WON a $1000 gift card! Claim: bit.ly/claim-now"]);
    /// assert_eq!(vs.len(), 2);
    /// assert_eq!(vs[0], c.classify("see you at 6"));
    /// ```
    pub fn classify_batch(&self, texts: &[&str]) -> Vec<Verdict> {
        texts.par_iter().map(|t| self.classify(t)).collect()
    }
}

/// What the user reads when this build has no usable built-in model.
fn builtin_error(e: Error) -> String {
    format!("cannot load the built-in model: {e}; use --model DIR to name a model")
}

/// The buffers of one message's pipeline, reused for the next one: with
/// them, classifying a message allocates only its verdict.
#[derive(Debug, Default)]
struct Buffers {
    norm: Normalized,
    tokens: Tokens,
    features: crate::featurize::Workspace,
    /// The message's own vector, kept while the evidence vector of a
    /// message the model cannot read replaces it in `features`.
    whole: SparseVector,
    explain: crate::explain::Scratch,
}

/// Bytes the buffers may keep between messages; a huge message that grew
/// them beyond this gives the memory back.
const KEEP_BYTES: usize = 2 << 20;

thread_local! {
    /// One set of buffers per thread: classifiers are shared between threads, and
    /// a thread works on one message at a time.
    static BUFFERS: RefCell<Buffers> = RefCell::new(Buffers::default());
}

/// Runs `f` with this thread's buffers (fresh ones if they are unavailable,
/// as during thread teardown).
fn with_buffers<T>(f: impl FnOnce(&mut Buffers) -> T) -> T {
    let mut f = Some(f);
    let reused = BUFFERS.try_with(|ws| {
        let mut ws = ws.try_borrow_mut().ok()?;
        let out = (f.take().expect("called once"))(&mut ws);
        let whole = 4 * (ws.whole.indices.capacity() + ws.whole.values.capacity());
        if ws.features.capacity_bytes() + ws.norm.capacity_bytes() + whole > KEEP_BYTES {
            *ws = Buffers::default();
        }
        Some(out)
    });
    match reused {
        Ok(Some(out)) => out,
        _ => (f.take().expect("not called yet"))(&mut Buffers::default()),
    }
}

/// Cuts `text` to at most `max` bytes at a character boundary.
pub(crate) fn truncate(text: &str, max: usize) -> (&str, bool) {
    if text.len() <= max {
        return (text, false);
    }
    (&text[..text.floor_char_boundary(max)], true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifier_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Classifier>();
    }

    /// The texts of every `datasets/` row, then a few edge cases and `more`.
    fn dataset_texts(more: &[&str]) -> Vec<String> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets");
        let mut texts: Vec<String> = crate::corpus::read_dir_or_file(Path::new(root))
            .unwrap()
            .into_iter()
            .map(|e| e.text)
            .collect();
        assert!(texts.len() > 500, "{} dataset messages", texts.len());
        texts.extend(["", "a", "win win WIN wín 𝐰𝐢𝐧 💰 恭喜"].map(String::from));
        texts.extend(more.iter().map(|t| t.to_string()));
        texts
    }

    /// Disguising a message does not make it unreadable: the language check
    /// reads a disguised message's normalized text, since Cyrillic
    /// look-alikes or invisible characters inside English words make the
    /// original read as another language.
    #[test]
    fn disguised_english_stays_readable() {
        use crate::obfuscate::Perturbation;
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets");
        let english: Vec<String> = crate::corpus::read_dir_or_file(Path::new(root))
            .unwrap()
            .into_iter()
            .filter(|e| e.lang == "en")
            .map(|e| e.text)
            .collect();
        let c = Classifier::default();
        let readable: Vec<&String> = english.iter().filter(|t| c.is_familiar(t)).collect();
        assert!(readable.len() > 1000, "{} readable", readable.len());
        for p in Perturbation::ALL {
            let lost = readable
                .iter()
                .filter(|t| !c.is_familiar(&p.apply(t, 1)))
                .count();
            // Leetspeak makes words unknown (coverage), not foreign.
            let most = if p == Perturbation::Leetspeak {
                0.10
            } else {
                0.01
            };
            assert!(
                (lost as f64) <= most * readable.len() as f64,
                "{p}: {lost} of {} readable English messages became unreadable",
                readable.len()
            );
        }
    }

    /// The classifier's list of known languages answers as the model does.
    #[test]
    fn the_known_languages_are_the_models() {
        let c = Classifier::default();
        let known = c
            .known_languages
            .as_ref()
            .expect("the built-in model has a minimum");
        assert!(known.iter().any(|l| l == "en"), "{known:?}");
        for lang in ["en", "id", "ms", "tl", "vi", "es", "zh", "und", ""] {
            let listed = known.iter().any(|l| l == lang);
            assert_eq!(listed, c.model().knows_language(lang), "{lang}");
        }
        let mut everything = c.model().clone();
        everything.calibration.min_language_rows = 0;
        assert!(Classifier::new(everything).known_languages.is_none());
    }

    /// Urgency, threats and prizes are in genuine security alerts and
    /// promotions too, and ordinary links in genuine bills: only a request
    /// for a code or a fee, a move to a messenger, a suspicious link or a
    /// wallet is strong evidence.
    #[test]
    fn only_requests_and_moves_are_strong_cues() {
        let c = Classifier::default();
        let m = c.model();
        let normalizer = crate::normalize::Normalizer::new(m.normalizer.clone());
        let strong = |text: &str| {
            let norm = normalizer.normalize(text);
            let tokens = m.tokenizer.tokenize(norm.text()).expect("tokenizes");
            c.has_strong_evidence(&tokens.entities)
        };
        for weak in [
            "Kung hindi ikaw ito, tawagan agad ang hotline sa (02) 8700-1234.",
            "Your card is blocked. Call us immediately on 0800 555 0199",
            "Congratulations, you are the winner of our March raffle!",
        ] {
            assert!(!strong(weak), "{weak:?}");
        }
        for request in [
            "Reply with the code we sent to finish the transfer",
            "Pay the redelivery fee of 2.99 before Friday",
            "Earn 500 a day, text my manager on telegram",
        ] {
            assert!(strong(request), "{request:?}");
        }
        // A bank's or a utility's own link is in its genuine notices; a
        // shortener, a brand look-alike or a throwaway domain is not.
        for ordinary in [
            "Your bill of 48.20 is ready: see asahino-denryoku.jp/mypage",
            "Track your parcel at https://www.tezdak.in/track",
        ] {
            assert!(!strong(ordinary), "{ordinary:?}");
        }
        for suspicious in [
            "Your parcel is held: bit.ly/3xQz9",
            "Verify now at paypal-secure-login.com",
            "Claim it at rewards-center.top/claim",
            "Log in at http://185.22.14.9/login",
        ] {
            assert!(strong(suspicious), "{suspicious:?}");
        }
    }

    /// A message the model cannot read is flagged only with a suspicious
    /// link, a wallet, a messenger, a handle or a request or move cue among
    /// its entities; and that rule decides something: without it, our own
    /// messages' phone numbers and amounts alone would flag some.
    #[test]
    fn unreadable_messages_need_strong_evidence_to_be_flagged() {
        let c = Classifier::default();
        let m = c.model();
        let (normalizer, tokenizer) = (
            crate::normalize::Normalizer::new(m.normalizer.clone()),
            &m.tokenizer,
        );
        let cal = &m.calibration;
        let (mut unfamiliar, mut weak_only_would_flag) = (0, 0);
        for text in dataset_texts(&[]) {
            if c.is_familiar(&text) {
                continue;
            }
            unfamiliar += 1;
            let norm = normalizer.normalize(&text);
            let tokens = tokenizer.tokenize(norm.text()).expect("tokenizes");
            let strong = c.has_strong_evidence(&tokens.entities);
            let v = c.classify(&text);
            if !strong {
                assert!(
                    matches!(v.label, Label::Unsure),
                    "{:?} without strong evidence: {text:?}",
                    v.label
                );
                let p = cal.evidence_probabilities(c.evidence_logits_of(&text));
                if matches!(cal.decide_unfamiliar(p, None), Label::Spam | Label::Scam) {
                    weak_only_would_flag += 1;
                }
            }
        }
        assert!(unfamiliar > 500, "{unfamiliar} unfamiliar messages");
        assert!(
            weak_only_would_flag > 0,
            "no message is flagged on phone numbers or amounts alone: the test shows nothing"
        );
    }

    /// A message the model cannot read is judged on its evidence vector,
    /// but a scam among them is named from the whole message, as
    /// `categorize` names it; the others get no category.
    #[test]
    fn an_unreadable_scam_is_named_from_the_whole_message() {
        let c = Classifier::default();
        let mut named = 0;
        for text in dataset_texts(&[]) {
            if c.is_familiar(&text) {
                continue;
            }
            let v = c.classify(&text);
            if v.label == Label::Scam {
                let (category, p) = c.categorize(&text);
                assert_eq!(
                    (v.category, v.category_probability),
                    (Some(category), Some(p)),
                    "{text:?}"
                );
                named += 1;
            } else {
                assert_eq!((v.category, v.category_probability), (None, None));
            }
        }
        assert!(named > 20, "{named} unreadable messages labelled scam");
    }

    #[test]
    fn the_score_table_changes_no_verdict() {
        let c = Classifier::default().with_options(ClassifyOptions {
            reasons: 5,
            ..ClassifyOptions::default()
        });
        let m = c.model();
        let t = ScoreTable::new(&m.featurizer, &m.head).expect("the built-in model has the shape");
        let texts = dataset_texts(&[]);
        let mut ws = Buffers::default();
        for text in &texts {
            for explain in [false, true] {
                let general = c.classify_with(&mut ws, text, None, explain);
                assert_eq!(
                    c.classify_with(&mut ws, text, Some(&t), explain),
                    general,
                    "{text:?}"
                );
            }
        }
        // The lazy table: none for the first messages, then the table.
        assert!(c.table(3).is_none() && c.table(3).is_none() && c.table(3).is_none());
        assert!(c.table(3).is_some() && c.table(usize::MAX).is_some());
    }

    /// The language-free evidence derived from the message's own emissions
    /// is what vectorizing it again without its words gave: the same
    /// vector, logits, probabilities and reasons, bit for bit, on every
    /// `datasets/` row (with the score table and without).
    #[test]
    fn evidence_from_the_emissions_is_the_words_less_vector() {
        let c = Classifier::default();
        let m = c.model();
        let t = ScoreTable::new(&m.featurizer, &m.head).expect("the built-in model has the shape");
        let texts =
            dataset_texts(&["pay $5 $5 $5 at bit.ly/x or bit.ly/x, call +44 7700 900123 now"]);
        let cal = &m.calibration;
        let (mut ws, mut reference) = (Buffers::default(), Buffers::default());
        let mut with_entities = 0;
        for text in &texts {
            for table in [None, Some(&t)] {
                let idf = |i: usize| table.map_or(m.featurizer.idf()[i], |t| t.idf(i));
                c.vectorize(&mut reference, text, table);
                reference.tokens.words.clear();
                let (norm, tokens) = (&reference.norm, &reference.tokens);
                m.featurizer
                    .vectorize_into_with(norm, tokens, &mut reference.features, idf);
                c.vectorize(&mut ws, text, table);
                let z = c.evidence_logits(&mut ws, table);
                let (got, want) = (ws.features.vector(), reference.features.vector());
                assert_eq!(got.indices, want.indices, "{text:?}");
                let bits =
                    |v: &SparseVector| v.values.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(got), bits(want), "{text:?}");
                let mut want_z = [0.0f32; 3];
                m.head.logits(want, &mut want_z);
                if let Some(t) = table {
                    want_z = t.logits(want);
                }
                assert_eq!(z.map(f32::to_bits), want_z.map(f32::to_bits), "{text:?}");
                let (p, q) = (
                    cal.evidence_probabilities(z),
                    cal.evidence_probabilities(want_z),
                );
                assert_eq!(p.map(f32::to_bits), q.map(f32::to_bits), "{text:?}");
                with_entities += (!want.indices.is_empty()) as usize;
                // The trace built afterwards, and the reasons from it.
                let f = &m.featurizer;
                f.trace_into(&ws.norm, &ws.tokens, &mut ws.features);
                f.trace_into(&reference.norm, &reference.tokens, &mut reference.features);
                let weights = head_weights(&m.head);
                let reasons = |b: &mut Buffers| {
                    let (norm, f, scratch) = (&b.norm, &b.features, &mut b.explain);
                    reasons_of_workspace(text, norm, f, cal, 0, scratch, &weights)
                };
                assert_eq!(reasons(&mut ws), reasons(&mut reference), "{text:?}");
            }
        }
        assert!(
            with_entities > texts.len(),
            "{with_entities} evidence vectors with features"
        );
    }

    #[test]
    fn a_missing_builtin_model_names_the_way_out() {
        let e = Error::model("this build has no built-in model");
        assert_eq!(
            builtin_error(e),
            "cannot load the built-in model: bad model: this build has no built-in model; use --model DIR to name a model"
        );
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate("héllo", 2), ("h", true));
        assert_eq!(truncate("héllo", 3), ("hé", true));
        assert_eq!(truncate("hi", 10), ("hi", false));
    }
}
