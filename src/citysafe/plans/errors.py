"""Plan domain errors are the shared ones (views and the API already map them to 400/403)."""

from citysafe.workplans.errors import PermissionDenied, WorkplanError

PlanError = WorkplanError

__all__ = ["PermissionDenied", "PlanError"]
