"""What ``pipeline.eri.imp._sql`` must do, written once for every database the runtime supports.

The plain SQL replaces ORM calls on the hot path, so it has to behave like them on SQLite (the unit
suite, tests/django/test_sql_layer.py), on MariaDB (tests/integration/test_sql_layer_mariadb.py) and on
PostgreSQL (tests/integration/test_sql_layer_postgres.py) alike; sharing the check bodies keeps the runs
from drifting apart.

Every check takes a short ``prefix`` that all the keys it writes start with: the MariaDB session database
is shared by the whole integration run, and :func:`cleanup` deletes exactly those rows afterwards.
Django and the models are imported inside the functions because the integration tests configure Django
only when their session fixture runs.
"""

import itertools
import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Optional

import pytest

from tests.sql_strings import NASTY

_numbers = itertools.count(1)
_EIGHT_HOURS_EAST = timezone(timedelta(hours=8))


# --------------------------------------------------------------------------------------- helpers
def _db():
    from django.db import connection

    return connection


def _captured(work: Callable[[], Any]):
    """``work()``'s result and the SQL it sent on the default connection (opened beforehand)."""
    from django.test.utils import CaptureQueriesContext

    _db().ensure_connection()  # a connection's session set-up is not part of the statement count
    with CaptureQueriesContext(_db()) as context:
        result = work()
    return result, [query["sql"] for query in context.captured_queries]


def _seen_by_another_connection(model, **lookup: Any) -> bool:
    """Whether a new connection (a new thread's) sees the row: committed data only."""
    from django.db import connections

    outcome: Dict[str, Any] = {}

    def look() -> None:
        try:
            outcome["seen"] = model.objects.filter(**lookup).exists()
        except Exception as err:  # re-raised by the caller's thread
            outcome["error"] = err
        finally:
            connections.close_all()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the reading thread did not finish"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["seen"]


def _fields(instance) -> Dict[str, Any]:
    """Every concrete column of a model instance (``model_to_dict`` skips the non-editable ones)."""
    return {field.name: getattr(instance, field.name) for field in instance._meta.concrete_fields}


def _is_utc(moment: Optional[datetime]) -> bool:
    return moment is not None and moment.utcoffset() == timedelta(0)


def _state(prefix: str, suffix: str, **fields: Any) -> Dict[str, Any]:
    return {"node_id": f"{prefix}{suffix}", "name": "READY", "version": f"{prefix}v1", **fields}


def _schedule(prefix: str, suffix: str, **fields: Any) -> Dict[str, Any]:
    return {"type": 1, "node_id": f"{prefix}{suffix}", "version": f"{prefix}v1", **fields}


def _context(prefix: str, key: str, **fields: Any) -> Dict[str, Any]:
    row = {"pipeline_id": f"{prefix}p", "key": key, "type": 1, "serializer": "json", "value": "v"}
    return {**row, "references": "[]", **fields}


def cleanup(prefix: str) -> None:
    """Delete every row a check with this ``prefix`` may have written."""
    from pipeline.eri.models import ContextValue, DeliveryClaim, ExecutionData, Process, Schedule, State

    State.objects.filter(node_id__startswith=prefix).delete()
    Schedule.objects.filter(node_id__startswith=prefix).delete()
    Process.objects.filter(root_pipeline_id__startswith=prefix).delete()
    ContextValue.objects.filter(pipeline_id__startswith=prefix).delete()
    ExecutionData.objects.filter(node_id__startswith=prefix).delete()
    DeliveryClaim.objects.filter(token__startswith=prefix).delete()


# --------------------------------------------------------------------------------------- update
def check_update_counts_matched_rows_even_when_nothing_changes(prefix: str) -> None:
    """Compare-and-set callers read "0" as "the row moved": an unchanged row must still count."""
    from pipeline.eri.imp import _sql
    from pipeline.eri.models import State

    State.objects.create(**_state(prefix, "n", name="RUNNING"))
    where = {"node_id": f"{prefix}n"}
    assert _sql.update(State, where, {"name": "RUNNING"}) == 1
    assert _sql.update(State, where, {"name": "FINISHED"}) == 1
    assert _sql.update(State, {"node_id": f"{prefix}missing"}, {"name": "FINISHED"}) == 0
    assert State.objects.get(**where).name == "FINISHED"


