"""The single exception type of the extractor, with a stable machine-readable ``code``.

Every failure the caller can do something about (empty file, wrong format, undecodable bytes, file too big,
text that is not a work plan, no plan year) is an :class:`ExtractionError`. It subclasses ``ValueError`` so a
caller that only knows "bad input" can still catch it.

Besides the English message (``str(err)``) every error carries

* ``err.code`` -- one of the codes below; stable, meant for translating the message (the Django layer shows
  a Chinese text per code);
* ``err.details`` -- a dict with values for such a message. The keys listed below are always present for
  that code (a value may be ``None`` when unknown); values are str, int or None only.

=====================  ===================================================================  ==========================
code                   meaning                                                              details keys
=====================  ===================================================================  ==========================
``empty``              no content: empty/blank file or nothing left after normalisation     (none)
``too_big``            input larger than ``ExtractOptions.max_bytes``                       ``size``, ``max_bytes``
``undecodable``        bytes are not text in any supported encoding (binary junk)           ``encoding``
``unsupported_format`` a recognised non-document file (image, archive, spreadsheet, ...)    ``format``
``legacy_doc``         legacy Word 97-2003 / OLE file (``.doc``); save as .docx              (none)
``bad_html``           HTML that could not be parsed                                        ``error``
``bad_docx``           a .docx that is not a valid DOCX (broken zip, no word/document.xml)  ``error``
``bad_pdf``            a .pdf that pypdf cannot read (truncated, damaged, encrypted)        ``error``
``no_text_layer``      PDF without any text (scanned images); there is no OCR               ``pages``
``no_year``            the plan year is not in the title, notice title, date or doc number  ``title``
``not_a_plan``         readable text, but no section headings / tasks / annex items found   ``first_line``, ``sections``
``bad_option``         an invalid :class:`ExtractOptions` value                             ``option``, ``value``
``bad_type``           the API was called with the wrong Python type (a programming error)  ``expected``, ``got``
``unreadable``         ``extract_file`` could not read the file (missing, permissions, ...) ``path``, ``error``
``internal``           an unexpected parser failure turned into an error (a bug; report it) ``error``
``invalid``            default for ``ExtractionError(message)`` without a code              (none)
=====================  ===================================================================  ==========================

``details`` values: ``size``/``max_bytes`` bytes (int); ``encoding`` the encoding of a byte-order mark or
None; ``format`` a short lower-case name (``png``, ``jpeg``, ``gif``, ``bmp``, ``tiff``, ``webp``, ``xlsx``,
``pptx``, ``odt``, ``zip``, ``rar``, ``7z``, ``gzip``); ``error`` a short English technical reason;
``pages`` the number of PDF pages (int); ``title`` the detected title or None; ``first_line`` the first line
of the text (at most 60 characters); ``sections`` the number of ``一、`` headings found (int); ``option`` the
option name and ``value`` its ``repr``; ``expected``/``got`` type names; ``path`` the path as given.
"""

from __future__ import annotations

from typing import Any, Mapping

#: code -> default English message (used when an error is raised with a code but no message).
CODES: dict[str, str] = {
    "empty": "empty file",
    "too_big": "file too big",
    "undecodable": "undecodable: the bytes do not decode to readable text in any known encoding",
    "unsupported_format": "unsupported file format",
    "legacy_doc": "legacy .doc (OLE) files are not supported; save as .docx",
    "bad_html": "could not parse HTML",
    "bad_docx": "not a valid DOCX file",
    "bad_pdf": "could not read PDF",
    "no_text_layer": "PDF has no text layer (scanned image?); OCR is not supported",
    "no_year": "could not determine the plan year from the title or date; give the year explicitly",
    "not_a_plan": "not a work plan: found no tasks or annex items",
    "bad_option": "invalid extraction option",
    "bad_type": "wrong argument type",
    "unreadable": "cannot read the file",
    "internal": "could not extract a work plan (internal error)",
    "invalid": "could not extract a work plan",
}
DEFAULT_CODE = "invalid"


class ExtractionError(ValueError):
    """The input could not be turned into a work plan.

    ``str(err)`` is a human-readable English reason, ``err.code`` a stable code from :data:`CODES` and
    ``err.details`` a dict of values for a translated message. ``ExtractionError("text")`` still works (code
    ``invalid``); ``ExtractionError(code="not_a_plan")`` uses the code's default message.
    """

    def __init__(self, message: str | None = None, code: str | None = None, details: Mapping[str, Any] | None = None) -> None:
        self.code = code or DEFAULT_CODE
        self.details: dict[str, Any] = dict(details or {})
        self.message = message if message else CODES.get(self.code, CODES[DEFAULT_CODE])
        super().__init__(self.message)

    def __reduce__(self):  # keep code and details when pickled (e.g. across a task queue)
        return (type(self), (self.message, self.code, self.details))

    def to_dict(self) -> dict[str, Any]:
        """``{"code", "message", "details"}`` -- JSON-ready."""
        return {"code": self.code, "message": self.message, "details": dict(self.details)}
