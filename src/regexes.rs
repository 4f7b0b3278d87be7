//! Word boundaries the regex crate's fast engine can handle.
//!
//! A Unicode word boundary (`\b`) makes the regex crate's lazy DFA give up at
//! the first non-ASCII byte of a message and hand the search to an NFA engine
//! several times slower. An ASCII word boundary, `(?-u:\b)`, the DFA handles
//! on any text. The two fall at the same places in every text without
//! non-ASCII *word* characters: emoji, curly quotes, `£` and other symbols
//! and punctuation are not word characters, so that is most messages, and
//! the normalizer's (folded, accent-free) output even more so. Patterns with
//! `\b` are therefore compiled twice, and [`ascii_boundaries_agree`] picks
//! the fast variant wherever it gives exactly the same matches. Text with
//! non-ASCII word characters (Thai, Chinese, Arabic ...) needs the Unicode
//! variant, and a [`Pattern`] searches it behind a loose twin without `\b`
//! that the fast engine runs: the slow search only where that finds
//! something, and only from where it does.

/// The most memory the lazy DFA of one of the project's regexes may use per
/// thread. The regex crate's default is 2 MiB; with two dozen patterns and a
/// cache per thread, over a long run that grew the process by tens of
/// megabytes, for no speed measurable at 200,000 messages (`scripts/bench.sh`).
const DFA_CACHE_BYTES: usize = 512 << 10;

/// One of the project's patterns, compiled: the regex and, when it has
/// Unicode word boundaries, the same pattern without them, asked first.
///
/// A Unicode `\b` makes the lazy DFA give up at the first non-ASCII byte
/// and hand the whole search to the bounded backtracker or the PikeVM,
/// which on text in Thai, Chinese or Arabic cost several times the rest of
/// the message's classification. Dropping every `\b` only removes
/// conditions, so the loose pattern matches wherever the pattern does, and
/// the lazy DFA runs it on any text: where it finds nothing, the pattern
/// would find nothing either, and the slow search is skipped. Most such
/// messages have no link, wallet or amount, so most skip it. The matches
/// are the regex's own, always.
pub(crate) struct Pattern {
    /// The regex, compiled when first searched where it has a loose twin:
    /// a text the loose pattern rules out never needs it, and compiling the
    /// Unicode-boundary variant is most of what a process that reads one
    /// message in Thai or Chinese spends on a pattern.
    re: std::sync::OnceLock<regex::Regex>,
    /// The regex's source, for that compilation.
    source: String,
    loose: Option<regex::Regex>,
    /// Whether every match of the pattern is at least one byte long (only
    /// worked out for a pattern with a loose twin; false otherwise).
    never_empty: bool,
}

impl Pattern {
    /// The regex, compiled on first need. `compile` built its loose twin,
    /// which is the same pattern without its word boundaries, and the
    /// project's patterns compile in both forms (tested), so a failure
    /// here is a bug.
    fn re(&self) -> &regex::Regex {
        self.re.get_or_init(|| {
            build(&self.source).unwrap_or_else(|e| panic!("pattern {:?}: {e}", self.source))
        })
    }

    /// Whether the pattern may match somewhere in `text` (false: it does not).
    fn may_match(&self, text: &str) -> bool {
        self.loose.as_ref().is_none_or(|l| l.is_match(text))
    }

    /// [`regex::Regex::find_iter`].
    ///
    /// With a loose pattern, each search also starts where the loose
    /// pattern's next match starts, not where the last match ended: no
    /// match of the pattern starts earlier (the loose pattern's leftmost
    /// match is the earliest place any of its matches starts, and every
    /// match of the pattern is one of them), and the slow search's cost
    /// grows with the text it is given. The loose pattern runs on the lazy
    /// DFA, so skipping a text's first hundred bytes with it is cheap. Only
    /// for a pattern that never matches the empty string, whose next search
    /// always starts where the last match ended; another takes `find_iter`
    /// as it is, with its rules for empty matches.
    pub(crate) fn find_iter<'r, 't>(
        &'r self,
        text: &'t str,
    ) -> impl Iterator<Item = regex::Match<'t>> + use<'r, 't> {
        let may = self.may_match(text);
        let (plain, from_loose) = match &self.loose {
            Some(loose) if self.never_empty => (None, may.then_some(loose)),
            _ => (may.then(|| self.re().find_iter(text)), None),
        };
        let mut at = 0;
        let from_loose = from_loose.into_iter().flat_map(move |loose| {
            std::iter::from_fn(move || {
                let start = loose.find_at(text, at)?.start();
                let m = self.re().find_at(text, start)?;
                at = m.end();
                Some(m)
            })
        });
        plain.into_iter().flatten().chain(from_loose)
    }

    /// [`regex::Regex::captures_iter`].
    pub(crate) fn captures_iter<'r, 't>(
        &'r self,
        text: &'t str,
    ) -> impl Iterator<Item = regex::Captures<'t>> + use<'r, 't> {
        self.may_match(text)
            .then(|| self.re().captures_iter(text))
            .into_iter()
            .flatten()
    }

    /// [`regex::Regex::captures_at`].
    pub(crate) fn captures_at<'t>(&self, text: &'t str, at: usize) -> Option<regex::Captures<'t>> {
        if self.may_match(&text[text.floor_char_boundary(at)..]) {
            self.re().captures_at(text, at)
        } else {
            None
        }
    }

    /// [`regex::Regex::is_match`].
    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.may_match(text) && self.re().is_match(text)
    }

    /// The regex itself, searched without the loose pattern first.
    #[cfg(test)]
    pub(crate) fn regex(&self) -> &regex::Regex {
        self.re()
    }
}

