//! Hot reload: a changed handler or manifest is rebuilt, loaded and swapped in while every
//! connection stays open.
//!
//! A change is built and compiled off the event path, validated by `Runtime::load` (link,
//! type-check, one trial instantiation), then published by replacing the app whole: a manifest
//! change swaps routes, settings, the authorizer and the static folder together. Events already
//! running keep the snapshot they started with; the next one gets the new app. A change that
//! fails leaves the last good version serving.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::snapshot::{App, LiveApp};
use super::{build, layout, load};
use crate::recent;
use crate::runtime::Runtime;
use crate::stats::{Stats, stats};

/// Editors and builds write a file several times; a change is acted on once it has been
/// quiet this long.
const DEBOUNCE: Duration = Duration::from_millis(150);

/// Settings whose new value reaches only connections opened after the reload: an open
/// connection's WebSocket reader was configured with them at its handshake. Lowering them
/// applies to every connection at once (the gateway checks each message against the app in
/// force); raising them is what an open connection cannot follow.
const FIXED_AT_HANDSHAKE: &[&str] = &["max-message-kb", "max-frame-kb"];

/// Starts watching the manifest and the route directories of the app in `live`. The returned
/// watcher must be kept alive.
pub fn watch(live: Arc<LiveApp>, runtime: Arc<Runtime>) -> Result<notify::RecommendedWatcher> {
    let app = live.get();
    let root = app.root.clone();
    let (tx, rx) = mpsc::unbounded_channel();
    let app_root = root.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // Runs on notify's thread: filter, hand the paths over and return.
        let Ok(event) = event else { return };
        if matches!(event.kind, EventKind::Access(_)) {
            return;
        }
        for path in event.paths {
            // Judged relative to the app's root: the app itself may well live under a `target/`.
            if !path.strip_prefix(&app_root).is_ok_and(ignored) {
                let _ = tx.send(path);
            }
        }
    })
    .context("starting the file watcher")?;
    // Directories, not files: a write-then-rename replaces the file a file watch would follow.
    watcher.watch(&root, RecursiveMode::NonRecursive).with_context(|| format!("watching {}", root.display()))?;
    let src = root.join("src");
    if src.is_dir() {
        watcher.watch(&src, RecursiveMode::Recursive).with_context(|| format!("watching {}", src.display()))?;
    }
    tokio::spawn(Reloader { live, runtime }.run(rx));
    Ok(watcher)
}

