//! Cheap content sniffing on the first bytes of an input.

/// How many bytes are sniffed at the start of every input.
pub const HEAD_BYTES: usize = 8 * 1024;

/// Header names that mark the start of an RFC 5322 message.
const KNOWN_HEADERS: &[&str] = &[
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "received",
    "return-path",
    "message-id",
    "mime-version",
    "delivered-to",
    "reply-to",
    "content-type",
    "sender",
    "x-mailer",
    "dkim-signature",
    "authentication-results",
];

/// True when `head` looks binary: it contains a NUL byte (the heuristic of
/// grep and git).
///
/// A NUL rather than invalid UTF-8, because text in legacy encodings
/// (Latin-1, GBK) is invalid UTF-8 and still worth scanning.
///
/// # Example
///
/// ```
/// assert!(scamscan_cli::input::looks_binary(b"PK\x03\x04\x00\x00"));
/// assert!(!scamscan_cli::input::looks_binary("héllo".as_bytes()));
/// ```
pub fn looks_binary(head: &[u8]) -> bool {
    head.contains(&0)
}

/// True when `head` starts with an RFC 5322 header block: at least two
/// header fields (`Name: value`, continuation lines allowed), one of them a
/// well-known e-mail header, ended by an empty line (or by the end of `head`).
///
/// Two fields and a known name, so that a chat message starting with
/// `Reminder: ...` is not taken for a mail and stripped of its first line.
///
/// # Example
///
/// ```
/// use scamscan_cli::input::looks_like_email;
/// assert!(looks_like_email(b"From: a@b.example\r\nSubject: hi\r\n\r\nbody"));
/// assert!(!looks_like_email(b"Subject to change: see you at 5\nbye"));
/// assert!(!looks_like_email(b"Reminder: lunch\n\nsee you"));
/// ```
pub fn looks_like_email(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let mut fields = 0usize;
    let mut known = false;
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let last = lines.peek().is_none();
        if line.is_empty() {
            // The blank line that ends the header block (or the end of the head).
            return fields >= 2 && known;
        }
        if line.starts_with([' ', '\t']) {
            if fields == 0 {
                return false;
            }
            continue;
        }
        match line.split_once(':') {
            Some((name, _)) if is_field_name(name) => {
                fields += 1;
                known |= KNOWN_HEADERS.iter().any(|k| name.eq_ignore_ascii_case(k));
            }
            // A partial last line cut by the sniffing window.
            _ if last && text.len() >= HEAD_BYTES => break,
            _ => return false,
        }
    }
    // The header block runs to the end of the sniffed bytes (or of the input).
    fields >= 2 && known
}

/// True when `head` starts like an mbox file: a `From ` separator line with
/// a sender and a date, followed by an RFC 5322 header block.
///
/// # Example
///
/// ```
/// use scamscan_cli::input::looks_like_mbox;
/// assert!(looks_like_mbox(b"From alice@example.com Thu Jun 13 10:00:00 2024\nFrom: alice@example.com\nSubject: hi\n\nbody\n"));
/// assert!(!looks_like_mbox(b"From tomorrow on, the office opens at 9.\n"));
/// ```
pub fn looks_like_mbox(head: &[u8]) -> bool {
    let Some(rest) = head.strip_prefix(b"From ") else {
        return false;
    };
    let nl = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let first = String::from_utf8_lossy(&rest[..nl]);
    let tokens = first.split_whitespace().count();
    // "From sender Day Mon DD HH:MM:SS YYYY": a sender and a date.
    let has_year = first
        .split_whitespace()
        .any(|t| t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()));
    tokens >= 3 && has_year && looks_like_email(rest.get(nl + 1..).unwrap_or(&[]))
}

fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| (b'!'..=b'~').contains(&b) && b != b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_needs_two_fields_and_a_known_one() {
        assert!(!looks_like_email(b"Subject: only one\n\nbody"));
        assert!(!looks_like_email(b"X-A: 1\nX-B: 2\n\nbody"));
        assert!(looks_like_email(
            b"Received: from x\n\tby y\nFrom: a\nTo: b\n\nbody"
        ));
        assert!(!looks_like_email(b" leading: space\nFrom: a\n\n"));
        assert!(!looks_like_email(b""));
    }

    #[test]
    fn mbox_needs_a_date_and_headers() {
        assert!(!looks_like_mbox(b"From a b c\nnot a header\n"));
        assert!(!looks_like_mbox(b"From: a\nTo: b\n\n"));
    }
}
