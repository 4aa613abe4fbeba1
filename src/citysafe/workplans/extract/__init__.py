"""Extract a structured work plan (工作要点) from TXT, HTML, DOCX or PDF documents.

Pure Python, no Django. Public API::

    from citysafe.workplans.extract import extract_file, extract_bytes, extract_text, ExtractOptions, ExtractionError

    plan = extract_file("要点.docx", ExtractOptions(year=2026))
    plan.to_dict()   # JSON-ready, schema in docs/extract.md

Pipeline: reader (bytes -> text) -> normalize (NFKC, t2s) -> structure (header, sections, tasks, annex
tables) -> targets / units / deadlines on every task and annex item.
"""

from .api import extract_bytes, extract_file, extract_text
from .errors import ExtractionError
from .model import AnnexItem, DeadlineRef, ExtractOptions, Plan, Section, TargetSpec, Task, UnitRef

__all__ = [
    "AnnexItem",
    "DeadlineRef",
    "ExtractOptions",
    "ExtractionError",
    "Plan",
    "Section",
    "TargetSpec",
    "Task",
    "UnitRef",
    "extract_bytes",
    "extract_file",
    "extract_text",
]