/// Build output, dependencies and editor droppings (`path` relative to the app root): never a
/// reason to reload.
fn ignored(path: &Path) -> bool {
    let skip_dir = |c: &std::path::Component| {
        matches!(c.as_os_str().to_str(), Some("target" | "node_modules" | ".git" | ".wsh" | ".venv" | "__pycache__"))
    };
    if path.components().any(|c| skip_dir(&c)) {
        return true;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    name.starts_with(".#") || name.ends_with('~') || name.ends_with(".swp") || name.ends_with(".swx")
}

struct Reloader {
    live: Arc<LiveApp>,
    runtime: Arc<Runtime>,
}

impl Reloader {
    async fn run(self, mut rx: mpsc::UnboundedReceiver<PathBuf>) {
        while let Some(first) = rx.recv().await {
            let mut changed = BTreeSet::from([first]);
            loop {
                match tokio::time::timeout(DEBOUNCE, rx.recv()).await {
                    Ok(Some(path)) => {
                        changed.insert(path);
                    }
                    Ok(None) => return,
                    Err(_) => break,
                }
            }
            self.apply(changed).await;
        }
    }

    async fn apply(&self, changed: BTreeSet<PathBuf>) {
        if changed.contains(&self.live.get().manifest_path) {
            self.reload_manifest().await;
        }
        // One reload per route, however many of its files changed.
        let app = self.live.get();
        let mut touched: Vec<(String, PathBuf)> = Vec::new();
        // Files that still exist first: after a write-then-rename, name the file, not the temporary.
        let (present, gone): (Vec<&PathBuf>, Vec<&PathBuf>) = changed.iter().partition(|p| p.exists());
        let shared = app.root.join("src").join("shared");
        for path in present.into_iter().chain(gone) {
            // Code under src/shared (Architect's) is part of every handler that imports it.
            // A file several routes share (serverless.yml's functions of one file) reloads each.
            let routes: Vec<&layout::Route> = match path.starts_with(&shared) {
                true => app.routes.iter().filter(|r| r.source.is_some()).collect(),
                false => app.routes.iter().filter(|r| path.starts_with(&r.dir)).collect(),
            };
            for route in routes {
                if !touched.iter().any(|(k, _)| *k == route.key) {
                    touched.push((route.key.clone(), path.clone()));
                }
            }
        }
        for (key, cause) in touched {
            self.reload_route(&key, &cause).await;
        }
        // After the whole batch: every route it loaded has marked its entries as used.
        crate::runtime::cache_prune::prune_in_background();
    }

    async fn reload_route(&self, key: &str, cause: &Path) {
        let app = self.live.get();
        let Some(index) = app.routes.iter().position(|r| r.key == key) else { return };
        let what = cause.strip_prefix(&app.root).unwrap_or(cause).display().to_string();
        let started = Instant::now();
        let mut route = app.routes[index].clone();
        // A handler the manifest names stays where it says; one in Architect's layout may have
        // changed language, or gone.
        if !app.manifest.handlers.contains_key(key) {
            route.source = match layout::detect(&route.dir) {
                Ok(source) => source,
                Err(e) => {
                    Stats::add(&stats().reloads_failed);
                    recent::reload(key, false, format!("{what} changed: {e:#}"));
                    return tracing::error!("reload {key} ({what} changed): {e:#}; keeping the previous version");
                }
            };
        }
        let Some(source) = route.source.clone() else {
            self.publish(|app| {
                app.handlers.remove(key);
                app.broken.remove(key);
                app.routes[index] = route;
            });
            Stats::add(&stats().reloads);
            recent::reload(key, true, format!("handler removed ({what})"));
            return tracing::info!("reload {key}: handler removed ({what})");
        };
        let component = match build::build(key, &source, route.world).await {
            Ok(c) => c,
            Err(e) => {
                Stats::add(&stats().reloads_failed);
                recent::reload(key, false, format!("{what} changed: {e:#}"));
                return tracing::error!("reload {key} ({what} changed) failed: {e:#}; keeping the previous version");
            }
        };
        let built = started.elapsed();
        let current = app.handlers.get(key).map(|h| h.hash.clone());
        if current.is_some() && load::file_hash(&component).await.ok() == current {
            return tracing::debug!("reload {key}: {what} changed but the component did not");
        }
        let handler = match self.runtime.load(key, &component, route.world, route.export.as_deref(), &app.limits).await
        {
            Ok(h) => h,
            Err(e) => {
                Stats::add(&stats().reloads_failed);
                recent::reload(key, false, format!("{what} changed: {e:#}"));
                return tracing::error!("reload {key} ({what} changed) failed: {e:#}; keeping the previous version");
            }
        };
        self.publish(|app| {
            app.handlers.insert(key.to_string(), handler.clone());
            app.broken.remove(key);
            if let Some(r) = app.routes.iter_mut().find(|r| r.key == key) {
                *r = route;
            }
        });
        Stats::add(&stats().reloads);
        recent::reload(key, true, format!("{what} changed: built in {} ms", built.as_millis()));
        tracing::info!(
            "reloaded {key} ({what} changed): build {} ms, load + swap {} ms",
            built.as_millis(),
            (started.elapsed() - built).as_millis()
        );
    }

    /// Re-reads the manifest and swaps in the app it describes, settings and all, or nothing.
    async fn reload_manifest(&self) {
        let started = Instant::now();
        let current = self.live.get();
        let file = current.manifest_path.display().to_string();
        let mut next = match load::resolve(&current.manifest_path).await {
            Ok(app) => app,
            Err(e) => {
                Stats::add(&stats().reloads_failed);
                recent::reload(&file, false, format!("{e:#}"));
                return tracing::error!("reload {file} failed: {e:#}; keeping the previous version");
            }
        };
        for warning in &next.manifest.warnings {
            tracing::warn!("{warning}");
        }
        // A handler is kept when its route still finds it in the same place; a route that
        // moved (an authorizer renamed to another directory) is loaded afresh.
        let keep: HashMap<_, _> = next
            .routes
            .iter()
            .filter(|r| current.routes.iter().any(|c| c.key == r.key && c.dir == r.dir && c.world == r.world))
            .filter_map(|r| Some((r.key.clone(), current.handlers.get(&r.key)?.clone())))
            .collect();
        load::handlers(&self.runtime, &mut next, &keep).await;
        let report = report(&current, &next);
        self.live.replace(next);
        Stats::add(&stats().reloads);
        recent::reload(&file, true, report.clone());
        tracing::info!("reloaded {file}: {report} ({} ms)", started.elapsed().as_millis());
        for (key, before, after) in current.settings().changes(self.live.get().settings()) {
            let raised = matches!((before.parse::<u64>(), after.parse::<u64>()), (Ok(b), Ok(a)) if a > b);
            if FIXED_AT_HANDSHAKE.contains(&key) && raised {
                tracing::warn!(
                    "reload: {key} {before} → {after} applies to connections opened from now on; each open connection \
                     keeps {before} until it reconnects (its WebSocket reader was configured at its handshake)"
                );
            }
        }
    }

    /// Publishes a modified copy of the app.
    fn publish(&self, change: impl FnOnce(&mut App)) {
        let mut app = App::clone(&self.live.get());
        change(&mut app);
        self.live.replace(app);
    }
}

/// What a manifest reload changed, on one line.
fn report(before: &App, after: &App) -> String {
    let keys = |app: &App| app.routes.iter().map(|r| r.key.clone()).collect::<BTreeSet<_>>();
    let (old, new) = (keys(before), keys(after));
    let list = |set: Vec<&String>| set.into_iter().map(String::as_str).collect::<Vec<_>>().join(", ");
    let settings: Vec<String> = before
        .settings()
        .changes(after.settings())
        .into_iter()
        .map(|(key, from, to)| format!("{key} {from} → {to}"))
        .collect();
    format!(
        "routes added [{}], removed [{}], route selection {}, settings {}",
        list(new.difference(&old).collect()),
        list(old.difference(&new).collect()),
        after.settings().route_selection,
        if settings.is_empty() { "unchanged".to_string() } else { format!("changed: {}", settings.join(", ")) }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_output_and_editor_files_are_ignored() {
        assert!(ignored(Path::new("src/ws/default/target/wasm32-wasip2/release/x.wasm")));
        assert!(ignored(Path::new("src/ws/default/node_modules/a/index.js")));
        assert!(ignored(Path::new("src/ws/default/.index.mjs.swp")));
        assert!(ignored(Path::new("src/ws/default/index.mjs~")));
        assert!(!ignored(Path::new("src/ws/default/src/lib.rs")));
        assert!(!ignored(Path::new("app.arc")));
    }
}
