//! Rooms: named sets of connections, so that one publish reaches every member without a table
//! scan or a send per member from the handler.
//!
//! Members are held by their connection, so a publish queues one shared frame on each member's
//! outbound queue directly; a member that is gone is skipped, a member that does not read is
//! closed with 1008 by its own queue's bound, and neither delays the others. Plain data under
//! one lock: no I/O, nothing awaits.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

use super::registry::{Connection, Frame, SendError, SendLimits};

/// Bytes in a room's name at most.
pub const MAX_ROOM: usize = 256;

/// Members a page of `members` holds at most.
pub const PAGE: usize = 1000;

#[derive(Default)]
pub struct Rooms {
    inner: RwLock<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Room → its members by connection id (ordered, so that pages are stable).
    rooms: HashMap<Arc<str>, BTreeMap<Arc<str>, Arc<Connection>>>,
    /// Connection id → the rooms it is in.
    memberships: HashMap<Arc<str>, BTreeSet<Arc<str>>>,
}

/// A room name a handler may use: not empty, at most [`MAX_ROOM`] bytes, no control characters.
pub fn check_name(room: &str) -> Result<(), String> {
    if room.is_empty() {
        return Err("a room name cannot be empty".into());
    }
    if room.len() > MAX_ROOM {
        return Err(format!("a room name is at most {MAX_ROOM} bytes; this one is {}", room.len()));
    }
    if room.chars().any(char::is_control) {
        return Err("a room name cannot hold control characters".into());
    }
    Ok(())
}

impl Rooms {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        // Every change is a few map operations that cannot leave the maps half-updated on a
        // panic, so a poisoned lock is still sound to use.
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds `conn` to `room`; joining twice is one membership.
    pub fn join(&self, room: &str, conn: &Arc<Connection>) {
        let mut inner = self.write();
        let room: Arc<str> = room.into();
        let id: Arc<str> = conn.id.as_str().into();
        inner.rooms.entry(room.clone()).or_default().insert(id.clone(), conn.clone());
        inner.memberships.entry(id).or_default().insert(room);
    }

    /// Takes `id` out of `room`; leaving a room one is not in is no error.
    pub fn leave(&self, room: &str, id: &str) {
        let mut inner = self.write();
        let Inner { rooms, memberships } = &mut *inner;
        if let Some(members) = rooms.get_mut(room) {
            members.remove(id);
            if members.is_empty() {
                rooms.remove(room);
            }
        }
        if let Some(joined) = memberships.get_mut(id) {
            joined.remove(room);
            if joined.is_empty() {
                memberships.remove(id);
            }
        }
    }

    /// Takes `id` out of every room (its connection closed); the rooms it was in.
    pub fn leave_all(&self, id: &str) -> Vec<Arc<str>> {
        let mut inner = self.write();
        let Inner { rooms, memberships } = &mut *inner;
        let Some(joined) = memberships.remove(id) else { return Vec::new() };
        for room in &joined {
            if let Some(members) = rooms.get_mut(room) {
                members.remove(id);
                if members.is_empty() {
                    rooms.remove(room);
                }
            }
        }
        joined.into_iter().collect()
    }

    /// Queues `frame` for every member of `room` but those in `except`; how many it was queued
    /// for. Members that are gone or over their queue's bound are skipped.
    pub fn publish(&self, room: &str, frame: &Frame, except: &[String], limits: SendLimits) -> Result<u32, SendError> {
        if frame.len() > limits.max_payload {
            return Err(SendError::PayloadTooLarge);
        }
        let inner = self.read();
        let Some(members) = inner.rooms.get(room) else { return Ok(0) };
        let mut queued = 0;
        for (id, conn) in members {
            if except.iter().any(|e| **e == **id) {
                continue;
            }
            if conn.send(frame.clone(), limits).is_ok() {
                queued += 1;
            }
        }
        Ok(queued)
    }

    /// A page of `room`'s members after `cursor` (a connection id), in id order, and the cursor
    /// of the next page when there may be one.
    pub fn members(&self, room: &str, cursor: Option<&str>, limit: usize) -> (Vec<String>, Option<String>) {
        let limit = limit.clamp(1, PAGE);
        let inner = self.read();
        let Some(members) = inner.rooms.get(room) else { return (Vec::new(), None) };
        let after = |id: &Arc<str>| cursor.is_none_or(|c| **id > *c);
        let page: Vec<String> = members.keys().filter(|id| after(id)).take(limit).map(|id| id.to_string()).collect();
        let next = (page.len() == limit).then(|| page[limit - 1].clone());
        (page, next)
    }

