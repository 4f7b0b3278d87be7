//! # scamscan-datafusion
//!
//! The scamscan classifier as an Apache DataFusion scalar function, so that
//! messages kept in Parquet, CSV or any Arrow source are scored with SQL:
//!
//! ```sql
//! SELECT id, scamscan(text)['label'] AS label, scamscan(text)['score'] AS score
//! FROM messages
//! WHERE scamscan(text)['label'] <> 'ham'
//! ```
//!
//! `scamscan(text)` takes one `Utf8`, `LargeUtf8` or `Utf8View` argument
//! (a dictionary of strings is cast to its values) and returns a struct, one
//! per row, with the fields of `scamscan classify --output jsonl`:
//!
//! | field | type | value |
//! |---|---|---|
//! | `label` | Utf8 | `scam`, `spam`, `ham`, or `unsure` when the model knows too few of the message's words |
//! | `score` | Float32 | the calibrated probability of scam (= `p_scam`) |
//! | `p_ham`, `p_spam`, `p_scam` | Float32 | the three calibrated probabilities, summing to 1 |
//! | `category` | Utf8 | when the label is scam, the kind of scam (`job`, `bank`, `delivery`...); else null |
//! | `unsure` | Boolean | true when the label is `unsure` |
//! | `truncated` | Boolean | true when only the text's first `max_bytes` were scored |
//!
//! The values are bit for bit those of the command line run with the same
//! model and options (the crate's tests check it). A null text gives a null
//! struct (every field null); an empty text is a message like any other
//! and, as on the command line, the built-in model calls it `ham`. A text
//! longer than `max_bytes` (64 KiB by default, `--max-bytes` on the command
//! line) is scored on its first `max_bytes`, cut at a character boundary,
//! and says `truncated`. An argument of another type is a planning error
//! that names the column.
//!
//! Each Arrow batch is scored with [`Classifier::classify_batch`], on the
//! rayon pool, straight from the array's string slices: no text is copied.
//!
//! ## Example
//!
//! ```
//! use datafusion::arrow::array::{RecordBatch, StringArray};
//! use datafusion::prelude::SessionContext;
//! use std::sync::Arc;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> datafusion::error::Result<()> {
//! let ctx = SessionContext::new();
//! scamscan_datafusion::register(&ctx, None, Default::default()).expect("the built-in model loads");
//! let text = StringArray::from(vec![
//!     Some("see you at the station at 6"),
//!     Some("URGENT: your account is suspended, verify at secure-bank-login.xyz"),
//!     None,
//! ]);
//! let batch = RecordBatch::try_from_iter([("text", Arc::new(text) as _)])?;
//! ctx.register_batch("messages", batch)?;
//! let df = ctx.sql("SELECT scamscan(text)['label'] AS label FROM messages").await?;
//! let batches = df.collect().await?;
//! let labels = datafusion::arrow::util::pretty::pretty_format_batches(&batches)?.to_string();
//! assert!(labels.contains("| ham ") && labels.contains("| scam "), "{labels}");
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float32Array, StringArray, StructArray,
};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion::prelude::SessionContext;
use scamscan::{Classifier, ClassifyOptions, Label, Verdict};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The function's name in SQL.
pub const NAME: &str = "scamscan";

/// The struct `scamscan(text)` returns (see the [crate] docs for its fields).
///
/// # Example
///
/// ```
/// use datafusion::arrow::datatypes::DataType;
/// let DataType::Struct(fields) = scamscan_datafusion::return_type() else { unreachable!() };
/// assert_eq!(fields[0].name(), "label");
/// ```
pub fn return_type() -> DataType {
    DataType::Struct(fields())
}

fn fields() -> Fields {
    // Every field is nullable: a null text gives a null struct, and its
    // fields are null too, so that `scamscan(text)['label']` is null whichever
    // way an engine reads a field of a null struct.
    Fields::from(vec![
        Field::new("label", DataType::Utf8, true),
        Field::new("score", DataType::Float32, true),
        Field::new("p_ham", DataType::Float32, true),
        Field::new("p_spam", DataType::Float32, true),
        Field::new("p_scam", DataType::Float32, true),
        Field::new("category", DataType::Utf8, true),
        Field::new("unsure", DataType::Boolean, true),
        Field::new("truncated", DataType::Boolean, true),
    ])
}

/// A model that could not be loaded: its message is the one the
/// `scamscan` command line prints for the same directory.
///
/// # Example
///
/// ```
/// let err = scamscan_datafusion::ScamscanUdf::load(Some("no/such/model".as_ref()), Default::default()).unwrap_err();
/// let err = err.to_string();
/// assert!(err.starts_with("cannot load model") && err.contains("no/such/model"), "{err}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelError(pub String);

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ModelError {}

