//! Typed entity tokens: the parts of a message that scam scripts rely on.
//!
//! Each [`Entity`] is a span of the normalized text plus one or more feature
//! names (`url`, `url:shortener`, `tld:top`, `domain:bit.ly`, `money`,
//! `currency:usdt`...). Types, not literal values, become model features (the
//! registrable domain of a link is the one exception): a new campaign changes
//! its link and phone number, not the fact that it sends a shortened link and
//! a foreign phone number.
//!
//! Written with `regex` rather than a URL or phone crate: scam text is
//! defanged, OCR'd and obfuscated (`hxxp://`, `site[.]top`, `www paypal com`),
//! and the URL/phone crates reject exactly the inputs we most need to see.

use crate::regexes::Lazy;
use regex::Regex;
use regex_automata::meta::Regex as MetaRegex;
use std::sync::OnceLock;

/// The kind of an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// A link (with or without scheme; defanged forms included).
    Url,
    /// An e-mail address.
    Email,
    /// A phone number.
    Phone,
    /// A money amount with a currency.
    Money,
    /// A crypto-currency wallet address.
    Wallet,
    /// An `@handle`.
    Handle,
    /// A WhatsApp/Telegram/... mention or invitation link.
    Messenger,
    /// A percentage.
    Percent,
    /// A one-time code (a short number next to "code", "OTP", "PIN"...).
    Code,
    /// A phrase that does what scams do, whatever the script: press for
    /// urgency, threaten, ask for a fee or a deposit, ask for credentials or a
    /// code, promise easy pay for simple tasks, move the talk to a messenger,
    /// announce a prize. Features `cue:urgency`, `cue:threat`, `cue:fee`,
    /// `cue:credentials`, `cue:job_pay`, `cue:move_chat`, `cue:prize`.
    Cue,
}

/// One recognized entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    /// What it is.
    pub kind: EntityKind,
    /// Start byte in the normalized text.
    pub start: usize,
    /// End byte (exclusive) in the normalized text.
    pub end: usize,
    /// Feature names this entity contributes (without the `e:` prefix).
    pub features: Vec<String>,
}

/// Brands that scams impersonate, and their own registrable domain labels.
const BRANDS: &[&str] = &[
    "paypal",
    "apple",
    "icloud",
    "amazon",
    "netflix",
    "microsoft",
    "outlook",
    "office365",
    "google",
    "gmail",
    "facebook",
    "instagram",
    "whatsapp",
    "telegram",
    "usps",
    "fedex",
    "dhl",
    "ups",
    "royalmail",
    "evri",
    "hermes",
    "auspost",
    "canadapost",
    "chase",
    "wellsfargo",
    "bankofamerica",
    "citibank",
    "hsbc",
    "barclays",
    "lloyds",
    "natwest",
    "santander",
    "halifax",
    "hmrc",
    "irs",
    "coinbase",
    "binance",
    "metamask",
    "blockchain",
    "ebay",
    "walmart",
    "costco",
    "steam",
    "docusign",
    "dropbox",
    "linkedin",
    "sbi",
    "hdfc",
    "icici",
    "paytm",
    "gcash",
    "maybank",
    "dbs",
    "ocbc",
    "bca",
    "mandiri",
    "shopee",
    "lazada",
    "tokopedia",
    "mercadolibre",
    "correos",
    "postnl",
    "laposte",
];

const SHORTENERS: &[&str] = &[
    "bit.ly",
    "bitly.com",
    "tinyurl.com",
    "t.co",
    "goo.gl",
    "ow.ly",
    "is.gd",
    "buff.ly",
    "cutt.ly",
    "rb.gy",
    "shorturl.at",
    "tiny.cc",
    "rebrand.ly",
    "s.id",
    "t.ly",
    "v.gd",
    "lnkd.in",
    "bl.ink",
    "short.io",
    "shorte.st",
    "adf.ly",
    "qrco.de",
    "linktr.ee",
    "tny.im",
    "urlz.fr",
    "gg.gg",
];

const TLDS: &str = "com|net|org|info|biz|xyz|top|online|site|club|shop|vip|live|link|click|icu|cc|co|io|me|ly|gl|in|uk|us|ru|cn|tk|ml|ga|cf|gq|ph|id|my|sg|ng|au|ca|de|fr|es|it|nl|br|mx|vn|th|app|dev|cloud|support|help|win|bid|loan|work|life|today|world|fun|store|tech|pro|asia|ws|su|pw|rest|cyou|sbs|bond|buzz|ink|gd|to|tv|ai|gov|edu|eu|ch|pk|bd|ke|za|hk|tw|jp|kr|ir|tr|pl|pt|ar|cl|pe|ae|sa|info|mobi|name|page|site|space|website|services|center|finance|money|bank|exchange|trade|digital|network|email|net";

