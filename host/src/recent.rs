//! The last handler errors and the last reloads, for the live page (`/_wsh`). Written only when
//! one happens, so the event path pays nothing unless a handler fails.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;

use crate::ids::now_ms;

/// Kept of each: enough to see a pattern, small enough to send every second.
const KEPT: usize = 20;

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Failure {
    pub at_ms: u64,
    pub route: String,
    pub connection: String,
    pub request: String,
    pub error: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Reload {
    pub at_ms: u64,
    /// The route, or the manifest.
    pub what: String,
    pub ok: bool,
    pub detail: String,
}

static FAILURES: Mutex<VecDeque<Failure>> = Mutex::new(VecDeque::new());
static RELOADS: Mutex<VecDeque<Reload>> = Mutex::new(VecDeque::new());

fn push<T>(list: &Mutex<VecDeque<T>>, item: T) {
    let mut list = list.lock().unwrap_or_else(|e| e.into_inner());
    if list.len() == KEPT {
        list.pop_front();
    }
    list.push_back(item);
}

/// Newest first.
fn newest<T: Clone>(list: &Mutex<VecDeque<T>>) -> Vec<T> {
    list.lock().unwrap_or_else(|e| e.into_inner()).iter().rev().cloned().collect()
}

pub(crate) fn failure(route: &str, connection: &str, request: &str, error: String) {
    let at_ms = now_ms();
    push(
        &FAILURES,
        Failure { at_ms, route: route.into(), connection: connection.into(), request: request.into(), error },
    );
}

pub(crate) fn reload(what: &str, ok: bool, detail: String) {
    push(&RELOADS, Reload { at_ms: now_ms(), what: what.into(), ok, detail });
}

pub(crate) fn failures() -> Vec<Failure> {
    newest(&FAILURES)
}

pub(crate) fn reloads() -> Vec<Reload> {
    newest(&RELOADS)
}
