"""The exceptions of botocore that handler code catches, shaped as botocore's are."""


class BotoCoreError(Exception):
    """The base of botocore's own (not the service's) errors: ``fmt`` formatted with the
    keyword arguments."""

    fmt = "An unspecified error occurred"

    def __init__(self, **kwargs):
        msg = self.fmt.format(**kwargs)
        Exception.__init__(self, msg)
        self.kwargs = kwargs


class ClientError(Exception):
    """An error the service answered with: ``e.response["Error"]["Code"]`` (e.g.
    ``"GoneException"``), ``e.response["ResponseMetadata"]["HTTPStatusCode"]`` (410) and
    ``e.operation_name`` (``"PostToConnection"``)."""

    MSG_TEMPLATE = "An error occurred ({error_code}) when calling the {operation_name} operation{retry_info}: {error_message}"

    def __init__(self, error_response, operation_name):
        retry_info = ""
        attempts = error_response.get("ResponseMetadata", {}).get("RetryAttempts")
        if attempts:
            retry_info = f" (reached max retries: {attempts})"
        error = error_response.get("Error", {})
        msg = self.MSG_TEMPLATE.format(
            error_code=error.get("Code", "Unknown"),
            error_message=error.get("Message", "Unknown"),
            operation_name=operation_name,
            retry_info=retry_info,
        )
        super().__init__(msg)
        self.response = error_response
        self.operation_name = operation_name

    def __reduce__(self):
        return self.__class__, (self.response, self.operation_name)


class ParamValidationError(BotoCoreError):
    fmt = "Parameter validation failed:\n{report}"


class EndpointConnectionError(BotoCoreError):
    fmt = 'Could not connect to the endpoint URL: "{endpoint_url}": {error}'


class NoCredentialsError(BotoCoreError):
    fmt = "Unable to locate credentials"


class NoRegionError(BotoCoreError):
    fmt = "You must specify a region."


class UnknownServiceError(BotoCoreError):
    fmt = "{message}"


class DataNotFoundError(BotoCoreError):
    fmt = "Unable to load data for: {data_path}"
