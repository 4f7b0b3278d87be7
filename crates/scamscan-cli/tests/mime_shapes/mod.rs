//! MIME shapes that make naive parsers recurse or rescan, shared by the
//! hostile-input test (`tests/hostile.rs`: bounded output, the CLI copes)
//! and the scaling benchmark (`benches/mime.rs`: linear time).

/// Each shape, by name, built up to at least `size` bytes. A prefix of a
/// shape is a smaller mail of the same shape.
pub fn shapes(size: usize) -> Vec<(&'static str, String)> {
    let build = |size: usize, head: &str, unit: &dyn Fn(usize) -> String| {
        let mut m = format!("From: a@b.example\r\nSubject: nest\r\n{head}");
        let mut i = 0;
        while m.len() < size {
            m.push_str(&unit(i));
            i += 1;
        }
        m
    };
    let shapes: Vec<(&str, String)> = vec![
        (
            "multipart in multipart",
            build(size, "", &|i| {
                format!("Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n")
            }),
        ),
        (
            "message in message",
            build(size, "", &|_| {
                "Content-Type: message/rfc822\r\n\r\nFrom: a@b.example\r\n".into()
            }),
        ),
        (
            "same boundary nested",
            build(size, "", &|_| {
                "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n".into()
            }),
        ),
        (
            "boundary never found",
            build(size, "", &|_| {
                "Content-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n".into()
            }),
        ),
        (
            "many text parts",
            build(
                size,
                "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n",
                &|i| format!("--b\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n"),
            ),
        ),
        (
            "encoded words",
            build(size, "X-A: b\r\nSubject: ", &|_| {
                "=?utf-8?b?aGVsbG8=?= ".into()
            }),
        ),
        (
            "nested html",
            build(size, "Content-Type: text/html\r\n\r\n", &|_| {
                "<div><b>&amp;".into()
            }),
        ),
    ];
    shapes
}
