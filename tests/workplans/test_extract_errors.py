"""Every failure kind raises ExtractionError with a stable ``code`` and the documented ``details`` keys."""

import io
import pickle
import zipfile

import pytest

from citysafe.workplans.extract import ExtractionError, ExtractOptions, extract_bytes, extract_file, extract_text
from citysafe.workplans.extract.errors import CODES

from .test_extract_formats import make_cjk_pdf

PLAN = "2026年某某区安全生产工作要点\n一、压实责任\n(一)加强监管。年底前整改率达100%。\n"

# code -> keys that are always in details (docs/extract.md and errors.py list the same).
DETAIL_KEYS = {
    "empty": set(),
    "too_big": {"size", "max_bytes"},
    "undecodable": {"encoding"},
    "unsupported_format": {"format"},
    "legacy_doc": set(),
    "bad_html": {"error"},
    "bad_docx": {"error"},
    "bad_pdf": {"error"},
    "no_text_layer": {"pages"},
    "no_year": {"title"},
    "not_a_plan": {"first_line", "sections"},
    "bad_option": {"option", "value"},
    "bad_type": {"expected", "got"},
    "unreadable": {"path", "error"},
    "internal": {"error"},
    "invalid": set(),
}


def error_of(call) -> ExtractionError:
    with pytest.raises(ExtractionError) as info:
        call()
    err = info.value
    assert err.code in CODES and str(err) and err.message == str(err)
    assert set(err.details) == DETAIL_KEYS[err.code], err.details
    assert all(v is None or isinstance(v, (str, int)) for v in err.details.values())
    return err


def docx_with(*paragraphs: str) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_codes_are_documented():
    assert set(CODES) == set(DETAIL_KEYS)


# --- the tester's list -----------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [b"", b"  \r\n\t ", b"\xef\xbb\xbf"])
def test_empty_bytes(data):
    assert error_of(lambda: extract_bytes(data, "plan.txt")).code == "empty"


def test_empty_text():
    assert error_of(lambda: extract_text(" \n\u200b\n")).code == "empty"


def test_junk_bytes():
    err = error_of(lambda: extract_bytes(bytes(range(256)) * 50, "blob.bin"))
    assert err.code == "undecodable" and err.details == {"encoding": None}


def test_bad_byte_order_mark():
    err = error_of(lambda: extract_bytes(b"\xef\xbb\xbf\xff\xfe\xfd", "bom.txt"))
    assert err.code == "undecodable" and err.details == {"encoding": "utf-8-sig"}


@pytest.mark.parametrize("name", ["photo.txt", "photo.pdf", "photo.docx", None])
def test_png_renamed(name):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100)
    err = error_of(lambda: extract_bytes(png, name))
    assert err.code == "unsupported_format" and err.details == {"format": "png"}


def test_jpeg_renamed():
    assert error_of(lambda: extract_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(50), "scan.txt")).details == {"format": "jpeg"}


def test_unrelated_docx():
    data = docx_with("会议纪要", "今天召开了安全生产工作会议。", "会议要求各单位认真落实。")
    err = error_of(lambda: extract_bytes(data, "minutes.docx"))
    assert err.code == "not_a_plan"
    assert err.details == {"first_line": "会议纪要", "sections": 0}


