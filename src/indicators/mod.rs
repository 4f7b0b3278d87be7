//! Indicators: the domains, links, phone numbers, wallets, e-mail addresses
//! and messenger handles a scam asks its victims to use, in the canonical
//! form a registrar, a telco or an exchange acts on.
//!
//! [`Extractor`] finds them in one message. It reuses the entity
//! recognizer of the pipeline ([`crate::tokenize::EntityRecognizer`]) on the
//! normalized text, so disguised indicators are found as the classifier
//! finds them (`hxxps://site[.]top`, `www . site . com`, full-width digits,
//! zero-width characters), and then reads each one back from the
//! *original* text through the normalizer's offset map: a link's path and
//! a wallet's base58 letters are case-sensitive, and a host written with
//! look-alike letters is another domain (an IDN), not the brand it imitates.
//!
//! [`Indicators`] adds them up over a stream of messages (counts, the
//! campaigns they occur in, first and last seen) and writes CSV, JSON Lines
//! or a STIX 2.1 bundle ([`stix`]).
//!
//! ```
//! use scamscan::indicators::{Extractor, IndicatorKind};
//! let found = Extractor::new().extract(
//!     "Pay the fee at hxxps://parcel-fee[.]top/Pay?id=Zx9 or WhatsApp +44 7700 900123",
//! );
//! let values: Vec<(IndicatorKind, &str)> = found.iter().map(|i| (i.kind, i.value.as_str())).collect();
//! assert_eq!(values, [
//!     (IndicatorKind::Url, "https://parcel-fee.top/Pay?id=Zx9"),
//!     (IndicatorKind::Phone, "+447700900123"),
//! ]);
//! ```

mod wallet;
pub mod stix;
mod table;

pub(crate) use table::earlier;
pub use table::{DEFAULT_MAX_INDICATORS, IndicatorRecord, Indicators};
pub use wallet::{Chain, wallet_chain};

use crate::error::{Error, Result};
use crate::normalize::{Normalized, Normalizer};
use crate::tokenize::{Entity, EntityKind, EntityRecognizer};
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

/// What an indicator is.
///
/// # Example
///
/// ```
/// use scamscan::indicators::IndicatorKind;
/// assert_eq!(IndicatorKind::Wallet.as_str(), "wallet");
/// assert_eq!("email".parse::<IndicatorKind>().unwrap(), IndicatorKind::Email);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IndicatorKind {
    /// A domain written on its own (no scheme, no path), lower-case,
    /// without trailing dot; an IDN stays in its Unicode form.
    Domain,
    /// A link (a scheme or a path), refanged: `http://` added when it has
    /// no scheme, scheme and host lower-case, path as written. Its domain
    /// is not listed again.
    Url,
    /// A phone number: E.164 (`+447700900123`) when the number names its
    /// country (`+44…`, `0044…`) or a default region is set, else its digits.
    Phone,
    /// A crypto-currency address whose checksum holds, with its [`Chain`].
    Wallet,
    /// An e-mail address, lower-case.
    Email,
    /// A messenger handle, its case as written: `@name`; the name of a
    /// profile link (`t.me/name`, `instagram.com/name`…) or one written after
    /// the platform's name (`Telegram: name`) as `@name` for platforms of
    /// @-names, else as written (`WeChat ID: name`).
    Handle,
}

impl IndicatorKind {
    /// Every kind, in output order.
    pub const ALL: [IndicatorKind; 6] = [
        IndicatorKind::Domain,
        IndicatorKind::Url,
        IndicatorKind::Phone,
        IndicatorKind::Wallet,
        IndicatorKind::Email,
        IndicatorKind::Handle,
    ];

    /// The lower-case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorKind::Domain => "domain",
            IndicatorKind::Url => "url",
            IndicatorKind::Phone => "phone",
            IndicatorKind::Wallet => "wallet",
            IndicatorKind::Email => "email",
            IndicatorKind::Handle => "handle",
        }
    }
}

