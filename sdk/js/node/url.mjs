// Node's `url` for wsh handlers: the WHATWG `URL` and `URLSearchParams` (also the globals when a
// handler names them, which QuickJS lacks), and the legacy `url.parse`, `url.format`,
// `url.resolve`, `fileURLToPath`, `pathToFileURL`. Special schemes (http, https, ws, wss, file)
// and opaque ones (mailto:, urn:) are parsed; IDNA (punycode host names) is not done.

const DEFAULT_PORTS = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443', 'ftp:': '21', 'file:': '' };

function encodeQueryPart(text) {
  return encodeURIComponent(text).replace(/%20/g, '+').replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decodeQueryPart(text) {
  const s = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/%([0-9a-f]{2})/gi, (m, h) => {
      const c = parseInt(h, 16);
      return c < 0x80 ? String.fromCharCode(c) : m;
    });
  }
}

export class URLSearchParams {
  #list = [];
  #url = null;

  constructor(init = '') {
    if (typeof init === 'string') {
      this.#parse(init);
    } else if (init instanceof URLSearchParams) {
      this.#list = init.#list.map(([k, v]) => [k, v]);
    } else if (init != null && typeof init[Symbol.iterator] === 'function') {
      for (const pair of init) {
        const [k, v] = Array.from(pair);
        this.#list.push([String(k), String(v)]);
      }
    } else if (init != null && typeof init === 'object') {
      for (const k of Object.keys(init)) this.#list.push([k, String(init[k])]);
    }
  }

  #parse(text) {
    this.#list = [];
    for (const part of String(text).replace(/^\?/, '').split('&')) {
      if (!part) continue;
      const eq = part.indexOf('=');
      const k = eq < 0 ? part : part.slice(0, eq);
      const v = eq < 0 ? '' : part.slice(eq + 1);
      this.#list.push([decodeQueryPart(k), decodeQueryPart(v)]);
    }
  }

  static _attach(params, url, query) {
    params.#url = url;
    params.#parse(query);
  }

  #update() {
    if (this.#url) this.#url._setSearchFromParams(this.toString());
  }

  get size() {
    return this.#list.length;
  }

  append(name, value) {
    this.#list.push([String(name), String(value)]);
    this.#update();
  }

  delete(name, value) {
    this.#list = this.#list.filter(([k, v]) => k !== String(name) || (value !== undefined && v !== String(value)));
    this.#update();
  }

  get(name) {
    const found = this.#list.find(([k]) => k === String(name));
    return found ? found[1] : null;
  }

  getAll(name) {
    return this.#list.filter(([k]) => k === String(name)).map(([, v]) => v);
  }

  has(name, value) {
    return this.#list.some(([k, v]) => k === String(name) && (value === undefined || v === String(value)));
  }

  set(name, value) {
    const key = String(name);
    const i = this.#list.findIndex(([k]) => k === key);
    if (i < 0) {
      this.#list.push([key, String(value)]);
    } else {
      this.#list[i][1] = String(value);
      this.#list = this.#list.filter(([k], j) => k !== key || j <= i);
    }
    this.#update();
  }

  sort() {
    this.#list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.#update();
  }

  forEach(f, self) {
    for (const [k, v] of this.#list) f.call(self, v, k, this);
  }

  keys() {
    return this.#list.map(([k]) => k)[Symbol.iterator]();
  }

  values() {
    return this.#list.map(([, v]) => v)[Symbol.iterator]();
  }

  entries() {
    return this.#list.map(([k, v]) => [k, v])[Symbol.iterator]();
  }

  [Symbol.iterator]() {
    return this.entries();
  }

  toString() {
    return this.#list.map(([k, v]) => `${encodeQueryPart(k)}=${encodeQueryPart(v)}`).join('&');
  }
}

function percentEncode(text, keep) {
  let out = '';
  for (const ch of text) {
    if (keep.test(ch) || ch === '%') out += ch;
    else out += encodeURIComponent(ch);
  }
  return out;
}

