//! Stage 1 of the pipeline: **normalize**.
//!
//! Scam scripts hide their words from filters: `ρaypal` with a Greek rho,
//! `v​erify` with a zero-width space, `Ｃｌａｉｍ` in full-width letters,
//! `𝐟𝐫𝐞𝐞` in mathematical bold. The normalizer folds all of these onto the
//! plain lower-case Latin spelling, and remembers for every output byte where it
//! came from in the original text, so that explanations can point at the exact
//! span the user sees.
//!
//! Per character, in order:
//! 1. zero-width, bidi-control, variation-selector and other invisible format
//!    characters are removed; control characters and all Unicode white space
//!    become a plain space;
//! 2. Unicode NFKC (compatibility folding: full-width, ligatures, math letters,
//!    circled letters...);
//! 3. accents are stripped from Latin, Greek and Cyrillic letters (NFD, then the
//!    combining marks are dropped). Other scripts keep their marks: a Thai or
//!    Devanagari vowel sign is part of the letter, not an accent;
//! 4. confusables and homoglyphs are folded with `decancer`: always for
//!    Latin-extended and symbol look-alikes, and for Greek, Cyrillic, Armenian
//!    and Cherokee letters only when the message is mostly Latin, so a Russian
//!    or Greek message stays Russian or Greek while `ρaypal` becomes `paypal`;
//! 5. lower-casing.
//!
//! The work is per character (NFKC is applied to one character at a time) so
//! that the offset map stays exact. The only difference from whole-string NFKC
//! is that canonical *composition* across characters is skipped, which does not
//! matter once accents are stripped.

use crate::regexes::Lazy;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Options of the normalizer.
///
/// Both are on by default; they exist so that a model trained on text where
/// accents or look-alike letters carry meaning can keep them. The options are
/// stored in the model file, because a model only scores well on text
/// normalized the way its training text was.
///
/// # Example
///
/// ```
/// use scamscan::normalize::{Normalizer, NormalizerConfig};
/// let keep = NormalizerConfig { fold_confusables: false, ..NormalizerConfig::default() };
/// assert_eq!(Normalizer::new(keep).normalize("ρaypal").text(), "ρaypal");
/// assert_eq!(Normalizer::default().normalize("ρaypal").text(), "paypal");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NormalizerConfig {
    /// Fold homoglyphs and confusables (see the module docs).
    pub fold_confusables: bool,
    /// Strip accents from Latin, Greek and Cyrillic letters.
    ///
    /// Folding confusables also folds accented Latin letters (`é` is a
    /// look-alike of `e`), so Latin accents are kept only with both options off.
    pub strip_accents: bool,
    /// Undo the tricks scam senders use to slip past word filters, after the
    /// per-character steps: letters spaced apart (`c l a i m` → `claim`),
    /// defanged or spaced links (`hxxp`, `site[.]top`, `site . com` →
    /// `site.com`), and symbol leetspeak between letters (`p@yp@l`, `c|ick`).
    /// Digit leetspeak (`fr33`) is folded by the featurizer instead, so that
    /// numbers, phones and amounts reach the entity recognizer untouched.
    ///
    /// Off when missing from a stored model: models trained before it existed
    /// saw text without it.
    #[serde(default)]
    pub unmask: bool,
}

impl Default for NormalizerConfig {
    fn default() -> Self {
        NormalizerConfig {
            fold_confusables: true,
            strip_accents: true,
            unmask: true,
        }
    }
}

/// A normalized text with a map back to the original.
///
/// The map is what lets an explanation underline `ｈｅｒｅ` in the message the
/// user received although the model saw `here`.
///
/// # Example
///
/// ```
/// use scamscan::normalize::Normalizer;
/// let original = "Ｃｌａｉｍ now";
/// let n = Normalizer::default().normalize(original);
/// assert_eq!(n.text(), "claim now");
/// let (s, e) = n.original_span(0, 5);
/// assert_eq!(&original[s..e], "Ｃｌａｉｍ");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalized {
    text: String,
    /// Normalization stopped at [`MAX_EXPANSION`] times the input's length.
    cut: bool,
    /// A disguise was undone (see [`Normalized::is_disguised`]).
    disguised: bool,
    /// For each byte of `text`, the byte offset in the original of the character it came from.
    origin: Vec<u32>,
    /// For each byte of `text`, the byte offset just past that original character.
    origin_end: Vec<u32>,
}

