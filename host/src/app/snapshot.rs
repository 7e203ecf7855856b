//! The app as it runs: one immutable value resolved from the manifest and the handlers, swapped
//! whole on reload. An event or request reads one snapshot from start to end, so a handshake is
//! checked by the authorizer of the same app whose `$connect` then runs, and settings never mix
//! with routes of another version.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use arc_swap::ArcSwap;
use tokio::sync::watch;

use super::layout::{self, Route};
use super::manifest::{Manifest, Settings};
use crate::decide::authorizer::IdentitySource;
use crate::decide::events::Api;
use crate::decide::http_router::HttpRouter;
use crate::decide::routing::Selector;
use crate::features::kv::KvPolicy;
use crate::hub::registry::SendLimits;
use crate::runtime::{Handler, Limits};

#[derive(Clone)]
pub(crate) struct App {
    /// The manifest's path and its folder, which route directories are relative to.
    pub manifest_path: PathBuf,
    pub root: PathBuf,
    pub manifest: Manifest,
    /// Every route, with where its handler lives.
    pub routes: Vec<Route>,
    pub api: Api,
    pub selector: Selector,
    /// Which `@http` route a request goes to.
    pub http: HttpRouter,
    /// Route key → handler, for the routes that have one.
    pub handlers: HashMap<String, Arc<Handler>>,
    /// Routes whose handler failed to build or load, with why. Their events get an error
    /// rather than silently going elsewhere.
    pub broken: HashMap<String, Arc<str>>,
    /// The `@static` folder, served at `/_static/`.
    pub static_dir: Option<PathBuf>,
    pub limits: Limits,
}

impl App {
    /// The app `manifest` describes, before any handler is loaded: what the loader fills in.
    pub fn resolve(manifest_path: &Path, manifest: Manifest) -> Result<App> {
        let root = layout::root_of(manifest_path);
        let routes = layout::routes(&manifest, &root)?;
        let selector = Selector::parse(&manifest.settings.route_selection).map_err(anyhow::Error::msg)?;
        let http = HttpRouter::new(manifest.http.iter().map(|r| (r.method.as_str(), r.path.as_str())));
        let name = manifest.app.clone().unwrap_or_else(|| "wsh".into());
        Ok(App {
            api: Api { stage: manifest.settings.stage.as_str().into(), api_id: name.into() },
            static_dir: manifest.static_dir.as_ref().map(|d| root.join(d)),
            limits: limits(&manifest.settings),
            manifest_path: manifest_path.to_path_buf(),
            root,
            routes,
            selector,
            http,
            handlers: HashMap::new(),
            broken: HashMap::new(),
            manifest,
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.manifest.settings
    }

    pub fn has_route(&self, key: &str) -> bool {
        self.handlers.contains_key(key) || self.broken.contains_key(key)
    }

    /// `None` when the route has no handler at all.
    pub fn handler(&self, key: &str) -> Option<Result<Arc<Handler>, Arc<str>>> {
        match self.handlers.get(key) {
            Some(h) => Some(Ok(h.clone())),
            None => self.broken.get(key).map(|why| Err(why.clone())),
        }
    }

    /// The identity sources a handshake must carry, when the app declares an authorizer: while
    /// it does, every handshake goes through it.
    pub fn identity_sources(&self) -> Option<&[IdentitySource]> {
        self.settings().authorizer.as_ref().map(|a| a.identity_sources.as_slice())
    }
}

/// The limits of one event, from the settings.
fn limits(settings: &Settings) -> Limits {
    Limits {
        timeout: Duration::from_millis(settings.handler_timeout_ms),
        memory_bytes: (settings.handler_memory_mb as usize) << 20,
        send: SendLimits {
            max_payload: (settings.max_message_kb as usize) << 10,
            max_queued: settings.outbound_queue as usize,
        },
        kv: Arc::new(KvPolicy {
            buckets: settings.kv_buckets.clone(),
            max_value: (settings.kv_max_value_kb as usize) << 10,
        }),
    }
}

/// The app in force, replaced whole by reloads; readers are told when it changes.
pub(crate) struct LiveApp {
    current: ArcSwap<App>,
    changed: watch::Sender<()>,
}

impl LiveApp {
    pub fn new(app: App) -> LiveApp {
        LiveApp { current: ArcSwap::from_pointee(app), changed: watch::Sender::new(()) }
    }

    /// The snapshot to use from start to end of one event or request.
    pub fn get(&self) -> Arc<App> {
        self.current.load_full()
    }

    pub fn replace(&self, app: App) {
        self.current.store(Arc::new(app));
        self.changed.send_replace(());
    }

    /// Wakes when a reload replaces the app: a connection waiting on a deadline from the old
    /// settings recomputes it.
    pub fn subscribe(&self) -> watch::Receiver<()> {
        self.changed.subscribe()
    }
}
