"""Background work of the hazards app (huey).  Each task is one call to a service."""

from huey.contrib.djhuey import db_task

from . import importing


@db_task()
def run_import_job(job_id: int):
    """Run an uploaded Excel import (``ImportJob``): check every row, then save all or nothing."""
    importing.run_job(job_id)
