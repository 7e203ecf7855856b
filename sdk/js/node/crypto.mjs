// The part of Node's `crypto` a handler without network or keys uses: random ids and bytes, from
// the host's wasi:random (the component is a build-time snapshot, so nothing may be seeded then).
// Hashes, HMACs and ciphers are not here: calling one throws, naming it.

import { Buffer } from 'buffer';
import { __wshRandomBytes as hostBytes } from '@wsh/sdk';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A random RFC 4122 version 4 UUID, as `crypto.randomUUID()`. */
export function randomUUID() {
  const b = hostBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => HEX[x]);
  return `${h.slice(0, 4).join('')}-${h.slice(4, 6).join('')}-${h.slice(6, 8).join('')}-${h.slice(8, 10).join('')}-${h.slice(10).join('')}`;
}

/** `n` random bytes as a Buffer (or to `callback(err, buf)`). */
export function randomBytes(n, callback) {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`The "size" argument must be a non-negative integer, got ${n}`);
  const buf = Buffer.from(hostBytes(n));
  if (typeof callback === 'function') {
    queueMicrotask(() => callback(null, buf));
    return undefined;
  }
  return buf;
}

/** Fills an integer typed array with random values and returns it. */
export function getRandomValues(array) {
  if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array) {
    throw new TypeError('getRandomValues takes an integer typed array');
  }
  if (array.byteLength > 65536) throw new RangeError('getRandomValues: at most 65536 bytes');
  new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(hostBytes(array.byteLength));
  return array;
}

export function randomFillSync(buf, offset = 0, size) {
  const view = new Uint8Array(buf.buffer ?? buf, buf.byteOffset ?? 0, buf.byteLength);
  const n = size ?? view.length - offset;
  view.set(hostBytes(n), offset);
  return buf;
}

/** A random integer in [min, max) (`randomInt(max)`: [0, max)). */
export function randomInt(min, max, callback) {
  if (max === undefined || typeof max === 'function') [min, max, callback] = [0, min, max];
  const range = max - min;
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || range <= 0 || range > 2 ** 48) {
    throw new RangeError(`randomInt: need safe integers with 0 < max - min <= 2^48, got ${min}, ${max}`);
  }
  // Rejection sampling over 48 bits, so that every value is equally likely.
  const limit = 2 ** 48 - (2 ** 48 % range);
  let x;
  do {
    const b = hostBytes(6);
    x = b.reduce((n, byte) => n * 256 + byte, 0);
  } while (x >= limit);
  const n = min + (x % range);
  if (typeof callback === 'function') {
    queueMicrotask(() => callback(null, n));
    return undefined;
  }
  return n;
}

function unavailable(name) {
  return () => {
    throw new Error(`crypto.${name} is not available in a wsh handler (crypto there has randomUUID, randomBytes, randomInt, getRandomValues)`);
  };
}

export const createHash = unavailable('createHash');
export const createHmac = unavailable('createHmac');
export const createCipheriv = unavailable('createCipheriv');
export const createDecipheriv = unavailable('createDecipheriv');
export const pbkdf2Sync = unavailable('pbkdf2Sync');
export const scryptSync = unavailable('scryptSync');

export const webcrypto = { getRandomValues, randomUUID };

export default {
  randomUUID, randomBytes, getRandomValues, randomFillSync, randomInt, webcrypto,
  createHash, createHmac, createCipheriv, createDecipheriv, pbkdf2Sync, scryptSync,
};
