//! Which patterns can match a text, read off it in one cheap pass, so
//! that most patterns are not run on most messages: byte-level gates, and
//! a literal gate for the patterns with many alternatives.

use super::lexicon::{CUES, MESSENGER};
use crate::regexes::Lazy;
use regex_automata::meta::Regex as MetaRegex;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The literal gate of the patterns with many alternatives (see [`LiteralGate`]).
///
/// It covers the cue patterns (pattern `i` is `CUES[i]`) and the messenger
/// pattern ([`MESSENGER_PATTERN`]).
fn literal_gate() -> &'static LiteralGate {
    static G: OnceLock<LiteralGate> = OnceLock::new();
    G.get_or_init(|| {
        LiteralGate::new(
            CUES.iter()
                .map(|(_, p)| *p)
                .chain(std::iter::once(MESSENGER)),
        )
    })
}

/// The messenger pattern's number in the [`literal_gate`].
pub(super) const MESSENGER_PATTERN: usize = CUES.len();

/// Where several patterns can match a text, from one pass over it.
///
/// Every match of a pattern begins with one of its prefix literals, as the
/// regex crate's own literal extractor computes them (`regex_syntax`); one
/// Aho-Corasick search for all the literals of all the patterns finds every
/// place where a match of each can begin. The cue patterns have dozens of
/// alternatives each, and the regex crate's own prefilter (Teddy, on the
/// literals' first bytes) finds candidates in nearly every message, each
/// then checked by a search that runs on through the text and back again to
/// find the match's start: seven such searches per message cost more than
/// this one, after which most messages search for no cue at all and the
/// others only at a few known places, anchored.
#[derive(Debug)]
struct LiteralGate {
    /// The literals in a contiguous NFA, quick to build, for a process's
    /// first [`DFA_AFTER`] searches.
    nfa: aho_corasick::AhoCorasick,
    /// The same literals as a DFA, built after those searches: it searches
    /// faster, but building it costs a one-message run more than the rest
    /// of the message's entities, so it waits until a run has shown it has
    /// many messages.
    dfa: OnceLock<aho_corasick::AhoCorasick>,
    /// The literals, kept for the DFA's build.
    literals: Vec<Vec<u8>>,
    /// Searches so far (counted until the DFA is built).
    searches: AtomicUsize,
    /// The pattern of each literal.
    pattern: Vec<u8>,
}

/// Searches through the literal gate's NFA before its DFA is built: about
/// where the NFA's extra cost per search has added up to the DFA's build
/// (benches/README.md has both).
const DFA_AFTER: usize = 1024;

/// The literal gate's automaton of `kind`.
fn automaton(
    literals: &[Vec<u8>],
    kind: aho_corasick::AhoCorasickKind,
) -> aho_corasick::AhoCorasick {
    aho_corasick::AhoCorasick::builder()
        .kind(Some(kind))
        .build(literals)
        .expect("literals build")
}

impl LiteralGate {
    fn new<'a>(patterns: impl Iterator<Item = &'a str>) -> LiteralGate {
        use regex_syntax::hir::literal::Extractor;
        let mut extractor = Extractor::new();
        // Short literals: fewer of them (the alternatives' cross products
        // collapse), a smaller automaton, and still rare in messages.
        extractor.limit_total(4096).limit_literal_len(6);
        let (mut literals, mut pattern) = (Vec::new(), Vec::new());
        for (i, p) in patterns.enumerate() {
            assert!(i < 64, "a gate covers at most 64 patterns");
            let hir = regex_syntax::parse(p).expect("a valid pattern");
            let mut seq = extractor.extract(&hir);
            seq.dedup();
            // A finite set of literals of 2 bytes or more: shorter ones
            // would admit nearly every position anyway.
            let lits = seq
                .literals()
                .filter(|lits| lits.iter().all(|l| l.len() >= 2))
                .unwrap_or_else(|| panic!("pattern {i} has no usable prefix literals"));
            for l in lits {
                literals.push(l.as_bytes().to_vec());
                pattern.push(i as u8);
            }
        }
        LiteralGate {
            nfa: automaton(&literals, aho_corasick::AhoCorasickKind::ContiguousNFA),
            dfa: OnceLock::new(),
            literals,
            searches: AtomicUsize::new(0),
            pattern,
        }
    }

    /// The automaton to search with: the NFA for the first [`DFA_AFTER`]
    /// searches, the DFA from then on. Both find the same matches.
    fn automaton(&self) -> &aho_corasick::AhoCorasick {
        if let Some(dfa) = self.dfa.get() {
            return dfa;
        }
        if self.searches.fetch_add(1, Ordering::Relaxed) < DFA_AFTER {
            return &self.nfa;
        }
        self.dfa
            .get_or_init(|| automaton(&self.literals, aho_corasick::AhoCorasickKind::DFA))
    }

    /// Every `(pattern, start)` where a match may begin in `text`, sorted,
    /// into `out`.
    fn candidates(&self, text: &str, out: &mut Vec<(u8, u32)>) {
        out.clear();
        for m in self.automaton().find_overlapping_iter(text) {
            out.push((self.pattern[m.pattern().as_usize()], m.start() as u32));
        }
        out.sort_unstable();
        out.dedup();
    }
}

