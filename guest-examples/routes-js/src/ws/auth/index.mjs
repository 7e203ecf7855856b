// A $connect authorizer (API Gateway's Lambda REQUEST authorizer): allows a handshake whose
// `auth` header is `letmein`, denies any other. Name it in app.arc to use it:
//
//   @wsh
//   authorizer auth
//   identity-source route.request.header.auth
//
// Its context reaches every later event of the connection as requestContext.authorizer
// (with principalId). `throw new Error('Unauthorized')` would answer 401 instead of 403.

export async function handler(event) {
  // Header names arrive as the client sent them.
  const auth = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'auth')?.[1];
  const allowed = auth === 'letmein';
  return {
    principalId: 'user-1',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: allowed ? 'Allow' : 'Deny', Resource: event.methodArn }],
    },
    context: { user: 'ada' },
  };
}
