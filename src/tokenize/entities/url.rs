//! The features of one link: scheme, top-level and registrable domain,
//! shortener, IP literal, and look-alikes of the brands scams impersonate.

use super::lexicon::{BRANDS, SHORTENERS};
use std::sync::OnceLock;

/// Features of one URL: `url`, its TLD, shortener, IP literal, brand lookalike.
pub(super) fn url_features(raw: &str) -> Vec<String> {
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

/// Whether `bytes` has a run of more than 63 domain-label bytes (ASCII
/// lower-case letters, digits and `-`): a label no host name may have.
pub(super) fn has_long_label(bytes: &[u8]) -> bool {
    bytes
        .split(|b| !(b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-'))
        .any(|run| run.len() > 63)
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
}
