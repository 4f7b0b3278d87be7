//! The STIX output against the STIX 2.1 specification: every pattern that
//! `scamscan::indicators::stix` writes for the hand-labelled indicator
//! fixtures (and for hostile values) must parse with the STIX 2.1 pattern
//! grammar, and every object must carry the properties an `indicator`
//! requires.
//!
//! The validator below is a hand-written recursive-descent parser of the
//! grammar of STIX 2.1 section 9 (the OASIS `STIXPattern.g4` ANTLR grammar,
//! rule for rule, left recursion turned into loops). No Rust crate parses
//! STIX patterns, and the grammar is small; the first test shows the
//! validator rejects what the grammar rejects, so the others can fail.

use scamscan::indicators::{Extractor, IndicatorKind, Indicators, stix};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LBrack,
    RBrack,
    LParen,
    RParen,
    Colon,
    Dot,
    Comma,
    Star,
    Op(&'static str),
    Word(String),
    Str,
    Int(bool),
    Float,
    Hex,
    Binary,
    Timestamp,
}

const KEYWORDS: [&str; 19] = [
    "AND",
    "OR",
    "NOT",
    "FOLLOWEDBY",
    "LIKE",
    "MATCHES",
    "ISSUPERSET",
    "ISSUBSET",
    "EXISTS",
    "LAST",
    "IN",
    "START",
    "STOP",
    "SECONDS",
    "TRUE",
    "FALSE",
    "WITHIN",
    "REPEATS",
    "TIMES",
];

/// The body of a quoted literal starting at `s[0] == '\''`: its end (past
/// the closing quote), with only `\'` and `\\` as escapes.
fn quoted(s: &[char]) -> Result<(usize, String), String> {
    let mut i = 1;
    let mut body = String::new();
    while i < s.len() {
        match s[i] {
            '\'' => return Ok((i + 1, body)),
            '\\' => match s.get(i + 1) {
                Some(&c @ ('\'' | '\\')) => {
                    body.push(c);
                    i += 2;
                }
                other => return Err(format!("bad escape \\{other:?}")),
            },
            c => {
                body.push(c);
                i += 1;
            }
        }
    }
    Err("unterminated string".into())
}

fn is_timestamp(b: &str) -> bool {
    // YYYY-MM-DDTHH:MM:SS(.frac)?Z, with the grammar's ranges.
    let c: Vec<char> = b.chars().collect();
    let d = |i: usize| c.get(i).is_some_and(|x| x.is_ascii_digit());
    let num = |i: usize| (c[i] as u32 - '0' as u32) * 10 + (c[i + 1] as u32 - '0' as u32);
    if c.len() < 20
        || !(0..4).all(d)
        || c[4] != '-'
        || !d(5)
        || !d(6)
        || c[7] != '-'
        || !d(8)
        || !d(9)
    {
        return false;
    }
    if c[10] != 'T'
        || !d(11)
        || !d(12)
        || c[13] != ':'
        || !d(14)
        || !d(15)
        || c[16] != ':'
        || !d(17)
        || !d(18)
    {
        return false;
    }
    let (mo, day, h, mi, s) = (num(5), num(8), num(11), num(14), num(17));
    if !(1..=12).contains(&mo) || !(1..=31).contains(&day) || h > 23 || mi > 59 || s > 60 {
        return false;
    }
    let rest: String = c[19..].iter().collect();
    match rest.strip_prefix('.') {
        Some(f) => {
            f.len() >= 2 && f.ends_with('Z') && f[..f.len() - 1].bytes().all(|b| b.is_ascii_digit())
        }
        None => rest == "Z",
    }
}