struct Patterns {
    /// Compiled with ASCII word boundaries, for text where they agree with Unicode ones.
    ascii: bool,
    url: Lazy<Regex>,
    email: Lazy<Regex>,
    handle: Lazy<Regex>,
    phone: Lazy<Regex>,
    money: Lazy<Regex>,
    wallet: Lazy<Regex>,
    messenger: Lazy<MetaRegex>,
    percent: Lazy<Regex>,
    number: Lazy<Regex>,
    code_word: Lazy<Regex>,
    cues: Vec<(&'static str, Lazy<MetaRegex>)>,
}

/// The entity patterns, compiled once per process with Unicode and with
/// ASCII word boundaries (see [`crate::regexes`]).
///
/// Each pattern of each variant is compiled when a message first needs it
/// (see [`crate::regexes::Lazy`]): a process that classifies one message compiles a few.
fn patterns(ascii_boundaries: bool) -> &'static Patterns {
    static UNICODE: OnceLock<Patterns> = OnceLock::new();
    static ASCII: OnceLock<Patterns> = OnceLock::new();
    let p = if ascii_boundaries { &ASCII } else { &UNICODE };
    p.get_or_init(|| Patterns::compile(ascii_boundaries))
}

impl Patterns {
    /// The patterns to search `text` with: the ASCII-boundary variant when
    /// it gives exactly the Unicode variant's matches.
    fn for_text(text: &str) -> &'static Patterns {
        patterns(crate::regexes::ascii_boundaries_agree(text))
    }

    fn compile(ascii_boundaries: bool) -> Patterns {
        use crate::regexes::{compile, compile_meta, lazy};
        let re = |p: &str, what| lazy(compile, p.to_string(), ascii_boundaries, what);
        // The patterns searched at the candidates of the literal gate.
        let meta = |p: &str, what| lazy(compile_meta, p.to_string(), ascii_boundaries, what);
        let dot = r"(?:\.|\[\.\]|\(\.\)|\{\.\})";
        let url = format!(
            r"(?:(?:https?|hxxps?|h\*\*ps?|ftp)(?::|\[:\])//[^\s<>\x22']+|www{dot}[^\s<>\x22']+|\b(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?{dot})+(?:{TLDS})\b(?:/[^\s<>\x22']*)?)"
        );
        Patterns {
            ascii: ascii_boundaries,
            url: re(&url, "url"),
            email: re(r"[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)+", "email"),
            handle: re(r"(?:^|[\s(:,])(@[a-z0-9_][a-z0-9_.]{2,29})", "handle"),
            phone: re(r"(?:\+|\b00)?\(?\d[\d\s().\-]{6,20}\d\b", "phone"),
            money: re(
                concat!(
                    r"(?:[$£€₹¥₱₦₩₫฿₺₽]|\b(?:usd|usdt|usdc|eur|gbp|inr|rs\.?|rp\.?|idr|rm|myr|php|ngn|aud|cad|sgd|btc|eth|vnd|thb|cny|rmb|hkd|kes|zar|brl|r\$)\s?)\s?\d[\d,.]*(?:\s?(?:k|m|mn|million|juta|jt|ribu|rb|lakh|lakhs|crore|bn|billion)\b)?",
                    r"|\b\d[\d,.]*\s?(?:usd|usdt|usdc|dollars?|euros?|pounds?|quid|rupees?|naira|rupiah|ringgit|pesos?|btc|eth|bitcoins?|juta|jt|ribu|rb|lakhs?|crores?|yuan|baht|dong|reais|k)\b",
                    r"|\d[\d,.]*\s?(?:元|万|块)"
                ),
                "money",
            ),
            wallet: re(
                r"\b(?:bc1[a-z0-9]{25,60}|0x[a-f0-9]{40}|[13][a-z0-9]{25,34}|t[a-z0-9]{33})\b",
                "wallet",
            ),
            messenger: meta(MESSENGER, "messenger"),
            percent: re(r"\d+(?:[.,]\d+)?\s?%", "percent"),
            number: re(r"\b\d{4,8}\b", "number"),
            code_word: re(
                r"code|otp|\bpin\b|passcode|verification|kode|codigo|código|\bma\b|验证码|รหัส",
                "code word",
            ),
            cues: CUES
                .iter()
                .map(|(name, p)| (*name, meta(p, "cue")))
                .collect(),
        }
    }
}

