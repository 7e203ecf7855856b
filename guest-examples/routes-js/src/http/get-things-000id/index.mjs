// GET /things/:id: API Gateway's HTTP API request (payload 2.0) in, a Lambda-style response out.
// `req.params` and `req.query` are Architect's shorthands for pathParameters and
// queryStringParameters; ARC_WSS_URL is the URL clients open sockets at.

export async function handler(req) {
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json', 'x-route': req.routeKey },
    cookies: ['seen=1'],
    body: JSON.stringify({
      id: req.params.id,
      q: req.query.q ?? null,
      method: req.method,
      wss: process.env.ARC_WSS_URL,
      body: req.body ?? null,
    }),
  };
}
