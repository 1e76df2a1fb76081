//! The raw floor: a plain keep-alive HTTP/1.1 client over one
//! `std::net::TcpStream`, sending `tools/call` bodies and parsing each
//! reply the way any client must (the envelope, then the JSON in its text).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use serde_json::Value;

/// One keep-alive connection to an MCP endpoint.
pub struct RawClient {
    address: String,
    path: String,
    reader: BufReader<TcpStream>,
    next_id: u64,
    is_closed: bool,
}

impl RawClient {
    /// Connects to `http://HOST:PORT/PATH`.
    pub fn connect(url: &str) -> io::Result<RawClient> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| invalid(format!("not an http url: `{url}`")))?;
        let (address, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        let reader = open(address)?;
        Ok(RawClient {
            address: address.to_string(),
            path: path.to_string(),
            reader,
            next_id: 1,
            is_closed: false,
        })
    }

    /// The JSON-RPC body of a `tools/call`; `arguments` is a JSON object.
    pub fn call_body(&mut self, tool: &str, arguments: &str) -> String {
        let id = self.next_id;
        // The endpoint decodes ids as floats: keep them small.
        self.next_id = self.next_id % 1_000_000 + 1;
        format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"tools/call\",\
             \"params\":{{\"name\":\"{tool}\",\"arguments\":{arguments}}}}}"
        )
    }

    /// Calls a tool and returns the exact response body.
    pub fn call_tool(&mut self, tool: &str, arguments: &str) -> io::Result<Vec<u8>> {
        let body = self.call_body(tool, arguments);
        self.post(body.as_bytes())
    }

    /// Calls a tool and parses the reply: envelope, then the text's JSON.
    pub fn call_parsed(&mut self, tool: &str, arguments: &str) -> io::Result<Value> {
        let body = self.call_tool(tool, arguments)?;
        result_json(&body)
    }

    /// POSTs one body and reads the whole response body.
    pub fn post(&mut self, body: &[u8]) -> io::Result<Vec<u8>> {
        if self.is_closed {
            self.reader = open(&self.address)?;
            self.is_closed = false;
        }

        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Accept: application/json, text/event-stream\r\nContent-Length: {}\r\n\r\n",
            self.path,
            self.address,
            body.len()
        );
        let mut request = Vec::with_capacity(head.len() + body.len());
        request.extend_from_slice(head.as_bytes());
        request.extend_from_slice(body);
        self.reader.get_mut().write_all(&request)?;

        self.read_response()
    }

    fn read_response(&mut self) -> io::Result<Vec<u8>> {
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse::<u16>().ok())
            .ok_or_else(|| invalid(format!("bad status line `{}`", line.trim_end())))?;

        let mut length = None;
        let mut is_chunked = false;
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(invalid("connection closed in headers".into()));
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                is_chunked = value.eq_ignore_ascii_case("chunked");
            } else if name.eq_ignore_ascii_case("connection") {
                self.is_closed = value.eq_ignore_ascii_case("close");
            }
        }

        let body = if is_chunked {
            self.read_chunked()?
        } else if let Some(length) = length {
            let mut body = vec![0; length];
            self.reader.read_exact(&mut body)?;
            body
        } else {
            self.is_closed = true;
            let mut body = Vec::new();
            self.reader.read_to_end(&mut body)?;
            body
        };

        if status != 200 {
            let snippet = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
            return Err(invalid(format!("http {status}: {snippet}")));
        }
        Ok(body)
    }

    fn read_chunked(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let size = line.trim_end().split(';').next().unwrap_or("");
            let size = usize::from_str_radix(size.trim(), 16)
                .map_err(|_| invalid(format!("bad chunk size `{}`", line.trim_end())))?;
            if size == 0 {
                // Trailers, then the blank line that ends the message.
                loop {
                    line.clear();
                    if self.reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
                        return Ok(body);
                    }
                }
            }
            let start = body.len();
            body.resize(start + size, 0);
            self.reader.read_exact(&mut body[start..])?;
            let mut crlf = [0; 2];
            self.reader.read_exact(&mut crlf)?;
        }
    }
}

/// The JSON inside `result.content[0].text` of a response body.
pub fn result_json(body: &[u8]) -> io::Result<Value> {
    let text = result_text(body)?;
    serde_json::from_str(&text).map_err(|error| invalid(format!("result text: {error}")))
}

/// The text of `result.content[0]` of a response body.
pub fn result_text(body: &[u8]) -> io::Result<String> {
    let mut envelope: Value =
        serde_json::from_slice(body).map_err(|error| invalid(format!("envelope: {error}")))?;
    if let Some(error) = envelope.get("error") {
        return Err(invalid(format!("rpc error: {error}")));
    }
    match envelope.pointer_mut("/result/content/0/text").map(Value::take) {
        Some(Value::String(text)) => Ok(text),
        _ => Err(invalid("no text in result.content[0]".into())),
    }
}

fn open(address: &str) -> io::Result<BufReader<TcpStream>> {
    let stream = TcpStream::connect(address)?;
    stream.set_nodelay(true)?;
    Ok(BufReader::with_capacity(64 * 1024, stream))
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}
