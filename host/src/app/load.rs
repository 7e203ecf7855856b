//! From a manifest to a loaded app: resolve it against the filesystem, build each handler's
//! sources, load the components. Shared by startup and hot reload; the filesystem work runs on
//! the blocking pool, never on the threads that serve sockets.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};

use super::build;
use super::layout::Route;
use super::manifest;
use super::snapshot::App;
use crate::runtime::{Handler, Limits, Runtime};

/// Reads the manifest at `path` and resolves its routes, without loading any handler.
pub async fn resolve(path: &Path) -> Result<App> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let manifest = manifest::load(&path)?;
        App::resolve(&path, manifest)
    })
    .await
    .context("resolving the manifest")?
}

/// Builds and loads one route's handler; `None` when the route has none.
pub async fn load_route(runtime: &Arc<Runtime>, route: &Route, limits: &Limits) -> Option<Result<Arc<Handler>>> {
    let source = route.source.as_ref()?;
    Some(
        async {
            let component = build::build(&route.key, source, route.world).await?;
            runtime.load(&route.key, &component, route.world, route.export.as_deref(), limits).await
        }
        .await,
    )
}

/// Fills in `app`'s handlers: those in `keep` are reused as they are; the other routes are
/// built and loaded, concurrently. Returns the number of routes that failed.
pub async fn handlers(runtime: &Arc<Runtime>, app: &mut App, keep: &HashMap<String, Arc<Handler>>) -> usize {
    let todo: Vec<&Route> = app.routes.iter().filter(|r| !keep.contains_key(&r.key)).collect();
    let results = futures_util::future::join_all(todo.iter().map(|r| load_route(runtime, r, &app.limits))).await;
    let mut handlers = HashMap::new();
    let mut broken = HashMap::new();
    for route in &app.routes {
        if let Some(handler) = keep.get(&route.key) {
            handlers.insert(route.key.clone(), handler.clone());
        }
    }
    for (route, result) in todo.into_iter().zip(results) {
        match result {
            Some(Ok(handler)) => {
                handlers.insert(route.key.clone(), handler);
            }
            Some(Err(e)) => {
                tracing::error!("route {}: {e:#}", route.key);
                broken.insert(route.key.clone(), format!("{e:#}").into());
            }
            None => {}
        }
    }
    let failures = broken.len();
    (app.handlers, app.broken) = (handlers, broken);
    failures
}

/// blake3 of a file: what decides whether a rebuilt component is new.
pub async fn file_hash(path: &PathBuf) -> Result<String> {
    let bytes = tokio::fs::read(path).await.with_context(|| format!("cannot read {}", path.display()))?;
    Ok(blake3::hash(&bytes).to_hex().to_string())
}