/// Compiles one of the project's patterns, its `\b` made ASCII word
/// boundaries when `ascii_boundaries` (see [`with_ascii_boundaries`]);
/// with Unicode ones, also the loose pattern of [`Pattern`].
pub(crate) fn compile(pattern: &str, ascii_boundaries: bool) -> Result<Pattern, regex::Error> {
    let loose = if !ascii_boundaries && pattern.contains(r"\b") {
        Some(build(&pattern.replace(r"\b", ""))?)
    } else {
        None
    };
    // Only the loose pattern's iteration asks. A pattern that does not
    // parse is reported by `build`.
    let never_empty = loose.is_some()
        && regex_syntax::parse(pattern)
            .is_ok_and(|hir| hir.properties().minimum_len().is_some_and(|n| n > 0));
    let source = variant(pattern, ascii_boundaries).into_owned();
    let re = std::sync::OnceLock::new();
    if loose.is_none() {
        // Nothing to rule a text out first: every search needs the regex.
        let _ = re.set(build(&source)?);
    }
    Ok(Pattern {
        re,
        source,
        loose,
        never_empty,
    })
}

/// The regexes [`build`] compiled: a dozen or so, looked up only when a
/// pattern is compiled.
static BUILT: std::sync::Mutex<Vec<regex::Regex>> = std::sync::Mutex::new(Vec::new());

/// One of the project's regexes, with its lazy DFA's memory capped,
/// compiled once per process whatever asks for it: a pattern without `\b`
/// is the same in both variants (the spaced-letters one, the costliest to
/// compile, among them), and a clone shares the compiled regex (each clone
/// keeps its own search caches).
fn build(pattern: &str) -> Result<regex::Regex, regex::Error> {
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(re) = built.iter().find(|re| re.as_str() == pattern) {
        return Ok(re.clone());
    }
    let re = regex::RegexBuilder::new(pattern)
        .dfa_size_limit(DFA_CACHE_BYTES)
        .build()?;
    built.push(re.clone());
    Ok(re)
}

/// [`compile`] for a regex-automata meta regex: the engine behind the regex
/// crate, configured as `regex::Regex` configures it, for the searches the
/// regex crate does not offer (anchored at a given position).
pub(crate) fn compile_meta(
    pattern: &str,
    ascii_boundaries: bool,
) -> Result<regex_automata::meta::Regex, Box<regex_automata::meta::BuildError>> {
    use regex_automata::{MatchKind, meta, util::syntax};
    meta::Builder::new()
        .configure(
            meta::Config::new()
                .nfa_size_limit(Some(10 << 20))
                .hybrid_cache_capacity(DFA_CACHE_BYTES)
                .match_kind(MatchKind::LeftmostFirst)
                .utf8_empty(true),
        )
        .syntax(syntax::Config::new().utf8(true))
        .build(&variant(pattern, ascii_boundaries))
        .map_err(Box::new)
}

/// A pattern compiled the first time a message needs it.
///
/// Compiling every pattern up front was most of a one-message run (the cold
/// start of issue #5), and most messages need few of them: each has a cheap
/// gate (the e-mail patterns need an `@`, the cues a literal of theirs, ...)
/// that rules it out first. In a long run each is soon compiled, once.
pub(crate) type Lazy<T> = std::sync::LazyLock<T, Box<dyn FnOnce() -> T + Send>>;

/// `compile` ([`compile`] or [`compile_meta`]) of `pattern`, deferred to
/// the first use. The project's own patterns compile, so a failure is a
/// bug: it panics there, naming `what`.
pub(crate) fn lazy<T: 'static, E: std::fmt::Display + 'static>(
    compile: fn(&str, bool) -> Result<T, E>,
    pattern: String,
    ascii_boundaries: bool,
    what: &'static str,
) -> Lazy<T> {
    Lazy::new(Box::new(move || {
        compile(&pattern, ascii_boundaries).unwrap_or_else(|e| panic!("{what} pattern: {e}"))
    }))
}

