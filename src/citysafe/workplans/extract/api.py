"""Entry points. Each one either returns a Plan or raises ExtractionError (with a ``code``) -- never anything else."""

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
    options = _check_options(options)
    if not isinstance(text, str):
        raise ExtractionError(f"expected str, got {type(text).__name__}", "bad_type",
                              {"expected": "str", "got": type(text).__name__})
    if len(text) > options.max_bytes // 4 and (size := len(text.encode("utf-8", "replace"))) > options.max_bytes:
        raise ExtractionError(f"text too big: {size} bytes > max_bytes={options.max_bytes}", "too_big",
                              {"size": size, "max_bytes": options.max_bytes})
    # PDF text layers often carry layout spaces between Chinese characters ("2026 年", "( 一 )"): squeeze them.
    squeeze = True if source_format == "pdf" else None
    return _guarded(lambda: parse_plan(normalize_text(text, options.simplify, squeeze_cjk=squeeze), options,
                                       source_format))


def extract_bytes(data: bytes, filename: str | None = None, options: ExtractOptions | None = None) -> Plan:
    """Extract a plan from file content; ``filename`` is only a format hint (its suffix)."""
    options = _check_options(options)
    raw = _guarded(lambda: read_bytes(data, filename, options.max_bytes))
    return extract_text(raw.text, options, source_format=raw.format)


def extract_file(path: str | os.PathLike, options: ExtractOptions | None = None) -> Plan:
    """Extract a plan from a file on disk (size is checked before reading)."""
    options = _check_options(options)
    try:
        path = Path(path)
    except TypeError as exc:
        raise ExtractionError(f"expected a path, got {type(path).__name__}", "bad_type",
                              {"expected": "path", "got": type(path).__name__}) from exc
    try:
        size = path.stat().st_size
        if size > options.max_bytes:
            raise ExtractionError(f"file too big: {path.name} is {size} bytes > max_bytes={options.max_bytes}",
                                  "too_big", {"size": size, "max_bytes": options.max_bytes})
        data = path.read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: e.g. a NUL byte in the path
        if isinstance(exc, ExtractionError):
            raise
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ExtractionError(f"cannot read {path}: {reason}", "unreadable", {"path": str(path), "error": reason}) from exc
    return extract_bytes(data, path.name, options)


def _check_options(options) -> ExtractOptions:
    if options is None:
        return ExtractOptions()
    if not isinstance(options, ExtractOptions):
        raise ExtractionError(f"expected ExtractOptions, got {type(options).__name__}", "bad_type",
                              {"expected": "ExtractOptions", "got": type(options).__name__})
    return options


def _guarded(work):
    """Run ``work`` and turn unexpected parser failures into ExtractionError (the API promise)."""
    try:
        return work()
    except ExtractionError:
        raise
    except (RecursionError, MemoryError, ValueError, TypeError, IndexError, KeyError, AttributeError, OverflowError) as exc:
        reason = f"{type(exc).__name__}: {exc}"[:200]
        raise ExtractionError(f"could not extract a work plan: {reason}", "internal", {"error": reason}) from exc
