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
//! not know (Lao) are decided by their letters, and Malay, which whatlang
//! reads as Indonesian, by words Indonesian does not use.

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
    match trigrams::detect_against(text, &|l| known(iso639_1(l))) {
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
    }
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
    fn long_texts_are_read_from_their_start_only() {
        let long = "Le colis est arrivé au dépôt et vous attend. ".repeat(500);
        assert_eq!(identify(&long), Some("fr"));
        assert_eq!(identify(""), None);
    }
}