/// The `scamscan(text)` scalar function: a [`Classifier`] behind DataFusion's
/// [`ScalarUDFImpl`].
///
/// Two instances are equal only when they share one classifier (clones of
/// one instance), so that plans compare equal across clones.
///
/// # Example
///
/// ```
/// use datafusion::logical_expr::ScalarUDF;
/// use scamscan_datafusion::ScamscanUdf;
/// let udf: ScalarUDF = ScamscanUdf::new(scamscan::Classifier::default()).into();
/// assert_eq!(udf.name(), "scamscan");
/// ```
#[derive(Debug, Clone)]
pub struct ScamscanUdf {
    classifier: Arc<Classifier>,
    signature: Signature,
    /// Non-null texts scored so far, by this instance and its clones.
    scored: Arc<AtomicU64>,
}

impl ScamscanUdf {
    /// Wraps a classifier, keeping its `max_bytes` and scam threshold; it
    /// computes no reasons (the struct has none, and they cost time).
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{Classifier, ClassifyOptions};
    /// let c = Classifier::default().with_options(ClassifyOptions { max_bytes: 4096, ..Default::default() });
    /// let udf = scamscan_datafusion::ScamscanUdf::new(c);
    /// assert_eq!(udf.classifier().options().max_bytes, 4096);
    /// assert_eq!(udf.classifier().options().reasons, 0);
    /// ```
    pub fn new(classifier: Classifier) -> Self {
        let options = ClassifyOptions {
            reasons: 0,
            ..classifier.options().clone()
        };
        ScamscanUdf {
            classifier: Arc::new(classifier.with_options(options)),
            signature: Signature::user_defined(Volatility::Immutable),
            scored: Arc::default(),
        }
    }

    /// Loads the model directory `model` (as written by `scamscan train`), or
    /// the built-in model when `None`, with the options' `max_bytes` and
    /// `scam_threshold` (the command line's `--max-bytes` and `--threshold`).
    ///
    /// A missing or corrupt directory is an error with the command line's
    /// message, naming the directory or the file in it.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::ClassifyOptions;
    /// let udf = scamscan_datafusion::ScamscanUdf::load(None, ClassifyOptions { scam_threshold: Some(0.9), ..Default::default() })?;
    /// assert_eq!(udf.classifier().options().scam_threshold, Some(0.9));
    /// # Ok::<(), scamscan_datafusion::ModelError>(())
    /// ```
    pub fn load(model: Option<&Path>, options: ClassifyOptions) -> Result<Self, ModelError> {
        let classifier = Classifier::load(model).map_err(ModelError)?;
        Ok(ScamscanUdf::new(classifier.with_options(options)))
    }

    /// The classifier that scores the rows.
    ///
    /// # Example
    ///
    /// ```
    /// let udf = scamscan_datafusion::ScamscanUdf::new(scamscan::Classifier::default());
    /// assert!(udf.classifier().model().calibration.flag_threshold > 0.0);
    /// ```
    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// How many non-null texts this function (and its clones) has scored:
    /// what a process reports to show its share of a distributed query.
    ///
    /// # Example
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> datafusion::error::Result<()> {
    /// let udf = scamscan_datafusion::ScamscanUdf::new(scamscan::Classifier::default());
    /// let ctx = datafusion::prelude::SessionContext::new();
    /// ctx.register_udf(udf.clone().into());
    /// ctx.sql("SELECT scamscan(t)['label'] FROM (VALUES ('hi'), ('win $$$'), (NULL)) AS v(t)").await?.collect().await?;
    /// assert_eq!(udf.rows_scored(), 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn rows_scored(&self) -> u64 {
        self.scored.load(Ordering::Relaxed)
    }

    /// Scores the texts of one array (`None` for a null) into the struct.
    fn score<'a>(&self, texts: impl Iterator<Item = Option<&'a str>>) -> Result<ArrayRef> {
        let mut present: Vec<&str> = Vec::new();
        let mut valid: Vec<bool> = Vec::new();
        for t in texts {
            valid.push(t.is_some());
            if let Some(t) = t {
                present.push(t);
            }
        }
        // The classifier does not panic on any text; should a bug make it,
        // the query fails with an error instead of taking the executor down.
        let verdicts = match catch_unwind(AssertUnwindSafe(|| {
            self.classifier.classify_batch(&present)
        })) {
            Ok(v) => v,
            Err(_) => {
                return exec_err!(
                    "{NAME}: the classifier failed on a batch of {} texts",
                    present.len()
                );
            }
        };
        self.scored
            .fetch_add(present.len() as u64, Ordering::Relaxed);
        Ok(Arc::new(to_struct(&verdicts, &valid)?))
    }
}

