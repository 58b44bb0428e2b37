"""Match diverging gateways with their converge gateways and check parallel streams.

The matcher walks the graph once, without its loop-back flows (see traversal.Exploration):

* A *walk* follows single successors from a node until it reaches a converge gateway (an *arrival*),
  the end event, or a node whose only way on is a loop-back flow. A diverging gateway met on the way
  is matched first (recursively) and the walk jumps to its converge gateway.
* A gateway walks each of its branches and collects their arrivals. A converge gateway is *complete*
  when arrivals equal its incoming (non-loop) flows. Complete converges reached by only part of the
  branches are merges inside the block: the walk continues behind them. When one converge is left:
  - Parallel / ConditionalParallel: it must be complete and no branch may reach the end event; it is
    the gateway's ``converge_gateway_id``.
  - Exclusive: if complete it is the gateway's converge; otherwise the arrivals belong to an
    enclosing block and are handed up. Branches may also end at the end event or loop back.
* Every branch of a forking gateway is a new *stream*; exclusive branches keep their stream. A node
  reached from two streams, or a loop-back flow leaving its stream, is a StreamValidateError.

Each node is walked once, so the cost is linear in the size of the tree; recursion depth grows with
gateway nesting only.
"""

from typing import Dict, Optional, Set, Tuple

from bamboo_engine.exceptions import ConvergeMatchError, StreamValidateError, TreeInvalidException
from bamboo_engine.validator.graph import CONVERGE_GATEWAY, DIVERGING_GATEWAYS, FORKING_GATEWAYS, TreeGraph
from bamboo_engine.validator.traversal import Exploration

ROOT_STREAM = 0


class Terminals:
    """Where the walks of a block ended: converge arrivals (count and streams) and end-event hits."""

    def __init__(self) -> None:
        self.arrivals: Dict[str, int] = {}
        self.arrival_streams: Dict[str, Set[int]] = {}
        self.end_sources: list = []

    def arrive(self, converge_id: str, stream: int) -> None:
        self.arrivals[converge_id] = self.arrivals.get(converge_id, 0) + 1
        self.arrival_streams.setdefault(converge_id, set()).add(stream)

    def merge(self, other: "Terminals") -> None:
        for converge_id, count in other.arrivals.items():
            self.arrivals[converge_id] = self.arrivals.get(converge_id, 0) + count
            self.arrival_streams.setdefault(converge_id, set()).update(other.arrival_streams[converge_id])
        self.end_sources.extend(other.end_sources)

    def pop(self, converge_id: str) -> Set[int]:
        del self.arrivals[converge_id]
        return self.arrival_streams.pop(converge_id)


