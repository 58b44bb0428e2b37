"""Plain SQL for the few statements every node runs, without building an ORM query each time.

Profiling a gevent worker (17x100 benchmark, py-spy) showed about 45 % of its CPU inside Django's query
machinery (``Query.add_q``, the compilers, expression resolution) for a dozen statement shapes that never
change: "update these columns of the row with this key", "insert this row", "read these text columns".
This module writes those statements once per shape (cached by model and column names) and sends them
through Django's cursor, so transactions, ``execute_wrappers``, the connection pool and error wrapping
behave exactly as for ORM queries.

Reads with :func:`select` are for columns whose Python value the drivers give back unchanged (strings,
integers); :func:`select_values` reads any column and converts it as the ORM does. Writes adapt
datetimes with the backend's own ``adapt_datetimefield_value``. Anything else stays on the ORM.
"""

from datetime import datetime
from functools import lru_cache
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Type

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models, transaction
from django.utils import timezone

from bamboo_engine.eri.rules.storage import In, Increment, SameAs

__all__ = [
    "In",
    "Increment",
    "SameAs",
    "insert",
    "select",
    "select_values",
    "update",
    "upsert",
    "upsert_many",
]


def update(model: Type[models.Model], where: Dict[str, Any], changes: Dict[str, Any]) -> int:
    """``UPDATE table SET changes WHERE where``; the number of rows matched.

    ``where`` and ``changes`` speak the words of ``bamboo_engine.eri.rules.storage``: equalities (ANDed),
    ``SameAs`` (column = column), ``In`` (column IN values; none given: nothing matches, nothing is sent),
    and ``Increment`` changes (column = column + by). Rows *matched*, not changed: Django's MySQL backend
    connects with ``CLIENT.FOUND_ROWS``, which is what the compare-and-set writes rely on, and SQLite always
    counts matches.
    """
    db = _db()
    shape, where_params = _conditions(db, where)
    if shape is None:
        return 0
    increments = tuple(name for name, value in changes.items() if isinstance(value, Increment))
    sql = _update_sql_for(db.vendor, model, tuple(changes), increments, shape)  # type: ignore[arg-type]
    params = [_adapt(db, value.by if isinstance(value, Increment) else value) for value in changes.values()]
    params.extend(where_params)
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _conditions(db: Any, where: Dict[str, Any]) -> Tuple[Optional[tuple], List[Any]]:
    """The shape of ``where`` (part of the statement's cache key) and its parameters; None for an empty
    ``In``."""
    shape: List[Any] = []
    params: List[Any] = []
    for name, value in where.items():
        if isinstance(value, SameAs):
            shape.append((name, value.column))
        elif isinstance(value, In):
            if not value.values:
                return None, []
            shape.append((name, len(value.values)))
            params.extend(_adapt(db, item) for item in value.values)
        elif value is None:
            # ``column = NULL`` matches nothing in SQL; the ORM would have written ``IS NULL``.
            raise ValueError(f"None in a WHERE condition is not supported here: {where}")
        else:
            shape.append(name)
            params.append(_adapt(db, value))
    return tuple(shape), params


def insert(model: Type[models.Model], row: Dict[str, Any], may_conflict: bool = True) -> Optional[int]:
    """``INSERT`` one row (fields left out get their model default); its id, or None on a unique conflict.

    Inside a transaction the INSERT runs under a savepoint, so the surrounding transaction stays usable
    after the IntegrityError. ``may_conflict=False`` (a table without a unique key but its id) saves
    the savepoint.
    """
    db = _db()
    row = _completed(model, row)
    if db.vendor not in _INSERT_VENDORS:
        return _insert_with_orm(model, row)
    sql = _insert_sql_for(db.vendor, model, tuple(row))  # type: ignore[arg-type]
    if db.vendor == "postgresql":  # psycopg has no ``lastrowid`` for the new row: the statement returns it
        sql += f" RETURNING {_column(model, model._meta.pk.name)}"
    params = [_adapt(db, value) for value in row.values()]
    try:
        if db.in_atomic_block and may_conflict:
            with transaction.atomic(), db.cursor() as cursor:
                cursor.execute(sql, params)
                return _new_id(db, cursor)
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            return _new_id(db, cursor)
    except IntegrityError:
        return None


