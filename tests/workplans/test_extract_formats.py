"""Readers (txt/html/docx/pdf), encodings, other documents' layouts, and every refusal path."""

import io
from datetime import date
from pathlib import Path

import pytest

from citysafe.workplans.extract import ExtractionError, ExtractOptions, extract_bytes, extract_file, extract_text  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
DISTRICT = (FIXTURES / "district_plan.txt").read_text(encoding="utf-8")


def units(task):
    return [(u.name, u.role, u.group) for u in task.units]


# --- plain text: "1." / "1、" tasks, annotations, sub-items --------------------------------------------------
@pytest.fixture(scope="module")
def district():
    return extract_file(FIXTURES / "district_plan.txt")


def test_district_header(district):
    assert district.title == "2026年某某区安全生产工作要点"
    assert district.notice_title == "某某区人民政府办公室关于印发《2026年某某区安全生产工作要点》的通知"
    assert district.doc_number == "某府办发〔2026〕3号"
    assert district.issuer == "某某区人民政府办公室"
    assert district.date == date(2026, 1, 15)
    assert district.year == 2026 and district.source_format == "txt"


def test_arabic_numbered_tasks(district):
    assert [(t.section.number, t.number, t.title) for t in district.tasks] == [
        ("一", "1", "强化党政领导责任"),
        ("一", "2", "健全隐患排查机制"),
        ("二", "1", "推进燃气安全整治"),
        ("二", "2", "强化道路交通安全"),
        ("二", "3", "做好防汛准备"),
    ]


def test_full_width_responsibility_annotation(district):
    assert units(district.tasks[0]) == [
        ("区应急局", "lead", False),
        ("区委办", "support", False),
        ("各街道办事处", "support", True),
    ]


def test_lead_and_cooperate(district):
    assert units(district.tasks[1]) == [
        ("区应急局", "lead", False),
        ("区公安分局", "support", False),
        ("区市场监管局", "support", False),
    ]
    assert units(district.tasks[3])[0] == ("区公安分局", "lead", False)


def test_labelled_lead_and_cooperating(district):
    assert units(district.tasks[2]) == [
        ("区住房城乡建委", "lead", False),
        ("区城市管理局", "support", False),
        ("各街道办事处", "support", True),
    ]


def test_yi_shi_er_shi_items(district):
    items = district.tasks[1].items
    assert len(items) == 3
    assert items[0].startswith("一是开展重大隐患专项排查") and items[2].startswith("三是强化举报奖励")


def test_deadlines_per_clause(district):
    task = district.tasks[1]
    assert [(d.text, d.date) for d in task.deadlines] == [("6月30日前", date(2026, 6, 30)), ("一季度", date(2026, 3, 31))]
    # "…;三是…不低于95%" is a new clause: the 一季度 deadline does not reach it.
    assert [(t.comparator, t.value, t.deadline) for t in task.targets] == [(">=", 100, date(2026, 6, 30)), (">=", 95, None)]
    assert [(d.text, d.date) for d in district.tasks[0].deadlines] == [("上半年", date(2026, 6, 30))]
    assert [(d.text, d.date) for d in district.tasks[4].deadlines] == [
        ("主汛期前", date(2026, 5, 31)),
        ("1月20日前", date(2026, 1, 20)),
    ]


def test_district_targets(district):
    gas = district.tasks[2].targets
    assert [(t.comparator, t.value, t.unit, t.scope, t.deadline) for t in gas] == [
        (">=", 100, "%", "中心城区", date(2026, 11, 30)),
        (">=", 90, "%", "其他区县", date(2026, 11, 30)),
        ("complete_count", 30, "公里", None, date(2026, 11, 30)),
    ]
    roads = [(t.comparator, t.value, t.unit) for t in district.tasks[3].targets]
    assert roads == [("<=", 18, "起"), ("decrease_by", 10, "%"), ("decrease_by_at_least", 5, "%"), ("decrease_by", 10, "%")]


def test_annex_is_empty_when_absent(district):
    assert district.to_dict()["annex"] == {"kpis": [], "domains": [], "platforms": []}


# --- HTML ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def html_plan():
    return extract_file(FIXTURES / "task_table.html")


def test_html_strips_navigation(html_plan):
    assert html_plan.source_format == "html"
    assert [s.title for s in html_plan.sections] == ["总体要求", "重点任务"]  # not "政务公开" from the nav list
    assert html_plan.title == "某某县2026年安全生产重点任务分工方案"
    assert html_plan.doc_number == "某府发〔2026〕5号"
    assert html_plan.issuer == "某某县人民政府" and html_plan.date == date(2026, 3, 2)