impl Normalized {
    /// The normalized text: what the tokenizer and the featurizer see.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::normalize::Normalizer;
    /// let n = Normalizer::default().normalize("𝐅𝐑𝐄𝐄 Café\u{200B} gift");
    /// assert_eq!(n.text(), "free cafe gift");
    /// ```
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Maps a byte range of the normalized text back to the byte range of the
    /// original text it was produced from.
    ///
    /// Out-of-range input is clamped rather than rejected, so that a span
    /// computed on slightly different text can never make an explanation panic.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::normalize::{Normalizer, NormalizerConfig};
    /// let original = "Click ｈｅｒｅ now";
    /// let n = Normalizer::new(NormalizerConfig::default()).normalize(original);
    /// let start = n.text().find("here").unwrap();
    /// let span = n.original_span(start, start + 4);
    /// assert_eq!(&original[span.0..span.1], "ｈｅｒｅ");
    /// ```
    pub fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        if self.origin.is_empty() {
            return (0, 0);
        }
        let last = self.origin.len() - 1;
        let s = start.min(last);
        let e = end.saturating_sub(1).clamp(s, last);
        (self.origin[s] as usize, self.origin_end[e] as usize)
    }

    /// Clears the buffers so that they can be reused without reallocating.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::normalize::Normalizer;
    /// let mut n = Normalizer::default().normalize("hello");
    /// n.clear();
    /// assert_eq!(n.text(), "");
    /// assert_eq!(n.original_span(0, 5), (0, 0));
    /// ```
    pub fn clear(&mut self) {
        self.text.clear();
        self.cut = false;
        self.disguised = false;
        self.origin.clear();
        self.origin_end.clear();
    }

    /// True when the text grew past [`MAX_EXPANSION`] times the input and
    /// the rest of the input was not normalized.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::normalize::Normalizer;
    /// // U+FDFA is one character that NFKC writes as eighteen.
    /// let n = Normalizer::default().normalize(&"\u{FDFA}".repeat(100));
    /// assert!(n.is_cut());
    /// assert!(!Normalizer::default().normalize("ﷺ").is_cut());
    /// ```
    pub fn is_cut(&self) -> bool {
        self.cut
    }

    /// True when normalization undid a disguise: an invisible character
    /// between letters, a Greek or Cyrillic look-alike among Latin letters,
    /// letters spaced apart, a defanged link, a symbol for a letter. The
    /// original text then reads as no language, or as a foreign one, and
    /// the normalized text is the one to identify.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::normalize::Normalizer;
    /// let n = Normalizer::default();
    /// assert!(n.normalize("C l a i m your prize").is_disguised());
    /// assert!(n.normalize("Cl\u{200B}aim your prize").is_disguised());
    /// assert!(n.normalize("Claim your priz\u{0435}").is_disguised());
    /// assert!(!n.normalize("Claim your prize ❤\u{FE0F}").is_disguised());
    /// assert!(!n.normalize("Ваш приз ждёт").is_disguised());
    /// ```
    pub fn is_disguised(&self) -> bool {
        self.disguised
    }

    /// Bytes held by the buffers.
    pub(crate) fn capacity_bytes(&self) -> usize {
        self.text.capacity() + 4 * (self.origin.capacity() + self.origin_end.capacity())
    }

    fn push_char(&mut self, c: char, from: usize, to: usize) {
        let before = self.text.len();
        self.text.push(c);
        for _ in before..self.text.len() {
            self.origin.push(from as u32);
            self.origin_end.push(to as u32);
        }
    }

    /// Appends ASCII `s`, lower-cased, which starts at byte `from` of the
    /// original: one byte of output per byte of it.
    fn push_ascii(&mut self, s: &str, from: usize) {
        debug_assert!(s.is_ascii());
        let before = self.text.len();
        self.text.push_str(s);
        self.text[before..].make_ascii_lowercase();
        let (from, to) = (from as u32, (from + s.len()) as u32);
        self.origin.extend(from..to);
        self.origin_end.extend(from + 1..=to);
    }

    fn push_lower(&mut self, c: char, from: usize, to: usize) {
        if c.is_ascii() {
            self.push_char(c.to_ascii_lowercase(), from, to);
        } else {
            for l in c.to_lowercase() {
                self.push_char(l, from, to);
            }
        }
    }
}

/// How many times its input's length the normalized text may grow to (plus
/// [`EXPANSION_SLACK`] bytes), so that memory and time stay linear in the
/// input whatever it holds.
///
/// NFKC and confusable folding lengthen a few characters (`ﷺ`, three bytes,
/// becomes eighteen letters and spaces, 33 bytes; `㌀` becomes `アパート`): a
/// message made of them would otherwise grow elevenfold before tokenizing.
/// Real text grows by a few percent at most, so twice is never reached but
/// by such a message, which is then scored on the start that fits and said to
/// be truncated.
pub const MAX_EXPANSION: usize = 2;

