"""Object helpers."""


class Representable:
    """Gives a readable ``repr`` built from the instance attributes."""

    def __repr__(self) -> str:
        attrs = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({attrs})"