def check_update_counts_every_matched_row(prefix: str) -> None:
    from pipeline.eri.imp import _sql
    from pipeline.eri.models import Schedule

    process_id = 10**12 + next(_numbers)
    for suffix in ("a", "b"):
        Schedule.objects.create(**_schedule(prefix, suffix, process_id=process_id))
    Schedule.objects.create(**_schedule(prefix, "c", process_id=process_id + 1))
    assert _sql.update(Schedule, {"process_id": process_id}, {"expired": True}) == 2
    expired = Schedule.objects.filter(node_id__startswith=prefix, expired=True)
    assert sorted(expired.values_list("node_id", flat=True)) == [f"{prefix}a", f"{prefix}b"]


def check_update_where_requires_every_column(prefix: str) -> None:
    """The where clause ANDs its columns: a stale name or version matches nothing and writes nothing."""
    from pipeline.eri.imp import _sql
    from pipeline.eri.models import State

    State.objects.create(**_state(prefix, "n"))
    node_id, old, new = f"{prefix}n", f"{prefix}v1", f"{prefix}v2"
    changes = {"name": "RUNNING", "version": new}
    assert _sql.update(State, {"node_id": node_id, "name": "RUNNING", "version": old}, changes) == 0
    assert _sql.update(State, {"node_id": node_id, "name": "READY", "version": new}, changes) == 0
    assert State.objects.filter(node_id=node_id).values_list("name", "version").get() == ("READY", old)
    assert _sql.update(State, {"node_id": node_id, "name": "READY", "version": old}, changes) == 1
    assert State.objects.filter(node_id=node_id).values_list("name", "version").get() == ("RUNNING", new)
    assert _sql.update(State, {"node_id": node_id, "name": "READY", "version": old}, changes) == 0


def check_update_where_on_a_boolean(prefix: str) -> None:
    """The shape of ``wake_up``: a dead process must not match ``dead = False``."""
    from pipeline.eri.imp import _sql
    from pipeline.eri.models import Process

    process = Process.objects.create(root_pipeline_id=f"{prefix}r", priority=1)
    alive = {"id": process.id, "dead": False}
    assert _sql.update(Process, alive, {"asleep": False}) == 1
    assert _sql.update(Process, alive, {"dead": True}) == 1
    assert _sql.update(Process, alive, {"asleep": True}) == 0
    process.refresh_from_db()
    assert (process.asleep, process.dead) == (False, True)


def check_increment_adds_to_the_stored_value(prefix: str) -> None:
    """``Increment`` adds in the database, to whatever is stored, next to plain assignments."""
    from pipeline.eri.imp import _sql
    from pipeline.eri.models import Schedule

    schedule = Schedule.objects.create(**_schedule(prefix, "n"))
    where = {"id": schedule.id}
    assert _sql.update(Schedule, where, {"schedule_times": _sql.Increment()}) == 1
    Schedule.objects.filter(id=schedule.id).update(schedule_times=10)  # another writer, meanwhile
    assert _sql.update(Schedule, where, {"scheduling": True, "schedule_times": _sql.Increment(5)}) == 1
    schedule.refresh_from_db()
    assert (schedule.schedule_times, schedule.scheduling) == (15, True)


# --------------------------------------------------------------------------------------- insert
def check_insert_fills_defaults_like_orm_create(prefix: str) -> None:
    """Left-out fields get what ``Model.objects.create`` gives them, ``auto_now_add`` included."""
    from pipeline.eri.imp import _sql
    from pipeline.eri.models import DeliveryClaim, Process, Schedule, State

    cases = [  # model, its unique key column, the rest of the row, the auto_now_add field
        (State, "node_id", _state(prefix, ""), "created_time"),
        (Process, "root_pipeline_id", {"priority": 3}, "last_heartbeat"),
        (DeliveryClaim, "token", {}, "claimed_at"),
        (Schedule, "node_id", _schedule(prefix, ""), None),
    ]
    for model, key, row, stamped in cases:
        orm_row, sql_row = {**row, key: f"{prefix}orm"}, {**row, key: f"{prefix}sql"}
        before = datetime.now(UTC)
        orm = _fields(model.objects.get(id=model.objects.create(**orm_row).id))  # as stored
        new_id = _sql.insert(model, sql_row)
        after = datetime.now(UTC)
        written = _fields(model.objects.get(**{key: sql_row[key]}))
        assert written["id"] == new_id
        differing = {"id", key, stamped}
        assert {k: v for k, v in written.items() if k not in differing} == {
            k: v for k, v in orm.items() if k not in differing
        }, model.__name__
        if stamped:
            assert _is_utc(written[stamped]), (model.__name__, written[stamped])
            assert before <= written[stamped] <= after, (model.__name__, written[stamped])