/// Bytes of growth allowed on top of [`MAX_EXPANSION`], so that a short
/// message of expanding characters is normalized whole.
pub const EXPANSION_SLACK: usize = 64;

/// The normalizer: a pure function of its [`NormalizerConfig`].
///
/// Being pure, one normalizer can be shared by any number of threads.
///
/// # Example
///
/// ```
/// use scamscan::normalize::{Normalizer, NormalizerConfig};
/// let n = Normalizer::new(NormalizerConfig::default());
/// assert_eq!(n.normalize("Ｖｅｒｉｆｙ your ρaypal\u{200B} account").text(), "verify your paypal account");
/// // A mostly Russian message keeps its Cyrillic letters.
/// assert_eq!(n.normalize("Привет, как дела?").text(), "привет, как дела?");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Normalizer {
    config: NormalizerConfig,
}

impl Normalizer {
    /// Builds a normalizer.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::normalize::{Normalizer, NormalizerConfig};
    /// let keep_accents = NormalizerConfig { strip_accents: false, ..NormalizerConfig::default() };
    /// assert_eq!(Normalizer::new(keep_accents).normalize("Καλημέρα").text(), "καλημέρα");
    /// assert_eq!(Normalizer::default().normalize("Καλημέρα").text(), "καλημερα");
    /// ```
    pub fn new(config: NormalizerConfig) -> Self {
        Normalizer { config }
    }

    /// The configuration, to store beside a model trained with it.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::normalize::{Normalizer, NormalizerConfig};
    /// assert_eq!(Normalizer::default().config(), &NormalizerConfig::default());
    /// ```
    pub fn config(&self) -> &NormalizerConfig {
        &self.config
    }

    /// Normalizes `text` into a fresh [`Normalized`].
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::normalize::Normalizer;
    /// let n = Normalizer::default().normalize("Xin chào bạn, ｗｉｎ ＄500");
    /// assert_eq!(n.text(), "xin chao ban, win $500");
    /// ```
    pub fn normalize(&self, text: &str) -> Normalized {
        let mut out = Normalized::default();
        self.normalize_into(text, &mut out);
        out
    }

    /// Normalizes `text` into `out`, reusing its buffers.
    ///
    /// For loops over many messages: the three buffers of a [`Normalized`]
    /// are then allocated once instead of once per message.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::normalize::{Normalized, Normalizer};
    /// let n = Normalizer::default();
    /// let mut out = Normalized::default();
    /// for (raw, want) in [("ＨＩ", "hi"), ("v\u{200B}erify", "verify")] {
    ///     n.normalize_into(raw, &mut out);
    ///     assert_eq!(out.text(), want);
    /// }
    /// ```
    pub fn normalize_into(&self, text: &str, out: &mut Normalized) {
        out.clear();
        out.text.reserve(text.len());
        out.origin.reserve(text.len());
        out.origin_end.reserve(text.len());
        self.fold_chars(text, out);
        if self.config.unmask {
            unmask(out);
        }
    }

    /// Steps 1 to 5 of the module docs, character by character, but for
    /// runs of plain ASCII.
    fn fold_chars(&self, text: &str, out: &mut Normalized) {
        // Computed only if a character needs it: it reads the whole text.
        let mut fold_foreign: Option<bool> = None;
        let bytes = text.as_bytes();
        let limit = text
            .len()
            .saturating_mul(MAX_EXPANSION)
            .saturating_add(EXPANSION_SLACK);
        let mut i = 0;
        while i < bytes.len() {
            if out.text.len() > limit {
                out.cut = true;
                return;
            }
            // What the steps do to ASCII other than control characters, in
            // bulk: every step is the identity but lower-casing, each
            // character on its own, and so is the offset map. Most text, and
            // most of the text that is not all ASCII, is such runs.
            let run = bytes[i..]
                .iter()
                .position(|&b| !b.is_ascii() || (b.is_ascii_control() && b != b'\n'))
                .unwrap_or(bytes.len() - i);
            if run > 0 {
                out.push_ascii(&text[i..i + run], i);
                i += run;
                continue;
            }
            let c = text[i..].chars().next().expect("a character at a boundary");
            let end = i + c.len_utf8();
            self.fold_char(text, c, (i, end), &mut fold_foreign, out);
            i = end;
        }
    }

