//! Stage 2 of the pipeline: **tokenize**.
//!
//! Word tokenization is *defined* by a Hugging Face `tokenizers` pipeline
//! (normalizer + pre-tokenizer), serialized as `tokenizer.json` beside every
//! model, so that any other tool that reads `tokenizer.json` splits text the
//! way scamscan does. The pre-tokenizer is one `Split` whose pattern matches
//! tokens (`invert: true`, delimiters removed):
//!
//! * a single character of a script written without spaces (Han, Kana, Thai,
//!   Lao, Khmer, Myanmar), so Chinese or Thai text becomes a sequence of
//!   characters (word bigrams over them are character bigrams) instead of one
//!   giant token;
//! * a run of letters, marks and digits;
//! * a single punctuation mark or symbol (emoji included).
//!
//! On top of the words, [`entities`] recognizes the things scam scripts rely on
//! (links, phone numbers, money, wallets, messenger invitations, codes...) and
//! emits typed entity tokens for them.

pub mod entities;

use crate::error::{Error, ErrorKind, Result};
pub use entities::{Entity, EntityKind, EntityRecognizer};
use tokenizers::models::wordlevel::WordLevel;
use tokenizers::normalizers::{Lowercase, NFKC, Sequence as NormalizerSequence};
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{
    Normalizer as _, OffsetReferential, OffsetType, PreTokenizedString, PreTokenizer as _,
    SplitDelimiterBehavior,
};

/// Scripts written without spaces between words: one token per character.
const NO_SPACE_SCRIPTS: &str =
    r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}";

/// The pattern of the pre-tokenizer `Split` (it matches tokens, not delimiters).
///
/// Public so that other tools can reproduce scamscan's word split without
/// reading a `tokenizer.json`.
///
/// # Example
///
/// ```
/// let re = regex::Regex::new(&scamscan::tokenize::token_pattern()).unwrap();
/// let tokens: Vec<&str> = re.find_iter("won $500!! 恭喜").map(|m| m.as_str()).collect();
/// assert_eq!(tokens, ["won", "$", "500", "!", "!", "恭", "喜"]);
/// ```
pub fn token_pattern() -> String {
    format!(
        r"[{ns}]|[^\s\p{{P}}\p{{S}}\p{{Cc}}{ns}]+|[\p{{P}}\p{{S}}]",
        ns = NO_SPACE_SCRIPTS
    )
}

/// What kind of token a word token is.
///
/// The featurizer treats the kinds differently: only words get character
/// n-grams, and symbols take no part in word bigrams.
///
/// # Example
///
/// ```
/// use scamscan::tokenize::{TokenKind, Tokenizer};
/// let tokens = Tokenizer::new()?.tokenize("win 💰 中")?;
/// let kinds: Vec<TokenKind> = tokens.words.iter().map(|t| t.kind).collect();
/// assert_eq!(kinds, [TokenKind::Word, TokenKind::Symbol, TokenKind::Glyph]);
/// # Ok::<(), scamscan::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A run of letters, marks and digits.
    Word,
    /// One character of a script written without spaces.
    Glyph,
    /// One punctuation mark or symbol, emoji included.
    Symbol,
}

/// A word token: a byte range of the normalized text.
///
/// A range rather than a string, so that tokenizing allocates nothing per
/// token and explanations can map tokens back to the original text.
///
/// # Example
///
/// ```
/// use scamscan::tokenize::Tokenizer;
/// let text = "pay now";
/// let tokens = Tokenizer::new()?.tokenize(text)?;
/// let t = tokens.words[1];
/// assert_eq!((t.start, t.end, &text[t.start..t.end]), (4, 7, "now"));
/// # Ok::<(), scamscan::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Start byte in the normalized text.
    pub start: usize,
    /// End byte (exclusive) in the normalized text.
    pub end: usize,
    /// What kind of token it is.
    pub kind: TokenKind,
}

