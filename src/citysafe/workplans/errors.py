"""Domain errors of the work plan.  Views and the API turn them into 4xx answers with the message."""


class WorkplanError(Exception):
    """A request that cannot be carried out; the message is shown to the user."""


class PermissionDenied(WorkplanError):
    """The user may not do this to this object (it is outside their scope or role)."""
