"""The rules of the Engine Runtime Interface that every runtime of this repository applies the same way.

The ERI (:mod:`bamboo_engine.eri.interfaces`) says *what* each method does; this package says it once, in
code: which transitions ``set_state`` allows and which fields it writes, what a schedule lock is, how a
fork is joined, which writes of a missing row raise and which answer False, how values and messages are
encoded. Each concern has a rules class (:class:`StateRules`, :class:`ScheduleRules`, ...) implementing the
ERI methods of that concern on top of a few storage operations (:class:`RuleStorage`: insert and update
rows of a named table under a condition, a clock, the value codec, a transaction) plus the reads of that
concern. A runtime mixes the rules classes in and supplies storage only: ``bamboo_engine.testing`` on
dicts, ``pipeline.eri`` on the Django ORM and Celery.

The rules live next to the interfaces because they are what the interfaces mean; the state machine they
apply is the table of :mod:`bamboo_engine.states`. A third-party runtime may implement the interfaces
directly instead: nothing in the engine depends on this package.
"""

from bamboo_engine.eri.rules.config import ConfigRules
from bamboo_engine.eri.rules.context import ContextRules
from bamboo_engine.eri.rules.data import DataRules
from bamboo_engine.eri.rules.history import HistoryRules
from bamboo_engine.eri.rules.node import NodeRules, detail_to_node, node_to_detail
from bamboo_engine.eri.rules.prepare import PrepareRules
from bamboo_engine.eri.rules.process import ProcessRules
from bamboo_engine.eri.rules.schedule import ScheduleRules
from bamboo_engine.eri.rules.state import StateChange, StateRules
from bamboo_engine.eri.rules.storage import In, Increment, RuleStorage, SameAs
from bamboo_engine.eri.rules.task import TaskRules

__all__ = [
    "ConfigRules",
    "ContextRules",
    "DataRules",
    "HistoryRules",
    "In",
    "Increment",
    "NodeRules",
    "PrepareRules",
    "ProcessRules",
    "RuleStorage",
    "SameAs",
    "ScheduleRules",
    "StateChange",
    "StateRules",
    "TaskRules",
    "detail_to_node",
    "node_to_detail",
]
