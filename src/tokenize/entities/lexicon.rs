//! The word lists the entity patterns are made of and read back: brands
//! that scams impersonate, link shorteners, top-level domains, messenger
//! names, scam cues in several languages, and currency names.

/// Brands that scams impersonate, and their own registrable domain labels.
pub(super) const BRANDS: &[&str] = &[
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

/// Top-level domains sold for next to nothing or given away, where
/// throwaway phishing domains cluster (the generic ones most often named
/// in abuse reports, and the formerly free ones).
pub(super) const THROWAWAY_TLDS: &[&str] = &[
    "bond", "buzz", "cam", "cc", "cf", "cfd", "click", "club", "cyou", "fun", "ga", "gq", "help",
    "icu", "info", "link", "live", "loan", "ml", "monster", "online", "pw", "quest", "rest", "sbs",
    "shop", "site", "space", "support", "tk", "top", "vip", "win", "work", "xyz",
];

pub(super) const SHORTENERS: &[&str] = &[
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

pub(super) const TLDS: &str = "com|net|org|info|biz|xyz|top|online|site|club|shop|vip|live|link|click|icu|cc|co|io|me|ly|gl|in|uk|us|ru|cn|tk|ml|ga|cf|gq|ph|id|my|sg|ng|au|ca|de|fr|es|it|nl|br|mx|vn|th|app|dev|cloud|support|help|win|bid|loan|work|life|today|world|fun|store|tech|pro|asia|ws|su|pw|rest|cyou|sbs|bond|buzz|ink|gd|to|tv|ai|gov|edu|eu|ch|pk|bd|ke|za|hk|tw|jp|kr|ir|tr|pl|pt|ar|cl|pe|ae|sa|info|mobi|name|page|site|space|website|services|center|finance|money|bank|exchange|trade|digital|network|email|net";

/// Messenger names and invitation links.
pub(super) const MESSENGER: &str = r"wa\.me/|api\.whatsapp\.com|chat\.whatsapp\.com|\bwhats\s?app\b|\bwa\b|t\.me/|\btelegram\b|\btg\b|\bsignal\b|\bwechat\b|\bviber\b|line\.me|\bkakao(?:talk)?\b";

pub(super) fn messenger_name(s: &str) -> &'static str {
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

/// Scam moves as phrases, in the languages of the project's data (English,
/// Spanish, Portuguese, French, German, Indonesian/Malay, Tagalog,
/// Vietnamese without accents, Hindi in Latin letters, Chinese). Matched on
/// normalized text: lower-case, accents stripped, look-alikes folded.
///
/// Hand-written: these are the project's own lexicon of how scams pressure,
/// threaten and ask; no crate holds one.
pub(super) const CUES: &[(&str, &str)] = &[
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

/// The [`CUES`] that ask for something or move the talk: a code or
/// credentials, a fee, a messenger. Issue #22's "requests for codes or
/// payment, moving to a messenger": language-free evidence on their own,
/// where urgency, threats, prizes and pay are in genuine notices and
/// promotions too.
pub(super) const REQUEST_CUES: [&str; 3] = ["credentials", "fee", "move_chat"];

pub(super) fn currency(s: &str) -> &'static str {
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