    /// One character other than plain ASCII, spanning `from..to` of `text`.
    /// `fold_foreign` is whether `text` is mostly Latin, once computed.
    fn fold_char(
        &self,
        text: &str,
        c: char,
        (from, to): (usize, usize),
        fold_foreign: &mut Option<bool>,
        out: &mut Normalized,
    ) {
        if c.is_ascii() {
            // A control character.
            out.push_char(' ', from, to);
            return;
        }
        if is_invisible(c) {
            // Between two letters or digits it splits a word invisibly; after
            // an emoji (a variation selector, a joiner) it is how emoji are
            // written.
            let before = out.text.chars().next_back();
            let after = text[to..].chars().next();
            if before.is_some_and(char::is_alphanumeric) && after.is_some_and(char::is_alphanumeric)
            {
                out.disguised = true;
            }
            return;
        }
        if c.is_whitespace() || c.is_control() {
            out.push_char(' ', from, to);
            return;
        }
        let fold_foreign =
            *fold_foreign.get_or_insert_with(|| self.config.fold_confusables && mostly_latin(text));
        for k in std::iter::once(c).nfkc() {
            self.push_folded(k, from, to, fold_foreign, out);
        }
    }

    fn push_folded(
        &self,
        k: char,
        from: usize,
        to: usize,
        fold_foreign: bool,
        out: &mut Normalized,
    ) {
        if k.is_ascii() {
            out.push_char(k.to_ascii_lowercase(), from, to);
            return;
        }
        if k.is_whitespace() {
            out.push_char(' ', from, to);
            return;
        }
        if is_invisible(k) {
            return;
        }
        let script = script_class(k);
        if self.config.strip_accents && script != Script::Other && !is_combining_mark(k) {
            let mut base = None;
            let mut marks = false;
            decompose_canonical(k, |d| {
                if is_combining_mark(d) {
                    marks = true;
                } else if base.is_none() {
                    base = Some(d);
                }
            });
            if let (true, Some(b)) = (marks, base) {
                return self.push_folded(b, from, to, fold_foreign, out);
            }
        }
        if self.config.strip_accents && is_combining_mark(k) && script != Script::Other {
            return;
        }
        let fold = self.config.fold_confusables
            && match script {
                Script::LatinLike => true,
                Script::ForeignLookalike => fold_foreign,
                Script::Other => false,
            };
        if fold && let Some(folded) = fold_confusable(k) {
            for f in folded.chars() {
                out.push_char(f, from, to);
            }
            out.disguised |= script == Script::ForeignLookalike;
            return;
        }
        out.push_lower(k, from, to);
    }
}

/// Characters that render as nothing and are used to split words invisibly.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    /// Latin letters beyond ASCII, IPA, and letter-like symbols: always folded.
    LatinLike,
    /// Greek, Cyrillic, Armenian, Cherokee: folded only in mostly-Latin text.
    ForeignLookalike,
    /// Everything else is kept as written.
    Other,
}

fn script_class(c: char) -> Script {
    match c as u32 {
        0x00C0..=0x024F
        | 0x0250..=0x02AF
        | 0x1D00..=0x1DBF
        | 0x1E00..=0x1EFF
        | 0x2C60..=0x2C7F
        | 0xA720..=0xA7FF
        | 0xAB30..=0xAB6F
        | 0x2100..=0x214F
        | 0x2460..=0x24FF
        | 0x1F100..=0x1F1FF => Script::LatinLike,
        0x0370..=0x052F | 0x1F00..=0x1FFF | 0x0531..=0x058F | 0x13A0..=0x13FF | 0xAB70..=0xABBF => {
            Script::ForeignLookalike
        }
        _ => Script::Other,
    }
}

/// True when Latin letters outnumber Greek/Cyrillic/Armenian/Cherokee ones.
fn mostly_latin(text: &str) -> bool {
    let (mut latin, mut foreign) = (0usize, 0usize);
    for c in text.chars() {
        if c.is_ascii_alphabetic() {
            latin += 1;
        } else if !c.is_ascii() {
            match script_class(c) {
                Script::LatinLike => latin += 1,
                Script::ForeignLookalike => foreign += 1,
                Script::Other => {}
            }
        }
    }
    latin > foreign
}

/// Folds one confusable character to ASCII with decancer, if decancer knows an
/// ASCII alphanumeric equivalent; otherwise `None`, and the character is kept.
fn fold_confusable(c: char) -> Option<String> {
    use decancer::Translation;
    // decancer reads the Cyrillic palochka as `i`; in lower-case text it
    // stands in for `l` (`ӏogin`, `paypaӏ`), which is how scams use it.
    if matches!(c, '\u{04C0}' | '\u{04CF}') {
        return Some("l".to_string());
    }
    let s: String = match decancer::cure_char(c, decancer::Options::default()) {
        Translation::Character(f) => f.to_string(),
        Translation::String(s) => s.to_string(),
        Translation::None => return None,
    };
    if !s.is_empty() && s.chars().all(|f| f.is_ascii_alphanumeric()) {
        Some(s.to_ascii_lowercase())
    } else {
        None
    }
}