/// Messenger names and invitation links.
const MESSENGER: &str = r"wa\.me/|api\.whatsapp\.com|chat\.whatsapp\.com|\bwhats\s?app\b|\bwa\b|t\.me/|\btelegram\b|\btg\b|\bsignal\b|\bwechat\b|\bviber\b|line\.me|\bkakao(?:talk)?\b";

/// Scam moves as phrases, in the languages of the project's data (English,
/// Spanish, Portuguese, French, German, Indonesian/Malay, Tagalog,
/// Vietnamese without accents, Hindi in Latin letters, Chinese). Matched on
/// normalized text: lower-case, accents stripped, look-alikes folded.
///
/// Hand-written: these are the project's own lexicon of how scams pressure,
/// threaten and ask; no crate holds one.
const CUES: &[(&str, &str)] = &[
    (
        "urgency",
        r"\b(?:urgent(?:e|ly)?|immediately|right away|as soon as possible|asap|within (?:24|48|12|2|1) ?(?:h|hrs?|hours?)|today only|final (?:notice|warning|reminder)|last (?:chance|warning|reminder)|act now|expires? (?:today|tonight|soon)|before it(?:'s| is) too late|limited time|inmediatamente|de inmediato|urgente|imediatamente|dringend|sofort|immediatement|segera|secepatnya|agad|ngay lap tuc|khan cap|turant|jaldi)\b|立即|马上|紧急",
    ),
    (
        "threat",
        r"\b(?:suspend(?:ed|ion)?|locked|blocked|deactivat(?:ed|ion)|terminat(?:ed|ion)|disabled|frozen|legal action|arrest(?:ed)?|warrant|lawsuit|prosecut\w*|penalt(?:y|ies)|police|court|jail|will be (?:closed|cancelled|canceled|returned|destroyed)|bloquead[ao]|suspendid[ao]|gesperrt|gesperrt|bloque(?:e|r)?|suspendu|diblokir|dinonaktifkan|ditangguhkan|bi khoa|band kar|giraftar)\b|冻结|封号|逮捕",
    ),
    (
        "fee",
        r"\b(?:(?:processing|delivery|redelivery|customs|clearance|release|activation|registration|handling|transfer|unlock(?:ing)?|insurance|shipping|admin(?:istration)?) (?:fee|charge|cost)s?|pay (?:a |the )?(?:small |one-time )?(?:fee|deposit|charge)|top ?up (?:your|the) (?:account|balance)|deposit (?:first|to (?:unlock|start|activate|withdraw))|(?:tasa|tarifa|cuota) de|taxa de|frais de|gebuhr|biaya (?:admin|pengiriman|proses)|bayar (?:dulu|biaya))\b|手续费|保证金|充值",
    ),
    (
        "credentials",
        r"\b(?:(?:verify|confirm|update|validate|re-?activate|unlock|restore) (?:your |the )?(?:account|identity|details|information|info|card|payment|billing|password|login|bank)|(?:send|share|give|forward|tell|provide|reply with|enter) (?:me |us )?(?:the |your |that )?(?:code|otp|pin|password|passcode|verification code|card (?:number|details)|cvv|login)|(?:verifique|confirme|actualice|atualize|verifiez|bestatigen|verifikasi) (?:su|sua|votre|ihr|ihre|akun)?)\b",
    ),
    (
        "job_pay",
        r"\b(?:(?:earn|make|get|salary|income|commission|paid|profit|pay)\b[^.\n]{0,40}\b(?:per|a|each|/) ?(?:day|hour|hr|task|order)|(?:daily|per day|weekly) (?:income|salary|pay|earnings|commission)|(?:part[- ]time|work from home|online job|simple tasks?|no experience (?:needed|required))|gaji (?:harian|per hari)|kerja (?:sampingan|paruh waktu)|trabajo (?:desde casa|medio tiempo)|ganhe|trabalho (?:em casa|de casa))\b|兼职|日结|刷单",
    ),
    (
        "move_chat",
        r"\b(?:(?:add|contact|message|text|chat with|reach|dm|call|write to) (?:me|us|my (?:manager|assistant|mentor|agent)) (?:on|via|at|through|in) (?:whats ?app|telegram|signal|wechat|line|viber|kakao)|(?:on|via) (?:whats ?app|telegram) (?:only|now|for (?:details|more)))\b|加微信|加我",
    ),
    (
        "prize",
        r"\b(?:you(?:'ve| have)? (?:won|been selected|been chosen)|congratulations|winner|claim (?:your|the) (?:prize|reward|gift|winnings|refund)|(?:prize|reward|gift card|voucher|jackpot|lottery|lucky draw)|ganaste|ganador|premio|parabens|gagnant|gewonnen|selamat anda|pemenang|hadiah|nanalo)\b|中奖|恭喜",
    ),
];