def check_insert_returns_the_new_id(prefix: str) -> None:
    from pipeline.eri.imp import _sql
    from pipeline.eri.models import State

    first = _sql.insert(State, _state(prefix, "a"))
    second = _sql.insert(State, _state(prefix, "b"))
    assert isinstance(first, int) and isinstance(second, int) and second > first
    assert State.objects.get(node_id=f"{prefix}a").id == first
    assert State.objects.get(node_id=f"{prefix}b").id == second


def check_insert_of_a_duplicate_unique_key_returns_none(prefix: str) -> None:
    """A unique conflict is an answer (None), not an error; outside a transaction without a savepoint."""
    from pipeline.eri.imp import _sql
    from pipeline.eri.models import DeliveryClaim, Schedule, State

    assert not _db().in_atomic_block
    assert _sql.insert(State, _state(prefix, "n")) is not None
    duplicate, sql = _captured(lambda: _sql.insert(State, _state(prefix, "n", name="RUNNING")))
    assert duplicate is None
    assert not [statement for statement in sql if "SAVEPOINT" in statement.upper()]
    assert list(State.objects.filter(node_id=f"{prefix}n").values_list("name", flat=True)) == ["READY"]

    assert _sql.insert(Schedule, _schedule(prefix, "n")) is not None
    assert _sql.insert(Schedule, _schedule(prefix, "n", type=2)) is None
    assert _sql.insert(Schedule, _schedule(prefix, "n", version=f"{prefix}v2")) is not None  # pair unique
    assert _sql.insert(DeliveryClaim, {"token": f"{prefix}t"}) is not None
    assert _sql.insert(DeliveryClaim, {"token": f"{prefix}t", "owner": "other"}) is None
    assert Schedule.objects.filter(node_id=f"{prefix}n").count() == 2
    assert DeliveryClaim.objects.get(token=f"{prefix}t").owner == ""


def check_insert_conflict_inside_atomic_keeps_the_transaction_usable(prefix: str) -> None:
    """The conflicting INSERT runs under a savepoint: the rest of the transaction still commits."""
    from django.db import transaction

    from pipeline.eri.imp import _sql
    from pipeline.eri.models import State

    with transaction.atomic():
        assert _sql.insert(State, _state(prefix, "a")) is not None
        duplicate, sql = _captured(lambda: _sql.insert(State, _state(prefix, "a")))
        assert duplicate is None
        assert not _db().needs_rollback
        later = _sql.insert(State, _state(prefix, "b"))
        assert _sql.update(State, {"node_id": f"{prefix}a"}, {"name": "RUNNING"}) == 1
        assert not _seen_by_another_connection(State, node_id=f"{prefix}b")  # not committed yet
    upper = [statement.upper() for statement in sql]
    assert any(s.startswith("SAVEPOINT") for s in upper) and any("ROLLBACK TO SAVEPOINT" in s for s in upper)
    assert _seen_by_another_connection(State, node_id=f"{prefix}b")
    assert _seen_by_another_connection(State, node_id=f"{prefix}a", name="RUNNING")
    assert State.objects.get(node_id=f"{prefix}b").id == later


