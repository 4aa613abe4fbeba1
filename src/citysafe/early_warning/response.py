"""Response -> execution -> feedback (stub; being built)."""


def on_warning_changes(changes: list[tuple[int, str]]) -> None:
    """Open the response actions of raised/upgraded warnings (stub)."""
