// get /: the chat's page, with the socket URL embedded; public/index.mjs is its script.

export function handler () {
  // JSON-encoding the URL (ARC_WSS_URL) makes it a safe JavaScript string literal.
  const url = JSON.stringify(process.env.ARC_WSS_URL ?? 'ws://localhost:3333')
  return {
    type: 'text/html; charset=utf-8',
    body: `<!doctype html>
<html>
<head><meta charset=utf-8><title>Chat</title><link rel=icon href="data:,"></head>
<body>
<main>
<form id=join><input name=name placeholder=name required> <input name=room placeholder=room required> <button>Join</button></form>
<ul id=log></ul>
<form id=say><input name=text placeholder="say something" autocomplete=off> <button>Say</button></form>
</main>
<script>window.WS_URL = ${url}</script>
<script type=module src=/_static/index.mjs></script>
</body>
</html>
`
  }
}
