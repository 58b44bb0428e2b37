"""ISO 8601 timers: when a timer of each :class:`~.constants.TimerType` falls due, and how often.

Durations are ``P[nY][nM][nW][nD][T[nH][nM][nS]]`` (decimals allowed from weeks down, with ``.`` or
``,``); years and months are calendar steps (one month after 31 January is the last day of February).
Dates without an offset or zone are local times of the process, as upstream reads them.
"""

import calendar
import datetime
import re
from typing import Any, Callable, Dict, Optional, Tuple

from pipeline.contrib.node_timer_event.constants import TimerType
from pipeline.contrib.node_timer_event.types import TimeDefined

_NUMBER = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?"
    rf"(?:(?P<weeks>{_NUMBER})W)?(?:(?P<days>{_NUMBER})D)?"
    rf"(?:T(?=\d)(?:(?P<hours>{_NUMBER})H)?(?:(?P<minutes>{_NUMBER})M)?(?:(?P<seconds>{_NUMBER})S)?)?$"
)
_CYCLE = re.compile(r"^R(?P<repetitions>\d*)/(?P<duration>[^/]+)$")
_ZONE = re.compile(r"^(?P<moment>[^\[]+)\[(?P<zone>[^\]]+)\]$")

#: ``(calendar months, fixed seconds)`` of a duration.
Duration = Tuple[int, float]


def _number(text: Optional[str]) -> float:
    return float(text.replace(",", ".")) if text else 0.0


def parse_duration(defined: str) -> Duration:
    """``(months, seconds)`` of an ISO 8601 duration.

    Raises:
        ValueError: not a duration this module reads, or a zero duration.
    """
    match = _DURATION.match(str(defined).strip())
    if not match:
        raise ValueError(f"not an ISO 8601 duration: {defined!r} (e.g. PT15S, PT1H30M, P14D)")
    parts = match.groupdict()
    months = int(parts["years"] or 0) * 12 + int(parts["months"] or 0)
    seconds = (
        _number(parts["weeks"]) * 604800
        + _number(parts["days"]) * 86400
        + _number(parts["hours"]) * 3600
        + _number(parts["minutes"]) * 60
        + _number(parts["seconds"])
    )
    if months == 0 and seconds <= 0:
        raise ValueError(f"a timer duration must be longer than zero: {defined!r}")
    return months, seconds


def add_duration(start: datetime.datetime, duration: Duration) -> datetime.datetime:
    """``start`` plus a duration (months as calendar months, day clamped to the month's last)."""
    months, seconds = duration
    if months:
        year, month = divmod(start.month - 1 + months, 12)
        year += start.year
        day = min(start.day, calendar.monthrange(year, month + 1)[1])
        start = start.replace(year=year, month=month + 1, day=day)
    return start + datetime.timedelta(seconds=seconds)


def _start(start: Optional[datetime.datetime]) -> datetime.datetime:
    return start or datetime.datetime.now()


def parse_datetime(defined: str) -> datetime.datetime:
    """An ISO 8601 date and time, optionally followed by ``[Area/City]``.

    Raises:
        ValueError: not a date and time.
    """
    text = str(defined).strip()
    zone = None
    zoned = _ZONE.match(text)
    if zoned:
        from zoneinfo import ZoneInfo

        text, zone = zoned.group("moment"), ZoneInfo(zoned.group("zone"))
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date and time: {defined!r} (e.g. 2030-10-01T12:00:00Z)")
    if zone is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


def handle_result(timestamp: float, repetitions: Optional[int] = 1, *args, **kwargs) -> TimeDefined:
    return {"timestamp": timestamp, "repetitions": repetitions}


def handle_timedate(defined: str, start: Optional[datetime.datetime] = None, *args, **kwargs) -> TimeDefined:
    return handle_result(timestamp=parse_datetime(defined).timestamp())


def handle_time_duration(
    defined: str, start: Optional[datetime.datetime] = None, *args, **kwargs
) -> TimeDefined:
    return handle_result(timestamp=add_duration(_start(start), parse_duration(defined)).timestamp())


def parse_cycle(defined: str) -> Tuple[Optional[int], Duration]:
    """``(repetitions, duration)`` of ``R<n>/<duration>`` (None: ``R/``, unbounded); a bare duration
    repeats once.

    Raises:
        ValueError: not a cycle this module reads, or ``R0``.
    """
    text = str(defined).strip()
    match = _CYCLE.match(text)
    if not match:
        if text.startswith("R"):
            raise ValueError(f"not an ISO 8601 repeating interval: {defined!r} (e.g. R5/PT10S)")
        return 1, parse_duration(text)
    repetitions = int(match.group("repetitions")) if match.group("repetitions") else None
    if repetitions == 0:
        raise ValueError(f"a timer cycle must repeat at least once: {defined!r}")
    return repetitions, parse_duration(match.group("duration"))


def handle_time_cycle(
    defined: str, start: Optional[datetime.datetime] = None, *args, **kwargs
) -> TimeDefined:
    repetitions, duration = parse_cycle(defined)
    return handle_result(timestamp=add_duration(_start(start), duration).timestamp(), repetitions=repetitions)


TIMER_TYPE_ROUTES: Dict[str, Callable[..., TimeDefined]] = {
    TimerType.TIME_DURATION.value: handle_time_duration,
    TimerType.TIME_CYCLE.value: handle_time_cycle,
    TimerType.TIME_DATE.value: handle_timedate,
}


def parse_timer_defined(
    timer_type: str, defined: str, start: Optional[datetime.datetime] = None, *args: Any, **kwargs: Any
) -> TimeDefined:
    """When a timer first falls due after ``start`` (default now), and how many times it fires.

    Raises:
        ValueError: an unknown ``timer_type`` or a ``defined`` that does not parse.
    """
    if timer_type not in TIMER_TYPE_ROUTES:
        raise ValueError(f"Unsupported timer_type -> {timer_type} (one of {', '.join(TIMER_TYPE_ROUTES)})")
    return TIMER_TYPE_ROUTES[timer_type](defined, start, *args, **kwargs)


def next_cycle_due(defined: str, previous_due: Optional[float], now: float) -> float:
    """The due time of a cycle's next firing: one period after the previous due time, so a cycle keeps
    its rhythm; one period after ``now`` when that is already past (after an outage the cycle resumes
    instead of firing its missed repetitions in a burst)."""
    _, duration = parse_cycle(defined)
    if previous_due is not None:
        due = add_duration(datetime.datetime.fromtimestamp(previous_due), duration).timestamp()
        if due > now:
            return due
    return add_duration(datetime.datetime.fromtimestamp(now), duration).timestamp()
