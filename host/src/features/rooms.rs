//! `wsh:handler/rooms`: joining connections to rooms and publishing to every member at once.
//! A member that is gone is skipped, never an error for the publisher.

use anyhow::Result;
use wasmtime::component::{HasData, Linker};

use crate::bindings::wit;
use crate::bindings::ws_world::wsh::handler::rooms;
use crate::hub::registry::SendLimits;
use crate::hub::rooms::PAGE;
use crate::hub::{Hub, RoomError};

/// What `rooms` calls act on during one event.
pub(crate) struct RoomsView<'a> {
    pub hub: &'a Hub,
    /// The app's limits for the event's snapshot.
    pub limits: SendLimits,
}

fn error(e: RoomError) -> rooms::RoomsError {
    match e {
        RoomError::Gone => rooms::RoomsError::Gone,
        RoomError::InvalidRoom(why) => rooms::RoomsError::InvalidRoom(why),
        RoomError::PayloadTooLarge => rooms::RoomsError::PayloadTooLarge,
        RoomError::Unavailable(why) => rooms::RoomsError::Unavailable(why),
    }
}

impl rooms::Host for RoomsView<'_> {
    async fn join(&mut self, room: String, connection_id: String) -> Result<(), rooms::RoomsError> {
        self.hub.join(&room, &connection_id).await.map_err(error)
    }

    async fn leave(&mut self, room: String, connection_id: String) -> Result<(), rooms::RoomsError> {
        self.hub.leave(&room, &connection_id).await.map_err(error)
    }

    async fn publish(
        &mut self,
        room: String,
        payload: wit::Data,
        except: Vec<String>,
    ) -> Result<u32, rooms::RoomsError> {
        self.hub.publish(&room, &payload.into(), &except, self.limits).await.map_err(error)
    }

    async fn members(
        &mut self,
        room: String,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<rooms::MemberPage, rooms::RoomsError> {
        let limit = (limit as usize).min(PAGE);
        let (members, cursor) = self.hub.members(&room, cursor.as_deref(), limit).await.map_err(error)?;
        Ok(rooms::MemberPage { members, cursor })
    }

    async fn rooms_of(&mut self, connection_id: String) -> Result<Vec<String>, rooms::RoomsError> {
        self.hub.rooms_of(&connection_id).await.map_err(error)
    }
}

struct Rooms;

impl HasData for Rooms {
    type Data<'a> = RoomsView<'a>;
}

/// Links `wsh:handler/rooms`, served through `view`.
pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> RoomsView<'_>,
) -> Result<()> {
    rooms::add_to_linker::<T, Rooms>(linker, view)?;
    Ok(())
}
