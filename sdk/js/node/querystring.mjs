// Node's `querystring` for wsh handlers: parse (decode), stringify (encode), escape, unescape.

function unescapeText(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/%([0-9a-f]{2})/gi, (m, h) => {
      const c = parseInt(h, 16);
      return c < 0x80 ? String.fromCharCode(c) : m;
    });
  }
}

export function unescape(text) {
  return unescapeText(String(text));
}

export function escape(text) {
  return encodeURIComponent(String(text));
}

function primitive(v) {
  if (typeof v === 'string') return v;
  if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return '';
}

/** `querystring.parse('a=1&b=2&b=3')` → `{ a: '1', b: ['2', '3'] }` (a null-prototype object). */
export function parse(text, sep = '&', eq = '=', options = {}) {
  const out = Object.create(null);
  if (typeof text !== 'string' || text.length === 0) return out;
  const decode = options.decodeURIComponent ?? unescape;
  let parts = text.split(sep);
  if (options.maxKeys > 0) parts = parts.slice(0, options.maxKeys);
  for (const part of parts) {
    if (!part) continue;
    const i = part.indexOf(eq);
    const k = decode((i < 0 ? part : part.slice(0, i)).replace(/\+/g, ' '));
    const v = i < 0 ? '' : decode(part.slice(i + eq.length).replace(/\+/g, ' '));
    if (!(k in out)) out[k] = v;
    else if (Array.isArray(out[k])) out[k].push(v);
    else out[k] = [out[k], v];
  }
  return out;
}

/** `querystring.stringify({ a: 1, b: ['2', '3'] })` → `'a=1&b=2&b=3'`. */
export function stringify(obj, sep = '&', eq = '=', options = {}) {
  if (obj === null || typeof obj !== 'object') return '';
  const encode = options.encodeURIComponent ?? escape;
  const parts = [];
  for (const k of Object.keys(obj)) {
    const key = encode(primitive(k));
    const v = obj[k];
    if (Array.isArray(v)) for (const item of v) parts.push(`${key}${eq}${encode(primitive(item))}`);
    else parts.push(`${key}${eq}${encode(primitive(v))}`);
  }
  return parts.join(sep);
}

export const decode = parse;
export const encode = stringify;

export default { parse, stringify, decode, encode, escape, unescape };
