//! A handler's stdout and stderr, as lines in wsh's log prefixed with the route and the request
//! that wrote them (`<request id> [route] text`), so that concurrent handlers' output can be told
//! apart and matched with wsh's line for the event. With `--log-format json`, each line is a
//! JSON event of wsh's log instead, with `route`, `request` and `stream` fields.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

/// Whether handlers' lines go through `tracing` (for JSON logs) rather than straight out.
static STRUCTURED: AtomicBool = AtomicBool::new(false);

/// Sends every handler's output through wsh's own log from now on: a JSON log stays all JSON.
pub fn structured(on: bool) {
    STRUCTURED.store(on, Ordering::Relaxed);
}

#[derive(Clone)]
pub struct GuestLog {
    route: Arc<str>,
    prefix: Arc<str>,
}

/// The request a store's event is for, once it is known: a store may be made ahead of its
/// event, and its streams with it.
#[derive(Clone, Default)]
pub struct RequestSlot(Arc<OnceLock<Box<str>>>);

impl RequestSlot {
    pub fn set(&self, request: &str) {
        let _ = self.0.set(request.into());
    }
}

impl GuestLog {
    pub fn new(route: &str) -> GuestLog {
        GuestLog { route: route.into(), prefix: format!("[{route}] ").into() }
    }

    /// One store's stdout and stderr, whose lines carry the request `slot` is given.
    pub fn streams(&self, slot: &RequestSlot) -> (GuestStream, GuestStream) {
        let stream = |stderr| GuestStream { log: self.clone(), request: slot.clone(), stderr };
        (stream(false), stream(true))
    }
}

pub struct GuestStream {
    log: GuestLog,
    request: RequestSlot,
    stderr: bool,
}

impl IsTerminal for GuestStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl GuestStream {
    fn writer(&self) -> LineWriter {
        LineWriter { log: self.log.clone(), request: self.request.clone(), stderr: self.stderr, pending: Vec::new() }
    }
}

impl StdoutStream for GuestStream {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.writer())
    }

    /// Writes synchronously: the default adapter spawns a task per stream, which costs a
    /// handler that logs more than its own work.
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.writer())
    }
}

/// Buffers a partial line until its newline (or until the stream is dropped).
struct LineWriter {
    log: GuestLog,
    request: RequestSlot,
    stderr: bool,
    pending: Vec<u8>,
}

/// Bounds what one unterminated line can hold in memory.
const MAX_LINE: usize = 16 * 1024;

impl LineWriter {
    fn emit(&self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches('\r');
        let request = self.request.0.get().map_or("-", |r| r);
        if STRUCTURED.load(Ordering::Relaxed) {
            let (route, stream) = (&*self.log.route, if self.stderr { "stderr" } else { "stdout" });
            return tracing::info!(route, request, stream, "{text}");
        }
        let prefix = &self.log.prefix;
        crate::log_output::line(self.stderr, format_args!("{request} {prefix}{text}"));
    }
}

impl LineWriter {
    fn push(&mut self, buf: &[u8]) {
        self.pending.extend_from_slice(buf);
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            self.emit(&line[..line.len() - 1]);
        }
        if self.pending.len() > MAX_LINE {
            let line = std::mem::take(&mut self.pending);
            self.emit(&line);
        }
    }
}

impl OutputStream for LineWriter {
    fn write(&mut self, bytes: bytes::Bytes) -> Result<(), StreamError> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(MAX_LINE)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for LineWriter {
    async fn ready(&mut self) {}
}

impl AsyncWrite for LineWriter {
    fn poll_write(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            self.emit(&line);
        }
    }
}
