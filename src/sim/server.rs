//! The HTTP side: a hyper HTTP/1.1 server on loopback with the node's
//! transport rules (POST on /mcp only, Bearer token before anything else,
//! 1 MiB bodies, a 120 s handler deadline) and the fault modes.

use std::io;
use std::net::TcpListener as StdListener;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, CONNECTION, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::body::SimBody;
use super::cluster::{lock, Cluster};
use super::faults::Fault;
use super::rpc::{self, Answer, Call};
use crate::protocol::PARSE_ERROR;

/// Request bodies are cut here, as the node's `MaxBytesReader` cuts them.
const BODY_LIMIT: usize = 1 << 20;
/// The node's HTTP handler gives up after this long (sim seconds).
const HANDLER_DEADLINE_SEC: f64 = 120.0;
const SESSION_HEADER: &str = "mcp-session-id";
const JSON: &str = "application/json";
const TEXT: &str = "text/plain; charset=utf-8";

type Reply = Response<SimBody>;

/// Why a connection is closed without an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("fault: connection dropped")
    }
}

impl std::error::Error for Dropped {}

/// Serves until `shutdown` fires.
pub async fn serve(
    listener: StdListener,
    cluster: Arc<Cluster>,
    shutdown: oneshot::Receiver<()>,
) -> io::Result<()> {
    let listener = TcpListener::from_std(listener)?;
    if !cluster.clock.is_manual() {
        tokio::spawn(tick(cluster.clone()));
    }
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(_) => continue,
            },
            _ = &mut shutdown => return Ok(()),
        };
        let _ = stream.set_nodelay(true);
        let cluster = cluster.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(cluster.clone(), request));
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// In Real mode, samplers run on their own, not only when asked.
async fn tick(cluster: Arc<Cluster>) {
    let mut interval = tokio::time::interval(Duration::from_millis(50));
    loop {
        interval.tick().await;
        tokio::task::block_in_place(|| cluster.catch_up());
    }
}