impl std::fmt::Display for IndicatorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for IndicatorKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        IndicatorKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                Error::parse(format!(
                    "unknown indicator kind {s:?} (expected domain, url, phone, wallet, email or handle)"
                ))
            })
    }
}

/// One indicator found in a message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Indicator {
    /// What it is.
    pub kind: IndicatorKind,
    /// Its canonical, refanged form (see [`IndicatorKind`]).
    pub value: String,
    /// The chain of a wallet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain: Option<Chain>,
    /// The messenger of a handle taken from its link (`telegram` for
    /// `t.me/name`); `None` for a bare `@name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<&'static str>,
    /// Byte range `[start, end)` of the original text it was read from.
    #[serde(skip)]
    pub span: (usize, usize),
}

impl Indicator {
    /// The value defanged as analysts write it, so that it cannot be
    /// clicked or resolved by accident: `hxxps://site[.]top/x`,
    /// `site[.]top`, `name[@]mail[.]com`. Phones, wallets and handles are
    /// not links and stay as they are.
    ///
    /// ```
    /// use scamscan::indicators::Extractor;
    /// let found = Extractor::new().extract("login at https://secure-paypa1.com/verify or paypa1.help");
    /// assert_eq!(found[0].defanged(), "hxxps://secure-paypa1[.]com/verify");
    /// assert_eq!(found[1].defanged(), "paypa1[.]help");
    /// ```
    pub fn defanged(&self) -> String {
        defang(self.kind, &self.value)
    }
}

/// `value` of `kind` defanged (see [`Indicator::defanged`]).
///
/// ```
/// use scamscan::indicators::{defang, IndicatorKind};
/// assert_eq!(defang(IndicatorKind::Url, "http://a.b.top/x.php"), "hxxp://a[.]b[.]top/x.php");
/// assert_eq!(defang(IndicatorKind::Email, "ann@mail.example"), "ann[@]mail[.]example");
/// assert_eq!(defang(IndicatorKind::Phone, "+447700900123"), "+447700900123");
/// ```
pub fn defang(kind: IndicatorKind, value: &str) -> String {
    match kind {
        IndicatorKind::Domain => value.replace('.', "[.]"),
        IndicatorKind::Email => value.replace('.', "[.]").replace('@', "[@]"),
        IndicatorKind::Url => {
            let (scheme, rest) = match value.find("://") {
                Some(i) => (&value[..i + 3], &value[i + 3..]),
                None => ("", value),
            };
            let scheme = scheme.replacen("http", "hxxp", 1).replacen("ftp", "fxp", 1);
            let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            format!(
                "{scheme}{}{}",
                rest[..host_end].replace('.', "[.]"),
                &rest[host_end..]
            )
        }
        IndicatorKind::Phone | IndicatorKind::Wallet | IndicatorKind::Handle => value.to_string(),
    }
}

/// Undoes the usual defanging of links and addresses: `hxxp`, `h**p`,
/// `[.]`, `(.)`, `{.}`, `[dot]`, `(dot)`, `[:]`, `[@]`, `[at]`, `(at)`,
/// spaces around dots. For text an analyst pastes, or a feed to compare
/// with scamscan's output.
///
/// ```
/// use scamscan::indicators::refang;
/// assert_eq!(refang("hxxps://site[.]top/x"), "https://site.top/x");
/// assert_eq!(refang("ann[at]mail(dot)example"), "ann@mail.example");
/// assert_eq!(refang("www . site . com"), "www.site.com");
/// ```
pub fn refang(text: &str) -> String {
    static DOT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\s*(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\})\s*|\s+\.\s*|\s*\.\s+|\s+dot\s+")
            .expect("refang pattern")
    });
    static OTHER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)hxxp|h\*\*p|fxp|\[:\]|\[://\]|\s*(?:\[@\]|\(@\)|\{@\}|\[at\]|\(at\)|\{at\})\s*",
        )
        .expect("refang pattern")
    });
    let dots = DOT.replace_all(text, ".");
    OTHER
        .replace_all(&dots, |c: &regex::Captures| {
            let m = c[0].trim().to_ascii_lowercase();
            match m.as_str() {
                "hxxp" | "h**p" => "http",
                "fxp" => "ftp",
                "[:]" => ":",
                "[://]" => "://",
                _ => "@",
            }
        })
        .into_owned()
}

