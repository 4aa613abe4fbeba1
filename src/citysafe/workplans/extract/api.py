"""Entry points. Each one either returns a Plan or raises ExtractionError -- never anything else."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ExtractionError
from .model import ExtractOptions, Plan
from .normalize import normalize_text
from .reader import read_bytes
from .structure import parse_plan


def extract_text(text: str, options: ExtractOptions | None = None, *, source_format: str = "txt") -> Plan:
    """Extract a plan from already-decoded text."""
    options = options or ExtractOptions()
    if not isinstance(text, str):
        raise ExtractionError(f"expected str, got {type(text).__name__}")
    if len(text) > options.max_bytes // 4 and len(text.encode("utf-8", "replace")) > options.max_bytes:
        raise ExtractionError(f"text too big: more than max_bytes={options.max_bytes} bytes")
    return _guarded(lambda: parse_plan(normalize_text(text, options.simplify), options, source_format))


def extract_bytes(data: bytes, filename: str | None = None, options: ExtractOptions | None = None) -> Plan:
    """Extract a plan from file content; ``filename`` is only a format hint (its suffix)."""
    options = options or ExtractOptions()
    raw = _guarded(lambda: read_bytes(data, filename, options.max_bytes))
    return extract_text(raw.text, options, source_format=raw.format)


def extract_file(path: str | os.PathLike, options: ExtractOptions | None = None) -> Plan:
    """Extract a plan from a file on disk (size is checked before reading)."""
    options = options or ExtractOptions()
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > options.max_bytes:
            raise ExtractionError(f"file too big: {path.name} is {size} bytes > max_bytes={options.max_bytes}")
        data = path.read_bytes()
    except OSError as exc:
        raise ExtractionError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return extract_bytes(data, path.name, options)


def _guarded(work):
    """Run ``work`` and turn unexpected parser failures into ExtractionError (the API promise)."""
    try:
        return work()
    except ExtractionError:
        raise
    except (RecursionError, MemoryError, ValueError, TypeError, IndexError, KeyError, AttributeError, OverflowError) as exc:
        raise ExtractionError(f"could not extract a work plan: {type(exc).__name__}: {exc}") from exc
