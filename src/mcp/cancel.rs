//! Cancellation: `notifications/cancelled` for a request that timed out or
//! whose future was dropped (Ctrl-C), sent in the background.

use std::sync::Arc;

use serde::Serialize;
use tracing::debug;

use crate::mcp::client::{encode, lock, read, Inner, COURTESY_TIMEOUT};

/// Sends `notifications/cancelled` for a request whose future is dropped
/// before it finished.
pub(super) struct CancelOnDrop {
    pub(super) inner: Option<Arc<Inner>>,
    pub(super) id: u64,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            cancel(inner, self.id, "cancelled by the user".to_string());
        }
    }
}

/// Tells the server, best effort and in the background, to stop working
/// on request `id`.
pub(super) fn cancel(inner: Arc<Inner>, id: u64, reason: String) {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Params<'a> {
        request_id: u64,
        reason: &'a str,
    }

    let runtime = inner.runtime.clone();
    let tracked = inner.clone();
    let task = runtime.spawn(async move {
        let params = Params { request_id: id, reason: &reason };
        let Ok(body) = encode(None, "notifications/cancelled", Some(&params)) else {
            return;
        };
        let headers = read(&inner.session).headers.clone();
        let send = async {
            let response = inner.transport.post(body, &headers).await?;
            inner.transport.accepted(response).await
        };
        match tokio::time::timeout(COURTESY_TIMEOUT, send).await {
            Ok(Ok(())) => debug!(request = id, %reason, "request cancelled"),
            Ok(Err(error)) => debug!(request = id, %error, "cancellation not delivered"),
            Err(_) => debug!(request = id, "cancellation timed out"),
        }
    });
    let mut pending = lock(&tracked.cancellations);
    pending.retain(|task| !task.is_finished());
    pending.push(task);
}