def insert_unless(
    model: Type[models.Model], row: Dict[str, Any], found: Sequence[Dict[str, Any]]
) -> Optional[bool]:
    """``INSERT`` ``row`` unless a row of the same table matches one of the ``found`` conditions.

    One statement instead of a read and a write: ``INSERT ... SELECT <row> WHERE NOT EXISTS (SELECT ...
    WHERE <found[0]> OR <found[1]> ...)``. Each condition speaks the words of :func:`update`'s ``where``
    (equalities and ``In``). True if the row was inserted; False if a row matched or the INSERT met a
    unique conflict (a concurrent writer got in first): nothing was written then. None (nothing sent)
    on a backend this module writes no such statement for, and inside a transaction, where the
    statement's reads would take locks the callers do not expect: the caller reads and writes instead.

    Under READ COMMITTED (the runtime's level on MySQL/MariaDB, PostgreSQL's default) the ``NOT EXISTS``
    read is a consistent read without locks, so the statement locks no more than a plain INSERT; a
    concurrent writer of the same key meets the unique index, as with :func:`insert`.
    """
    db = _db()
    if db.vendor not in _INSERT_VENDORS or db.in_atomic_block:
        return None
    row = _completed(model, row)
    shapes: List[Tuple[Any, ...]] = []
    params = [_adapt(db, value) for value in row.values()]
    for where in found:
        shape, where_params = _conditions(db, where)
        if shape is not None:
            shapes.append(shape)
            params.extend(where_params)
    sql = _insert_unless_sql_for(db.vendor, model, tuple(row), tuple(shapes))  # type: ignore[arg-type]
    try:
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount == 1
    except IntegrityError:
        return False


def _new_id(db: Any, cursor: Any) -> int:
    return cursor.fetchone()[0] if db.vendor == "postgresql" else cursor.lastrowid


def insert_new(model: Type[models.Model], row: Dict[str, Any]) -> None:
    """``INSERT`` one row whose key cannot exist yet (e.g. a fresh random token): no savepoint.

    :func:`insert` wraps the statement in a savepoint inside a transaction so that a unique conflict
    leaves the transaction usable; a row that cannot conflict saves those two round trips.
    """
    db = _db()
    row = _completed(model, row)
    sql = _insert_sql_for(db.vendor, model, tuple(row))  # type: ignore[arg-type]
    with db.cursor() as cursor:
        cursor.execute(sql, [_adapt(db, value) for value in row.values()])


def delete_in(model: Type[models.Model], column: str, values: Sequence[Any]) -> int:
    """``DELETE FROM table WHERE column IN (values)``; the number of rows deleted."""
    if not values:
        return 0
    db = _db()
    sql = f"DELETE FROM {_table(model)} WHERE {_column(model, column)} IN ({', '.join(['%s'] * len(values))})"
    with db.cursor() as cursor:
        cursor.execute(sql, [_adapt(db, value) for value in values])
        return cursor.rowcount


def _insert_with_orm(model: Type[models.Model], row: Dict[str, Any]) -> Optional[int]:
    # Backends this module writes no INSERT for: the ORM knows how to get the new row's id back.
    try:
        if _db().in_atomic_block:
            with transaction.atomic():
                return model.objects.create(**row).pk
        return model.objects.create(**row).pk
    except IntegrityError:
        return None


def upsert(model: Type[models.Model], key: Sequence[str], row: Dict[str, Any], update: Sequence[str]) -> bool:
    """Insert ``row``, or update its ``update`` columns where the unique ``key`` columns already exist.

    MySQL/MariaDB ``ON DUPLICATE KEY UPDATE``, SQLite/PostgreSQL ``ON CONFLICT (key) DO UPDATE``. Returns
    False (nothing sent) on another backend; the caller then takes the ORM path.
    """
    return upsert_many(model, key, [row], update)


