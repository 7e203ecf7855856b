//! Hot reload: a changed handler or manifest is rebuilt, loaded and swapped in while every
//! connection stays open.
//!
//! A change is built and compiled off the event path, validated by `Runtime::load` (link,
//! type-check, one trial instantiation), then published by replacing the route table whole.
//! Events already running keep the `Arc<Handler>` they started with; the next event gets the
//! new one. A change that fails leaves the last good version serving.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::app::{self, Route};
use crate::gateway::{Gateway, RouteTable};
use crate::http_router::HttpRouter;
use crate::routing::Selector;
use crate::{builder, loader, manifest};

/// Editors and builds write a file several times; a change is acted on once it has been
/// quiet this long.
const DEBOUNCE: Duration = Duration::from_millis(150);

/// Starts watching the manifest and the route directories. The returned watcher must be kept
/// alive.
pub fn watch(gw: Arc<Gateway>, manifest_path: PathBuf, routes: Vec<Route>) -> Result<notify::RecommendedWatcher> {
    let manifest_path = std::path::absolute(&manifest_path)?;
    let root = app::root_of(&manifest_path);
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
    let routes = app_routes(&routes, &root);
    let reloader = Reloader { gw, manifest_path, root, routes };
    tokio::spawn(reloader.run(rx));
    Ok(watcher)
}

/// Route directories made absolute, to match the watcher's paths.
fn app_routes(routes: &[Route], root: &Path) -> Vec<Route> {
    routes.iter().map(|r| Route { dir: root.join(&r.rel), ..r.clone() }).collect()
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
    gw: Arc<Gateway>,
    manifest_path: PathBuf,
    root: PathBuf,
    routes: Vec<Route>,
}

impl Reloader {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<PathBuf>) {
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

    async fn apply(&mut self, changed: BTreeSet<PathBuf>) {
        if changed.contains(&self.manifest_path) {
            self.reload_manifest().await;
        }
        // One reload per route, however many of its files changed.
        let mut touched: Vec<(String, PathBuf)> = Vec::new();
        // Files that still exist first: after a write-then-rename, name the file, not the temporary.
        let (present, gone): (Vec<&PathBuf>, Vec<&PathBuf>) = changed.iter().partition(|p| p.exists());
        for path in present.into_iter().chain(gone) {
            if let Some(route) = self.routes.iter().find(|r| path.starts_with(&r.dir))
                && !touched.iter().any(|(k, _)| *k == route.key)
            {
                touched.push((route.key.clone(), path.clone()));
            }
        }
        for (key, cause) in touched {
            self.reload_route(&key, &cause).await;
        }
    }

    async fn reload_route(&mut self, key: &str, cause: &Path) {
        let Some(route) = self.routes.iter_mut().find(|r| r.key == key) else { return };
        let what = cause.strip_prefix(&self.root).unwrap_or(cause).display().to_string();
        let started = Instant::now();
        route.source = match app::detect(&route.dir) {
            Ok(source) => source,
            Err(e) => return tracing::error!("reload {key} ({what} changed): {e:#}; keeping the previous version"),
        };
        let world = route.world;
        let Some(source) = route.source.clone() else {
            self.publish(|t| {
                t.handlers.remove(key);
                t.broken.remove(key);
            });
            return tracing::info!("reload {key}: handler removed ({what})");
        };
        let component = match builder::build(&source, world).await {
            Ok(c) => c,
            Err(e) => {
                return tracing::error!("reload {key} ({what} changed) failed: {e:#}; keeping the previous version");
            }
        };
        let built = started.elapsed();
        let current = self.gw.routes.load().handlers.get(key).map(|h| h.hash.clone());
        if current.is_some() && loader::file_hash(&component).ok() == current {
            return tracing::debug!("reload {key}: {what} changed but the component did not");
        }
        let handler = match self.gw.runtime.load(key, &component, world).await {
            Ok(h) => Arc::new(h),
            Err(e) => {
                return tracing::error!("reload {key} ({what} changed) failed: {e:#}; keeping the previous version");
            }
        };
        self.publish(|t| {
            t.handlers.insert(key.to_string(), handler.clone());
            t.broken.remove(key);
        });
        tracing::info!(
            "reloaded {key} ({what} changed): build {} ms, load + swap {} ms",
            built.as_millis(),
            (started.elapsed() - built).as_millis()
        );
    }

    async fn reload_manifest(&mut self) {
        let started = Instant::now();
        let file = self.manifest_path.display().to_string();
        let manifest = match manifest::load(&self.manifest_path) {
            Ok(m) => m,
            Err(e) => return tracing::error!("reload {file} failed: {e:#}; keeping the previous version"),
        };
        let selector = match Selector::parse(&manifest.settings.route_selection) {
            Ok(s) => s,
            Err(e) => return tracing::error!("reload {file} failed: {e}; keeping the previous version"),
        };
        let routes = match app::routes(&manifest, &self.root) {
            Ok(r) => app_routes(&r, &self.root),
            Err(e) => return tracing::error!("reload {file} failed: {e:#}; keeping the previous version"),
        };
        let current = self.gw.routes.load_full();
        let keep: HashMap<_, _> = current.handlers.iter().map(|(k, h)| (k.clone(), h.clone())).collect();
        let (table, _failures) =
            loader::table(&self.gw.runtime, &routes, selector, HttpRouter::new(&manifest.http), &keep).await;
        let before: BTreeSet<&String> = self.routes.iter().map(|r| &r.key).collect();
        let after: BTreeSet<&String> = routes.iter().map(|r| &r.key).collect();
        let added: Vec<&str> = after.difference(&before).map(|k| k.as_str()).collect();
        let removed: Vec<&str> = before.difference(&after).map(|k| k.as_str()).collect();
        self.gw.routes.store(Arc::new(table));
        tracing::info!(
            "reloaded {file}: routes added [{}], removed [{}], route selection {} ({} ms)",
            added.join(", "),
            removed.join(", "),
            manifest.settings.route_selection,
            started.elapsed().as_millis()
        );
        self.routes = routes;
    }

    /// Publishes a modified copy of the route table.
    fn publish(&self, change: impl FnOnce(&mut RouteTable)) {
        let mut table = RouteTable::clone(&self.gw.routes.load());
        change(&mut table);
        self.gw.routes.store(Arc::new(table));
    }
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
