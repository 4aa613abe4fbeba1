"""Bytes -> text for each supported format, chosen by content sniffing first and file suffix second.

=======  ==================================  ==========================================================
format   recognised by                        how
=======  ==================================  ==========================================================
pdf      ``%PDF-`` magic or ``.pdf``          pypdf text of every page (no OCR: scanned PDFs are refused)
docx     zip holding ``word/document.xml``    python-docx; paragraphs and tables in body order
html     ``.htm(l)`` or an HTML tag near top  BeautifulSoup(html.parser); nav/script/style/... removed
txt      anything else that decodes           BOM, then strict UTF-8, then charset-normalizer vs GB18030
=======  ==================================  ==========================================================

Tables of every format come out as one-line pipe rows ``| a | b |`` (see tables.py). Merged cells are
repeated so columns stay aligned. Every failure becomes an ExtractionError with a code (errors.py);
nothing else escapes. Known non-document files (images, archives, spreadsheets) are recognised by their magic
bytes before the suffix is looked at, so a PNG renamed ``.txt`` or ``.pdf`` gives ``unsupported_format``.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from .errors import ExtractionError

_HTML_SNIFF = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|meta|div|p|table|span|title)[\s>/]", re.IGNORECASE)
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
# Magic bytes of files people upload by mistake: (prefix, format name); BMP and WebP in _sniff_other.
_OTHER_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x1f\x8b", "gzip"),
]
# Characters a Chinese government document is made of; used to choose between candidate decodings.
_GOOD_CHAR = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef\x20-\x7e\n\t“”‘’《》—…·‰]")


@dataclass(frozen=True)
class RawText:
    """Decoded text and the format it came from (txt, html, docx, pdf)."""

    text: str
    format: str


def read_bytes(data: bytes, filename: str | None = None, max_bytes: int = 20 * 1024 * 1024) -> RawText:
    """Turn file content into text; ``filename`` only supplies the suffix as a hint."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ExtractionError(f"expected bytes, got {type(data).__name__}", "bad_type",
                              {"expected": "bytes", "got": type(data).__name__})
    data = bytes(data)
    if len(data) > max_bytes:
        raise ExtractionError(f"file too big: {len(data)} bytes > max_bytes={max_bytes}", "too_big",
                              {"size": len(data), "max_bytes": max_bytes})
    if not data.strip():
        raise ExtractionError("empty file", "empty")
    suffix = PurePath(filename or "").suffix.lower()
    if other := _sniff_other(data):
        # "undecodable" stays in the English text: callers matched on it before codes existed.
        raise ExtractionError(f"unsupported file format: this is a {other.upper()} file, not a TXT/HTML/DOCX/PDF "
                              "document (undecodable as text)", "unsupported_format", {"format": other})
    if data.startswith(b"%PDF-") or suffix == ".pdf":
        return RawText(read_pdf(data), "pdf")
    if data.startswith(b"PK\x03\x04") or suffix == ".docx":
        return RawText(read_docx(data), "docx")
    if data.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".doc":
        raise ExtractionError("legacy .doc (OLE) files are not supported; save as .docx", "legacy_doc")
    text = decode_text(data)
    if suffix in (".html", ".htm", ".xhtml") or _HTML_SNIFF.search(data[:4096].replace(b"\x00", b"")):
        return RawText(html_to_text(text), "html")
    return RawText(text, "txt")


def _sniff_other(data: bytes) -> str | None:
    """Format name of a known non-document file (image, archive, ...), or None."""
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"BM") and len(data) > 26 and data[6:10] == b"\x00\x00\x00\x00" and data[14] in (12, 40, 52, 56, 64, 108, 124):
        return "bmp"
    return next((name for magic, name in _OTHER_MAGIC if data.startswith(magic)), None)


# --- plain text -------------------------------------------------------------------------------------------
def _quality(text: str) -> float:
    """Share of characters that look like Chinese document text (1.0 = all plausible)."""
    sample = text[:20000]
    return len(_GOOD_CHAR.findall(sample)) / max(1, len(sample))


