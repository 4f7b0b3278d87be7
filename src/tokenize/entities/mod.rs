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

mod lexicon;
mod patterns;
mod gates;
mod url;

use crate::regexes::{Lazy, Pattern};
use gates::{Gates, MESSENGER_PATTERN};
use lexicon::{currency, messenger_name};
use patterns::Patterns;
use url::url_features;

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

impl Entity {
    /// Whether the entity is a cue that asks for a code, credentials or a
    /// fee, or moves the talk to a messenger (not urgency, a threat, a
    /// prize or pay, which genuine notices and promotions have too).
    ///
    /// ```
    /// use scamscan::tokenize::{Entity, EntityKind};
    /// let cue = |name: &str| Entity { kind: EntityKind::Cue, start: 0, end: 1, features: vec![format!("cue:{name}")] };
    /// assert!(cue("fee").is_request());
    /// assert!(!cue("urgency").is_request());
    /// ```
    pub fn is_request(&self) -> bool {
        self.kind == EntityKind::Cue
            && self.features.iter().any(|f| {
                f.strip_prefix("cue:")
                    .is_some_and(|name| lexicon::REQUEST_CUES.contains(&name))
            })
    }

    /// Whether the entity is a link that is suspicious in itself, whatever
    /// the words around it: a shortener, an IP address, a look-alike of a
    /// brand, a defanged or unencrypted link, or one under a top-level
    /// domain that costs next to nothing to register (`THROWAWAY_TLDS` in
    /// the entity lexicon). A bank's, a courier's or a utility's own domain
    /// is not.
    pub fn is_suspicious_link(&self) -> bool {
        self.kind == EntityKind::Url
            && self.features.iter().any(|f| {
                matches!(
                    f.as_str(),
                    "url:shortener" | "url:ip" | "url:lookalike" | "url:defanged" | "url:http"
                ) || f
                    .strip_prefix("tld:")
                    .is_some_and(|tld| lexicon::THROWAWAY_TLDS.contains(&tld))
            })
    }
}

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
    for m in urls(gates.url, p, text) {
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

/// The matches of [`Patterns::url_strict`] in `text` when `on` (a gate),
/// else none; found with [`Patterns::url`] unless the text has a run of
/// label bytes too long for the strict pattern.
///
/// Exactly the strict pattern's matches: its matches are some of the loose
/// one's, preferred in the same order, so where the loose pattern's
/// preferred match at the leftmost place is also a strict match, it is the
/// strict pattern's too; and it is one unless it has a run of more than 63
/// label bytes, which a text without such a run cannot give it.
fn urls<'r, 't>(
    on: bool,
    p: &'r Patterns,
    text: &'t str,
) -> impl Iterator<Item = regex::Match<'t>> + use<'r, 't> {
    let long = on && url::has_long_label(text.as_bytes());
    find_if(on, if long { &p.url_strict } else { &p.url }, text)
}

/// The matches of `re` in `text` when `on` (a gate), else none.
fn find_if<'r, 't>(
    on: bool,
    re: &'r Lazy<Pattern>,
    text: &'t str,
) -> impl Iterator<Item = regex::Match<'t>> + use<'r, 't> {
    on.then(|| re.find_iter(text)).into_iter().flatten()
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

    #[test]
    fn every_request_cue_is_a_cue() {
        for name in lexicon::REQUEST_CUES {
            assert!(lexicon::CUES.iter().any(|(n, _)| *n == name), "{name}");
        }
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

    /// Links found with the loose pattern (and the strict one where a
    /// label is too long) are exactly the strict pattern's.
    #[test]
    fn urls_are_the_strict_patterns_matches() {
        use proptest::prelude::*;
        fn spans<'t>(m: impl Iterator<Item = regex::Match<'t>>) -> Vec<(usize, usize)> {
            m.map(|m| (m.start(), m.end())).collect()
        }
        let long = "a".repeat(62);
        let longer = format!("{long}-b");
        let pieces = [
            "a",
            "b1",
            "-",
            ".",
            "[.]",
            "com",
            "top",
            "co.uk",
            "www",
            "http://",
            "/x?y=1",
            " ",
            "é",
            "@",
            long.as_str(),
            longer.as_str(),
            "z",
        ];
        proptest!(ProptestConfig::with_cases(3000), |(idx in proptest::collection::vec(0..pieces.len(), 0..16))| {
            let text: String = idx.iter().map(|&i| pieces[i]).collect();
            for ascii in [false, true] {
                let p = patterns::patterns(ascii);
                let strict: Vec<(usize, usize)> =
                    p.url_strict.find_iter(&text).map(|m| (m.start(), m.end())).collect();
                prop_assert_eq!(spans(super::urls(true, p, &text)), strict, "{:?}", text);
            }
        });
        let label64 = format!("see {}x.com now", "a".repeat(63));
        let p = patterns::patterns(true);
        let strict: Vec<(usize, usize)> = p
            .url_strict
            .find_iter(&label64)
            .map(|m| (m.start(), m.end()))
            .collect();
        assert_ne!(
            strict,
            p.url
                .find_iter(&label64)
                .map(|m| (m.start(), m.end()))
                .collect::<Vec<_>>(),
            "the two patterns differ on a 64-byte label"
        );
        assert_eq!(spans(super::urls(true, p, &label64)), strict);
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