fn lex(p: &str) -> Result<Vec<Tok>, String> {
    let s: Vec<char> = p.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two: String = s[i..(i + 2).min(s.len())].iter().collect();
        let single = match c {
            '[' => Some(Tok::LBrack),
            ']' => Some(Tok::RBrack),
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            ':' => Some(Tok::Colon),
            ',' => Some(Tok::Comma),
            '*' => Some(Tok::Star),
            _ => None,
        };
        if let Some(t) = single {
            out.push(t);
            i += 1;
        } else if let Some(op) = ["!=", "<>", ">=", "<=", "=="]
            .into_iter()
            .find(|o| *o == two)
        {
            out.push(Tok::Op(if op == "==" { "=" } else { op }));
            i += 2;
        } else if let Some(op) = ["=", "<", ">"].into_iter().find(|o| o.starts_with(c)) {
            out.push(Tok::Op(op));
            i += 1;
        } else if c == '\'' {
            let (end, _) = quoted(&s[i..])?;
            out.push(Tok::Str);
            i += end;
        } else if matches!(c, 'h' | 'b' | 't') && s.get(i + 1) == Some(&'\'') {
            let (end, body) = quoted(&s[i + 1..])?;
            let ok = match c {
                'h' => body.len() % 2 == 0 && body.bytes().all(|b| b.is_ascii_hexdigit()),
                'b' => {
                    let core = body.trim_end_matches('=');
                    body.len() % 4 == 0
                        && body.len() - core.len() <= 2
                        && core
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
                }
                _ => is_timestamp(&body),
            };
            if !ok {
                return Err(format!("bad {c}'' literal {body:?}"));
            }
            out.push(match c {
                'h' => Tok::Hex,
                'b' => Tok::Binary,
                _ => Tok::Timestamp,
            });
            i += 1 + end;
        } else if c.is_ascii_digit()
            || ((c == '+' || c == '-' || c == '.')
                && s.get(i + 1)
                    .is_some_and(|x| x.is_ascii_digit() || *x == '.'))
        {
            let start = i;
            let neg = c == '-';
            if c == '+' || c == '-' {
                i += 1;
            }
            let int_start = i;
            while i < s.len() && s[i].is_ascii_digit() {
                i += 1;
            }
            let int: String = s[int_start..i].iter().collect();
            if i < s.len() && s[i] == '.' {
                i += 1;
                let f = i;
                while i < s.len() && s[i].is_ascii_digit() {
                    i += 1;
                }
                if f == i {
                    return Err(format!("bad number at {start}"));
                }
                out.push(Tok::Float);
            } else {
                if int.is_empty() || (int.len() > 1 && int.starts_with('0')) {
                    return Err(format!("bad integer at {start}"));
                }
                out.push(Tok::Int(!neg));
            }
        } else if c == '.' {
            out.push(Tok::Dot);
            i += 1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == '_' || s[i] == '-') {
                i += 1;
            }
            out.push(Tok::Word(s[start..i].iter().collect()));
        } else {
            return Err(format!("unexpected {c:?} at {i}"));
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }
    fn keyword(&mut self, k: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Word(w)) if w == k) {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, t: Tok) -> Result<(), String> {
        if self.peek() == Some(&t) {
            self.at += 1;
            Ok(())
        } else {
            Err(format!(
                "expected {t:?} at token {}, got {:?}",
                self.at,
                self.peek()
            ))
        }
    }

    /// pattern : observationExpressions EOF
    fn pattern(&mut self) -> Result<(), String> {
        self.observations()?;
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(format!("trailing {t:?}")),
        }
    }
    /// observationExpressions : ... FOLLOWEDBY ... | observationExpressionOr
    fn observations(&mut self) -> Result<(), String> {
        self.observation_or()?;
        while self.keyword("FOLLOWEDBY") {
            self.observation_or()?;
        }
        Ok(())
    }
    fn observation_or(&mut self) -> Result<(), String> {
        self.observation_and()?;
        while self.keyword("OR") {
            self.observation_and()?;
        }
        Ok(())
    }
    fn observation_and(&mut self) -> Result<(), String> {
        self.observation()?;
        while self.keyword("AND") {
            self.observation()?;
        }
        Ok(())
    }
    /// observationExpression: `[ comparison ]` or `( observations )`, then qualifiers.
    fn observation(&mut self) -> Result<(), String> {
        match self.peek() {
            Some(Tok::LBrack) => {
                self.at += 1;
                self.comparison()?;
                self.expect(Tok::RBrack)?;
            }
            Some(Tok::LParen) => {
                self.at += 1;
                self.observations()?;
                self.expect(Tok::RParen)?;
            }
            t => return Err(format!("expected an observation, got {t:?}")),
        }
        loop {
            if self.keyword("START") {
                self.expect(Tok::Timestamp)?;
                if !self.keyword("STOP") {
                    return Err("START without STOP".into());
                }
                self.expect(Tok::Timestamp)?;
            } else if self.keyword("WITHIN") {
                match self.peek() {
                    Some(Tok::Int(true) | Tok::Float) => self.at += 1,
                    t => return Err(format!("WITHIN needs a positive number, got {t:?}")),
                }
                if !self.keyword("SECONDS") {
                    return Err("WITHIN without SECONDS".into());
                }
            } else if self.keyword("REPEATS") {
                self.expect(Tok::Int(true))?;
                if !self.keyword("TIMES") {
                    return Err("REPEATS without TIMES".into());
                }
            } else {
                return Ok(());
            }
        }
    }
    fn comparison(&mut self) -> Result<(), String> {
        self.comparison_and()?;
        while self.keyword("OR") {
            self.comparison_and()?;
        }
        Ok(())
    }
    fn comparison_and(&mut self) -> Result<(), String> {
        self.prop_test()?;
        while self.keyword("AND") {
            self.prop_test()?;
        }
        Ok(())
    }
    fn prop_test(&mut self) -> Result<(), String> {
        if self.peek() == Some(&Tok::LParen) {
            self.at += 1;
            self.comparison()?;
            return self.expect(Tok::RParen);
        }
        if self.keyword("EXISTS") {
            return self.object_path();
        }
        self.object_path()?;
        self.keyword("NOT");
        match self.peek().cloned() {
            Some(Tok::Op(op)) => {
                self.at += 1;
                let equality = op == "=" || op == "!=" || op == "<>";
                match self.peek() {
                    Some(Tok::Word(w)) if equality && (w == "true" || w == "false") => self.at += 1,
                    Some(
                        Tok::Str
                        | Tok::Int(_)
                        | Tok::Float
                        | Tok::Hex
                        | Tok::Binary
                        | Tok::Timestamp,
                    ) => self.at += 1,
                    t => return Err(format!("expected a literal after {op}, got {t:?}")),
                }
                Ok(())
            }
            Some(Tok::Word(w))
                if ["LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"].contains(&w.as_str()) =>
            {
                self.at += 1;
                self.expect(Tok::Str)
            }
            Some(Tok::Word(w)) if w == "IN" => {
                self.at += 1;
                self.expect(Tok::LParen)?;
                if self.peek() == Some(&Tok::RParen) {
                    self.at += 1;
                    return Ok(());
                }
                loop {
                    match self.peek() {
                        Some(
                            Tok::Str
                            | Tok::Int(_)
                            | Tok::Float
                            | Tok::Hex
                            | Tok::Binary
                            | Tok::Timestamp,
                        ) => self.at += 1,
                        Some(Tok::Word(w)) if w == "true" || w == "false" => self.at += 1,
                        t => return Err(format!("expected a literal in a set, got {t:?}")),
                    }
                    if self.peek() == Some(&Tok::Comma) {
                        self.at += 1;
                    } else {
                        return self.expect(Tok::RParen);
                    }
                }
            }
            t => Err(format!("expected a comparison operator, got {t:?}")),
        }
    }
    /// objectPath : objectType ':' firstPathComponent objectPathComponent?
    fn object_path(&mut self) -> Result<(), String> {
        let is_type = |w: &str| !KEYWORDS.contains(&w) && !w.ends_with('-');
        match self.peek() {
            Some(Tok::Word(w)) if is_type(w) => self.at += 1,
            t => return Err(format!("expected an object type, got {t:?}")),
        }
        self.expect(Tok::Colon)?;
        self.path_component(true)?;
        loop {
            match self.peek() {
                Some(Tok::Dot) => {
                    self.at += 1;
                    self.path_component(false)?;
                }
                Some(Tok::LBrack) => {
                    self.at += 1;
                    match self.peek() {
                        Some(Tok::Int(_) | Tok::Star) => self.at += 1,
                        t => return Err(format!("expected an index, got {t:?}")),
                    }
                    self.expect(Tok::RBrack)?;
                }
                _ => return Ok(()),
            }
        }
    }
    /// IdentifierWithoutHyphen or StringLiteral.
    fn path_component(&mut self, _first: bool) -> Result<(), String> {
        match self.peek() {
            Some(Tok::Word(w)) if !w.contains('-') => {
                self.at += 1;
                Ok(())
            }
            Some(Tok::Str) => {
                self.at += 1;
                Ok(())
            }
            t => Err(format!("expected a property name, got {t:?}")),
        }
    }
}

