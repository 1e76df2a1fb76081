//! An incremental parser for `text/event-stream` bodies (server-sent
//! events), as streamable-HTTP MCP servers send them.
//!
//! Bytes come in chunks cut anywhere; complete events come out. Only the
//! `data` and `event` fields matter here (`id` and `retry` serve stream
//! resumption, which ergosh does not do). The input is untrusted: nothing
//! here panics, whatever the bytes.

use memchr::memchr2;

/// One dispatched event: its type (`message` when unnamed) and its data
/// lines joined by `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub data: Vec<u8>,
}

/// Feed it bytes with [`SseParser::feed`], take events with
/// [`SseParser::next_event`], and call [`SseParser::finish`] at the end of
/// the stream.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes not yet consumed start at `start`.
    buffer: Vec<u8>,
    start: usize,
    /// Everything in `buffer[start..scanned]` is known to hold no line end.
    scanned: usize,
    /// The last line ended with `\r`; a `\n` right after belongs to it.
    skip_line_feed: bool,
    /// The stream's first bytes were checked for a byte order mark.
    past_bom: bool,
    data: Vec<u8>,
    has_data: bool,
    event: Option<String>,
}

impl SseParser {
    pub fn new() -> SseParser {
        SseParser::default()
    }

    /// Adds the next bytes of the stream.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.start > 0 {
            self.buffer.drain(..self.start);
            self.scanned -= self.start;
            self.start = 0;
        }
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete event, if the bytes fed so far hold one.
    pub fn next_event(&mut self) -> Option<SseEvent> {
        self.strip_bom();
        loop {
            if self.skip_line_feed && self.start < self.buffer.len() {
                if self.buffer[self.start] == b'\n' {
                    self.start += 1;
                }
                self.skip_line_feed = false;
            }
            let from = self.scanned.max(self.start);
            let Some(offset) = memchr2(b'\n', b'\r', &self.buffer[from..]) else {
                self.scanned = self.buffer.len();
                return None;
            };
            let end = from + offset;
            let line_start = self.start;
            self.start = end + 1;
            self.scanned = self.start;
            if self.buffer[end] == b'\r' {
                self.skip_line_feed = true;
            }
            if let Some(event) = self.line(line_start, end) {
                return Some(event);
            }
        }
    }

    /// Ends the stream: a last event without its blank line is dispatched
    /// too (lenient: the data decides whether it is whole).
    pub fn finish(&mut self) -> Option<SseEvent> {
        if let Some(event) = self.next_event() {
            return Some(event);
        }
        let end = self.buffer.len();
        if self.start < end {
            let line_start = self.start;
            self.start = end;
            self.scanned = end;
            if let Some(event) = self.line(line_start, end) {
                return Some(event);
            }
        }
        self.dispatch()
    }

    fn strip_bom(&mut self) {
        if self.past_bom {
            return;
        }
        const BOM: &[u8] = b"\xEF\xBB\xBF";
        let pending = &self.buffer[self.start..];
        if pending.len() < BOM.len() && BOM.starts_with(pending) {
            return;
        }
        if pending.starts_with(BOM) {
            self.start += BOM.len();
        }
        self.past_bom = true;
    }

    /// Interprets `buffer[start..end]`, one line without its terminator.
    fn line(&mut self, start: usize, end: usize) -> Option<SseEvent> {
        if start == end {
            return self.dispatch();
        }
        let line = &self.buffer[start..end];
        if line[0] == b':' {
            return None;
        }
        let (name, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &line[line.len()..]),
        };
        match name {
            b"data" => {
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
            b"event" => self.event = Some(String::from_utf8_lossy(value).into_owned()),
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = self.event.take();
        if !self.has_data {
            return None;
        }
        self.has_data = false;
        Some(SseEvent {
            event: event.unwrap_or_else(|| "message".to_string()),
            data: std::mem::take(&mut self.data),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut parser = SseParser::new();
        let mut events = Vec::new();
        for chunk in chunks {
            parser.feed(chunk);
            while let Some(event) = parser.next_event() {
                events.push(event);
            }
        }
        events.extend(parser.finish());
        events
    }

    fn data(events: &[SseEvent]) -> Vec<String> {
        events.iter().map(|e| String::from_utf8_lossy(&e.data).into_owned()).collect()
    }

    #[test]
    fn python_sdk_framing_gives_one_message() {
        let body = b"event: message\r\ndata: {\"id\":1}\r\n\r\n";
        let events = parse_all(&[body]);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event, "message");
        assert_eq!(data(&events), ["{\"id\":1}"]);
    }

    #[test]
    fn data_lines_join_with_line_feeds_and_comments_are_skipped() {
        let body = b": ping\n\ndata:a\ndata: b\nid: 7\nretry: 10\n\ndata\n\n";
        assert_eq!(data(&parse_all(&[body])), ["a\nb", ""]);
    }

    #[test]
    fn a_carriage_return_split_from_its_line_feed_ends_one_line() {
        let events = parse_all(&[b"data: x\r", b"\n\r", b"\ndata: y\r\r"]);
        assert_eq!(data(&events), ["x", "y"]);
    }

    #[test]
    fn an_event_without_its_blank_line_is_given_at_the_end() {
        assert_eq!(data(&parse_all(&[b"\xEF\xBB\xBFdata: tail"])), ["tail"]);
        assert!(parse_all(&[b"event: only-a-name\n\n"]).is_empty());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic_and_chunking_does_not_matter(
            bytes in proptest::collection::vec(any::<u8>(), 0..600),
            cuts in proptest::collection::vec(any::<usize>(), 0..8),
        ) {
            let whole = parse_all(&[&bytes]);
            let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
            points.sort_unstable();
            let mut chunks: Vec<&[u8]> = Vec::new();
            let mut last = 0;
            for point in points {
                chunks.push(&bytes[last..point]);
                last = point;
            }
            chunks.push(&bytes[last..]);
            prop_assert_eq!(parse_all(&chunks), whole);
        }

        #[test]
        fn encoded_events_come_back_whatever_the_chunks(
            messages in proptest::collection::vec("[^\r\n]{0,40}", 1..6),
            chunk in 1usize..17,
        ) {
            let mut body = Vec::new();
            for message in &messages {
                body.extend_from_slice(b"event: message\r\ndata: ");
                body.extend_from_slice(message.as_bytes());
                body.extend_from_slice(b"\r\n\r\n");
            }
            let chunks: Vec<&[u8]> = body.chunks(chunk).collect();
            prop_assert_eq!(data(&parse_all(&chunks)), messages);
        }
    }
}