/// Maximum number of spaced-out letters joined into one word; longer runs are
/// joined in pieces of this size (a word is never longer than this anyway).
const MAX_SPACED_RUN: usize = 40;

/// Undoes filter-evasion tricks on already folded, lower-cased text (see
/// [`NormalizerConfig::unmask`]), keeping the offset map exact.
///
/// Hand-written: no crate undoes these tricks, and each rule needs the offset
/// map, which a string-rewriting crate would lose.
fn unmask(n: &mut Normalized) {
    n.disguised |= symbol_leet(n);
    let edits = unmask_edits(&n.text);
    if edits.is_empty() {
        return;
    }
    let mut out = Normalized {
        text: String::with_capacity(n.text.len()),
        cut: n.cut,
        disguised: true,
        origin: Vec::with_capacity(n.origin.len()),
        origin_end: Vec::with_capacity(n.origin_end.len()),
    };
    let mut at = 0;
    for (s, e, with) in edits {
        out.text.push_str(&n.text[at..s]);
        out.origin.extend_from_slice(&n.origin[at..s]);
        out.origin_end.extend_from_slice(&n.origin_end[at..s]);
        // A replacement points at the whole original span it replaces
        // (every edit replaces at least one byte).
        let (from, to) = (n.origin[s], n.origin_end[e - 1]);
        out.text.push_str(with);
        out.origin.extend(std::iter::repeat_n(from, with.len()));
        out.origin_end.extend(std::iter::repeat_n(to, with.len()));
        at = e;
    }
    out.text.push_str(&n.text[at..]);
    out.origin.extend_from_slice(&n.origin[at..]);
    out.origin_end.extend_from_slice(&n.origin_end[at..]);
    *n = out;
}

/// `p@yp@l`, `$ave`, `c|ick`, `w!n`: a symbol standing for a letter between
/// letters. Each replacement is one ASCII byte for one, so it is done in place.
/// `@` followed by a dotted name is an e-mail address, and `@` at the start
/// of a word a handle; both are left alone. Whether it replaced any.
fn symbol_leet(n: &mut Normalized) -> bool {
    let b = n.text.as_bytes();
    if !b.iter().any(|c| matches!(c, b'@' | b'$' | b'|' | b'!')) {
        return false;
    }
    let letter = |i: usize| b.get(i).is_some_and(u8::is_ascii_lowercase);
    let alnum = |i: usize| {
        b.get(i)
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    let mut fixes = Vec::new();
    for i in 0..b.len() {
        // Between two letters, or between a letter and a digit (leetspeak
        // mixes both: `c@1l`, `w!7h`); never between two digits.
        let between = i > 0 && alnum(i - 1) && alnum(i + 1) && (letter(i - 1) || letter(i + 1));
        let to = match b[i] {
            b'@' if between => {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-') {
                    j += 1;
                }
                (b.get(j) != Some(&b'.') || !letter(j + 1)).then_some("a")
            }
            // `$ave`: before a letter, wherever it stands.
            b'$' if letter(i + 1) => Some("s"),
            b'|' if between => Some("l"),
            b'!' if between => Some("i"),
            _ => None,
        };
        if let Some(to) = to {
            fixes.push((i, to));
        }
    }
    let any = !fixes.is_empty();
    for (i, to) in fixes {
        n.text.replace_range(i..i + 1, to);
    }
    any
}