/// Finds the indicators of a message.
///
/// Cheap to share between threads: the patterns are compiled once per
/// process, and every method takes `&self`.
#[derive(Debug, Clone, Default)]
pub struct Extractor {
    normalizer: Normalizer,
    recognizer: EntityRecognizer,
    region: Option<phonenumber::country::Id>,
}

impl Extractor {
    /// An extractor with the default normalizer and no default region.
    pub fn new() -> Self {
        Extractor::default()
    }

    /// Reads phone numbers without a country code as numbers of `region`
    /// (an ISO 3166 code: `GB`, `US`, `ID`…), and writes them in E.164 when
    /// they are valid numbers there. Without it, only numbers that name
    /// their country get E.164.
    ///
    /// ```
    /// use scamscan::indicators::Extractor;
    /// let uk = Extractor::new().with_region("GB")?;
    /// assert_eq!(uk.extract("call 07700 900123 now")[0].value, "+447700900123");
    /// assert_eq!(Extractor::new().extract("call 07700 900123 now")[0].value, "07700900123");
    /// assert!(Extractor::new().with_region("XX").is_err());
    /// # Ok::<(), scamscan::Error>(())
    /// ```
    pub fn with_region(mut self, region: &str) -> Result<Self> {
        let id: phonenumber::country::Id =
            region.trim().to_ascii_uppercase().parse().map_err(|_| {
                Error::parse(format!(
                    "unknown region {region:?} (expected an ISO 3166 code such as GB or US)"
                ))
            })?;
        self.region = Some(id);
        Ok(self)
    }

    /// The indicators of `text`, in text order, each (kind, value) once.
    ///
    /// ```
    /// use scamscan::indicators::{Chain, Extractor, IndicatorKind};
    /// let found = Extractor::new().extract(
    ///     "Deposit USDT to TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t, then DM @Crypto_Anna or mail support@coin-desk.top",
    /// );
    /// assert_eq!(found[0].kind, IndicatorKind::Wallet);
    /// assert_eq!(found[0].chain, Some(Chain::Tron));
    /// assert_eq!(found[1].value, "@Crypto_Anna");
    /// assert_eq!(found[2].value, "support@coin-desk.top");
    /// // A wallet-like string whose checksum fails is not a wallet.
    /// assert!(Extractor::new().extract("send to TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6T").is_empty());
    /// ```
    pub fn extract(&self, text: &str) -> Vec<Indicator> {
        let norm = self.normalizer.normalize(text);
        let entities = self.recognizer.recognize(norm.text());
        self.extract_normalized(text, &norm, &entities)
    }

