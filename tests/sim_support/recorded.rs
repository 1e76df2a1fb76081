//! Loading the exchanges recorded from a real Ergo node.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Where the recordings are, beside the crate.
const RECORDINGS: &str = "../shared/ergo-mcp/recordings";

/// One recorded exchange.
pub struct Exchange {
    pub name: String,
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub raw_request: Vec<u8>,
    pub body: Option<Value>,
    pub status: u16,
    pub response: Value,
    pub response_text: String,
    pub seconds: Option<u64>,
}

/// The recordings folder, or `None` (saying so) when it is absent.
pub fn folder() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(RECORDINGS);
    if path.is_dir() {
        Some(path)
    } else {
        println!("skipped: no recordings at {}", path.display());
        None
    }
}

pub fn load(folder: &Path) -> Vec<Exchange> {
    let mut names: Vec<String> = fs::read_dir(folder)
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".json") && name.as_bytes()[0].is_ascii_digit())
        .map(|name| name.trim_end_matches(".json").to_string())
        .collect();
    names.sort();
    names.iter().map(|name| load_one(folder, name)).collect()
}

pub fn load_one(folder: &Path, name: &str) -> Exchange {
    let record: Value =
        serde_json::from_str(&fs::read_to_string(folder.join(format!("{name}.json"))).unwrap())
            .unwrap();
    let request = &record["request"];
    let url = request["url"].as_str().unwrap_or("/mcp");
    let path =
        url.splitn(4, '/').nth(3).map(|rest| format!("/{rest}")).unwrap_or_else(|| "/mcp".into());
    let headers = request["headers"]
        .as_object()
        .map(|headers| {
            headers
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let raw = folder.join("raw");
    let raw_request = fs::read(raw.join(format!("{name}.req"))).unwrap_or_default();
    let header_text = fs::read_to_string(raw.join(format!("{name}.hdr"))).unwrap_or_default();
    let response = &record["response"];
    Exchange {
        name: name.to_string(),
        method: request["method"].as_str().unwrap_or("POST").to_string(),
        path,
        headers,
        body: serde_json::from_slice(&raw_request).ok(),
        raw_request,
        status: response["http_status"].as_u64().unwrap_or(200) as u16,
        response_text: fs::read_to_string(raw.join(format!("{name}.resp"))).unwrap_or_default(),
        response: response["body"].clone(),
        seconds: date_seconds(&header_text),
    }
}

/// Seconds of the day of the `Date` header.
pub fn date_seconds(headers: &str) -> Option<u64> {
    let line = headers.lines().find(|line| line.starts_with("Date:"))?;
    let time = line.split_whitespace().find(|word| word.matches(':').count() == 2)?;
    let parts: Vec<u64> = time.split(':').filter_map(|part| part.parse().ok()).collect();
    Some(parts[0] * 3600 + parts[1] * 60 + parts[2])
}

pub fn tool_of(exchange: &Exchange) -> Option<String> {
    let body = exchange.body.as_ref()?;
    if body["method"] != "tools/call" {
        return None;
    }
    body["params"]["name"].as_str().map(str::to_string)
}