/// The tokens of one normalized text.
///
/// Words and entities are kept apart because they overlap: `bit.ly/x9` is
/// five word tokens and one link entity, and both kinds of feature count.
///
/// # Example
///
/// ```
/// use scamscan::tokenize::Tokenizer;
/// let tokens = Tokenizer::new()?.tokenize("call +1 555 0100 now")?;
/// assert!(tokens.words.len() >= 5);
/// assert!(!tokens.entities.is_empty());
/// # Ok::<(), scamscan::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    /// Word tokens in text order.
    pub words: Vec<Token>,
    /// Entities in text order (they may overlap word tokens and each other).
    pub entities: Vec<Entity>,
}

/// The tokenizer: the `tokenizers` pipeline plus the entity recognizer.
///
/// # Example
///
/// ```
/// use scamscan::tokenize::Tokenizer;
/// let t = Tokenizer::new()?;
/// let text = "claim at bit.ly/x9 今天有空";
/// let tokens = t.tokenize(text)?;
/// let words: Vec<&str> = tokens.words.iter().map(|w| &text[w.start..w.end]).collect();
/// assert_eq!(words, ["claim", "at", "bit", ".", "ly", "/", "x9", "今", "天", "有", "空"]);
/// assert!(tokens.entities.iter().any(|e| e.features.iter().any(|f| f == "url:shortener")));
/// # Ok::<(), scamscan::Error>(())
/// ```
#[derive(Clone)]
pub struct Tokenizer {
    hf: tokenizers::Tokenizer,
    /// The same word split as `hf`, without its per-byte alignment
    /// bookkeeping; present only when `hf` is exactly scamscan's own pipeline.
    fast: Option<FastSplit>,
    entities: EntityRecognizer,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer").finish_non_exhaustive()
    }
}