/// The defang and spaced-letters patterns, with Unicode or ASCII word
/// boundaries (see [`crate::regexes`]), each compiled when a message
/// first needs it (past the cheap tests of [`unmask_edits`]).
fn unmask_patterns(
    ascii_boundaries: bool,
) -> &'static (Lazy<crate::regexes::Pattern>, Lazy<crate::regexes::Pattern>) {
    type Pair = (Lazy<crate::regexes::Pattern>, Lazy<crate::regexes::Pattern>);
    static UNICODE: std::sync::OnceLock<Pair> = std::sync::OnceLock::new();
    static ASCII: std::sync::OnceLock<Pair> = std::sync::OnceLock::new();
    let cell = if ascii_boundaries { &ASCII } else { &UNICODE };
    cell.get_or_init(|| {
        let re = |p: &str| {
            let compile = crate::regexes::compile;
            crate::regexes::lazy(compile, p.to_string(), ascii_boundaries, "unmask")
        };
        // Defanged pieces of links, and dots set apart by spaces before a
        // common top-level domain (`example . com`, `bit . ly`).
        let defang = re(concat!(
            r"hxxp|h\*\*p|\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\}|\[:\]",
            r"|\bwww *\. *|[a-z0-9]( +\. *| *\. +| +dot +)(?:com|net|org|info|xyz|top|ly|co|io|me|cc|biz|site|online|shop|vip|live|link|click|app|gov|uk|us|in|id|my|ph|ng|de|fr|es|it|ru|cn)\b"
        ));
        // Three or more single letters, each followed by one separator.
        let spaced = re(r"(?:^|[^\p{L}\p{N}])((?:\p{L}[ .\-_*]){2,}\p{L})(?:$|[^\p{L}\p{N}])");
        (defang, spaced)
    })
}

/// Whether `text` has letter, separator, letter, separator, letter in a
/// row somewhere, which every match of the spaced-letters pattern has: when
/// it does not, the pattern need not run (nor, in a process that has read
/// only such text, be compiled: its Unicode letter classes make it the
/// costliest pattern to compile). The pattern's letters are `\p{L}`, all of
/// which are alphabetic, so this passes every text the pattern matches.
fn maybe_spaced_letters(text: &str) -> bool {
    let b = text.as_bytes();
    let sep = |c: u8| matches!(c, b' ' | b'.' | b'-' | b'_' | b'*');
    if text.is_ascii() {
        return b.windows(5).any(|w| {
            w[0].is_ascii_alphabetic()
                && sep(w[1])
                && w[2].is_ascii_alphabetic()
                && sep(w[3])
                && w[4].is_ascii_alphabetic()
        });
    }
    // Elsewhere, two separators with one letter between them, a letter
    // before the first and one after the second. Separators are ASCII, so
    // every slice below is on character boundaries, and letters are looked
    // up only around separators: a Unicode lookup per character of a Thai
    // or Chinese text would cost more than the pattern's own search.
    let one_letter = |s: &str| {
        let mut cs = s.chars();
        s.len() <= 4 && matches!((cs.next(), cs.next()), (Some(c), None) if c.is_alphabetic())
    };
    let mut last: Option<usize> = None;
    for (i, &c) in b.iter().enumerate() {
        if !sep(c) {
            continue;
        }
        if let Some(p) = last
            && one_letter(&text[p + 1..i])
            && text[..p]
                .chars()
                .next_back()
                .is_some_and(char::is_alphabetic)
            && text[i + 1..]
                .chars()
                .next()
                .is_some_and(char::is_alphabetic)
        {
            return true;
        }
        last = Some(i);
    }
    false
}

