//! `get /`: counts a visit and shows the count; the page's socket counts more.

use wsh_sdk::http::{Request, Response};
use wsh_sdk::kv;

fn index(_req: Request) -> Result<Response, wsh_sdk::Error> {
    let visits = kv::increment("visits", 1)?;
    let url = serde_json::to_string(&wsh_sdk::wss_url())?;
    Ok(Response::html(format!(
        r#"<!doctype html>
<html>
<head><meta charset=utf-8><title>Visits</title><link rel=icon href="data:,"></head>
<body>
<h1>This page has been visited <span id=visits>{visits}</span> times</h1>
<button id=visit>Visit over the socket</button>
<script type=module>
const ws = new WebSocket({url})
ws.onmessage = (m) => {{ document.querySelector('#visits').textContent = JSON.parse(m.data).visits }}
document.querySelector('#visit').onclick = () => ws.send(JSON.stringify({{ action: 'visit' }}))
</script>
</body>
</html>
"#
    )))
}

wsh_sdk::http_handler!(index);
