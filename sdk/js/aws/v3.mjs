// `@aws-sdk/client-apigatewaymanagementapi` (the AWS SDK for JavaScript v3) in a wsh handler:
//
//   import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
//   const client = new ApiGatewayManagementApiClient({ endpoint: `https://${domain}/${stage}` });
//   await client.send(new PostToConnectionCommand({ ConnectionId, Data }));
//
// PostToConnection, GetConnection and DeleteConnection become wsh's ws.send, ws.info and
// ws.close. A failure is what v3 throws: an instance of the exported exception class
// (`GoneException`, ...) with `name`, `$fault` and `$metadata.httpStatusCode`.

import { OPERATIONS, apiError, checkEndpoint, requestId } from './common.mjs';

function metadata(status, id = requestId()) {
  return { httpStatusCode: status, requestId: id, extendedRequestId: undefined, cfId: undefined, attempts: 1, totalRetryDelay: 0 };
}

/** v3's base of every service error (`ServiceException` of @smithy/smithy-client). */
export class ApiGatewayManagementApiServiceException extends Error {
  constructor(options) {
    super(options.message);
    this.name = options.name;
    this.$fault = options.$fault;
    this.$metadata = options.$metadata;
    this.$response = undefined;
    this.$retryable = undefined;
  }
}

export class GoneException extends ApiGatewayManagementApiServiceException {
  constructor(options) {
    super({ name: 'GoneException', $fault: 'client', ...options });
  }
}

export class ForbiddenException extends ApiGatewayManagementApiServiceException {
  constructor(options) {
    super({ name: 'ForbiddenException', $fault: 'client', ...options });
  }
}

export class LimitExceededException extends ApiGatewayManagementApiServiceException {
  constructor(options) {
    super({ name: 'LimitExceededException', $fault: 'client', ...options });
  }
}

export class PayloadTooLargeException extends ApiGatewayManagementApiServiceException {
  constructor(options) {
    super({ name: 'PayloadTooLargeException', $fault: 'client', ...options });
  }
}

const CLASSES = { GoneException, ForbiddenException, LimitExceededException, PayloadTooLargeException };

function serviceError(e) {
  const known = apiError(e);
  if (!known) return e;
  const [name, status, fault] = known;
  const Class = CLASSES[name];
  const options = { message: e.message, $metadata: metadata(status) };
  return Class ? new Class(options) : new ApiGatewayManagementApiServiceException({ name, $fault: fault, ...options });
}

/** A no-op middleware stack: wsh's calls have no HTTP layer to hook into. */
function middlewareStack() {
  const stack = {
    add() {},
    addRelativeTo() {},
    use() {},
    remove() { return false; },
    removeByTag() { return false; },
    clone() { return middlewareStack(); },
    concat() { return middlewareStack(); },
    applyToStack() {},
    identify() { return []; },
    resolve: (handler) => handler,
  };
  return stack;
}

class Command {
  constructor(input) {
    this.input = input;
    this.middlewareStack = middlewareStack();
  }
}

export class PostToConnectionCommand extends Command {
  static operation = 'PostToConnection';
}

export class GetConnectionCommand extends Command {
  static operation = 'GetConnection';
}

export class DeleteConnectionCommand extends Command {
  static operation = 'DeleteConnection';
}

/** Settles `promise` into a Node-style `callback(err, data)` when one is given. */
function withCallback(promise, callback) {
  if (typeof callback !== 'function') return promise;
  promise.then((data) => callback(null, data), (err) => callback(err));
  return undefined;
}

export class ApiGatewayManagementApiClient {
  constructor(config = {}) {
    this.config = { ...config };
    this.middlewareStack = middlewareStack();
  }

  /** Runs `command`: a promise of its output (or `callback(err, data)`). */
  send(command, optionsOrCallback, callback) {
    const cb = typeof optionsOrCallback === 'function' ? optionsOrCallback : callback;
    const operation = command?.constructor?.operation;
    const promise = new Promise((resolve) => {
      if (!OPERATIONS[operation]) {
        throw new TypeError(`${command?.constructor?.name ?? typeof command} is not a command of @aws-sdk/client-apigatewaymanagementapi (PostToConnectionCommand, GetConnectionCommand, DeleteConnectionCommand)`);
      }
      // A provider function (v3 takes one) may return a promise.
      const endpoint = typeof this.config.endpoint === 'function' ? this.config.endpoint() : this.config.endpoint;
      resolve(Promise.resolve(endpoint).then((e) => {
        checkEndpoint(e, 'ApiGatewayManagementApiClient');
        let result;
        try {
          result = OPERATIONS[operation](command.input ?? {});
        } catch (err) {
          throw serviceError(err);
        }
        return { $metadata: metadata(result.status), ...result.output };
      }));
    });
    return withCallback(promise, cb);
  }

  destroy() {}
}

/** The aggregated client: one method per operation. */
export class ApiGatewayManagementApi extends ApiGatewayManagementApiClient {
  postToConnection(input, optionsOrCallback, callback) {
    return this.send(new PostToConnectionCommand(input), optionsOrCallback, callback);
  }

  getConnection(input, optionsOrCallback, callback) {
    return this.send(new GetConnectionCommand(input), optionsOrCallback, callback);
  }

  deleteConnection(input, optionsOrCallback, callback) {
    return this.send(new DeleteConnectionCommand(input), optionsOrCallback, callback);
  }
}

export { ApiGatewayManagementApiServiceException as __ServiceException };
