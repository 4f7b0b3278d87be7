//! E-mail to message text, in the schema the training corpora use.

use mail_parser::MessageParser;

/// Turns a raw RFC 5322 message into the text scamscan scores:
/// `"Subject: <subject>\n\n<body>"`.
///
/// Headers are decoded (RFC 2047), the text bodies are decoded
/// (transfer encoding and charset) and joined; an HTML-only body is rendered
/// to text; attachments are skipped. `None` when the bytes are not a message.
///
/// The subject is kept because it often carries the lure ("Your account is
/// suspended"), and this is the form the training corpora store mails in.
///
/// # Example
///
/// ```
/// let raw = b"From: a@b.example\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\nContent-Type: text/html\r\n\r\n<p>Hello <b>there</b></p>";
/// let text = scamscan_cli::input::email_text(raw).unwrap();
/// assert!(text.starts_with("Subject: Café\n\n"), "{text}");
/// assert!(text.contains("Hello there") && !text.contains("<b>"), "{text}");
/// ```
pub fn email_text(raw: &[u8]) -> Option<String> {
    email_text_within(raw, usize::MAX).map(|(text, _)| text)
}

/// [`email_text`] keeping at most about `limit` bytes of text; the flag says
/// whether text was left out.
///
/// What mail-parser does with hostile mail, from its source (0.11): MIME
/// nesting (multipart in multipart, attached messages) is walked with an
/// explicit stack, not recursion, so depth cannot overflow the call stack;
/// only base64- or quoted-printable-encoded attached messages recurse, three
/// levels at most. Decoding only shrinks (base64, quoted-printable, RFC 2047
/// words, HTML entities), except charsets, where one byte becomes at most
/// three in UTF-8. Nothing is decompressed. So the work and memory of a parse
/// are linear in the bytes fed, and the caller bounds those (the read limit);
/// `tests/hostile.rs` times 1 MiB of each nesting shape. This function bounds
/// what is kept: parts after the limit are not even decoded to text.
///
/// mail-parser has `debug_assert!`s and unchecked subtractions on paths that
/// malformed MIME reaches (found by fuzzing): harmless in release builds,
/// panics in debug builds. The crate's dev profile builds mail-parser as in
/// release (Cargo.toml); for builds with other profiles, a panic is caught
/// here and the bytes are treated as not being a mail.
pub(crate) fn email_text_within(raw: &[u8], limit: usize) -> Option<(String, bool)> {
    // Unwind safety: the closure only reads `raw`, and its result is dropped
    // if it panics.
    let msg = std::panic::catch_unwind(|| MessageParser::default().parse(raw)).ok()??;
    let subject = msg.subject().unwrap_or("").trim().to_string();
    let mut body = String::new();
    let mut cut = false;
    for i in 0..msg.text_body_count() {
        if body.len() >= limit {
            cut = true;
            break;
        }
        // Inline text parts only: a part that is also listed as an
        // attachment (a text file attached to the mail) is skipped.
        if let Some(part_id) = msg.text_body.get(i)
            && msg.attachments.contains(part_id)
        {
            continue;
        }
        if let Some(text) = msg.body_text(i) {
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            if !body.is_empty() {
                body.push_str("\n\n");
            }
            body.push_str(text);
        }
    }
    let mut text = format!("Subject: {subject}\n\n{body}");
    if text.len() > limit {
        text.truncate(text.floor_char_boundary(limit));
        cut = true;
    }
    Some((text, cut))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_attachments_and_decodes_quoted_printable() {
        let raw = concat!(
            "From: x@y.example\r\n",
            "Subject: Invoice\r\n",
            "MIME-Version: 1.0\r\n",
            "Content-Type: multipart/mixed; boundary=\"b1\"\r\n",
            "\r\n",
            "--b1\r\n",
            "Content-Type: text/plain; charset=utf-8\r\n",
            "Content-Transfer-Encoding: quoted-printable\r\n",
            "\r\n",
            "Please pay =E2=82=AC50 today.\r\n",
            "--b1\r\n",
            "Content-Type: text/plain; name=\"notes.txt\"\r\n",
            "Content-Disposition: attachment; filename=\"notes.txt\"\r\n",
            "\r\n",
            "SECRET ATTACHMENT TEXT\r\n",
            "--b1--\r\n"
        );
        let t = email_text(raw.as_bytes()).unwrap();
        assert_eq!(t, "Subject: Invoice\n\nPlease pay €50 today.");
    }
}