    /// The indicators of `text`, given its normalized form and the entities
    /// recognized in it (as the pipeline computes them), so that a caller
    /// that already has both does not compute them twice.
    pub fn extract_normalized(
        &self,
        text: &str,
        norm: &Normalized,
        entities: &[Entity],
    ) -> Vec<Indicator> {
        let mut out: Vec<Indicator> = Vec::new();
        let ntext = norm.text();
        let push = |out: &mut Vec<Indicator>, ind: Indicator| {
            if !out
                .iter()
                .any(|o| o.kind == ind.kind && o.value == ind.value)
            {
                out.push(ind);
            }
        };
        // Spans (normalized text) already read as an indicator that other
        // patterns also match: an e-mail's domain is no link, a wallet's
        // digits no phone.
        let mut taken: Vec<(usize, usize)> = Vec::new();
        // Defanged addresses (`ann[at]mail[.]example`, `ann at mail dot
        // example`), which the pipeline's e-mail pattern, needing an `@`,
        // does not see.
        if ntext.contains("at") || ntext.contains("@]") || ntext.contains("@)") {
            for m in DEFANGED_EMAIL.find_iter(ntext) {
                let value = refang(&m.as_str().replace(" at ", "@"))
                    .to_lowercase()
                    .replace(' ', "");
                if !value.contains('@')
                    || !value.rsplit('@').next().is_some_and(|d| d.contains('.'))
                {
                    continue;
                }
                let span = norm.original_span(m.start(), m.end());
                // `ann at mail dot example`: only with the spelled-out dot,
                // or `meet me at home.com` would be an address.
                let spelled = m.as_str().contains(" at ");
                let original = text.get(span.0..span.1).unwrap_or("").to_lowercase();
                if spelled && !original.contains(" dot ") {
                    continue;
                }
                taken.push((m.start(), m.end()));
                push(&mut out, indicator(IndicatorKind::Email, value, span));
            }
        }
        for m in WALLET_CANDIDATE.find_iter(ntext) {
            let span = norm.original_span(m.start(), m.end());
            let original = text.get(span.0..span.1).unwrap_or("");
            let address = fold_keeping_case(&self.normalizer, original);
            let chain = wallet_chain(&address).or_else(|| {
                (wallet::solana_like(&address) && SOLANA.is_match(ntext)).then_some(Chain::Solana)
            });
            if let Some(chain) = chain {
                taken.push((m.start(), m.end()));
                let mut ind = indicator(IndicatorKind::Wallet, address, span);
                ind.chain = Some(chain);
                push(&mut out, ind);
            }
        }
        for e in entities {
            if taken.iter().any(|&(s, t)| e.start < t && s < e.end) {
                continue;
            }
            let span = norm.original_span(e.start, e.end);
            let original = text.get(span.0..span.1).unwrap_or("");
            let normalized = &ntext[e.start..e.end];
            match e.kind {
                EntityKind::Url => {
                    for ind in url_indicators(original, span) {
                        push(&mut out, ind);
                    }
                }
                EntityKind::Email => {
                    let value = normalized.trim_end_matches(['.', '-']).to_string();
                    push(&mut out, indicator(IndicatorKind::Email, value, span));
                }
                EntityKind::Phone => {
                    // Digits glued to letters before them are a code
                    // (`H01MFA0027381954`), not a number to call.
                    let glued = ntext[..e.start]
                        .chars()
                        .next_back()
                        .is_some_and(char::is_alphanumeric);
                    if glued {
                        continue;
                    }
                    if let Some(value) = self.phone(normalized) {
                        push(&mut out, indicator(IndicatorKind::Phone, value, span));
                    }
                }
                EntityKind::Handle => {
                    // The case as written: handles are shown as their owners
                    // typed them, and platforms match them either way.
                    let value = fold_keeping_case(&self.normalizer, original)
                        .trim_end_matches('.')
                        .to_string();
                    if value.len() > 1
                        && !matches!(
                            &*value.to_ascii_lowercase(),
                            "@everyone" | "@here" | "@channel" | "@all"
                        )
                    {
                        let mut h = indicator(IndicatorKind::Handle, value, span);
                        h.platform = platform_before(ntext, e.start);
                        push(&mut out, h);
                    }
                }
                _ => {}
            }
        }
        // Handles written after a messenger's name (`Telegram: anna_fx`,
        // `WeChat ID: lily88`).
        if ntext.contains(':') || ntext.contains(" id ") {
            for c in NAMED_HANDLE.captures_iter(ntext) {
                let (Some(p), Some(m)) = (c.get(1), c.get(2)) else {
                    continue;
                };
                if taken.iter().any(|&(s, t)| m.start() < t && s < m.end()) {
                    continue;
                }
                let span = norm.original_span(m.start(), m.end());
                let written =
                    fold_keeping_case(&self.normalizer, text.get(span.0..span.1).unwrap_or(""));
                let platform = platform_name(p.as_str());
                let value = if written.starts_with('@') || !AT_NAMES.contains(&platform) {
                    written
                } else {
                    format!("@{written}")
                };
                if !out.iter().any(|o| {
                    o.kind == IndicatorKind::Handle && o.value.eq_ignore_ascii_case(&value)
                }) {
                    let mut h = indicator(IndicatorKind::Handle, value, span);
                    h.platform = Some(platform);
                    push(&mut out, h);
                }
            }
        }
        out.sort_by_key(|i| i.span.0);
        out
    }

