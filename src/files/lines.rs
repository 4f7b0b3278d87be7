//! A line reader with a bound on the memory one line may take.

use std::io::{self, BufRead};

/// One line read by [`LineReader`].
///
/// The full length is kept even when the line was cut, so that a message
/// can say how much was skipped.
///
/// # Example
///
/// ```
/// use scamscan::files::{LineInfo, LineReader};
/// let mut buf = Vec::new();
/// let info = LineReader::new(&b"0123456789\n"[..], 4).next_line(&mut buf)?.unwrap();
/// assert_eq!(info, LineInfo { number: 1, overflow: true, len: 10, bytes: 11 });
/// assert_eq!(buf, b"0123");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineInfo {
    /// 1-based line number.
    pub number: u64,
    /// True when the line was longer than the limit: the buffer holds its
    /// first `limit` bytes and the rest was skipped.
    pub overflow: bool,
    /// The full length of the line in bytes, without its line ending.
    pub len: u64,
    /// The bytes the line took in the input, its line ending included: the
    /// sum over the lines read so far is the offset of the next one.
    pub bytes: u64,
}

/// Reads lines (`\n` or `\r\n` endings, removed) keeping at most `limit`
/// bytes of each in memory, so that a file with a 10 GB line cannot exhaust
/// memory.
///
/// # Example
///
/// ```
/// use scamscan::files::LineReader;
/// let mut r = LineReader::new(&b"one\r\ntwo that is long\nthree"[..], 5);
/// let mut buf = Vec::new();
/// let l = r.next_line(&mut buf).unwrap().unwrap();
/// assert_eq!((buf.as_slice(), l.number, l.overflow), (&b"one"[..], 1, false));
/// let l = r.next_line(&mut buf).unwrap().unwrap();
/// assert_eq!((buf.as_slice(), l.overflow, l.len), (&b"two t"[..], true, 16));
/// r.next_line(&mut buf).unwrap().unwrap();
/// assert_eq!(buf, b"three");
/// assert!(r.next_line(&mut buf).unwrap().is_none());
/// ```
#[derive(Debug)]
pub struct LineReader<R> {
    reader: R,
    limit: usize,
    number: u64,
}

impl<R: BufRead> LineReader<R> {
    /// Wraps `reader`; lines keep at most `limit` bytes.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::files::LineReader;
    /// let mut r = LineReader::new(std::io::Cursor::new("a\nb\n"), 1024);
    /// let mut buf = Vec::new();
    /// assert_eq!(r.next_line(&mut buf)?.map(|l| l.number), Some(1));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(reader: R, limit: usize) -> Self {
        LineReader {
            reader,
            limit,
            number: 0,
        }
    }

    /// Changes the most bytes kept of each line from now on.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::files::LineReader;
    /// let mut r = LineReader::new(&b"abcdef\n"[..], 1024);
    /// r.set_limit(2);
    /// let mut buf = Vec::new();
    /// assert!(r.next_line(&mut buf)?.unwrap().overflow);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// The number of the last line read (0 before the first).
    ///
    /// After a read error, the failing line is `line_number() + 1`: this is
    /// how an error can name its line though no [`LineInfo`] came back.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::files::LineReader;
    /// let mut r = LineReader::new(&b"a\nb\n"[..], 1024);
    /// assert_eq!(r.line_number(), 0);
    /// r.next_line(&mut Vec::new())?;
    /// assert_eq!(r.line_number(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn line_number(&self) -> u64 {
        self.number
    }

    /// Reads the next line into `buf` (cleared first); `None` at the end.
    ///
    /// The caller's buffer is reused from line to line, so reading a file
    /// allocates once, not once per line.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::files::LineReader;
    /// let mut r = LineReader::new(&b"last line, no newline"[..], 1024);
    /// let mut buf = Vec::new();
    /// assert!(r.next_line(&mut buf)?.is_some());
    /// assert_eq!(buf, b"last line, no newline");
    /// assert!(r.next_line(&mut buf)?.is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<LineInfo>> {
        buf.clear();
        let mut len = 0u64;
        let mut bytes = 0u64;
        let mut any = false;
        let mut ended = false;
        while !ended {
            let chunk = match self.reader.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                break;
            }
            any = true;
            let (take, used) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    ended = true;
                    (i, i + 1)
                }
                None => (chunk.len(), chunk.len()),
            };
            len += take as u64;
            bytes += used as u64;
            let room = self.limit.saturating_sub(buf.len());
            buf.extend_from_slice(&chunk[..take.min(room)]);
            self.reader.consume(used);
        }
        if !any {
            return Ok(None);
        }
        // A "\r\n" ending: the '\r' is the last byte of the line proper.
        if ended && len > 0 && len as usize <= self.limit && buf.last() == Some(&b'\r') {
            buf.pop();
            len -= 1;
        }
        self.number += 1;
        Ok(Some(LineInfo {
            number: self.number,
            overflow: len > self.limit as u64,
            len,
            bytes,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_buffers_and_blank_lines() {
        let data = b"a\n\nbcdef\n";
        let mut r = LineReader::new(io::BufReader::with_capacity(2, &data[..]), 100);
        let mut buf = Vec::new();
        let mut got = Vec::new();
        while let Some(l) = r.next_line(&mut buf).unwrap() {
            got.push((l.number, String::from_utf8(buf.clone()).unwrap()));
        }
        assert_eq!(
            got,
            vec![(1, "a".into()), (2, "".into()), (3, "bcdef".into())]
        );
    }
}