impl Tokenizer {
    /// The tokenizer scamscan trains with: builds the `tokenizers` pipeline in code.
    ///
    /// Built in code rather than read from a file so that training needs no
    /// file; the result is saved as `tokenizer.json` beside the model.
    ///
    /// # Example
    ///
    /// ```
    /// let t = scamscan::tokenize::Tokenizer::new()?;
    /// assert_eq!(t.tokenize("hello world")?.words.len(), 2);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn new() -> Result<Self> {
        let mut hf = tokenizers::Tokenizer::new(
            WordLevel::builder()
                .vocab([("[UNK]".to_string(), 0u32)].into_iter().collect())
                .unk_token("[UNK]".to_string())
                .build()
                .map_err(tok_err)?,
        );
        hf.with_normalizer(Some(NormalizerSequence::new(vec![
            NFKC.into(),
            Lowercase.into(),
        ])));
        let split = Split::new(
            SplitPattern::Regex(token_pattern()),
            SplitDelimiterBehavior::Removed,
            true,
        )
        .map_err(tok_err)?;
        hf.with_pre_tokenizer(Some(split));
        Ok(Tokenizer {
            fast: FastSplit::for_pipeline(&hf),
            hf,
            entities: EntityRecognizer::new(),
        })
    }

    /// Loads the pipeline from the bytes of a `tokenizer.json`.
    ///
    /// A model is scored with the tokenizer it was saved with, not with the
    /// one this build would construct, so a model keeps scoring the same
    /// after the built-in pipeline changes. A definition without a
    /// pre-tokenizer is refused: it would make the whole text one token.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::tokenize::Tokenizer;
    /// let json = Tokenizer::new()?.to_json()?;
    /// let t = Tokenizer::from_json(json.as_bytes())?;
    /// assert_eq!(t.tokenize("verify now!")?.words.len(), 3);
    /// assert!(Tokenizer::from_json(b"{not json").is_err());
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    ///
    /// A `tokenizer.json` from an untrusted model directory is checked before
    /// the `tokenizers` library sees it: that library's deserializers panic on
    /// some malformed input (a syntax error inside `"decoder"`, a bad
    /// `Precompiled` normalizer; found by fuzzing), so the JSON must parse,
    /// and only the components a scamscan tokenizer can use are accepted
    /// ([`check_definition`]). Any panic left is caught and made an error.
    ///
    /// ```
    /// use scamscan::tokenize::Tokenizer;
    /// let err = Tokenizer::from_json(br#"{"model":{"type":"BPE"},"pre_tokenizer":{"type":"Whitespace"}}"#).unwrap_err();
    /// assert!(err.to_string().contains("model type \"BPE\""), "{err}");
    /// ```
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| Error::new(ErrorKind::Tokenizer(format!("invalid JSON: {e}"))))?;
        check_definition(&value).map_err(|e| Error::new(ErrorKind::Tokenizer(e)))?;
        // A safety net for panics in deserializers the check lets through.
        // Unwind safety: nothing is shared with the closure but the input bytes.
        let hf = std::panic::catch_unwind(|| tokenizers::Tokenizer::from_bytes(bytes))
            .map_err(|_| {
                Error::new(ErrorKind::Tokenizer(
                    "tokenizer.json could not be read (the tokenizers library panicked on it)"
                        .into(),
                ))
            })?
            .map_err(tok_err)?;
        if hf.get_pre_tokenizer().is_none() {
            return Err(Error::new(ErrorKind::Tokenizer(
                "tokenizer.json has no pre_tokenizer".into(),
            )));
        }
        Ok(Tokenizer {
            fast: FastSplit::for_pipeline(&hf),
            hf,
            entities: EntityRecognizer::new(),
        })
    }

    /// True when this tokenizer's `tokenizer.json` is scamscan's own
    /// pipeline, so that word splitting can take the fast path (see
    /// [`Tokenizer::tokenize_into`]).
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::tokenize::Tokenizer;
    /// assert!(Tokenizer::new()?.has_fast_path());
    /// // Another definition (here without the normalizer) is always run through `tokenizers`.
    /// let mut v: serde_json::Value = serde_json::from_str(&Tokenizer::new()?.to_json()?).unwrap();
    /// v["normalizer"] = serde_json::Value::Null;
    /// let other = Tokenizer::from_json(v.to_string().as_bytes())?;
    /// assert!(!other.has_fast_path());
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn has_fast_path(&self) -> bool {
        self.fast.is_some()
    }

    /// Serializes the pipeline as `tokenizer.json`.
    ///
    /// # Example
    ///
    /// ```
    /// let json = scamscan::tokenize::Tokenizer::new()?.to_json()?;
    /// let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    /// assert_eq!(v["pre_tokenizer"]["type"], "Split");
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn to_json(&self) -> Result<String> {
        self.hf.to_string(true).map_err(tok_err)
    }

    /// Splits already-normalized text into word tokens and entities.
    ///
    /// Feed it the output of [`Normalizer`](crate::normalize::Normalizer):
    /// the entity patterns expect lower-case text without look-alike letters.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{normalize::Normalizer, tokenize::Tokenizer};
    /// let norm = Normalizer::default().normalize("ＶＥＲＩＦＹ at secure-login.xyz");
    /// let tokens = Tokenizer::new()?.tokenize(norm.text())?;
    /// let first = tokens.words[0];
    /// assert_eq!(&norm.text()[first.start..first.end], "verify");
    /// assert!(tokens.entities.iter().any(|e| e.features.iter().any(|f| f.starts_with("url"))));
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn tokenize(&self, normalized: &str) -> Result<Tokens> {
        let mut tokens = Tokens::default();
        self.tokenize_into(normalized, &mut tokens)?;
        Ok(tokens)
    }

    /// Like [`Tokenizer::tokenize`], reusing `out`'s buffers (cleared first),
    /// so that a loop over many messages does not allocate per message.
    ///
    /// When the tokenizer is scamscan's own pipeline ([`Tokenizer::has_fast_path`])
    /// and the text is already NFKC and lower case, words are split by a fast
    /// path that gives exactly the tokens of the `tokenizers` pipeline
    /// ([`Tokenizer::pipeline_words_into`]; a property test over random and
    /// adversarial Unicode checks this); otherwise the pipeline itself runs.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::tokenize::{Tokenizer, Tokens};
    /// let t = Tokenizer::new()?;
    /// let mut out = Tokens::default();
    /// t.tokenize_into("one two three", &mut out)?;
    /// t.tokenize_into("four", &mut out)?;
    /// assert_eq!(out.words.len(), 1);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn tokenize_into(&self, normalized: &str, out: &mut Tokens) -> Result<()> {
        out.words.clear();
        out.entities.clear();
        match &self.fast {
            Some(fast) if fast.applies_to(normalized) => {
                fast.split_into(normalized, &mut out.words)
            }
            _ => self.pipeline_words_into(normalized, &mut out.words)?,
        }
        self.entities.recognize_into(normalized, &mut out.entities);
        Ok(())
    }

    /// The word tokens as the `tokenizers` pipeline itself produces them,
    /// never taking the fast path: the definition the fast path is checked
    /// against (`tests/tokenize_fast_path.rs`), and the baseline of the
    /// benchmarks. [`Tokenizer::tokenize_into`] gives the same tokens, faster.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::tokenize::Tokenizer;
    /// let t = Tokenizer::new()?;
    /// let text = "ｗｉｎ ＄500 now!! 恭喜";
    /// let mut words = Vec::new();
    /// t.pipeline_words_into(text, &mut words)?;
    /// assert_eq!(words, t.tokenize(text)?.words);
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn pipeline_words_into(&self, normalized: &str, words: &mut Vec<Token>) -> Result<()> {
        words.clear();
        let mut pts = PreTokenizedString::from(normalized);
        if let Some(n) = self.hf.get_normalizer() {
            pts.normalize(|s| n.normalize(s)).map_err(tok_err)?;
        }
        if let Some(p) = self.hf.get_pre_tokenizer() {
            p.pre_tokenize(&mut pts).map_err(tok_err)?;
        }
        for (piece, (start, end), _) in
            pts.get_splits(OffsetReferential::Original, OffsetType::Byte)
        {
            if start >= end || piece.is_empty() {
                continue;
            }
            words.push(Token {
                start,
                end,
                kind: token_kind(piece),
            });
        }
        Ok(())
    }
}

