"""The healer's settings, read through ``pipeline.conf.settings`` when a pass starts (never at import)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class HealingConfig:
    """Thresholds and limits of one healing pass.

    Attributes:
        stale_seconds: a process whose heartbeat is older than this is looked at.
        confirm_seconds: a looked-at process must stay unchanged this long before it is called stuck.
        poll_grace_seconds: a POLL schedule must stay unchanged for its interval plus this long.
        scan_limit: processes looked at per pass (the oldest heartbeats first).
        max_per_pipeline_per_hour: re-dispatches per root pipeline in any hour (rate limit).
        max_per_pass: re-dispatches per pass; the circuit breaker holds back the rest.
    """

    stale_seconds: float = 300
    confirm_seconds: float = 120
    poll_grace_seconds: float = 120
    scan_limit: int = 2000
    max_per_pipeline_per_hour: int = 3
    max_per_pass: int = 50

    @classmethod
    def from_settings(cls) -> "HealingConfig":
        from pipeline.conf import settings

        return cls(
            stale_seconds=float(settings.BAMBOO_HEALING_STALE_SECONDS),
            confirm_seconds=float(settings.BAMBOO_HEALING_CONFIRM_SECONDS),
            poll_grace_seconds=float(settings.BAMBOO_HEALING_POLL_GRACE_SECONDS),
            scan_limit=int(settings.BAMBOO_HEALING_SCAN_LIMIT),
            max_per_pipeline_per_hour=int(settings.BAMBOO_HEALING_MAX_PER_PIPELINE_PER_HOUR),
            max_per_pass=int(settings.BAMBOO_HEALING_MAX_PER_PASS),
        )
