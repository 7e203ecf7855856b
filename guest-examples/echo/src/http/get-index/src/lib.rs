//! The seeds' `src/http/get-index`: the app's page, with the socket URL embedded.

use wsh_sdk::http::{Request, Response};

fn index(_req: Request) -> Response {
    // The URL comes from the environment (ARC_WSS_URL), as in Architect; JSON-encoding it makes it
    // a safe JavaScript string literal.
    let url = serde_json::to_string(&wsh_sdk::wss_url()).unwrap_or_default();
    Response::html(format!(
        r#"<!doctype html>
<html>
<head><meta charset=utf-8><title>WebSockets</title><link rel=icon href="data:,"></head>
<body>
<h1>WebSockets</h1>
<main>Loading...</main>
<input id=message type=text placeholder="Enter message" autofocus>
<script>
window.WS_URL = {url}
</script>
<script type=module src=/_static/index.mjs></script>
</body>
</html>
"#
    ))
}

wsh_sdk::http_handler!(index);