def check_insert_unless_writes_only_when_nothing_matches(prefix: str) -> None:
    """One statement: inserted when no row matches any condition, nothing written otherwise (a unique
    conflict included); not used inside a transaction (None, nothing sent)."""
    from django.db import transaction

    from pipeline.eri.imp import _sql
    from pipeline.eri.models import State

    guard = {"node_id": _sql.In([f"{prefix}p", f"{prefix}q"]), "name": _sql.In(["REVOKED", "SUSPENDED"])}
    inserted, sql = _captured(lambda: _sql.insert_unless(State, _state(prefix, "a"), [guard]))
    assert inserted is True and len(sql) == 1
    assert State.objects.get(node_id=f"{prefix}a").name == "READY"
    # the row's own key exists: a conflict is an answer, as for insert()
    assert _sql.insert_unless(State, _state(prefix, "a", name="RUNNING"), [guard]) is False
    assert (
        _sql.insert_unless(State, _state(prefix, "a", name="RUNNING"), [{"node_id": f"{prefix}a"}]) is False
    )
    assert State.objects.get(node_id=f"{prefix}a").name == "READY"
    # a row matching one of the conditions stops the insert
    _sql.insert(State, _state(prefix, "q", name="SUSPENDED"))
    assert _sql.insert_unless(State, _state(prefix, "b"), [{"node_id": f"{prefix}b"}, guard]) is False
    assert not State.objects.filter(node_id=f"{prefix}b").exists()
    _sql.update(State, {"node_id": f"{prefix}q"}, {"name": "RUNNING"})
    assert _sql.insert_unless(State, _state(prefix, "b"), [{"node_id": f"{prefix}b"}, guard]) is True
    with transaction.atomic():
        refused, sql = _captured(lambda: _sql.insert_unless(State, _state(prefix, "c"), [guard]))
    assert refused is None and sql == []


def check_insert_without_a_required_field_raises_value_error(prefix: str) -> None:
    """A field with neither default nor NULL must be given: the error names it, nothing is written."""
    from pipeline.eri.imp import _sql
    from pipeline.eri.models import ExecutionData, Process, State

    with pytest.raises(ValueError, match=r"State\.version"):
        _sql.insert(State, {"node_id": f"{prefix}n", "name": "READY"})
    with pytest.raises(ValueError, match=r"Process\.priority"):
        _sql.insert(Process, {"root_pipeline_id": f"{prefix}r"})
    with pytest.raises(ValueError, match=r"ExecutionData\.inputs_serializer"):
        _sql.upsert(ExecutionData, ("node_id",), {"node_id": f"{prefix}n"}, ("inputs",))
    assert not State.objects.filter(node_id=f"{prefix}n").exists()
    assert not Process.objects.filter(root_pipeline_id=f"{prefix}r").exists()
    assert not ExecutionData.objects.filter(node_id=f"{prefix}n").exists()


# --------------------------------------------------------------------------------------- upsert
def check_upsert_inserts_then_updates_only_the_update_columns(prefix: str) -> None:
    from pipeline.eri.imp import _sql
    from pipeline.eri.models import ContextValue, ExecutionData

    key, update = ("pipeline_id", "key"), ("value", "references")
    assert _sql.upsert(ContextValue, key, _context(prefix, "k", value="first"), update) is True
    created = ContextValue.objects.get(pipeline_id=f"{prefix}p", key="k")
    assert (created.type, created.code, created.value) == (1, "", "first")
    second = _context(prefix, "k", type=2, serializer="pickle", code="c", value="second", references='["x"]')
    assert _sql.upsert(ContextValue, key, second, update) is True
    updated = ContextValue.objects.get(pipeline_id=f"{prefix}p", key="k")
    assert (updated.id, updated.value, updated.references) == (created.id, "second", '["x"]')
    assert (updated.type, updated.serializer, updated.code) == (1, "json", "")

    row = {"node_id": f"{prefix}n", "inputs_serializer": "json", "outputs_serializer": "json"}
    _sql.upsert(ExecutionData, ("node_id",), {**row, "inputs": "{}", "outputs": "{}"}, ("inputs", "outputs"))
    changed = {**row, "inputs_serializer": "pickle", "inputs": "in", "outputs": "out"}
    _sql.upsert(ExecutionData, ("node_id",), changed, ("inputs", "outputs"))
    stored = ExecutionData.objects.filter(node_id=f"{prefix}n")
    assert list(stored.values_list("inputs_serializer", "inputs", "outputs")) == [("json", "in", "out")]


def check_upsert_many_writes_new_and_existing_rows_in_one_statement(prefix: str) -> None:
    from pipeline.eri.imp import _sql
    from pipeline.eri.models import ContextValue

    existing = ContextValue.objects.create(**_context(prefix, "b", value="old"))
    rows = [_context(prefix, name, type=2, value=f"new-{name}") for name in ("a", "b", "c")]
    written, sql = _captured(
        lambda: _sql.upsert_many(ContextValue, ("pipeline_id", "key"), rows, ("value", "references"))
    )
    assert written is True
    assert len(sql) == 1, sql
    stored = ContextValue.objects.filter(pipeline_id=f"{prefix}p").order_by("key")
    assert list(stored.values_list("key", "type", "code", "value")) == [
        ("a", 2, "", "new-a"),
        ("b", 1, "", "new-b"),
        ("c", 2, "", "new-c"),
    ]
    assert stored.get(key="b").id == existing.id


