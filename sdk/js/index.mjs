// Write a wsh WebSocket or HTTP handler in JavaScript, the way Architect's Lambda handlers are
// written:
//
//   import { ws } from '@wsh/sdk';
//   export async function handler(event, context) {
//     await ws.send({ id: event.requestContext.connectionId, payload: { hello: 'world' } });
//     return { statusCode: 200 };
//   }
//
// `node build.mjs` (beside this file) bundles the handler with this module and turns it into a
// component of the wsh:handler/ws-handler world (or, with `--world http-handler`, of the
// http-handler world, for an @http route). The handler runs in a fresh instance for every
// event: nothing it keeps in module scope survives to the next event.

import { send as witSend, close as witClose, info as witInfo } from 'wsh:handler/ws@0.2.0';
import {
  join as witJoin, leave as witLeave, publish as witPublish, members as witMembers, roomsOf as witRoomsOf,
} from 'wsh:handler/rooms@0.2.0';
import { getStdout } from 'wasi:cli/stdout@0.2.12';
import { getStderr } from 'wasi:cli/stderr@0.2.12';
import { getEnvironment } from 'wasi:cli/environment@0.2.12';
import { getRandomBytes } from 'wasi:random/random@0.2.12';
import { open as kvOpen } from 'wasi:keyvalue/store@0.2.0-draft2';
import { Cas, increment as kvIncrement, swap as kvSwap } from 'wasi:keyvalue/atomics@0.2.0-draft2';
import { getMany as kvGetMany, setMany as kvSetMany, deleteMany as kvDeleteMany } from 'wasi:keyvalue/batch@0.2.0-draft2';

// --- Promises in a synchronous export -------------------------------------------------------
//
// The WIT export `handle` is a plain (not `async`) function, and QuickJS in componentize-qjs'
// non-async runtime never runs its job queue during such a call: a native Promise returned by
// `handler` would never settle. So for QuickJS builds, build.mjs has esbuild lower async
// functions to generators driven through the global `Promise`, and here `Promise` becomes
// QueuedPromise, whose reactions go to a queue that `handle` drains before returning. Host
// calls are synchronous, so every `await ws.send(...)` settles within that drain.
// StarlingMonkey runs its own event loop until a returned Promise settles: nothing to do there.

const jobs = [];

function drainJobs() {
  // Jobs queue more jobs; FIFO order is what the spec's microtask queue gives.
  for (let i = 0; i < jobs.length; i++) jobs[i]();
  jobs.length = 0;
}

class QueuedPromise {
  #state = 'pending';
  #value;
  #reactions = [];