/// Recognizes entities in normalized (lower-cased, folded) text.
#[derive(Debug, Clone, Default)]
pub struct EntityRecognizer;

impl EntityRecognizer {
    /// Builds a recognizer (the patterns are compiled once per process).
    pub fn new() -> Self {
        EntityRecognizer
    }

    /// Finds all entities in `text`, sorted by position.
    ///
    /// ```
    /// use scamscan::tokenize::{EntityRecognizer, EntityKind};
    /// let found = EntityRecognizer::new().recognize("pay $50 fee at paypa1-verify.top or call +1 (202) 555-0143");
    /// let kinds: Vec<EntityKind> = found.iter().map(|e| e.kind).collect();
    /// assert_eq!(kinds, [EntityKind::Money, EntityKind::Url, EntityKind::Phone]);
    /// assert!(found[1].features.contains(&"url:lookalike".to_string()));
    /// ```
    pub fn recognize(&self, text: &str) -> Vec<Entity> {
        let mut out = Vec::new();
        self.recognize_into(text, &mut out);
        out
    }

    /// Like [`EntityRecognizer::recognize`], appending to `out` after clearing it.
    pub fn recognize_into(&self, text: &str, out: &mut Vec<Entity>) {
        let p = Patterns::for_text(text);
        recognize(text, out, p, Gates::new(text, p.ascii));
    }
}

/// The entities of `text`, found with patterns `p`, skipping the patterns
/// `gates` rules out.
fn recognize(text: &str, out: &mut Vec<Entity>, p: &Patterns, gates: Gates) {
    out.clear();
    let bytes = text.as_bytes();
    let has_digit = bytes.iter().any(u8::is_ascii_digit);
    let mut url_spans: Vec<(usize, usize)> = Vec::new();

    if bytes.contains(&b'@') {
        for m in p.email.find_iter(text) {
            out.push(entity(
                EntityKind::Email,
                m.start(),
                m.end(),
                vec!["email".into()],
            ));
            url_spans.push((m.start(), m.end()));
        }
        for c in p.handle.captures_iter(text) {
            let m = c.get(1).expect("group 1");
            if !overlaps(&url_spans, m.start(), m.end()) {
                out.push(entity(
                    EntityKind::Handle,
                    m.start(),
                    m.end(),
                    vec!["handle".into()],
                ));
            }
        }
    }
    for m in find_if(gates.url, &p.url, text) {
        if overlaps(&url_spans, m.start(), m.end()) {
            continue;
        }
        url_spans.push((m.start(), m.end()));
        out.push(entity(
            EntityKind::Url,
            m.start(),
            m.end(),
            url_features(m.as_str()),
        ));
    }
    gates.matches(MESSENGER_PATTERN, &p.messenger, text, |s, e| {
        let m = &text[s..e];
        let name = messenger_name(m);
        let mut f = vec![format!("messenger:{name}")];
        if m.contains('/') {
            f.push("messenger_link".into());
        }
        out.push(entity(EntityKind::Messenger, s, e, f));
    });
    if has_digit {
        let mut money_spans = Vec::new();
        for m in p.money.find_iter(text) {
            let s = m.as_str();
            if !s.bytes().any(|b| b.is_ascii_digit()) || overlaps(&url_spans, m.start(), m.end()) {
                continue;
            }
            money_spans.push((m.start(), m.end()));
            out.push(entity(
                EntityKind::Money,
                m.start(),
                m.end(),
                vec!["money".into(), format!("currency:{}", currency(s))],
            ));
        }
        for m in find_if(gates.wallet, &p.wallet, text) {
            let s = m.as_str();
            let digits = s.bytes().filter(u8::is_ascii_digit).count();
            let letters = s.bytes().filter(u8::is_ascii_alphabetic).count();
            if digits >= 3 && letters >= 3 && !overlaps(&url_spans, m.start(), m.end()) {
                let chain = if s.starts_with("0x") {
                    "eth"
                } else if s.starts_with('t') {
                    "tron"
                } else {
                    "btc"
                };
                out.push(entity(
                    EntityKind::Wallet,
                    m.start(),
                    m.end(),
                    vec!["wallet".into(), format!("wallet:{chain}")],
                ));
                url_spans.push((m.start(), m.end()));
            }
        }
        for m in p.percent.find_iter(text) {
            out.push(entity(
                EntityKind::Percent,
                m.start(),
                m.end(),
                vec!["percent".into()],
            ));
        }
        for m in find_if(gates.phone, &p.phone, text) {
            let s = m.as_str();
            let digits = s.bytes().filter(u8::is_ascii_digit).count();
            if !(8..=15).contains(&digits)
                || overlaps(&url_spans, m.start(), m.end())
                || overlaps(&money_spans, m.start(), m.end())
            {
                continue;
            }
            let mut f = vec!["phone".to_string()];
            if s.starts_with('+') || s.starts_with("00") {
                f.push("phone:international".into());
            }
            if s.contains("800") || s.contains("888") || s.contains("877") || s.contains("866") {
                f.push("phone:tollfree_like".into());
            }
            out.push(entity(EntityKind::Phone, m.start(), m.end(), f));
            url_spans.push((m.start(), m.end()));
        }
        for m in find_if(gates.number, &p.number, text) {
            if overlaps(&url_spans, m.start(), m.end())
                || overlaps(&money_spans, m.start(), m.end())
            {
                continue;
            }
            let lo = text.floor_char_boundary(m.start().saturating_sub(40));
            let hi = text.ceil_char_boundary(m.end() + 40);
            if p.code_word.is_match(&text[lo..hi]) {
                out.push(entity(
                    EntityKind::Code,
                    m.start(),
                    m.end(),
                    vec!["code".into()],
                ));
            }
        }
    }
    for (i, (name, re)) in p.cues.iter().enumerate() {
        gates.matches(i, re, text, |s, e| {
            out.push(entity(EntityKind::Cue, s, e, vec![format!("cue:{name}")]));
        });
    }
    out.sort_by_key(|e| (e.start, e.end));
}

