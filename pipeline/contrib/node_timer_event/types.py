"""Type aliases of ``pipeline.contrib.node_timer_event`` (upstream's names)."""

import typing

T = typing.TypeVar("T")

#: ``{"timestamp": float, "repetitions": Optional[int]}`` (see ``utils.parse_timer_defined``).
TimeDefined = typing.Dict[str, typing.Any]

#: A stored timer: ``{"index", "action", "timer_type", "defined", "repetitions"}``.
TimerEvent = typing.Dict[str, typing.Any]

TimerEvents = typing.List[TimerEvent]