/// The edits of [`unmask`] other than symbol leetspeak: sorted, disjoint
/// `(start, end, replacement)` byte ranges of `text`.
fn unmask_edits(text: &str) -> Vec<(usize, usize, &'static str)> {
    let mut edits = Vec::new();
    let (defang, spaced) = unmask_patterns(crate::regexes::ascii_boundaries_agree(text));
    let b = text.as_bytes();
    // Cheap tests first: most messages have none of these, and the
    // patterns then need not run (this is on the per-message path).
    let maybe_defanged = text.contains("xxp")
        || text.contains("**")
        || b.iter().any(|c| matches!(c, b'[' | b'(' | b'{'))
        || text.contains(" .")
        || text.contains(". ")
        || text.contains(" dot ");
    if maybe_defanged {
        for m in defang.find_iter(text) {
            let s = m.as_str();
            match s {
                "hxxp" | "h**p" => edits.push((m.start(), m.end(), "http")),
                "[:]" => edits.push((m.start(), m.end(), ":")),
                _ if s.starts_with("www") => edits.push((m.start(), m.end(), "www.")),
                _ if s.starts_with(['[', '(', '{']) => edits.push((m.start(), m.end(), ".")),
                // `x . com`: keep the letter before and the domain after,
                // replace the separator between them.
                _ => {
                    let tld = s.len() - s.trim_end_matches(|c: char| c.is_ascii_alphabetic()).len();
                    edits.push((m.start() + 1, m.end() - tld, "."));
                }
            }
        }
    }
    if maybe_spaced_letters(text) {
        let mut at = 0;
        while let Some(c) = spaced.captures_at(text, at) {
            let run = c.get(1).expect("group 1");
            // Remove every separator of the run, joining its letters.
            let mut letters = 0;
            for (i, ch) in run.as_str().char_indices() {
                if ch.is_alphabetic() {
                    letters += 1;
                } else if letters % MAX_SPACED_RUN != 0 {
                    edits.push((run.start() + i, run.start() + i + 1, ""));
                }
            }
            at = run.end();
        }
    }
    edits.sort_unstable_by_key(|e| (e.0, e.1));
    // Keep edits disjoint: a later edit overlapping an earlier one is dropped.
    let mut last_end = 0;
    edits.retain(|&(s, e, _)| {
        if s < last_end {
            return false;
        }
        last_end = e.max(s);
        true
    });
    edits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        Normalizer::default().normalize(s).text().to_string()
    }

    /// [`Normalizer::fold_chars`] as it was before ASCII runs were copied
    /// in bulk: every character through the per-character steps.
    fn fold_chars_one_by_one(n: &Normalizer, text: &str) -> Normalized {
        let mut out = Normalized::default();
        let mut fold_foreign = None;
        for (i, c) in text.char_indices() {
            let end = i + c.len_utf8();
            if c.is_ascii() && !(c.is_ascii_control() && c != '\n') {
                out.push_char(c.to_ascii_lowercase(), i, end);
            } else {
                n.fold_char(text, c, (i, end), &mut fold_foreign, &mut out);
            }
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { failure_persistence: None, ..Default::default() })]

        /// ASCII runs copied in bulk give the text and offsets that folding
        /// them one character at a time gives, whatever surrounds them.
        #[test]
        fn ascii_runs_fold_as_their_characters(text in "(?s)([ -~\n\t\x00\x7f]{0,12}|\\PC{0,4}|[ÀÉİıſẞﬁ①Ａ𝐀]{0,3}|.{0,3})*") {
            let n = Normalizer::default();
            let mut bulk = Normalized::default();
            n.fold_chars(&text, &mut bulk);
            let one = fold_chars_one_by_one(&n, &text);
            proptest::prop_assert_eq!(bulk.text(), one.text());
            proptest::prop_assert_eq!(&bulk.origin, &one.origin);
            proptest::prop_assert_eq!(&bulk.origin_end, &one.origin_end);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { failure_persistence: None, cases: 2048, ..Default::default() })]

        /// The cheap test before the spaced-letters pattern passes every
        /// text the pattern matches, in either variant.
        #[test]
        fn the_spaced_letters_test_passes_every_match(
            pieces in proptest::collection::vec(
                proptest::prop_oneof![
                    // Letters of several scripts, a Thai vowel sign (alphabetic,
                    // not a letter), separators, and other characters.
                    3 => proptest::sample::select(vec!['a', 'Z', 'é', 'ß', 'ж', '中', 'ก', 'ี']),
                    3 => proptest::sample::select(vec![' ', '.', '-', '_', '*']),
                    1 => proptest::sample::select(vec!['7', ',', '!', '\n', '🎉', '٣']),
                    1 => proptest::char::any(),
                ],
                0..16,
            ),
        ) {
            let text: String = pieces.into_iter().collect();
            let ascii = crate::regexes::ascii_boundaries_agree(&text);
            let (_, spaced) = unmask_patterns(ascii);
            if spaced.is_match(&text) {
                proptest::prop_assert!(maybe_spaced_letters(&text), "{:?}", text);
            }
        }
    }

    #[test]
    fn the_spaced_letters_test_tells_runs_from_words() {
        for yes in [
            "c l a i m",
            "F.R.E.E",
            "к у п и т ь",
            "ก ข ค",
            "xy a-b-c",
            "éa.b.c",
        ] {
            assert!(maybe_spaced_letters(yes), "{yes:?}");
        }
        for no in [
            "claim now",
            "a b",
            "ab.cd.ef",
            "ก ขค",
            "รหัส OTP 3,500.00 บาท",
            "a..b..c",
        ] {
            assert!(!maybe_spaced_letters(no), "{no:?}");
        }
        // A match is found whatever precedes it.
        assert!(maybe_spaced_letters("中文 a b c"));
        assert!(maybe_spaced_letters("ab c d e"));
    }

    #[test]
    fn unmask_patterns_compile_in_both_variants() {
        // Compiled when a message first needs them: a broken one would
        // otherwise surface only on the message that reaches it.
        for ascii in [false, true] {
            let (defang, spaced) = unmask_patterns(ascii);
            std::sync::LazyLock::force(defang).regex();
            std::sync::LazyLock::force(spaced).regex();
        }
    }

    #[test]
    fn unmasks_spaced_letters_defanged_links_and_symbol_leet() {
        assert_eq!(norm("C l i c k  h e r e to claim"), "click  here to claim");
        assert_eq!(norm("F.R.E.E gift"), "free gift");
        assert_eq!(
            norm("visit hxxps://secure-login[.]top/x now"),
            "visit https://secure-login.top/x now"
        );
        assert_eq!(
            norm("go to www . paypal-verify . com today"),
            "go to www.paypal-verify.com today"
        );
        assert_eq!(
            norm("bit . ly/abc and site(dot)com"),
            "bit.ly/abc and site.com"
        );
        assert_eq!(
            norm("verify your p@yp@l acc0unt, c|ick"),
            "verify your paypal acc0unt, click"
        );
        assert_eq!(norm("$ave now"), "save now");
        // Left alone: e-mail addresses, handles, money, initials, sentences.
        assert_eq!(
            norm("mail john@example.com or @john_doe"),
            "mail john@example.com or @john_doe"
        );
        assert_eq!(
            norm("pay $50 by 5 p.m. OK. See you"),
            "pay $50 by 5 p.m. ok. see you"
        );
        assert_eq!(norm("J. R. R. Tolkien, a b"), "j. r. r. tolkien, a b");
    }

    #[test]
    fn unmask_keeps_offsets_exact() {
        let original = "C l a i m at site[.]top";
        let n = Normalizer::default().normalize(original);
        assert_eq!(n.text(), "claim at site.top");
        let (s, e) = n.original_span(0, 5);
        assert_eq!(&original[s..e], "C l a i m");
        let dot = n.text().find('.').unwrap();
        let (s, e) = n.original_span(dot, dot + 1);
        assert_eq!(&original[s..e], "[.]");
        let off = NormalizerConfig {
            unmask: false,
            ..NormalizerConfig::default()
        };
        assert_eq!(
            Normalizer::new(off).normalize(original).text(),
            "c l a i m at site[.]top"
        );
    }

    #[test]
    fn folds_homoglyphs_in_latin_text() {
        assert_eq!(norm("ρaypal"), "paypal");
        assert_eq!(norm("Аррlе ID locked"), "apple id locked");
        assert_eq!(norm("𝐅𝐑𝐄𝐄 gift"), "free gift");
        assert_eq!(norm("Ｗｉｎ"), "win");
    }

    #[test]
    fn keeps_foreign_scripts_when_dominant() {
        assert_eq!(norm("Привет, как дела?"), "привет, как дела?");
        assert_eq!(norm("Καλημέρα"), "καλημερα");
    }

    #[test]
    fn strips_accents_but_keeps_thai_and_devanagari_marks() {
        assert_eq!(norm("Café Über"), "cafe uber");
        assert_eq!(norm("สวัสดี"), "สวัสดี");
        assert_eq!(norm("नमस्ते"), "नमस्ते");
        assert_eq!(norm("Xin chào bạn"), "xin chao ban");
    }

    #[test]
    fn removes_invisible_and_maps_offsets() {
        let original = "v\u{200B}erify ＮＯＷ";
        let n = Normalizer::default().normalize(original);
        assert_eq!(n.text(), "verify now");
        let (s, e) = n.original_span(7, 10);
        assert_eq!(&original[s..e], "ＮＯＷ");
        let (s, e) = n.original_span(0, 6);
        assert_eq!(&original[s..e], "v\u{200B}erify");
    }

    #[test]
    fn output_stays_within_twice_the_input() {
        let n = Normalizer::default();
        // The longest NFKC expansions, repeated: without the bound, 0.9 MB
        // of U+FDFA grew to 10 MB of text before tokenizing.
        for c in ['\u{FDFA}', '\u{FDFB}', '\u{3300}', '\u{3357}', '\u{FB2C}'] {
            let text: String = std::iter::repeat_n(c, 20_000).collect();
            let out = n.normalize(&text);
            let bound = text.len() * MAX_EXPANSION + EXPANSION_SLACK + 4 * 18;
            assert!(
                out.text().len() <= bound,
                "{c:?}: {} > {bound}",
                out.text().len()
            );
            let span = out.original_span(0, out.text().len());
            assert!(span.1 <= text.len());
        }
        // Ordinary text, even with a few expanding characters, is whole.
        let text = "Payment of ㌀ 200 received ﷺ thank you";
        assert!(!n.normalize(text).is_cut());
    }

    #[test]
    fn empty_and_controls() {
        assert_eq!(norm(""), "");
        assert_eq!(norm("ab\u{0}cd\tef"), "ab cd ef");
        let n = Normalizer::default().normalize("");
        assert_eq!(n.original_span(0, 5), (0, 0));
    }
}
