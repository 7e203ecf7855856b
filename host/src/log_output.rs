//! Where wsh's log lines and handlers' prints are written: stderr and stdout, by a thread of
//! their own. A line is written on the thread that serves sockets for every event; a slow reader
//! of stderr (a full pipe, a paused terminal) must not stall those threads, so the line is
//! queued and the writer thread blocks instead. The queue holds 128k lines; past that the
//! writers wait rather than drop a line.

use std::io::Write;
use std::sync::OnceLock;

use tracing_appender::non_blocking::{NonBlocking, NonBlockingBuilder, WorkerGuard};

struct Outputs {
    stdout: NonBlocking,
    stderr: NonBlocking,
}

static OUTPUTS: OnceLock<Outputs> = OnceLock::new();

/// Starts the writer threads; what it returns flushes them when dropped (keep it until exit).
/// `stderr` is where stderr's lines go (the progress bars' writer on a terminal).
pub fn start(stderr: impl Write + Send + 'static) -> (NonBlocking, [WorkerGuard; 2]) {
    let builder = || NonBlockingBuilder::default().lossy(false).thread_name("wsh-log");
    let (stdout, out_guard) = builder().finish(std::io::stdout());
    let (err, err_guard) = builder().finish(stderr);
    let _ = OUTPUTS.set(Outputs { stdout, stderr: err.clone() });
    (err, [out_guard, err_guard])
}

/// Writes one whole line to stdout or stderr; straight out when the writers were not started
/// (unit tests, library use).
pub(crate) fn line(stderr: bool, text: std::fmt::Arguments<'_>) {
    match OUTPUTS.get() {
        Some(o) => {
            // One write per line: lines of concurrent handlers never interleave.
            let line = format!("{text}\n");
            let mut w = if stderr { o.stderr.clone() } else { o.stdout.clone() };
            let _ = w.write_all(line.as_bytes());
        }
        None if stderr => {
            let _ = writeln!(std::io::stderr().lock(), "{text}");
        }
        None => {
            let _ = writeln!(std::io::stdout().lock(), "{text}");
        }
    }
}
