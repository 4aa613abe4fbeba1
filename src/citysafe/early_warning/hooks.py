"""One entry to the warning loop after a warning change has committed, whatever raised it (engine, CAP, a person).

``changes`` is ``[(warning pk, kind)]`` with kind raised | upgraded | downgraded | updated | cleared | cancelled |
expired.  Each step runs on its own so a failure of one (logged) never stops the others: the warning stands.
"""

import logging

log = logging.getLogger(__name__)


def after_warning_changes(changes: list[tuple[int, str]]) -> None:
    from . import calls, response

    for step in (calls.on_warning_changes, response.on_warning_changes):
        try:
            step(changes)
        except Exception:  # noqa: BLE001 - logged; the other steps still run
            log.exception("warning loop step %s failed for %s", step.__qualname__, changes)
