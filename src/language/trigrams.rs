//! whatlang's language detection, with its trigram distances computed
//! through an inverted index.
//!
//! Hand-written because no crate does this fast enough: whatlang compares
//! a text with each of its languages by looking up all 300 of that
//! language's trigrams in the text's trigram table, so a Latin-script
//! message costs 37 × 300 = 11,100 hash lookups whatever its length.
//! Here each of the text's own trigrams (a short message has a hundred or
//! two) is looked up once in one table of every language's trigrams, and the
//! distances are summed from the hits; the alphabet stage reads ASCII
//! letters from a table; and the best two scores are found without
//! whatlang's three sorts of every language.
//!
//! The answers are whatlang's: the same profiles and alphabets (vendored
//! from the pinned whatlang by `scripts/vendor-whatlang.py`), its own
//! script stage (through its `dev` API) and the same arithmetic. Where two
//! languages tie for the best score whatlang's pick between them depends on
//! its sorts' order, but its confidence is then 0 and [`super::identify`]
//! answers `None` either way. The tests check every message of
//! `datasets/` and random text against `whatlang::detect`.

use std::sync::OnceLock;

use whatlang::dev::{self, LowercaseText};
use whatlang::{Info, Lang, Script};

/// whatlang's `MAX_TRIGRAM_DISTANCE`: a language's profile length, and the
/// distance of one of its trigrams missing from the text.
const MAX_TRIGRAM_DISTANCE: u32 = 300;
/// whatlang's `MAX_TOTAL_DISTANCE`.
const MAX_TOTAL_DISTANCE: u32 = MAX_TRIGRAM_DISTANCE * MAX_TRIGRAM_DISTANCE;
/// whatlang's `TEXT_TRIGRAMS_SIZE`: the text's most frequent trigrams kept.
const TEXT_TRIGRAMS_SIZE: usize = 600;

/// The vendored profiles (see the module docs).
const PROFILES: &str = include_str!("whatlang-profiles.txt");

/// The scripts whatlang tells languages apart in by trigrams, in the order
/// of [`Index::groups`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Latin,
    Cyrillic,
    Arabic,
    Devanagari,
    Hebrew,
}

impl Group {
    const ALL: [Group; 5] = [
        Group::Latin,
        Group::Cyrillic,
        Group::Arabic,
        Group::Devanagari,
        Group::Hebrew,
    ];

    fn name(self) -> &'static str {
        match self {
            Group::Latin => "Latin",
            Group::Cyrillic => "Cyrillic",
            Group::Arabic => "Arabic",
            Group::Devanagari => "Devanagari",
            Group::Hebrew => "Hebrew",
        }
    }

    fn script(self) -> Script {
        match self {
            Group::Latin => Script::Latin,
            Group::Cyrillic => Script::Cyrillic,
            Group::Arabic => Script::Arabic,
            Group::Devanagari => Script::Devanagari,
            Group::Hebrew => Script::Hebrew,
        }
    }
}

/// What whatlang does with a message's main script (its
/// `Script::to_lang_group`, which it does not export).
enum LangGroup {
    One(Lang),
    Multi(Group),
    Mandarin,
}

fn lang_group(script: Script) -> LangGroup {
    use LangGroup::{Mandarin, Multi, One};
    match script {
        Script::Latin => Multi(Group::Latin),
        Script::Cyrillic => Multi(Group::Cyrillic),
        Script::Arabic => Multi(Group::Arabic),
        Script::Devanagari => Multi(Group::Devanagari),
        Script::Hebrew => Multi(Group::Hebrew),
        Script::Mandarin => Mandarin,
        Script::Bengali => One(Lang::Ben),
        Script::Hangul => One(Lang::Kor),
        Script::Georgian => One(Lang::Kat),
        Script::Greek => One(Lang::Ell),
        Script::Kannada => One(Lang::Kan),
        Script::Tamil => One(Lang::Tam),
        Script::Thai => One(Lang::Tha),
        Script::Gujarati => One(Lang::Guj),
        Script::Gurmukhi => One(Lang::Pan),
        Script::Telugu => One(Lang::Tel),
        Script::Malayalam => One(Lang::Mal),
        Script::Oriya => One(Lang::Ori),
        Script::Myanmar => One(Lang::Mya),
        Script::Sinhala => One(Lang::Sin),
        Script::Khmer => One(Lang::Khm),
        Script::Ethiopic => One(Lang::Amh),
        Script::Armenian => One(Lang::Hye),
        Script::Katakana | Script::Hiragana => One(Lang::Jpn),
    }
}

