"""``sleep_timer``: polls until ``seconds`` have passed since execute; timer action ``playground_note``."""

import time

from pipeline.component_framework.component import Component
from pipeline.contrib.node_timer_event.handlers import BaseAction
from pipeline.core.flow.activity import Service, StaticIntervalGenerator
from pipeline.core.flow.io import FloatItemSchema

__group_name__ = "Timers"

#: Seconds between two polls.
POLL_INTERVAL = 1


class SleepTimerService(Service):
    """Execute stores the wake-up time in the outputs (they persist between calls); each poll checks it."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(POLL_INTERVAL)

    def inputs_format(self):
        return [
            self.InputItem(name="Seconds", key="seconds", type="float", schema=FloatItemSchema("to wait"))
        ]

    def outputs_format(self):
        return [
            self.OutputItem(name="Wake at", key="wake_at", type="float", schema=FloatItemSchema("epoch s"))
        ]

    def execute(self, data, parent_data):
        seconds = data.get_one_of_inputs("seconds", 0)
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            data.set_outputs("ex_data", f"seconds must be a non-negative number, got {seconds!r}")
            return False
        data.set_outputs("wake_at", time.time() + seconds)
        return True

    def schedule(self, data, parent_data, callback_data=None):
        if time.time() >= data.get_one_of_outputs("wake_at"):
            self.finish_schedule()
        return True


class SleepTimerComponent(Component):
    name = "Sleep timer"
    code = "sleep_timer"
    bound_service = SleepTimerService


class NoteAction(BaseAction):
    """Timer action ``playground_note``: writes into the node's log that its timer fired.

    Defined here so that every process of the playground registers it (the component modules are
    imported at start-up), as a project registers its own timer actions.
    """

    def do(self, data, parent_data, *args, **kwargs) -> bool:
        from pipeline.eri.log import get_logger

        get_logger(self.node_id, 1, self.version).info("timer fired: the node is still running, it goes on")
        return True

    class Meta:
        action_name = "playground_note"