def test_truncated_pdf():
    full = make_cjk_pdf(["2026年某某区安全生产工作要点", "(一)加强监管。年底前整改率达100%。"])
    assert extract_bytes(full, "plan.pdf").tasks  # the whole file is fine
    err = error_of(lambda: extract_bytes(full[: len(full) // 2], "plan.pdf"))
    assert err.code == "bad_pdf" and err.details["error"]


def test_pdf_without_text_layer():
    err = error_of(lambda: extract_bytes(make_cjk_pdf([" "]), "scan.pdf"))
    assert err.code == "no_text_layer" and err.details == {"pages": 1}


def test_text_without_year():
    err = error_of(lambda: extract_text("工作要点\n(一)加强监管。"))
    assert err.code == "no_year" and err.details == {"title": "工作要点"}
    assert "ExtractOptions" not in str(err) and "give the year explicitly" in str(err)


def test_text_that_is_not_a_plan():
    err = error_of(lambda: extract_text("今天天气很好\n我们去公园散步。2026年。"))
    assert err.code == "not_a_plan" and err.details == {"first_line": "今天天气很好", "sections": 0}


def test_headings_without_tasks_are_not_a_plan():
    """A document with 一、 headings but no tasks or annex items used to give an empty plan."""
    err = error_of(lambda: extract_text("2026年某某区工作要点\n一、总体要求\n坚持安全第一。\n二、工作措施\n加强监管。"))
    assert err.code == "not_a_plan" and err.details == {"first_line": "2026年某某区工作要点", "sections": 2}


def test_not_a_plan_first_line_is_short():
    err = error_of(lambda: extract_text("这" * 500 + "\n其他内容"))
    assert err.details["first_line"] == "这" * 60


@pytest.mark.parametrize(
    "call",
    [
        lambda: extract_bytes(b"x" * 2048, "big.txt", ExtractOptions(max_bytes=1024)),
        lambda: extract_text("x" * 2048, ExtractOptions(max_bytes=1024)),
    ],
    ids=["bytes", "text"],
)
def test_too_big(call):
    err = error_of(call)
    assert err.code == "too_big" and err.details == {"size": 2048, "max_bytes": 1024}


def test_too_big_file(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 2048)
    err = error_of(lambda: extract_file(path, ExtractOptions(max_bytes=1024)))
    assert err.code == "too_big" and err.details == {"size": 2048, "max_bytes": 1024}


# --- the other codes -------------------------------------------------------------------------------------
def test_legacy_doc():
    assert error_of(lambda: extract_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "old.doc")).code == "legacy_doc"


def test_broken_docx():
    err = error_of(lambda: extract_bytes(b"PK\x03\x04 broken zip", "x.docx"))
    assert err.code == "bad_docx" and "DOCX" in str(err)


def zip_of(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


def test_spreadsheet_is_unsupported():
    err = error_of(lambda: extract_bytes(zip_of("[Content_Types].xml", "xl/workbook.xml"), "plan.xlsx"))
    assert err.code == "unsupported_format" and err.details == {"format": "xlsx"}
    assert error_of(lambda: extract_bytes(zip_of("a.txt"), "plan.zip")).details == {"format": "zip"}


def test_docx_without_document_part():
    err = error_of(lambda: extract_bytes(zip_of("[Content_Types].xml", "word/styles.xml"), "x.docx"))
    assert err.code == "bad_docx"


def test_bad_html(monkeypatch):
    import bs4

    def broken(*args, **kwargs):
        raise RuntimeError("parser exploded")

    monkeypatch.setattr(bs4, "BeautifulSoup", broken)
    err = error_of(lambda: extract_bytes(b"<html><body><p>2026</p></body></html>", "a.html"))
    assert err.code == "bad_html" and err.details == {"error": "parser exploded"}


@pytest.mark.parametrize(
    ("kwargs", "option"),
    [({"year": 1800}, "year"), ({"year": "soon"}, "year"), ({"flood_season_deadline": "5-31"}, "flood_season_deadline"),
     ({"flood_season_deadline": "02-30"}, "flood_season_deadline"), ({"flood_season_deadline": None}, "flood_season_deadline"),
     ({"max_bytes": 0}, "max_bytes")],
)
def test_bad_option(kwargs, option):
    err = error_of(lambda: ExtractOptions(**kwargs))
    assert err.code == "bad_option" and err.details["option"] == option


def test_bad_type():
    assert error_of(lambda: extract_text(b"bytes")).details == {"expected": "str", "got": "bytes"}
    assert error_of(lambda: extract_bytes("text")).details == {"expected": "bytes", "got": "str"}
    assert error_of(lambda: extract_text(PLAN, {"year": 2026})).code == "bad_type"


def test_unreadable(tmp_path):
    err = error_of(lambda: extract_file(tmp_path / "nope.txt"))
    assert err.code == "unreadable" and err.details["path"].endswith("nope.txt") and err.details["error"]
    assert "cannot read" in str(err)
    assert error_of(lambda: extract_file(tmp_path)).code == "unreadable"  # a directory


def test_internal(monkeypatch):
    import citysafe.workplans.extract.api as api

    def buggy(*args, **kwargs):
        raise KeyError("oops")

    monkeypatch.setattr(api, "parse_plan", buggy)
    err = error_of(lambda: extract_text(PLAN))
    assert err.code == "internal" and err.details == {"error": "KeyError: 'oops'"}


# --- the exception class itself --------------------------------------------------------------------------
def test_plain_construction_still_works():
    err = ExtractionError("something odd")
    assert (str(err), err.code, err.details) == ("something odd", "invalid", {})
    assert isinstance(err, ValueError)


def test_code_only_construction_uses_default_message():
    err = ExtractionError(code="not_a_plan")
    assert err.code == "not_a_plan" and str(err) == CODES["not_a_plan"]


def test_pickle_and_to_dict():
    err = ExtractionError("file too big", "too_big", {"size": 3, "max_bytes": 2})
    again = pickle.loads(pickle.dumps(err))
    assert (str(again), again.code, again.details) == ("file too big", "too_big", {"size": 3, "max_bytes": 2})
    assert again.to_dict() == {"code": "too_big", "message": "file too big", "details": {"size": 3, "max_bytes": 2}}


def test_valid_plan_still_extracts():
    assert len(extract_text(PLAN).tasks) == 1