/// A trigram as one integer, ordered as whatlang orders its `Trigram`
/// (character by character): a `char` fits in 21 bits.
fn pack(a: char, b: char, c: char) -> u64 {
    (u64::from(a) << 42) | (u64::from(b) << 21) | u64::from(c)
}

/// The most languages of one script (whatlang has 37 for Latin).
const MAX_LANGS: usize = 64;

/// One script's languages, profiles and alphabets.
struct Profiles {
    /// whatlang's languages of the script (`Script::langs`), then any with a
    /// profile but not in that list; the stages below index them by their
    /// position here.
    langs: Vec<Lang>,
    /// Which of `langs` the alphabet stage scores.
    in_alphabet: Vec<bool>,
    /// Which of `langs` have a trigram profile.
    profiled: Vec<bool>,
    /// Trigram → its range in `postings`.
    index: Table<(u32, u32)>,
    /// (position in `langs`, rank in that language's profile).
    postings: Vec<(u8, u16)>,
    /// [`AsciiCode`] → its range in `postings`, for the trigrams of spaces,
    /// `a`–`z` and DEL ((0, 0): none); empty for scripts other than Latin.
    ascii_index: Vec<(u32, u32)>,
    /// Latin's and Cyrillic's letters; whatlang has no alphabets for the
    /// other scripts and scores their languages 1 each.
    alphabets: Option<Alphabets>,
}

/// One script's alphabets, for whatlang's alphabet stage.
struct Alphabets {
    /// Every letter of any of the script's alphabets, sorted.
    letters: Vec<char>,
    /// For each letter, the positions of the languages whose alphabet lists
    /// it (as often as it lists it).
    owners: Vec<Vec<u8>>,
    /// For an ASCII character, its index in `letters` plus one (0: none).
    ascii: [u16; 128],
    /// How many languages whatlang's alphabet stage scores (a letter
    /// listed this many times counts for all of them).
    langs: usize,
}

fn index() -> &'static [Profiles; 5] {
    static INDEX: OnceLock<[Profiles; 5]> = OnceLock::new();
    INDEX.get_or_init(|| Group::ALL.map(build))
}

/// The vendored file's lines of one kind (`trigrams` or `alphabet`) and
/// script, as (language, data). The file is part of the binary and checked
/// by the tests, so a malformed line is a bug, not an input error.
fn vendored(kind: &'static str, group: Group) -> impl Iterator<Item = (Lang, &'static str)> {
    PROFILES
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(move |line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(
                f.len(),
                4,
                "whatlang-profiles.txt: a line without four fields"
            );
            let lang = Lang::from_code(f[2]).expect("whatlang-profiles.txt: a code whatlang knows");
            (f[0] == kind && f[1] == group.name()).then_some((lang, f[3]))
        })
}

