"""Incident domain errors are the shared ones (views and the API already map them to 400/403)."""

from citysafe.workplans.errors import PermissionDenied, WorkplanError

IncidentError = WorkplanError

__all__ = ["IncidentError", "PermissionDenied"]
