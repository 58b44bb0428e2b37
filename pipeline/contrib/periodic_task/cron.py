"""Cron expressions of periodic tasks: parsed, checked, and stored as django-celery-beat crontabs.

A cron is given either as upstream's dict ``{"minute", "hour", "day_of_week", "day_of_month",
"month_of_year"}`` (missing keys are ``"*"``) or as a five-field string in crontab order
``"minute hour day_of_month month_of_year day_of_week"``. It is stored on the task as that string.
"""

from typing import Dict, Optional, Union

from celery.schedules import crontab
from django.conf import settings as django_settings

from pipeline.exceptions import InvalidCrontabException

CRON_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
Cron = Union[str, Dict[str, str]]


def parse_cron(cron: Cron) -> Dict[str, str]:
    """The five fields of ``cron``, checked by Celery's own crontab parser.

    Raises:
        InvalidCrontabException: not a dict or a five-field string, an unknown key, or a field Celery
            cannot parse (the message names it).
    """
    if isinstance(cron, str):
        parts = cron.split()
        if len(parts) != len(CRON_FIELDS):
            raise InvalidCrontabException(
                f"cron {cron!r} must have five fields: minute hour day_of_month month_of_year day_of_week"
            )
        fields = dict(zip(CRON_FIELDS, parts, strict=True))
    elif isinstance(cron, dict):
        unknown = sorted(set(cron) - set(CRON_FIELDS))
        if unknown:
            raise InvalidCrontabException(f"cron has unknown keys {unknown}; allowed: {list(CRON_FIELDS)}")
        fields = {name: str(cron.get(name, "*")).strip() or "*" for name in CRON_FIELDS}
    else:
        raise InvalidCrontabException(f"cron must be a dict or a string, got {type(cron).__name__}")
    try:
        crontab(**fields)
    except (ValueError, TypeError) as err:
        raise InvalidCrontabException(f"invalid cron {format_cron(fields)!r}: {err}") from err
    return fields


def format_cron(fields: Dict[str, str]) -> str:
    """The stored form: the five fields in crontab order."""
    return " ".join(fields[name] for name in CRON_FIELDS)


def crontab_schedule(fields: Dict[str, str], timezone: Optional[str] = None):
    """The django-celery-beat ``CrontabSchedule`` row of these fields (shared with equal schedules)."""
    from django_celery_beat.models import CrontabSchedule

    tz = timezone or getattr(django_settings, "TIME_ZONE", None) or "UTC"
    schedule = CrontabSchedule.objects.filter(timezone=tz, **fields).order_by("id").first()
    return schedule or CrontabSchedule.objects.create(timezone=tz, **fields)
