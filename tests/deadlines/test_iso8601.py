"""ISO 8601 timers of node_timer_event (pipeline/contrib/node_timer_event/utils.py)."""

import datetime

import pytest

from pipeline.contrib.node_timer_event.utils import (
    add_duration,
    next_cycle_due,
    parse_cycle,
    parse_duration,
    parse_timer_defined,
)

START = datetime.datetime(2030, 1, 31, 12, 0, 0)


@pytest.mark.parametrize(
    ("defined", "expected"),
    [
        ("PT15S", (0, 15.0)),
        ("PT1H30M", (0, 5400.0)),
        ("P14D", (0, 14 * 86400.0)),
        ("P14DT1H30M", (0, 14 * 86400.0 + 5400.0)),
        ("P1W", (0, 604800.0)),
        ("PT0.5S", (0, 0.5)),
        ("PT1,5M", (0, 90.0)),
        ("P1Y2M", (14, 0.0)),
        ("P1MT1S", (1, 1.0)),
    ],
)
def test_durations(defined, expected):
    assert parse_duration(defined) == expected


@pytest.mark.parametrize("defined", ["", "P", "PT", "15S", "PT15", "P1.5M", "PT0S", "P1DT", "R3/PT1S", None])
def test_bad_durations_are_refused(defined):
    with pytest.raises(ValueError):
        parse_duration(defined)


def test_months_are_calendar_months_clamped_to_the_last_day():
    assert add_duration(START, (1, 0.0)) == datetime.datetime(2030, 2, 28, 12, 0, 0)
    assert add_duration(START, (13, 60.0)) == datetime.datetime(2031, 2, 28, 12, 1, 0)


@pytest.mark.parametrize(
    ("defined", "expected"),
    [
        ("R5/PT10S", (5, (0, 10.0))),
        ("R1/P1D", (1, (0, 86400.0))),
        ("R/PT1M", (None, (0, 60.0))),
        ("PT2S", (1, (0, 2.0))),
    ],
)
def test_cycles(defined, expected):
    assert parse_cycle(defined) == expected


@pytest.mark.parametrize("defined", ["R0/PT1S", "R3", "R3/", "R3/2030-01-01T00:00:00/PT1S", "Rx/PT1S"])
def test_bad_cycles_are_refused(defined):
    with pytest.raises(ValueError):
        parse_cycle(defined)


def test_timer_types():
    assert parse_timer_defined("time_duration", "PT15S", start=START) == {
        "timestamp": (START + datetime.timedelta(seconds=15)).timestamp(),
        "repetitions": 1,
    }
    assert parse_timer_defined("time_cycle", "R5/PT10S", start=START) == {
        "timestamp": (START + datetime.timedelta(seconds=10)).timestamp(),
        "repetitions": 5,
    }
    utc = parse_timer_defined("time_date", "2030-10-01T12:00:00Z")
    assert utc == {
        "timestamp": datetime.datetime(2030, 10, 1, 12, tzinfo=datetime.UTC).timestamp(),
        "repetitions": 1,
    }
    offset = parse_timer_defined("time_date", "2030-10-02T08:09:40+02:00")["timestamp"]
    zoned = parse_timer_defined("time_date", "2030-10-02T08:09:40[Europe/Berlin]")["timestamp"]
    assert offset == zoned  # Berlin is at +02:00 in October
    with pytest.raises(ValueError, match="Unsupported timer_type"):
        parse_timer_defined("time_whenever", "PT1S")
    with pytest.raises(ValueError, match="not an ISO 8601 date"):
        parse_timer_defined("time_date", "tomorrow")


def test_a_cycle_keeps_its_rhythm_and_resumes_after_an_outage():
    previous = START.timestamp()
    assert next_cycle_due("R5/PT10S", previous, now=previous + 3) == previous + 10
    # the scanner was away for a minute: the next firing is one period from now, not six at once
    assert next_cycle_due("R5/PT10S", previous, now=previous + 60) == previous + 70
    assert next_cycle_due("R5/PT10S", None, now=previous) == previous + 10
