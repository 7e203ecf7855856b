"""``boto3.session.Session``: region and credentials are accepted and unused (a handler's one
client reaches its own app without signing)."""

from botocore.exceptions import UnknownServiceError

# Imported now, at build time: a component has no filesystem to import from when an event runs.
from wsh._apigw import ApiGatewayManagementApi

SERVICE = "apigatewaymanagementapi"


def _unavailable(what):
    return UnknownServiceError(
        message=f"{what} is not available in a wsh handler: it has no network; boto3 there has one client, "
        f"boto3.client('{SERVICE}', endpoint_url=...), which reaches this app's connections "
        "(keep state in the key-value store: from wsh import kv)"
    )


class Session:
    def __init__(self, aws_access_key_id=None, aws_secret_access_key=None, aws_session_token=None,
                 region_name=None, botocore_session=None, profile_name=None, **kwargs):
        self.region_name = region_name
        self.profile_name = profile_name

    def client(self, service_name, region_name=None, api_version=None, use_ssl=True, verify=None,
               endpoint_url=None, aws_access_key_id=None, aws_secret_access_key=None,
               aws_session_token=None, config=None, **kwargs):
        if service_name != SERVICE:
            raise _unavailable(f"boto3.client({service_name!r})")
        return ApiGatewayManagementApi(endpoint_url=endpoint_url, region_name=region_name or self.region_name)

    def resource(self, service_name, *args, **kwargs):
        raise _unavailable(f"boto3.resource({service_name!r})")

    def get_available_services(self):
        return [SERVICE]

    def get_available_resources(self):
        return []

    def get_credentials(self):
        return None
