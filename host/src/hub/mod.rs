//! The live connections and the rooms they are in, addressable by id and by name from every
//! handler and from the front door. `Hub` is what the rest of wsh calls: it answers from this
//! node (`registry`, `rooms`) and, in a cluster, reaches the others (`cluster`).

pub(crate) mod cluster;
pub(crate) mod registry;
pub(crate) mod rooms;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use self::cluster::protocol::{Answer, Ask, Header};
use self::cluster::{Cluster, Orphan};
use self::registry::{CloseReason, Connection, ConnectionInfo, Frame, Registry, SendError, SendLimits};
use self::rooms::Rooms;
use crate::stats::{Stats, stats};

/// Why a rooms call did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RoomError {
    /// No such live connection.
    Gone,
    InvalidRoom(String),
    PayloadTooLarge,
    /// Not reachable now (the cluster's Redis is down); the message says why.
    Unavailable(String),
}

impl fmt::Display for RoomError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoomError::Gone => f.write_str("the connection is gone"),
            RoomError::InvalidRoom(why) => f.write_str(why),
            RoomError::PayloadTooLarge => f.write_str("payload too large"),
            RoomError::Unavailable(why) => f.write_str(why),
        }
    }
}

/// This node's connections and rooms: synchronous, no I/O.
#[derive(Default)]
pub(crate) struct Local {
    connections: Registry,
    rooms: Rooms,
}

impl Local {
    pub fn send(&self, id: &str, frame: Frame, limits: SendLimits) -> Result<(), SendError> {
        self.connections.send(id, frame, limits)
    }

    pub fn close(&self, id: &str, reason: CloseReason) -> Result<(), SendError> {
        self.connections.close(id, reason)
    }

    pub fn info(&self, id: &str) -> Result<ConnectionInfo, SendError> {
        self.connections.info(id)
    }

    pub fn rooms_of(&self, id: &str) -> Vec<String> {
        self.rooms.rooms_of(id)
    }

    /// Fans `frame` out to this node's members of `room`; for how many.
    pub fn publish(&self, room: &str, frame: &Frame, except: &[String], limits: SendLimits) -> u32 {
        self.rooms.publish(room, frame, except, limits).unwrap_or(0)
    }

    /// Closes connection `id` without its `$disconnect` (another node ran it); whether it was here.
    pub fn hand_over(&self, id: &str) -> bool {
        self.connections.get(id).map(|conn| conn.hand_over()).is_some()
    }
}

pub(crate) struct Hub {
    local: Local,
    cluster: Option<Cluster>,
    /// In a cluster, what another node needs of each live connection here to run its
    /// `$disconnect` if this node is lost: kept to register them again after Redis returns.
    records: Mutex<HashMap<String, String>>,
    /// Connections taken over from a lost node, while their `$disconnect` runs here: their rooms.
    adopted: Mutex<HashMap<String, Vec<String>>>,
}

impl Hub {
    /// A hub for one node alone.
    pub fn alone() -> Arc<Hub> {
        Arc::new(Hub { local: Local::default(), cluster: None, records: Mutex::default(), adopted: Mutex::default() })
    }

    /// A hub for a node of the cluster whose Redis is at `url`; connections taken over from lost
    /// nodes arrive on the receiver, for their `$disconnect`.
    pub fn clustered(url: &str, app: &str) -> anyhow::Result<(Arc<Hub>, mpsc::UnboundedReceiver<Orphan>)> {
        let (cluster, pushes, orphans) = Cluster::connect(url, app)?;
        let hub = Arc::new(Hub {
            local: Local::default(),
            cluster: Some(cluster),
            records: Mutex::default(),
            adopted: Mutex::default(),
        });
        cluster::spawn_inbox(hub.clone(), pushes);
        cluster::spawn_liveness(hub.clone());
        Ok((hub, orphans))
    }

    pub fn cluster(&self) -> Option<&Cluster> {
        self.cluster.as_ref()
    }

    pub fn local(&self) -> &Local {
        &self.local
    }

    /// This node's id in the cluster.
    pub fn node(&self) -> Option<&str> {
        self.cluster.as_ref().map(|c| c.node.as_str())
    }

    /// An id for a new connection: random, and in a cluster prefixed with this node's id.
    pub fn new_connection_id(&self) -> String {
        match &self.cluster {
            Some(cluster) => cluster.connection_id(),
            None => crate::ids::new_id(),
        }
    }