/// `Ok` when `p` is a STIX 2.1 pattern, else why not.
fn validate(p: &str) -> Result<(), String> {
    let toks = lex(p)?;
    Parser { toks, at: 0 }.pattern()
}

#[test]
fn the_validator_follows_the_grammar() {
    for ok in [
        "[domain-name:value = 'site.top']",
        "[file:hashes.'SHA-256' = 'aec07' AND file:size > 10]",
        "[url:value = 'a\\'b'] OR [ipv4-addr:value ISSUBSET '198.51.100.0/24']",
        "([a:b = 1] FOLLOWEDBY [c:d[*].e != -3]) WITHIN 600 SECONDS",
        "[x-custom-thing:x_prop IN ('a', 2, true)] REPEATS 5 TIMES",
        "[file:created > t'2016-11-13T12:00:00Z'] START t'2016-11-13T12:00:00Z' STOP t'2016-11-13T12:00:00.123Z'",
        "[artifact:payload_bin = b'dGhpcw=='] AND [file:hashes.MD5 = h'0a1b']",
        "[user-account:account_login = 'anna' AND user-account:account_type = 'telegram']",
        "[email-addr:value NOT LIKE '%@example.com']",
    ] {
        assert_eq!(validate(ok), Ok(()), "{ok}");
    }
    for bad in [
        "",
        "domain-name:value = 'site.top'",
        "[domain-name:value = 'site.top'",
        "[domain-name:value = site.top]",
        "[domain-name:value = 'it's']",
        "[domain-name:value = \"site.top\"]",
        "[domain-name:value 'site.top']",
        "[domain-name = 'site.top']",
        "[domain-name:value = 'a\\x']",
        "[url:value = 'a'] AND",
        "[a:b = 1] WITHIN -5 SECONDS",
        "[a:b = 1] START t'2016-13-01T00:00:00Z' STOP t'2016-11-13T12:00:00Z'",
        "[a:b = h'abc']",
        "[a:b = 1] [c:d = 2]",
        "[a:b LIKE 5]",
        "[AND:value = 'x']",
        "[a:my-prop = 'x']",
    ] {
        assert!(validate(bad).is_err(), "accepted {bad:?}");
    }
}