/// The fast path of word splitting.
///
/// The `tokenizers` pipeline copies the text into a `NormalizedString` with
/// an alignment entry per byte, runs NFKC and lower-casing over it, then
/// splits, tracking every offset through each step: several times the cost
/// of the split itself. On text that NFKC and lower-casing leave unchanged
/// (what [`Normalizer`](crate::normalize::Normalizer) produces, almost
/// always), all of that is the identity, and the tokens are exactly the
/// matches of the `Split` pattern over the text itself: found by a byte
/// loop on ASCII text ([`split_ascii`]) and through the pattern's character
/// classes on other text ([`TokenClasses`]). Any other text goes through
/// the pipeline.
#[derive(Debug, Clone)]
struct FastSplit {
    /// The pattern's character classes. Built at the first non-ASCII text,
    /// not at start-up: a run of ASCII text never needs them, and a cold
    /// start on one message should not wait for them.
    classes: std::sync::Arc<std::sync::OnceLock<TokenClasses>>,
}

impl FastSplit {
    /// The fast path for `hf`, if `hf` is exactly the pipeline
    /// [`Tokenizer::new`] builds (compared on their serialized form, so a
    /// `tokenizer.json` edited in any way runs through `tokenizers`).
    fn for_pipeline(hf: &tokenizers::Tokenizer) -> Option<FastSplit> {
        let normalizer = serde_json::to_value(hf.get_normalizer()?).ok()?;
        let pre_tokenizer = serde_json::to_value(hf.get_pre_tokenizer()?).ok()?;
        let known_normalizer = serde_json::json!({
            "type": "Sequence",
            "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}],
        });
        let known_pre_tokenizer = serde_json::json!({
            "type": "Split",
            "pattern": {"Regex": token_pattern()},
            "behavior": "Removed",
            "invert": true,
        });
        if normalizer != known_normalizer || pre_tokenizer != known_pre_tokenizer {
            return None;
        }
        Some(FastSplit {
            classes: Default::default(),
        })
    }