def test_html_task_table(html_plan):
    tasks = html_plan.tasks
    assert [t.number for t in tasks] == ["1", "2", "3"]
    assert tasks[0].section.title == "重点任务"
    assert units(tasks[0]) == [
        ("县住房城乡建委", "lead", False),
        ("县市场监管局", "support", False),
        ("各乡镇人民政府", "support", True),
    ]
    assert tasks[0].deadlines[0].date == date(2026, 12, 31)
    assert [(d.text, d.date) for d in tasks[1].deadlines] == [("6月30日前", date(2026, 6, 30))]
    # targets without a deadline phrase take the 完成时限 column
    assert [(t.comparator, t.value, t.unit, t.deadline) for t in tasks[2].targets] == [
        ("complete_count", 5, "座", date(2026, 9, 30))
    ]
    assert tasks[1].targets[0].unit == "家" and tasks[1].targets[0].deadline == date(2026, 6, 30)


def test_html_colspan_rowspan_and_annex_table():
    html = """<html><body><p>2026年某市安全生产工作要点</p><p>附件</p><p>一、核心绩效指标</p>
    <table><tr><th>序号</th><th>名称</th><th>2026年目标</th><th>责任单位</th></tr>
    <tr><td>1</td><td>生产安全较大事故起数</td><td>10起以内</td><td rowspan="2">市安委会各成员单位,各区县政府</td></tr>
    <tr><td>2</td><td>森林火灾受害率</td><td>0.3‰以内</td></tr>
    <tr><td colspan="2">3 合计</td><td>0</td><td>市应急局</td></tr></table></body></html>"""
    plan = extract_bytes(html.encode("utf-8"), "page.html")
    kpis = plan.annex["kpis"]
    assert [k.name for k in kpis] == ["生产安全较大事故起数", "森林火灾受害率", "3 合计"]
    assert [u.name for u in kpis[1].units] == ["市安委会各成员单位", "各区县政府"]  # rowspan filled down
    assert (kpis[1].targets[0].comparator, kpis[1].targets[0].value) == ("<=", 0.3)


# --- DOCX ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def docx_bytes():
    import docx

    document = docx.Document()
    document.add_paragraph("2026年某某区防灾减灾救灾工作要点")
    document.add_paragraph("一、强化风险防控")
    document.add_paragraph("（一）加强地灾防治。主汛期前，完成5处地质灾害工程治理。（责任单位：区规划自然资源局、有关镇街）")
    document.add_paragraph("二、重点任务清单")
    table = document.add_table(rows=3, cols=4)
    for row, cells in zip(table.rows, [
        ("序号", "重点任务", "责任单位", "完成时限"),
        ("1", "新建改造雨水管网80公里。", "区住房城乡建委、区城市管理局", "年底前"),
        ("2", "气象灾害监测率达91%以上。", "区气象局", "上半年"),
    ]):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    document.add_paragraph("附件")
    document.add_paragraph("一、重点应用/平台")
    annex = document.add_table(rows=2, cols=4)
    for row, cells in zip(annex.rows, [("序号", "名称", "2026年目标(内容)", "责任单位"), ("1", "渝悦·农房智管", "涉农区县覆盖率达100%。", "市住房城乡建委")]):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_paragraphs_tables_and_annex(docx_bytes, tmp_path):
    path = tmp_path / "plan.docx"
    path.write_bytes(docx_bytes)
    plan = extract_file(path)
    assert plan.source_format == "docx" and plan.title == "2026年某某区防灾减灾救灾工作要点"
    first, second, third = plan.tasks
    assert (first.number, first.title) == ("一", "加强地灾防治")
    assert first.deadlines[0].date == date(2026, 5, 31)
    assert first.targets[0].unit == "处" and first.targets[0].deadline == date(2026, 5, 31)
    assert units(first)[1] == ("有关镇街", "support", True)
    assert (second.number, second.section.title, second.deadlines[0].date) == ("1", "重点任务清单", date(2026, 12, 31))
    assert [(t.comparator, t.value, t.unit) for t in second.targets] == [("complete_count", 80, "公里")]
    assert third.targets[0].deadline == date(2026, 6, 30)
    platform = plan.annex["platforms"][0]
    assert (platform.name, platform.targets[0].scope) == ("渝悦·农房智管", "涉农区县")


def test_docx_without_suffix_is_sniffed(docx_bytes):
    assert extract_bytes(docx_bytes, "upload.bin").source_format == "docx"


