//! Long steps (a handler's build, a toolchain's install) as a spinner on a terminal, and as a
//! plain line when it starts and another when it ends otherwise (logs, CI), so that a 20 s
//! build never looks like a hang.

use std::io::{IsTerminal, Write};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Concurrent steps (routes build two at a time) each get a line of one display.
static BARS: LazyLock<Option<MultiProgress>> = LazyLock::new(|| {
    std::io::stderr().is_terminal().then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
});

/// stderr for the log: on a terminal, each write sets the spinners aside and redraws them
/// after, so that a log line and a spinner never share a line.
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match BARS.as_ref() {
            Some(bars) => bars.suspend(|| std::io::stderr().write(buf)),
            None => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// A step under way; say how it ended with [`Step::done`] or [`Step::failed`].
pub(crate) struct Step {
    what: String,
    started: Instant,
    bar: Option<ProgressBar>,
}

impl Step {
    pub(crate) fn start(what: impl Into<String>) -> Step {
        let what = what.into();
        let bar = BARS.as_ref().map(|bars| {
            let bar = bars.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg}… {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_message(what.clone());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        if bar.is_none() {
            tracing::info!("{what}…");
        }
        Step { what, started: Instant::now(), bar }
    }

    pub(crate) fn done(self) {
        self.end("done in");
    }

    /// The caller reports the error itself.
    pub(crate) fn failed(self) {
        self.end("failed after");
    }

    fn end(mut self, how: &str) {
        let line = format!("{}… {how} {:.1} s", self.what, self.started.elapsed().as_secs_f64());
        match (self.bar.take(), BARS.as_ref()) {
            (Some(bar), Some(bars)) => {
                bar.finish_and_clear();
                bars.remove(&bar);
                // Through the log's queue, so that it keeps its place among the log's lines (the
                // queue's writer sets the spinners aside). Not `bars.println`: once the last bar
                // is gone, it leaves its line unended.
                crate::log_output::line(true, format_args!("{line}"));
            }
            _ => tracing::info!("{line}"),
        }
    }
}

impl Drop for Step {
    /// A step abandoned mid-way (its build superseded by a newer edit) leaves no spinner behind.
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
