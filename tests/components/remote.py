"""A stand-in for a remote system the test-kit tests patch (it refuses to be called unpatched)."""


def fetch(key):
    raise ConnectionError(f"tests must patch remote.fetch (called with {key!r})")


def is_ready(record):
    raise ConnectionError("tests must patch remote.is_ready")
