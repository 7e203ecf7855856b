"""``botocore.config.Config``: accepted and kept; a wsh handler's management API calls have no
retries, timeouts or signing to configure."""


class Config:
    def __init__(self, *args, **kwargs):
        self._user_provided_options = dict(kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)

    def merge(self, other):
        merged = dict(self._user_provided_options)
        merged.update(getattr(other, "_user_provided_options", {}))
        return Config(**merged)
