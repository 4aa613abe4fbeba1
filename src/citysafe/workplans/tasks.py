"""Periodic work of the work plan (huey).  Each task is one call to a service and idempotent."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(minute="5", hour="1"))
def nightly_status_refresh():
    """Statuses depend on the date (pace, deadlines): re-evaluate every night at 01:05 Asia/Shanghai."""
    services.refresh_statuses()
    services.propose_supervisions()