    /// Makes `conn` reachable: sends to it queue from now on. `record` is what another node
    /// needs to run its `$disconnect` should this node be lost.
    pub async fn register(&self, conn: Arc<Connection>, record: String) {
        let id = conn.id.clone();
        self.local.connections.insert(conn);
        if let Some(cluster) = &self.cluster {
            self.records.lock().unwrap_or_else(|e| e.into_inner()).insert(id.clone(), record.clone());
            cluster.register(&id, &record).await;
        }
    }

    /// Makes `id` unreachable: sends to it answer `gone` from now on. Its memberships stay until
    /// [`Hub::leave_all`], so that its `$disconnect` handler still sees its rooms.
    /// In a cluster, the other nodes stop counting it a member of its rooms at once: this
    /// node keeps the memberships for the handler.
    pub async fn unregister(&self, id: &str) {
        self.local.connections.remove(id);
        if let Some(cluster) = &self.cluster {
            self.records.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
            cluster.unregister(id, &self.local.rooms_of(id)).await;
        }
    }

    /// Takes `id` out of every room it is in (it closed, and its `$disconnect` has run).
    pub async fn leave_all(&self, id: &str) {
        let left = self.local.rooms.leave_all(id);
        let Some(cluster) = &self.cluster else { return };
        for room in left {
            if self.local.rooms.is_empty(&room) {
                let _ = cluster.listen(&room, false).await;
            }
        }
    }

    /// The live connections of this node, and what to register of them again.
    pub fn records(&self) -> Vec<(String, String)> {
        let records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        records.iter().map(|(id, record)| (id.clone(), record.clone())).collect()
    }

    /// Live connections on this node.
    pub fn len(&self) -> usize {
        self.local.connections.len()
    }

    pub fn all(&self) -> Vec<Arc<Connection>> {
        self.local.connections.all()
    }

    /// The cluster to ask about connection `id`, when it lives on another node.
    fn remote(&self, id: &str) -> Option<&Cluster> {
        self.cluster.as_ref().filter(|c| !c.is_local(id))
    }

