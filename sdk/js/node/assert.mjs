// Node's `assert` for wsh handlers: assert(), ok, equal, notEqual, strictEqual, notStrictEqual,
// deepEqual, deepStrictEqual, notDeepStrictEqual, throws, doesNotThrow, rejects,
// doesNotReject, match, doesNotMatch, fail, ifError, AssertionError, and `assert.strict`.

import { inspect, isDeepStrictEqual } from './util.mjs';

export class AssertionError extends Error {
  constructor(options = {}) {
    super(options.message ?? `${inspect(options.actual)} ${options.operator ?? '=='} ${inspect(options.expected)}`);
    this.name = 'AssertionError';
    this.code = 'ERR_ASSERTION';
    this.actual = options.actual;
    this.expected = options.expected;
    this.operator = options.operator;
    this.generatedMessage = options.message == null;
  }
}

function raise(message, actual, expected, operator, fallback) {
  if (message instanceof Error) throw message;
  throw new AssertionError({ message: message ?? fallback, actual, expected, operator });
}

function looseDeepEqual(a, b) {
  // eslint-disable-next-line eqeqeq
  if (a == b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && looseDeepEqual(a[k], b[k]));
}

export function ok(value, message) {
  if (!value) raise(message, value, true, '==', arguments.length === 0 ? 'No value argument passed to `assert.ok()`' : 'The expression evaluated to a falsy value');
}

// eslint-disable-next-line eqeqeq
export const equal = (a, b, message) => { if (!(a == b || (Number.isNaN(a) && Number.isNaN(b)))) raise(message, a, b, '=='); };
// eslint-disable-next-line eqeqeq
export const notEqual = (a, b, message) => { if (a == b) raise(message, a, b, '!='); };
export const strictEqual = (a, b, message) => {
  if (!Object.is(a, b)) raise(message, a, b, 'strictEqual', `Expected values to be strictly equal:\n\n${inspect(a)} !== ${inspect(b)}\n`);
};
export const notStrictEqual = (a, b, message) => { if (Object.is(a, b)) raise(message, a, b, 'notStrictEqual'); };
export const deepEqual = (a, b, message) => { if (!looseDeepEqual(a, b)) raise(message, a, b, 'deepEqual'); };
export const notDeepEqual = (a, b, message) => { if (looseDeepEqual(a, b)) raise(message, a, b, 'notDeepEqual'); };
export const deepStrictEqual = (a, b, message) => {
  if (!isDeepStrictEqual(a, b)) raise(message, a, b, 'deepStrictEqual', `Expected values to be strictly deep-equal:\n${inspect(a)}\n\nshould equal\n\n${inspect(b)}`);
};
export const notDeepStrictEqual = (a, b, message) => { if (isDeepStrictEqual(a, b)) raise(message, a, b, 'notDeepStrictEqual'); };

function matches(error, expected) {
  if (expected === undefined) return true;
  if (typeof expected === 'function') {
    if (expected.prototype !== undefined && error instanceof expected) return true;
    if (Error.isPrototypeOf(expected) || expected === Error) return false;
    return expected.call({}, error) === true;
  }
  if (expected instanceof RegExp) return expected.test(String(error));
  if (typeof expected === 'object') {
    return Object.keys(expected).every((k) => (expected[k] instanceof RegExp && typeof error?.[k] === 'string'
      ? expected[k].test(error[k])
      : isDeepStrictEqual(error?.[k], expected[k])));
  }
  return false;
}

export function throws(fn, expected, message) {
  if (typeof expected === 'string') [message, expected] = [expected, undefined];
  try {
    fn();
  } catch (e) {
    if (!matches(e, expected)) throw e;
    return;
  }
  raise(message, undefined, expected, 'throws', 'Missing expected exception.');
}

export function doesNotThrow(fn, expected, message) {
  try {
    fn();
  } catch (e) {
    raise(typeof expected === 'string' ? expected : message, e, expected, 'doesNotThrow', `Got unwanted exception.\nActual message: "${e?.message}"`);
  }
}

export async function rejects(promiseOrFn, expected, message) {
  if (typeof expected === 'string') [message, expected] = [expected, undefined];
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
  } catch (e) {
    if (!matches(e, expected)) throw e;
    return;
  }
  raise(message, undefined, expected, 'rejects', 'Missing expected rejection.');
}

export async function doesNotReject(promiseOrFn, expected, message) {
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
  } catch (e) {
    raise(typeof expected === 'string' ? expected : message, e, expected, 'doesNotReject', `Got unwanted rejection.\nActual message: "${e?.message}"`);
  }
}

export const match = (text, re, message) => {
  if (!re.test(text)) raise(message, text, re, 'match', `The input did not match the regular expression ${re}. Input:\n\n${inspect(text)}\n`);
};
export const doesNotMatch = (text, re, message) => { if (re.test(text)) raise(message, text, re, 'doesNotMatch'); };
export const fail = (message = 'Failed') => raise(message, undefined, undefined, 'fail');
export const ifError = (value) => { if (value !== null && value !== undefined) throw value; };

function assert(value, message) {
  if (!value) raise(message, value, true, '==', arguments.length === 0 ? 'No value argument passed to `assert.ok()`' : 'The expression evaluated to a falsy value');
}

const methods = {
  ok, equal, notEqual, strictEqual, notStrictEqual, deepEqual, notDeepEqual, deepStrictEqual,
  notDeepStrictEqual, throws, doesNotThrow, rejects, doesNotReject, match, doesNotMatch, fail,
  ifError, AssertionError,
};
Object.assign(assert, methods);

/** `assert.strict`: the strict comparisons under the loose names. */
function strict(value, message) {
  if (!value) raise(message, value, true, '==', 'The expression evaluated to a falsy value');
}
Object.assign(strict, methods, { equal: strictEqual, notEqual: notStrictEqual, deepEqual: deepStrictEqual, notDeepEqual: notDeepStrictEqual });
assert.strict = strict;
strict.strict = strict;

export { strict };
export default assert;
