// The functions serverless.yml names, as the Serverless Framework's websocket guide writes them:
// CommonJS, several exports in one file, replies through the AWS SDK's API Gateway management
// API client pointed at `https://{domainName}/{stage}`. Under wsh the client reaches the
// connections through wsh's ws calls (a handler has no network), and fails as on AWS:
// GoneException (410) for a connection that has closed.

const {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
  GetConnectionCommand,
  GoneException,
} = require('@aws-sdk/client-apigatewaymanagementapi');
const util = require('util');

/** The management API of the app the request came to (a WebSocket event or an HTTP request). */
const managementApi = (requestContext) =>
  new ApiGatewayManagementApiClient({
    endpoint: util.format('https://%s/%s', requestContext.domainName, requestContext.stage),
  });

const post = (requestContext, connectionId, payload) =>
  managementApi(requestContext).send(
    new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(JSON.stringify(payload)) }),
  );

const header = (event, name) =>
  Object.entries(event.headers || {}).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

// The $connect authorizer: `Auth: letmein` is allowed, as the user `?token=` names.
module.exports.auth = async (event) => {
  const user = (event.queryStringParameters || {}).token;
  const effect = header(event, 'Auth') === 'letmein' ? 'Allow' : 'Deny';
  return {
    principalId: `user-${user}`,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: event.methodArn }],
    },
    context: { user },
  };
};

// $connect: what it sends its own connection arrives right after the handshake.
module.exports.connect = async (event) => {
  const { connectionId, authorizer } = event.requestContext;
  console.log(`${authorizer.user} connected as ${connectionId}`);
  await post(event.requestContext, connectionId, { welcome: authorizer.user, connectionId });
  return { statusCode: 200 };
};

module.exports.disconnect = async (event) => {
  const { connectionId, disconnectStatusCode } = event.requestContext;
  console.log(`${connectionId} left (${disconnectStatusCode})`);
  return { statusCode: 200 };
};

// $default: the guide's reply, the event posted back to its own connection.
module.exports.defaultHandler = async (event) => {
  await post(event.requestContext, event.requestContext.connectionId, { echo: event.body, event });
  return { statusCode: 200 };
};

// whisper: to another connection; a gone one is the caller's answer (a two-way route's body).
module.exports.whisper = async (event) => {
  const { to, text } = JSON.parse(event.body);
  const from = event.requestContext.authorizer.user;
  try {
    await post(event.requestContext, to, { from, text });
    return { statusCode: 200, body: JSON.stringify({ whispered: to }) };
  } catch (e) {
    if (!(e instanceof GoneException)) throw e;
    return {
      statusCode: 200,
      body: JSON.stringify({ error: e.name, status: e.$metadata.httpStatusCode, to }),
    };
  }
};

// POST /notify/{id}: an HTTP function pushing its body to a socket.
module.exports.notify = async (req) => {
  const id = req.pathParameters.id;
  try {
    await managementApi(req.requestContext).send(new PostToConnectionCommand({ ConnectionId: id, Data: req.body || '' }));
    return { statusCode: 202, body: JSON.stringify({ notified: id }) };
  } catch (e) {
    if (e.name !== 'GoneException') throw e;
    return { statusCode: 410, body: JSON.stringify({ error: e.name, id }) };
  }
};

// GET /connections/{id}: getConnection.
module.exports.connection = async (req) => {
  const id = req.pathParameters.id;
  try {
    const c = await managementApi(req.requestContext).send(new GetConnectionCommand({ ConnectionId: id }));
    return {
      statusCode: 200,
      body: JSON.stringify({ connectedAt: c.ConnectedAt.toISOString(), sourceIp: c.Identity.SourceIp }),
    };
  } catch (e) {
    if (!(e instanceof GoneException)) throw e;
    return { statusCode: 410, body: JSON.stringify({ error: e.name, id }) };
  }
};