/// Builds one script's tables from the vendored file.
fn build(group: Group) -> Profiles {
    let mut langs: Vec<Lang> = group.script().langs().to_vec();
    let position = |langs: &mut Vec<Lang>, lang: Lang| -> u8 {
        let p = langs.iter().position(|&l| l == lang).unwrap_or_else(|| {
            langs.push(lang);
            langs.len() - 1
        });
        assert!(p < MAX_LANGS, "at most {MAX_LANGS} languages a script");
        p as u8
    };

    let mut entries: Vec<(u64, u8, u16)> = Vec::new();
    let mut profiled_langs = Vec::new();
    for (lang, grams) in vendored("trigrams", group) {
        let l = position(&mut langs, lang);
        profiled_langs.push(l);
        let chars: Vec<char> = grams.chars().collect();
        assert_eq!(
            chars.len(),
            3 * MAX_TRIGRAM_DISTANCE as usize,
            "{lang:?}: 300 trigrams"
        );
        for (rank, t) in chars.chunks_exact(3).enumerate() {
            entries.push((pack(t[0], t[1], t[2]), l, rank as u16));
        }
    }
    entries.sort_unstable();
    let mut ranges = Vec::new();
    let mut start = 0;
    while start < entries.len() {
        let key = entries[start].0;
        let end = start + entries[start..].iter().take_while(|e| e.0 == key).count();
        ranges.push((key, (start as u32, end as u32)));
        start = end;
    }
    let mut ascii_index = Vec::new();
    if group == Group::Latin {
        ascii_index = vec![(0, 0); 1 << 15];
        for &(key, range) in &ranges {
            if let Some(code) = AsciiCode::of_packed(key) {
                ascii_index[usize::from(code.0)] = range;
            }
        }
    }
    let index: Table<(u32, u32)> = ranges.into_iter().collect();
    let postings = entries.into_iter().map(|(_, l, r)| (l, r)).collect();

    // whatlang's alphabet stage scores the script's languages, or for
    // scripts without alphabets a fixed list of its own.
    let scored: Vec<Lang> = match group {
        Group::Latin | Group::Cyrillic => group.script().langs().to_vec(),
        Group::Arabic => vec![Lang::Ara, Lang::Urd, Lang::Pes],
        Group::Devanagari => vec![Lang::Hin, Lang::Mar, Lang::Nep],
        Group::Hebrew => vec![Lang::Heb, Lang::Yid],
    };
    let scored: Vec<u8> = scored
        .into_iter()
        .map(|l| position(&mut langs, l))
        .collect();
    let alphabets = matches!(group, Group::Latin | Group::Cyrillic).then(|| {
        let mut owners: std::collections::BTreeMap<char, Vec<u8>> = Default::default();
        for (lang, letters) in vendored("alphabet", group) {
            let l = position(&mut langs, lang);
            for c in letters.chars() {
                owners.entry(c).or_default().push(l);
            }
        }
        let letters: Vec<char> = owners.keys().copied().collect();
        let mut ascii = [0u16; 128];
        for (i, &c) in letters.iter().enumerate() {
            if c.is_ascii() {
                ascii[c as usize] = (i + 1) as u16;
            }
        }
        Alphabets {
            letters,
            owners: owners.into_values().collect(),
            ascii,
            langs: scored.len(),
        }
    });
    let flags = |set: &[u8]| (0..langs.len()).map(|i| set.contains(&(i as u8))).collect();
    Profiles {
        in_alphabet: flags(&scored),
        profiled: flags(&profiled_langs),
        langs,
        index,
        postings,
        ascii_index,
        alphabets,
    }
}

/// whatlang's `detect(text)`, computed as the module docs say.
pub(super) fn detect(text: &str) -> Option<Info> {
    detect_against(text, &|_| false).map(|d| d.info)
}

/// What [`detect_against`] finds: whatlang's answer, and how clearly the
/// text is in none of the languages the caller knows.
pub(super) struct Detection {
    /// whatlang's own answer.
    pub info: Info,
    /// How far the best language's score is above the best known
    /// language's of its script, in units of the margin whatlang calls
    /// reliable (its confidence before it is capped at 1): 0 when the best
    /// language is known, infinite when none of the script's is.
    pub over_known: f64,
    /// The best-scoring known language of the script, when it has one and
    /// the best language is not it.
    pub best_known: Option<Lang>,
}

impl Detection {
    /// `info` with no other language of its script to weigh it against:
    /// known, or as foreign as can be.
    fn alone(info: Info, known: &dyn Fn(Lang) -> bool) -> Detection {
        let over_known = if known(info.lang()) {
            0.0
        } else {
            f64::INFINITY
        };
        Detection {
            info,
            over_known,
            best_known: None,
        }
    }
}

/// whatlang's `detect(text)`, and the best language's confidence against
/// the languages `known` accepts.
///
/// whatlang calls a guess unreliable when two languages score alike, and
/// between Spanish, Portuguese and Catalan, or Tagalog and Cebuano, a
/// message of a dozen words usually does; yet all of them may be languages
/// the model has no legitimate messages of. What the classifier asks is
/// not "which language?" but "is it reliably none of mine?".
pub(super) fn detect_against(text: &str, known: &dyn Fn(Lang) -> bool) -> Option<Detection> {
    if text.is_ascii() {
        // Most traffic: whatlang's script stage then finds Latin letters
        // or nothing (no other script has an ASCII character), and
        // lowercasing is ASCII's.
        if !text.bytes().any(|b| b.is_ascii_alphabetic()) {
            return None;
        }
        return combined(text, &text.to_ascii_lowercase(), Group::Latin, known);
    }
    let scripts = dev::raw_detect_script(text);
    let &(script, n) = scripts.counters.first()?;
    if n == 0 {
        return None;
    }
    match lang_group(script) {
        LangGroup::One(lang) => Some(Detection::alone(Info::new(script, lang, 1.0), known)),
        LangGroup::Mandarin => {
            let count = |s: Script| {
                scripts
                    .counters
                    .iter()
                    .find(|(x, _)| *x == s)
                    .map_or(0, |c| c.1)
            };
            let info = mandarin(
                count(Script::Mandarin),
                count(Script::Katakana) + count(Script::Hiragana),
            );
            // The runner-up is the other of the two.
            let other = match info.lang() {
                Lang::Jpn => Lang::Cmn,
                _ => Lang::Jpn,
            };
            // whatlang's fixed confidences here are its margins.
            let confidence = info.confidence();
            let mut d = Detection::alone(info, known);
            if d.over_known > 0.0 && known(other) {
                d.over_known = confidence;
            }
            Some(d)
        }
        LangGroup::Multi(group) => combined(text, &LowercaseText::new(text), group, known),
    }
}

