"""Timer types of ``events.timer_events`` entries (``timer_type``)."""

from enum import Enum


class TimerType(Enum):
    #: ISO 8601 date and time, e.g. ``2030-10-01T12:00:00Z``, ``2030-10-02T08:09:40+02:00``,
    #: ``2030-10-02T08:09:40[Europe/Berlin]``; fires once, at that moment.
    TIME_DATE = "time_date"
    #: ISO 8601 repeating interval ``R<n>/<duration>``, e.g. ``R5/PT10S``: every 10 s, five times;
    #: ``R/<duration>`` repeats until the node leaves RUNNING.
    TIME_CYCLE = "time_cycle"
    #: ISO 8601 duration ``P(n)Y(n)M(n)W(n)DT(n)H(n)M(n)S``, e.g. ``PT15S``, ``PT1H30M``, ``P14DT1H``;
    #: fires once, that long after the node became RUNNING.
    TIME_DURATION = "time_duration"
