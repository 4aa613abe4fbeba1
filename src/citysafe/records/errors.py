"""Records errors: the shared domain errors (views and the API map them to 400/403), with the offending field."""

from citysafe.workplans.errors import PermissionDenied, WorkplanError


class RecordError(WorkplanError):
    """Bad input; ``field`` names the model field at fault (imports turn it into a column)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


__all__ = ["PermissionDenied", "RecordError"]