/// Required properties of a STIX 2.1 indicator (section 4.7) and their forms.
fn check_indicator(o: &Value) {
    let s = |k: &str| {
        o[k].as_str()
            .unwrap_or_else(|| panic!("{k} missing in {o}"))
    };
    assert_eq!(s("type"), "indicator");
    assert_eq!(s("spec_version"), "2.1");
    let id = s("id")
        .strip_prefix("indicator--")
        .expect("an indicator id");
    let uuid = uuid::Uuid::parse_str(id).expect("a UUID");
    // Identifiers are RFC 4122 UUIDs; the name-based ones are version 5.
    assert_eq!(uuid.get_version_num(), 5);
    for k in ["created", "modified", "valid_from"] {
        assert!(is_timestamp(s(k)), "{k} {}", s(k));
    }
    assert_eq!(s("pattern_type"), "stix");
    assert_eq!(s("pattern_version"), "2.1");
    assert!(
        o["indicator_types"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
    // Property names are a-z, 0-9 and _; custom ones start x_ and have 3
    // to 250 characters (sections 3.1 and 11.1).
    for k in o.as_object().unwrap().keys() {
        assert!(
            k.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{k}"
        );
        let standard = [
            "type",
            "spec_version",
            "id",
            "created",
            "modified",
            "name",
            "description",
            "indicator_types",
            "pattern",
            "pattern_type",
            "pattern_version",
            "valid_from",
        ];
        assert!(
            standard.contains(&k.as_str()) || (k.starts_with("x_") && (3..=250).contains(&k.len())),
            "{k}"
        );
    }
    if let Err(e) = validate(s("pattern")) {
        panic!("{}: {e}", s("pattern"));
    }
}

#[test]
fn every_fixture_indicator_gives_a_valid_stix_object() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/indicators/messages.jsonl"
    );
    let x = Extractor::new();
    let mut all = Indicators::new();
    for (n, line) in std::fs::read_to_string(path).unwrap().lines().enumerate() {
        let row: Value = serde_json::from_str(line).unwrap();
        let found = x.extract(row["text"].as_str().unwrap());
        all.add(
            &n.to_string(),
            &found,
            Some("c1"),
            Some("2025-01-31T12:00:00Z"),
        );
    }
    let records = all.records();
    let kinds: std::collections::HashSet<IndicatorKind> = records.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds.len(),
        IndicatorKind::ALL.len(),
        "every kind is exported"
    );
    let bundle = stix::bundle(&records, "2025-01-31T12:00:00.000Z");
    assert_eq!(bundle["type"], "bundle");
    assert!(bundle["id"].as_str().unwrap().starts_with("bundle--"));
    let objects = bundle["objects"].as_array().unwrap();
    assert_eq!(objects.len(), records.len());
    let mut ids = std::collections::HashSet::new();
    for o in objects {
        check_indicator(o);
        assert!(
            ids.insert(o["id"].as_str().unwrap().to_string()),
            "duplicate id {}",
            o["id"]
        );
    }
}

#[test]
fn hostile_values_still_give_valid_patterns() {
    use scamscan::indicators::Chain;
    for (kind, value, chain, platform) in [
        (
            IndicatorKind::Url,
            "http://a.top/x?q='1' OR 1=1 --\\",
            None,
            None,
        ),
        (IndicatorKind::Handle, "@o'brien\\", None, Some("telegram")),
        (IndicatorKind::Email, "a'b@c.top", None, None),
        (IndicatorKind::Domain, "пример.рф", None, None),
        (
            IndicatorKind::Wallet,
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
            Some(Chain::Tron),
            None,
        ),
        (IndicatorKind::Phone, "+447700900123", None, None),
        (
            IndicatorKind::Url,
            "http://x.top/]' AND [a:b = 'c",
            None,
            None,
        ),
    ] {
        let p = stix::pattern(kind, value, chain, platform);
        assert_eq!(validate(&p), Ok(()), "{p}");
    }
}