def select(
    model: Type[models.Model],
    columns: Sequence[str],
    where: Dict[str, Any],
    in_column: Optional[str] = None,
    in_values: Iterable[Any] = (),
    limit: Optional[int] = None,
) -> List[Tuple[Any, ...]]:
    """``SELECT columns FROM table WHERE where [AND in_column IN in_values] [ORDER BY id LIMIT n]``.

    For string and integer columns only: values come back as the driver returns them.
    """
    _check_where(where)
    values = list(in_values) if in_column else []
    if in_column and not values:
        return []
    db = _db()
    sql = _select_sql_for(db.vendor, model, tuple(columns), tuple(where), in_column, len(values), limit)  # type: ignore[arg-type]
    params = [_adapt(db, value) for value in where.values()] + values
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def select_values(
    model: Type[models.Model], fields: Sequence[str], where: Dict[str, Any], limit: Optional[int] = None
) -> List[Dict[str, Any]]:
    """:func:`select` of any column types, each row a dict of the values the ORM's ``.values()`` gives.

    Each value goes through the converters the ORM applies when it reads the column (the backend's, e.g.
    MySQL's aware datetimes and booleans, then the field's ``from_db_value``), so the rows are the ORM's
    without building an ORM query for every read.
    """
    rows = select(model, fields, where, limit=limit)
    if not rows:
        return []
    db = _db()
    converters = []
    for index, name in enumerate(fields):
        column = model._meta.get_field(name).cached_col
        found = db.ops.get_db_converters(column) + column.get_db_converters(db)
        if found:
            converters.append((index, column, found))
    result = []
    for row in rows:
        values = list(row)
        for index, column, found in converters:
            value = values[index]
            for convert in found:
                value = convert(value, column, db)
            values[index] = value
        result.append(dict(zip(fields, values, strict=True)))
    return result


def upsert_many(
    model: Type[models.Model], key: Sequence[str], rows: List[Dict[str, Any]], update: Sequence[str]
) -> bool:
    """:func:`upsert` of several rows (same columns) in one statement; rows are written in the given order.

    Callers sort the rows by key, so that concurrent writers of overlapping keys lock them in the same
    order and cannot deadlock.
    """
    db = _db()
    if db.vendor not in _UPSERT_VENDORS:
        return False
    if not rows:
        return True
    rows = [_completed(model, row) for row in rows]
    names = tuple(rows[0])
    sql = _upsert_sql_for(db.vendor, model, names, tuple(key), tuple(update), len(rows))  # type: ignore[arg-type]
    with db.cursor() as cursor:
        cursor.execute(sql, [_adapt(db, row[name]) for row in rows for name in names])
    return True


def _completed(model: Type[models.Model], row: Dict[str, Any]) -> Dict[str, Any]:
    missing = _defaults(model, tuple(row))  # type: ignore[arg-type] # model classes are hashable
    if not missing:
        return row
    return {**row, **{name: default() for name, default in missing}}


@lru_cache(maxsize=256)
def _defaults(model: Type[models.Model], present: Tuple[str, ...]) -> Tuple[Tuple[str, Any], ...]:
    """How the ORM would fill the fields a row leaves out (model defaults, ``auto_now_add``)."""
    fillers = []
    for field in model._meta.concrete_fields:
        if field.name in present or field.primary_key:
            continue
        if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            fillers.append((field.name, timezone.now))
        elif field.has_default() or field.null:
            fillers.append((field.name, field.get_default))
        else:
            raise ValueError(f"{model.__name__}.{field.name} has no default: give it a value")
    return tuple(fillers)


_UPSERT_VENDORS = ("mysql", "sqlite", "postgresql")
_INSERT_VENDORS = ("mysql", "sqlite", "postgresql")


def _db() -> Any:
    # One lookup of the thread's (greenlet's) connection per statement: ``django.db.connection`` would
    # repeat it for every attribute, and under gevent each lookup walks asgiref's Local.
    return connections[DEFAULT_DB_ALIAS]


def _adapt(db: Any, value: Any) -> Any:
    if isinstance(value, datetime):
        return db.ops.adapt_datetimefield_value(value)
    return value


def _quote(name: str) -> str:
    return _db().ops.quote_name(name)


def _table(model: Type[models.Model]) -> str:
    return _quote(model._meta.db_table)


def _column(model: Type[models.Model], name: str) -> str:
    return _quote(model._meta.get_field(name).column)


def _check_where(where: Dict[str, Any]) -> None:
    # ``column = NULL`` matches nothing in SQL; the ORM would have written ``IS NULL``. No caller needs it.
    if any(value is None for value in where.values()):
        raise ValueError(f"None in a WHERE condition is not supported here: {where}")