const PATH_KEEP = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;
const QUERY_KEEP = /[A-Za-z0-9\-._~!$&'()*+,;=:@/?]/;
const FRAGMENT_KEEP = /[A-Za-z0-9\-._~!$&'()*+,;=:@/?#[\]{}|\\^`]/;
const USER_KEEP = /[A-Za-z0-9\-._~!$&'()*+,;=]/;

function normalizePath(path) {
  const out = [];
  const segments = path.split('/');
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    const last = i === segments.length - 1;
    if (seg === '..' || /^%2e%2e$/i.test(seg)) {
      if (out.length > 1) out.pop();
      if (last) out.push('');
    } else if (seg === '.' || /^%2e$/i.test(seg)) {
      if (last) out.push('');
    } else {
      out.push(seg);
    }
  }
  const joined = out.join('/');
  return joined.startsWith('/') ? joined : `/${joined}`;
}

function parseAbsolute(input) {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(input);
  if (!m) return null;
  const protocol = `${m[1].toLowerCase()}:`;
  let rest = m[2];
  const special = protocol in DEFAULT_PORTS;
  let hash = '';
  let search = '';
  const h = rest.indexOf('#');
  if (h >= 0) {
    hash = rest.slice(h);
    rest = rest.slice(0, h);
  }
  const q = rest.indexOf('?');
  if (q >= 0) {
    search = rest.slice(q);
    rest = rest.slice(0, q);
  }
  const u = { protocol, username: '', password: '', hostname: '', port: '', pathname: '', search, hash, opaque: false };
  if (special) rest = rest.replace(/\\/g, '/');
  if (rest.startsWith('//') || (special && protocol !== 'file:')) {
    // Special schemes take any number of slashes; file: exactly two (`file:///p` has no host).
    rest = protocol === 'file:' ? rest.slice(2) : rest.replace(/^\/*/, '');
    const slash = rest.indexOf('/');
    let authority = slash < 0 ? rest : rest.slice(0, slash);
    const path = slash < 0 ? '' : rest.slice(slash);
    const at = authority.lastIndexOf('@');
    if (at >= 0) {
      const userinfo = authority.slice(0, at);
      authority = authority.slice(at + 1);
      const colon = userinfo.indexOf(':');
      u.username = percentEncode(colon < 0 ? userinfo : userinfo.slice(0, colon), USER_KEEP);
      u.password = colon < 0 ? '' : percentEncode(userinfo.slice(colon + 1), USER_KEEP);
    }
    const port = /:(\d*)$/.exec(authority);
    let host = port && !authority.endsWith(']') ? authority.slice(0, port.index) : authority;
    if (port) {
      if (port[1] !== '') {
        const n = Number(port[1]);
        if (n > 65535) throw new TypeError(`Invalid URL: ${input}`);
        u.port = String(n) === DEFAULT_PORTS[protocol] ? '' : String(n);
      }
    }
    if (/[\s<>^|]/.test(host) || (special && protocol !== 'file:' && host === '')) throw new TypeError(`Invalid URL: ${input}`);
    host = special ? decodeURIComponent(host).toLowerCase() : host;
    u.hostname = host;
    u.pathname = special ? normalizePath(percentEncode(path || '/', PATH_KEEP)) : percentEncode(path, PATH_KEEP);
  } else if (protocol === 'file:') {
    u.pathname = normalizePath(percentEncode(rest.replace(/^\/*/, '/'), PATH_KEEP));
  } else if (rest.startsWith('/')) {
    u.pathname = normalizePath(percentEncode(rest, PATH_KEEP));
  } else {
    u.opaque = true;
    u.pathname = percentEncode(rest, /[^\s]/);
  }
  if (u.search) u.search = u.search === '?' ? '' : percentEncode(u.search, QUERY_KEEP);
  if (u.hash) u.hash = u.hash === '#' ? '' : percentEncode(u.hash, FRAGMENT_KEEP);
  return u;
}

export class URL {
  #u;
  #params;