def check_upsert_many_of_no_rows_sends_nothing(prefix: str) -> None:
    from pipeline.eri.imp import _sql
    from pipeline.eri.models import ContextValue

    written, sql = _captured(lambda: _sql.upsert_many(ContextValue, ("pipeline_id", "key"), [], ("value",)))
    assert (written, sql) == (True, [])


# --------------------------------------------------------------------------------------- select
def check_select_by_where(prefix: str) -> None:
    from pipeline.eri.imp import _sql
    from pipeline.eri.models import ContextValue

    for index, name in enumerate(("a", "b")):
        ContextValue.objects.create(**_context(prefix, name, type=index))
    ContextValue.objects.create(**_context(prefix + "x", "a"))  # another pipeline
    rows = _sql.select(ContextValue, ("key", "type"), {"pipeline_id": f"{prefix}p"})
    assert sorted(rows) == [("a", 0), ("b", 1)]
    assert _sql.select(ContextValue, ("key",), {"pipeline_id": f"{prefix}p", "key": "b"}) == [("b",)]
    assert _sql.select(ContextValue, ("key",), {"pipeline_id": f"{prefix}none"}) == []


def check_select_with_an_in_list(prefix: str) -> None:
    from pipeline.eri.imp import _sql
    from pipeline.eri.models import ContextValue, State

    for name in ("a", "b", "c"):
        ContextValue.objects.create(**_context(prefix, name))
        State.objects.create(**_state(prefix, name, name=name.upper()))
    where = {"pipeline_id": f"{prefix}p"}
    rows = _sql.select(ContextValue, ("key",), where, "key", ["a", "c", "zz"])
    assert sorted(rows) == [("a",), ("c",)]
    ids = iter([f"{prefix}a", f"{prefix}c"])  # any iterable, read once
    assert sorted(_sql.select(State, ("node_id", "name"), {}, "node_id", ids)) == [
        (f"{prefix}a", "A"),
        (f"{prefix}c", "C"),
    ]


def check_select_with_an_empty_in_list_sends_nothing(prefix: str) -> None:
    from pipeline.eri.imp import _sql
    from pipeline.eri.models import ContextValue

    ContextValue.objects.create(**_context(prefix, "a"))
    where = {"pipeline_id": f"{prefix}p"}
    assert _captured(lambda: _sql.select(ContextValue, ("key",), where, "key", [])) == ([], [])
    assert _captured(lambda: _sql.select(ContextValue, ("key",), where, "key", iter(()))) == ([], [])


def check_select_limit_returns_the_lowest_ids_first(prefix: str) -> None:
    from pipeline.eri.imp import _sql
    from pipeline.eri.models import ContextValue

    for name in ("m", "z", "a"):  # ids ascend in this order, keys do not
        ContextValue.objects.create(**_context(prefix, name))
    where = {"pipeline_id": f"{prefix}p"}
    assert _sql.select(ContextValue, ("key",), where, limit=1) == [("m",)]
    assert _sql.select(ContextValue, ("key",), where, limit=2) == [("m",), ("z",)]
    assert _sql.select(ContextValue, ("key",), where, "key", ["a", "z"], limit=1) == [("z",)]


# --------------------------------------------------------------------------------------- values
def check_datetimes_round_trip_through_the_orm(prefix: str) -> None:
    """Aware datetimes of any zone are stored as the same instant and read back aware, in UTC."""
    from pipeline.eri.imp import _sql
    from pipeline.eri.models import DeliveryClaim, State

    started = datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=_EIGHT_HOURS_EAST)
    archived = datetime(2024, 3, 1, 0, 0, 1, 654321, tzinfo=UTC)
    State.objects.create(**_state(prefix, "n", archived_time=archived))
    where = {"node_id": f"{prefix}n"}
    assert _sql.update(State, where, {"started_time": started, "archived_time": None}) == 1
    state = State.objects.get(**where)
    assert (state.started_time, state.archived_time) == (started, None)
    assert _is_utc(state.started_time)
    assert State.objects.filter(started_time=started).count() == 1  # the ORM finds the same instant

    claim = {"token": f"{prefix}t", "claimed_at": archived, "lease_until": started}
    _sql.insert(DeliveryClaim, claim)
    stored = DeliveryClaim.objects.get(token=f"{prefix}t")
    assert (stored.claimed_at, stored.lease_until) == (archived, started)
    assert _is_utc(stored.claimed_at) and _is_utc(stored.lease_until)


