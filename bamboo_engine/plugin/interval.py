"""Interval generators: how long a POLL service waits before its next ``schedule``."""


class AbstractIntervalGenerator:
    """Base generator; ``count`` is the number of ``next()`` calls so far."""

    def __init__(self):
        self.count = 0

    def next(self):
        self.count += 1


class DefaultIntervalGenerator(AbstractIntervalGenerator):
    """``count ** 2`` seconds: 1, 4, 9, ..."""

    def __init__(self):
        super().__init__()

    def next(self):
        super().next()
        return self.count**2


class SquareIntervalGenerator(AbstractIntervalGenerator):
    """``count ** 2`` seconds."""

    def __init__(self):
        super().__init__()

    def next(self):
        super().next()
        return self.count**2


class NullIntervalGenerator(AbstractIntervalGenerator):
    """quirk: does not override ``next()``, so it yields None."""


class LinearIntervalGenerator(AbstractIntervalGenerator):
    """quirk: does not override ``next()``, so it yields None."""


class StaticIntervalGenerator(AbstractIntervalGenerator):
    """Always ``interval`` seconds."""

    def __init__(self, interval):
        super().__init__()
        self.interval = interval

    def next(self):
        super().next()
        return self.interval
