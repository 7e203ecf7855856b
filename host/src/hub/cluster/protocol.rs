//! What nodes say to each other over Redis pub/sub, and where: pure encoding and naming, no I/O.
//!
//! A message is a JSON header, a newline, then the frame's bytes as they are (a binary frame is
//! not base64'd on its way between nodes). Every key and channel carries one hash tag (`{n:..}`
//! for a node, `{r:..}` for a room, `{kv:..}` for a bucket), so that every script touches one
//! slot and everything runs unchanged on Redis Cluster.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::hub::registry::{ConnectionInfo, SendLimits};
use crate::stats::{Stats, stats};

/// Characters of a connection id that name its node: the base64url of 3 bytes.
pub const NODE_ID_LEN: usize = 4;

/// The node a connection lives on: the first characters of its id. Connections never move (a
/// socket belongs to one process), so this needs no lookup, and nothing to invalidate.
pub fn owner(connection_id: &str) -> Option<&str> {
    connection_id.get(..NODE_ID_LEN)
}

/// Names of the app's keys and channels, under one prefix.
#[derive(Debug, Clone)]
pub struct Names {
    prefix: String,
}

impl Names {
    /// `app` is the manifest's `@app` name; braces are dropped from it, since a brace in the
    /// prefix would become the hash tag of every key.
    pub fn new(app: &str) -> Names {
        Names { prefix: format!("wsh:{}", app.replace(['{', '}'], "")) }
    }

    /// The set of registered node ids.
    pub fn nodes(&self) -> String {
        format!("{}:{{wsh}}:nodes", self.prefix)
    }

    /// Announcements every node hears: a node found dead.
    pub fn control(&self) -> String {
        format!("{}:{{wsh}}:ctl", self.prefix)
    }

    /// Node `n`'s lease: present while it lives.
    pub fn heartbeat(&self, n: &str) -> String {
        format!("{}:{{n:{n}}}:hb", self.prefix)
    }

    /// Node `n`'s connections: id → what a `$disconnect` on another node needs of it.
    pub fn connections(&self, n: &str) -> String {
        format!("{}:{{n:{n}}}:conns", self.prefix)
    }

    /// Node `n`'s connections' rooms: id → the rooms it is in.
    pub fn memberships(&self, n: &str) -> String {
        format!("{}:{{n:{n}}}:rooms", self.prefix)
    }

    /// Node `n`'s connections, taken over by a survivor after `n` was lost.
    pub fn reaped(&self, n: &str) -> String {
        format!("{}:{{n:{n}}}:reaped", self.prefix)
    }

    /// Node `n`'s connections' rooms, taken over with them.
    pub fn reaped_memberships(&self, n: &str) -> String {
        format!("{}:{{n:{n}}}:reaped-rooms", self.prefix)
    }

    /// Node `n`'s inbox: sends, closes and questions for its connections, and answers to it.
    pub fn inbox(&self, n: &str) -> String {
        format!("{}:{{n:{n}}}:in", self.prefix)
    }

    /// Room `r`'s members, everywhere (a sorted set: members page in order).
    pub fn room_members(&self, r: &str) -> String {
        format!("{}:{{r:{r}}}:members", self.prefix)
    }

    /// Room `r`'s fan-out channel, which a node listens on while it has members of `r`.
    pub fn room_channel(&self, r: &str) -> String {
        format!("{}:{{r:{r}}}:pub", self.prefix)
    }

    /// Key `k` of bucket `b`.
    pub fn kv_value(&self, b: &str, k: &str) -> String {
        format!("{}:{{kv:{b}}}:v:{k}", self.prefix)
    }

    /// The keys of bucket `b`, in order, for `list-keys`.
    pub fn kv_index(&self, b: &str) -> String {
        format!("{}:{{kv:{b}}}:idx", self.prefix)
    }
}

/// What a node asks the node a connection lives on, and is answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "ask", rename_all = "kebab-case")]
pub enum Ask {
    Info { to: String },
    Join { room: String, to: String },
    Leave { room: String, to: String },
    RoomsOf { to: String },
}