class GatewayMatcher:
    """Runs the matching.

    Results: ``converge_of`` (gateway -> converge), ``stream_of`` (node -> stream) and
    ``stream_parent`` (branch stream -> the stream of its forking gateway).
    """

    def __init__(self, graph: TreeGraph, exploration: Exploration):
        self.graph = graph
        self.exploration = exploration
        self.stream_of: Dict[str, int] = {}
        self.converge_of: Dict[str, str] = {}
        self.stream_parent: Dict[int, int] = {}
        self._stream_count = ROOT_STREAM

    def run(self) -> "GatewayMatcher":
        try:
            terminals = self._walk(self.graph.start_id, ROOT_STREAM, None)
            self._settle(None, terminals)
        except RecursionError:
            raise TreeInvalidException(
                f"pipeline {self.graph.tree_id}: gateways are nested too deeply to validate"
            )
        return self

    def _walk(self, node_id: str, stream: int, owner: Optional[str]) -> Terminals:
        terminals = Terminals()
        types = self.graph.types
        previous = owner
        while True:
            if types[node_id] == CONVERGE_GATEWAY:
                if node_id in self.stream_of:
                    raise ConvergeMatchError(
                        owner or node_id, f"flow from {previous} reaches {node_id} after it closed"
                    )
                terminals.arrive(node_id, stream)
                return terminals
            if node_id == self.graph.end_id:
                # Several branches may end here; forking gateways reject it when they settle.
                self.stream_of.setdefault(node_id, stream)
                terminals.end_sources.append(previous)
                return terminals
            if node_id in self.stream_of:
                self._reject_merge(node_id, stream, owner)
            self.stream_of[node_id] = stream
            if types[node_id] in DIVERGING_GATEWAYS:
                converge_id, inner = self._match(node_id, stream)
                terminals.merge(inner)
                if converge_id is None:
                    return terminals
                self.stream_of[converge_id] = stream
                node_id = converge_id
            previous, next_id = node_id, self._forward_next(node_id, stream)
            if next_id is None:
                return terminals
            node_id = next_id

    def _forward_next(self, node_id: str, stream: int) -> Optional[str]:
        for flow_id in self.graph.outgoing[node_id]:
            if flow_id in self.exploration.back_flows:
                self._check_loop(flow_id, stream)
            else:
                return self.graph.target_of[flow_id]
        return None

    def _check_loop(self, flow_id: str, stream: int) -> None:
        target = self.graph.target(flow_id)
        target_stream = self.stream_of.get(target)
        if target_stream is not None and target_stream != stream:
            raise StreamValidateError(
                target,
                f"loop-back flow {flow_id} from {self.graph.source(flow_id)} leaves its parallel branch",
            )

    def _reject_merge(self, node_id: str, stream: int, owner: Optional[str]) -> None:
        if self.stream_of[node_id] != stream:
            raise StreamValidateError(node_id, "is linked from nodes of different parallel branches")
        raise ConvergeMatchError(
            owner or node_id,
            f"branches meet at {node_id}, which is not a ConvergeGateway; add a converge gateway",
        )

    def _match(self, gateway_id: str, stream: int) -> Tuple[Optional[str], Terminals]:
        forking = self.graph.types[gateway_id] in FORKING_GATEWAYS
        pending = Terminals()
        for flow_id in self.graph.outgoing[gateway_id]:
            if flow_id in self.exploration.back_flows:
                if forking:
                    raise ConvergeMatchError(
                        gateway_id, f"parallel branch {flow_id} loops back without converging"
                    )
                self._check_loop(flow_id, stream)
                continue
            branch_stream = self._new_stream(stream) if forking else stream
            pending.merge(self._walk(self.graph.target(flow_id), branch_stream, gateway_id))
        self._settle(gateway_id, pending)
        if forking:
            return self._close_fork(gateway_id, pending), Terminals()
        return self._close_exclusive(gateway_id, pending), pending

    def _new_stream(self, parent: int) -> int:
        self._stream_count += 1
        self.stream_parent[self._stream_count] = parent
        return self._stream_count

    def _settle(self, owner: Optional[str], pending: Terminals) -> None:
        """Continue behind complete converges until one converge is left (none for the top level)."""
        while len(pending.arrivals) > 1 or (owner is None and pending.arrivals):
            converge_id = self._next_inner_merge(owner, pending)
            streams = pending.pop(converge_id)
            if len(streams) > 1:
                raise StreamValidateError(
                    converge_id, f"joins different parallel branches inside block of {owner}"
                )
            (stream,) = streams
            self.stream_of[converge_id] = stream
            next_id = self._forward_next(converge_id, stream)
            if next_id is not None:
                pending.merge(self._walk(next_id, stream, owner))

    def _next_inner_merge(self, owner: Optional[str], pending: Terminals) -> str:
        forward_in, topo_index = self.exploration.forward_in, self.exploration.topo_index
        arrived = sorted(pending.arrivals, key=topo_index.__getitem__)
        for converge_id in arrived:
            if pending.arrivals[converge_id] == forward_in[converge_id]:
                return converge_id
        if owner is None:
            converge_id = arrived[0]
            raise ConvergeMatchError(
                converge_id,
                f"converge gateway {converge_id} has {forward_in[converge_id]} incoming flows but only "
                f"{pending.arrivals[converge_id]} come from matched gateway branches",
            )
        raise ConvergeMatchError(owner, f"branches reach different converge gateways {arrived}")

    def _close_fork(self, gateway_id: str, pending: Terminals) -> str:
        if pending.end_sources:
            raise ConvergeMatchError(
                gateway_id,
                f"branch reaches end event {self.graph.end_id} from {pending.end_sources[0]} "
                "without converging",
            )
        if not pending.arrivals:
            raise ConvergeMatchError(gateway_id, "branches never reach a converge gateway")
        ((converge_id, count),) = pending.arrivals.items()
        expected = self.exploration.forward_in[converge_id]
        if count != expected:
            raise ConvergeMatchError(
                gateway_id,
                f"converge gateway {converge_id} has {expected} incoming flows "
                f"but {count} come from its branches",
            )
        self.converge_of[gateway_id] = converge_id
        return converge_id

    def _close_exclusive(self, gateway_id: str, pending: Terminals) -> Optional[str]:
        if not pending.arrivals:
            return None
        ((converge_id, count),) = pending.arrivals.items()
        if count != self.exploration.forward_in[converge_id]:
            return None
        pending.pop(converge_id)
        self.converge_of[gateway_id] = converge_id
        return converge_id
