// Write a wsh WebSocket handler in JavaScript, the way Architect's Lambda handlers are written:
//
//   import { ws } from '@wsh/sdk';
//   export async function handler(event, context) {
//     await ws.send({ id: event.requestContext.connectionId, payload: { hello: 'world' } });
//     return { statusCode: 200 };
//   }
//
// `node build.mjs` (beside this file) bundles the handler with this module and turns it into a
// component of the wsh:handler/ws-handler world. The handler runs in a fresh instance for every
// event: nothing it keeps in module scope survives to the next event.

import { send as witSend, close as witClose, info as witInfo } from 'wsh:handler/ws@0.1.0';
import { getStdout } from 'wasi:cli/stdout@0.2.12';
import { getStderr } from 'wasi:cli/stderr@0.2.12';

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
};

/** A `ws-error` from the host as the Error an AWS SDK call would throw. */
function wsError(e, id) {
  const kind = e?.payload?.tag ?? e?.payload;
  const known = WS_ERRORS[kind];
  if (!known) return e;
  const [code, statusCode, text] = known;
  const err = new Error(`${text}: ${id}`);
  err.name = code;
  err.code = code; // AWS SDK v2 style: `if (err.code === 'GoneException')`
  err.statusCode = statusCode;
  err.kind = kind; // the WIT case: 'gone', 'payload-too-large', 'slow-consumer'
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

export default { ws };

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

// --- the export -----------------------------------------------------------------------------

function findHandler(mod) {
  const h = mod.handler ?? mod.default?.handler ?? globalThis.module.exports?.handler ?? globalThis.exports?.handler;
  if (typeof h !== 'function') {
    throw new Error('the handler module exports no function `handler` (export async function handler(event) {...}, or exports.handler = ...)');
  }
  return h;
}

/**
 * The WIT export `handle`, calling `handler` of the user's module `mod`. Used by build.mjs's
 * entry: `export const handle = __wshHandle(userModule)`, evaluated after the user's module.
 */
export function __wshHandle(mod) {
  // Found now, while the build pre-initializes the module, so that a missing handler fails the
  // build rather than every event.
  const handler = findHandler(mod);
  return function handle(witEvent) {
    // Thrown strings become the export's err(...): see componentize-qjs' result lowering.
    let out;
    try {
      const event = toEvent(witEvent);
      const context = {
        awsRequestId: event.requestContext.requestId,
        functionName: event.requestContext.routeKey,
      };
      out = handler(event, context);
    } catch (e) {
      throw message(e);
    }
    // Even a handler that is not async may have left reactions queued (`ws.send(...).then(...)`).
    drainJobs();
    if (out instanceof QueuedPromise) {
      const [state, value] = QueuedPromise.peek(out);
      if (state === 'pending') {
        throw 'handler returned a promise that never settled (there are no timers or I/O in a wsh handler)';
      }
      if (state === 'rejected') throw message(value);
      out = value;
    } else if (out && typeof out.then === 'function') {
      // StarlingMonkey: its event loop settles this before the export returns.
      return out.then(toResponse, (e) => { throw message(e); });
    }
    try {
      return toResponse(out);
    } catch (e) {
      throw message(e);
    }
  };
}
