//! Word shaping: a word as the model sees it, digits folded and digit
//! leetspeak read as letters.

/// `piece` with ASCII digits folded to `0`, into `out`.
pub(super) fn fold_digits(piece: &str, out: &mut String) {
    if !piece.bytes().any(|b| b.is_ascii_digit()) {
        out.push_str(piece);
        return;
    }
    out.extend(
        piece
            .chars()
            .map(|c| if c.is_ascii_digit() { '0' } else { c }),
    );
}

/// A word as the model sees it: digits folded to `0` (`call 5550143` and
/// `call 9876543` are the same feature), except digit leetspeak, which is
/// read as the letters it stands for (`fr33` → `free`, `4cc0unt` → `account`).
///
/// Digits are leetspeak when the word has at least two letters, no run of
/// more than two digits, and is not a number with a unit or currency
/// (`10am`, `3rd`, `50gb`, `rs500`, `usd20`).
pub(crate) fn shape_word(piece: &str, out: &mut String) {
    let b = piece.as_bytes();
    if !is_leet(b) {
        fold_digits(piece, out);
        return;
    }
    for (i, &c) in b.iter().enumerate() {
        let near_l = |j: Option<usize>| j.and_then(|j| b.get(j)).is_some_and(|&c| c == b'l');
        out.push(match c {
            b'0' => 'o',
            b'1' if near_l(i.checked_sub(1)) || near_l(Some(i + 1)) => 'l',
            b'1' => 'i',
            b'3' => 'e',
            b'4' => 'a',
            b'5' => 's',
            b'7' => 't',
            b'8' => 'b',
            b'9' => 'g',
            c if c.is_ascii_digit() => '0',
            c => c as char,
        });
    }
}

/// Whether an ASCII word mixes letters and leetspeak digits (see [`shape_word`]).
fn is_leet(b: &[u8]) -> bool {
    if !b.is_ascii() || !b.iter().any(u8::is_ascii_digit) {
        return false;
    }
    let letters = b.iter().filter(|c| c.is_ascii_alphabetic()).count();
    if letters < 2 || b.iter().any(|c| !c.is_ascii_alphanumeric()) {
        return false;
    }
    let mut run = 0;
    for &c in b {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        if run > 2 {
            return false;
        }
    }
    // A number with a unit after it, or a currency before it.
    const UNITS: &[&str] = &[
        "am", "pm", "st", "nd", "rd", "th", "gb", "mb", "kb", "tb", "km", "kg", "mg", "ml", "cm",
        "mm", "hr", "hrs", "min", "mins", "sec", "secs", "yrs", "mph", "usd", "eur", "gbp", "inr",
        "idr", "rs", "rp", "rm", "php", "ngn", "usdt", "btc", "eth", "days", "wks", "mins", "ghz",
        "mp", "px", "fps", "lbs", "oz", "ft", "in", "x", "k",
    ];
    let lead = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let trail = b.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    let tail = std::str::from_utf8(&b[lead..]).unwrap_or("");
    let head = std::str::from_utf8(&b[..b.len() - trail]).unwrap_or("");
    let digits_only_at_ends = b[lead..b.len() - trail.min(b.len() - lead)]
        .iter()
        .all(u8::is_ascii_alphabetic);
    !(digits_only_at_ends
        && ((lead > 0 && UNITS.contains(&tail)) || (trail > 0 && UNITS.contains(&head))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(w: &str) -> String {
        let mut s = String::new();
        shape_word(w, &mut s);
        s
    }

    #[test]
    fn digit_leetspeak_is_read_as_letters_but_numbers_stay_numbers() {
        for (w, want) in [
            ("fr33", "free"),
            ("4cc0unt", "account"),
            ("v3r1fy", "verify"),
            ("ca1l", "call"),
            ("p4ck4g3", "package"),
            ("5u5p3nd3d", "suspended"),
            // Numbers, units and currencies are not leetspeak.
            ("10am", "00am"),
            ("3rd", "0rd"),
            ("50gb", "00gb"),
            ("rs500", "rs000"),
            ("usd20", "usd00"),
            ("0800123", "0000000"),
            ("a1", "a0"),
        ] {
            assert_eq!(shape(w), want, "{w}");
        }
    }
}
