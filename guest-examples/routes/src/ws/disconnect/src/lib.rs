//! Logs every disconnect, with the close code; the log is wsh's stdout.

use wsh_sdk::Event;

fn disconnect(event: Event) {
    let c = &event.request_context;
    println!(
        "disconnected {} code={} reason={:?}",
        c.connection_id,
        c.disconnect_status_code.unwrap_or_default(),
        c.disconnect_reason.as_deref().unwrap_or_default()
    );
}

wsh_sdk::handler!(disconnect);
