# A $connect authorizer (API Gateway's Lambda REQUEST authorizer): allows a handshake whose
# `auth` header is `letmein`, denies any other. Name it in app.arc to use it:
#
#   @wsh
#   authorizer auth
#   identity-source route.request.header.auth
#
# Its context reaches every later event of the connection as requestContext.authorizer (with
# principalId). `raise 'Unauthorized'` would answer 401 instead of 403.

def handler(event:, context:)
  # Header names arrive as the client sent them.
  auth = (event['headers'] || {}).find { |k, _| k.downcase == 'auth' }&.last
  {
    principalId: 'user-1',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        { Action: 'execute-api:Invoke', Effect: auth == 'letmein' ? 'Allow' : 'Deny', Resource: event['methodArn'] }
      ]
    },
    context: { user: 'ada' }
  }
end
