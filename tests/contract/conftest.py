"""Fixtures of the ERI contract suite: one ``harness`` per registered runtime."""

from typing import Callable, Iterator, List, Tuple

import pytest

from tests.contract.django_harness import DJANGO_HARNESS_FACTORIES, DJANGO_HARNESS_MARKS
from tests.contract.harness import Harness, InMemoryHarness, ThreadedInMemoryHarness
from tests.contract.rollback_support import Ledger
from tests.contract.services import register_all

HarnessFactory = Callable[[pytest.FixtureRequest], Harness]

#: ``(pytest id, factory)`` of every runtime the contract suite runs against.
#: A factory receives the pytest ``request`` (so it can pull fixtures such as ``monkeypatch`` or a
#: database with ``request.getfixturevalue(...)``, or ``pytest.skip`` when its services are not
#: reachable) and returns a fresh ``Harness``. The Django harnesses (``django-sqlite``, and
#: ``django-mariadb`` with real Celery workers) come from ``tests.contract.django_harness``.
HARNESS_FACTORIES: List[Tuple[str, HarnessFactory]] = [
    ("memory", lambda request: InMemoryHarness()),
    # Same runtime with a thread pool: exercises the polling paths worker-backed harnesses use.
    ("memory-threads", lambda request: ThreadedInMemoryHarness()),
    *DJANGO_HARNESS_FACTORIES,
]


@pytest.fixture(
    params=[pytest.param(f, id=n, marks=DJANGO_HARNESS_MARKS.get(n, ())) for n, f in HARNESS_FACTORIES]
)
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    """A fresh runtime with every plugin of ``tests.contract.services`` registered."""
    instance = request.param(request)
    register_all(instance)
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture
def ledger(tmp_path) -> Ledger:
    """The event file of the undo activities of one test (rollback tests)."""
    return Ledger(str(tmp_path / "ledger.jsonl"))
