//! Stage 0 of the pipeline: the message's **language**, from its original
//! text.
//!
//! A linear model scores a message in any language, and in one it was never
//! trained on, the few words it happens to know decide the verdict. The
//! classifier judges a message in a language the model has too few
//! legitimate training messages of on its language-free evidence alone, and
//! answers `unsure` unless that is enough (see `Model::knows_language` and
//! `Calibration::min_language_rows`); this stage says which language that
//! is.
//!
//! It reads the text *before* normalization: accents, tones and scripts
//! are what tell Vietnamese from Tagalog, and normalization strips the
//! first and folds some of the last. Detection is `whatlang`'s model (69
//! languages: scripts, alphabets and trigram profiles), computed by the
//! `trigrams` module at a fraction of whatlang's own cost with the same
//! answers, on the first [`PREFIX_BYTES`] of the text, kept only when
//! whatlang's confidence calls it reliable: a short or mixed message is
//! better left undecided than given a wrong language. Scripts whatlang does
//! not know (Lao) are decided by their letters, Malay, which whatlang
//! reads as Indonesian, by words Indonesian does not use, and Tagalog, Hindi
//! and Urdu mixed with English or written in Latin letters by their own
//! function words.

use whatlang::Lang;

mod trigrams;

/// Bytes of a message read to decide its language: enough for a reliable
/// guess, and a bound on the cost of a long e-mail.
pub const PREFIX_BYTES: usize = 600;

/// The ISO 639-1 code of the language of `text`, when it can be told
/// reliably; `None` for a message too short, too mixed or in a language
/// the detector does not know.
///
/// The codes are those of the corpus schema's `lang` field, so that a
/// detected language can be looked up in the counts of legitimate training
/// messages per language.
///
/// # Example
///
/// ```
/// use scamscan::language::identify;
/// assert_eq!(identify("Tài khoản của bạn vừa được cộng 500.000 đồng lúc 10:32 hôm nay."), Some("vi"));
/// assert_eq!(identify("Your appointment with the dentist is confirmed for Tuesday at 3pm."), Some("en"));
/// assert_eq!(identify("ok"), None);
/// ```
pub fn identify(text: &str) -> Option<&'static str> {
    identify_by(text, trigrams::detect)
}

/// [`identify`] with another detector: whatlang's own in the tests.
fn identify_by(text: &str, detect: fn(&str) -> Option<whatlang::Info>) -> Option<&'static str> {
    let text = &text[..text.floor_char_boundary(PREFIX_BYTES)];
    match detect(text) {
        // Malay is Indonesian to whatlang, often an unsure Indonesian: its
        // own words decide it whatever whatlang's confidence.
        Some(info) if info.lang() == Lang::Ind && reads_as_malay(text) => Some("ms"),
        Some(info) if info.is_reliable() => Some(iso639_1(info.lang())),
        Some(_) => None,
        None => mostly_lao(text).then_some("lo"),
    }
}

/// How many times whatlang's margin of reliability the best language of an
/// unreliable guess must beat every known language by for [`outside`].
///
/// At whatlang's own margin (1), English in Singaporean short forms (`la`,
/// `leh`, `lor`, `tmr`) often reads as Welsh or Catalan by a hair; our
/// legitimate Spanish, Tagalog and Hindi messages mostly beat English by
/// several margins. The figures are in the commit that set it.
const FOREIGN_MARGIN: f64 = 2.0;

