"""Extract a structured work plan (工作要点) from TXT, HTML, DOCX or PDF documents.

Pure Python, no Django. Public API::

    from citysafe.workplans.extract import extract_file, extract_bytes, extract_text, ExtractOptions, ExtractionError

    plan = extract_file("要点.docx", ExtractOptions(year=2026))
    plan.to_dict()   # JSON-ready, schema in docs/extract.md

Pipeline: reader (bytes -> text) -> normalize (radicals, NFKC, t2s, layout spaces) -> structure (header,
sections, tasks, annex tables) -> targets / units / deadlines on every task and annex item.

Errors: every call returns a Plan with at least one task or annex item, or raises ExtractionError with an
English message (``str(err)``), a stable ``err.code`` and ``err.details`` (dict) for a translated message::

    code                details keys
    empty               -
    too_big             size, max_bytes
    undecodable         encoding
    unsupported_format  format            (png, jpeg, gif, bmp, tiff, webp, xlsx, pptx, odt, zip, rar, 7z, gzip)
    legacy_doc          -
    bad_html            error
    bad_docx            error
    bad_pdf             error
    no_text_layer       pages
    no_year             title
    not_a_plan          first_line, sections
    bad_option          option, value
    bad_type            expected, got
    unreadable          path, error
    internal            error             (an unexpected parser failure: a bug)
    invalid             -                 (default of a plain ExtractionError("message"))

See errors.py for the meaning of each code and docs/extract.md.
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