    /// The canonical form of a phone number as written (normalized text),
    /// or `None` for what only looks like one: a date, or a bare run of 8
    /// digits or fewer (order and reference numbers are written so; phone
    /// numbers that short are written in groups).
    fn phone(&self, written: &str) -> Option<String> {
        let written = written.trim();
        if DATE.is_match(written) {
            return None;
        }
        let digits: String = written.chars().filter(char::is_ascii_digit).collect();
        let grouped = digits.len() < written.len();
        let international = written.starts_with('+') || written.starts_with("00");
        if international {
            let rest = digits.strip_prefix("00").unwrap_or(&digits);
            return Some(e164(&format!("+{rest}"), None).unwrap_or_else(|| format!("+{rest}")));
        }
        if !grouped && digits.len() <= 8 {
            return None;
        }
        if let Some(region) = self.region
            && let Some(v) = e164(&digits, Some(region))
        {
            return Some(v);
        }
        (digits.len() >= 7).then_some(digits)
    }
}

/// Dates written with separators (`31.05.2024`, `2024-05-31`, `06/14/2024`).
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:\d{1,2}[./\-]\d{1,2}[./\-](?:19|20)\d\d|(?:19|20)\d\d[./\-]\d{1,2}[./\-]\d{1,2})$",
    )
    .expect("date pattern")
});

/// `number` (digits, `+` first when international) in E.164, read with
/// libphonenumber's metadata (the `phonenumber` crate): in `region` unless
/// it has a country code, its trunk prefix dropped.
///
/// Not checked against the numbering plan's ranges: scams use numbers from
/// ranges reserved for drama and tests, and a number is an indicator
/// whether or not it could ring. The crate's reading is kept only when it
/// dropped no more than a one-digit trunk prefix of what was written (it
/// reads Russian `+7 800…` as `+7 00…`); otherwise the country code goes
/// before the written digits less the region's trunk prefix.
fn e164(number: &str, region: Option<phonenumber::country::Id>) -> Option<String> {
    let international = number.starts_with('+');
    let written: String = number.chars().filter(char::is_ascii_digit).collect();
    let parsed = phonenumber::parse(region, number).ok();
    if let Some(n) = &parsed {
        let out = n.format().mode(phonenumber::Mode::E164).to_string();
        let code = n.code().value().to_string();
        let national = out
            .trim_start_matches('+')
            .strip_prefix(code.as_str())
            .unwrap_or("");
        let written_national = if international {
            written.strip_prefix(code.as_str()).unwrap_or("")
        } else {
            written.as_str()
        };
        let dropped = written_national.len().checked_sub(national.len());
        let trunk_only = match dropped {
            Some(0) => true,
            Some(1) => !international || written_national.starts_with('0'),
            _ => false,
        };
        if national.len() >= 6 && written_national.ends_with(national) && trunk_only {
            return Some(out);
        }
    }
    if international {
        return None;
    }
    let meta = phonenumber::metadata::DATABASE.by_id(region?.as_ref())?;
    let trunk = meta.national_prefix().unwrap_or("");
    let national = written
        .strip_prefix(trunk)
        .filter(|_| !trunk.is_empty())
        .unwrap_or(&written);
    (national.len() >= 6).then(|| format!("+{}{national}", meta.country_code()))
}

static DEFANGED_EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[a-z0-9._%+\-]+(?: ?(?:\[at\]|\(at\)|\{at\}|\[@\]|\(@\)) ?| at )[a-z0-9\-]+(?:(?:\.|\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)| dot )[a-z0-9\-]+)+")
        .expect("defanged e-mail pattern")
});