  constructor(executor) {
    let done = false;
    const resolve = (v) => { if (!done) { done = true; this.#resolve(v); } };
    const reject = (r) => { if (!done) { done = true; this.#settle('rejected', r); } };
    try { executor(resolve, reject); } catch (e) { reject(e); }
  }

  #resolve(v) {
    if (v === this) return this.#settle('rejected', new TypeError('a promise cannot resolve to itself'));
    if (v !== null && (typeof v === 'object' || typeof v === 'function')) {
      let then;
      try { then = v.then; } catch (e) { return this.#settle('rejected', e); }
      if (typeof then === 'function') {
        jobs.push(() => {
          let called = false;
          const once = (f) => (x) => { if (!called) { called = true; f(x); } };
          try {
            then.call(v, once((x) => this.#resolve(x)), once((r) => this.#settle('rejected', r)));
          } catch (e) {
            once((r) => this.#settle('rejected', r))(e);
          }
        });
        return;
      }
    }
    this.#settle('fulfilled', v);
  }

  #settle(state, value) {
    this.#state = state;
    this.#value = value;
    jobs.push(...this.#reactions);
    this.#reactions = null;
  }

  then(onFulfilled, onRejected) {
    return new QueuedPromise((resolve, reject) => {
      const react = () => {
        const ok = this.#state === 'fulfilled';
        const f = ok ? onFulfilled : onRejected;
        if (typeof f !== 'function') return (ok ? resolve : reject)(this.#value);
        try { resolve(f(this.#value)); } catch (e) { reject(e); }
      };
      if (this.#state === 'pending') this.#reactions.push(react);
      else jobs.push(react);
    });
  }

  catch(onRejected) {
    return this.then(undefined, onRejected);
  }

  finally(f) {
    if (typeof f !== 'function') return this.then(f, f);
    return this.then(
      (v) => QueuedPromise.resolve(f()).then(() => v),
      (r) => QueuedPromise.resolve(f()).then(() => { throw r; }),
    );
  }

  /** `[state, value]`, without waiting: what `handle` needs after draining the queue. */
  static peek(p) {
    return [p.#state, p.#value];
  }

  static resolve(v) {
    return v instanceof QueuedPromise ? v : new QueuedPromise((resolve) => resolve(v));
  }

  static reject(r) {
    return new QueuedPromise((_, reject) => reject(r));
  }

  static withResolvers() {
    let resolve, reject;
    const promise = new QueuedPromise((y, n) => { resolve = y; reject = n; });
    return { promise, resolve, reject };
  }

  static all(items) {
    return new QueuedPromise((resolve, reject) => {
      const values = [];
      let left = 1;
      const done = () => { if (--left === 0) resolve(values); };
      let i = 0;
      for (const item of items) {
        const k = i++;
        left++;
        QueuedPromise.resolve(item).then((v) => { values[k] = v; done(); }, reject);
      }
      done();
    });
  }

  static allSettled(items) {
    return QueuedPromise.all(Array.from(items, (item) => QueuedPromise.resolve(item).then(
      (value) => ({ status: 'fulfilled', value }),
      (reason) => ({ status: 'rejected', reason }),
    )));
  }

  static any(items) {
    return new QueuedPromise((resolve, reject) => {
      const reasons = [];
      let left = 1;
      const done = () => { if (--left === 0) reject(new AggregateError(reasons, 'all promises were rejected')); };
      let i = 0;
      for (const item of items) {
        const k = i++;
        left++;
        QueuedPromise.resolve(item).then(resolve, (r) => { reasons[k] = r; done(); });
      }
      done();
    });
  }

  static race(items) {
    return new QueuedPromise((resolve, reject) => {
      for (const item of items) QueuedPromise.resolve(item).then(resolve, reject);
    });
  }
}

const queued = globalThis.__wshBackend === 'qjs';
if (queued) {
  globalThis.Promise = QueuedPromise;
  globalThis.queueMicrotask = (f) => { jobs.push(f); };
}

// --- console ------------------------------------------------------------------------------
//
// QuickJS has none. Lines go to WASI stdout/stderr, which wsh prints prefixed with the route.

function utf8(text) {
  // No TextEncoder in QuickJS: percent-encoding yields the UTF-8 bytes.
  const bin = unescape(encodeURIComponent(text));
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function show(value) {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return value.stack ? `${value}\n${value.stack}` : String(value);
  try {
    const json = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? Number(v) : v));
    return json === undefined ? String(value) : json;
  } catch {
    return String(value);
  }
}

function writer(getStream) {
  return (...args) => {
    const bytes = utf8(args.map(show).join(' ') + '\n');
    const stream = getStream();
    // blocking-write-and-flush takes at most 4096 bytes per call.
    for (let i = 0; i < bytes.length; i += 4096) stream.blockingWriteAndFlush(bytes.subarray(i, i + 4096));
  };
}

if (typeof globalThis.console === 'undefined') {
  const log = writer(getStdout);
  const error = writer(getStderr);
  globalThis.console = { log, info: log, debug: log, warn: error, error, trace: error };
}

// --- process.env -----------------------------------------------------------------------------
//
// The component is a snapshot taken after this module (and the handler's) ran at build time,
// so anything read then is the build's environment. `process.env` is therefore read from
// wasi:cli/environment when first touched in an event (`ARC_WSS_URL`, set by the host for every
// instance), and forgotten when the next call starts.

let environment = null;

/** The instance's environment (read once per event, when first needed). */
function env() {
  return (environment ??= Object.fromEntries(getEnvironment()));
}

if (globalThis.process?.env === undefined) {
  const proc = (globalThis.process ??= {});
  Object.defineProperty(proc, 'env', {
    configurable: true,
    enumerable: true,
    get: env,
    set(value) { environment = value; },
  });
  // What Node code reaches for most often besides env (path.resolve calls cwd(); events and
  // stream code defer with nextTick). A handler has no filesystem: its directory is `/`.
  proc.cwd ??= () => '/';
  proc.nextTick ??= (f, ...args) => queueMicrotask(() => f(...args));
  proc.platform ??= 'wasi';
  proc.argv ??= [];
}

// --- randomness -------------------------------------------------------------------------------
//
// The component is a snapshot: QuickJS's own Math.random state was seeded at build time, so
// every instance would draw the same numbers. Drawn from wasi:random instead, when called.

/** `n` cryptographically random bytes from the host. */
export function __wshRandomBytes(n) {
  return getRandomBytes(queued ? n : BigInt(n));
}

if (queued) {
  Math.random = function random() {
    const b = getRandomBytes(7);
    // 53 random bits: 5 from the first byte and 8 from each of the other six.
    let n = b[0] & 0x1f;
    for (let i = 1; i < 7; i++) n = n * 256 + b[i];
    return n / 9007199254740992;
  };
}

// --- CommonJS-style handler files -----------------------------------------------------------
//
// Architect handlers end with `exports.handler = async function (event) {...}`. In an ES module
// (any file with an `import`) `exports` is not defined; this module is evaluated before the
// handler's body (it is imported first), so a global stands in for it.
globalThis.module ??= { exports: {} };
globalThis.exports ??= globalThis.module.exports;

// --- ws: Architect's arc.ws ----------------------------------------------------------------

const WS_ERRORS = {
  gone: ['GoneException', 410, 'connection is gone'],
  'payload-too-large': ['PayloadTooLargeException', 413, 'payload too large'],
  'slow-consumer': ['SlowConsumerException', 429, 'connection is not reading (slow consumer)'],
  unavailable: ['UnavailableException', 503, 'connection unavailable'],
};

/** A `ws-error` from the host as the Error an AWS SDK call would throw. */
function wsError(e, id) {
  const kind = e?.payload?.tag ?? e?.payload;
  const known = WS_ERRORS[kind];
  if (!known) return e;
  const [code, statusCode, text] = known;
  // `unavailable` carries the host's reason (e.g. the cluster's Redis is down): the connection
  // may still be live, and a later call may reach it.
  const why = typeof e.payload === 'object' && typeof e.payload.val === 'string' ? e.payload.val : null;
  const err = new Error(why == null ? `${text}: ${id}` : `${text}: ${id} (${why}); it may still be live, try again later`);
  err.name = code;
  err.code = code; // AWS SDK v2 style: `if (err.code === 'GoneException')`
  err.statusCode = statusCode;
  err.kind = kind; // the WIT case: 'gone', 'payload-too-large', 'slow-consumer', 'unavailable'
  if (why != null) err.reason = why;
  return err;
}

function callHost(f, id) {
  if (typeof id !== 'string') throw new TypeError(`ws: id must be a connection id string, got ${typeof id}`);
  try {
    return f(id);
  } catch (e) {
    throw wsError(e, id);
  }
}

/** A payload as a frame: strings and bytes as they are, anything else as JSON text. */
function frame(payload) {
  if (typeof payload === 'string') return { tag: 'text', val: payload };
  if (payload instanceof Uint8Array) return { tag: 'binary', val: payload };
  if (payload instanceof ArrayBuffer) return { tag: 'binary', val: new Uint8Array(payload) };
  if (ArrayBuffer.isView(payload)) {
    return { tag: 'binary', val: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength) };
  }
  const json = JSON.stringify(payload);
  if (json === undefined) throw new TypeError(`payload ${String(payload)} cannot be sent: it has no JSON form`);
  return { tag: 'text', val: json };
}

function toInfo(i) {
  const identity = { sourceIp: i.identity.sourceIp };
  if (i.identity.userAgent != null) identity.userAgent = i.identity.userAgent;
  return {
    connectionId: i.connectionId,
    connectedAt: Number(i.connectedAt),
    lastActiveAt: Number(i.lastActiveAt),
    identity,
  };
}

// Async like arc.ws, so that `await` and `.catch` work; the host call itself happens before the
// first `await` returns, so even an un-awaited send is queued.
export const ws = {
  /** Sends `payload` to connection `id`: a string as a text frame, bytes as a binary frame,
   *  anything else as its JSON text (`JSON.stringify`). */
  async send({ id, payload }) {
    const data = frame(payload);
    callHost((id) => witSend(id, data), id);
  },
  /** Closes connection `id` (code 1000); its `$disconnect` handler runs. */
  async close({ id }) {
    callHost(witClose, id);
  },
  /** `{ connectionId, connectedAt, lastActiveAt, identity: { sourceIp, userAgent } }`. */
  async info({ id }) {
    return toInfo(callHost(witInfo, id));
  },
};

/** The host's ws calls for the AWS SDK clients (aws/): synchronous; failures throw what
 *  `ws` rejects with (`kind` says which). Bytes that are UTF-8 go as a text frame, as API
 *  Gateway's `@connections` POST (and wsh's) sends them; other bytes as a binary frame. */
export const __wshConnections = {
  post(id, data) {
    let f;
    if (typeof data === 'string') {
      f = { tag: 'text', val: data };
    } else {
      const text = utf8Text(data);
      f = text === null ? { tag: 'binary', val: data } : { tag: 'text', val: text };
    }
    callHost((id) => witSend(id, f), id);
  },
  info(id) {
    return toInfo(callHost(witInfo, id));
  },
  close(id) {
    callHost(witClose, id);
  },
};

// --- rooms: named groups of connections, for fan-out -----------------------------------------
//
// One `publish` queues one payload for every member of a room, on the host: no table of ids to
// scan, no send per member. Host calls are synchronous, so every method is too (`await` on one
// still works). Nothing is set up until a method is called.

const ROOMS_CODES = {
  gone: 'Gone',
  'invalid-room': 'InvalidRoom',
  'payload-too-large': 'PayloadTooLarge',
  unavailable: 'Unavailable',
};

/** A rooms call that did not happen. `code`: 'Gone' | 'InvalidRoom' | 'PayloadTooLarge' |
 *  'Unavailable'; `room` the room the call was about (undefined for `roomsOf`); `reason` the
 *  host's own words for 'InvalidRoom' and 'Unavailable'. */
export class RoomsError extends Error {
  constructor(code, message, room, reason) {
    super(message);
    this.name = 'RoomsError';
    this.code = code;
    this.room = room;
    if (reason != null) this.reason = reason;
  }
}

/** A `rooms-error` from the host (thrown by the bindings with the variant as `payload`) as a
 *  RoomsError; `room` and `id` are the call's, for the message. */
function roomsError(e, room, id) {
  const kind = e?.payload?.tag ?? e?.payload;
  const code = ROOMS_CODES[kind];
  if (!code) return e;
  const why = typeof e.payload === 'object' && typeof e.payload.val === 'string' ? e.payload.val : null;
  // A room name in a message: quoted, and cut short when long (an invalid one may be huge).
  const name = typeof room === 'string' ? JSON.stringify(room.length > 64 ? `${room.slice(0, 64)}...` : room) : '';
  let text;
  if (code === 'Gone') text = `connection is gone: ${id}`;
  else if (code === 'InvalidRoom') text = `invalid room ${name}: ${why}`;
  else if (code === 'PayloadTooLarge') text = `payload too large for room ${name}`;
  else text = `rooms unavailable: ${why}; try again later`;
  return new RoomsError(code, text, room, why);
}

function checkRoom(what, room) {
  if (typeof room !== 'string') throw new TypeError(`rooms.${what}: a room is a string, got ${typeof room}`);
}

function checkId(what, id) {
  if (typeof id !== 'string') throw new TypeError(`rooms.${what}: id must be a connection id string, got ${typeof id}`);
}

/** Runs a host call, its errors as RoomsError. */
function roomsCall(f, room, id) {
  try {
    return f();
  } catch (e) {
    throw roomsError(e, room, id);
  }
}

const MAX_PAGE = 1000;

export const rooms = {
  /** Adds connection `id` to `room` (made when its first member joins); joining twice is one
   *  membership. Throws RoomsError 'Gone' when the connection is not live. */
  join(room, id) {
    checkRoom('join', room);
    checkId('join', id);
    roomsCall(() => witJoin(room, id), room, id);
  },

  /** Takes connection `id` out of `room`; not being in it is no error. */
  leave(room, id) {
    checkRoom('leave', room);
    checkId('leave', id);
    roomsCall(() => witLeave(room, id), room, id);
  },

  /** Sends `payload` to every member of `room` but the ids in `except` (a string: that one
   *  id), as `ws.send` sends it: a string as a text frame, bytes as a binary frame, anything
   *  else as its JSON text. Returns how many members it was queued for. */
  publish(room, payload, { except = [] } = {}) {
    checkRoom('publish', room);
    const skip = typeof except === 'string' ? [except] : Array.from(except ?? []);
    for (const id of skip) checkId('publish (except)', id);
    const data = frame(payload);
    return roomsCall(() => witPublish(room, data, skip), room);
  },

  /** Every member of `room`, by connection id (in id order), read a page at a time. */
  members(room) {
    const all = [];
    let cursor;
    do {
      const page = rooms.membersPage(room, { cursor });
      for (const id of page.members) all.push(id);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return all;
  },

  /** Up to `limit` (1-1000) members of `room` after `cursor` (none: from the first):
   *  `{ members, cursor }`, `cursor` being the next page's, `undefined` after the last. */
  membersPage(room, { cursor, limit = MAX_PAGE } = {}) {
    checkRoom('membersPage', room);
    if (cursor != null && typeof cursor !== 'string') throw new TypeError(`rooms.membersPage: a cursor is a string, got ${typeof cursor}`);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw new RangeError(`rooms.membersPage: limit must be an integer from 1 to ${MAX_PAGE}, got ${String(limit)}`);
    }
    const page = roomsCall(() => witMembers(room, cursor ?? null, limit), room);
    return { members: Array.from(page.members), cursor: page.cursor ?? undefined };
  },

  /** The rooms connection `id` is in, by name (none for a connection that is gone). */
  roomsOf(id) {
    checkId('roomsOf', id);
    return Array.from(roomsCall(() => witRoomsOf(id), undefined, id));
  },
};

// --- kv: the app's key-value store (wasi:keyvalue) ------------------------------------------
//
// Values are bytes in the store; this API stores JSON text on top (bytes as they are). Host
// calls are synchronous, so every method is too (`await` on one still works). A bucket is
// opened when first used in an event: a handler that never touches kv never opens one.

const KV_CODES = { 'no-such-store': 'NoSuchBucket', 'access-denied': 'AccessDenied', other: 'Other' };

/** A key-value call that did not happen. `code`: 'NoSuchBucket' | 'AccessDenied' | 'Other'. */
export class KvError extends Error {
  constructor(code, message, bucket) {
    super(message);
    this.name = 'KvError';
    this.code = code;
    this.bucket = bucket;
  }
}

/** A store `error` (thrown by the bindings with the variant as `payload`) as a KvError. */
function kvError(e, bucket) {
  const tag = e?.payload?.tag;
  const code = KV_CODES[tag];
  if (!code) return e;
  let text;
  if (code === 'NoSuchBucket') text = `no key-value bucket '${bucket}': declare it in app.arc with \`@wsh kv-buckets ${bucket}\``;
  else if (code === 'AccessDenied') text = `access to the key-value bucket '${bucket}' is denied`;
  else text = String(e.payload.val);
  return new KvError(code, text, bucket);
}

/** UTF-8 text of `bytes`, or null when they are not UTF-8 (no TextDecoder in QuickJS). */
function utf8Text(bytes) {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 127) { ascii = false; break; }
  let bin = '';
  for (let i = 0; i < bytes.length; i += 8192) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
  if (ascii) return bin;
  try { return decodeURIComponent(escape(bin)); } catch { return null; }
}

/** A stored value as `get` returns it: its JSON, else its text, else its bytes. */
function fromStored(bytes) {
  if (bytes == null) return undefined;
  const text = utf8Text(bytes);
  if (text === null) return bytes;
  try { return JSON.parse(text); } catch { return text; }
}

/** A value as `set` stores it: bytes as they are, anything else as its JSON text. */
function toStored(value, what = 'value') {
  const bytes = asBytes(value);
  if (bytes) return bytes;
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`kv: ${what} ${String(value)} has no JSON form (use kv.delete to remove a key)`);
  return utf8(json);
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether the stored `bytes` (null: absent) are what `expected` (undefined: absent) means. */
function matches(bytes, expected) {
  if (expected === undefined || bytes == null) return expected === undefined && bytes == null;
  const want = asBytes(expected);
  if (want) return sameBytes(bytes, want);
  const current = fromStored(bytes);
  if (current instanceof Uint8Array) return false;
  // As JSON text, so that `{a: 1}` matches an equal object however the stored text is spaced.
  return JSON.stringify(current) === JSON.stringify(expected);
}

function checkKey(key) {
  if (typeof key !== 'string') throw new TypeError(`kv: a key is a string, got ${typeof key}`);
  return key;
}

function keyList(keys) {
  const list = Array.from(keys);
  list.forEach(checkKey);
  return list;
}

/** One bucket of the store: `kv` is the app's `default` bucket, `kv.bucket(name)` another one
 *  (declared in app.arc with `@wsh kv-buckets <name>`). */
class Bucket {
  #handle = null;

  constructor(name) {
    /** The bucket's name, as given to `kv.bucket`. */
    this.name = name;
  }

  /** The store's handle, opened at the first call of an event (a fresh instance each time). */
  #open() {
    if (this.#handle === null) {
      try {
        this.#handle = kvOpen(this.name);
      } catch (e) {
        throw kvError(e, this.name);
      }
    }
    return this.#handle;
  }

  /** Runs `f(handle)`, store errors as KvError. */
  #call(f) {
    const handle = this.#open();
    try {
      return f(handle);
    } catch (e) {
      throw kvError(e, this.name);
    }
  }

  /** Another bucket of the store, declared in app.arc with `@wsh kv-buckets <name>`. */
  bucket(name) {
    if (typeof name !== 'string') throw new TypeError(`kv.bucket: a name is a string, got ${typeof name}`);
    if (name === '' || name === 'default') return kv;
    let b = buckets.get(name);
    if (!b) buckets.set(name, (b = new Bucket(name)));
    return b;
  }

  /** The value at `key` parsed as JSON; `undefined` when absent. A value that is not JSON comes
   *  back as a string (UTF-8) or a Uint8Array. */
  get(key) {
    checkKey(key);
    return fromStored(this.#call((h) => h.get(key)));
  }

  /** Stores `value` as `JSON.stringify(value)`; a Uint8Array/ArrayBuffer as its bytes. */
  set(key, value) {
    checkKey(key);
    const bytes = toStored(value);
    this.#call((h) => h.set(key, bytes));
  }

  /** The bytes at `key` (a Uint8Array), `undefined` when absent. */
  getBytes(key) {
    checkKey(key);
    return this.#call((h) => h.get(key)) ?? undefined;
  }

  /** Stores bytes as they are (a string as its UTF-8). */
  setBytes(key, bytes) {
    checkKey(key);
    const value = typeof bytes === 'string' ? utf8(bytes) : asBytes(bytes);
    if (!value) throw new TypeError(`kv.setBytes: expected a Uint8Array, ArrayBuffer or string, got ${typeof bytes}`);
    this.#call((h) => h.set(key, value));
  }

  /** Removes `key`; a key that is not there is no error. */
  delete(key) {
    checkKey(key);
    this.#call((h) => h.delete(key));
  }

  exists(key) {
    checkKey(key);
    return this.#call((h) => h.exists(key));
  }

  /** Every key of the bucket, read a page at a time. */
  keys() {
    const all = [];
    let cursor;
    do {
      const page = this.keysPage(cursor);
      for (const k of page.keys) all.push(k);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return all;
  }

  /** One page of keys (up to 1000) from `cursor` (none: the first page); `cursor` of the result
   *  is the next page's, `undefined` after the last. */
  keysPage(cursor) {
    if (cursor != null && typeof cursor !== 'string') throw new TypeError(`kv.keysPage: a cursor is a string, got ${typeof cursor}`);
    const page = this.#call((h) => h.listKeys(cursor ?? null));
    return { keys: Array.from(page.keys), cursor: page.cursor ?? undefined };
  }

  /** Adds `delta` (default 1) to the integer at `key` (0 when absent), atomically; the new
   *  value. Stored as decimal text, so `get` reads it as a number. */
  increment(key, delta = 1) {
    checkKey(key);
    if (!Number.isSafeInteger(delta)) throw new RangeError(`kv.increment: delta must be a safe integer, got ${String(delta)}`);
    const n = this.#call((h) => kvIncrement(h, key, queued ? delta : BigInt(delta)));
    if (typeof n === 'bigint' ? n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER) : !Number.isSafeInteger(n)) {
      throw new RangeError(`kv.increment: the value at '${key}' is now beyond Number.MAX_SAFE_INTEGER; read it with getBytes`);
    }
    return Number(n);
  }

  /** Sets `key` to `value` if it holds `expected` (`undefined`: if it is absent), atomically:
   *  true if it did. Values compare as the JSON text `set` would store (bytes as bytes). */
  compareAndSwap(key, expected, value) {
    checkKey(key);
    const bytes = toStored(value);
    const cas = this.#call((h) => Cas.new(h, key));
    let current;
    try {
      current = this.#call(() => cas.current());
    } catch (e) {
      cas[Symbol.dispose]?.();
      throw e;
    }
    if (!matches(current, expected)) {
      cas[Symbol.dispose]?.();
      return false;
    }
    try {
      kvSwap(cas, bytes);
      return true;
    } catch (e) {
      if (e?.payload?.tag === 'cas-failed') {
        e.payload.val?.[Symbol.dispose]?.();
        return false;
      }
      throw kvError(e?.payload?.tag === 'store-error' ? { payload: e.payload.val } : e, this.name);
    }
  }

  /** Replaces the value at `key` with `fn(current)` (`current` as `get` returns it, `undefined`
   *  when absent), atomically: when another writer came in between, `fn` runs again on the
   *  newer value. Returns what `fn` returned, as stored. `fn` must be synchronous. */
  update(key, fn) {
    checkKey(key);
    if (typeof fn !== 'function') throw new TypeError('kv.update: the second argument is a function (current) => next');
    let cas = this.#call((h) => Cas.new(h, key));
    for (;;) {
      let next, bytes;
      try {
        next = fn(fromStored(this.#call(() => cas.current())));
        if (next !== null && typeof next?.then === 'function') {
          throw new TypeError('kv.update: the function returned a promise; it must return the new value');
        }
        bytes = toStored(next, 'new value');
      } catch (e) {
        cas[Symbol.dispose]?.();
        throw e;
      }
      try {
        kvSwap(cas, bytes);
        return next;
      } catch (e) {
        if (e?.payload?.tag !== 'cas-failed') {
          throw kvError(e?.payload?.tag === 'store-error' ? { payload: e.payload.val } : e, this.name);
        }
        cas = e.payload.val; // a new cas at the value that won
      }
    }
  }

  /** The values of `keys` (as `get` returns them), `undefined` where absent. */
  getMany(keys) {
    const list = keyList(keys);
    const found = this.#call((h) => kvGetMany(h, list));
    return Array.from(found, (pair) => (pair == null ? undefined : fromStored(pair[1])));
  }

  /** Sets every pair of `entries`: an object, a Map or an iterable of `[key, value]`. Not
   *  atomic: a failure may leave some set. */
  setMany(entries) {
    const pairs = [];
    const it = typeof entries?.[Symbol.iterator] === 'function' ? entries : Object.entries(entries ?? {});
    for (const [k, v] of it) pairs.push([checkKey(k), toStored(v)]);
    if (pairs.length) this.#call((h) => kvSetMany(h, pairs));
  }

  /** Removes every key of `keys`. */
  deleteMany(keys) {
    const list = keyList(keys);
    if (list.length) this.#call((h) => kvDeleteMany(h, list));
  }
}

const buckets = new Map();

/** The app's `default` bucket; `kv.bucket(name)` for another. */
export const kv = /* @__PURE__ */ new Bucket('default');

/** Architect's `arc.static(path)`: the URL of a file of the app's `@static` folder, which wsh
 *  serves at `/_static/` (Architect's sandbox does the same; wsh does not fingerprint). */
function staticUrl(path) {
  return `/_static/${String(path).replace(/^\/+/, '')}`;
}

/** `arc.http.helpers.static`, as Architect 5 had it, and `arc.static`. */
export const http = { helpers: { static: staticUrl } };
export { staticUrl as static };

export default { ws, kv, KvError, rooms, RoomsError, http, static: staticUrl };

// --- the event and the response ------------------------------------------------------------

const object = (pairs) => (pairs == null ? undefined : Object.fromEntries(pairs));

/** The WIT event as the object a Lambda behind API Gateway receives; absent fields are absent. */
function toEvent(e) {
  const c = e.requestContext;
  const identity = { sourceIp: c.identity.sourceIp };
  if (c.identity.userAgent != null) identity.userAgent = c.identity.userAgent;
  const rc = {
    routeKey: c.routeKey,
    eventType: c.eventType.toUpperCase(),
    connectionId: c.connectionId,
    requestId: c.requestId,
    messageId: c.messageId ?? undefined,
    connectedAt: Number(c.connectedAt),
    requestTimeEpoch: Number(c.requestTimeEpoch),
    requestTime: c.requestTime,
    extendedRequestId: c.extendedRequestId,
    messageDirection: c.messageDirection,
    domainName: c.domainName,
    stage: c.stage,
    apiId: c.apiId,
    identity,
    disconnectStatusCode: c.disconnectStatusCode ?? undefined,
    disconnectReason: c.disconnectReason ?? undefined,
    authorizer: undefined,
  };
  if (c.authorizer != null) {
    try { rc.authorizer = JSON.parse(c.authorizer); } catch { /* not JSON: as absent, like the Rust SDK */ }
  }
  const event = {
    requestContext: rc,
    headers: object(e.headers),
    multiValueHeaders: object(e.multiValueHeaders),
    queryStringParameters: object(e.queryStringParameters),
    multiValueQueryStringParameters: object(e.multiValueQueryStringParameters),
    body: e.body ?? undefined,
    isBase64Encoded: e.isBase64Encoded,
  };
  if (e.methodArn != null) {
    // A call to the $connect authorizer: API Gateway's REQUEST authorizer event.
    event.type = 'REQUEST';
    event.methodArn = e.methodArn;
  }
  compact(rc);
  return compact(event);
}

/** Deletes the keys whose value is undefined: API Gateway leaves absent fields out. */
function compact(o) {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

/** What `handler` returned as the WIT response. Nothing means 200. */
function toResponse(r) {
  if (r == null) return { statusCode: 200, body: null, headers: [] };
  if (typeof r !== 'object') throw new TypeError(`handler returned a ${typeof r}; return { statusCode, body?, headers? } or nothing`);
  const statusCode = r.statusCode ?? 200;
  if (!Number.isInteger(statusCode) || statusCode < 0 || statusCode > 65535) {
    throw new TypeError(`statusCode ${String(statusCode)} is not an HTTP status`);
  }
  let body = null;
  if (r.body != null) {
    // Lambda's convention for bytes: base64 text flagged isBase64Encoded.
    body = r.isBase64Encoded && typeof r.body === 'string'
      ? { tag: 'binary', val: Uint8Array.from(atob(r.body), (ch) => ch.charCodeAt(0)) }
      : frame(r.body);
  }
  const headers = Object.entries(r.headers ?? {}).map(([k, v]) => [k, String(v)]);
  return { statusCode, body, headers };
}

/** A stack trace with bundle positions replaced by the handler's files and lines (build.mjs). */
function sourceStack(stack) {
  let table;
  try { table = JSON.parse(globalThis.__wshLines); } catch { return stack; }
  return stack.replace(/[^\s()@]*\.bundle\.mjs:(\d+)(?::\d+)?/g, (at, line) => {
    const origin = table.lines[line - 1];
    return origin ? `${table.sources[origin[0]]}:${origin[1]}` : at;
  });
}

function message(e) {
  if (e instanceof Error) {
    // The stack goes to the log; the host logs the message with the route and request id.
    if (e.stack) console.error(sourceStack(String(e.stack).trimEnd()));
    return String(e);
  }
  return typeof e === 'string' ? e : show(e);
}

// --- the $connect authorizer ------------------------------------------------------------------
//
// Called with API Gateway's REQUEST authorizer event (`type: 'REQUEST'`, `methodArn`), it
// answers with a policy (`{ principalId, policyDocument, context }`) or `{ isAuthorized,
// context }`: the host reads that as JSON from a 200 body. `throw new Error('Unauthorized')` is
// API Gateway's way to answer 401.

const UNAUTHORIZED = { statusCode: 401, body: { tag: 'text', val: '{"message":"Unauthorized"}' }, headers: [] };

function isUnauthorized(e) {
  return e === 'Unauthorized' || (e instanceof Error && e.message === 'Unauthorized');
}

/** The authorizer's answer as the WIT response: its JSON as a 200 body, unless it is already a
 *  response (has a `statusCode`). */
function toAuthorizerResponse(r) {
  if (r == null || (typeof r === 'object' && 'statusCode' in r)) return toResponse(r);
  return { statusCode: 200, body: frame(r), headers: [['content-type', 'application/json']] };
}

// --- @http: API Gateway's HTTP API payload 2.0 --------------------------------------------------

/** The WIT request as the object a Lambda behind an HTTP API receives (payload format 2.0), plus
 *  Architect's `method`, `path`, `params` and `query`. Empty fields are absent, as API Gateway
 *  leaves them out. */
function toRequest(r) {
  const c = r.requestContext;
  const http = { method: r.method, path: r.rawPath, sourceIp: c.sourceIp };
  if (c.userAgent != null) http.userAgent = c.userAgent;
  const query = Object.fromEntries(r.queryStringParameters);
  const params = Object.fromEntries(r.pathParameters);
  const req = {
    version: '2.0',
    routeKey: r.routeKey,
    rawPath: r.rawPath,
    rawQueryString: r.rawQueryString,
    cookies: r.cookies.length ? Array.from(r.cookies) : undefined,
    headers: Object.fromEntries(r.headers),
    queryStringParameters: r.queryStringParameters.length ? query : undefined,
    pathParameters: r.pathParameters.length ? params : undefined,
    requestContext: {
      requestId: c.requestId,
      timeEpoch: Number(c.timeEpoch),
      domainName: c.domainName,
      stage: c.stage,
      apiId: c.apiId,
      http,
    },
    body: r.body ?? undefined,
    isBase64Encoded: r.isBase64Encoded,
    // Architect's conveniences (@architect/functions' http).
    method: r.method,
    path: r.rawPath,
    params,
    query,
  };
  return compact(req);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Bytes as base64 (btoa would need them as a binary string first). */
function base64(bytes) {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  if (i < bytes.length) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') + '=';
  }
  return out;
}

function asBytes(v) {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return null;
}

// Architect's response shorthands and the content type each sets.
const SHORTHANDS = [
  ['html', 'text/html; charset=utf-8'],
  ['json', 'application/json; charset=utf-8'],
  ['text', 'text/plain; charset=utf-8'],
  ['css', 'text/css; charset=utf-8'],
  ['js', 'text/javascript; charset=utf-8'],
  ['xml', 'application/xml; charset=utf-8'],
];
const RESPONSE_KEYS = new Set([
  'statusCode', 'status', 'headers', 'cookies', 'body', 'isBase64Encoded', 'type', 'location',
  ...SHORTHANDS.map(([k]) => k),
]);
const JSON_TYPE = 'application/json; charset=utf-8';
const HTML_TYPE = 'text/html; charset=utf-8';

/**
 * What an HTTP handler returned as the WIT response: `{ statusCode, headers, cookies, body,
 * isBase64Encoded }` as Lambda takes it, with Architect's shorthands (`status`, `type`, `html`,
 * `json`, `text`, `css`, `js`, `xml`, `location`). A string is an HTML page; bytes go as base64;
 * nothing is an empty 200; any other value (or an object with none of those keys) is JSON.
 */
function toHttpResponse(r) {
  if (r == null) return { statusCode: 200, headers: [], cookies: [], body: null, isBase64Encoded: false };
  if (typeof r === 'string') {
    return { statusCode: 200, headers: [['content-type', HTML_TYPE]], cookies: [], body: r, isBase64Encoded: false };
  }
  if (typeof r !== 'object' || asBytes(r) || Array.isArray(r) || !Object.keys(r).some((k) => RESPONSE_KEYS.has(k))) {
    r = { body: asBytes(r) ?? r };
  }
  let statusCode = r.statusCode ?? r.status ?? (r.location != null ? 302 : 200);
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 999) {
    throw new TypeError(`statusCode ${String(statusCode)} is not an HTTP status`);
  }
  const headers = Object.entries(r.headers ?? {}).map(([k, v]) => [k, String(v)]);
  const has = (name) => headers.some(([k]) => k.toLowerCase() === name);
  let type = r.type;
  let body = r.body;
  let isBase64Encoded = Boolean(r.isBase64Encoded);
  for (const [key, contentType] of SHORTHANDS) {
    if (r[key] !== undefined) {
      body = key === 'json' ? JSON.stringify(r[key]) : r[key];
      type ??= contentType;
      break;
    }
  }
  if (body != null && typeof body !== 'string') {
    const bytes = asBytes(body);
    if (bytes) {
      body = base64(bytes);
      isBase64Encoded = true;
    } else {
      body = JSON.stringify(body);
      if (body === undefined) throw new TypeError('the response body has no JSON form');
      type ??= JSON_TYPE;
    }
  }
  if (type != null && !has('content-type')) headers.push(['content-type', String(type)]);
  if (r.location != null && !has('location')) headers.push(['location', String(r.location)]);
  const cookies = r.cookies == null ? [] : Array.from(r.cookies, String);
  return { statusCode, headers, cookies, body: body ?? null, isBase64Encoded: body != null && isBase64Encoded };
}

// --- the exports --------------------------------------------------------------------------------

/** Function `name` of the user's module `mod`: an ES export, or a property of what a CommonJS
 *  file exported (esbuild hands a CommonJS module over with its `module.exports` properties as
 *  named exports and the object itself as `default`), or of the `exports`/`module.exports`
 *  globals an ES module with `exports.handler = ...` wrote to (see above). */
function exportOf(mod, name) {
  // Not what every object or function has (`toString`, `call`): those are nobody's export.
  if (name in Object.prototype || name in Function.prototype) return undefined;
  for (const from of [mod, mod.default, globalThis.module?.exports, globalThis.exports]) {
    if (from == null || (typeof from !== 'object' && typeof from !== 'function')) continue;
    const f = from[name];
    if (typeof f === 'function') return f;
  }
  return undefined;
}

/** The names of every function `mod` exports, for messages. */
function exportedFunctions(mod) {
  const names = new Set();
  for (const from of [mod, mod.default, globalThis.module?.exports, globalThis.exports]) {
    if (from == null || (typeof from !== 'object' && typeof from !== 'function')) continue;
    for (const k of Object.keys(from)) if (k !== 'default' && typeof from[k] === 'function') names.add(k);
  }
  return [...names];
}

/**
 * Which function of `mod` (the handler file `file`) an event calls. As in Lambda: the export
 * `_HANDLER` names (`handler.connectHandler`: the part after the last dot), which the host sets
 * when several routes share one file (serverless.yml's `handler: file.export`); `handler`
 * without it. `_HANDLER` is read when the event runs (the component is a build-time
 * snapshot), from the environment `process.env` reads too.
 */
function handlerFinder(mod, file) {
  const fallback = exportOf(mod, 'handler');
  // At build time: a file with no function at all is no handler file, whatever _HANDLER says.
  if (!fallback && exportedFunctions(mod).length === 0) {
    throw new Error(`${file} exports no function (export async function handler(event) {...}, exports.handler = ..., or module.exports = { connect, ... })`);
  }
  return () => {
    const spec = env()._HANDLER;
    if (!spec) {
      if (fallback) return fallback;
      throw new Error(`${file} exports no function \`handler\` (its functions: ${exportedFunctions(mod).join(', ')}); name one in serverless.yml's handler: file.export`);
    }
    const name = spec.slice(spec.lastIndexOf('.') + 1);
    const f = exportOf(mod, name);
    if (!f) {
      throw new Error(`${file} has no export \`${name}\` (_HANDLER=${spec}); its functions: ${exportedFunctions(mod).join(', ') || 'none'}`);
    }
    return f;
  };
}

/** The request of the running event (`domainName`, `stage`, ...): what the AWS SDK shims take
 *  as the app's own endpoint. */
let current = null;

/** `{ domainName, stage }` of the event being handled (null outside one), and the host part of
 *  `ARC_WSS_URL`: the endpoints that reach this app. For the AWS SDK shims. */
export function __wshEndpoint() {
  const url = env().ARC_WSS_URL;
  const host = url ? url.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '') : undefined;
  return current == null ? { wssHost: host } : { domainName: current.domainName, stage: current.stage, wssHost: host };
}

/** Rethrows what a handler threw as the export's err(message). */
function fail(e) {
  throw message(e);
}

/**
 * Calls the handler (`call`), settles what it returned and makes it the export's result with
 * `convert`; what it throws or rejects with goes to `rescue`, which returns a result or throws
 * the err string. Thrown strings become the export's err(...): see componentize-qjs' result
 * lowering.
 */
function run(call, convert, rescue) {
  environment = null;
  let out;
  try {
    out = call();
  } catch (e) {
    return rescue(e);
  }
  // Even a handler that is not async may have left reactions queued (`ws.send(...).then(...)`).
  drainJobs();
  if (out instanceof QueuedPromise) {
    const [state, value] = QueuedPromise.peek(out);
    if (state === 'pending') {
      throw 'handler returned a promise that never settled (there are no timers or I/O in a wsh handler)';
    }
    if (state === 'rejected') return rescue(value);
    out = value;
  } else if (out && typeof out.then === 'function') {
    // StarlingMonkey: its event loop settles this before the export returns.
    return out.then((v) => { try { return convert(v); } catch (e) { fail(e); } }, rescue);
  }
  try {
    return convert(out);
  } catch (e) {
    fail(e);
  }
}

/**
 * The WIT export `handle`, calling `handler` of the user's module `mod`. Used by build.mjs's
 * entry: `export const handle = __wshHandle(userModule)`, evaluated after the user's module.
 */
export function __wshHandle(mod, file = 'the handler file') {
  // Checked now, while the build pre-initializes the module, so that a file without a function
  // fails the build rather than every event.
  const find = handlerFinder(mod, file);
  const rescueAuthorizer = (e) => (isUnauthorized(e) ? UNAUTHORIZED : fail(e));
  return function handle(witEvent) {
    const authorizer = witEvent.methodArn != null;
    current = witEvent.requestContext;
    return run(
      () => {
        const handler = find();
        const event = toEvent(witEvent);
        const context = {
          awsRequestId: event.requestContext.requestId,
          functionName: event.requestContext.routeKey,
        };
        return handler(event, context);
      },
      authorizer ? toAuthorizerResponse : toResponse,
      authorizer ? rescueAuthorizer : fail,
    );
  };
}

/**
 * The WIT export `handle-http` (`handleHttp`) of an @http route: build.mjs's entry for
 * `--world http-handler` is `export const handleHttp = __wshHandleHttp(userModule)`.
 */
export function __wshHandleHttp(mod, file = 'the handler file') {
  const find = handlerFinder(mod, file);
  return function handleHttp(witRequest) {
    current = witRequest.requestContext;
    return run(
      () => {
        const handler = find();
        const req = toRequest(witRequest);
        return handler(req, { awsRequestId: req.requestContext.requestId, functionName: req.routeKey });
      },
      toHttpResponse,
      fail,
    );
  };
}
