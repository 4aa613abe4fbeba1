"""Periodic work of the evaluation app (huey).  Each task is one call to a service and idempotent."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import kpi_services


@db_periodic_task(crontab(minute="15", hour="1"))
def nightly_kpi_refresh():
    """KPIs are year-to-date figures: recompute them every night at 01:15 (after the workplans refresh at 01:05)
    so the linked targets' statuses follow the records without manual reports."""
    kpi_services.refresh_current_plans()