/// Whether `text` is, clearly, in none of the languages `known` accepts
/// (by their [`identify`] codes): a message a model trained on those
/// languages cannot read.
///
/// More than `identify(text)` looked up in `known`. A short message is
/// often too close to call between related languages (Spanish and
/// Portuguese, Tagalog and Cebuano), and then [`identify`] answers `None`;
/// yet when none of the close ones is known the message is still foreign.
/// So a text is outside when its language is reliably told and unknown, or
/// when its best language is unknown and beats the best *known* one by
/// twice whatlang's margin of reliability; a text close to a known
/// language (English in Singaporean short forms) is not.
///
/// # Example
///
/// ```
/// use scamscan::language::outside;
/// let english = |lang: &str| lang == "en";
/// // Written for this example.
/// assert!(outside("Mamá, te acabo de transferir los 300 para el alquiler. Avísame cuando te llegue", english));
/// assert!(!outside("Mum, I just sent you the 300 for the rent. Tell me when it arrives", english));
/// assert!(!outside("ok", english));
/// ```
pub fn outside(text: &str, known: impl Fn(&str) -> bool) -> bool {
    let text = &text[..text.floor_char_boundary(PREFIX_BYTES)];
    let detection = trigrams::detect_against(text, &|l| known(iso639_1(l)));
    let foreign = match &detection {
        // Malay, which whatlang has no model of, may rank Indonesian first
        // or Javanese or another ahead of it: either way, when Indonesian
        // is the nearest known language, its own words decide it.
        Some(d)
            if (d.info.lang() == Lang::Ind || d.best_known == Some(Lang::Ind))
                && reads_as_malay(text) =>
        {
            !known("ms")
        }
        Some(d) => d.over_known > 0.0 && (d.info.is_reliable() || d.over_known > FOREIGN_MARGIN),
        None => mostly_lao(text) && !known("lo"),
    };
    // Filipinos write Tagalog mixed with English, and Indians and
    // Pakistanis Hindi and Urdu in Latin letters, which whatlang ranks
    // close to English or Indonesian, or another language: their own
    // function words decide it. Not asked of a text whatlang reliably
    // calls a known language (most traffic, and the words cost a pass).
    let reliably_known = detection
        .as_ref()
        .is_some_and(|d| d.over_known == 0.0 && d.info.is_reliable());
    if foreign || reliably_known {
        return foreign;
    }
    reads_as(
        [
            (!known("tl")).then_some(&TAGALOG),
            (!known("hi") && !known("ur")).then_some(&HINDUSTANI),
        ],
        text,
    )
}

/// Words of Malaysian Malay that Indonesian spells or says otherwise (in
/// brackets): one of them, or an amount in ringgit, in a text whatlang
/// ranks Indonesian first (reliably or not) marks it as Malay, which
/// whatlang has no model of.
/// Left out: words Indonesian also uses in messages (`jualan`, `cukai` as
/// in "bea cukai", `wang`, a surname too) and colloquial words both share
/// (`dah`, `nak`, `je`).
const MALAY_WORDS: [&str; 33] = [
    "akaun",        // account (akun, rekening)
    "awak",         // you (kamu)
    "berjaya",      // succeeded (berhasil)
    "bil",          // bill (tagihan)
    "bungkusan",    // parcel (paket)
    "caj",          // charge (biaya)
    "cawangan",     // branch (cabang)
    "encik",        // Mr (bapak)
    "hantar",       // send (kirim)
    "kad",          // card (kartu)
    "kaunter",      // counter (loket, konter)
    "kenderaan",    // vehicle (kendaraan)
    "kerana",       // because (karena)
    "kerusi",       // chair (kursi)
    "kongsi",       // share (bagikan)
    "maklumat",     // information (informasi)
    "mesej",        // message (pesan)
    "nombor",       // number (nomor)
    "pautan",       // link (tautan)
    "pejabat",      // office (kantor)
    "percuma",      // free (gratis)
    "perkhidmatan", // service (layanan)
    "rasmi",        // official (resmi)
    "resit",        // receipt (kuitansi, struk)
    "ringgit",      // the currency (rupiah)
    "sahaja",       // only (saja)
    "semak",        // check (cek, periksa)
    "sesiapa",      // anyone (siapa pun)
    "sila",         // please (silakan)
    "syarikat",     // company (perusahaan)
    "telefon",      // telephone (telepon)
    "temuduga",     // interview (wawancara)
    "tiada",        // none (tidak ada)
];

