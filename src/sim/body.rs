//! Response bodies: a few shared chunks (a cached 50 MB text is sent
//! without a copy), a body that breaks off mid-way, and a huge generated
//! one that is never held in memory.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

/// Bodies above this size go out chunked, as Go's server sends them.
const CHUNKING_THRESHOLD: usize = 2048;
const FILLER_CHUNK: usize = 64 * 1024;
const BREAK_PAUSE: Duration = Duration::from_millis(100);

/// The body of one simulator response.
pub struct SimBody {
    chunks: VecDeque<Bytes>,
    size: Option<u64>,
    then: Then,
}

/// What follows the chunks.
enum Then {
    End,
    /// Fail the body, so the connection is cut; after a pause, so the
    /// headers and the first part have left the server.
    Break(Option<Pin<Box<Sleep>>>),
    /// `remaining` filler bytes, then the closing chunk.
    Filler {
        remaining: u64,
        closing: Option<Bytes>,
    },
}

impl SimBody {
    pub fn empty() -> SimBody {
        SimBody::full(Vec::new())
    }

    /// A complete body; its length is declared unless it is large.
    pub fn full(chunks: Vec<Bytes>) -> SimBody {
        let total: usize = chunks.iter().map(Bytes::len).sum();
        let size = (total <= CHUNKING_THRESHOLD).then_some(total as u64);
        SimBody { chunks: chunks.into(), size, then: Then::End }
    }

    /// A complete body with its length always declared.
    pub fn sized(chunks: Vec<Bytes>) -> SimBody {
        let total: usize = chunks.iter().map(Bytes::len).sum();
        SimBody { chunks: chunks.into(), size: Some(total as u64), then: Then::End }
    }

    /// Declares the whole length but sends only the first half, then cuts.
    pub fn broken(chunks: Vec<Bytes>) -> SimBody {
        let whole: Vec<u8> = chunks.iter().flat_map(|chunk| chunk.iter().copied()).collect();
        let half = Bytes::from(whole[..whole.len() / 2].to_vec());
        SimBody {
            chunks: VecDeque::from([half]),
            size: Some(whole.len() as u64),
            then: Then::Break(None),
        }
    }

    /// About `total` bytes: `opening`, filler, `closing`, streamed.
    pub fn huge(opening: Bytes, closing: Bytes, total: u64) -> SimBody {
        let fixed = (opening.len() + closing.len()) as u64;
        SimBody {
            chunks: VecDeque::from([opening]),
            size: None,
            then: Then::Filler { remaining: total.saturating_sub(fixed), closing: Some(closing) },
        }
    }
}

impl Body for SimBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if let Some(chunk) = self.chunks.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        match &mut self.then {
            Then::End => Poll::Ready(None),
            Then::Break(pause) => {
                let pause = pause.get_or_insert_with(|| Box::pin(tokio::time::sleep(BREAK_PAUSE)));
                if pause.as_mut().poll(context).is_pending() {
                    return Poll::Pending;
                }
                Poll::Ready(Some(Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "fault: body cut",
                ))))
            }
            Then::Filler { remaining, closing } => {
                if *remaining > 0 {
                    let length = (*remaining).min(FILLER_CHUNK as u64) as usize;
                    *remaining -= length as u64;
                    return Poll::Ready(Some(Ok(Frame::data(filler(length)))));
                }
                Poll::Ready(closing.take().map(|chunk| Ok(Frame::data(chunk))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty() && matches!(self.then, Then::End)
    }

    fn size_hint(&self) -> SizeHint {
        match self.size {
            Some(size) => SizeHint::with_exact(size),
            None => SizeHint::default(),
        }
    }
}

fn filler(length: usize) -> Bytes {
    static BLOCK: [u8; FILLER_CHUNK] = [b'x'; FILLER_CHUNK];
    Bytes::from_static(&BLOCK[..length])
}
