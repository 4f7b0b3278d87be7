//! STIX 2.1 output: a bundle of `indicator` objects, the format threat
//! intelligence platforms (MISP, OpenCTI, TAXII feeds) exchange indicators in.
//!
//! Each indicator's `pattern` is a STIX pattern (STIX 2.1, section 9) with
//! one observation expression:
//!
//! | kind | pattern |
//! |---|---|
//! | domain | `[domain-name:value = 'site.top']` |
//! | url | `[url:value = 'https://site.top/x']` |
//! | email | `[email-addr:value = 'ann@mail.example']` |
//! | handle | `[user-account:account_login = 'name' AND user-account:account_type = 'telegram']` (the type when known) |
//! | phone | `[x-phone-number:value = '+447700900123']` |
//! | wallet | `[x-cryptocurrency-wallet:value = '…' AND x-cryptocurrency-wallet:chain = 'tron']` |
//!
//! STIX 2.1 has no cyber-observable for phone numbers or wallets; the
//! custom object types, prefixed `x-` as custom names are, keep the
//! patterns valid and their meaning plain. Object ids are name-based UUIDs
//! (version 5) of the indicator, so the same indicator keeps its id from
//! one run to the next and a platform updates it instead of adding a copy.

use super::{IndicatorKind, IndicatorRecord};
use serde_json::{Value, json};

/// The namespace of scamscan's name-based STIX ids.
const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x5c4d_5ca0_77a1_4c1e_9d1c_2b7e_0f1d_a5e1);

/// A STIX string literal: in quotes, with `\` and `'` escaped.
///
/// ```
/// assert_eq!(scamscan::indicators::stix::literal("it's"), r"'it\'s'");
/// ```
pub fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\\', r"\\").replace('\'', r"\'"))
}

/// The STIX pattern of one indicator (see the module docs).
///
/// ```
/// use scamscan::indicators::{stix::pattern, IndicatorKind};
/// assert_eq!(pattern(IndicatorKind::Domain, "site.top", None, None), "[domain-name:value = 'site.top']");
/// ```
pub fn pattern(
    kind: IndicatorKind,
    value: &str,
    chain: Option<super::Chain>,
    platform: Option<&str>,
) -> String {
    let v = literal(value);
    match kind {
        IndicatorKind::Domain => format!("[domain-name:value = {v}]"),
        IndicatorKind::Url => format!("[url:value = {v}]"),
        IndicatorKind::Email => format!("[email-addr:value = {v}]"),
        IndicatorKind::Phone => format!("[x-phone-number:value = {v}]"),
        IndicatorKind::Wallet => match chain {
            Some(c) => format!(
                "[x-cryptocurrency-wallet:value = {v} AND x-cryptocurrency-wallet:chain = {}]",
                literal(c.as_str())
            ),
            None => format!("[x-cryptocurrency-wallet:value = {v}]"),
        },
        IndicatorKind::Handle => {
            let login = literal(value.trim_start_matches('@'));
            match platform {
                Some(p) => format!(
                    "[user-account:account_login = {login} AND user-account:account_type = {}]",
                    literal(p)
                ),
                None => format!("[user-account:account_login = {login}]"),
            }
        }
    }
}

/// A STIX 2.1 bundle of one `indicator` per record.
///
/// `created` is the timestamp written as each object's `created`,
/// `modified` and `valid_from` (RFC 3339, UTC, e.g. `2025-01-31T12:00:00.000Z`):
/// a parameter, so that the same input and time give the same bundle.
///
/// ```
/// use scamscan::indicators::{stix, Extractor, Indicators};
/// let mut all = Indicators::new();
/// all.add("m1", &Extractor::new().extract("pay at parcel-fee.top"), None, None);
/// let bundle = stix::bundle(&all.records(), "2025-01-31T12:00:00.000Z");
/// assert_eq!(bundle["type"], "bundle");
/// let ind = &bundle["objects"][0];
/// assert_eq!(ind["pattern"], "[domain-name:value = 'parcel-fee.top']");
/// assert_eq!(ind["spec_version"], "2.1");
/// assert!(ind["id"].as_str().unwrap().starts_with("indicator--"));
/// ```
pub fn bundle(records: &[IndicatorRecord], created: &str) -> Value {
    let mut ids = Vec::with_capacity(records.len());
    let objects: Vec<Value> = records
        .iter()
        .map(|r| {
            let key = format!("{}:{}", r.kind, r.value);
            let id = format!(
                "indicator--{}",
                uuid::Uuid::new_v5(&NAMESPACE, key.as_bytes())
            );
            ids.push(id.clone());
            let mut description = format!("Seen in {} flagged message(s)", r.count);
            if let (Some(f), Some(l)) = (&r.first_seen, &r.last_seen) {
                description.push_str(&format!(", first seen {f}, last seen {l}"));
            }
            description.push_str(&format!(
                "; first message {}, last message {}.",
                r.first_message, r.last_message
            ));
            let mut o = json!({
                "type": "indicator",
                "spec_version": "2.1",
                "id": id,
                "created": created,
                "modified": created,
                "name": format!("{} {}", r.kind, r.value),
                "description": description,
                "indicator_types": ["malicious-activity"],
                "pattern": pattern(r.kind, &r.value, r.chain, r.platform),
                "pattern_type": "stix",
                "pattern_version": "2.1",
                "valid_from": created,
                "x_scamscan_kind": r.kind.as_str(),
                "x_scamscan_count": r.count,
            });
            if !r.campaigns.is_empty() {
                o["x_scamscan_campaigns"] = json!(r.campaigns);
            }
            o
        })
        .collect();
    let bundle_id = uuid::Uuid::new_v5(&NAMESPACE, ids.join(",").as_bytes());
    json!({
        "type": "bundle",
        "id": format!("bundle--{bundle_id}"),
        "objects": objects,
    })
}

/// `secs` seconds after the Unix epoch as a STIX timestamp
/// (`YYYY-MM-DDTHH:MM:SS.000Z`).
///
/// ```
/// use scamscan::indicators::stix::timestamp;
/// assert_eq!(timestamp(0), "1970-01-01T00:00:00.000Z");
/// assert_eq!(timestamp(1_738_324_800), "2025-01-31T12:00:00.000Z");
/// ```
pub fn timestamp(secs: u64) -> String {
    let (y, m, d) = crate::math::civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}