/// whatlang's Chinese-or-Japanese rule for Han text.
fn mandarin(mandarin_count: usize, japanese_count: usize) -> Info {
    let total = mandarin_count + japanese_count;
    let jpn_pct = japanese_count as f64 / total as f64;
    let (lang, confidence) = if jpn_pct > 0.2 {
        (Lang::Jpn, 1.0)
    } else if jpn_pct > 0.05 {
        (Lang::Jpn, 0.5)
    } else if jpn_pct > 0.02 {
        (Lang::Cmn, 0.5)
    } else {
        (Lang::Cmn, 1.0)
    };
    Info::new(Script::Mandarin, lang, confidence)
}

/// whatlang's `combined` method: alphabet and trigram scores, weighted by
/// the text's length, on the text lowercased; and the confidence against
/// the best known language (see [`Detection::over_known`]).
fn combined(
    text: &str,
    lower: &str,
    group: Group,
    known: &dyn Fn(Lang) -> bool,
) -> Option<Detection> {
    let profiles = &index()[group as usize];
    let (alphabet_count, a) = alphabet_scores(lower, profiles);
    let (trigrams_count, t) = trigram_scores(lower, profiles);
    let alphabet_weight =
        (-(alphabet_count as f64 / 300.0) + 2.0 / 3.0).clamp(1.0 / 3.0, 2.0 / 3.0);
    let trigram_weight = 1.0 - alphabet_weight;
    // The best language and the two best scores, where whatlang sorts.
    let mut best: Option<(usize, f64)> = None;
    let mut second: Option<f64> = None;
    let mut best_known: Option<(usize, f64)> = None;
    for i in 0..profiles.langs.len() {
        if !(profiles.in_alphabet[i] || profiles.profiled[i]) {
            continue;
        }
        let score = a[i] * alphabet_weight + t[i] * trigram_weight;
        if score.is_nan() {
            // whatlang's sort orders NaN arbitrarily; never seen, since
            // every Latin-script text has a letter and a trigram.
            return Some(Detection::alone(whatlang::detect(text)?, known));
        }
        match best {
            Some((_, b)) if score <= b => second = Some(second.map_or(score, |s| s.max(score))),
            _ => {
                second = best.map(|(_, b)| b);
                best = Some((i, score));
            }
        }
        // `known` only asked when the answer could matter.
        if best_known.is_none_or(|(_, s)| score > s) && known(profiles.langs[i]) {
            best_known = Some((i, score));
        }
    }
    let (i, score1) = best?;
    let reliability = match second {
        Some(score2) => confidence(score1, score2, trigrams_count),
        None => 1.0,
    };
    let (over_known, best_known) = match best_known {
        // Both keep the first of equal scores: the best language, when
        // known, is the best known one.
        Some((k, _)) if k == i => (0.0, None),
        Some((k, score2)) => (
            margin(score1, score2, trigrams_count),
            Some(profiles.langs[k]),
        ),
        None => (f64::INFINITY, None),
    };
    Some(Detection {
        info: Info::new(group.script(), profiles.langs[i], reliability),
        over_known,
        best_known,
    })
}

/// whatlang's `calculate_confidence`: [`margin`] capped at 1.
fn confidence(highest_score: f64, second_score: f64, count: usize) -> f64 {
    margin(highest_score, second_score, count).min(1.0)
}