fn indicator(kind: IndicatorKind, value: String, span: (usize, usize)) -> Indicator {
    Indicator {
        kind,
        value,
        chain: None,
        platform: None,
        span,
    }
}

/// The indicators of a link, read from the original text `original`: a
/// URL when it has a scheme or a path, else a domain; for a profile link
/// (`t.me/NAME`, `instagram.com/NAME`…) also the handle, for a WhatsApp
/// link (`wa.me/NUMBER`) the phone.
fn url_indicators(original: &str, span: (usize, usize)) -> Vec<Indicator> {
    let mut out = Vec::new();
    let Some(url) = clean_url(original) else {
        return out;
    };
    let (has_scheme, rest) = match url.find("://") {
        Some(i) => (true, &url[i + 3..]),
        None => (false, url.as_str()),
    };
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..host_end];
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let host = host.split(':').next().unwrap_or(host).trim_end_matches('.');
    let path = &rest[host_end..];
    if !host.contains('.') {
        return out;
    }
    if has_scheme || !path.is_empty() {
        let full = if has_scheme {
            url.clone()
        } else {
            format!("http://{url}")
        };
        out.push(indicator(IndicatorKind::Url, full, span));
    } else {
        out.push(indicator(IndicatorKind::Domain, host.to_string(), span));
        return out;
    }
    let mut parts = path.trim_start_matches('/').split(['/', '?', '#']);
    let first = parts.next().unwrap_or("");
    let bare = host.trim_start_matches("www.").trim_start_matches("m.");
    let platform = match bare {
        "t.me" | "telegram.me" => Some("telegram"),
        "instagram.com" => Some("instagram"),
        "x.com" | "twitter.com" => Some("x"),
        "facebook.com" | "fb.com" => Some("facebook"),
        "tiktok.com" => Some("tiktok"),
        "youtube.com" => Some("youtube"),
        _ if host == "m.me" => Some("facebook"),
        _ => None,
    };
    if let Some(platform) = platform {
        let name = first.trim_start_matches('@');
        let reserved = matches!(
            name.to_ascii_lowercase().as_str(),
            "joinchat"
                | "share"
                | "s"
                | "c"
                | "addstickers"
                | "proxy"
                | "p"
                | "reel"
                | "reels"
                | "watch"
                | "groups"
                | "pages"
                | "profile.php"
                | "events"
                | "stories"
                | "i"
                | "home"
                | "intent"
                | "hashtag"
                | "explore"
                | "channel"
                | "shorts"
                | "login"
        );
        let ok = !name.is_empty()
            && !first.starts_with('+')
            && !reserved
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
            && (platform != "youtube" || first.starts_with('@'));
        if ok {
            let mut h = indicator(IndicatorKind::Handle, format!("@{name}"), span);
            h.platform = Some(platform);
            out.push(h);
        }
    }
    let whatsapp_number = match bare {
        "wa.me" if first != "message" => Some(if first == "c" {
            parts.next().unwrap_or("")
        } else {
            first
        }),
        "api.whatsapp.com" => path
            .split(['?', '&'])
            .find_map(|kv| kv.strip_prefix("phone=")),
        _ => None,
    };
    if let Some(number) = whatsapp_number {
        let digits: String = number.chars().filter(char::is_ascii_digit).collect();
        if (8..=15).contains(&digits.len()) && digits.len() + 1 >= number.len() {
            let value = e164(&format!("+{digits}"), None).unwrap_or(format!("+{digits}"));
            out.push(indicator(IndicatorKind::Phone, value, span));
        }
    }
    out
}

/// Platforms whose handles are written `@name`.
const AT_NAMES: &[&str] = &[
    "telegram",
    "instagram",
    "x",
    "tiktok",
    "snapchat",
    "threads",
    "youtube",
    "facebook",
];

