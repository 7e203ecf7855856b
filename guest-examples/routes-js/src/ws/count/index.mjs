// A global counter. Every event runs in a fresh instance, so it answers 1 every time.

let count = 0;

export function handler() {
  count += 1;
  return { statusCode: 200, body: JSON.stringify({ count }) };
}
