//! `get /`: the chat's page, with the socket URL embedded; public/index.mjs is its script.

use wsh_sdk::http::{Request, Response};

fn index(_req: Request) -> Response {
    // JSON-encoding the URL (ARC_WSS_URL) makes it a safe JavaScript string literal.
    let url = serde_json::to_string(&wsh_sdk::wss_url()).unwrap_or_default();
    Response::html(format!(
        r#"<!doctype html>
<html>
<head><meta charset=utf-8><title>Chat</title><link rel=icon href="data:,"></head>
<body>
<main>
<form id=join><input name=name placeholder=name required> <input name=room placeholder=room required> <button>Join</button></form>
<ul id=log></ul>
<form id=say><input name=text placeholder="say something" autocomplete=off> <button>Say</button></form>
</main>
<script>window.WS_URL = {url}</script>
<script type=module src=/_static/index.mjs></script>
</body>
</html>
"#
    ))
}

wsh_sdk::http_handler!(index);