/// Whether `text` has a mark of Malay: one of [`MALAY_WORDS`], or an
/// amount in ringgit (`RM50`, `RM 1,200`).
fn reads_as_malay(text: &str) -> bool {
    let bytes = text.as_bytes();
    let ringgit = bytes.windows(3).enumerate().any(|(i, w)| {
        w[0] == b'R'
            && w[1] == b'M'
            && (w[2].is_ascii_digit()
                || (w[2] == b' ' && bytes.get(i + 3).is_some_and(u8::is_ascii_digit)))
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
    });
    ringgit
        || text
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| (3..=12).contains(&w.len()))
            // The listed words are lower-case ASCII: compared byte by byte,
            // folded, without a lower-cased copy of every word.
            .any(|w| {
                MALAY_WORDS
                    .binary_search_by(|m| m.bytes().cmp(w.bytes().map(|b| b.to_ascii_lowercase())))
                    .is_ok()
            })
}

/// Tagalog function words, with their weight towards [`reads_as`]'s
/// 4 and whether they count only in lower case (`Ang` and `Ito` are also
/// surnames, `PO` a post-office box or a purchase order). Weight 2 for a
/// word neither English nor Indonesian or Malay uses, 1 for one short or
/// common enough to turn up elsewhere (`na` and `ko` in Hindi written in
/// Latin letters, `lang` for "language", `po` and `yun` in Singaporean
/// English, `wala` in Hindi). Left out: `sila` and `sana` (Malay and
/// Indonesian words), `hindi` (a language's name), `para` and `pero`
/// (Spanish).
const TAGALOG_WORDS: [(&str, u8, bool); 38] = [
    ("ako", 2, false),
    ("ang", 2, true),
    ("dahil", 2, false),
    ("dito", 2, false),
    ("doon", 2, false),
    ("ikaw", 2, false),
    ("ito", 2, true),
    ("iyong", 2, false),
    ("kapag", 2, false),
    ("kasi", 2, false),
    ("kayo", 2, false),
    ("ko", 1, false),
    ("kung", 2, false),
    ("lamang", 2, false),
    ("lang", 1, false),
    ("mga", 2, false),
    ("mo", 1, false),
    ("na", 1, false),
    ("naman", 2, false),
    ("namin", 2, false),
    ("nang", 2, false),
    ("natin", 2, false),
    ("ng", 2, false),
    ("ngayon", 2, false),
    ("nila", 2, false),
    ("ninyo", 2, false),
    ("niya", 2, false),
    ("paki", 2, false),
    ("po", 1, true),
    ("sa", 1, false),
    ("salamat", 2, false),
    ("siya", 2, false),
    ("talaga", 2, false),
    ("wala", 1, false),
    ("yan", 1, false),
    ("yon", 1, false),
    ("yun", 1, false),
    ("yung", 2, false),
];

/// A lower-case ASCII word of at most 8 bytes as a number whose order is
/// the words' (its bytes from the top, zeros after): a sorted word list
/// makes sorted keys.
const fn word_key(word: &[u8]) -> u64 {
    let mut key = 0u64;
    let mut i = 0;
    while i < 8 {
        key <<= 8;
        if i < word.len() {
            key |= (word[i] | 0x20) as u64;
        }
        i += 1;
    }
    key
}

/// The [`word_key`]s of a word list, in its order.
const fn keys_of<const N: usize>(words: &[(&str, u8, bool); N]) -> [u64; N] {
    let mut keys = [0u64; N];
    let mut i = 0;
    while i < N {
        keys[i] = word_key(words[i].0.as_bytes());
        i += 1;
    }
    keys
}

/// [`TAGALOG_WORDS`]' keys, in the same order.
const TAGALOG_KEYS: [u64; TAGALOG_WORDS.len()] = keys_of(&TAGALOG_WORDS);