/// The struct array of `verdicts`, one per `true` of `valid`, null where
/// `valid` is false.
fn to_struct(verdicts: &[Verdict], valid: &[bool]) -> Result<StructArray> {
    let mut v = verdicts.iter();
    let rows: Vec<Option<&Verdict>> = valid
        .iter()
        .map(|&ok| if ok { v.next() } else { None })
        .collect();
    let text = |f: &dyn Fn(&Verdict) -> Option<&'static str>| -> ArrayRef {
        Arc::new(rows.iter().map(|r| r.and_then(f)).collect::<StringArray>())
    };
    let float = |f: &dyn Fn(&Verdict) -> f32| -> ArrayRef {
        Arc::new(rows.iter().map(|r| r.map(f)).collect::<Float32Array>())
    };
    let boolean = |f: &dyn Fn(&Verdict) -> bool| -> ArrayRef {
        Arc::new(rows.iter().map(|r| r.map(f)).collect::<BooleanArray>())
    };
    let columns = vec![
        text(&|v| Some(v.label.as_str())),
        float(&|v| v.score),
        float(&|v| v.probabilities.ham),
        float(&|v| v.probabilities.spam),
        float(&|v| v.probabilities.scam),
        text(&|v| v.category.map(|c| c.as_str())),
        boolean(&|v| v.label == Label::Unsure),
        boolean(&|v| v.truncated),
    ];
    let nulls = NullBuffer::from(valid.to_vec());
    let nulls = (nulls.null_count() > 0).then_some(nulls);
    Ok(StructArray::try_new(fields(), columns, nulls)?)
}

impl PartialEq for ScamscanUdf {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.classifier, &other.classifier)
    }
}

impl Eq for ScamscanUdf {}

impl Hash for ScamscanUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.classifier).hash(state);
    }
}

/// Whether `t` is a type whose values are scored as they are.
fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

impl ScalarUDFImpl for ScamscanUdf {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(return_type())
    }

    /// Checks the argument here rather than in the signature: here its
    /// field, and so the column's name, is known.
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        match args.arg_fields {
            [f] if is_text(f.data_type()) || f.data_type() == &DataType::Null => {
                Ok(Arc::new(Field::new(NAME, return_type(), true)))
            }
            [f] => plan_err!(
                "{NAME}(text): the column {} is {}, not text (Utf8, LargeUtf8 or Utf8View); cast it, e.g. {NAME}(CAST({} AS VARCHAR)), if it holds text",
                f.name(),
                f.data_type(),
                f.name()
            ),
            _ => plan_err!(
                "{NAME}(text) takes one argument, the message text; it was given {}",
                args.arg_fields.len()
            ),
        }
    }

    /// Dictionary-encoded text is scored as its values; a literal NULL as a
    /// null text. Any other type is left as it is, for
    /// [`ScamscanUdf::return_field_from_args`] to reject with the column's
    /// name.
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(arg_types
            .iter()
            .map(|t| match t {
                DataType::Dictionary(_, value) if is_text(value) => value.as_ref().clone(),
                DataType::Null => DataType::Utf8,
                t => t.clone(),
            })
            .collect())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = args.args.as_slice() else {
            return exec_err!("{NAME}(text) takes one argument");
        };
        match arg {
            ColumnarValue::Array(a) => Ok(ColumnarValue::Array(self.score_array(a)?)),
            // A constant is scored once, not once per row.
            ColumnarValue::Scalar(s) => {
                let scored = self.score_array(&s.to_array_of_size(1)?)?;
                Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                    &scored, 0,
                )?))
            }
        }
    }
}

impl ScamscanUdf {
    fn score_array(&self, a: &ArrayRef) -> Result<ArrayRef> {
        match a.data_type() {
            DataType::Utf8 => self.score(a.as_string::<i32>().iter()),
            DataType::LargeUtf8 => self.score(a.as_string::<i64>().iter()),
            DataType::Utf8View => self.score(a.as_string_view().iter()),
            DataType::Null => self.score(std::iter::repeat_n(None, a.len())),
            t => exec_err!("{NAME}(text): text must be Utf8, LargeUtf8 or Utf8View, not {t}"),
        }
    }
}

/// Registers `scamscan(text)` on a session, with the model directory
/// `model` (the built-in model when `None`) and the options' `max_bytes`
/// and `scam_threshold`.
///
/// # Example
///
/// ```
/// use datafusion::execution::FunctionRegistry;
/// let ctx = datafusion::prelude::SessionContext::new();
/// scamscan_datafusion::register(&ctx, None, Default::default())?;
/// assert!(ctx.udf("scamscan").is_ok());
/// let err = scamscan_datafusion::register(&ctx, Some("no/such/model".as_ref()), Default::default()).unwrap_err();
/// assert!(err.to_string().contains("no/such/model"));
/// # Ok::<(), scamscan_datafusion::ModelError>(())
/// ```
pub fn register(
    ctx: &SessionContext,
    model: Option<&Path>,
    options: ClassifyOptions,
) -> Result<(), ModelError> {
    ctx.register_udf(ScamscanUdf::load(model, options)?.into());
    Ok(())
}

/// Registers an already loaded `udf` in any function registry (a session
/// state, Ballista's executor registry); returns the previous function of
/// that name, if any.
///
/// # Example
///
/// ```
/// use datafusion::execution::FunctionRegistry;
/// let mut state = datafusion::execution::SessionStateBuilder::new().build();
/// let udf = scamscan_datafusion::ScamscanUdf::new(scamscan::Classifier::default());
/// scamscan_datafusion::register_in(&mut state, udf)?;
/// assert!(state.udf("scamscan").is_ok());
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn register_in(
    registry: &mut dyn FunctionRegistry,
    udf: ScamscanUdf,
) -> Result<Option<Arc<ScalarUDF>>> {
    registry.register_udf(Arc::new(udf.into()))
}