/// The matches of `re` in `text` when `on` (a gate), else none.
fn find_if<'r, 't>(
    on: bool,
    re: &'r Lazy<Regex>,
    text: &'t str,
) -> impl Iterator<Item = regex::Match<'t>> + use<'r, 't> {
    on.then(|| re.find_iter(text)).into_iter().flatten()
}

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
const MESSENGER_PATTERN: usize = CUES.len();

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
    /// A DFA: a few hundred short literals make a small one, quick to
    /// build, and it searches several times faster than the default.
    literals: aho_corasick::AhoCorasick,
    /// The pattern of each literal.
    pattern: Vec<u8>,
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
            literals: aho_corasick::AhoCorasick::builder()
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(&literals)
                .expect("literals build"),
            pattern,
        }
    }

    /// Every `(pattern, start)` where a match may begin in `text`, sorted,
    /// into `out`.
    fn candidates(&self, text: &str, out: &mut Vec<(u8, u32)>) {
        out.clear();
        for m in self.literals.find_overlapping_iter(text) {
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
struct Gates {
    /// A link needs `//`, `www` or a dot (also `[.]`, `(.)`, `{.}`) right
    /// before a lower-case top-level domain.
    url: bool,
    /// A kept phone number has at least 8 digits.
    phone: bool,
    /// A number is a whole run of 4 to 8 digits.
    number: bool,
    /// A wallet address is a run of at least 26 letters and digits.
    wallet: bool,
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

    fn new(text: &str, ascii: bool) -> Gates {
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
        let (mut digits, mut digit_run, mut alnum_run) = (0usize, 0usize, 0usize);
        let mut g = Gates {
            url: false,
            phone: false,
            number: false,
            wallet: false,
            starts,
        };
        for (i, &b) in bytes.iter().enumerate() {
            if b.is_ascii_digit() {
                digits += 1;
                digit_run += 1;
            } else {
                g.number |= (4..=8).contains(&digit_run);
                digit_run = 0;
            }
            if b.is_ascii_digit() || b.is_ascii_lowercase() {
                alnum_run += 1;
                g.wallet |= alnum_run >= 26;
            } else {
                alnum_run = 0;
            }
            let next = bytes.get(i + 1).copied().unwrap_or(0);
            g.url |= match b {
                b'/' => next == b'/',
                b'.' => next.is_ascii_lowercase() || matches!(next, b']' | b')' | b'}'),
                b'w' => bytes[i..].starts_with(b"www"),
                _ => false,
            };
        }
        g.number |= (4..=8).contains(&digit_run);
        g.phone = digits >= 8;
        g
    }

    /// Calls `f(start, end)` for each match of `re`, pattern `pattern` of
    /// the [`literal_gate`], in `text`: the matches `find_iter` finds, found
    /// by a search anchored at each place a match may begin.
    ///
    /// Exactly the same matches: every match begins at a candidate, so the
    /// leftmost match from any position is the first candidate from there
    /// with a match anchored at it, and that is the match the leftmost-first
    /// search prefers among those starting there.
    fn matches(
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

fn entity(kind: EntityKind, start: usize, end: usize, features: Vec<String>) -> Entity {
    Entity {
        kind,
        start,
        end,
        features,
    }
}

fn overlaps(spans: &[(usize, usize)], s: usize, e: usize) -> bool {
    spans.iter().any(|&(a, b)| s < b && a < e)
}

fn messenger_name(s: &str) -> &'static str {
    if s.starts_with("wa") || s.contains("whats") {
        "whatsapp"
    } else if s.starts_with("t.me") || s.starts_with("tele") || s == "tg" {
        "telegram"
    } else if s.starts_with("line") {
        "line"
    } else if s.starts_with("we") {
        "wechat"
    } else if s.starts_with("sig") {
        "signal"
    } else if s.starts_with("vib") {
        "viber"
    } else {
        "kakao"
    }
}

fn currency(s: &str) -> &'static str {
    let table: &[(&str, &str)] = &[
        ("usdt", "usdt"),
        ("usdc", "usdt"),
        ("btc", "crypto"),
        ("bitcoin", "crypto"),
        ("eth", "crypto"),
        ("r$", "brl"),
        ("reais", "brl"),
        ("$", "usd"),
        ("usd", "usd"),
        ("dollar", "usd"),
        ("£", "gbp"),
        ("gbp", "gbp"),
        ("pound", "gbp"),
        ("quid", "gbp"),
        ("€", "eur"),
        ("eur", "eur"),
        ("₹", "inr"),
        ("inr", "inr"),
        ("rs", "inr"),
        ("rupee", "inr"),
        ("lakh", "inr"),
        ("crore", "inr"),
        ("rp", "idr"),
        ("idr", "idr"),
        ("rupiah", "idr"),
        ("juta", "idr"),
        ("ribu", "idr"),
        ("jt", "idr"),
        ("rb", "idr"),
        ("rm", "myr"),
        ("myr", "myr"),
        ("ringgit", "myr"),
        ("₱", "php"),
        ("php", "php"),
        ("peso", "php"),
        ("₦", "ngn"),
        ("ngn", "ngn"),
        ("naira", "ngn"),
        ("¥", "cny"),
        ("元", "cny"),
        ("万", "cny"),
        ("块", "cny"),
        ("yuan", "cny"),
        ("rmb", "cny"),
        ("cny", "cny"),
        ("₫", "vnd"),
        ("vnd", "vnd"),
        ("dong", "vnd"),
        ("฿", "thb"),
        ("thb", "thb"),
        ("baht", "thb"),
    ];
    table
        .iter()
        .find(|(k, _)| s.contains(k))
        .map(|(_, v)| *v)
        .unwrap_or("other")
}

/// Features of one URL: `url`, its TLD, shortener, IP literal, brand lookalike.
fn url_features(raw: &str) -> Vec<String> {
    let mut f = vec!["url".to_string()];
    let defanged =
        raw.contains("hxxp") || raw.contains("[.]") || raw.contains("(.)") || raw.contains("[:]");
    let clean: std::borrow::Cow<str> = if raw.contains(['[', '(', '{']) {
        raw.replace("[.]", ".")
            .replace("(.)", ".")
            .replace("{.}", ".")
            .replace("[:]", ":")
            .into()
    } else {
        raw.into()
    };
    if defanged {
        f.push("url:defanged".into());
    }
    let rest = match clean.find("//") {
        Some(i) => {
            if clean.starts_with("http:") || clean.starts_with("hxxp:") {
                f.push("url:http".into());
            }
            &clean[i + 2..]
        }
        None => &clean,
    };
    let host_end = rest.find(['/', '?', '#', ':']).unwrap_or(rest.len());
    let host = rest[..host_end].trim_end_matches('.');
    let host = host.rsplit('@').next().unwrap_or(host);
    if host.split('.').count() == 4
        && host
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        f.push("url:ip".into());
        return f;
    }
    let labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
    if labels.len() < 2 {
        return f;
    }
    let tld = labels[labels.len() - 1];
    if tld.len() <= 12 && tld.bytes().all(|b| b.is_ascii_lowercase()) {
        f.push(format!("tld:{tld}"));
    }
    let sld_idx = if labels.len() >= 3
        && tld.len() == 2
        && matches!(
            labels[labels.len() - 2],
            "co" | "com" | "gov" | "org" | "net" | "ac" | "edu" | "or" | "go"
        ) {
        labels.len() - 3
    } else {
        labels.len() - 2
    };
    let registrable = labels[sld_idx..].join(".");
    // The registrable domain itself: campaigns reuse domains across messages.
    f.push(format!("domain:{registrable}"));
    if SHORTENERS.contains(&registrable.as_str()) {
        f.push("url:shortener".into());
    }
    if rest.len() > host_end + 1 {
        f.push("url:path".into());
    }
    if labels.len() - sld_idx > 2 || labels.len() > 3 {
        f.push("url:subdomains".into());
    }
    if labels[sld_idx].contains('-') {
        f.push("url:hyphen".into());
    }
    let own = labels[sld_idx];
    // The labels up to the registrable one, whole and split at hyphens.
    let pieces: Vec<&str> = labels[..=sld_idx]
        .iter()
        .flat_map(|l| std::iter::once(*l).chain(l.split('-')))
        .collect();
    if let Some(brand) = lookalike(own, &pieces) {
        f.push("url:lookalike".into());
        f.push(format!("url:brand:{brand}"));
    }
    f
}

/// The first of [`BRANDS`] (in their order) that the host's pieces mention
/// (contain, or are one edit from), unless the registrable label `own` is a
/// brand met before it: `paypal-login.top` mentions PayPal, `paypal.com` is
/// PayPal's own.
fn lookalike(own: &str, pieces: &[&str]) -> Option<&'static str> {
    // The brands some piece contains, found in one pass per piece rather
    // than a substring search per brand and piece.
    let contained = pieces.iter().fold(0u64, |m, l| {
        brand_finder()
            .find_overlapping_iter(*l)
            .fold(m, |m, b| m | 1 << b.pattern().as_usize())
    });
    for (i, brand) in BRANDS.iter().enumerate() {
        if own == *brand {
            return None;
        }
        if contained & (1 << i) != 0 || pieces.iter().any(|l| near(l, brand)) {
            return Some(brand);
        }
    }
    None
}