/// Hindi and Urdu function words as written in Latin letters (SMS, chat),
/// with their weight towards [`reads_as`]'s 4, as [`TAGALOG_WORDS`]; `hai`
/// counts only in lower case (`Hai` is "hi" in Singaporean English).
const HINDUSTANI_WORDS: [(&str, u8, bool); 40] = [
    ("aap", 2, false),
    ("aapka", 2, false),
    ("aapke", 2, false),
    ("aapki", 2, false),
    ("abhi", 2, false),
    ("apna", 2, false),
    ("apne", 2, false),
    ("aur", 2, false),
    ("bhi", 2, false),
    ("hai", 2, true),
    ("hain", 2, false),
    ("hoga", 2, false),
    ("hum", 1, false),
    ("humne", 2, false),
    ("ji", 1, false),
    ("ka", 1, false),
    ("kar", 1, false),
    ("karein", 2, false),
    ("karen", 1, false),
    ("ke", 1, false),
    ("ki", 1, false),
    ("kijiye", 2, false),
    ("kisi", 2, false),
    ("ko", 1, false),
    ("kripya", 2, false),
    ("kya", 2, false),
    ("lekin", 2, false),
    ("liye", 2, false),
    ("mujhe", 2, false),
    ("nahi", 2, false),
    ("nahin", 2, false),
    ("raha", 1, false),
    ("rahe", 2, false),
    ("rahi", 2, false),
    ("se", 1, false),
    ("shukriya", 2, false),
    ("tha", 1, false),
    ("thi", 2, false),
    ("tum", 1, false),
    ("yeh", 2, false),
];

/// [`HINDUSTANI_WORDS`]' keys, in the same order.
const HINDUSTANI_KEYS: [u64; HINDUSTANI_WORDS.len()] = keys_of(&HINDUSTANI_WORDS);

/// A language's function words, sorted, and their [`word_key`]s (at most
/// 64: [`reads_as`] marks the words seen in a `u64`).
struct FunctionWords {
    words: &'static [(&'static str, u8, bool)],
    keys: &'static [u64],
}

const _: () = assert!(TAGALOG_WORDS.len() <= 64 && HINDUSTANI_WORDS.len() <= 64);

const TAGALOG: FunctionWords = FunctionWords {
    words: &TAGALOG_WORDS,
    keys: &TAGALOG_KEYS,
};

const HINDUSTANI: FunctionWords = FunctionWords {
    words: &HINDUSTANI_WORDS,
    keys: &HINDUSTANI_KEYS,
};

/// Whether `text` reads as one of `langs` (`None`s are skipped), however
/// much English is around it: different words of that language weighing
/// 4 in all (two distinctive words, or one and two particles).
///
/// A word is a run of letters, and one with a letter outside ASCII
/// (`đang`, `những`) is none of these words. Runs on most messages whose
/// language is checked, so it reads bytes once for all `langs`, decoding
/// a character only where a run of ASCII letters meets a byte outside
/// ASCII (splitting on every character that is not a letter decoded and
/// classified each one), and looks a word up as one number.
fn reads_as<const N: usize>(langs: [Option<&FunctionWords>; N], text: &str) -> bool {
    if langs.iter().all(Option::is_none) {
        return false;
    }
    let bytes = text.as_bytes();
    // Whether the character before `at`, or the one at `at`, is a letter.
    let letter_before = |at: usize| {
        text[..at]
            .chars()
            .next_back()
            .is_some_and(char::is_alphabetic)
    };
    let letter_at = |at: usize| text[at..].chars().next().is_some_and(char::is_alphabetic);
    // Per language, bit i: its words[i] seen; and their weight.
    let mut state = [(0u64, 0u8); N];
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let w = &bytes[start..i];
        if !(2..=8).contains(&w.len())
            || (start > 0 && bytes[start - 1] >= 0x80 && letter_before(start))
            || (i < bytes.len() && bytes[i] >= 0x80 && letter_at(i))
        {
            continue;
        }
        let key = word_key(w);
        for (lang, (seen, weight)) in langs.iter().zip(&mut state) {
            let Some(lang) = lang else { continue };
            let Ok(k) = lang.keys.binary_search(&key) else {
                continue;
            };
            let (_, wt, lower_only) = lang.words[k];
            if *seen & (1 << k) != 0 || (lower_only && w.iter().any(u8::is_ascii_uppercase)) {
                continue;
            }
            *seen |= 1 << k;
            *weight += wt;
            if *weight >= 4 {
                return true;
            }
        }
    }
    false
}

