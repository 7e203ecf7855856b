//! From resolved routes to a route table: build each handler's sources, load the component.
//! Shared by startup and hot reload.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};

use crate::app::Route;
use crate::builder;
use crate::gateway::RouteTable;
use crate::http_router::HttpRouter;
use crate::routing::Selector;
use crate::runtime::{Handler, Runtime};

/// Builds and loads one route's handler; `None` when the route has none.
pub async fn load_route(runtime: &Runtime, route: &Route) -> Option<Result<Handler>> {
    let source = route.source.as_ref()?;
    Some(
        async {
            let component = builder::build(source, route.world).await?;
            runtime.load(&route.key, &component, route.world).await
        }
        .await,
    )
}

/// A table for `routes`. Handlers in `keep` are reused as they are; the other routes are built
/// and loaded, concurrently. Returns the table and the number of routes that failed.
pub async fn table(
    runtime: &Runtime,
    routes: &[Route],
    selector: Selector,
    http: HttpRouter,
    keep: &HashMap<String, Arc<Handler>>,
) -> (RouteTable, usize) {
    let todo: Vec<&Route> = routes.iter().filter(|r| !keep.contains_key(&r.key)).collect();
    let results = futures_util::future::join_all(todo.iter().map(|r| load_route(runtime, r))).await;
    let mut table = RouteTable { selector, http, handlers: HashMap::new(), broken: HashMap::new() };
    for route in routes {
        if let Some(handler) = keep.get(&route.key) {
            table.handlers.insert(route.key.clone(), handler.clone());
        }
    }
    let mut failures = 0;
    for (route, result) in todo.into_iter().zip(results) {
        match result {
            Some(Ok(handler)) => {
                table.handlers.insert(route.key.clone(), Arc::new(handler));
            }
            Some(Err(e)) => {
                failures += 1;
                tracing::error!("route {}: {e:#}", route.key);
                table.broken.insert(route.key.clone(), format!("{e:#}").into());
            }
            None => {}
        }
    }
    (table, failures)
}

/// blake3 of a file: what decides whether a rebuilt component is new.
pub fn file_hash(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(blake3::hash(&bytes).to_hex().to_string())
}
