// Whatever no route claims: says which route ran and what it got.

export function handler(event) {
  // Keys in serde_json's (sorted) order, so the reply matches the Rust example byte for byte.
  const reply = { body: event.body ?? null, isBase64Encoded: event.isBase64Encoded, route: event.requestContext.routeKey };
  return { statusCode: 200, body: JSON.stringify(reply) };
}
