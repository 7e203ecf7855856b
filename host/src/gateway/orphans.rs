//! Connections taken over from a lost node of the cluster: this node runs their `$disconnect`
//! (1006), once, and they are gone.

use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc};

use super::Gateway;
use super::connection::run_disconnect;
use crate::decide::events::ConnectionContext;
use crate::hub::cluster::Orphan;
use crate::hub::registry::CloseReason;

/// `$disconnect` handlers of taken-over connections running at once.
const AT_ONCE: usize = 16;

pub(crate) async fn run(gw: Arc<Gateway>, mut orphans: mpsc::UnboundedReceiver<Orphan>) {
    let turns = Arc::new(Semaphore::new(AT_ONCE));
    while let Some(orphan) = orphans.recv().await {
        let Ok(turn) = turns.clone().acquire_owned().await else { return };
        let gw = gw.clone();
        tokio::spawn(async move {
            match serde_json::from_str::<ConnectionContext>(&orphan.context) {
                Ok(ctx) => {
                    tracing::info!(connection = %orphan.id, "cluster: taken over from a lost node: its $disconnect (1006, node lost)");
                    run_disconnect(&gw, &ctx, &CloseReason::new(1006, "node lost")).await;
                }
                Err(e) => {
                    tracing::error!(connection = %orphan.id, "cluster: cannot read what the lost node recorded of it: {e}")
                }
            }
            gw.hub.forget(&orphan.id);
            drop(turn);
        });
    }
}
