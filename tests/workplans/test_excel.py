"""Excel in and out (``workplans/excel.py``) and the progress upload page."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from citysafe.core.scoping import scope_organization_ids
from citysafe.workplans.errors import WorkplanError
from citysafe.workplans.excel import PROGRESS_HEADERS, import_progress, progress_workbook, responsibility_matrix
from citysafe.workplans.models import ProgressReport, Target, TargetStatus, TaskKind
from citysafe.workplans.services import evaluate_target


def _sheet(data: bytes, name: str | None = None):
    wb = load_workbook(io.BytesIO(data))
    return wb[name] if name else wb.worksheets[0]


def _xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _d3_targets(plan):
    return list(Target.objects.filter(task__plan=plan, task__kind=TaskKind.DOMAIN, task__index=3).order_by("index"))


def test_responsibility_matrix(plan, admin_user):
    ws = _sheet(responsibility_matrix(plan, admin_user), "责任矩阵")
    header = [c.value for c in ws[1]]
    assert header[:3] == ["编号", "类别", "任务"]
    assert "市消防救援局" in header and "各区县政府" in header
    column = header.index("市消防救援局")
    rows = {row[0]: row for row in ws.iter_rows(min_row=2, values_only=True)}
    assert len(rows) == 21 + 8 + 24 + 12
    d3 = rows["D3"]
    assert d3[2] == "消防领域"
    assert d3[column] == "牵头"
    assert d3[header.index("市公安局")] == "配合"
    assert d3[header.index("各区县政府")] == "配合"
    assert d3[header.index("市应急管理局")] in (None, "")
    targets = _sheet(responsibility_matrix(plan, admin_user), "目标")
    by_code = {row[0]: row for row in targets.iter_rows(min_row=2, values_only=True)}
    assert by_code["D3-1"][6] == "中心城区" and by_code["D3-1"][-1] == "市消防救援局"


def test_responsibility_matrix_is_scoped(plan, fire_dept):
    ws = _sheet(responsibility_matrix(plan, fire_dept), "责任矩阵")
    codes = {row[0] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert "D3" in codes
    assert len(codes) < 21 + 8 + 24 + 12


def test_progress_round_trip(plan, fire_dept):
    d3_1, d3_2 = _d3_targets(plan)
    wb = load_workbook(io.BytesIO(progress_workbook(plan, fire_dept)))
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == PROGRESS_HEADERS
    rows = {ws.cell(row=r, column=1).value: r for r in range(2, ws.max_row + 1)}
    assert {"D3-1", "D3-2"} <= rows.keys()
    assert ws.cell(row=rows["D3-1"], column=4).value == "市消防救援局"  # the user's unit is pre-filled
    ws.cell(row=rows["D3-1"], column=5).value = dt.date(2026, 3, 31)
    ws.cell(row=rows["D3-1"], column=6).value = 100
    ws.cell(row=rows["D3-1"], column=7).value = "中心城区全部接入"
    ws.cell(row=rows["D3-2"], column=5).value = "2026/03/31"
    ws.cell(row=rows["D3-2"], column=6).value = "50%"
    buffer = io.BytesIO()
    wb.save(buffer)

    outcome = import_progress(plan, fire_dept, buffer.getvalue())

    assert outcome.errors == []
    assert outcome.saved == 2
    assert ProgressReport.objects.count() == 2
    first = ProgressReport.objects.get(target=d3_1)
    assert (first.value, first.as_of, first.narrative, first.reporting_unit.name, first.created_by) == (
        100.0, dt.date(2026, 3, 31), "中心城区全部接入", "市消防救援局", fire_dept)
    assert ProgressReport.objects.get(target=d3_2).value == 50.0
    d3_1.refresh_from_db()
    d3_2.refresh_from_db()
    assert d3_1.status == TargetStatus.ACHIEVED
    assert d3_2.status != TargetStatus.NO_DATA
    assert d3_2.status == evaluate_target(d3_2)[0]

    # the next download carries the latest report
    again = _sheet(progress_workbook(plan, fire_dept))
    row = next(r for r in again.iter_rows(min_row=2, values_only=True) if r[0] == "D3-1")
    assert row[3] == "市消防救援局" and row[5] == 100 and row[6] == "中心城区全部接入"
    assert row[4].date() == dt.date(2026, 3, 31)


def _bad_workbook():
    return _xlsx([
        PROGRESS_HEADERS,
        ["D3-1", "接入率(中心城区)", "≥ 100%", "市消防救援局", dt.date(2026, 3, 31), 90, "正常行"],
        ["X99-1", "?", "?", "市消防救援局", dt.date(2026, 3, 31), 10, "未知编号"],
        ["D3-1", "接入率(中心城区)", "≥ 100%", "市消防救援局", dt.date(2026, 4, 30), "九十", "非数字"],
        ["D3-2", "接入率(其他区县)", "≥ 80%", "市消防救援局", "2026-13-45", 50, "日期错误"],
        [None, None, None, None, None, None, None],
        ["D3-2", "接入率(其他区县)", "≥ 80%", "市消防救援局", None, None, None],  # listed, not reported: skipped
    ])


def test_bad_rows_are_reported_and_nothing_is_saved(plan, fire_dept):
    before = ProgressReport.objects.count()
    outcome = import_progress(plan, fire_dept, _bad_workbook())
    assert [(e.row, e.column) for e in outcome.errors] == [(3, "目标编号"), (4, "完成值"), (5, "截至日期")]
    assert "X99-1" in outcome.errors[0].message
    assert "九十" in outcome.errors[1].message
    assert "2026-13-45" in outcome.errors[2].message
    assert str(outcome.errors[0]).startswith("第 3 行「目标编号」")
    assert outcome.saved == 0
    assert ProgressReport.objects.count() == before
    assert not ProgressReport.objects.filter(target__in=_d3_targets(plan)).exists()


def test_service_errors_roll_back_every_row(plan, fire_dept):
    data = _xlsx([
        PROGRESS_HEADERS,
        ["D3-1", "", "", "市消防救援局", dt.date(2026, 3, 31), 90, ""],
        ["D3-2", "", "", "市消防救援局", dt.date(2025, 12, 31), 50, ""],  # outside the plan year
    ])
    outcome = import_progress(plan, fire_dept, data)
    assert [(e.row, e.column) for e in outcome.errors] == [(3, "目标编号")]
    assert "2026" in outcome.errors[0].message
    assert outcome.saved == 0
    assert ProgressReport.objects.count() == 0


def test_target_outside_scope_is_an_error(plan, wanzhou):
    # 万州区 answers for tasks listing 万州区政府 or a district group (各区县政府, 有关区县政府 …); not for the others
    scope = scope_organization_ids(wanzhou)
    outside = [t.code for t in Target.objects.filter(task__plan=plan).select_related("task")
               if not t.task.responsible_units.filter(organization__in=scope).exists()]
    assert outside
    outside = outside[0]
    data = _xlsx([PROGRESS_HEADERS, [outside, "", "", "万州区政府", dt.date(2026, 3, 31), 1, ""]])
    outcome = import_progress(plan, wanzhou, data)
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "目标编号")]
    assert ProgressReport.objects.count() == 0


@pytest.mark.parametrize("_case, data", [
    ("text", "目标编号,完成值\nD3-1,100\n".encode()),
    ("empty", b""),
    ("zip that is not a workbook", b"PK\x03\x04" + b"\x00" * 64),
])
def test_not_an_xlsx_file(plan, fire_dept, _case, data):
    with pytest.raises(WorkplanError, match="无法读取 Excel 文件"):
        import_progress(plan, fire_dept, data)
    assert ProgressReport.objects.count() == 0


def test_missing_columns_are_named(plan, fire_dept):
    data = _xlsx([["目标编号", "完成值"], ["D3-1", 100]])
    with pytest.raises(WorkplanError) as excinfo:
        import_progress(plan, fire_dept, data)
    message = str(excinfo.value)
    assert "缺少列" in message
    for column in ("报送单位", "截至日期", "进展情况"):
        assert column in message
    for column in ("目标编号", "完成值"):
        assert column not in message.split("缺少列")[1]
    assert ProgressReport.objects.count() == 0


# --- the upload page -----------------------------------------------------------------------------------------------

def _upload(client, plan, data, name="progress.xlsx"):
    return client.post(reverse("workplans:progress_import", args=[plan.pk]),
                       {"file": SimpleUploadedFile(name, data, content_type="application/octet-stream")})


def test_upload_page_shows_row_errors(client, plan, fire_dept):
    client.force_login(fire_dept)
    response = _upload(client, plan, _bad_workbook())
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="import-errors"' in page
    assert "第 3 行「目标编号」" in page
    assert "第 4 行「完成值」" in page
    assert "第 5 行「截至日期」" in page
    assert ProgressReport.objects.count() == 0


def test_upload_page_shows_file_errors(client, plan, fire_dept):
    client.force_login(fire_dept)
    response = _upload(client, plan, b"not a workbook", "progress.txt")
    assert response.status_code == 200
    assert "无法读取 Excel 文件" in response.content.decode()
    response = _upload(client, plan, _xlsx([["目标编号"]]))
    assert "缺少列" in response.content.decode()


def test_upload_page_saves_a_good_file(client, plan, fire_dept):
    client.force_login(fire_dept)
    data = _xlsx([PROGRESS_HEADERS, ["D3-1", "", "", "市消防救援局", dt.date(2026, 3, 31), 100, "全部接入"]])
    response = _upload(client, plan, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("workplans:plan_detail", args=[plan.pk])
    assert ProgressReport.objects.count() == 1


def test_upload_page_refuses_viewers(client, plan, viewer):
    client.force_login(viewer)
    data = _xlsx([PROGRESS_HEADERS, ["D3-1", "", "", "市消防救援局", dt.date(2026, 3, 31), 100, ""]])
    assert _upload(client, plan, data).status_code == 403
    assert ProgressReport.objects.count() == 0
