"""botocore as a wsh handler has it: ``botocore.exceptions`` (``ClientError`` and friends) and
``botocore.config.Config``, for the one client wsh's boto3 has, the API Gateway management API
(see boto3). This package goes into handler components only (build.py), never onto a Python's
path: the real botocore is untouched."""

__version__ = "1.44.5+wsh"