def check_select_values_reads_what_the_orm_reads(prefix: str) -> None:
    """Rows of any column type come back as the ORM's ``.values()`` gives them: aware datetimes (or
    None), booleans, integers, strings; an unknown key gives no row."""
    from pipeline.eri.imp import _sql
    from pipeline.eri.models import State

    fields = ("node_id", "name", "loop", "retry", "skip", "error_ignored", "created_time", "started_time")
    fields += ("archived_time",)
    started = datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=_EIGHT_HOURS_EAST)
    State.objects.create(**_state(prefix, "a", skip=True, retry=3, started_time=started))
    State.objects.create(**_state(prefix, "b", error_ignored=True, archived_time=started))
    for key in ("a", "b"):
        where = {"node_id": f"{prefix}{key}"}
        rows = _sql.select_values(State, fields, where, limit=1)
        assert rows == [State.objects.filter(**where).values(*fields).first()]
        assert all(type(rows[0][name]) is bool for name in ("skip", "error_ignored"))
        assert _is_utc(rows[0]["created_time"])
    assert _sql.select_values(State, fields, {"node_id": f"{prefix}missing"}, limit=1) == []


def check_hard_strings_round_trip(prefix: str) -> None:
    """Quotes, backslashes, NUL, unicode and emoji reach the table unchanged, in every statement kind."""
    from pipeline.eri.imp import _sql
    from pipeline.eri.models import ContextValue

    texts = [*NASTY, "😀" * 50 + "'\\" * 50]
    if _db().vendor == "postgresql":
        # PostgreSQL's text type cannot hold NUL at all (the server rejects it); the runtime's values reach
        # text columns as JSON, where NUL is the escape ``\u0000`` (the contract suite's stored values).
        texts = [text for text in texts if "\0" not in text]
    where = {"pipeline_id": f"{prefix}p"}
    for index, text in enumerate(texts):
        _sql.insert(ContextValue, _context(prefix, f"k{index:03}", value=text, references=text[::-1]))
    expected = [(f"k{index:03}", text, text[::-1]) for index, text in enumerate(texts)]
    assert sorted(_sql.select(ContextValue, ("key", "value", "references"), where)) == expected
    stored = ContextValue.objects.filter(**where).order_by("key")
    assert list(stored.values_list("key", "value", "references")) == expected

    for index, text in enumerate(texts):
        assert _sql.update(ContextValue, {**where, "key": f"k{index:03}"}, {"value": text[::-1]}) == 1
    assert list(stored.values_list("value", flat=True)) == [text[::-1] for text in texts]

    rows = [_context(prefix, f"k{index:03}", value=text, code=text[:128]) for index, text in enumerate(texts)]
    _sql.upsert_many(ContextValue, ("pipeline_id", "key"), rows, ("value", "code"))
    assert list(stored.values_list("value", "code")) == [(text, text[:128]) for text in texts]


CHECKS: List[Callable[[str], None]] = [
    check_update_counts_matched_rows_even_when_nothing_changes,
    check_update_counts_every_matched_row,
    check_update_where_requires_every_column,
    check_update_where_on_a_boolean,
    check_increment_adds_to_the_stored_value,
    check_insert_fills_defaults_like_orm_create,
    check_insert_returns_the_new_id,
    check_insert_of_a_duplicate_unique_key_returns_none,
    check_insert_conflict_inside_atomic_keeps_the_transaction_usable,
    check_insert_unless_writes_only_when_nothing_matches,
    check_insert_without_a_required_field_raises_value_error,
    check_upsert_inserts_then_updates_only_the_update_columns,
    check_upsert_many_writes_new_and_existing_rows_in_one_statement,
    check_upsert_many_of_no_rows_sends_nothing,
    check_select_by_where,
    check_select_with_an_in_list,
    check_select_with_an_empty_in_list_sends_nothing,
    check_select_limit_returns_the_lowest_ids_first,
    check_datetimes_round_trip_through_the_orm,
    check_select_values_reads_what_the_orm_reads,
    check_hard_strings_round_trip,
]