/// The platform named by a messenger's name or abbreviation (normalized text).
fn platform_name(s: &str) -> &'static str {
    let s = s.trim();
    match s {
        _ if s.starts_with("tele") || s == "tg" => "telegram",
        _ if s.starts_with("insta") || s == "ig" => "instagram",
        _ if s.starts_with("snap") => "snapchat",
        _ if s.starts_with("wechat") || s.starts_with("weixin") => "wechat",
        _ if s.starts_with("line") => "line",
        _ if s.starts_with("kakao") => "kakao",
        _ if s.starts_with("signal") => "signal",
        _ if s.starts_with("discord") => "discord",
        _ if s.starts_with("kik") => "kik",
        _ if s.starts_with("skype") => "skype",
        _ if s.starts_with("tiktok") => "tiktok",
        _ if s.starts_with("threads") => "threads",
        _ if s == "qq" => "qq",
        _ if s.starts_with("twitter") || s == "x" => "x",
        _ => "telegram",
    }
}

/// The messenger named in the 40 bytes before `at` (normalized text), if any.
fn platform_before(text: &str, at: usize) -> Option<&'static str> {
    let lo = text.floor_char_boundary(at.saturating_sub(40));
    let before = &text[lo..at];
    PLATFORM_WORD
        .find_iter(before)
        .last()
        .map(|m| platform_name(m.as_str()))
}

static PLATFORM_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:telegram|tg|instagram|insta|ig|snapchat|snap|wechat|weixin|line|kakao(?:talk)?|signal|discord|kik|skype|tiktok|threads|twitter|qq)\b")
        .expect("platform pattern")
});

/// A messenger's name, then `:`, `id:` or `id`, then a name.
static NAMED_HANDLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(telegram|tg|instagram|insta|ig|snapchat|snap|wechat|weixin|line|kakao(?:talk)?|signal|discord|kik|skype|tiktok|threads|qq)(?: ?(?:id|username|user|handle))? ?[:：] ?(@?[a-z0-9_][a-z0-9_.\-]{2,31}[a-z0-9_]|live:[a-z0-9_.\-]{3,40})")
        .expect("named handle pattern")
});

/// Runs of letters and digits long enough to be an address (25 to 90);
/// which are addresses, their checksums decide.
static WALLET_CANDIDATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[a-z0-9]{25,90}\b").expect("wallet candidate pattern"));

/// A message that names Solana, where a bare base58 key is taken as a Solana address.
static SOLANA: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:sol|solana|phantom)\b").expect("solana pattern"));

/// A link from the original text: invisible characters and spaces removed,
/// full-width forms folded (NFKC), refanged, trailing punctuation dropped,
/// scheme and host lower-cased; the path keeps its case.
fn clean_url(original: &str) -> Option<String> {
    use unicode_normalization::UnicodeNormalization;
    let refanged = refang(original);
    let mut s: String = refanged
        .chars()
        .filter(|c| !c.is_whitespace() && !crate::normalize::is_invisible(*c))
        .collect::<String>()
        .nfkc()
        .collect();
    // Punctuation that ends the sentence rather than the link; a closing
    // bracket only when the link opened none.
    while let Some(last) = s.chars().last() {
        let unbalanced = match last {
            ')' => s.matches('(').count() < s.matches(')').count(),
            ']' => s.matches('[').count() < s.matches(']').count(),
            _ => false,
        };
        if matches!(
            last,
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '"' | '>' | '}' | '*'
        ) || unbalanced
        {
            s.pop();
        } else {
            break;
        }
    }
    let host_start = s.find("://").map_or(0, |i| i + 3);
    let host_end = s[host_start..]
        .find(['/', '?', '#'])
        .map_or(s.len(), |i| host_start + i);
    let lower = s[..host_end].to_lowercase();
    let url = format!("{lower}{}", &s[host_end..]);
    (!url.is_empty()).then_some(url)
}