    /// True when NFKC followed by lower-casing leaves `text` unchanged, so
    /// that the pipeline's offsets are the identity.
    fn applies_to(&self, text: &str) -> bool {
        if text.is_ascii() {
            return !text.bytes().any(|b| b.is_ascii_uppercase());
        }
        // `tokenizers` lower-cases character by character (no final-sigma
        // rule), so a character is stable when it is its own lower case.
        let lower = text.chars().all(|c| {
            if c.is_ascii() {
                return !c.is_ascii_uppercase();
            }
            let mut l = c.to_lowercase();
            l.next() == Some(c) && l.next().is_none()
        });
        lower && unicode_normalization::is_nfkc(text)
    }

    fn split_into(&self, text: &str, words: &mut Vec<Token>) {
        if text.is_ascii() {
            return split_ascii(text.as_bytes(), words);
        }
        self.classes
            .get_or_init(|| {
                // `token_classes_split_as_the_pattern_on_every_character`
                // checks the pattern has the form and the classes its matches.
                TokenClasses::of_pattern(&token_pattern())
                    .expect("the token pattern is [A]|[B]+|[C]")
            })
            .split(text, words);
    }
}

/// The [`token_pattern`] as a character classifier.
///
/// The pattern is `[A]|[B]+|[C]` with three character classes, where `B`
/// shares no character with `A` or `C`: its matches are each character of
/// `A` or `C` on its own, and each maximal run of characters of `B`; any
/// other character separates tokens. So the split is one pass over the
/// characters with a class per character, which on non-ASCII text costs a
/// fraction of the regex search per match (a forward and a reverse DFA
/// search, whose states for these large Unicode classes also crowd its
/// cache). The classes are the ones `regex-syntax` resolves the pattern's
/// `\s`, `\p{P}`, scripts and so on to, the same crate the regex engine
/// compiles them with, so the two cannot disagree on a character.
#[derive(Debug)]
struct TokenClasses {
    /// The class of each character below U+10000.
    bmp: Vec<u8>,
    /// `(first, last, class)` of the character ranges above U+FFFF, sorted.
    astral: Vec<(u32, u32, u8)>,
}

/// Characters that separate tokens: in none of the pattern's classes.
const SEPARATOR: u8 = 0;
/// Characters that are a token on their own (classes `A` and `C`).
const SINGLE: u8 = 1;
/// Characters that make up words (class `B`).
const WORD_CHAR: u8 = 2;

