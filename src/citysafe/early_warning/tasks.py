"""Periodic work of the warning system (huey); each task is one idempotent service call."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import calls, services


@db_periodic_task(crontab(minute="*"))
def expire_warnings():
    """End warnings past their expiry time."""
    services.expire_due()


@db_periodic_task(crontab(minute="*"))
def call_tick():
    """Send due 叫应 calls and escalate silent recipients (claims rows by compare-and-swap; safe to overlap)."""
    calls.tick(worker="huey")


@db_periodic_task(crontab(minute="*"))
def noise_tick():
    """Re-check silences: mute warnings a silence now covers, call the silenced ones it no longer covers."""
    from . import noise

    noise.recheck_silences()