/// `original` without invisible characters or spaces, each other character
/// folded as the normalizer folds it (full-width forms, look-alike
/// letters), but keeping its case: base58 and EIP-55 addresses are
/// case-sensitive.
fn fold_keeping_case(normalizer: &Normalizer, original: &str) -> String {
    let mut out = String::with_capacity(original.len());
    let mut buf = [0u8; 4];
    for c in original.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
            continue;
        }
        if c.is_whitespace() || crate::normalize::is_invisible(c) {
            continue;
        }
        let folded = normalizer.normalize(c.encode_utf8(&mut buf));
        let upper = c.is_uppercase();
        for f in folded.text().chars() {
            if upper {
                out.extend(f.to_uppercase());
            } else {
                out.push(f);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(IndicatorKind, String)> {
        Extractor::new()
            .extract(text)
            .into_iter()
            .map(|i| (i.kind, i.value))
            .collect()
    }

    #[test]
    fn disguised_links_are_read_back_as_written() {
        use IndicatorKind::*;
        assert_eq!(
            found("go to www . Paypa1-Secure . com/Login today"),
            [(Url, "http://www.paypa1-secure.com/Login".into())]
        );
        assert_eq!(
            found("track: hxxp://usps-redelivery[.]top/track?id=AbC1."),
            [(Url, "http://usps-redelivery.top/track?id=AbC1".into())]
        );
        // A domain written alone is a domain; full-width letters fold; a
        // look-alike letter makes another domain.
        assert_eq!(
            found("visit ｐａｙｐａｌ-help.com"),
            [(Domain, "paypal-help.com".into())]
        );
        assert_eq!(found("visit раypal.com"), [(Domain, "раypal.com".into())]);
    }

    #[test]
    fn messenger_links_give_handles_and_phones() {
        use IndicatorKind::*;
        let f = found("join t.me/GoldMentor_88 or wa.me/447700900123, not t.me/+AbCdEf");
        assert!(f.contains(&(Handle, "@GoldMentor_88".into())), "{f:?}");
        assert!(f.contains(&(Phone, "+447700900123".into())), "{f:?}");
        assert_eq!(f.iter().filter(|i| i.0 == Handle).count(), 1, "{f:?}");
        let f = found("Telegram: anna_fx88 or WeChat ID: Lily_Zhang_88");
        assert_eq!(
            f,
            [
                (Handle, "@anna_fx88".into()),
                (Handle, "Lily_Zhang_88".into())
            ]
        );
    }

    #[test]
    fn phones_in_e164_when_the_country_is_named() {
        use IndicatorKind::*;
        assert_eq!(
            found("call 0044 7700 900123"),
            [(Phone, "+447700900123".into())]
        );
        assert_eq!(
            found("call +1 (202) 555-0143"),
            [(Phone, "+12025550143".into())]
        );
        assert_eq!(found("call 202-555-0143"), [(Phone, "2025550143".into())]);
    }

    #[test]
    fn defanged_emails() {
        use IndicatorKind::*;
        assert_eq!(
            found("write to claims[at]lotto-board(dot)org"),
            [(Email, "claims@lotto-board.org".into())]
        );
        assert_eq!(
            found("agent_kim AT proton DOT me"),
            [(Email, "agent_kim@proton.me".into())]
        );
        assert!(found("meet me at home.com").iter().all(|i| i.0 != Email));
    }

    #[test]
    fn wallets_keep_their_case_through_disguises() {
        // A zero-width space inside, full-width digits.
        let f =
            Extractor::new().extract("send to 0x5aAeb6053F3E94C9b9A09f3366943\u{200B}5E7Ef1BeAed");
        assert_eq!(f[0].value, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
        assert_eq!(f[0].chain, Some(Chain::Ethereum));
    }

    #[test]
    fn refang_then_defang_round_trips() {
        for (kind, v) in [
            (IndicatorKind::Url, "https://a.example.top/p.html?q=1"),
            (IndicatorKind::Domain, "a.example.top"),
            (IndicatorKind::Email, "x.y@a.example"),
        ] {
            assert_eq!(refang(&defang(kind, v)), v);
        }
    }
}