def decode_text(data: bytes) -> str:
    """Decode bytes of unknown encoding (UTF-8/16/32 with or without BOM, GBK, GB18030, Big5, ...)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ExtractionError(f"undecodable: {encoding} byte-order mark but invalid data ({exc.reason})",
                                      "undecodable", {"encoding": encoding}) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    candidates = []
    # charset-normalizer is good at UTF-16 without BOM and Western code pages; GB18030 (a superset of GBK
    # and GB2312) is tried explicitly because short Chinese texts are sometimes guessed as Korean or Big5.
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is not None:
            candidates.append(str(best))
    except Exception:  # charset-normalizer failing is just "no candidate"
        pass
    for encoding in ("gb18030", "big5"):
        try:
            candidates.append(data.decode(encoding))
        except UnicodeDecodeError:
            pass
    candidates = [c for c in candidates if c and "\x00" not in c]
    if not candidates:
        raise ExtractionError("undecodable: not UTF-8/UTF-16/GB18030 text and no encoding could be detected",
                              "undecodable", {"encoding": None})
    best_text = max(candidates, key=_quality)
    if _quality(best_text) < 0.6:
        raise ExtractionError("undecodable: the bytes do not decode to readable text in any known encoding",
                              "undecodable", {"encoding": None})
    return best_text


# --- HTML -------------------------------------------------------------------------------------------------
_DROP_TAGS = ["script", "style", "noscript", "nav", "header", "footer", "form", "iframe", "select", "button",
              "svg", "template", "head", "object", "embed", "aside"]
_BLOCK_TAGS = ["p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "dd", "dt",
               "blockquote", "pre", "ul", "ol", "table", "center", "td", "th", "caption"]
_NAV_HINT = re.compile(r"(?:^|[-_\s])(?:nav|navbar|menu|breadcrumb|crumb|footer|header|sidebar|share|toolbar)(?:$|[-_\s])", re.I)


def _cell_text(cell) -> str:
    return " ".join(part.strip() for part in cell.get_text("").split("\n") if part.strip()).replace("|", "/")


def _table_rows(table) -> list[list[str]]:
    """Rows of a table with colspan repeated and rowspan filled down."""
    rows: list[list[str]] = []
    carry: dict[int, tuple[str, int]] = {}  # column -> (text, rows still to fill)
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is not table:
            continue
        row: list[str] = []
        cells = tr.find_all(["td", "th"], recursive=False)
        col = 0
        for cell in cells:
            while col in carry:
                text, left = carry[col]
                row.append(text)
                carry = {**carry, col: (text, left - 1)} if left > 1 else {k: v for k, v in carry.items() if k != col}
                col += 1
            text = _cell_text(cell)
            span = _int_attr(cell, "colspan")
            down = _int_attr(cell, "rowspan")
            for _ in range(span):
                row.append(text)
                if down > 1:
                    carry[col] = (text, down - 1)
                col += 1
        while col in carry:
            text, left = carry[col]
            row.append(text)
            carry = {**carry, col: (text, left - 1)} if left > 1 else {k: v for k, v in carry.items() if k != col}
            col += 1
        if any(row):
            rows.append(row)
    return rows


def _int_attr(tag, name: str) -> int:
    try:
        return max(1, min(50, int(str(tag.get(name, "1")).strip() or 1)))
    except ValueError:
        return 1


def html_to_text(html: str) -> str:
    """Visible text of an HTML page, one block per line, data tables as pipe rows."""
    try:
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(html, "html.parser")
        for tag in soup(_DROP_TAGS):
            tag.decompose()
        for tag in soup.find_all(True):
            if tag.attrs is not None and _NAV_HINT.search(" ".join([*tag.get("class", []), tag.get("id", "") or ""])):
                tag.decompose()
        for br in soup.find_all("br"):
            br.replace_with("\n")
        for tag in soup.find_all(_BLOCK_TAGS):
            tag.append("\n")
        # Leaf tables with at least two rows and two columns are data; outer layout tables stay text.
        for table in soup.find_all("table"):
            if table.find("table"):
                continue
            rows = _table_rows(table)
            if len(rows) >= 2 and max(len(r) for r in rows) >= 2:
                table.replace_with("\n" + "\n".join("| " + " | ".join(r) + " |" for r in rows) + "\n")
        return soup.get_text("")
    except ExtractionError:
        raise
    except Exception as exc:  # html.parser is lenient, but be safe on pathological input
        raise ExtractionError(f"could not parse HTML: {exc}", "bad_html", {"error": _reason(exc)}) from exc


# --- DOCX -------------------------------------------------------------------------------------------------
def read_docx(data: bytes) -> str:
    """Paragraphs and tables of a .docx body in document order."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except ExtractionError:
        raise
    except Exception as exc:  # BadZipFile, but also odd errors from corrupt central directories
        raise ExtractionError(f"not a valid DOCX (zip) file: {exc}", "bad_docx", {"error": _reason(exc)}) from exc
    if "word/document.xml" not in names:
        other = _zip_kind(names)
        if other:
            raise ExtractionError(f"unsupported file format: this is a {other.upper()} file, not a DOCX document",
                                  "unsupported_format", {"format": other})
        raise ExtractionError("zip file is not a DOCX document (no word/document.xml)", "bad_docx",
                              {"error": "no word/document.xml"})
    try:
        import docx
        from docx.table import Table as DocxTable
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(data))
        out: list[str] = []
        for child in document.element.body.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                out.append(Paragraph(child, document).text)
            elif tag == "tbl":
                for row in DocxTable(child, document).rows:
                    cells = [" ".join(c.text.split("\n")).replace("|", "/").strip() for c in row.cells]
                    out.append("| " + " | ".join(cells) + " |")
        return "\n".join(out)
    except ExtractionError:
        raise
    except Exception as exc:
        raise ExtractionError(f"could not read DOCX: {exc}", "bad_docx", {"error": _reason(exc)}) from exc


def _zip_kind(names: list[str]) -> str | None:
    """Which non-DOCX office/zip format a zip archive is (None when it looks like a damaged DOCX)."""
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    if any(n.startswith("ppt/") for n in names):
        return "pptx"
    if "content.xml" in names and "mimetype" in names:
        return "odt"
    if "[Content_Types].xml" in names or any(n.startswith("word/") for n in names):
        return None
    return "zip"


def _reason(exc: BaseException) -> str:
    """A short technical reason for ``details["error"]``."""
    text = str(exc).strip() or type(exc).__name__
    return text[:200]


# --- PDF --------------------------------------------------------------------------------------------------
def read_pdf(data: bytes) -> str:
    """Text layer of a PDF (pypdf). Scanned PDFs without text are refused; there is no OCR."""
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")
        pages = list(reader.pages)
        text = "\n".join(page.extract_text() or "" for page in pages)
    except ExtractionError:
        raise
    except Exception as exc:
        raise ExtractionError(f"could not read PDF: {exc}", "bad_pdf", {"error": _reason(exc)}) from exc
    if not pages:
        raise ExtractionError("could not read PDF: it has no pages", "bad_pdf", {"error": "no pages"})
    if not text.strip():
        raise ExtractionError("PDF has no text layer (scanned image?); OCR is not supported", "no_text_layer",
                              {"pages": len(pages)})
    return text
