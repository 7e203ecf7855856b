"""A $connect authorizer (API Gateway's Lambda REQUEST authorizer): allows a handshake whose
``auth`` header is ``letmein``, denies any other. Name it in app.arc to use it::

    @wsh
    authorizer auth
    identity-source route.request.header.auth

Its context reaches every later event of the connection as requestContext.authorizer (with
principalId). ``raise Exception("Unauthorized")`` would answer 401 instead of 403."""


def handler(event, context):
    # Header names arrive as the client sent them.
    auth = next((v for k, v in event.get("headers", {}).items() if k.lower() == "auth"), None)
    return {
        "principalId": "user-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow" if auth == "letmein" else "Deny",
                    "Resource": event["methodArn"],
                }
            ],
        },
        "context": {"user": "ada"},
    }
