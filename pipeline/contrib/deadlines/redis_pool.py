"""A :class:`~.pool.DeadlinePool` in Redis.

Key layout, for a pool named ``<pool>`` (``PIPELINE_NODE_TIMEOUT_EXECUTING_POOL`` /
``PIPELINE_NODE_TIMER_EVENT_EXECUTING_POOL``):

* ``<pool>``: sorted set, member → due time (epoch seconds): the layout upstream uses, so tools that
  watch it keep working. It holds the armed members no scanner holds.
* ``{<pool>}:claimed``: sorted set of the claimed deadlines, ``"<due>|<member>"`` → end of the lease.
* ``{<pool>}:node:<node_id>``: set of the members armed for a node, so that ``disarm`` finds them
  whatever run of the node armed them (expires after ``index_ttl`` seconds).

The derived keys carry ``<pool>`` as their hash tag, so every key of a pool lives in the same slot of a
Redis Cluster and each operation is one Lua script: atomic, one round trip. A pool name that has a hash
tag of its own keeps it.
"""

from typing import Any, Callable, List, Optional, Sequence

from pipeline.contrib.deadlines.pool import Claim, Deadline, DeadlinePool, due_time

_ARM = """
for i = 2, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], 'NX', ARGV[i + 1], ARGV[i])
  redis.call('SADD', KEYS[2], ARGV[i])
end
redis.call('EXPIRE', KEYS[2], ARGV[1])
"""

_DISARM = """
for k = 2, #KEYS do
  local members = redis.call('SMEMBERS', KEYS[k])
  for i = 1, #members, 500 do
    redis.call('ZREM', KEYS[1], unpack(members, i, math.min(i + 499, #members)))
  end
  redis.call('DEL', KEYS[k])
end
"""

# Expired claims first (their scanner died), then due members, each moved to the claimed set with a
# new lease. Returns the claimed entries "<due>|<member>".
_CLAIM = """
local limit = tonumber(ARGV[2])
local out = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, limit)
for _, entry in ipairs(out) do
  redis.call('ZADD', KEYS[2], ARGV[3], entry)
end
if #out < limit then
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, limit - #out)
  for i = 1, #due, 2 do
    local entry = due[i + 1] .. '|' .. due[i]
    redis.call('ZREM', KEYS[1], due[i])
    redis.call('ZADD', KEYS[2], ARGV[3], entry)
    out[#out + 1] = entry
  end
end
return out
"""


def _tagged(pool_key: str, suffix: str) -> str:
    opening = pool_key.find("{")
    has_tag = opening != -1 and pool_key.find("}", opening + 2) != -1
    return f"{pool_key}:{suffix}" if has_tag else f"{{{pool_key}}}:{suffix}"


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


class RedisDeadlinePool(DeadlinePool):
    """Deadlines in Redis (key layout in the module docstring).

    Args:
        client: a redis-py client (``settings.redis_inst``).
        pool_key: name of the sorted set of armed members.
        index_ttl: seconds a node's member index outlives its last arm (a node that never leaves
            RUNNING must not keep it forever).
        defer: runs each write; the apps pass one that waits for the surrounding database transaction
            to commit, so a rolled-back state change arms or disarms nothing.
    """

    def __init__(
        self,
        client: Any,
        pool_key: str,
        index_ttl: int = 15 * 24 * 3600,
        defer: Optional[Callable[[Callable[[], None]], None]] = None,
    ) -> None:
        self.client = client
        self.pool_key = pool_key
        self.claimed_key = _tagged(pool_key, "claimed")
        self.index_ttl = int(index_ttl)
        self._defer = defer or (lambda write: write())
        self._arm = client.register_script(_ARM)
        self._disarm = client.register_script(_DISARM)
        self._claim = client.register_script(_CLAIM)

    def node_key(self, node_id: str) -> str:
        return _tagged(self.pool_key, f"node:{node_id}")

    def arm(self, node_id: str, deadlines: Sequence[Deadline]) -> None:
        if not deadlines:
            return
        args: List[Any] = [self.index_ttl]
        for member, due in deadlines:
            args += [member, repr(due_time(due))]
        keys = [self.pool_key, self.node_key(node_id)]
        self._defer(lambda: self._arm(keys=keys, args=args))

    def disarm(self, node_ids: Sequence[str]) -> None:
        if not node_ids:
            return
        keys = [self.pool_key, *(self.node_key(node_id) for node_id in node_ids)]
        self._defer(lambda: self._disarm(keys=keys))

    def claim(self, now: float, limit: int, lease: float) -> List[Claim]:
        entries = self._claim(
            keys=[self.pool_key, self.claimed_key], args=[repr(now), limit, repr(now + lease)]
        )
        claims = []
        for raw in entries:
            entry = _text(raw)
            due, _, member = entry.partition("|")
            claims.append(Claim(member=member, due=float(due), receipt=entry))
        return claims

    def release(self, claims: Sequence[Claim]) -> None:
        receipts = [claim.receipt for claim in claims]
        for start in range(0, len(receipts), 1000):
            self.client.zrem(self.claimed_key, *receipts[start : start + 1000])

    def pending(self) -> int:
        return int(self.client.zcard(self.pool_key)) + int(self.client.zcard(self.claimed_key))

    def clear(self) -> None:
        keys = [self.pool_key, self.claimed_key]
        keys += list(self.client.scan_iter(match=self.node_key("*"), count=1000))
        for start in range(0, len(keys), 1000):
            self.client.delete(*keys[start : start + 1000])

    def armed(self) -> dict:
        """Member → due of the members no scanner holds (tests)."""
        return {
            _text(member): score
            for member, score in self.client.zrange(self.pool_key, 0, -1, withscores=True)
        }