/// Necessary conditions for some patterns to match (or to yield an
/// entity), read off the bytes in one pass: a pattern whose condition fails
/// is not run at all, which is most patterns on most messages.
///
/// Only for text searched with ASCII word boundaries, where every `\d` is an
/// ASCII digit (other digits are word characters); elsewhere every gate is open.
#[derive(Debug, Clone)]
pub(super) struct Gates {
    /// A link needs `//`, `www` or a dot (also `[.]`, `(.)`, `{.}`) right
    /// before a lower-case top-level domain.
    pub(super) url: bool,
    /// A kept phone number has at least 8 digits.
    pub(super) phone: bool,
    /// A number is a whole run of 4 to 8 digits.
    pub(super) number: bool,
    /// A wallet address is a run of at least 26 letters and digits, and
    /// a kept one has at least 3 digits.
    pub(super) wallet: bool,
    /// Where the patterns of the [`literal_gate`] may match, sorted by
    /// pattern then position; `None`: anywhere.
    starts: Option<Vec<(u8, u32)>>,
}

impl Gates {
    /// Every pattern runs.
    const OPEN: Gates = Gates {
        url: true,
        phone: true,
        number: true,
        wallet: true,
        starts: None,
    };

    pub(super) fn new(text: &str, ascii: bool) -> Gates {
        // The literals hold whatever the word boundaries.
        let mut starts = Vec::new();
        literal_gate().candidates(text, &mut starts);
        let starts = Some(starts);
        if !ascii {
            return Gates {
                starts,
                ..Gates::OPEN
            };
        }
        let bytes = text.as_bytes();
        let digits = bytes.iter().filter(|b| b.is_ascii_digit()).count();
        let (number, wallet) = if digits >= 3 {
            digit_runs(bytes)
        } else {
            // A number has 4 digits; a kept wallet address has 3.
            (false, false)
        };
        Gates {
            url: url_hint(bytes),
            phone: digits >= 8,
            number,
            wallet,
            starts,
        }
    }

    /// Calls `f(start, end)` for each match of `re`, pattern `pattern` of
    /// the [`literal_gate`], in `text`: the matches `find_iter` finds, found
    /// by a search anchored at each place a match may begin.
    ///
    /// Exactly the same matches: every match begins at a candidate, so the
    /// leftmost match from any position is the first candidate from there
    /// with a match anchored at it, and that is the match the leftmost-first
    /// search prefers among those starting there.
    pub(super) fn matches(
        &self,
        pattern: usize,
        re: &Lazy<MetaRegex>,
        text: &str,
        mut f: impl FnMut(usize, usize),
    ) {
        use regex_automata::{Anchored, Input};
        let Some(starts) = &self.starts else {
            for m in re.find_iter(text) {
                f(m.start(), m.end());
            }
            return;
        };
        let from = starts.partition_point(|&(p, _)| (p as usize) < pattern);
        let mut at = 0;
        for &(p, s) in &starts[from..] {
            let s = s as usize;
            if p as usize != pattern {
                break;
            }
            if s < at {
                continue;
            }
            let input = Input::new(text).range(s..).anchored(Anchored::Yes);
            if let Some(m) = re.search(&input) {
                f(m.start(), m.end());
                // The patterns never match the empty string; were one to,
                // the next search starts past it, as `find_iter`'s would.
                at = m.end().max(s + 1);
            }
        }
    }
}

/// Whether a link may be in `bytes`: a `//`, a `www`, or a dot (also
/// `[.]`, `(.)`, `{.}`) right before a lower-case letter.
fn url_hint(bytes: &[u8]) -> bool {
    use memchr::memmem;
    memmem::find(bytes, b"//").is_some()
        || memmem::find(bytes, b"www").is_some()
        || memchr::memchr_iter(b'.', bytes).any(|i| {
            bytes
                .get(i + 1)
                .is_some_and(|&n| n.is_ascii_lowercase() || matches!(n, b']' | b')' | b'}'))
        })
}

