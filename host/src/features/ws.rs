//! `wsh:handler/ws`: reaching any connection by id, as Architect's `arc.ws` and API Gateway's
//! `@connections` do. Errors are values (`gone`, ...), never traps: a handler decides what a
//! vanished peer means.

use anyhow::Result;
use wasmtime::component::{HasData, Linker};

use crate::bindings::ws_world::wsh::handler::ws;
use crate::bindings::{v1, wit};
use crate::hub::Hub;
use crate::hub::registry::{CloseReason, SendError, SendLimits};

/// What `ws` calls act on during one event.
pub(crate) struct WsView<'a> {
    pub hub: &'a Hub,
    /// The app's limits for the event's snapshot.
    pub limits: SendLimits,
}

impl wit::Host for WsView<'_> {}

impl ws::Host for WsView<'_> {
    async fn send(&mut self, connection_id: String, payload: wit::Data) -> Result<(), wit::WsError> {
        self.hub.send(&connection_id, payload.into(), self.limits).await.map_err(ws_error)
    }

    async fn close(&mut self, connection_id: String) -> Result<(), wit::WsError> {
        self.hub.close(&connection_id, CloseReason::new(1000, "closed by handler")).await.map_err(ws_error)
    }

    async fn info(&mut self, connection_id: String) -> Result<wit::ConnectionInfo, wit::WsError> {
        let info = self.hub.info(&connection_id).await.map_err(ws_error)?;
        Ok(wit::ConnectionInfo {
            connection_id: info.connection_id,
            connected_at: info.connected_at,
            last_active_at: info.last_active_at,
            identity: wit::Identity { source_ip: info.identity.source_ip, user_agent: info.identity.user_agent },
        })
    }
}

fn ws_error(e: SendError) -> wit::WsError {
    match e {
        SendError::Gone => wit::WsError::Gone,
        SendError::PayloadTooLarge => wit::WsError::PayloadTooLarge,
        SendError::SlowConsumer => wit::WsError::SlowConsumer,
        SendError::Unavailable(why) => wit::WsError::Unavailable(why),
    }
}

/// `wsh:handler/ws@0.1.0`, for components built before 0.2.0: the same calls, in its types.
impl v1::wit::Host for WsView<'_> {}

impl v1::ws_world::wsh::handler::ws::Host for WsView<'_> {
    async fn send(
        &mut self,
        connection_id: String,
        payload: v1::wit::Data,
    ) -> wasmtime::Result<Result<(), v1::wit::WsError>> {
        old(ws::Host::send(self, connection_id, v1::data(payload)).await)
    }

    async fn close(&mut self, connection_id: String) -> wasmtime::Result<Result<(), v1::wit::WsError>> {
        old(ws::Host::close(self, connection_id).await)
    }

    async fn info(
        &mut self,
        connection_id: String,
    ) -> wasmtime::Result<Result<v1::wit::ConnectionInfo, v1::wit::WsError>> {
        old(ws::Host::info(self, connection_id).await.map(v1::connection_info))
    }
}

/// A 0.2.0 outcome in 0.1.0 terms; an error 0.1.0 cannot express traps with why.
fn old<T>(outcome: Result<T, wit::WsError>) -> wasmtime::Result<Result<T, v1::wit::WsError>> {
    match outcome {
        Ok(value) => Ok(Ok(value)),
        Err(e) => v1::ws_error(e).map(Err).map_err(wasmtime::Error::msg),
    }
}

struct Ws;

impl HasData for Ws {
    type Data<'a> = WsView<'a>;
}

/// Links `wsh:handler/ws` (and the types it uses), in every version, served through `view`.
pub(crate) fn add_to_linker<T: Send + 'static>(linker: &mut Linker<T>, view: fn(&mut T) -> WsView<'_>) -> Result<()> {
    wit::add_to_linker::<T, Ws>(linker, view)?;
    ws::add_to_linker::<T, Ws>(linker, view)?;
    v1::wit::add_to_linker::<T, Ws>(linker, view)?;
    v1::ws_world::wsh::handler::ws::add_to_linker::<T, Ws>(linker, view)?;
    Ok(())
}