# --- PDF -------------------------------------------------------------------------------------------------
def make_cjk_pdf(lines):
    """A minimal one-page PDF written by hand (no PDF library needed).

    The font is a non-embedded Type0 font with Identity-H encoding whose glyph codes are the Unicode code
    points; a ToUnicode CMap maps them back, which is all pypdf needs to extract the text.

    A line is a str, or a list of str and int parts written as one ``TJ`` array: an int moves the pen
    (thousandths of an em, negative = right), as browsers do between glyph runs; pypdf reads such gaps back
    as spaces ("2026 年").
    """
    lines = [[line] if isinstance(line, str) else list(line) for line in lines]
    chars = sorted({ord(c) for line in lines for part in line if isinstance(part, str) for c in part})
    body = ["BT", "/F1 10 Tf", "12 TL", "40 800 Td"]
    for line in lines:
        parts = ["<" + "".join(f"{ord(c):04X}" for c in part) + ">" if isinstance(part, str) else str(part) for part in line]
        body.append("[" + " ".join(parts) + "] TJ T*")
    body.append("ET")
    stream = "\n".join(body).encode()
    bfchar = "\n".join(f"<{c:04X}> <{c:04X}>" for c in chars)
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        f"{len(chars)} beginbfchar\n{bfchar}\nendbfchar\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end"
    ).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H"
        b" /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light"
        b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
        b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_pdf_text_layer_with_wrapped_lines(tmp_path):
    lines = [
        "2026年某某区安全生产工作要点",
        "一、压实安全责任",
        "(一)强化企业主体责任。年底前,重大事故隐患整改率达",  # a paragraph wrapped by the PDF layout
        "100%,新建改造燃气管道30公里。(责任单位:区应急局、各街道)",
        "— 1 —",
        "(二)加强应急演练。上半年完成预案修编。",
    ]
    path = tmp_path / "plan.pdf"
    path.write_bytes(make_cjk_pdf(lines))
    plan = extract_file(path)
    assert plan.source_format == "pdf" and plan.year == 2026
    first = plan.tasks[0]
    assert first.title == "强化企业主体责任"
    assert first.text.endswith("(责任单位:区应急局、各街道)")
    assert [(t.comparator, t.value, t.unit, t.deadline) for t in first.targets] == [
        (">=", 100, "%", date(2026, 12, 31)),
        ("complete_count", 30, "公里", date(2026, 12, 31)),
    ]
    assert all("—" not in task.text for task in plan.tasks)  # the page-number line "— 1 —" is dropped
    assert units(first)[1] == ("各街道", "support", True)


def test_browser_printed_pdf_with_spaces_and_radicals(tmp_path):
    """Chromium/Word PDFs: glyph runs with gaps (pypdf adds spaces) and Kangxi / supplement radicals."""
    gap = -300
    lines = [
        ["2026", gap, "年某某区燃⽓安全⼯作要点"],  # ⽓ U+2F53, ⼯ U+2F2F (Kangxi radicals)
        ["⼀、", gap, "压实安全责任"],  # ⼀ U+2F00
        ["（", gap, "⼀", gap, "）", gap, "强化燃⽓管道改造。年底前，新建改造燃⽓管道", gap, "30", gap, "公⾥。"],
        ["（", gap, "责任单位：区住房城乡建委", gap, "、", gap, "各街道）"],
        ["（", gap, "⼆", gap, "）", gap, "加强⻓江⽔域巡查。", "6", gap, "⽉", gap, "30", gap, "⽇前，巡查覆盖率达",
         gap, "100", gap, "%", "。（区交通局牵头，区⽔利局配合）"],  # ⻓ U+2ED3: NFKC leaves it alone
        ["—", gap, "1", gap, "—"],
    ]
    data = make_cjk_pdf(lines)
    from pypdf import PdfReader

    raw = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "2026 年" in raw and "（ ⼀ ）" in raw and "⻓" in raw  # the problem is really in the text layer
    path = tmp_path / "printed.pdf"
    path.write_bytes(data)
    plan = extract_file(path)
    assert plan.year == 2026 and plan.title == "2026年某某区燃气安全工作要点"
    assert [s.title for s in plan.sections] == ["压实安全责任"]
    first, second = plan.tasks
    assert (first.number, first.title, second.number, second.title) == ("一", "强化燃气管道改造", "二", "加强长江水域巡查")
    assert [(t.comparator, t.value, t.unit, t.deadline) for t in first.targets] == [
        ("complete_count", 30, "公里", date(2026, 12, 31))
    ]
    assert [(t.comparator, t.value, t.unit, t.deadline) for t in second.targets] == [(">=", 100, "%", date(2026, 6, 30))]
    assert units(first) == [("区住房城乡建委", "lead", False), ("各街道", "support", True)]
    assert units(second) == [("区交通局", "lead", False), ("区水利局", "support", False)]
    assert [(d.text, d.date) for d in second.deadlines] == [("6月30日前", date(2026, 6, 30))]


