//! What a node does with what it hears on Redis: sends and closes for its connections, questions
//! about them, answers to its own questions, room fan-out, and news of lost nodes.
//!
//! One task reads everything in arrival order, so what one node sends one connection arrives in
//! the order it was sent. Work that waits on Redis (a join's bookkeeping) runs in a task of its
//! own, so that the reading never stops.

use std::sync::Arc;

use bytes::Bytes;
use redis::{PushInfo, PushKind, Value};
use tokio::sync::mpsc;

use super::protocol::{Answer, Ask, Header, decode};
use crate::hub::Hub;
use crate::hub::registry::{CloseReason, Frame};
use crate::stats::{Stats, stats};

pub(crate) fn spawn(hub: Arc<Hub>, mut pushes: mpsc::UnboundedReceiver<PushInfo>) {
    tokio::spawn(async move {
        while let Some(push) = pushes.recv().await {
            if let (PushKind::Message, [Value::BulkString(channel), Value::BulkString(message)]) =
                (&push.kind, push.data.as_slice())
            {
                let channel = String::from_utf8_lossy(channel).into_owned();
                heard(&hub, &channel, Bytes::from(message.clone()));
            }
        }
    });
}

fn heard(hub: &Arc<Hub>, channel: &str, message: Bytes) {
    let Some(cluster) = hub.cluster() else { return };
    Stats::add(&stats().cluster_messages_in);
    let Some((header, payload)) = decode(message) else {
        return tracing::warn!("cluster: ignoring a message on {channel} that is not wsh's");
    };
    let frame = |binary: bool| match binary {
        true => Frame::Binary(payload.clone()),
        false => Frame::from_body(payload.clone()),
    };
    match header {
        Header::Send { to, binary, limits } => {
            if let Err(e) = hub.local().send(&to, frame(binary), limits) {
                tracing::debug!(connection = %to, "cluster: a send from another node was not queued: {e:?}");
            }
        }
        Header::Close { to } => {
            let _ = hub.local().close(&to, CloseReason::new(1000, "closed by handler"));
        }
        Header::Publish { room, origin, except, binary, limits } => {
            // The publishing node delivered to its own members already.
            if origin != cluster.node {
                hub.local().publish(&room, &frame(binary), &except, limits);
            }
        }
        Header::Answer { req, answer } => cluster.answered(req, answer),
        Header::Ask { req, from, ask } => {
            let hub = hub.clone();
            tokio::spawn(async move {
                let answer = answer(&hub, ask).await;
                if let Some(cluster) = hub.cluster() {
                    cluster.answer(&from, req, answer).await;
                }
            });
        }
        Header::Lost { node } => cluster.mark_lost(&node),
        Header::Back { node } => cluster.mark_back(&node),
    }
}

/// What this node answers about one of its connections.
async fn answer(hub: &Hub, ask: Ask) -> Answer {
    let outcome = match ask {
        Ask::Info { to } => return hub.local().info(&to).map_or(Answer::Gone, |i| Answer::Info(i.into())),
        Ask::RoomsOf { to } => return Answer::Rooms { rooms: hub.local().rooms_of(&to) },
        Ask::Join { room, to } => hub.join_here(&room, &to).await,
        Ask::Leave { room, to } => hub.leave_here(&room, &to).await,
    };
    match outcome {
        Ok(()) => Answer::Done,
        Err(crate::hub::RoomError::Gone) => Answer::Gone,
        Err(e) => Answer::Invalid { why: e.to_string() },
    }
}