/// How far `highest_score` is above `second_score`, in units of the
/// relative gap whatlang calls confident for a text of `count` trigrams
/// (`calculate_confidence` before its cap; its two special cases kept).
fn margin(highest_score: f64, second_score: f64, count: usize) -> f64 {
    if highest_score == 0.0 {
        return 0.0;
    }
    if second_score == 0.0 {
        return highest_score;
    }
    let confident_rate = (3.0 / count as f64) + 0.015;
    let rate = (highest_score - second_score) / second_score;
    rate / confident_rate
}

/// whatlang's alphabet stage (`generic_alphabet_calculate_scores`, with a
/// direct table for ASCII letters): each scored language's share, by
/// position in [`Profiles::langs`], and the number of letters counted.
fn alphabet_scores(lower: &str, profiles: &Profiles) -> (usize, [f64; MAX_LANGS]) {
    let mut scores = [0.0f64; MAX_LANGS];
    let Some(alphabets) = &profiles.alphabets else {
        for (i, _) in profiles.in_alphabet.iter().enumerate().filter(|&(_, &s)| s) {
            scores[i] = 1.0;
        }
        return (1, scores);
    };
    thread_local! {
        static PER_LETTER: std::cell::RefCell<Vec<usize>> = Default::default();
    }
    PER_LETTER.with_borrow_mut(|per_letter| {
        per_letter.clear();
        per_letter.resize(alphabets.letters.len(), 0);
        let mut max_raw_score = 0usize;
        for ch in lower.chars() {
            if is_stop_char(ch) {
                continue;
            }
            max_raw_score += 1;
            let position = if ch.is_ascii() {
                (alphabets.ascii[ch as usize] as usize).checked_sub(1)
            } else {
                alphabets.letters.binary_search(&ch).ok()
            };
            if let Some(p) = position {
                per_letter[p] += 2;
            }
        }
        let mut lang_scores = [0usize; MAX_LANGS];
        let mut common_score = 0usize;
        for (p, &char_score) in per_letter.iter().enumerate() {
            if char_score > 0 {
                let owners = &alphabets.owners[p];
                if owners.len() == alphabets.langs {
                    common_score += char_score;
                } else {
                    for &l in owners {
                        lang_scores[usize::from(l)] += char_score;
                    }
                }
            }
        }
        for (i, _) in profiles.in_alphabet.iter().enumerate().filter(|&(_, &s)| s) {
            let raw = (lang_scores[i] + common_score).saturating_sub(max_raw_score);
            scores[i] = raw as f64 / max_raw_score as f64;
        }
        (max_raw_score, scores)
    })
}

/// whatlang's stop characters (space, ASCII punctuation and digits), which
/// it reads as spaces.
fn is_stop_char(ch: char) -> bool {
    matches!(ch, '\u{0000}'..='\u{0040}' | '\u{005B}'..='\u{0060}' | '\u{007B}'..='\u{007E}')
}

/// The text's trigrams, most frequent first (ties: the larger trigram
/// first), at most [`TEXT_TRIGRAMS_SIZE`]: whatlang's "positions".
fn text_trigrams(lower: &str) -> Vec<u64> {
    thread_local! {
        static COUNTS: std::cell::RefCell<Table<u32>> = Default::default();
    }
    COUNTS.with_borrow_mut(|counts| {
        counts.clear();
        let mut chars = lower
            .chars()
            .map(|c| if is_stop_char(c) { ' ' } else { c })
            .chain(Some(' '));
        let mut c1 = ' ';
        let Some(mut c2) = chars.next() else {
            return Vec::new();
        };
        for c3 in chars {
            if !(c2 == ' ' && (c1 == ' ' || c3 == ' ')) {
                *counts.entry(pack(c1, c2, c3)).or_default() += 1;
            }
            c1 = c2;
            c2 = c3;
        }
        // Most trigrams of a message occur once: those are ordered by a
        // plain integer sort, only the few others by (count, trigram).
        let (mut once, mut more) = (Vec::with_capacity(counts.len()), Vec::new());
        for (&g, &n) in counts.iter() {
            if n == 1 {
                once.push(g);
            } else {
                more.push((n, g));
            }
        }
        more.sort_unstable_by(|a, b| b.cmp(a));
        once.sort_unstable_by(|a, b| b.cmp(a));
        let mut ranked: Vec<u64> = more.into_iter().map(|(_, g)| g).collect();
        ranked.extend(once);
        ranked.truncate(TEXT_TRIGRAMS_SIZE);
        ranked
    })
}

