"""Who did it: make django-simple-history record the acting user for service calls made outside a request
(CLI, background tasks, tests), the same way ``HistoryRequestMiddleware`` does inside one."""

import functools
from contextlib import contextmanager
from types import SimpleNamespace

from simple_history.models import HistoricalRecords


@contextmanager
def acting_as(user):
    """Within the block, history rows name ``user`` unless a real request already names someone."""
    context = HistoricalRecords.context
    previous = getattr(context, "request", None)
    if user is not None and getattr(getattr(previous, "user", None), "is_authenticated", False) is not True:
        context.request = SimpleNamespace(user=user)
        try:
            yield
        finally:
            if previous is None:
                del context.request
            else:
                context.request = previous
    else:
        yield


def audited(func):
    """Decorator for services taking a ``user`` keyword: their writes are attributed to that user."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with acting_as(kwargs.get("user")):
            return func(*args, **kwargs)

    return wrapper