async fn handle(cluster: Arc<Cluster>, request: Request<Incoming>) -> Result<Reply, Dropped> {
    if request.uri().path() != "/mcp" {
        return Ok(plain(StatusCode::NOT_FOUND, "404 page not found\n"));
    }
    if request.method() == Method::DELETE && cluster.faults.sessions_required() {
        *lock(&cluster.session) = None;
        return Ok(status(StatusCode::OK));
    }
    if request.method() != Method::POST {
        return Ok(plain(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed\n"));
    }
    if !authorized(&cluster, &request) {
        return Ok(status(StatusCode::UNAUTHORIZED));
    }
    let session = request
        .headers()
        .get(SESSION_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let Some(body) = read_body(request.into_body()).await else {
        let body = rpc::envelope(None, parse_error());
        let mut reply = json_reply(StatusCode::OK, SimBody::full(body));
        reply.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
        return Ok(reply);
    };

    let deadline = Instant::now() + cluster.clock.real_duration(HANDLER_DEADLINE_SEC);
    process(cluster, session, body, deadline).await
}

fn authorized(cluster: &Cluster, request: &Request<Incoming>) -> bool {
    let Some(token) = &cluster.options.token else {
        return true;
    };
    let expected = format!("Bearer {token}");
    request
        .headers()
        .get(AUTHORIZATION)
        .is_some_and(|value| value.as_bytes() == expected.as_bytes())
}

/// The body, or `None` when it is over the limit.
async fn read_body(mut body: Incoming) -> Option<Bytes> {
    let mut collected = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Some(Bytes::from(collected));
        };
        if let Ok(data) = frame.into_data() {
            if collected.len() + data.len() > BODY_LIMIT {
                return None;
            }
            collected.extend_from_slice(&data);
        }
    }
    Some(Bytes::from(collected))
}

async fn process(
    cluster: Arc<Cluster>,
    session: Option<String>,
    body: Bytes,
    deadline: Instant,
) -> Result<Reply, Dropped> {
    let call = match rpc::parse(&body) {
        Ok(call) => call,
        Err((id, answer)) => {
            return Ok(json_reply(
                StatusCode::OK,
                SimBody::full(rpc::envelope(id.as_ref(), answer)),
            ))
        }
    };
    let mut new_session = None;
    if cluster.faults.sessions_required() {
        match check_session(&cluster, &call, session.as_deref()) {
            Ok(issued) => new_session = issued,
            Err(reply) => return Ok(*reply),
        }
    }
    if call.is_notification() {
        return Ok(status(StatusCode::ACCEPTED));
    }
    if let Some(tool) = call.tool() {
        cluster.record(tool, rpc::arguments(&call));
    }

    let fault = cluster.faults.take(call.tool());
    if let Some(reply) = early_fault(fault.as_ref(), call.id.as_ref()).await? {
        return Ok(reply);
    }

    let tool = call.tool().map(str::to_string);
    let id = call.id.clone();
    let work = async {
        if let Some(Fault::Delay(delay)) = &fault {
            tokio::time::sleep(*delay).await;
        }
        let _worker = cluster.worker(&cluster.entry).await;
        rpc::answer(&cluster, call).await
    };
    let Ok(answer) = tokio::time::timeout_at(deadline, work).await else {
        return Ok(status(StatusCode::GATEWAY_TIMEOUT));
    };
    if let Some(tool) = tool.as_deref() {
        if cluster.faults.take_mode(&Fault::ChangeTools, Some(tool)) {
            cluster.tools_changed.store(true, Ordering::SeqCst);
        }
    }

    let (id, answer) = late_fault(fault.as_ref(), id, answer, tool.is_some());
    let mut reply = delivered(fault.as_ref(), rpc::envelope(id.as_ref(), answer));
    if let Some(session) = new_session {
        if let Ok(value) = HeaderValue::from_str(&session) {
            reply.headers_mut().insert(SESSION_HEADER, value);
        }
    }
    Ok(reply)
}

/// The answer as sent: whole, or broken off as the fault says.
fn delivered(fault: Option<&Fault>, chunks: Vec<Bytes>) -> Reply {
    match fault {
        Some(Fault::CloseMidBody) => json_reply(StatusCode::OK, SimBody::broken(chunks)),
        Some(Fault::Truncated) => {
            let whole = chunks.concat();
            let cut = Bytes::from(whole[..whole.len() / 2].to_vec());
            let mut reply = json_reply(StatusCode::OK, SimBody::sized(vec![cut]));
            reply.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
            reply
        }
        _ => json_reply(StatusCode::OK, SimBody::full(chunks)),
    }
}

/// In session mode: `initialize` issues a new id; everything else must
/// carry the current one, and the first matching call finds it expired.
fn check_session(
    cluster: &Cluster,
    call: &Call,
    session: Option<&str>,
) -> Result<Option<String>, Box<Reply>> {
    if call.method == "initialize" {
        let issued = format!("sim-session-{:016x}", rand::random::<u64>());
        *lock(&cluster.session) = Some(issued.clone());
        return Ok(Some(issued));
    }
    let current = lock(&cluster.session).clone();
    let Some(session) = session else {
        return Err(Box::new(plain(
            StatusCode::BAD_REQUEST,
            "Bad Request: missing Mcp-Session-Id\n",
        )));
    };
    if current.as_deref() != Some(session) {
        return Err(Box::new(plain(StatusCode::NOT_FOUND, "session not found\n")));
    }
    if call.tool().is_some() && cluster.faults.take_mode(&Fault::SessionIds, call.tool()) {
        *lock(&cluster.session) = None;
        return Err(Box::new(plain(StatusCode::NOT_FOUND, "session not found\n")));
    }
    Ok(None)
}

/// Faults that answer (or do not) without running the request.
async fn early_fault(
    fault: Option<&Fault>,
    id: Option<&serde_json::Value>,
) -> Result<Option<Reply>, Dropped> {
    let reply = match fault {
        Some(Fault::NeverAnswer) => std::future::pending().await,
        Some(Fault::DropConnection) => return Err(Dropped),
        Some(Fault::Status(code)) => {
            status(StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        }
        Some(Fault::HtmlPage) => {
            let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
                        <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n\
                        </body>\r\n</html>\r\n";
            let mut reply = Response::new(SimBody::full(vec![Bytes::from_static(page.as_bytes())]));
            *reply.status_mut() = StatusCode::BAD_GATEWAY;
            reply.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
            reply
        }
        Some(Fault::EmptyBody) => json_reply(StatusCode::OK, SimBody::empty()),
        Some(Fault::Malformed) => {
            let body = Bytes::from_static(b"{\"jsonrpc\":\"2.0\",\"id\":oops this is not json");
            json_reply(StatusCode::OK, SimBody::full(vec![body]))
        }
        Some(Fault::Huge(total)) => {
            let mut opening = br#"{"jsonrpc":"2.0","id":"#.to_vec();
            opening.extend_from_slice(&super::wire::encode_id(id));
            opening.extend_from_slice(br#","result":{"content":[{"type":"text","text":""#);
            let opening = Bytes::from(opening);
            let closing = Bytes::from_static(br#""}]}}"#);
            json_reply(StatusCode::OK, SimBody::huge(opening, closing, *total))
        }
        _ => return Ok(None),
    };
    Ok(Some(reply))
}

/// Faults that rewrite the answer of a request that did run.
fn late_fault(
    fault: Option<&Fault>,
    id: Option<serde_json::Value>,
    answer: Answer,
    is_tool_call: bool,
) -> (Option<serde_json::Value>, Answer) {
    let result =
        |json: serde_json::Value| Answer::Result(vec![Bytes::from(super::wire::compact(&json))]);
    let answer = match (fault, is_tool_call) {
        (Some(Fault::IsError(text)), true) => result(serde_json::json!({
            "content": [{"type": "text", "text": text}],
            "isError": true,
        })),
        (Some(Fault::NoContent), true) => result(serde_json::json!({"content": []})),
        (Some(Fault::NonTextItem), true) => result(serde_json::json!({
            "content": [{"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"}],
        })),
        (Some(Fault::TextNotJson), true) => result(serde_json::json!({
            "content": [{"type": "text", "text": "this answer is plain text, not JSON"}],
        })),
        (Some(Fault::SeveralItems), true) => several_items(answer),
        _ => answer,
    };
    let id = match fault {
        Some(Fault::WrongId) => Some(wrong_id(id.as_ref())),
        _ => id,
    };
    (id, answer)
}

fn several_items(answer: Answer) -> Answer {
    let Answer::Result(mut chunks) = answer else {
        return answer;
    };
    // The tool answer ends with `}]}`: put a second item before `]}`.
    if chunks.last().map(|chunk| chunk.as_ref()) == Some(b"}]}".as_ref()) {
        chunks.pop();
        chunks.push(Bytes::from_static(
            br#"},{"type":"text","text":"a second item the client did not expect"}]}"#,
        ));
    }
    Answer::Result(chunks)
}

fn wrong_id(id: Option<&serde_json::Value>) -> serde_json::Value {
    match id.and_then(serde_json::Value::as_f64) {
        Some(number) => serde_json::json!(number as i64 + 1000),
        None => serde_json::json!("not-your-id"),
    }
}

fn parse_error() -> Answer {
    Answer::Error(super::cluster::Failure { code: PARSE_ERROR, message: "parse error".to_string() })
}

fn json_reply(code: StatusCode, body: SimBody) -> Reply {
    let mut reply = Response::new(body);
    *reply.status_mut() = code;
    reply.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    reply
}

fn plain(code: StatusCode, text: &'static str) -> Reply {
    let mut reply = Response::new(SimBody::full(vec![Bytes::from_static(text.as_bytes())]));
    *reply.status_mut() = code;
    reply.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(TEXT));
    reply.headers_mut().insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    reply
}

fn status(code: StatusCode) -> Reply {
    let mut reply = Response::new(SimBody::empty());
    *reply.status_mut() = code;
    reply
}