impl TokenClasses {
    /// The classes of `pattern`, if it has the form `[A]|[B]+|[C]` with `B`
    /// apart from `A` and `C`; `None` for a pattern of another form.
    fn of_pattern(pattern: &str) -> Option<TokenClasses> {
        use regex_syntax::hir::{Class, ClassUnicode, HirKind};
        let hir = regex_syntax::parse(pattern).ok()?;
        let class = |h: &regex_syntax::hir::Hir| match h.kind() {
            HirKind::Class(Class::Unicode(c)) => Some(c.clone()),
            _ => None,
        };
        let HirKind::Alternation(alts) = hir.kind() else {
            return None;
        };
        let [a, b, c] = alts.as_slice() else {
            return None;
        };
        let (a, c) = (class(a)?, class(c)?);
        let HirKind::Repetition(rep) = b.kind() else {
            return None;
        };
        if rep.min != 1 || rep.max.is_some() || !rep.greedy {
            return None;
        }
        let b = class(&rep.sub)?;
        let apart = |x: &ClassUnicode| {
            let mut both = b.clone();
            both.intersect(x);
            both.ranges().is_empty()
        };
        if !apart(&a) || !apart(&c) {
            return None;
        }
        // Two disjoint sets, each a sorted list of disjoint ranges, so the
        // ranges above U+FFFF are disjoint once sorted together.
        let mut single = a;
        single.union(&c);
        let mut bmp = vec![SEPARATOR; 0x10000];
        let mut astral = Vec::new();
        for (set, tag) in [(&single, SINGLE), (&b, WORD_CHAR)] {
            for r in set.ranges() {
                let (lo, hi) = (u32::from(r.start()), u32::from(r.end()));
                if lo < 0x10000 {
                    bmp[lo as usize..=hi.min(0xFFFF) as usize].fill(tag);
                }
                if hi >= 0x10000 {
                    astral.push((lo.max(0x10000), hi, tag));
                }
            }
        }
        astral.sort_unstable();
        Some(TokenClasses { bmp, astral })
    }

    fn class_of(&self, c: char) -> u8 {
        let c = u32::from(c);
        match self.bmp.get(c as usize) {
            Some(&tag) => tag,
            None => {
                let at = self.astral.partition_point(|&(_, hi, _)| hi < c);
                match self.astral.get(at) {
                    Some(&(lo, _, tag)) if lo <= c => tag,
                    _ => SEPARATOR,
                }
            }
        }
    }

    /// The pattern's matches in `text`, as tokens, appended to `words`.
    fn split(&self, text: &str, words: &mut Vec<Token>) {
        let token = |start: usize, end: usize| Token {
            start,
            end,
            kind: token_kind(&text[start..end]),
        };
        let mut run: Option<usize> = None;
        for (i, c) in text.char_indices() {
            let class = self.class_of(c);
            if class == WORD_CHAR {
                run.get_or_insert(i);
                continue;
            }
            if let Some(start) = run.take() {
                words.push(token(start, i));
            }
            if class == SINGLE {
                words.push(token(i, i + c.len_utf8()));
            }
        }
        if let Some(start) = run {
            words.push(token(start, text.len()));
        }
    }
}

/// The matches of [`token_pattern`] on ASCII text, found byte by byte.
///
/// On ASCII the pattern reads simply: a run of letters and digits is a word,
/// every punctuation mark or symbol is a token of its own, and white space
/// and control characters separate tokens (every other ASCII character is a
/// punctuation mark or a symbol in Unicode). Most messages are ASCII after
/// normalization, and this loop is several times faster than the regex.
fn split_ascii(text: &[u8], words: &mut Vec<Token>) {
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if b.is_ascii_alphanumeric() {
            let start = i;
            while i < text.len() && text[i].is_ascii_alphanumeric() {
                i += 1;
            }
            words.push(Token {
                start,
                end: i,
                kind: TokenKind::Word,
            });
            continue;
        }
        if b.is_ascii_punctuation() {
            words.push(Token {
                start: i,
                end: i + 1,
                kind: TokenKind::Symbol,
            });
        }
        i += 1;
    }
}

/// Normalizers accepted in `tokenizer.json`: every one whose deserializer
/// returns errors rather than panicking (so not `Precompiled`).
const NORMALIZERS: &[&str] = &[
    "Sequence",
    "NFC",
    "NFD",
    "NFKC",
    "NFKD",
    "Lowercase",
    "StripAccents",
    "Strip",
    "Replace",
    "Prepend",
    "BertNormalizer",
    "Nmt",
];

/// Pre-tokenizers accepted in `tokenizer.json`: the ones that split text
/// into words without a vocabulary.
const PRE_TOKENIZERS: &[&str] = &[
    "Sequence",
    "Split",
    "Whitespace",
    "WhitespaceSplit",
    "Punctuation",
    "Digits",
    "UnicodeScripts",
    "BertPreTokenizer",
    "CharDelimiterSplit",
];

