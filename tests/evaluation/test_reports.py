"""Duty report and yearly evaluation: DOCX and XLSX contents, download pages and API, scoping."""

import io
from urllib.parse import unquote

import pytest
from django.urls import reverse

from citysafe.evaluation import reports
from citysafe.evaluation import scorecards as sc

from .test_scorecards_world import TODAY, world  # noqa: F401

Q1 = sc.Period(2026, 1)


def _docx(content: bytes):
    from docx import Document

    return Document(io.BytesIO(content))


def _cells(table):
    return [[c.text for c in row.cells] for row in table.rows]


@pytest.mark.django_db
def test_docx_contents(world, admin_user):  # noqa: F811
    report = reports.unit_report(admin_user, world["yz"].pk, Q1, TODAY)
    doc = _docx(reports.docx_bytes(report))
    assert doc.paragraphs[0].text == "渝中区政府2026年第1季度述职报告"
    score, components, bars, targets, items, figures, kpi_rows = doc.tables
    assert _cells(figures)[0] == ["项目", "本年累计", "上年同期", "单位"]
    assert _cells(figures)[1][0] == "生产安全事故起数" and _cells(kpi_rows)[0][0] == "指标"
    assert ["综合得分", "44.12"] in _cells(score) and ["排名", "2 / 2"] in _cells(score)
    rows = _cells(components)
    assert len(rows) == 6 and rows[1][:4] == ["目标完成", "1", "2", "50.0%"]
    assert rows[5][3] == "暂无数据" and rows[5][5].startswith("否")
    # the native bar chart: 50 % of 20 cells shaded on the targets row, 1/3 → 7 on the reports row
    shaded = [sum(1 for c in row.cells if c._tc.tcPr is not None and c._tc.tcPr.find(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}shd") is not None) for row in bars.rows]
    assert shaded == [10, 7, 7, 10, 0]
    assert [r[0] for r in _cells(targets)] == ["编号", "T1-1", "T1-2", "T1-3"]
    assert _cells(targets)[2][4] == "严重滞后"
    assert [r[0] for r in _cells(items)] == ["督办事项", "逾期未办结", "二季度"]


@pytest.mark.django_db
def test_year_evaluation_docx_title(world, admin_user):  # noqa: F811
    report = reports.unit_report(admin_user, world["wz"].pk, sc.Period(2026), TODAY)
    doc = _docx(reports.docx_bytes(report))
    assert doc.paragraphs[0].text == "万州区政府2026年度考核评价"


@pytest.mark.django_db
def test_xlsx_contents(world, admin_user):  # noqa: F811
    from openpyxl import load_workbook

    report = reports.unit_report(admin_user, world["yz"].pk, Q1, TODAY)
    wb = load_workbook(io.BytesIO(reports.xlsx_bytes(report)))
    assert wb.sheetnames == ["得分", "分项", "目标", "督办", "区县指标"]
    score = wb["得分"]
    assert score["A1"].value == "渝中区政府2026年第1季度述职报告"
    assert {r[0]: r[1] for r in score.iter_rows(min_row=2, values_only=True)}["综合得分"] == "44.12"
    comps = list(wb["分项"].iter_rows(values_only=True))
    assert len(comps) == 6 and comps[2][:3] == ("按时报送进展", 1, 3) and comps[2][-1] == pytest.approx(0.3333)
    assert comps[5][-1] is None
    assert len(wb["目标"]["A"]) == 4
    # the chart survives the round trip only as a drawing; check it was written
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(reports.xlsx_bytes(report))).namelist()
    assert any(n.startswith("xl/charts/chart") for n in names)


@pytest.mark.django_db
def test_download_pages_are_scoped(world, client, yuzhong, admin_user):  # noqa: F811
    client.force_login(yuzhong)
    own = client.get(reverse("evaluation:report_download", args=[world["yz"].pk, "docx"]), {"period": "2026Q1"})
    assert own.status_code == 200
    assert "述职报告" in unquote(own["Content-Disposition"])
    assert _docx(own.content).paragraphs[0].text == "渝中区政府2026年第1季度述职报告"
    other = reverse("evaluation:report_download", args=[world["wz"].pk, "xlsx"])
    assert client.get(other, {"period": "2026Q1"}).status_code == 404
    assert client.get(reverse("evaluation:scorecard_unit", args=[world["wz"].pk])).status_code == 404
    assert client.get(reverse("evaluation:report_download", args=[world["yz"].pk, "pdf"])).status_code == 404
    assert client.get(reverse("evaluation:scorecard_list"), {"period": "2026Q9"}).status_code == 400
    client.force_login(admin_user)
    assert client.get(other, {"period": "2026Q1"}).status_code == 200


@pytest.mark.django_db
def test_pages(world, client, yuzhong, admin_user):  # noqa: F811
    client.force_login(yuzhong)
    page = client.get(reverse("evaluation:scorecard_list"), {"period": "2026Q1"})
    assert page.status_code == 200
    assert "渝中区政府" in page.content.decode() and "万州区政府" not in page.content.decode()
    csv = client.get(reverse("evaluation:scorecard_list"), {"period": "2026Q1", "format": "csv"})
    assert csv.status_code == 200 and "渝中区政府" in csv.content.decode("utf-8-sig")
    assert client.get(reverse("evaluation:scorecard_unit", args=[world["yz"].pk]),
                      {"period": "2026Q1"}).status_code == 200
    weights = reverse("evaluation:scorecard_weights")
    assert client.get(weights).status_code == 200
    assert client.post(weights, {"period_type": "quarter", **sc.DEFAULT_WEIGHTS}).status_code == 403
    client.force_login(admin_user)
    bad = client.post(weights, {"period_type": "quarter", **sc.DEFAULT_WEIGHTS, "targets_met": 50})
    assert bad.status_code == 400 and "100" in bad.content.decode()
    ok = client.post(weights, {"period_type": "year", **sc.DEFAULT_WEIGHTS, "targets_met": 20,
                               "reports_on_time": 35, "report_grace_days": "5"})
    assert ok.status_code == 302
    assert sc.get_weights("year").targets_met == 20 and sc.get_weights("year").report_grace_days == 5
    xlsx = client.get(reverse("evaluation:scorecard_list"), {"period": "2026Q1", "format": "xlsx", "kind": "department"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


@pytest.mark.django_db
def test_api(world, api_client, token_for, yuzhong, admin_user):  # noqa: F811
    district = api_client(token_for(yuzhong))
    rows = district.get("/evaluation/scorecards", period="2026Q1").json()
    assert [r["organization"] for r in rows] == ["渝中区政府"]
    assert district.get(f"/evaluation/scorecards/{world['wz'].pk}", period="2026Q1").status_code == 404
    assert district.get(f"/evaluation/reports/{world['wz'].pk}.docx", period="2026Q1").status_code == 404
    assert district.get(f"/evaluation/reports/{world['yz'].pk}.xlsx", period="2026Q1").status_code == 200
    assert district.get("/evaluation/scorecards", period="bad").status_code == 400
    assert district.get("/evaluation/scorecards", period="2026Q1", format="csv").status_code == 200
    assert district.get("/evaluation/weights").json()[0]["targets_met"] == 40
    city = api_client(token_for(admin_user))
    body = {**sc.DEFAULT_WEIGHTS, "targets_met": 10, "reports_on_time": 45}
    from django.test import Client

    def put(token, payload):
        return Client().put("/api/v1/evaluation/weights/quarter", payload, content_type="application/json",
                            HTTP_AUTHORIZATION=f"Bearer {token}")

    assert put(token_for(yuzhong), body).status_code == 403
    assert put(token_for(admin_user), {**body, "targets_met": 11}).status_code == 400
    answer = put(token_for(admin_user), body)
    assert answer.status_code == 200 and answer.json()["reports_on_time"] == 45
    # Q1 is over: the weights saved now are not the ones in force on 2026-03-31 (the defaults were)
    unit = city.get(f"/evaluation/scorecards/{world['wz'].pk}", period="2026Q1").json()
    assert unit["rank"] == 1 and unit["components"][0]["numerator"] == 1
