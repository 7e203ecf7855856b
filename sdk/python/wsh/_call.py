"""What both entries do around a call of ``handler``."""

import sys
import traceback

from componentize_py_types import Err


def failure(e):
    """The exception as the export's ``err``; the traceback goes to the log (the host logs the
    message with the route and request id). componentize-py mounts the route directory at /0/
    and this SDK at /1/."""
    trace = traceback.format_exc().replace('File "/0/', 'File "').replace('File "/1/', 'File "wsh-sdk/')
    sys.stderr.write(trace)
    return Err(f"{type(e).__name__}: {e}")


def flush():
    # The instance is dropped right after the export returns: nothing else would flush.
    sys.stdout.flush()
    sys.stderr.flush()