/// Checks that a `tokenizer.json` uses only what a scamscan tokenizer can
/// use: a `WordLevel` model (scamscan never looks words up, so no other
/// model is needed), normalizers and pre-tokenizers from two fixed lists
/// (those whose deserializers return errors rather than panic, and that
/// split text into words without a vocabulary), and no decoder or
/// post-processor (scamscan never decodes). Every component must name its `type`.
///
/// An allow-list rather than trusting the `tokenizers` library with any
/// file: its deserializers are not hardened against hostile input.
///
/// # Example
///
/// ```
/// use scamscan::tokenize::{check_definition, Tokenizer};
/// let ours: serde_json::Value = serde_json::from_str(&Tokenizer::new()?.to_json()?).unwrap();
/// assert!(check_definition(&ours).is_ok());
/// let precompiled = serde_json::json!({"model": {"type": "WordLevel"}, "normalizer": {"type": "Precompiled"}});
/// assert!(check_definition(&precompiled).is_err());
/// # Ok::<(), scamscan::Error>(())
/// ```
pub fn check_definition(v: &serde_json::Value) -> std::result::Result<(), String> {
    let obj = v.as_object().ok_or("tokenizer.json is not a JSON object")?;
    match obj
        .get("model")
        .and_then(|m| m.get("type"))
        .and_then(|t| t.as_str())
    {
        Some("WordLevel") => {}
        Some(other) => {
            return Err(format!(
                "model type {other:?} is not supported (WordLevel only)"
            ));
        }
        None => return Err("no model type".into()),
    }
    for field in ["decoder", "post_processor"] {
        if obj.get(field).is_some_and(|d| !d.is_null()) {
            return Err(format!(
                "a {field} is not supported (scamscan neither decodes nor post-processes)"
            ));
        }
    }
    fn component(
        v: &serde_json::Value,
        what: &str,
        allowed: &[&str],
        list: &str,
        depth: usize,
    ) -> std::result::Result<(), String> {
        if depth > 8 {
            return Err(format!("{what}s nested more than 8 deep"));
        }
        let ty = v
            .get("type")
            .and_then(|t| t.as_str())
            .ok_or_else(|| format!("a {what} without a type"))?;
        if !allowed.contains(&ty) {
            return Err(format!("{what} type {ty:?} is not supported"));
        }
        if ty == "Sequence" {
            let items = v
                .get(list)
                .and_then(|l| l.as_array())
                .ok_or_else(|| format!("a {what} Sequence without {list:?}"))?;
            for item in items {
                component(item, what, allowed, list, depth + 1)?;
            }
        }
        Ok(())
    }
    if let Some(n) = obj.get("normalizer").filter(|n| !n.is_null()) {
        component(n, "normalizer", NORMALIZERS, "normalizers", 0)?;
    }
    if let Some(p) = obj.get("pre_tokenizer").filter(|p| !p.is_null()) {
        component(p, "pre-tokenizer", PRE_TOKENIZERS, "pretokenizers", 0)?;
    }
    Ok(())
}

fn token_kind(piece: &str) -> TokenKind {
    let mut chars = piece.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if is_no_space_script(c) => TokenKind::Glyph,
        (Some(c), None) if !c.is_alphanumeric() => TokenKind::Symbol,
        _ => TokenKind::Word,
    }
}

/// True for characters of the scripts in [`NO_SPACE_SCRIPTS`].
pub(crate) fn is_no_space_script(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF | 0x3005..=0x3007 | 0x3021..=0x3029 | 0x3038..=0x303B | 0x3040..=0x30FF
        | 0x31F0..=0x31FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF66..=0xFF9F
        | 0x20000..=0x3134F | 0x0E00..=0x0EFF | 0x1780..=0x17FF | 0x19E0..=0x19FF | 0x1000..=0x109F
        | 0xA9E0..=0xA9FF | 0xAA60..=0xAA7F)
}

