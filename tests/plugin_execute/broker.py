"""A broker stand-in: captures the plugin_execute messages and runs them through the real task bodies."""

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from celery.exceptions import Retry

from pipeline.contrib.plugin_execute import dispatch, tasks
from pipeline.contrib.plugin_execute.queues import EXECUTE_TASK_NAME


@dataclass
class Message:
    task_name: str
    kwargs: Dict[str, Any]
    countdown: Optional[float]


class FakeBroker:
    """``pending`` is the queue (in send order); ``sent`` keeps every message ever published."""

    def __init__(self) -> None:
        self.pending: List[Message] = []
        self.sent: List[Message] = []
        self.retried: List[Message] = []

    def install(self, monkeypatch: Any) -> None:
        monkeypatch.setattr(dispatch, "publish", self.publish)

    def publish(self, task_name: str, kwargs: Dict[str, Any], countdown: Optional[float]) -> None:
        message = Message(task_name, dict(kwargs), countdown)
        self.pending.append(message)
        self.sent.append(message)

    def deliver(self, message: Message) -> None:
        """Run ``message`` as a worker would; a task asking to retry goes back to the end of the queue."""
        if message.task_name == EXECUTE_TASK_NAME:
            tasks.execute(**message.kwargs)
            return
        try:
            tasks.schedule(**message.kwargs)
        except Retry:
            self.retried.append(message)
            self.pending.append(message)

    def deliver_next(self) -> Message:
        message = self.pending.pop(0)
        self.deliver(message)
        return message

    def run_until_idle(self, limit: int = 50) -> int:
        """Deliver messages until none is pending; returns how many were delivered."""
        delivered = 0
        while self.pending:
            if delivered >= limit:
                raise AssertionError(f"still {len(self.pending)} messages after {limit}: {self.pending}")
            self.deliver_next()
            delivered += 1
        return delivered
