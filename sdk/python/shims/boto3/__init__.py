"""boto3 as a wsh handler has it: one client, the API Gateway management API, which reaches this
app's own connections through wsh's ws calls (a handler has no network)::

    import boto3

    def handler(event, context):
        rc = event["requestContext"]
        api = boto3.client("apigatewaymanagementapi", endpoint_url=f"https://{rc['domainName']}/{rc['stage']}")
        api.post_to_connection(ConnectionId=rc["connectionId"], Data=b"hello")

``post_to_connection``, ``get_connection`` and ``delete_connection`` are ``ws.send``, ``ws.info``
and ``ws.close``; a gone connection raises ``botocore.exceptions.ClientError`` with code
``GoneException`` (``client.exceptions.GoneException``). Any other service, or an endpoint that
is not this app's, is an error that says so. This package goes into handler components only
(build.py), never onto a Python's path: the real boto3 is untouched."""

from . import session
from .session import Session

__version__ = "1.44.5+wsh"
__all__ = ["Session", "client", "resource", "session", "setup_default_session"]

DEFAULT_SESSION = None


def setup_default_session(**kwargs):
    global DEFAULT_SESSION
    DEFAULT_SESSION = Session(**kwargs)


def _get_default_session():
    if DEFAULT_SESSION is None:
        setup_default_session()
    return DEFAULT_SESSION


def client(*args, **kwargs):
    """``boto3.client("apigatewaymanagementapi", endpoint_url=...)``; any other service raises."""
    return _get_default_session().client(*args, **kwargs)


def resource(*args, **kwargs):
    """No resources in a wsh handler: raises, saying what there is."""
    return _get_default_session().resource(*args, **kwargs)


def set_stream_logger(*args, **kwargs):
    pass
