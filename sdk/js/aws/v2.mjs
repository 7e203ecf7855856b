// The AWS SDK for JavaScript v2's ApiGatewayManagementApi, as a wsh handler uses it:
//
//   const AWS = require('aws-sdk');
//   const api = new AWS.ApiGatewayManagementApi({ apiVersion: '2018-11-29', endpoint: `https://${domain}/${stage}` });
//   await api.postToConnection({ ConnectionId, Data }).promise();      // or (params, callback)
//
// postToConnection, getConnection and deleteConnection become wsh's ws.send, ws.info and
// ws.close. A failure is what v2 gives: an Error with `code` (`GoneException`), `statusCode`
// (410), `retryable`, `time` and `requestId`. `aws-sdk.cjs` is the package, with every other
// service an error that says so.

import { OPERATIONS, apiError, checkEndpoint, requestId } from './common.mjs';

/** A v2 service error (AWSError). */
function awsError(e) {
  const known = apiError(e);
  if (!known) return e;
  const [code, statusCode] = known;
  const err = new Error(e.message);
  err.name = code;
  err.code = code;
  err.statusCode = statusCode;
  err.retryable = statusCode >= 500 || statusCode === 429;
  err.time = new Date();
  err.requestId = requestId();
  return err;
}

/** What a v2 method returns: sent by `.promise()` or `.send(callback)` (or at once, when the
 *  method was given a callback). */
class Request {
  #run;
  #listeners = { success: [], error: [], complete: [] };
  #sent = false;

  constructor(run) {
    this.#run = run;
  }

  /** Sends the request now; `callback(err, data)` is called after the current job. */
  send(callback) {
    if (this.#sent) return this;
    this.#sent = true;
    let data = null;
    let error = null;
    try {
      data = this.#run();
    } catch (e) {
      error = e;
    }
    const response = { data, error, requestId: error?.requestId ?? requestId(), request: this };
    queueMicrotask(() => {
      for (const f of error ? this.#listeners.error : this.#listeners.success) f.call(response, error ?? response);
      for (const f of this.#listeners.complete) f.call(response, response);
      if (typeof callback === 'function') callback.call(response, error, error ? null : data);
    });
    return this;
  }

  /** The request's result as a promise. */
  promise() {
    return new Promise((resolve, reject) => {
      this.send((err, data) => (err ? reject(err) : resolve(data)));
    });
  }

  on(event, f) {
    this.#listeners[event]?.push(f);
    return this;
  }

  abort() {
    return this;
  }
}

export class Endpoint {
  constructor(endpoint) {
    const text = String(endpoint);
    const m = /^(?:([a-z][a-z0-9+.-]*):\/\/)?([^/:?#]*)(?::(\d+))?([^?#]*)/i.exec(text);
    this.protocol = `${(m[1] ?? 'https').toLowerCase()}:`;
    this.hostname = m[2];
    this.port = m[3] ? Number(m[3]) : this.protocol === 'http:' ? 80 : 443;
    this.host = m[3] ? `${m[2]}:${m[3]}` : m[2];
    this.path = m[4] || '/';
    this.pathname = this.path;
    this.href = `${this.protocol}//${this.host}${this.path}`;
  }

  toString() {
    return this.href;
  }
}

export class ApiGatewayManagementApi {
  constructor(options = {}) {
    this.config = { apiVersion: '2018-11-29', ...globalConfig.params(), ...options };
    if (options.endpoint !== undefined) this.endpoint = options.endpoint instanceof Endpoint ? options.endpoint : new Endpoint(options.endpoint);
  }

  #call(operation, params, callback) {
    const request = new Request(() => {
      checkEndpoint(this.config.endpoint, 'AWS.ApiGatewayManagementApi');
      try {
        const { output } = OPERATIONS[operation](params ?? {});
        return output ?? {};
      } catch (e) {
        throw awsError(e);
      }
    });
    return typeof callback === 'function' ? request.send(callback) : request;
  }

  postToConnection(params, callback) {
    return this.#call('PostToConnection', params, callback);
  }

  getConnection(params, callback) {
    return this.#call('GetConnection', params, callback);
  }

  deleteConnection(params, callback) {
    return this.#call('DeleteConnection', params, callback);
  }
}
ApiGatewayManagementApi.serviceIdentifier = 'apigatewaymanagementapi';

/** `AWS.config`: kept (region, credentials, ...) but never needed here. */
class Config {
  constructor(options = {}) {
    Object.assign(this, options);
  }

  update(options = {}) {
    Object.assign(this, options);
  }

  loadFromPath() {
    return this;
  }

  params() {
    const { apiVersion, region } = this;
    return region === undefined ? {} : { region, ...(apiVersion ? { apiVersion } : {}) };
  }
}

const globalConfig = new Config();

class Credentials {
  constructor(accessKeyId, secretAccessKey, sessionToken) {
    if (accessKeyId && typeof accessKeyId === 'object') Object.assign(this, accessKeyId);
    else Object.assign(this, { accessKeyId, secretAccessKey, sessionToken });
  }

  get(callback) {
    queueMicrotask(() => callback?.(null));
  }

  getPromise() {
    return Promise.resolve();
  }
}

/** The `aws-sdk` package's own names (aws-sdk.cjs adds the error for every other service). */
export const AWS = {
  ApiGatewayManagementApi,
  Endpoint,
  Config,
  config: globalConfig,
  Credentials,
  EnvironmentCredentials: Credentials,
  SharedIniFileCredentials: Credentials,
  Request,
  VERSION: '2.1692.0',
};