fn tok_err(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Tokenizer(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The classifier splits as the regex does, on a text of every Unicode
    /// scalar value in order (so every class boundary is crossed), and once
    /// more with the characters separated by spaces.
    #[test]
    fn token_classes_split_as_the_pattern_on_every_character() {
        let classes = TokenClasses::of_pattern(&token_pattern()).expect("the expected form");
        let regex = regex::Regex::new(&token_pattern()).unwrap();
        let all: String = (0..=0x10FFFFu32).filter_map(char::from_u32).collect();
        let spaced: String = all.chars().flat_map(|c| [c, ' ']).collect();
        for text in [&all, &spaced] {
            let mut fast = Vec::new();
            classes.split(text, &mut fast);
            let spans: Vec<(usize, usize)> = fast.iter().map(|t| (t.start, t.end)).collect();
            let want: Vec<(usize, usize)> = regex
                .find_iter(text)
                .map(|m| (m.start(), m.end()))
                .collect();
            assert_eq!(spans.len(), want.len());
            assert!(spans == want);
        }
        // A pattern of another form is left to the regex.
        assert!(TokenClasses::of_pattern(r"\w+|[\p{P}]").is_none());
        assert!(TokenClasses::of_pattern(r"[a-z]|[a-c]+|[.]").is_none());
    }

    fn words(text: &str) -> Vec<String> {
        let t = Tokenizer::new().unwrap();
        t.tokenize(text)
            .unwrap()
            .words
            .iter()
            .map(|w| text[w.start..w.end].to_string())
            .collect()
    }

    #[test]
    fn splits_words_punctuation_and_emoji() {
        assert_eq!(
            words("hi!! you won 💰 $500"),
            ["hi", "!", "!", "you", "won", "💰", "$", "500"]
        );
    }

    #[test]
    fn thai_and_chinese_are_not_one_token() {
        let th = words("สวัสดีครับ");
        assert!(th.len() >= 5, "{th:?}");
        assert_eq!(words("恭喜您中奖"), ["恭", "喜", "您", "中", "奖"]);
        assert_eq!(words("chúc mừng"), ["chúc", "mừng"]);
    }

    #[test]
    fn json_round_trip_gives_the_same_tokens() {
        let t = Tokenizer::new().unwrap();
        let json = t.to_json().unwrap();
        let back = Tokenizer::from_json(json.as_bytes()).unwrap();
        let text = "verify at paypal-secure.xyz/login now!! 验证码 123456";
        let a: Vec<_> = t.tokenize(text).unwrap().words;
        let b: Vec<_> = back.tokenize(text).unwrap().words;
        assert_eq!(a, b);
    }

    #[test]
    fn fast_path_applies_to_normalizer_output_only() {
        let t = Tokenizer::new().unwrap();
        let fast = t.fast.as_ref().expect("the built pipeline has a fast path");
        let n = crate::normalize::Normalizer::default();
        for raw in [
            "Ｖｅｒｉｆｙ your ρaypal account at secure-login.xyz!!",
            "Привет, как дела? 恭喜您中奖 สวัสดีครับ नमस्ते 👋🏽",
            "Café Über ﬁnal 𝐅𝐑𝐄𝐄 ①②",
        ] {
            assert!(fast.applies_to(n.normalize(raw).text()), "{raw}");
        }
        for raw in ["Hello", "ﬁnal", "Ａ", "Σ", "e\u{301}"] {
            assert!(!fast.applies_to(raw), "{raw}");
        }
        assert!(fast.applies_to("hello, world") && fast.applies_to(""));
    }

    #[test]
    fn bad_json_is_an_error() {
        assert!(Tokenizer::from_json(b"{not json").is_err());
    }
}