def _where(model: Type[models.Model], names: Tuple[str, ...]) -> str:
    return " AND ".join(f"{_column(model, name)} = %s" for name in names)


# Caches are per connection vendor as well: quoting differs between MySQL and SQLite/PostgreSQL.


@lru_cache(maxsize=256)
def _update_sql_for(
    vendor: str,
    model: Type[models.Model],
    names: Tuple[str, ...],
    increments: Tuple[str, ...],
    where: Tuple[Any, ...],
) -> str:
    assignments = ", ".join(
        f"{_column(model, name)} = {_column(model, name)} + %s"
        if name in increments
        else f"{_column(model, name)} = %s"
        for name in names
    )
    return f"UPDATE {_table(model)} SET {assignments} WHERE {_condition_sql(model, where)}"


def _condition_sql(model: Type[models.Model], shape: Tuple[Any, ...]) -> str:
    """SQL of a :func:`_conditions` shape: ``name`` (equality), ``(name, "other")`` (same as another
    column), ``(name, count)`` (IN that many values)."""
    parts = []
    for entry in shape:
        if isinstance(entry, str):
            parts.append(f"{_column(model, entry)} = %s")
        elif isinstance(entry[1], str):
            parts.append(f"{_column(model, entry[0])} = {_column(model, entry[1])}")
        else:
            parts.append(f"{_column(model, entry[0])} IN ({', '.join(['%s'] * entry[1])})")
    return " AND ".join(parts)


@lru_cache(maxsize=256)
def _insert_sql_for(vendor: str, model: Type[models.Model], names: Tuple[str, ...], count: int = 1) -> str:
    columns = ", ".join(_column(model, name) for name in names)
    placeholders = "(" + ", ".join(["%s"] * len(names)) + ")"
    return f"INSERT INTO {_table(model)} ({columns}) VALUES {', '.join([placeholders] * count)}"


@lru_cache(maxsize=256)
def _insert_unless_sql_for(
    vendor: str, model: Type[models.Model], names: Tuple[str, ...], shapes: Tuple[Tuple[Any, ...], ...]
) -> str:
    columns = ", ".join(_column(model, name) for name in names)
    placeholders = ", ".join(["%s"] * len(names))
    source = " FROM DUAL" if vendor == "mysql" else ""
    guard = " OR ".join(f"({_condition_sql(model, shape)})" for shape in shapes) or "1 = 0"
    return (
        f"INSERT INTO {_table(model)} ({columns}) SELECT {placeholders}{source} "
        f"WHERE NOT EXISTS (SELECT 1 FROM {_table(model)} WHERE {guard})"
    )


@lru_cache(maxsize=256)
def _upsert_sql_for(
    vendor: str,
    model: Type[models.Model],
    names: Tuple[str, ...],
    key: Tuple[str, ...],
    update: Tuple[str, ...],
    count: int,
) -> str:
    insert_sql = _insert_sql_for(vendor, model, names, count)  # type: ignore[arg-type]
    if vendor == "mysql":
        assignments = ", ".join(f"{_column(model, name)} = VALUES({_column(model, name)})" for name in update)
        return f"{insert_sql} ON DUPLICATE KEY UPDATE {assignments}"
    assignments = ", ".join(f"{_column(model, name)} = excluded.{_column(model, name)}" for name in update)
    target = ", ".join(_column(model, name) for name in key)
    return f"{insert_sql} ON CONFLICT ({target}) DO UPDATE SET {assignments}"


@lru_cache(maxsize=256)
def _select_sql_for(
    vendor: str,
    model: Type[models.Model],
    columns: Tuple[str, ...],
    where: Tuple[str, ...],
    in_column: Optional[str],
    in_count: int,
    limit: Optional[int],
) -> str:
    conditions = [_where(model, where)] if where else []
    if in_column:
        conditions.append(f"{_column(model, in_column)} IN ({', '.join(['%s'] * in_count)})")
    sql = f"SELECT {', '.join(_column(model, name) for name in columns)} FROM {_table(model)}"
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    if limit is not None:
        sql += f" ORDER BY {_column(model, model._meta.pk.name)} LIMIT {int(limit)}"
    return sql
