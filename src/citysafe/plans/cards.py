"""Response cards (应急处置卡) as printable documents: one A4 page per role card.

Input is the plain card data of ``selectors.card_data``.  DOCX uses python-docx (one section per card, steps in a
table); PDF uses reportlab with the built-in CID font STSong-Light (Adobe-GB1; standard PDF readers render the
Chinese text without embedded font files).  The web page is the template ``plans/cards.html``.
"""

import io
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_SECTION
from docx.shared import Pt, RGBColor
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .selectors import time_limit_label

__all__ = ["cards_to_docx", "cards_to_pdf", "labelled", "time_limit_label"]

CJK_FONT = "STSong-Light"
DOCX_FONT = "SimSun"  # a font name Word/WPS map to a Song face; LibreOffice substitutes one


MAX_LINE = 1000  # characters of one prohibition/reminder line in a document (longer lines are cut with "…")


def labelled(prefix: str, line: str) -> str:
    """"禁止：…" / "注意：…", without doubling a prefix the line already starts with ("禁止吸烟" stays as it is)."""
    line = line if len(line) <= MAX_LINE else line[:MAX_LINE] + "…"
    return line if line.startswith(prefix) else f"{prefix}：{line}"


def card_title(card: dict) -> str:
    return f"应急处置卡 · {card['role']}"


# --- DOCX --------------------------------------------------------------------------------------------------------

def _run(paragraph, text, size=None, bold=False, color=None):
    run = paragraph.add_run(text)
    run.font.name = DOCX_FONT
    run._element.rPr.rFonts.set("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", DOCX_FONT)
    if size:
        run.font.size = Pt(size)
    run.bold = bold
    if color:
        run.font.color.rgb = RGBColor.from_string(color)
    return run


def cards_to_docx(cards: list[dict]) -> bytes:
    """A .docx with one section (starting on a new page) per card: title, plan and level, a steps table
    (序号 / 步骤 / 要求 / 时限), key contacts and the 禁止/注意 box.  Returns the file's bytes."""
    doc = Document()
    for index, card in enumerate(cards):
        if index:
            doc.add_section(WD_SECTION.NEW_PAGE)
        _run(doc.add_paragraph(), card_title(card), size=22, bold=True)
        _run(doc.add_paragraph(), f"{card['plan']}  |  {card['level_label']}", size=11, color="555555")
        table = doc.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ["序号", "处置步骤", "具体要求", "时限"]):
            _run(cell.paragraphs[0], text, bold=True)
        for step in card["steps"]:
            cells = table.add_row().cells
            _run(cells[0].paragraphs[0], f"{step['icon']} {step['no']}", size=14, bold=True)
            _run(cells[1].paragraphs[0], step["title"], bold=True)
            _run(cells[2].paragraphs[0], step["detail"])
            _run(cells[3].paragraphs[0], time_limit_label(step["time_limit_min"]))
        if card["contacts"]:
            _run(doc.add_paragraph(), "关键联系人", size=13, bold=True)
            for c in card["contacts"]:
                _run(doc.add_paragraph(style="List Bullet"), f"{c['name']}  {c['title']}  {c['phone']}")
        if card["prohibitions"] or card["reminders"]:
            box = doc.add_table(rows=1, cols=1)
            box.style = "Table Grid"
            cell = box.rows[0].cells[0]
            _run(cell.paragraphs[0], "禁止 / 注意", size=13, bold=True, color="B00020")
            for line in card["prohibitions"]:
                _run(cell.add_paragraph(), f"✖ {labelled('禁止', line)}", color="B00020")
            for line in card["reminders"]:
                _run(cell.add_paragraph(), f"⚠ {labelled('注意', line)}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- PDF ---------------------------------------------------------------------------------------------------------

def _styles():
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    base = {"fontName": CJK_FONT, "wordWrap": "CJK"}
    return {
        "title": ParagraphStyle("title", fontSize=24, leading=30, spaceAfter=4 * mm, **base),
        "meta": ParagraphStyle("meta", fontSize=11, leading=15, textColor=colors.grey, spaceAfter=4 * mm, **base),
        "cell": ParagraphStyle("cell", fontSize=11, leading=15, **base),
        "step": ParagraphStyle("step", fontSize=12, leading=16, **base),
        "h2": ParagraphStyle("h2", fontSize=13, leading=18, spaceBefore=4 * mm, spaceAfter=2 * mm, **base),
        "warn": ParagraphStyle("warn", fontSize=11, leading=15, textColor=colors.HexColor("#B00020"),
                               backColor=colors.HexColor("#FFF4F4"), borderPadding=2, spaceAfter=1 * mm, **base),
        "note": ParagraphStyle("note", fontSize=11, leading=15, backColor=colors.HexColor("#FFF4F4"),
                               borderPadding=2, spaceAfter=1 * mm, **base),
        "box": ParagraphStyle("box", fontSize=13, leading=18, spaceBefore=4 * mm, spaceAfter=2 * mm,
                              textColor=colors.HexColor("#B00020"), **base),
    }


def cards_to_pdf(cards: list[dict]) -> bytes:
    """An A4 PDF with one page per card (a card that does not fit continues on the next page, but every card
    starts on its own page).  Emoji icons are left out: the CID font has no emoji glyphs, step numbers stand in."""
    s = _styles()
    story = []
    for index, card in enumerate(cards):
        if index:
            story.append(PageBreak())
        story += [Paragraph(escape(card_title(card)), s["title"]),
                  Paragraph(escape(f"{card['plan']}  |  {card['level_label']}"), s["meta"])]
        rows = [[Paragraph(t, s["cell"]) for t in ("序号", "处置步骤", "具体要求", "时限")]]
        rows += [[Paragraph(f"<b>{step['no']}</b>", s["step"]), Paragraph(escape(step["title"]), s["step"]),
                  Paragraph(escape(step["detail"]), s["cell"]),
                  Paragraph(escape(time_limit_label(step["time_limit_min"])), s["cell"])] for step in card["steps"]]
        table = Table(rows, colWidths=[14 * mm, 45 * mm, 90 * mm, 25 * mm], repeatRows=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF7")),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(table)
        if card["contacts"]:
            story.append(Paragraph("关键联系人", s["h2"]))
            story += [Paragraph(escape(f"{c['name']}  {c['title']}  {c['phone']}"), s["cell"]) for c in card["contacts"]]
        # Plain paragraphs (not rows of a one-column table): a long line flows on to the next page instead of
        # raising reportlab's LayoutError for a table cell taller than the frame.
        lines = [Paragraph(escape(labelled("禁止", t)), s["warn"]) for t in card["prohibitions"]]
        lines += [Paragraph(escape(labelled("注意", t)), s["note"]) for t in card["reminders"]]
        if lines:
            story += [Spacer(1, 2 * mm), Paragraph("禁止 / 注意", s["box"])] + lines
    if not story:
        story.append(Paragraph("(无处置卡)", s["cell"]))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                      bottomMargin=18 * mm, title="应急处置卡").build(story)
    return out.getvalue()
