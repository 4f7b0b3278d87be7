//! The labels: the three verdicts (and `unsure`) and the scam taxonomy.
//!
//! A leaf of the library: every stage that names a class takes it from here.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// The three verdicts.
///
/// Spam is kept apart from scam because most spam is legal marketing: a
/// filter may quarantine it, but only a scam should raise an alarm. Parsing
/// accepts the synonyms public corpora use (`legit`, `fraud`, `phishing`,
/// `0`/`1`...), so that corpora can be read without relabeling.
///
/// # Example
///
/// ```
/// use scamscan::Label;
/// assert_eq!("Phishing".parse::<Label>()?, Label::Scam);
/// assert_eq!(Label::Spam.to_string(), "spam");
/// assert!("maybe".parse::<Label>().is_err());
/// # Ok::<(), scamscan::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    /// A legitimate message.
    Ham,
    /// Unsolicited bulk or marketing; may still be a scam.
    Spam,
    /// A fraud attempt.
    Scam,
    /// A decision only, never a training label: the message is too unlike
    /// anything the model was trained on (an unfamiliar language, say) for
    /// its scores to mean much. The classifier decides it from the share of
    /// the message's words it knows (the `vocabulary` stage).
    Unsure,
}

impl Label {
    /// All labels, in class-index order.
    pub const ALL: [Label; 3] = [Label::Ham, Label::Spam, Label::Scam];

    /// The class index used by the model: the position of this label in
    /// probability arrays and weight columns. [`Label::Unsure`], a decision
    /// and not a class, has index 3, past the model's classes.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::Label;
    /// assert_eq!(Label::Scam.index(), 2);
    /// assert_eq!(Label::ALL[Label::Spam.index()], Label::Spam);
    /// ```
    pub fn index(self) -> usize {
        self as usize
    }

    /// Spam or scam: what a filter would act on. Ham and unsure are not.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::Label;
    /// assert!(Label::Spam.is_flagged() && !Label::Unsure.is_flagged());
    /// ```
    pub fn is_flagged(self) -> bool {
        matches!(self, Label::Spam | Label::Scam)
    }

    /// The lower-case name, as in the corpus schema and the CLI's output.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(scamscan::Label::Ham.as_str(), "ham");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Ham => "ham",
            Label::Spam => "spam",
            Label::Scam => "scam",
            Label::Unsure => "unsure",
        }
    }
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Label {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ham" | "legit" | "legitimate" | "0" => Ok(Label::Ham),
            "spam" | "promo" => Ok(Label::Spam),
            "scam" | "fraud" | "smishing" | "phishing" | "1" => Ok(Label::Scam),
            other => Err(Error::parse(format!(
                "unknown label {other:?} (expected scam, spam or ham)"
            ))),
        }
    }
}

/// Parsed as [`Label::from_str`](std::str::FromStr): the synonyms are
/// accepted in JSON as in CSV, and `unsure`, a decision, is not a label.
impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What a labeled row says its class is: one [`Label`], or only that the
/// message is unwanted (spam or scam) without saying which.
///
/// Several public corpora label everything unwanted `spam`, marketing and
/// fraud alike: their rows are [`Target::Unwanted`] (see the trainer's
/// partial labels), and the scam-against-marketing boundary is learned from
/// the rows that do say which.
///
/// # Example
///
/// ```
/// use scamscan::label::{Label, Target};
/// assert!(Target::Unwanted.allows(Label::Scam) && Target::Unwanted.allows(Label::Spam));
/// assert!(!Target::Label(Label::Ham).allows(Label::Spam));
/// assert_eq!(Target::Unwanted.classes(), [Label::Spam, Label::Scam]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// The row's label is known.
    Label(Label),
    /// Spam or scam, not known which.
    Unwanted,
}

impl Target {
    /// The classes the row may belong to, in class-index order.
    pub fn classes(self) -> Vec<Label> {
        Label::ALL.into_iter().filter(|&l| self.allows(l)).collect()
    }

