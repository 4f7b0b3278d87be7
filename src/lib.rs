//! # scamscan
//!
//! Scores messages (SMS, chat, e-mail, social comments, job posts) as likely
//! scam scripts and names the kind of scam.
//!
//! Scam centres run fraud on an industrial scale and reuse their scripts; a
//! trained linear classifier catches reused scripts, and explains itself.
//!
//! The pipeline reads in the source tree as it runs, each stage a module
//! that uses only the ones above it:
//!
//! | stage | module |
//! |---|---|
//! | Unicode NFKC, lower-case, accents, invisible characters, homoglyphs, filter evasion undone, offset map | [`normalize`] |
//! | the `tokenizers` pre-tokenizer plus typed entity tokens (links, phones, money, wallets...) | [`tokenize`] |
//! | hashed word and character n-grams, TF-IDF, L2 | [`featurize`] |
//! | which words the model knows; `unsure` for unfamiliar text | [`vocabulary`] |
//! | sparse multinomial logistic regression (a linfa `Fit`/`Predict` algorithm) | [`linear`] |
//! | temperature scaling and thresholds at a fixed false-positive rate | [`calibrate`] |
//! | exact per-feature contributions with spans in the original text | [`explain`] |
//!
//! Below the stages are the leaves they share ([`error`], [`label`],
//! [`sparse`], [`math`], [`metrics`], [`files`], [`corpus`]); above them the
//! trained bundle of every stage ([`model`]), the [`Classifier`] that runs
//! it, training ([`train`]), learning from feedback without the training
//! data ([`learn`]) and evaluation ([`eval`], [`obfuscate`]).
//! The command line, its input readers and printers are the
//! `scamscan-cli` crate, built on this one.
//!
//! ## Quick start
//!
//! ```
//! use scamscan::{Classifier, Label};
//!
//! let classifier = Classifier::default(); // the built-in model, no files needed
//! let verdict = classifier.classify(
//!     "Hello dear, I am recruiter from Amazon. Part-time job, like videos and earn 300-800 USDT per day. Contact my WhatsApp wa.me/6281234567",
//! );
//! assert_eq!(verdict.label, Label::Scam);
//! println!("{} {:.2} {:?}", verdict.label, verdict.score, verdict.category);
//! for r in &verdict.reasons {
//!     println!("  {:+.2} {} {:?}", r.contribution, r.feature, r.spans);
//! }
//! ```
//!
//! ## Cookbook
//!
//! **Classify many messages in parallel**
//!
//! ```
//! let c = scamscan::Classifier::default();
//! let verdicts = c.classify_batch(&["lunch at 1?", "URGENT: your account is suspended, verify at secure-bank-login.xyz"]);
//! assert!(!verdicts[0].is_flagged());
//! ```
//!
//! **Use a stricter scam threshold and no explanations (faster)**
//!
//! ```
//! use scamscan::{Classifier, ClassifyOptions};
//! let c = Classifier::default().with_options(ClassifyOptions {
//!     scam_threshold: Some(0.9),
//!     reasons: 0,
//!     ..ClassifyOptions::default()
//! });
//! let v = c.classify("Congratulations! You won a prize");
//! assert!(v.reasons.is_empty());
//! ```
//!
//! **Train and save a model**
//!
//! ```no_run
//! use scamscan::train::{TrainParams, Trainer};
//! let examples = scamscan::corpus::read_dir_or_file("datasets".as_ref())?;
//! let model = Trainer::new(TrainParams::default())?.train(&examples)?;
//! model.save("my-model".as_ref())?;
//! let c = scamscan::Classifier::from_path("my-model")?;
//! # Ok::<(), scamscan::Error>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

// The modules in layer order: each one uses only modules above it in this
// list (tests/layers.rs checks it), so a stage can be read, and changed,
// knowing only what it builds on.

// Leaves: errors, labels, sparse vectors, small maths, regex helpers,
// bounded file reading, the corpus schema.
pub mod error;
pub mod label;
pub mod sparse;
pub mod math;
pub mod metrics;
mod regexes;
pub mod files;
pub mod corpus;

// The pipeline's stages, in the order a message goes through them.
pub mod language;
pub mod normalize;
pub mod tokenize;
pub mod featurize;
pub mod vocabulary;
pub mod linear;
pub mod calibrate;
pub mod explain;

// The trained bundle of every stage, and the classifier that runs it.
pub mod model;
pub mod classifier;

// What a stream of messages and verdicts adds up to: the indicators
// (links, numbers, wallets...) behind them, and the campaigns that send
// one script many times.
pub mod indicators;
pub mod campaigns;

// Training, learning from feedback, and evaluation.
pub mod train;
pub mod learn;
pub mod obfuscate;
pub mod eval;

/// The README's Rust example, compiled and run with the other doc tests so
/// that it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use classifier::{Classifier, ClassifyOptions, Probabilities, Verdict};
pub use corpus::Example;
pub use error::{Error, ErrorKind, Location, Result};
pub use explain::Reason;
pub use label::{Category, Label};
pub use model::Model;