  constructor(input, base) {
    const text = String(input).trim();
    let u = parseAbsolute(text);
    if (!u) {
      if (base === undefined) throw new TypeError(`Invalid URL: ${text}`);
      const b = base instanceof URL ? base.#u : new URL(base).#u;
      if (b.opaque) throw new TypeError(`Invalid URL: ${text}`);
      u = { ...b, search: '', hash: '' };
      let rest = text;
      const h = rest.indexOf('#');
      if (h >= 0) {
        u.hash = rest.length - h > 1 ? percentEncode(rest.slice(h), FRAGMENT_KEEP) : '';
        rest = rest.slice(0, h);
      }
      const q = rest.indexOf('?');
      if (q >= 0) {
        u.search = rest.length - q > 1 ? percentEncode(rest.slice(q), QUERY_KEEP) : '';
        rest = rest.slice(0, q);
      }
      if (rest.startsWith('//')) {
        return new URL(`${b.protocol}${text}`);
      } else if (rest.startsWith('/')) {
        u.pathname = normalizePath(percentEncode(rest, PATH_KEEP));
      } else if (rest === '') {
        if (q < 0) u.search = b.search;
      } else {
        const dir = b.pathname.slice(0, b.pathname.lastIndexOf('/') + 1);
        u.pathname = normalizePath(percentEncode(dir + rest, PATH_KEEP));
      }
    }
    this.#u = u;
    this.#params = new URLSearchParams();
    URLSearchParams._attach(this.#params, this, u.search);
  }

  static canParse(input, base) {
    try {
      new URL(input, base);
      return true;
    } catch {
      return false;
    }
  }

  _setSearchFromParams(query) {
    this.#u.search = query ? `?${query}` : '';
  }

  get protocol() { return this.#u.protocol; }
  set protocol(v) { this.#u.protocol = `${String(v).replace(/:.*$/, '').toLowerCase()}:`; }
  get username() { return this.#u.username; }
  set username(v) { this.#u.username = percentEncode(String(v), USER_KEEP); }
  get password() { return this.#u.password; }
  set password(v) { this.#u.password = percentEncode(String(v), USER_KEEP); }
  get hostname() { return this.#u.hostname; }
  set hostname(v) { this.#u.hostname = String(v).toLowerCase(); }
  get port() { return this.#u.port; }
  set port(v) {
    const p = String(v);
    this.#u.port = p === DEFAULT_PORTS[this.#u.protocol] ? '' : p;
  }
  get host() { return this.#u.port ? `${this.#u.hostname}:${this.#u.port}` : this.#u.hostname; }
  set host(v) {
    const [h, p = ''] = String(v).split(':');
    this.hostname = h;
    this.port = p;
  }
  get origin() {
    return this.#u.protocol in DEFAULT_PORTS && this.#u.protocol !== 'file:' ? `${this.#u.protocol}//${this.host}` : 'null';
  }
  get pathname() { return this.#u.pathname; }
  set pathname(v) { this.#u.pathname = normalizePath(percentEncode(String(v), PATH_KEEP)); }
  get search() { return this.#u.search; }
  set search(v) {
    const s = String(v).replace(/^\?/, '');
    this.#u.search = s ? `?${percentEncode(s, QUERY_KEEP)}` : '';
    URLSearchParams._attach(this.#params, this, this.#u.search);
  }
  get searchParams() { return this.#params; }
  get hash() { return this.#u.hash; }
  set hash(v) {
    const s = String(v).replace(/^#/, '');
    this.#u.hash = s ? `#${percentEncode(s, FRAGMENT_KEEP)}` : '';
  }
  get href() {
    const u = this.#u;
    if (u.opaque) return `${u.protocol}${u.pathname}${u.search}${u.hash}`;
    const auth = u.username || u.password ? `${u.username}${u.password ? `:${u.password}` : ''}@` : '';
    return `${u.protocol}//${auth}${this.host}${u.pathname}${u.search}${u.hash}`;
  }
  set href(v) {
    const next = new URL(v);
    this.#u = next.#u;
    URLSearchParams._attach(this.#params, this, this.#u.search);
  }

  toString() {
    return this.href;
  }

  toJSON() {
    return this.href;
  }
}

/** The legacy `url.parse(text, parseQueryString)`: a Url object (`protocol`, `slashes`, `auth`,
 *  `host`, `port`, `hostname`, `hash`, `search`, `query`, `pathname`, `path`, `href`). */
export function parse(text, parseQueryString = false, slashesDenoteHost = false) {
  if (text instanceof Url) return text;
  const out = new Url();
  let rest = String(text).trim();
  const h = rest.indexOf('#');
  if (h >= 0) {
    out.hash = rest.slice(h);
    rest = rest.slice(0, h);
  }
  const q = rest.indexOf('?');
  if (q >= 0) {
    out.search = rest.slice(q);
    out.query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const proto = /^([a-z][a-z0-9+.-]*:)/i.exec(rest);
  if (proto) {
    out.protocol = proto[1].toLowerCase();
    rest = rest.slice(proto[1].length);
  }
  if (rest.startsWith('//') && (out.protocol || slashesDenoteHost) && out.protocol !== 'javascript:') {
    out.slashes = true;
    rest = rest.slice(2);
    const slash = rest.indexOf('/');
    let authority = slash < 0 ? rest : rest.slice(0, slash);
    rest = slash < 0 ? '' : rest.slice(slash);
    const at = authority.lastIndexOf('@');
    if (at >= 0) {
      out.auth = decodeURIComponent(authority.slice(0, at));
      authority = authority.slice(at + 1);
    }
    const port = /:(\d*)$/.exec(authority);
    if (port) {
      out.port = port[1] || null;
      authority = authority.slice(0, port.index);
    }
    out.hostname = authority.toLowerCase();
    out.host = out.port ? `${out.hostname}:${out.port}` : out.hostname;
    if (!rest && out.protocol && out.protocol in DEFAULT_PORTS) rest = '/';
  }
  out.pathname = rest || (out.slashes ? '/' : null);
  if (out.pathname === null && !out.search) out.pathname = null;
  out.path = `${out.pathname ?? ''}${out.search ?? ''}` || null;
  if (parseQueryString) {
    const query = {};
    for (const [k, v] of new URLSearchParams(out.query ?? '')) {
      if (k in query) query[k] = [].concat(query[k], v);
      else query[k] = v;
    }
    out.query = query;
  }
  out.href = format(out);
  return out;
}

export function Url() {
  this.protocol = null;
  this.slashes = null;
  this.auth = null;
  this.host = null;
  this.port = null;
  this.hostname = null;
  this.hash = null;
  this.search = null;
  this.query = null;
  this.pathname = null;
  this.path = null;
  this.href = null;
}

/** The legacy `url.format(urlObject)` (a URL or a Url or a plain object). */
export function format(u) {
  if (typeof u === 'string') return format(parse(u));
  if (u instanceof URL) return u.href;
  const protocol = u.protocol ? (u.protocol.endsWith(':') ? u.protocol : `${u.protocol}:`) : '';
  let host = '';
  if (u.host) host = u.host;
  else if (u.hostname) host = u.port ? `${u.hostname}:${u.port}` : u.hostname;
  const auth = u.auth ? `${encodeURIComponent(u.auth).replace(/%3A/i, ':')}@` : '';
  const slashes = u.slashes || (host && protocol) || ['http:', 'https:', 'ws:', 'wss:', 'ftp:', 'file:'].includes(protocol);
  let search = u.search ?? '';
  if (!search && u.query && typeof u.query === 'object') {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(u.query)) for (const item of [].concat(v)) qs.append(k, item);
    search = qs.toString() ? `?${qs}` : '';
  } else if (!search && typeof u.query === 'string' && u.query) {
    search = `?${u.query}`;
  }
  if (search && !search.startsWith('?')) search = `?${search}`;
  let pathname = u.pathname ?? '';
  if (host && pathname && !pathname.startsWith('/')) pathname = `/${pathname}`;
  let hash = u.hash ?? '';
  if (hash && !hash.startsWith('#')) hash = `#${hash}`;
  return `${protocol}${slashes ? '//' : ''}${auth}${host}${pathname}${search}${hash}`;
}

/** The legacy `url.resolve(from, to)`. */
export function resolve(from, to) {
  const base = /^[a-z][a-z0-9+.-]*:/i.test(from) ? from : `resolve://${from.startsWith('/') ? '' : '/'}${from}`;
  const url = new URL(to, new URL(base));
  if (url.protocol === 'resolve:') {
    const { pathname, search, hash } = url;
    return from.startsWith('/') ? `${pathname}${search}${hash}` : `${pathname.slice(1)}${search}${hash}`;
  }
  return url.href;
}

export function fileURLToPath(url) {
  const u = typeof url === 'string' ? new URL(url) : url;
  if (u.protocol !== 'file:') throw new TypeError('The URL must be of scheme file');
  return decodeURIComponent(u.pathname);
}

export function pathToFileURL(path) {
  return new URL(`file://${encodeURI(String(path).startsWith('/') ? path : `/${path}`)}`);
}

export const domainToASCII = (d) => String(d).toLowerCase();
export const domainToUnicode = (d) => String(d);

export default { URL, URLSearchParams, parse, format, resolve, Url, fileURLToPath, pathToFileURL, domainToASCII, domainToUnicode };