    pub async fn send(&self, id: &str, frame: Frame, limits: SendLimits) -> Result<(), SendError> {
        let Some(cluster) = self.remote(id) else { return self.local.send(id, frame, limits) };
        if frame.len() > limits.max_payload {
            return Err(SendError::PayloadTooLarge);
        }
        let (bytes, binary) = frame.into_bytes();
        let header = Header::Send { to: id.to_string(), binary, limits };
        match cluster.deliver(id, &header, &bytes).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(SendError::Gone),
            Err(why) => Err(SendError::Unavailable(why)),
        }
    }

    pub async fn close(&self, id: &str, reason: CloseReason) -> Result<(), SendError> {
        let Some(cluster) = self.remote(id) else { return self.local.close(id, reason) };
        match cluster.deliver(id, &Header::Close { to: id.to_string() }, b"").await {
            Ok(true) => Ok(()),
            Ok(false) => Err(SendError::Gone),
            Err(why) => Err(SendError::Unavailable(why)),
        }
    }

    pub async fn info(&self, id: &str) -> Result<ConnectionInfo, SendError> {
        let Some(cluster) = self.remote(id) else { return self.local.info(id) };
        match cluster.ask(id, Ask::Info { to: id.to_string() }).await {
            Ok(Answer::Info(info)) => Ok(info.into()),
            Ok(_) => Err(SendError::Gone),
            Err(why) => Err(SendError::Unavailable(why)),
        }
    }

    pub async fn join(&self, room: &str, id: &str) -> Result<(), RoomError> {
        rooms::check_name(room).map_err(RoomError::InvalidRoom)?;
        match self.remote(id) {
            None => self.join_here(room, id).await,
            Some(cluster) => answered(cluster.ask(id, Ask::Join { room: room.into(), to: id.into() }).await),
        }
    }

    pub async fn leave(&self, room: &str, id: &str) -> Result<(), RoomError> {
        rooms::check_name(room).map_err(RoomError::InvalidRoom)?;
        match self.remote(id) {
            None => self.leave_here(room, id).await,
            Some(cluster) => answered(cluster.ask(id, Ask::Leave { room: room.into(), to: id.into() }).await),
        }
    }

    /// Joins this node's connection `id` to `room`; in a cluster, listens on the room and
    /// records the membership before answering, so that a publish right after reaches it.
    pub(crate) async fn join_here(&self, room: &str, id: &str) -> Result<(), RoomError> {
        let conn = self.local.connections.get(id).ok_or(RoomError::Gone)?;
        self.local.rooms.join(room, &conn);
        if let Some(cluster) = &self.cluster {
            cluster.listen(room, true).await.map_err(RoomError::Unavailable)?;
            cluster.membership(id, room, true, &self.local.rooms_of(id)).await.map_err(RoomError::Unavailable)?;
        }
        Ok(())
    }

    pub(crate) async fn leave_here(&self, room: &str, id: &str) -> Result<(), RoomError> {
        self.local.rooms.leave(room, id);
        if let Some(cluster) = &self.cluster {
            if self.local.rooms.is_empty(room) {
                let _ = cluster.listen(room, false).await;
            }
            cluster.membership(id, room, false, &self.local.rooms_of(id)).await.map_err(RoomError::Unavailable)?;
        }
        Ok(())
    }

    /// Queues `frame` for the members of `room` but `except`; for how many (in a cluster, the
    /// room's members everywhere, as Redis counts them).
    pub async fn publish(
        &self,
        room: &str,
        frame: &Frame,
        except: &[String],
        limits: SendLimits,
    ) -> Result<u32, RoomError> {
        rooms::check_name(room).map_err(RoomError::InvalidRoom)?;
        if frame.len() > limits.max_payload {
            return Err(RoomError::PayloadTooLarge);
        }
        let here = self.local.publish(room, frame, except, limits);
        let reached = match &self.cluster {
            None => here,
            Some(cluster) => {
                let (bytes, binary) = frame.clone().into_bytes();
                cluster.publish(room, except, &bytes, binary, limits).await.map_err(|why| {
                    RoomError::Unavailable(format!(
                        "queued for {here} member(s) on this node only, members on other nodes did not get it: {why}"
                    ))
                })?
            }
        };
        Stats::add(&stats().room_publishes);
        Stats::add_n(&stats().room_deliveries, u64::from(reached));
        Ok(reached)
    }

    /// A page of `room`'s members after `cursor`, and the cursor of the next page.
    pub async fn members(
        &self,
        room: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<String>, Option<String>), RoomError> {
        rooms::check_name(room).map_err(RoomError::InvalidRoom)?;
        let limit = limit.clamp(1, rooms::PAGE);
        let Some(cluster) = &self.cluster else { return Ok(self.local.rooms.members(room, cursor, limit)) };
        let page = cluster.members(room, cursor, limit).await.map_err(RoomError::Unavailable)?;
        let next = (page.len() == limit).then(|| page[limit - 1].clone());
        Ok((page, next))
    }

    /// The rooms `id` is in; none for a connection in none (or gone).
    pub async fn rooms_of(&self, id: &str) -> Result<Vec<String>, RoomError> {
        if let Some(rooms) = self.adopted.lock().unwrap_or_else(|e| e.into_inner()).get(id) {
            return Ok(rooms.clone());
        }
        match self.remote(id) {
            None => Ok(self.local.rooms_of(id)),
            Some(cluster) => match cluster.ask(id, Ask::RoomsOf { to: id.to_string() }).await {
                Ok(Answer::Rooms { rooms }) => Ok(rooms),
                Ok(_) => Ok(Vec::new()),
                Err(why) => Err(RoomError::Unavailable(why)),
            },
        }
    }

    /// Holds the rooms of a connection taken over from a lost node, for its `$disconnect`.
    pub(crate) fn adopt(&self, id: &str, rooms: Vec<String>) {
        self.adopted.lock().unwrap_or_else(|e| e.into_inner()).insert(id.to_string(), rooms);
    }

    /// The `$disconnect` of a taken-over connection has run.
    pub fn forget(&self, id: &str) {
        self.adopted.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }
}

fn answered(answer: Result<Answer, String>) -> Result<(), RoomError> {
    match answer {
        Ok(Answer::Done) => Ok(()),
        Ok(Answer::Invalid { why }) => Err(RoomError::InvalidRoom(why)),
        Ok(_) => Err(RoomError::Gone),
        Err(why) => Err(RoomError::Unavailable(why)),
    }
}