    /// The rooms `id` is in, in name order.
    pub fn rooms_of(&self, id: &str) -> Vec<String> {
        self.read().memberships.get(id).map(|rooms| rooms.iter().map(|r| r.to_string()).collect()).unwrap_or_default()
    }

    /// Members of `room` on this node.
    #[cfg(test)]
    pub fn len(&self, room: &str) -> usize {
        self.read().rooms.get(room).map_or(0, BTreeMap::len)
    }

    /// Whether this node has no member of `room` (left: the node need not listen for it).
    pub fn is_empty(&self, room: &str) -> bool {
        !self.read().rooms.contains_key(room)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::registry::{ConnectionQueues, Identity, Outbound};

    fn conn(id: &str) -> (Arc<Connection>, ConnectionQueues) {
        Connection::new(id.into(), 0, Identity { source_ip: "127.0.0.1".into(), user_agent: None })
    }

    const LIMITS: SendLimits = SendLimits { max_payload: 64, max_queued: 2 };

    #[tokio::test]
    async fn a_publish_reaches_members_but_the_excepted_and_shares_its_payload() {
        let rooms = Rooms::default();
        let (a, mut qa) = conn("a");
        let (b, mut qb) = conn("b");
        let (c, _qc) = conn("c");
        for member in [&a, &b, &c] {
            rooms.join("lobby", member);
        }
        rooms.join("lobby", &a);
        assert_eq!(rooms.len("lobby"), 3, "joining twice is one membership");
        let frame = Frame::text("hi");
        assert_eq!(rooms.publish("lobby", &frame, &["c".into()], LIMITS), Ok(2));
        let (Some(Outbound::Frame(Frame::Text(ta))), Some(Outbound::Frame(Frame::Text(tb)))) =
            (qa.outbound.next().await, qb.outbound.next().await)
        else {
            panic!("both got the frame")
        };
        assert_eq!(ta.as_str().as_ptr(), tb.as_str().as_ptr(), "one payload, not a copy per member");
        assert_eq!(rooms.publish("nobody-here", &frame, &[], LIMITS), Ok(0));
        assert_eq!(rooms.publish("lobby", &Frame::text("x".repeat(65)), &[], LIMITS), Err(SendError::PayloadTooLarge));
    }

    #[test]
    fn gone_and_slow_members_are_skipped_not_errors() {
        let rooms = Rooms::default();
        let (gone, q) = conn("gone");
        let (slow, _q_slow) = conn("slow");
        let (fine, _q_fine) = conn("fine");
        for member in [&gone, &slow, &fine] {
            rooms.join("r", member);
        }
        drop(q);
        slow.send(Frame::text("1"), LIMITS).unwrap();
        slow.send(Frame::text("2"), LIMITS).unwrap();
        assert_eq!(rooms.publish("r", &Frame::text("x"), &[], LIMITS), Ok(1));
    }

    #[test]
    fn memberships_page_and_leave_with_the_connection() {
        let rooms = Rooms::default();
        let conns: Vec<_> = (0..5).map(|i| conn(&format!("c{i}"))).collect();
        for (c, _) in &conns {
            rooms.join("big", c);
        }
        rooms.join("small", &conns[0].0);
        assert_eq!(rooms.members("big", None, 2), (vec!["c0".into(), "c1".into()], Some("c1".into())));
        assert_eq!(rooms.members("big", Some("c3"), 2), (vec!["c4".into()], None));
        assert_eq!(rooms.rooms_of("c0"), ["big", "small"]);
        rooms.leave("small", "c0");
        rooms.leave("small", "c0");
        assert_eq!(rooms.rooms_of("c0"), ["big"]);
        assert_eq!(rooms.leave_all("c0").len(), 1);
        assert!(rooms.rooms_of("c0").is_empty());
        assert_eq!(rooms.len("big"), 4);
        assert_eq!(rooms.len("small"), 0);
    }

    #[test]
    fn room_names_are_checked() {
        assert!(check_name("lobby").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name(&"x".repeat(MAX_ROOM + 1)).is_err());
        assert!(check_name("a\nb").is_err());
    }
}
