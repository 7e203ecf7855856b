//! A handler's stdout and stderr, as lines in wsh's log prefixed with the route that wrote
//! them, so that concurrent handlers' output can be told apart.

use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

#[derive(Clone)]
pub struct GuestLog {
    prefix: Arc<str>,
}

impl GuestLog {
    pub fn new(route: &str) -> GuestLog {
        GuestLog { prefix: format!("[{route}] ").into() }
    }

    pub fn stdout(&self) -> GuestStream {
        GuestStream { prefix: self.prefix.clone(), stderr: false }
    }

    pub fn stderr(&self) -> GuestStream {
        GuestStream { prefix: self.prefix.clone(), stderr: true }
    }
}

pub struct GuestStream {
    prefix: Arc<str>,
    stderr: bool,
}

impl IsTerminal for GuestStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl GuestStream {
    fn writer(&self) -> LineWriter {
        LineWriter { prefix: self.prefix.clone(), stderr: self.stderr, pending: Vec::new() }
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
    prefix: Arc<str>,
    stderr: bool,
    pending: Vec<u8>,
}

/// Bounds what one unterminated line can hold in memory.
const MAX_LINE: usize = 16 * 1024;

impl LineWriter {
    fn emit(&self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        // Whole lines under one lock: output of concurrent handlers never interleaves mid-line.
        if self.stderr {
            let _ = writeln!(std::io::stderr().lock(), "{}{}", self.prefix, text.trim_end_matches('\r'));
        } else {
            let _ = writeln!(std::io::stdout().lock(), "{}{}", self.prefix, text.trim_end_matches('\r'));
        }
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