/// `pattern`, with ASCII word boundaries when `ascii_boundaries`.
fn variant(pattern: &str, ascii_boundaries: bool) -> std::borrow::Cow<'_, str> {
    if ascii_boundaries {
        with_ascii_boundaries(pattern).into()
    } else {
        pattern.into()
    }
}

/// `pattern` with every `\b` made an ASCII word boundary, `(?-u:\b)`.
///
/// Only for the project's own patterns, which use `\b` for nothing else
/// (not inside a class, never after an escaped backslash).
pub(crate) fn with_ascii_boundaries(pattern: &str) -> String {
    pattern.replace(r"\b", r"(?-u:\b)")
}

/// True when ASCII and Unicode word boundaries fall at the same places in
/// `text`: when it has no non-ASCII word character, by the regex crate's own
/// definition (`regex_syntax::is_word_character`, the table its engines use).
pub(crate) fn ascii_boundaries_agree(text: &str) -> bool {
    text.is_ascii()
        || !text
            .chars()
            .any(|c| !c.is_ascii() && regex_syntax::is_word_character(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_follows_word_characters() {
        assert!(ascii_boundaries_agree("win £500 now 🎉 “today”"));
        assert!(!ascii_boundaries_agree("urgentж"));
        assert!(!ascii_boundaries_agree("恭喜 win"));
        let (u, a) = (
            regex::Regex::new(r"\burgent\b").unwrap(),
            regex::Regex::new(&with_ascii_boundaries(r"\burgent\b")).unwrap(),
        );
        // Where they agree, they match alike; next to a Cyrillic letter they do not.
        assert_eq!(u.is_match("🎉urgent!"), a.is_match("🎉urgent!"));
        assert!(!u.is_match("urgentж") && a.is_match("urgentж"));
    }

    #[test]
    fn a_pattern_without_word_boundaries_compiles_once_for_both_variants() {
        let source = r"[a-z]+#[0-9]{3}";
        let (unicode, ascii) = (
            compile(source, false).unwrap(),
            compile(source, true).unwrap(),
        );
        assert_eq!(unicode.regex().as_str(), ascii.regex().as_str());
        let built = BUILT.lock().unwrap();
        assert_eq!(built.iter().filter(|re| re.as_str() == source).count(), 1);
    }

    fn spans<'t>(it: impl Iterator<Item = regex::Match<'t>>) -> Vec<(usize, usize)> {
        it.map(|m| (m.start(), m.end())).collect()
    }

    #[test]
    fn the_loose_pattern_skips_only_texts_without_a_match() {
        let unicode = compile(r"\bwin\b", false).unwrap();
        let ascii = compile(r"\bwin\b", true).unwrap();
        assert!(unicode.loose.is_some() && ascii.loose.is_none());
        // No "win" at all: skipped without the slow search.
        assert!(!unicode.may_match("恭喜发财"));
        // "win" inside a run of word characters: the loose pattern lets it
        // through, and the regex itself says no.
        assert!(unicode.may_match("恭喜win"));
        assert_eq!(unicode.find_iter("恭喜win").count(), 0);
        assert!(!unicode.is_match("恭喜win"));
        let found = spans(unicode.find_iter("恭喜 win!"));
        assert_eq!(found, [(7, 10)]);
        // The loose pattern's first match is not one; its later ones are.
        let text = "恭喜win win, win";
        let found = spans(unicode.find_iter(text));
        assert_eq!(found, [(10, 13), (15, 18)]);
        assert!(unicode.never_empty);
        let plain = spans(unicode.re().find_iter(text));
        assert_eq!(found, plain);
        // A pattern that can match the empty string keeps `find_iter`'s own
        // iteration (its rules for empty matches).
        let maybe_empty = compile(r"\b\d*", false).unwrap();
        assert!(!maybe_empty.never_empty);
        let text = "٣12 a 3";
        let found = spans(maybe_empty.find_iter(text));
        let plain = spans(maybe_empty.re().find_iter(text));
        assert_eq!(found, plain);
        assert!(unicode.is_match("恭喜 win!"));
        assert_eq!(unicode.captures_iter("恭喜 win!").count(), 1);
        assert!(unicode.captures_at("恭喜 win!", 3).is_some());
        assert!(unicode.captures_at("恭喜 win!", 8).is_none());
        // No `\b`: nothing to loosen.
        assert!(compile(r"w[io]n", false).unwrap().loose.is_none());
    }
}
