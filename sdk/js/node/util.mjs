// Node's `util` for wsh handlers (`require('util')`, `import util from 'node:util'`): format,
// inspect, promisify, callbackify, inherits, deprecate, isDeepStrictEqual, types, TextEncoder and
// TextDecoder. build.mjs resolves `util` and `node:util` here; nothing of it runs unless a
// handler imports it.

import { TextEncoder, TextDecoder } from './text.mjs';

const custom = Symbol.for('nodejs.util.inspect.custom');

function isIdentifier(key) {
  return /^[A-Za-z_$][\w$]*$/.test(key);
}

function quote(text) {
  // Node prefers single quotes, then double, then backticks.
  if (!text.includes("'")) return `'${escapeText(text)}'`;
  if (!text.includes('"')) return `"${escapeText(text)}"`;
  if (!text.includes('`') && !text.includes('${')) return `\`${escapeText(text)}\``;
  return `'${escapeText(text).replace(/'/g, "\\'")}'`;
}

function escapeText(text) {
  return text.replace(/[\\\n\r\t\b\f\v\x00-\x1f]/g, (c) => ({
    '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\v': '\\v',
  })[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function inspectValue(value, opts, depth, seen) {
  if (value === null) return 'null';
  const type = typeof value;
  if (type === 'undefined') return 'undefined';
  if (type === 'string') return depth === 0 && opts.bareStrings ? value : quote(value);
  if (type === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (type === 'bigint') return `${value}n`;
  if (type === 'boolean') return String(value);
  if (type === 'symbol') return value.toString();
  if (type === 'function') {
    const name = value.name ? `: ${value.name}` : ' (anonymous)';
    const kind = /^class\b/.test(Function.prototype.toString.call(value)) ? 'class' : 'Function';
    const keys = Object.keys(value);
    const head = kind === 'class' ? `[class ${value.name || '(anonymous)'}]` : `[${kind}${name}]`;
    return keys.length ? `${head} ${inspectEntries(value, keys, opts, depth, seen, '{', '}')}` : head;
  }
  if (opts.customInspect !== false && typeof value[custom] === 'function') {
    const out = value[custom](opts.depth - depth, opts, inspect);
    return typeof out === 'string' ? out : inspectValue(out, opts, depth, seen);
  }
  if (seen.includes(value)) return '[Circular *1]';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof RegExp) return String(value);
  if (value instanceof Error) {
    const stack = value.stack ? `${value}\n${String(value.stack).replace(/\n+$/, '')}` : String(value);
    return depth > 0 ? `[${value}]` : stack;
  }
  if (typeof value.then === 'function' && value.constructor?.name?.endsWith('Promise')) return 'Promise { <unknown> }';
  if (depth > opts.depth) return Array.isArray(value) ? '[Array]' : `[${value.constructor?.name ?? 'Object'}]`;
  seen = [...seen, value];
  if (Array.isArray(value)) {
    const items = value.map((v) => inspectValue(v, opts, depth + 1, seen));
    const extra = Object.keys(value).filter((k) => !/^\d+$/.test(k));
    for (const k of extra) items.push(`${isIdentifier(k) ? k : quote(k)}: ${inspectValue(value[k], opts, depth + 1, seen)}`);
    return wrap(items, '[', ']', opts, depth);
  }
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor?.name ?? 'TypedArray';
    if (name === 'Buffer' || value._isBuffer) {
      const hex = Array.from(value.subarray(0, 50), (b) => b.toString(16).padStart(2, '0'));
      return `<Buffer${hex.length ? ' ' : ''}${hex.join(' ')}${value.length > 50 ? ` ... ${value.length - 50} more bytes` : ''}>`;
    }
    const items = Array.from(value.subarray ? value.subarray(0, 100) : [], (v) => String(v));
    if (value.length > 100) items.push(`... ${value.length - 100} more items`);
    return `${name}(${value.length}) ${wrap(items, '[', ']', opts, depth)}`;
  }
  if (value instanceof ArrayBuffer) return `ArrayBuffer { byteLength: ${value.byteLength} }`;
  if (value instanceof Map) {
    const items = [...value].map(([k, v]) => `${inspectValue(k, opts, depth + 1, seen)} => ${inspectValue(v, opts, depth + 1, seen)}`);
    return `Map(${value.size}) ${wrap(items, '{', '}', opts, depth)}`;
  }
  if (value instanceof Set) {
    const items = [...value].map((v) => inspectValue(v, opts, depth + 1, seen));
    return `Set(${value.size}) ${wrap(items, '{', '}', opts, depth)}`;
  }
  const proto = Object.getPrototypeOf(value);
  const name = proto === null ? '[Object: null prototype]' : proto.constructor?.name;
  const prefix = name && name !== 'Object' ? `${name} ` : '';
  const keys = Object.keys(value);
  if (!keys.length) return `${prefix}{}`;
  return prefix + inspectEntries(value, keys, opts, depth, seen, '{', '}');
}

function inspectEntries(value, keys, opts, depth, seen, open, close) {
  const items = keys.map((k) => `${isIdentifier(k) ? k : quote(k)}: ${inspectValue(value[k], opts, depth + 1, seen)}`);
  return wrap(items, open, close, opts, depth);
}

/** Node's layout: one line when short, else one entry per line, indented. */
function wrap(items, open, close, opts, depth) {
  if (!items.length) return `${open}${close}`;
  const line = `${open} ${items.join(', ')} ${close}`;
  if (opts.compact !== false && line.length <= opts.breakLength && !line.includes('\n')) return line;
  const pad = '  '.repeat(depth + 1);
  return `${open}\n${items.map((i) => pad + i.replace(/\n/g, `\n${pad}`)).join(',\n')}\n${'  '.repeat(depth)}${close}`;
}

/** `util.inspect(value, [options])`: Node's readable rendering of a value. */
export function inspect(value, options = {}) {
  const opts = typeof options === 'boolean' ? { showHidden: options } : { ...options };
  opts.depth = opts.depth === null ? Infinity : (opts.depth ?? 2);
  opts.breakLength ??= 80;
  return inspectValue(value, opts, 0, []);
}
inspect.custom = custom;

/** `util.format(format, ...args)`: printf-like (`%s %d %i %f %j %o %O %c %%`), the rest
 *  appended with spaces, as console.log formats. */
export function format(...args) {
  return formatWithOptions({}, ...args);
}

export function formatWithOptions(options, ...all) {
  if (all.length === 0) return '';
  const [first, ...args] = all;
  const parts = [];
  let rest = all;
  if (typeof first === 'string') {
    let i = 0;
    parts.push(first.replace(/%([sdifjoOc%])/g, (m, c) => {
      if (c === '%') return '%';
      if (i >= args.length) return m;
      const a = args[i++];
      switch (c) {
        case 's':
          if (typeof a === 'bigint') return `${a}n`;
          if (typeof a === 'object' && a !== null) return inspect(a, { ...options, depth: 0 });
          return typeof a === 'symbol' ? a.toString() : String(a);
        case 'd':
          if (typeof a === 'bigint') return `${a}n`;
          return typeof a === 'object' && a !== null ? 'NaN' : String(Number(a));
        case 'i':
          if (typeof a === 'bigint') return `${a}n`;
          return String(parseInt(a, 10));
        case 'f':
          return String(parseFloat(a));
        case 'j':
          try { return JSON.stringify(a); } catch { return '[Circular]'; }
        case 'o':
          return inspect(a, { ...options, showHidden: true, depth: 4 });
        case 'O':
          return inspect(a, options);
        default: // %c: CSS, ignored
          return '';
      }
    }));
    rest = args.slice(i);
  }
  for (const a of rest) parts.push(typeof a === 'string' ? a : inspect(a, options));
  return parts.join(' ');
}

const promisifyCustom = Symbol.for('nodejs.util.promisify.custom');

/** `util.promisify(f)`: a callback-last function as one that returns a promise. */
export function promisify(original) {
  if (typeof original !== 'function') throw new TypeError('The "original" argument must be of type function');
  if (original[promisifyCustom]) return original[promisifyCustom];
  function promisified(...args) {
    return new Promise((resolve, reject) => {
      original.call(this, ...args, (err, ...values) => {
        if (err) reject(err);
        else resolve(values.length > 1 ? values : values[0]);
      });
    });
  }
  Object.setPrototypeOf(promisified, Object.getPrototypeOf(original));
  return Object.defineProperties(promisified, Object.getOwnPropertyDescriptors(original));
}
promisify.custom = promisifyCustom;

/** `util.callbackify(f)`: an async function as one that takes a callback last. */
export function callbackify(original) {
  if (typeof original !== 'function') throw new TypeError('The "original" argument must be of type function');
  return function callbackified(...args) {
    const cb = args.pop();
    if (typeof cb !== 'function') throw new TypeError('The last argument must be of type function');
    Promise.resolve(original.apply(this, args)).then(
      (v) => queueMicrotask(() => cb(null, v)),
      (e) => queueMicrotask(() => cb(e || Object.assign(new Error('Promise was rejected with a falsy value'), { reason: e }))),
    );
  };
}

export function inherits(ctor, superCtor) {
  Object.defineProperty(ctor, 'super_', { value: superCtor, writable: true, configurable: true });
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
}

export function deprecate(fn, message) {
  let warned = false;
  return function deprecated(...args) {
    if (!warned) {
      warned = true;
      console.error(`DeprecationWarning: ${message}`);
    }
    return new.target ? Reflect.construct(fn, args, new.target) : fn.apply(this, args);
  };
}

export function debuglog() {
  const log = () => {};
  log.enabled = false;
  return log;
}
export const debug = debuglog;

function deepEqual(a, b, seen = []) {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (seen.some(([x, y]) => x === a && y === b)) return true;
  seen = [...seen, [a, b]];
  if (a instanceof Date) return a.getTime() === b.getTime();
  if (a instanceof RegExp) return String(a) === String(b);
  if (a instanceof Error && (a.message !== b.message || a.name !== b.name)) return false;
  if (ArrayBuffer.isView(a)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !deepEqual(v, b.get(k), seen)) return false;
    return true;
  }
  if (a instanceof Set) {
    if (a.size !== b.size) return false;
    for (const v of a) if (!b.has(v)) return false;
    return true;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!Object.prototype.hasOwnProperty.call(b, k) || !deepEqual(a[k], b[k], seen)) return false;
  return true;
}

/** Node's strict deep equality (prototypes, `Object.is` for primitives). */
export function isDeepStrictEqual(a, b) {
  return deepEqual(a, b);
}

const tag = (v) => Object.prototype.toString.call(v).slice(8, -1);

export const types = {
  isDate: (v) => v instanceof Date,
  isRegExp: (v) => v instanceof RegExp,
  isPromise: (v) => v != null && typeof v.then === 'function' && tag(v) === 'Promise',
  isMap: (v) => v instanceof Map,
  isSet: (v) => v instanceof Set,
  isTypedArray: (v) => ArrayBuffer.isView(v) && !(v instanceof DataView),
  isUint8Array: (v) => v instanceof Uint8Array,
  isArrayBuffer: (v) => v instanceof ArrayBuffer,
  isAnyArrayBuffer: (v) => v instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer),
  isArrayBufferView: (v) => ArrayBuffer.isView(v),
  isNativeError: (v) => v instanceof Error,
  isAsyncFunction: (v) => typeof v === 'function' && tag(v) === 'AsyncFunction',
  isGeneratorFunction: (v) => typeof v === 'function' && /^(async\s*)?function\s*\*/.test(Function.prototype.toString.call(v)),
  isBoxedPrimitive: (v) => v instanceof Number || v instanceof String || v instanceof Boolean,
};

export const isArray = Array.isArray;
export const isBoolean = (v) => typeof v === 'boolean';
export const isNull = (v) => v === null;
export const isNullOrUndefined = (v) => v == null;
export const isNumber = (v) => typeof v === 'number';
export const isString = (v) => typeof v === 'string';
export const isSymbol = (v) => typeof v === 'symbol';
export const isUndefined = (v) => v === undefined;
export const isRegExp = types.isRegExp;
export const isObject = (v) => v !== null && typeof v === 'object';
export const isDate = types.isDate;
export const isError = types.isNativeError;
export const isFunction = (v) => typeof v === 'function';
export const isPrimitive = (v) => v === null || (typeof v !== 'object' && typeof v !== 'function');

export { TextEncoder, TextDecoder };

export default {
  format, formatWithOptions, inspect, promisify, callbackify, inherits, deprecate, debuglog, debug,
  isDeepStrictEqual, types, TextEncoder, TextDecoder, isArray, isBoolean, isNull,
  isNullOrUndefined, isNumber, isString, isSymbol, isUndefined, isRegExp, isObject, isDate,
  isError, isFunction, isPrimitive,
};
