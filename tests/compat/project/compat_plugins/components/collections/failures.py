"""Plugins with the bugs real plugins have: values nothing can store, interval generators that run out."""

from pipeline.component_framework.component import Component
from pipeline.core.flow.activity import AbstractIntervalGenerator, Service, StaticIntervalGenerator

__group_name__ = "Compat failures"


class Handle:
    """Stands for what plugins sometimes keep by mistake: a client, a lock, an open file."""


class UnstorableService(Service):
    """Stores a ``Handle`` under ``handle`` when it executes."""

    def execute(self, data, parent_data):
        data.set_outputs("handle", Handle())
        return True


class UnstorableComponent(Component):
    name = "Unstorable output"
    code = "compat_unstorable"
    bound_service = UnstorableService


class UnstorablePollService(Service):
    """Executes cleanly, then stores a ``Handle`` under ``handle`` on its first poll."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(0.2)

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        data.set_outputs("handle", Handle())
        return True


class UnstorablePollComponent(Component):
    name = "Unstorable output on poll"
    code = "compat_unstorable_poll"
    bound_service = UnstorablePollService


class BackoffIntervals(AbstractIntervalGenerator):
    """Polls after each of ``delays`` in turn; with no delay left ``next()`` raises IndexError (the bug)."""

    def __init__(self, *delays):
        super().__init__()
        self.delays = delays

    def next(self):
        super().next()
        return self.delays[self.count - 1]


class BackoffPollService(Service):
    """Never done: polls after 0.2 s, then asks its generator for a second delay it does not have."""

    __need_schedule__ = True
    interval = BackoffIntervals(0.2)

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        data.set_outputs("polls", data.get_one_of_outputs("polls", 0) + 1)
        return True


class BackoffPollComponent(Component):
    name = "Back-off poll"
    code = "compat_backoff_poll"
    bound_service = BackoffPollService


class MisconfiguredPollService(BackoffPollService):
    """Configured with no delay at all: its very first interval raises, in the execute task."""

    interval = BackoffIntervals()


class MisconfiguredPollComponent(Component):
    name = "Misconfigured poll"
    code = "compat_misconfigured_poll"
    bound_service = MisconfiguredPollService
