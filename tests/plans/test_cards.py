"""Plan-to-card rendering: the web page, DOCX (python-docx) and PDF (reportlab, checked with pypdf)."""

import io

from docx import Document
from pypdf import PdfReader

from citysafe.plans import cards as rendering
from citysafe.plans import selectors


def _cards(plan, show=True):
    return [selectors.card_data(c, show) for c in selectors.cards_for_level(plan)]


def test_docx_one_section_per_card_with_role_steps_contacts(demo):
    cards = _cards(demo["DEMO-CQ-WHP"])
    assert len(cards) == 4
    doc = Document(io.BytesIO(rendering.cards_to_docx(cards)))
    assert len(doc.sections) == len(cards)  # each card starts a new-page section
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(cell.text for table in doc.tables for row in table.rows for cell in row.cells)
    for card in cards:
        assert f"应急处置卡 · {card['role']}" in text
        for step in card["steps"]:
            assert step["title"] in cells
    assert "应急值班室(演示)" in text and "13800000001" in text
    assert "✖ 禁止无防护人员进入警戒区" in cells and "禁止: 禁止" not in cells  # not doubled
    assert "30 分钟内" in cells


def test_pdf_one_page_per_card(demo):
    cards = _cards(demo["DEMO-YZ-FX"])
    data = rendering.cards_to_pdf(cards)
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == len(cards) == 4
    assert b"STSong-Light" in data
    for page, card in zip(reader.pages, cards):  # Chinese is real text (CID font), one card per page
        text = page.extract_text()
        assert card["role"] in text and card["steps"][0]["title"] in text


def test_pdf_of_no_cards_is_one_empty_page():
    assert len(PdfReader(io.BytesIO(rendering.cards_to_pdf([]))).pages) == 1


def test_cards_page_is_printable_and_level_filtered(client, admin_user, demo):
    plan = demo["DEMO-CQ-DZZH"]
    client.force_login(admin_user)
    page = client.get(f"/plans/{plan.pk}/cards/").content.decode()
    assert page.count('data-testid="card"') == 4
    assert "size: A4" in page and "break-after: page" in page
    level4 = client.get(f"/plans/{plan.pk}/cards/?level=4").content.decode()
    assert level4.count('data-testid="card"') == 2  # 值班员 (every level) + 乡镇(街道)负责人 (Ⅳ)
    assert "乡镇(街道)负责人" in level4 and "现场指挥长" not in level4
    assert client.get(f"/plans/{plan.pk}/cards/?level=9").status_code == 404


def test_card_downloads_from_the_web(client, admin_user, demo):
    plan = demo["DEMO-CQ-DZZH"]
    client.force_login(admin_user)
    pdf = client.get(f"/plans/{plan.pk}/cards.pdf?level=1")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 2
    docx = client.get(f"/plans/{plan.pk}/cards.docx")
    assert docx.status_code == 200 and len(Document(io.BytesIO(docx.content)).sections) == 4
    assert client.get(f"/plans/{plan.pk}/cards.exe").status_code == 404


def test_phones_masked_outside_owner_org(client, wanzhou, admin_user, demo):
    plan = demo["DEMO-CQ-WHP"]  # owned by 市应急管理局 (the admin's organisation)
    client.force_login(wanzhou)
    page = client.get(f"/plans/{plan.pk}/cards/").content.decode()
    assert "138****0001" in page and "13800000001" not in page
    docx = Document(io.BytesIO(client.get(f"/plans/{plan.pk}/cards.docx").content))
    assert "13800000001" not in "\n".join(p.text for p in docx.paragraphs)
    client.force_login(admin_user)
    assert "13800000001" in client.get(f"/plans/{plan.pk}/cards/").content.decode()


def test_time_limit_labels():
    assert rendering.time_limit_label(None) == "—"
    assert rendering.time_limit_label(30) == "30 分钟内"
    assert rendering.time_limit_label(120) == "2 小时内"
    assert rendering.time_limit_label(90) == "90 分钟内"