def test_spaced_pdf_text_pasted_into_txt_is_squeezed():
    text = "2026 年 某 某 区 安 全 生 产 工 作 要 点\n( ⼀ ) 加 强 监 管 。 年 底 前 整 改 率 达 100 % 。\n"
    plan = extract_bytes(text.encode("utf-8"), "pasted.txt")
    assert plan.year == 2026 and plan.tasks[0].title == "加强监管"
    assert [(t.value, t.unit, t.deadline) for t in plan.tasks[0].targets] == [(100, "%", date(2026, 12, 31))]


def test_broken_pdf_is_refused():
    with pytest.raises(ExtractionError, match="PDF"):
        extract_bytes(b"%PDF-1.4\nthis is not really a pdf", "x.pdf")


def test_pdf_without_text_is_refused():
    empty = make_cjk_pdf([" "])
    with pytest.raises(ExtractionError):
        extract_bytes(empty, "scan.pdf")


# --- encodings and normalisation ---------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le", "utf-16-be", "big5hkscs"])
def test_encodings(encoding):
    text = DISTRICT
    if encoding.startswith("big5"):
        text = (FIXTURES / "traditional.txt").read_text(encoding="utf-8")
    plan = extract_bytes(text.encode(encoding), "plan.txt")
    assert plan.tasks, encoding
    assert plan.tasks[0].title in ("强化党政领导责任", "健全责任体系")


def test_traditional_to_simplified():
    plan = extract_file(FIXTURES / "traditional.txt")
    assert plan.title == "2026年某某市防灾减灾救灾工作要点"
    assert plan.tasks[0].title == "健全责任体系"
    assert [(u.name, u.group) for u in plan.tasks[0].units] == [("市应急管理局", False), ("各区县政府", True)]
    assert plan.tasks[1].targets[0].comparator == ">="


def test_full_width_digits_and_brackets():
    plan = extract_text("２０２６年工作要点\n（一）加强监管。年底前整改率达１００％。（责任单位：市应急局）")
    target = plan.tasks[0].targets[0]
    assert (target.value, target.unit, target.deadline) == (100, "%", date(2026, 12, 31))
    assert plan.tasks[0].units[0].name == "市应急局"


def test_mixed_garbage_is_decoded_or_refused():
    data = DISTRICT.encode("utf-8")[:300] + bytes(range(128, 256)) + DISTRICT.encode("gbk")[:300]
    try:
        plan = extract_bytes(data, "mixed.txt")
    except ExtractionError:
        return
    assert plan.year == 2026


# --- refusals --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [b"", b"   \n\t  ", b"\xef\xbb\xbf"])
def test_empty_file(data):
    with pytest.raises(ExtractionError, match="empty"):
        extract_bytes(data, "empty.txt")


def test_not_a_plan_message():
    with pytest.raises(ExtractionError, match=r"not a work plan.*first line was '今天天气很好'"):
        extract_text("今天天气很好\n我们去公园散步。2026年。")


def test_year_missing():
    with pytest.raises(ExtractionError, match="year"):
        extract_text("工作要点\n(一)加强监管。")
    assert extract_text("工作要点\n(一)加强监管。", ExtractOptions(year=2025)).year == 2025


def test_too_big(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 2048)
    with pytest.raises(ExtractionError, match="too big"):
        extract_file(path, ExtractOptions(max_bytes=1024))
    with pytest.raises(ExtractionError, match="too big"):
        extract_bytes(b"x" * 2048, "big.txt", ExtractOptions(max_bytes=1024))


def test_binary_and_other_formats():
    with pytest.raises(ExtractionError):
        extract_bytes(bytes(range(256)) * 50, "blob.bin")
    with pytest.raises(ExtractionError, match=".doc"):
        extract_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.doc")
    with pytest.raises(ExtractionError, match="DOCX"):
        extract_bytes(b"PK\x03\x04 broken zip", "x.docx")


def test_missing_file(tmp_path):
    with pytest.raises(ExtractionError, match="cannot read"):
        extract_file(tmp_path / "nope.txt")


def test_ten_megabytes_are_extracted_whole():
    # Speed is measured by bench/bench_extract.py, never asserted here.
    seed_like = "\n".join(DISTRICT.splitlines()[9:]) + "\n"
    text = "2026年某某区安全生产工作要点\n" + seed_like * (10_000_000 // len(seed_like.encode("utf-8")))
    assert len(text.encode("utf-8")) > 9_000_000
    plan = extract_bytes(text.encode("utf-8"), "big.txt")
    assert len(plan.tasks) > 10_000
