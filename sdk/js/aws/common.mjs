// What the AWS SDK clients (v2's `aws-sdk`, v3's `@aws-sdk/client-apigatewaymanagementapi`) have
// in common inside a wsh handler: there is no network, so a management API call to the app's
// own endpoint (`https://{domainName}/{stage}` of the running event, or ARC_WSS_URL's host)
// becomes the `ws` host call it stands for; any other endpoint is an error that says which one
// would work.

import { __wshConnections as connections, __wshEndpoint, __wshRandomBytes } from '@wsh/sdk';

/** The operations, by name: what each does with `input` (`ConnectionId`, `Data`). */
export const OPERATIONS = {
  PostToConnection(input) {
    connections.post(connectionId(input), data(input.Data));
    return { status: 200 };
  },
  GetConnection(input) {
    const i = connections.info(connectionId(input));
    const identity = { SourceIp: i.identity.sourceIp };
    if (i.identity.userAgent != null) identity.UserAgent = i.identity.userAgent;
    return { status: 200, output: { ConnectedAt: new Date(i.connectedAt), Identity: identity, LastActiveAt: new Date(i.lastActiveAt) } };
  },
  DeleteConnection(input) {
    connections.close(connectionId(input));
    return { status: 204 };
  },
};

/** A parameter the SDK itself would refuse before sending anything. */
export class ParamError extends Error {
  constructor(code, message) {
    super(message);
    this.name = code;
    this.code = code;
  }
}

function connectionId(input) {
  const id = input?.ConnectionId;
  if (id === undefined || id === null) throw new ParamError('MissingRequiredParameter', "Missing required key 'ConnectionId' in params");
  if (typeof id !== 'string' || id === '') throw new ParamError('InvalidParameterType', 'Expected params.ConnectionId to be a non-empty string');
  return id;
}

/** `Data` as the SDKs take it: a string, a Buffer, a Uint8Array or any typed array. */
function data(value) {
  if (value === undefined || value === null) throw new ParamError('MissingRequiredParameter', "Missing required key 'Data' in params");
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new ParamError('InvalidParameterType', 'Expected params.Data to be a string, Buffer, Stream, Blob, or typed array object (JSON.stringify an object first)');
}

/** `{ protocol, host, path }` of an endpoint as the SDKs take one: a URL text (with or without
 *  a scheme), a v2 `AWS.Endpoint`, a v3 `{ protocol, hostname, port, path }` or a `URL`. */
function parseEndpoint(endpoint) {
  if (typeof endpoint === 'string') {
    const m = /^(?:([a-z][a-z0-9+.-]*):\/\/)?([^/?#]*)([^?#]*)/i.exec(endpoint.trim());
    return { protocol: m[1] ? `${m[1].toLowerCase()}:` : 'https:', host: m[2], path: m[3] };
  }
  if (endpoint && typeof endpoint === 'object') {
    const protocol = endpoint.protocol ? String(endpoint.protocol).replace(/:?$/, ':') : 'https:';
    const hostname = endpoint.hostname ?? String(endpoint.host ?? '').replace(/:\d+$/, '');
    const port = endpoint.port != null && endpoint.port !== '' ? String(endpoint.port) : (/:(\d+)$/.exec(endpoint.host ?? '')?.[1] ?? '');
    const host = port && !(protocol === 'https:' && port === '443') && !(protocol === 'http:' && port === '80') ? `${hostname}:${port}` : hostname;
    return { protocol, host, path: endpoint.path ?? endpoint.pathname ?? '' };
  }
  return null;
}

/** How a caller names the endpoint that works from this event. */
function ownEndpoint(here) {
  if (here.domainName) return `https://${here.domainName}/${here.stage}`;
  if (here.wssHost) return `https://${here.wssHost}`;
  return 'https://${event.requestContext.domainName}/${event.requestContext.stage}';
}

/** An endpoint that does not reach this app. */
export class EndpointError extends Error {
  constructor(message) {
    super(message);
    this.name = 'UnknownEndpoint';
    this.code = 'UnknownEndpoint';
    this.retryable = false;
  }
}

/**
 * Checks that `endpoint` is this app's own management API: its host is the running event's
 * `domainName` or ARC_WSS_URL's host, its path empty or `/{stage}`. Throws an EndpointError
 * naming the one that works otherwise.
 */
export function checkEndpoint(endpoint, client) {
  const here = __wshEndpoint();
  const want = ownEndpoint(here);
  if (endpoint === undefined || endpoint === null || endpoint === '') {
    throw new EndpointError(`${client} has no endpoint: in a wsh handler it reaches this app's connections at ${want} (the event's requestContext.domainName and stage)`);
  }
  const e = parseEndpoint(endpoint);
  if (!e || !/^(https?|wss?):$/.test(e.protocol)) {
    throw new EndpointError(`${client}: endpoint ${String(endpoint)} is not an http(s) URL; this app's is ${want}`);
  }
  const host = e.host.toLowerCase();
  const hosts = [here.domainName, here.wssHost].filter(Boolean).map((h) => h.toLowerCase());
  if (!hosts.includes(host)) {
    throw new EndpointError(`${client}: endpoint ${String(endpoint)} is not this app's: a wsh handler has no network and reaches only its own app's connections, at ${want}`);
  }
  const path = e.path.replace(/\/+$/, '');
  if (path !== '' && (here.stage === undefined || path !== `/${here.stage}`)) {
    throw new EndpointError(`${client}: endpoint ${String(endpoint)} names stage ${path.slice(1)}, not this app's: use ${want}`);
  }
}

/** An id for `$metadata.requestId` / `ResponseMetadata.RequestId`. */
export function requestId() {
  const b = __wshRandomBytes(16);
  let hex = '';
  for (const x of b) hex += x.toString(16).padStart(2, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The management API's error for a `ws` failure (`kind`): `[name, status, fault]`. */
export function apiError(e) {
  switch (e?.kind) {
    case 'gone': return ['GoneException', 410, 'client'];
    case 'payload-too-large': return ['PayloadTooLargeException', 413, 'client'];
    // The peer does not read; API Gateway's nearest is its throttling error.
    case 'slow-consumer': return ['LimitExceededException', 429, 'client'];
    case 'unavailable': return ['UnavailableException', 503, 'server'];
    default: return null;
  }
}
