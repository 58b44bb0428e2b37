"""Prometheus metrics of the healer (prefix ``pipeline_``; every metric has the ``hostname`` label)."""

from prometheus_client import Counter, Gauge

STUCK_FOUND = Counter(
    "pipeline_healing_stuck_found",
    "stuck processes confirmed by a healing pass, by reason",
    labelnames=("reason", "hostname"),
)
STUCK_NOW = Gauge(
    "pipeline_healing_stuck_processes",
    "stuck processes found by the latest healing pass, by reason",
    labelnames=("reason", "hostname"),
)
WATCHED = Gauge(
    "pipeline_healing_watched_processes",
    "processes with an old heartbeat the latest healing pass looked at",
    labelnames=("hostname",),
)
REDISPATCHES = Counter(
    "pipeline_healing_redispatches",
    "execute/schedule messages re-sent by the healer, by reason and message kind",
    labelnames=("reason", "kind", "hostname"),
)
RATE_LIMITED = Counter(
    "pipeline_healing_rate_limited",
    "re-dispatches held back by the per-pipeline rate limit, by reason",
    labelnames=("reason", "hostname"),
)
BREAKER_TRIPS = Counter(
    "pipeline_healing_breaker_trips",
    "healing passes stopped by the circuit breaker (too many re-dispatches in one pass)",
    labelnames=("hostname",),
)