/// Whether `bytes` has a whole run of 4 to 8 ASCII digits (a number), and
/// a run of at least 26 ASCII digits and lower-case letters (a wallet).
///
/// Without a branch per byte: on digit-heavy messages (prices, phone
/// numbers, codes) the run ends were the mispredicted branches of the gate.
fn digit_runs(bytes: &[u8]) -> (bool, bool) {
    let (mut number, mut wallet) = (false, false);
    let (mut digit_run, mut alnum_run) = (0u32, 0u32);
    for &b in bytes {
        let digit = b.is_ascii_digit();
        let alnum = digit | b.is_ascii_lowercase();
        number |= !digit & (digit_run.wrapping_sub(4) <= 4);
        digit_run = (digit_run + 1) * u32::from(digit);
        alnum_run = (alnum_run + 1) * u32::from(alnum);
        wallet |= alnum_run >= 26;
    }
    number |= digit_run.wrapping_sub(4) <= 4;
    (number, wallet)
}

#[cfg(test)]
mod tests {
    use super::super::patterns::patterns;
    use super::super::{EntityRecognizer, recognize};
    use super::*;

    #[test]
    fn the_literal_gate_finds_the_same_through_its_nfa_and_its_dfa() {
        use aho_corasick::{AhoCorasick, AhoCorasickKind};
        let gate = LiteralGate::new(
            CUES.iter()
                .map(|(_, p)| *p)
                .chain(std::iter::once(MESSENGER)),
        );
        let found = |a: &AhoCorasick, text: &[u8]| {
            let mut v: Vec<_> = a
                .find_overlapping_iter(text)
                .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
                .collect();
            v.sort_unstable();
            v
        };
        // Every literal, apart and run together (where each ends inside
        // or across the next), and a message.
        let apart = gate.literals.join(&b' ');
        let together = gate.literals.concat();
        let message =
            b"URGENT: verify your account, send the OTP code to our agent on WhatsApp".to_vec();
        let dfa = automaton(&gate.literals, AhoCorasickKind::DFA);
        for text in [&apart, &together, &message] {
            assert_eq!(found(&gate.nfa, text), found(&dfa, text));
        }
        assert!(found(&gate.nfa, &apart).len() >= gate.literals.len());
        assert!(!found(&gate.nfa, &message).is_empty());
        // The gate searches through the NFA, then through the DFA.
        for _ in 0..DFA_AFTER {
            assert!(std::ptr::eq(gate.automaton(), &gate.nfa));
        }
        assert_eq!(gate.automaton().kind(), AhoCorasickKind::DFA);
        assert_eq!(gate.nfa.kind(), AhoCorasickKind::ContiguousNFA);
    }

    /// The fast path (ASCII word boundaries where they agree, gates) finds
    /// exactly what the Unicode patterns with every pattern run find.
    #[test]
    fn fast_path_finds_what_the_unicode_patterns_find() {
        use proptest::prelude::*;
        let check = |text: &str| {
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            EntityRecognizer::new().recognize_into(text, &mut fast);
            recognize(text, &mut slow, patterns(false), Gates::OPEN);
            assert_eq!(fast, slow, "{text:?}");
        };
        let n = crate::normalize::Normalizer::default();
        for line in include_str!("../../../tests/fixtures/entity-cases.txt").lines() {
            check(line);
            check(n.normalize(line).text());
        }
        // Pieces that make or break the patterns, with word characters of
        // other scripts beside them, in random order.
        let pieces = [
            "www",
            ".",
            "[.]",
            "(.)",
            "{.}",
            "//",
            "http",
            "bc1",
            "0x",
            "1",
            "12345",
            "123456789",
            "+44",
            " ",
            "\n",
            "@",
            "%",
            "$",
            "£",
            "€",
            "元",
            "usdt",
            "k",
            "rs.",
            "code",
            "pin",
            "wa",
            "whatsapp",
            "t.me/",
            "urgent",
            "fee",
            "ж",
            "é",
            "٣",
            "中",
            "_",
            "-",
            "a",
            "z",
            "top",
            "com",
            "paypal",
            "verify your account",
            "you won",
            "0800",
            "🎉",
            "’",
            "within 24 hours",
            "suspended",
            "legal action",
            "processing fee",
            "pay a small fee",
            "send me the code",
            "earn",
            " per day",
            "part-time",
            "contact me on whatsapp",
            "congratulations",
            "hadiah",
            "立即",
            "手续费",
            "加微信",
            "中奖",
            "immediately",
            "locked",
            "gift card",
            "winner",
        ];
        proptest!(ProptestConfig::with_cases(3000), |(idx in proptest::collection::vec(0..pieces.len(), 0..24))| {
            let text: String = idx.iter().map(|&i| pieces[i]).collect();
            check(&text);
        });
    }
}