    /// Whether the row may belong to class `l`.
    pub fn allows(self, l: Label) -> bool {
        match self {
            Target::Label(t) => t == l,
            Target::Unwanted => matches!(l, Label::Spam | Label::Scam),
        }
    }

    /// The one label, when known.
    pub fn label(self) -> Option<Label> {
        match self {
            Target::Label(l) => Some(l),
            Target::Unwanted => None,
        }
    }
}

/// The scam taxonomy.
///
/// Naming the kind of scam tells a user what the sender is after (a
/// payment, a login, a deposit), which a bare score does not.
///
/// # Example
///
/// ```
/// use scamscan::Category;
/// assert_eq!("tech_support".parse::<Category>()?, Category::TechSupport);
/// assert_eq!(Category::AdvanceFee.to_string(), "advance_fee");
/// # Ok::<(), scamscan::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Fake job and task offers.
    Job,
    /// Bank or account impersonation, credential phishing.
    Bank,
    /// Crypto, investment, pig-butchering, recovery scams.
    Investment,
    /// Parcel, toll and postal lures.
    Delivery,
    /// Lottery, prize, reward, gift.
    Prize,
    /// Tax, police, government impersonation.
    Government,
    /// Romance and wrong-number openers.
    Romance,
    /// Loan and credit offers.
    Loan,
    /// Fake technical support.
    TechSupport,
    /// Threats and sextortion.
    Extortion,
    /// 419, inheritance, advance-fee.
    AdvanceFee,
    /// Other fraud.
    Other,
}

impl Category {
    /// All categories, in class-index order.
    pub const ALL: [Category; 12] = [
        Category::Job,
        Category::Bank,
        Category::Investment,
        Category::Delivery,
        Category::Prize,
        Category::Government,
        Category::Romance,
        Category::Loan,
        Category::TechSupport,
        Category::Extortion,
        Category::AdvanceFee,
        Category::Other,
    ];

    /// The class index used by the category head.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::Category;
    /// assert_eq!(Category::Job.index(), 0);
    /// assert_eq!(Category::ALL[Category::Loan.index()], Category::Loan);
    /// ```
    pub fn index(self) -> usize {
        self as usize
    }

    /// The snake_case name used in the schema.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(scamscan::Category::TechSupport.as_str(), "tech_support");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Job => "job",
            Category::Bank => "bank",
            Category::Investment => "investment",
            Category::Delivery => "delivery",
            Category::Prize => "prize",
            Category::Government => "government",
            Category::Romance => "romance",
            Category::Loan => "loan",
            Category::TechSupport => "tech_support",
            Category::Extortion => "extortion",
            Category::AdvanceFee => "advance_fee",
            Category::Other => "other",
        }
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Category {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim().to_ascii_lowercase();
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| Error::parse(format!("unknown category {s:?}")))
    }
}

impl Category {
    /// A category cell as corpora write it: empty, `null` or `none` (any
    /// case) is no category, anything else must name one.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::Category;
    /// assert_eq!(Category::parse_optional(" Loan ")?, Some(Category::Loan));
    /// assert_eq!(Category::parse_optional("NULL")?, None);
    /// assert!(Category::parse_optional("lottery").is_err());
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn parse_optional(s: &str) -> Result<Option<Category>> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "null" | "none" => Ok(None),
            other => other.parse().map(Some),
        }
    }
}

/// Deserializes an optional [`Category`] as [`Category::parse_optional`]
/// reads a cell (`null` or a missing field is none too). For
/// `#[serde(deserialize_with = ...)]` on schema fields.
pub(crate) fn optional_category<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Category>, D::Error> {
    match Option::<std::borrow::Cow<str>>::deserialize(d)? {
        None => Ok(None),
        Some(s) => Category::parse_optional(&s).map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_labels_and_categories() {
        assert_eq!("SCAM".parse::<Label>().unwrap(), Label::Scam);
        assert!("weird".parse::<Label>().is_err());
        assert_eq!(
            "tech_support".parse::<Category>().unwrap(),
            Category::TechSupport
        );
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>().unwrap(), c);
            assert_eq!(Category::ALL[c.index()], c);
        }
    }
}