/// A trigram of spaces, `a`–`z` and DEL (whatlang's stop characters read
/// as spaces) as a 15-bit code, 5 bits a character, ordered as [`pack`]
/// orders the same trigrams: most Latin-script messages are ASCII, and
/// their trigrams then index arrays directly, with no hashing.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct AsciiCode(u16);

impl AsciiCode {
    const SPACE: u16 = 0;
    const DEL: u16 = 27;

    /// A lowercase text's byte as a character code (`None`: not ASCII, or
    /// an upper-case letter, which lowercased text does not have).
    fn char_code(b: u8) -> Option<u16> {
        match b {
            b'a'..=b'z' => Some(u16::from(b - b'a') + 1),
            0x7F => Some(Self::DEL),
            b'A'..=b'Z' | 0x80.. => None,
            _ => Some(Self::SPACE),
        }
    }

    /// The code of a packed trigram, if its characters have codes.
    fn of_packed(key: u64) -> Option<AsciiCode> {
        let code = |c: u64| match c {
            0x20 => Some(Self::SPACE),
            0x7F => Some(Self::DEL),
            0x61..=0x7A => Some(c as u16 - 0x60),
            _ => None,
        };
        let (a, b, c) = (
            code(key >> 42)?,
            code((key >> 21) & 0x1F_FFFF)?,
            code(key & 0x1F_FFFF)?,
        );
        Some(AsciiCode((a << 10) | (b << 5) | c))
    }

    /// The packed trigram of this code.
    fn packed(self) -> u64 {
        let char_of = |c: u16| match c {
            Self::SPACE => ' ',
            Self::DEL => '\u{7F}',
            c => char::from(b'a' + c as u8 - 1),
        };
        pack(
            char_of(self.0 >> 10),
            char_of((self.0 >> 5) & 31),
            char_of(self.0 & 31),
        )
    }
}

/// [`text_trigrams`] of a lowercase ASCII text as [`AsciiCode`]s, into
/// `ranked` (false, and `ranked` unspecified, for any other text).
///
/// Most of a message's trigrams occur once; those are ranked by walking a
/// two-level bitmap of the codes from the top (a few hundred instructions)
/// rather than sorted, and only the few others sorted by (count, code).
fn ascii_text_trigrams(lower: &str, ranked: &mut Vec<AsciiCode>) -> bool {
    struct Scratch {
        counts: Vec<u32>,
        used: Vec<u16>,
        more: Vec<u32>,
        /// Bit `c % 64` of word `c / 64`: code `c` seen once.
        once: Vec<u64>,
        /// Bit `w % 64` of word `w / 64`: `once[w]` is not zero.
        words: [u64; 8],
    }
    thread_local! {
        static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch {
            counts: vec![0; 1 << 15],
            used: Vec::new(),
            more: Vec::new(),
            once: vec![0; 1 << 9],
            words: [0; 8],
        });
    }
    ranked.clear();
    if !lower.is_ascii() {
        return false;
    }
    SCRATCH.with_borrow_mut(|s| {
        s.used.clear();
        let mut complete = true;
        let (mut c1, mut c2) = (AsciiCode::SPACE, None::<u16>);
        for b in lower.bytes().chain(Some(b' ')) {
            let Some(c3) = AsciiCode::char_code(b) else {
                complete = false;
                break;
            };
            if let Some(c2) = c2 {
                if !(c2 == AsciiCode::SPACE && (c1 == AsciiCode::SPACE || c3 == AsciiCode::SPACE)) {
                    let key = (c1 << 10) | (c2 << 5) | c3;
                    if s.counts[usize::from(key)] == 0 {
                        s.used.push(key);
                    }
                    s.counts[usize::from(key)] += 1;
                }
                c1 = c2;
            }
            c2 = Some(c3);
        }
        s.more.clear();
        for &k in &s.used {
            let n = std::mem::take(&mut s.counts[usize::from(k)]);
            if !complete {
                continue;
            }
            if n == 1 {
                s.once[usize::from(k >> 6)] |= 1 << (k & 63);
                s.words[usize::from(k >> 12)] |= 1 << ((k >> 6) & 63);
            } else {
                s.more.push((n << 15) | u32::from(k));
            }
        }
        if !complete {
            return false;
        }
        s.more.sort_unstable_by(|a, b| b.cmp(a));
        ranked.extend(s.more.iter().map(|&r| AsciiCode((r & 0x7FFF) as u16)));
        for top in (0..8).rev() {
            let mut words = std::mem::take(&mut s.words[top]);
            while words != 0 {
                let w = 63 - words.leading_zeros() as usize;
                words &= !(1 << w);
                let i = top * 64 + w;
                let mut bits = std::mem::take(&mut s.once[i]);
                while bits != 0 {
                    let b = 63 - bits.leading_zeros() as usize;
                    bits &= !(1 << b);
                    ranked.push(AsciiCode((i * 64 + b) as u16));
                }
            }
        }
        ranked.truncate(TEXT_TRIGRAMS_SIZE);
        true
    })
}

