//! Where wsh's log lines and handlers' prints are written: stderr and stdout, each by a thread of
//! its own. A line is written on the thread that serves sockets for every event; a slow reader
//! of stderr (a full pipe, a paused terminal) must not stall those threads, so the line is
//! queued and the writer thread blocks instead.
//!
//! Lines are written in batches: the writer wakes when the first line of a batch comes, lets
//! more gather for a few milliseconds, and writes them with one call. A queue that woke its
//! writer for every line cost each event a wakeup of another thread (a futex call here, an
//! interrupt on the other core, and the writer spinning before it slept again): more than the
//! call of a small handler.
//!
//! Nothing is dropped: past 8 MiB queued, whoever writes a line waits for the writer.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a batch gathers after its first line: lines reach the terminal this late at most.
const LINGER: Duration = Duration::from_millis(10);

/// Queued bytes past which the writer is woken at once, without waiting out `LINGER`.
const EAGER: usize = 256 << 10;

/// Queued bytes past which writers wait for the writer thread.
const FULL: usize = 8 << 20;

struct Outputs {
    stdout: Queue,
    stderr: Queue,
}

static OUTPUTS: OnceLock<Outputs> = OnceLock::new();

/// A writer of whole lines into one output's queue.
#[derive(Clone)]
pub struct Queue(Arc<Shared>);

struct Shared {
    pending: Mutex<Pending>,
    /// The writer waits here for lines.
    lines: Condvar,
    /// Line writers wait here for room.
    room: Condvar,
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    /// Bytes ever queued, and ever written (or given up on): what `flush` compares.
    queued: u64,
    written: u64,
    /// The writer is waiting for a first line: the next one must wake it.
    idle: bool,
    /// Someone waits in `flush`: write without lingering.
    urgent: bool,
    closed: bool,
}

/// Flushes its output and ends the writer thread when dropped.
pub struct Guard {
    queue: Queue,
    writer: Option<JoinHandle<()>>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.queue.0.lock().closed = true;
        self.queue.0.lines.notify_one();
        self.queue.0.room.notify_all();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Queue {
    /// A queue and the thread that writes it to `out`.
    fn start(name: &str, mut out: impl Write + Send + 'static) -> std::io::Result<(Queue, Guard)> {
        let shared = Arc::new(Shared { pending: Mutex::default(), lines: Condvar::new(), room: Condvar::new() });
        let queue = Queue(shared.clone());
        let writer = std::thread::Builder::new().name(name.to_string()).spawn(move || {
            loop {
                let mut pending = shared.lock();
                while pending.bytes.is_empty() && !pending.closed {
                    pending.idle = true;
                    pending = shared.lines.wait(pending).unwrap_or_else(|e| e.into_inner());
                }
                pending.idle = false;
                if !pending.closed && !pending.urgent && pending.bytes.len() < EAGER {
                    pending = shared.lines.wait_timeout(pending, LINGER).unwrap_or_else(|e| e.into_inner()).0;
                }
                pending.urgent = false;
                let batch = std::mem::take(&mut pending.bytes);
                let closed = pending.closed;
                drop(pending);
                shared.room.notify_all();
                if batch.is_empty() && closed {
                    return;
                }
                // Nowhere left to report a failed write to: the log is the report.
                let _ = out.write_all(&batch);
                let _ = out.flush();
                shared.lock().written += batch.len() as u64;
                shared.room.notify_all();
            }
        })?;
        Ok((queue.clone(), Guard { queue, writer: Some(writer) }))
    }

    /// Queues `line` whole: lines of concurrent writers never interleave.
    fn push(&self, line: &[u8]) {
        let shared = &self.0;
        let mut pending = shared.lock();
        while pending.bytes.len() >= FULL && !pending.closed {
            pending = shared.room.wait(pending).unwrap_or_else(|e| e.into_inner());
        }
        pending.bytes.extend_from_slice(line);
        pending.queued += line.len() as u64;
        let wake = std::mem::take(&mut pending.idle) || pending.bytes.len() >= EAGER;
        drop(pending);
        if wake {
            shared.lines.notify_one();
        }
    }
}

impl Queue {
    /// Returns once every line queued before the call is written.
    fn flush_written(&self) {
        let shared = &self.0;
        let mut pending = shared.lock();
        let target = pending.queued;
        if pending.written >= target || pending.closed {
            return;
        }
        pending.urgent = true;
        shared.lines.notify_one();
        while pending.written < target && !pending.closed {
            pending = shared.room.wait(pending).unwrap_or_else(|e| e.into_inner());
        }
    }
}

impl Write for Queue {
    /// `tracing`'s formatter writes each event with one call: one call is queued whole.
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.push(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Queue {
    type Writer = Queue;

    fn make_writer(&'a self) -> Queue {
        self.clone()
    }
}

/// Starts the writer threads; what it returns flushes them when dropped (keep it until exit).
/// `stderr` is where stderr's lines go (the progress bars' writer on a terminal).
pub fn start(stderr: impl Write + Send + 'static) -> std::io::Result<(Queue, [Guard; 2])> {
    let (stdout, out_guard) = Queue::start("wsh-stdout", std::io::stdout())?;
    let (err, err_guard) = Queue::start("wsh-log", stderr)?;
    let _ = OUTPUTS.set(Outputs { stdout, stderr: err.clone() });
    Ok((err, [out_guard, err_guard]))
}

/// Returns once every line queued so far is written: before output that does not go through
/// the queues (the startup banner on stdout, a fatal error), so that it comes after them.
pub fn flush() {
    if let Some(o) = OUTPUTS.get() {
        o.stderr.flush_written();
        o.stdout.flush_written();
    }
}

/// Writes one whole line to stdout or stderr; straight out when the writers were not started
/// (unit tests, library use).
pub(crate) fn line(stderr: bool, text: std::fmt::Arguments<'_>) {
    match OUTPUTS.get() {
        Some(o) => {
            let line = format!("{text}\n");
            if stderr { &o.stderr } else { &o.stdout }.push(line.as_bytes());
        }
        None if stderr => {
            let _ = writeln!(std::io::stderr().lock(), "{text}");
        }
        None => {
            let _ = writeln!(std::io::stdout().lock(), "{text}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output that keeps what it is given.
    #[derive(Clone, Default)]
    struct Kept(Arc<Mutex<Vec<u8>>>);

    impl Write for Kept {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_is_written_whole_and_in_order_by_the_time_the_guard_drops() {
        let kept = Kept::default();
        let (queue, guard) = Queue::start("test-log", kept.clone()).unwrap();
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let queue = queue.clone();
                std::thread::spawn(move || {
                    for i in 0..5_000 {
                        queue.push(format!("writer {w} line {i}\n").as_bytes());
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        drop(guard);
        let text = String::from_utf8(kept.0.lock().unwrap().clone()).unwrap();
        let mut next = [0; 4];
        for line in text.lines() {
            let words: Vec<_> = line.split(' ').collect();
            let (w, i): (usize, usize) = (words[1].parse().unwrap(), words[3].parse().unwrap());
            assert_eq!(i, next[w], "writer {w}'s lines out of order or torn: {line}");
            next[w] += 1;
        }
        assert_eq!(next, [5_000; 4]);
    }

    #[test]
    fn flush_returns_once_earlier_lines_are_written() {
        let kept = Kept::default();
        let (queue, _guard) = Queue::start("test-log", kept.clone()).unwrap();
        for round in 0..50 {
            queue.push(format!("line {round}\n").as_bytes());
            queue.flush_written();
            assert!(String::from_utf8_lossy(&kept.0.lock().unwrap()).ends_with(&format!("line {round}\n")));
        }
    }
}