/// Whether most letters of `text` are Lao, a script whatlang does not know.
fn mostly_lao(text: &str) -> bool {
    let (mut lao, mut letters) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        lao += usize::from(('\u{0E80}'..='\u{0EFF}').contains(&c));
    }
    letters > 0 && 2 * lao > letters
}

/// whatlang's ISO 639-3 language as the ISO 639-1 code the corpus schema
/// uses (639-3 where the language has no 639-1 code).
fn iso639_1(lang: Lang) -> &'static str {
    match lang {
        Lang::Afr => "af",
        Lang::Aka => "ak",
        Lang::Amh => "am",
        Lang::Ara => "ar",
        Lang::Aze => "az",
        Lang::Bel => "be",
        Lang::Ben => "bn",
        Lang::Bul => "bg",
        Lang::Cat => "ca",
        Lang::Ces => "cs",
        Lang::Cmn => "zh",
        Lang::Cym => "cy",
        Lang::Dan => "da",
        Lang::Deu => "de",
        Lang::Ell => "el",
        Lang::Eng => "en",
        Lang::Epo => "eo",
        Lang::Est => "et",
        Lang::Fin => "fi",
        Lang::Fra => "fr",
        Lang::Guj => "gu",
        Lang::Heb => "he",
        Lang::Hin => "hi",
        Lang::Hrv => "hr",
        Lang::Hun => "hu",
        Lang::Hye => "hy",
        Lang::Ind => "id",
        Lang::Ita => "it",
        Lang::Jav => "jv",
        Lang::Jpn => "ja",
        Lang::Kan => "kn",
        Lang::Kat => "ka",
        Lang::Khm => "km",
        Lang::Kor => "ko",
        Lang::Lat => "la",
        Lang::Lav => "lv",
        Lang::Lit => "lt",
        Lang::Mal => "ml",
        Lang::Mar => "mr",
        Lang::Mkd => "mk",
        Lang::Mya => "my",
        Lang::Nep => "ne",
        Lang::Nld => "nl",
        Lang::Nob => "nb",
        Lang::Ori => "or",
        Lang::Pan => "pa",
        Lang::Pes => "fa",
        Lang::Pol => "pl",
        Lang::Por => "pt",
        Lang::Ron => "ro",
        Lang::Rus => "ru",
        Lang::Sin => "si",
        Lang::Slk => "sk",
        Lang::Slv => "sl",
        Lang::Sna => "sn",
        Lang::Spa => "es",
        Lang::Srp => "sr",
        Lang::Swe => "sv",
        Lang::Tam => "ta",
        Lang::Tel => "te",
        Lang::Tgl => "tl",
        Lang::Tha => "th",
        Lang::Tuk => "tk",
        Lang::Tur => "tr",
        Lang::Ukr => "uk",
        Lang::Urd => "ur",
        Lang::Uzb => "uz",
        Lang::Vie => "vi",
        Lang::Yid => "yi",
        Lang::Zul => "zu",
        // A language added by a later whatlang: its own three-letter code.
        #[allow(unreachable_patterns)]
        other => other.code(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_a_code_and_two_letter_codes_are_unique() {
        let mut seen = std::collections::BTreeMap::new();
        for &l in Lang::all() {
            let code = iso639_1(l);
            assert!((2..=3).contains(&code.len()), "{l:?}: {code}");
            if let Some(other) = seen.insert(code, l) {
                panic!("{code} is both {other:?} and {l:?}");
            }
        }
    }

    #[test]
    fn scripts_without_a_trigram_model_are_told_by_their_letters() {
        assert_eq!(identify("ທະນາຄານແຈ້ງວ່າເງິນເດືອນຂອງທ່ານໄດ້ເຂົ້າບັນຊີແລ້ວ"), Some("lo"));
        assert_eq!(identify("ខ្ញុំនឹងមកដល់ផ្ទះម៉ោងប្រាំល្ងាចនេះ"), Some("km"));
    }

    #[test]
    fn malay_is_told_from_indonesian_by_its_own_words() {
        assert!(MALAY_WORDS.windows(2).all(|w| w[0] < w[1]), "sorted");
        // Written for this test: the same notice in both languages.
        let ms = "Sila bayar bil elektrik anda sebanyak RM86.40 sebelum 15 Jun melalui aplikasi rasmi kami. Terima kasih kerana menggunakan perkhidmatan kami.";
        let id = "Silakan bayar tagihan listrik Anda sebesar Rp186.400 sebelum 15 Juni melalui aplikasi resmi kami. Terima kasih karena menggunakan layanan kami.";
        assert_eq!(identify(ms), Some("ms"));
        assert_eq!(identify(id), Some("id"));
        assert!(reads_as_malay("Sila semak baki akaun anda"));
        assert!(reads_as_malay("Bayaran RM 25 diterima"));
        assert!(!reads_as_malay("FORMRM1 ABC"));
        assert!(!reads_as_malay(
            "Paket Anda tertahan di bea cukai, bayar Rp50.000 ke rekening kami"
        ));
    }

    #[test]
    fn a_text_too_close_to_call_is_foreign_when_no_close_language_is_known() {
        // Written for this test.
        let english = |l: &str| l == "en";
        let spanish =
            "Mamá, te acabo de transferir los 300 para el alquiler. Avísame cuando te llegue";
        let portuguese = "Oi amor, já paguei a conta de luz. Chego em casa umas oito";
        for text in [spanish, portuguese] {
            assert_eq!(identify(text), None, "{text}");
            assert!(outside(text, english), "{text}");
            assert!(
                !outside(text, |l| l == "en" || l == "es" || l == "pt"),
                "{text}"
            );
        }
        // English in short forms is not called foreign, though whatlang
        // cannot say it is English either.
        for text in [
            "Eh u reaching soon or not? I already at the mrt lor, wait for u at exit B",
            "Dun worry la, i bring the charger tmr. U go sleep first ok",
        ] {
            assert_eq!(identify(text), None, "{text}");
            assert!(!outside(text, english), "{text}");
        }
        // A reliable guess decides as before; no letters, nothing foreign.
        assert!(outside(
            "Le colis est arrivé au dépôt et vous attend.",
            english
        ));
        assert!(!outside(
            "Le colis est arrivé au dépôt et vous attend.",
            |l| l == "fr"
        ));
        assert!(!outside("12:40 +65 9123 4567", english));
        assert!(outside("ທະນາຄານແຈ້ງວ່າເງິນເດືອນຂອງທ່ານໄດ້ເຂົ້າບັນຊີແລ້ວ", english));
        assert!(outside("Sila semak baki akaun anda", |l| l == "en" || l == "id"));
        // Written for this test: whatlang ranks it Javanese, Indonesian
        // close behind.
        let malay = "Weh, nanti bayar balik RM20 makan tadi tau. Duitnow je senang";
        assert!(outside(malay, |l| l == "en" || l == "id"));
        assert!(!outside(malay, |l| l == "en" || l == "id" || l == "ms"));
    }

    #[test]
    fn taglish_is_told_by_its_own_words() {
        assert!(TAGALOG_WORDS.windows(2).all(|w| w[0].0 < w[1].0), "sorted");
        assert!(TAGALOG_KEYS.windows(2).all(|w| w[0] < w[1]), "keys sorted");
        let english = |l: &str| l == "en" || l == "id";
        // Written for this test: Taglish that whatlang ranks English or
        // close to Indonesian.
        for text in [
            "Good pm po, na-transfer ko na yung rent kanina. Salamat po🙏",
            "Hi Ma, sent na yung padala via remit, claim mo na lang sa branch ha",
            "Interview invitation: Ito po ang schedule ng interview mo on Monday, 10am",
        ] {
            assert!(reads_as([Some(&TAGALOG)], text), "{text}");
            assert!(outside(text, english), "{text}");
            assert!(!outside(text, |l| english(l) || l == "tl"), "{text}");
        }
        // One word is not enough, and English and Indonesian have none.
        for text in [
            "Meeting with Mr Ang at 3pm, PO box 1234",
            "Please send the PO by Friday, thanks",
            "Sila semak baki akaun anda",
            "Nanti saya kirim fotonya ya, sana lagi hujan",
            "The Hindi film starts at 8, wala tickets left lol",
            "Maa ko bol dena ki main late aaunga na",
            "Hehe tomorrow wala class so i go see po po at her hse",
            // Vietnamese, whose đang and những are not ang and ng.
            "Đơn hàng của bạn đang được giao, những món còn lại giao sau",
        ] {
            assert!(!reads_as([Some(&TAGALOG)], text), "{text}");
        }
    }

    /// The byte scan answers as splitting the text on every character that
    /// is not a letter, and weighing the ASCII words, does.
    #[test]
    fn tagalog_words_are_the_ascii_letter_runs() {
        fn by_chars(text: &str) -> bool {
            let (mut seen, mut weight) = (0u64, 0u8);
            for w in text.split(|c: char| !c.is_alphabetic()).map(str::as_bytes) {
                if !(2..=7).contains(&w.len()) || !w.iter().all(u8::is_ascii_alphabetic) {
                    continue;
                }
                let Ok(k) = TAGALOG_KEYS.binary_search(&word_key(w)) else {
                    continue;
                };
                let (_, wt, lower_only) = TAGALOG_WORDS[k];
                if seen & (1 << k) == 0 && !(lower_only && w.iter().any(u8::is_ascii_uppercase)) {
                    seen |= 1 << k;
                    weight += wt;
                }
            }
            weight >= 4
        }
        let pieces = [
            "ang", "ng", "mga", "po", "Po", "na", "sa", "yung", "kasi", "đ", "é", "ữ", "🙏", "’",
            "-", "1", "ñ", "a\u{301}", "\n", "中",
        ];
        // Every sequence of up to three pieces, joined with and without a
        // space.
        let mut texts = vec![String::new()];
        for _ in 0..3 {
            let mut longer = Vec::new();
            for t in &texts {
                for p in pieces {
                    longer.push(format!("{t}{p}"));
                    longer.push(format!("{t} {p}"));
                }
            }
            texts.extend(longer);
        }
        for t in &texts {
            assert_eq!(reads_as([Some(&TAGALOG)], t), by_chars(t), "{t:?}");
        }
    }

    #[test]
    fn hindi_and_urdu_in_latin_letters_are_told_by_their_own_words() {
        assert!(
            HINDUSTANI_WORDS.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted"
        );
        assert!(
            HINDUSTANI_KEYS.windows(2).all(|w| w[0] < w[1]),
            "keys sorted"
        );
        let hindustani = |t: &str| reads_as([Some(&HINDUSTANI)], t);
        let english = |l: &str| l == "en" || l == "id";
        // Written for this test.
        for text in [
            "Aap ka OTP 4471 hai. Ye code kisi ke sath share na karein.",
            "Bhai kal meeting nahi hai, Monday ko rakhte hain",
            "Sir aapki CV dekhi, salary 40k tak ho sakti hai, kal call kar sakte hain?",
        ] {
            assert!(hindustani(text), "{text}");
            assert!(outside(text, english), "{text}");
            assert!(!outside(text, |l| english(l) || l == "hi"), "{text}");
        }
        for text in [
            "Hai, are you coming to the ki-ka party at Tum's place?",
            "Meeting moved to 3pm, see you there",
            "Sila semak baki akaun anda sebelum tarikh akhir",
            "Good pm po, na-transfer ko na yung rent kanina",
            "Raha said the HUM sound is from the fridge, not the aircon",
        ] {
            assert!(!hindustani(text), "{text}");
        }
    }

    #[test]
    fn long_texts_are_read_from_their_start_only() {
        let long = "Le colis est arrivé au dépôt et vous attend. ".repeat(500);
        assert_eq!(identify(&long), Some("fr"));
        assert_eq!(identify(""), None);
    }
}