/// Finds the [`BRANDS`] in a piece of a host name (pattern `i` is `BRANDS[i]`).
fn brand_finder() -> &'static aho_corasick::AhoCorasick {
    static F: OnceLock<aho_corasick::AhoCorasick> = OnceLock::new();
    const _: () = assert!(BRANDS.len() <= 64, "brands are a 64-bit set");
    F.get_or_init(|| aho_corasick::AhoCorasick::new(BRANDS).expect("brand names"))
}

/// True when `label` is one edit (substitution, insertion or deletion) from a
/// brand of five or more letters: `paypa1`, `amaz0n`, `netfliix`.
fn near(label: &str, brand: &str) -> bool {
    let (a, b) = (label.as_bytes(), brand.as_bytes());
    if b.len() < 5 || a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let (mut i, mut j, mut edits) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            i += 1;
            j += 1;
            continue;
        }
        edits += 1;
        if edits > 1 {
            return false;
        }
        match a.len().cmp(&b.len()) {
            std::cmp::Ordering::Greater => i += 1,
            std::cmp::Ordering::Less => j += 1,
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    edits + (a.len() - i) + (b.len() - j) <= 1 && a != b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(text: &str) -> Vec<String> {
        EntityRecognizer::new()
            .recognize(text)
            .into_iter()
            .flat_map(|e| e.features)
            .collect()
    }

    #[test]
    fn urls() {
        let f = features("go to http://185.22.14.9/verify now");
        assert!(f.contains(&"url:ip".into()), "{f:?}");
        let f = features("track: usps-redelivery[.]top/track?id=1");
        assert!(
            f.contains(&"tld:top".into()) && f.contains(&"url:defanged".into()),
            "{f:?}"
        );
        assert!(f.contains(&"url:lookalike".into()), "{f:?}");
        let f = features("see www.paypal.com/help");
        assert!(!f.contains(&"url:lookalike".into()), "{f:?}");
        let f = features("verify at paypa1-secure.com");
        assert!(f.contains(&"url:brand:paypal".into()), "{f:?}");
        let f = features("login at amaz0n.co.uk");
        assert!(f.contains(&"url:brand:amazon".into()), "{f:?}");
        assert!(f.contains(&"domain:amaz0n.co.uk".into()), "{f:?}");
    }

    #[test]
    fn money_phone_wallet_code() {
        let f = features("earn rp 500.000 per day, usdt 200, contact +62 812-3456-7890");
        assert!(
            f.contains(&"currency:idr".into()) && f.contains(&"currency:usdt".into()),
            "{f:?}"
        );
        assert!(f.contains(&"phone:international".into()), "{f:?}");
        let f = features("send 0.05 btc to bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh");
        assert!(f.contains(&"wallet:btc".into()), "{f:?}");
        let f = features("your verification code is 482913");
        assert!(f.contains(&"code".into()), "{f:?}");
        let f = features("in 2019 we met");
        assert!(!f.contains(&"code".into()), "{f:?}");
    }

    #[test]
    fn messengers_handles_percent() {
        let f = features(
            "add me on whatsapp wa.me/15550100 or t.me/goldmentor, dm @crypto_anna for 30% daily",
        );
        assert!(f.contains(&"messenger:whatsapp".into()), "{f:?}");
        assert!(f.contains(&"messenger:telegram".into()), "{f:?}");
        assert!(f.contains(&"messenger_link".into()), "{f:?}");
        assert!(f.contains(&"handle".into()), "{f:?}");
        assert!(f.contains(&"percent".into()), "{f:?}");
    }

    /// [`lookalike`] finds what a plain search, brand by brand and piece by
    /// piece, finds.
    #[test]
    fn lookalike_matches_a_plain_search() {
        use proptest::prelude::*;
        fn plain(own: &str, pieces: &[&str]) -> Option<&'static str> {
            for brand in BRANDS {
                if own == *brand {
                    return None;
                }
                if pieces.iter().any(|l| l.contains(brand) || near(l, brand)) {
                    return Some(brand);
                }
            }
            None
        }
        let bits = prop_oneof![
            prop::sample::select(BRANDS).prop_map(str::to_string),
            "[a-z0-9]{1,4}",
            prop::sample::select(BRANDS).prop_flat_map(|b| {
                (0..b.len(), "[a-z0-9]").prop_map(move |(i, c)| {
                    let mut s = b.to_string();
                    s.replace_range(i..=i, &c);
                    s
                })
            }),
        ];
        proptest!(ProptestConfig::with_cases(3000), |(parts in prop::collection::vec(bits, 1..4), own in prop_oneof![prop::sample::select(BRANDS).prop_map(str::to_string), "[a-z]{2,8}"])| {
            let label = parts.concat();
            let hyphened = parts.join("-");
            let pieces: Vec<&str> = [label.as_str(), hyphened.as_str()]
                .into_iter()
                .chain(hyphened.split('-'))
                .collect();
            prop_assert_eq!(lookalike(&own, &pieces), plain(&own, &pieces));
        });
    }

    #[test]
    fn near_brand() {
        assert!(near("paypa1", "paypal"));
        assert!(near("netfliix", "netflix"));
        assert!(!near("paypal", "paypal"));
        assert!(!near("apple", "apple"));
        assert!(!near("pay", "paypal"));
    }

    #[test]
    fn scam_moves_are_cues_in_several_languages() {
        let cues = |t: &str| -> Vec<String> {
            features(t)
                .into_iter()
                .filter(|f| f.starts_with("cue:"))
                .collect()
        };
        assert_eq!(
            cues("your account will be suspended, verify your account within 24 hours"),
            ["cue:threat", "cue:credentials", "cue:urgency"]
        );
        assert_eq!(
            cues("earn 500 usdt per day, contact me on whatsapp"),
            ["cue:job_pay", "cue:move_chat"]
        );
        assert_eq!(cues("pay the redelivery fee of 2.99"), ["cue:fee"]);
        assert_eq!(
            cues("su cuenta ha sido bloqueada, verifique su identidad inmediatamente"),
            ["cue:threat", "cue:credentials", "cue:urgency"]
        );
        assert_eq!(
            cues("selamat anda mendapatkan hadiah"),
            ["cue:prize", "cue:prize"]
        );
        assert!(cues("see you at the station at 6, bring the cake").is_empty());
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
        for line in include_str!("../../tests/fixtures/entity-cases.txt").lines() {
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

    #[test]
    fn every_pattern_compiles_in_both_variants() {
        // Patterns compile when a message first needs one, so a broken one
        // would otherwise surface only on the message that reaches it.
        for ascii in [false, true] {
            let p = patterns(ascii);
            assert_eq!(p.ascii, ascii);
            for re in [
                &p.url,
                &p.email,
                &p.handle,
                &p.phone,
                &p.money,
                &p.wallet,
                &p.percent,
                &p.number,
                &p.code_word,
            ] {
                std::sync::LazyLock::force(re);
            }
            std::sync::LazyLock::force(&p.messenger);
            for (_, re) in &p.cues {
                std::sync::LazyLock::force(re);
            }
        }
    }

    #[test]
    fn no_panic_on_odd_text() {
        for t in [
            "",
            "@",
            "http://",
            "www.",
            "$",
            "1234",
            "💰💰💰 €€€ 0x",
            "a@b.c @@@@",
        ] {
            let _ = EntityRecognizer::new().recognize(t);
        }
    }
}
