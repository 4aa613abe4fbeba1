"""Domain errors of the resources app; the API answers them 400 / 403 (``citysafe.api`` handlers)."""

from citysafe.workplans.errors import PermissionDenied, WorkplanError

__all__ = ["PermissionDenied", "ResourceError"]


class ResourceError(WorkplanError):
    """A request that cannot be carried out (bad input, not enough stock, a transition not allowed …)."""