/// A hasher for packed trigrams: one folded multiply. They are already
/// distinct integers, and a general-purpose hasher (FNV's byte loop, a
/// keyed SipHash) cost more than the rest of a look-up.
#[derive(Default, Clone, Copy)]
struct TrigramHasher(u64);

impl std::hash::Hasher for TrigramHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(self.0 ^ u64::from(b));
        }
    }

    fn write_u64(&mut self, key: u64) {
        // Both halves of the 128-bit product: the table indexes by the low
        // bits and tags by the high ones.
        let p = u128::from(key) * 0x9E37_79B9_7F4A_7C15;
        self.0 = (p as u64) ^ ((p >> 64) as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by packed trigrams.
type Table<V> = std::collections::HashMap<u64, V, std::hash::BuildHasherDefault<TrigramHasher>>;

/// whatlang's trigram scores of `lower`, by position in
/// [`Profiles::langs`], and the number of distinct trigrams they were
/// computed from.
fn trigram_scores(lower: &str, profiles: &Profiles) -> (usize, [f64; MAX_LANGS]) {
    thread_local! {
        static RANKED: std::cell::RefCell<Vec<AsciiCode>> = Default::default();
    }
    // Per language, the sum over its profile's trigrams found in the text of
    // (300 - |text position - profile rank|): its distance is 300 per
    // profile trigram less this.
    let mut found = [0i32; MAX_LANGS];
    let mut add = |pos: usize, (start, end): (u32, u32)| {
        for &(l, rank) in &profiles.postings[start as usize..end as usize] {
            let d = (pos as i32 - i32::from(rank)).abs();
            found[usize::from(l)] += MAX_TRIGRAM_DISTANCE as i32 - d;
        }
    };
    let count = RANKED.with_borrow_mut(|ranked| {
        if !ascii_text_trigrams(lower, ranked) {
            let positions = text_trigrams(lower);
            for (pos, key) in positions.iter().enumerate() {
                if let Some(&range) = profiles.index.get(key) {
                    add(pos, range);
                }
            }
            return positions.len();
        }
        if profiles.ascii_index.is_empty() {
            for (pos, code) in ranked.iter().enumerate() {
                if let Some(&range) = profiles.index.get(&code.packed()) {
                    add(pos, range);
                }
            }
        } else {
            for (pos, code) in ranked.iter().enumerate() {
                add(pos, profiles.ascii_index[usize::from(code.0)]);
            }
        }
        ranked.len()
    });
    let max_dist = count as u32 * MAX_TRIGRAM_DISTANCE;
    let mut scores = [0.0f64; MAX_LANGS];
    for (i, _) in profiles.profiled.iter().enumerate().filter(|&(_, &p)| p) {
        let mut total = i64::from(MAX_TOTAL_DISTANCE) - i64::from(found[i]);
        if (MAX_TRIGRAM_DISTANCE as usize) > count {
            total -=
                (i64::from(MAX_TRIGRAM_DISTANCE) - count as i64) * i64::from(MAX_TRIGRAM_DISTANCE);
        }
        let distance = total.clamp(0, i64::from(MAX_TOTAL_DISTANCE)) as u32;
        scores[i] = f64::from(max_dist - distance) / f64::from(max_dist);
    }
    (count, scores)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same script and confidence as whatlang, and the same language
    /// unless two tie for the best score (confidence 0; see the module
    /// docs).
    fn same(text: &str) {
        let answer = |i: Info| {
            let lang = (i.confidence() > 0.0).then_some(i.lang());
            (lang, i.script(), i.confidence().to_bits())
        };
        assert_eq!(
            detect(text).map(answer),
            whatlang::detect(text).map(answer),
            "{text:?}"
        );
        assert_eq!(
            super::super::identify(text),
            super::super::identify_by(text, whatlang::detect),
            "{text:?}"
        );
    }

    #[test]
    fn same_answers_as_whatlang() {
        for text in [
            "",
            " ",
            "a",
            "-a-",
            "ok",
            "123 456",
            "Your parcel is held at the depot, pay the fee at http://x.example",
            "Die Ordnung muss für immer in diesem Codebase bleiben",
            "Tài khoản của bạn vừa được cộng 500.000 đồng",
            "Tai khoan cua ban vua duoc cong 500.000 dong",
            "Ваш код подтверждения: 4821. Никому его не сообщайте.",
            "مرحبا، تم خصم 200 ريال من حسابك",
            "आपका पार्सल डिपो पर रुका है",
            "שלום, החבילה שלך ממתינה",
            "您的包裹已到达，请点击链接支付运费",
            "お荷物をお届けにあがりましたが不在のため持ち帰りました",
            "お荷物 包裹 到达",
            "ΣΟΦΟΣ ΑΝΘΡΩΠΟΣ",
            "İSTANBUL'DA KARGONUZ BEKLİYOR",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "xaaaaabbbb    d",
        ] {
            same(text);
        }
        // Every distinct trigram kept: a text of more than 600 of them.
        let long: String = ('a'..='z')
            .flat_map(|a| ('a'..='z').map(move |b| format!("{a}{b}q ")))
            .collect();
        same(&long);
    }

    /// Every message the team wrote, in 23 languages, whole and cut as
    /// [`super::super::identify`] cuts it.
    #[test]
    fn same_answers_as_whatlang_on_the_datasets() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets");
        let mut n = 0;
        for entry in walkdir::WalkDir::new(root) {
            let path = entry.unwrap().into_path();
            if path.extension().is_none_or(|e| e != "jsonl") {
                continue;
            }
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let row: serde_json::Value = serde_json::from_str(line).unwrap();
                let text = row["text"].as_str().unwrap();
                same(text);
                same(&text[..text.floor_char_boundary(super::super::PREFIX_BYTES)]);
                n += 1;
            }
        }
        assert!(n > 3000, "{n} messages");
    }

    proptest::proptest! {
        #[test]
        fn same_answers_as_whatlang_on_any_ascii_text(text in "[\\x00-\\x7f]{0,200}") {
            same(&text);
        }

        /// The ASCII path ranks as the general one does, repeats and
        /// texts of more than 600 trigrams included.
        #[test]
        fn ascii_trigrams_rank_as_the_general_path(
            text in "([a-z \x7f.0-9]{0,40}|[abc ]{0,40}|(the |ing |and ){0,5}){0,60}"
        ) {
            let mut ranked = Vec::new();
            proptest::prop_assert!(ascii_text_trigrams(&text, &mut ranked));
            let ranked: Vec<u64> = ranked.into_iter().map(AsciiCode::packed).collect();
            proptest::prop_assert_eq!(ranked, text_trigrams(&text));
        }

        #[test]
        fn same_answers_as_whatlang_on_any_text(text in "[a-zA-Zäößéèçñ ,.!0-9İıΣςσ\\u{0400}-\\u{04FF}\\u{0600}-\\u{06FF}\\u{0900}-\\u{097F}\\u{4E00}-\\u{4E20}\\u{3040}-\\u{3060}]{0,80}") {
            same(&text);
        }
    }

    #[test]
    fn the_index_holds_every_profile() {
        let profiled: usize = index()
            .iter()
            .map(|g| g.profiled.iter().filter(|&&p| p).count())
            .sum();
        assert_eq!(profiled, 51);
        for g in index() {
            let n = g.profiled.iter().filter(|&&p| p).count();
            assert_eq!(g.postings.len(), n * 300);
        }
        let latin = &index()[Group::Latin as usize];
        for code in 0..1u16 << 15 {
            let code = AsciiCode(code);
            let valid = [code.0 >> 10, (code.0 >> 5) & 31, code.0 & 31]
                .iter()
                .all(|&c| c <= AsciiCode::DEL);
            let expected = if valid {
                assert_eq!(AsciiCode::of_packed(code.packed()), Some(code));
                latin.index.get(&code.packed()).copied().unwrap_or((0, 0))
            } else {
                (0, 0)
            };
            assert_eq!(latin.ascii_index[usize::from(code.0)], expected);
        }
        assert!(!ascii_text_trigrams("x é", &mut Vec::new()));
        assert!(!ascii_text_trigrams("Upper", &mut Vec::new()));
    }
}
