//! The threads handlers run on, apart from the threads that serve sockets.
//!
//! A handler is the user's code: it may loop until its deadline, or call a host function that
//! blocks (a storage write). On the I/O threads either would stall reading, writing, pings and
//! closes for every connection. Here each worker thread runs its own single-threaded executor;
//! a job goes to the worker with the fewest jobs in hand, so a runaway handler shares its worker
//! with as few others as possible, and a handler that runs long yields at every epoch tick to
//! the others on its worker: a fair share of the worker's time each.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};
use tokio::sync::mpsc;

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

pub(crate) struct Executor {
    workers: Vec<Worker>,
    /// Where the search for the least busy worker starts: turns among equally busy ones.
    next: AtomicUsize,
}

struct Worker {
    jobs: mpsc::UnboundedSender<Job>,
    /// Jobs sent to this worker and not finished yet.
    load: Arc<AtomicUsize>,
}

impl Executor {
    pub fn new(threads: usize) -> Result<Executor> {
        let workers = (0..threads.max(1)).map(worker).collect::<Result<_>>()?;
        Ok(Executor { workers, next: AtomicUsize::new(0) })
    }

    pub fn threads(&self) -> usize {
        self.workers.len()
    }

    /// Runs `job` on the least busy worker.
    pub fn spawn(&self, job: impl Future<Output = ()> + Send + 'static) {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.workers.len();
        let worker = (0..n)
            .map(|i| &self.workers[(start + i) % n])
            .min_by_key(|w| w.load.load(Ordering::Relaxed))
            .expect("an executor has a worker");
        worker.load.fetch_add(1, Ordering::Relaxed);
        let load = worker.load.clone();
        let job = Box::pin(async move {
            job.await;
            load.fetch_sub(1, Ordering::Relaxed);
        });
        // A worker ends only with the process; a send cannot fail before.
        let _ = worker.jobs.send(job);
    }

    /// Runs `job` on a worker and waits for its result.
    pub async fn run<T: Send + 'static>(&self, job: impl Future<Output = T> + Send + 'static) -> T {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.spawn(async move {
            let _ = tx.send(job.await);
        });
        rx.await.expect("a handler worker ended while running a job")
    }
}

fn worker(index: usize) -> Result<Worker> {
    let (jobs, mut rx) = mpsc::unbounded_channel::<Job>();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        // A runaway handler is always ready to run again, one 1 ms slice at a time; by default
        // a job sent from another thread would wait 31 slices for the remote queue's turn, and
        // a timer 61. Look at both every other slice: a new job waits for at most ~2 ms.
        .global_queue_interval(2)
        .event_interval(2)
        .build()
        .context("starting a handler worker's executor")?;
    std::thread::Builder::new()
        .name(format!("wsh-handler-{index}"))
        .spawn(move || {
            runtime.block_on(async move {
                while let Some(job) = rx.recv().await {
                    tokio::spawn(job);
                }
            })
        })
        .context("starting a handler worker thread")?;
    Ok(Worker { jobs, load: Arc::default() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thread_name() -> String {
        std::thread::current().name().unwrap_or_default().to_string()
    }

    #[tokio::test]
    async fn jobs_go_to_the_least_busy_worker() {
        let executor = Executor::new(2).unwrap();
        let (held_tx, held) = tokio::sync::oneshot::channel();
        let (release, hold) = tokio::sync::oneshot::channel::<()>();
        executor.spawn(async move {
            let _ = held_tx.send(thread_name());
            let _ = hold.await;
        });
        let held = held.await.unwrap();
        for _ in 0..8 {
            assert_ne!(executor.run(async { thread_name() }).await, held, "a job went to the busy worker");
            // The finished job's worker counts it done just after handing its result over.
            while executor.workers.iter().map(|w| w.load.load(Ordering::Relaxed)).sum::<usize>() > 1 {
                tokio::task::yield_now().await;
            }
        }
        let _ = release.send(());
    }
}