/// A connection's facts, as they cross between nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Info {
    pub connection_id: String,
    pub connected_at: u64,
    pub last_active_at: u64,
    pub source_ip: String,
    pub user_agent: Option<String>,
}

impl From<ConnectionInfo> for Info {
    fn from(i: ConnectionInfo) -> Info {
        Info {
            connection_id: i.connection_id,
            connected_at: i.connected_at,
            last_active_at: i.last_active_at,
            source_ip: i.identity.source_ip,
            user_agent: i.identity.user_agent,
        }
    }
}

impl From<Info> for ConnectionInfo {
    fn from(i: Info) -> ConnectionInfo {
        ConnectionInfo {
            connection_id: i.connection_id,
            connected_at: i.connected_at,
            last_active_at: i.last_active_at,
            identity: crate::decide::events::Identity { source_ip: i.source_ip, user_agent: i.user_agent },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "kebab-case")]
pub enum Answer {
    Done,
    Gone,
    Info(Info),
    Rooms { rooms: Vec<String> },
    Invalid { why: String },
}

/// A message's header; the frame's bytes follow it, when it carries one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Header {
    /// Queue the frame that follows for connection `to`, within the sender's limits (every
    /// node serves the same app).
    Send {
        to: String,
        binary: bool,
        limits: SendLimits,
    },
    /// Close connection `to` (1000), as `ws.close` does.
    Close {
        to: String,
    },
    /// A question for the node of a connection; the answer goes to `from`'s inbox.
    Ask {
        req: u64,
        from: String,
        ask: Ask,
    },
    Answer {
        req: u64,
        answer: Answer,
    },
    /// Fan the frame that follows out to a room's members on this node but `except`.
    Publish {
        room: String,
        origin: String,
        except: Vec<String>,
        binary: bool,
        limits: SendLimits,
    },
    /// Node `node` was found lost: its connections are gone.
    Lost {
        node: String,
    },
    /// Node `node`, once taken for lost, holds a lease again.
    Back {
        node: String,
    },
}

pub fn encode(header: &Header, payload: &[u8]) -> Vec<u8> {
    // Every message for another node is made here.
    Stats::add(&stats().cluster_messages_out);
    let mut out = serde_json::to_vec(header).expect("a header serializes");
    out.push(b'\n');
    out.extend_from_slice(payload);
    out
}

/// The header and the bytes after it; `None` for anything that is not a message of ours.
pub fn decode(message: Bytes) -> Option<(Header, Bytes)> {
    let end = message.iter().position(|b| *b == b'\n')?;
    let header = serde_json::from_slice(&message[..end]).ok()?;
    Some((header, message.slice(end + 1..)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_with_their_bytes_as_they_are() {
        let limits = SendLimits { max_payload: 10, max_queued: 2 };
        let header = Header::Publish {
            room: "a\nb".into(),
            origin: "AbC_".into(),
            except: vec!["x".into()],
            binary: true,
            limits,
        };
        let payload = [0u8, b'\n', 255];
        let (back, bytes) = decode(Bytes::from(encode(&header, &payload))).unwrap();
        assert_eq!(back, header);
        assert_eq!(&bytes[..], &payload);
        let ask = Header::Ask { req: 7, from: "node".into(), ask: Ask::Join { room: "r".into(), to: "c".into() } };
        assert_eq!(decode(Bytes::from(encode(&ask, b""))).unwrap().0, ask);
        assert!(decode(Bytes::from_static(b"not ours")).is_none());
    }

    #[test]
    fn every_key_of_a_node_room_or_bucket_has_one_hash_tag() {
        let n = Names::new("my{app}");
        assert_eq!(n.inbox("AbC_"), "wsh:myapp:{n:AbC_}:in");
        assert_eq!(n.connections("AbC_"), "wsh:myapp:{n:AbC_}:conns");
        assert_eq!(n.room_members("lobby"), "wsh:myapp:{r:lobby}:members");
        assert_eq!(n.room_channel("a:b"), "wsh:myapp:{r:a:b}:pub");
        assert_eq!(n.kv_value("default", "k"), "wsh:myapp:{kv:default}:v:k");
        assert_eq!(owner("AbC_xyz0123456789"), Some("AbC_"));
        assert_eq!(owner("ab"), None);
    }
}
