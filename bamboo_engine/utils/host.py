"""The host name metrics and logs carry (read once per process)."""

import socket

__all__ = ["get_hostname"]

_HOSTNAME = socket.gethostname()


def get_hostname() -> str:
    """This machine's host name."""
    return _HOSTNAME
