//! The server closes the caller's connection; `$disconnect` then runs.

use wsh_sdk::{Event, ws};

fn bye(event: Event) -> Result<(), wsh_sdk::Error> {
    ws::send(event.connection_id(), "bye")?;
    ws::close(event.connection_id())?;
    Ok(())
}

wsh_sdk::handler!(bye);
