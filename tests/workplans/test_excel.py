"""Excel in and out (``workplans/excel.py``) and the progress upload page."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from citysafe.core.models import Organization
from citysafe.core.scoping import scope_organization_ids
from citysafe.workplans.errors import PermissionDenied, WorkplanError
from citysafe.workplans.excel import PROGRESS_HEADERS, import_progress, progress_workbook, responsibility_matrix
from citysafe.workplans.models import ProgressReport, Target, TargetStatus, TaskKind
from citysafe.workplans.services import evaluate_target, submit_progress_report


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
        ["D3-2", "", "", "市公安局", dt.date(2026, 3, 31), 50, ""],  # a unit the user may not report for
    ])
    outcome = import_progress(plan, fire_dept, data)
    assert [(e.row, e.column) for e in outcome.errors] == [(3, "报送单位")]
    assert "本单位" in outcome.errors[0].message
    assert (outcome.saved, outcome.unchanged) == (0, 0)
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


# --- re-uploading the downloaded sheet -----------------------------------------------------------------------------

def _target(plan, code):
    return next(t for t in Target.objects.filter(task__plan=plan).select_related("task") if t.code == code)


def _report(user, target, unit_name, as_of, value, narrative=""):
    return submit_progress_report(user=user, target=target, reporting_unit=Organization.objects.get(name=unit_name),
                                  as_of=as_of, value=value, narrative=narrative)


def _reported_targets(plan, admin_user):
    """Reports on the first 12 targets of the plan (by their lead units); returns the reported targets."""
    targets = [t for t in Target.objects.filter(task__plan=plan).select_related("task") if t.task.lead_unit][:12]
    for n, target in enumerate(targets):
        _report(admin_user, target, target.task.lead_unit.name, dt.date(2026, 6, 30), n + 0.1,
                f"进展 {n}\r\n第二行" if n % 2 else f"进展 {n}")
    return targets


def test_reuploading_the_downloaded_sheet_saves_nothing(plan, admin_user):
    targets = _reported_targets(plan, admin_user)
    before = ProgressReport.objects.count()
    sheet = progress_workbook(plan, admin_user)

    for _attempt in range(2):
        outcome = import_progress(plan, admin_user, sheet)
        assert outcome.errors == []
        assert (outcome.saved, outcome.unchanged) == (0, len(targets))
        assert ProgressReport.objects.count() == before


def test_only_changed_rows_of_the_downloaded_sheet_are_saved(plan, admin_user):
    targets = _reported_targets(plan, admin_user)
    wb = load_workbook(io.BytesIO(progress_workbook(plan, admin_user)))
    ws = wb.worksheets[0]
    rows = {ws.cell(row=r, column=1).value: r for r in range(2, ws.max_row + 1)}
    ws.cell(row=rows[targets[0].code], column=6).value = 55          # another value
    ws.cell(row=rows[targets[1].code], column=7).value = "新的进展"   # another narrative
    ws.cell(row=rows[targets[2].code], column=5).value = dt.date(2026, 7, 31)  # another date
    buffer = io.BytesIO()
    wb.save(buffer)

    outcome = import_progress(plan, admin_user, buffer.getvalue())

    assert outcome.errors == []
    assert (outcome.saved, outcome.unchanged) == (3, len(targets) - 3)
    assert ProgressReport.objects.filter(target=targets[0]).count() == 2
    assert ProgressReport.objects.filter(target=targets[0]).first().value == 55
    again = import_progress(plan, admin_user, buffer.getvalue())
    assert (again.saved, again.unchanged) == (0, len(targets))


def test_a_row_repeated_in_one_file_is_saved_once(plan, fire_dept):
    row = ["D3-1", "", "", "市消防救援局", dt.date(2026, 3, 31), 90, "同一行"]
    outcome = import_progress(plan, fire_dept, _xlsx([PROGRESS_HEADERS, row, row]))
    assert outcome.errors == []
    assert (outcome.saved, outcome.unchanged) == (1, 1)
    assert ProgressReport.objects.count() == 1


def test_a_prefilled_report_of_another_unit_is_unchanged_not_an_error(plan, admin_user, fire_dept):
    # 市消防救援局 leads D3 and sees the latest report of 市公安局 in its sheet, but may not report for 市公安局
    d3_1 = _target(plan, "D3-1")
    _report(admin_user, d3_1, "市公安局", dt.date(2026, 5, 31), 70, "公安局报送")
    sheet = progress_workbook(plan, fire_dept)
    row = next(r for r in _sheet(sheet).iter_rows(min_row=2, values_only=True) if r[0] == "D3-1")
    assert row[3] == "市公安局"

    outcome = import_progress(plan, fire_dept, sheet)
    assert outcome.errors == []
    assert (outcome.saved, outcome.unchanged) == (0, 1)

    wb = load_workbook(io.BytesIO(sheet))
    ws = wb.worksheets[0]
    r = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == "D3-1")
    ws.cell(row=r, column=6).value = 75  # changed: now it is a new report in the name of 市公安局
    buffer = io.BytesIO()
    wb.save(buffer)
    outcome = import_progress(plan, fire_dept, buffer.getvalue())
    assert [(e.row, e.column) for e in outcome.errors] == [(r, "报送单位")]
    assert ProgressReport.objects.count() == 1


def test_reupload_needs_no_query_per_row(plan, admin_user, django_assert_max_num_queries):
    targets = _reported_targets(plan, admin_user)
    sheet = progress_workbook(plan, admin_user)
    units = {t.task.lead_unit.name for t in targets}
    assert len(units) < len(targets)
    with django_assert_max_num_queries(len(units) + 6):  # targets, reports, one look-up per distinct unit name
        outcome = import_progress(plan, admin_user, sheet)
    assert (outcome.saved, outcome.unchanged) == (0, len(targets))


def test_viewers_cannot_import_even_an_unchanged_sheet(plan, admin_user, viewer):
    _reported_targets(plan, admin_user)
    with pytest.raises(PermissionDenied):
        import_progress(plan, viewer, progress_workbook(plan, admin_user))


# --- errors name the column at fault --------------------------------------------------------------------------------

@pytest.mark.parametrize("code, value, as_of, column, fragment", [
    ("D3-1", -1, dt.date(2026, 3, 31), "完成值", "非负"),
    ("D3-1", "-5%", dt.date(2026, 3, 31), "完成值", "非负"),
    ("D3-1", "nan", dt.date(2026, 3, 31), "完成值", "nan"),
    ("D3-1", "inf", dt.date(2026, 3, 31), "完成值", "inf"),
    ("D3-1", 100.5, dt.date(2026, 3, 31), "完成值", "100%"),      # ≥ 100%: a rate above 100
    ("D15-3", 101, dt.date(2026, 3, 31), "完成值", "100%"),       # < 0.5%
    ("K6-1", 1000.5, dt.date(2026, 3, 31), "完成值", "1000‰"),    # ≤ 0.3‰
    ("D3-1", 90, "tomorrow", "截至日期", "晚于今天"),
    ("D3-1", 90, dt.date(2025, 12, 31), "截至日期", "2026"),
    ("D3-1", 90, dt.date(2027, 1, 1), "截至日期", ""),
])
def test_value_and_date_errors_name_their_column(plan, admin_user, code, value, as_of, column, fragment):
    if as_of == "tomorrow":
        from django.utils import timezone

        as_of = timezone.localdate() + dt.timedelta(days=1)
    unit = _target(plan, code).task.lead_unit.name
    data = _xlsx([PROGRESS_HEADERS, [code, "", "", unit, as_of, value, "说明"]])
    outcome = import_progress(plan, admin_user, data)
    assert [(e.row, e.column) for e in outcome.errors] == [(2, column)]
    assert fragment in outcome.errors[0].message
    assert str(outcome.errors[0]).startswith(f"第 2 行「{column}」")
    assert ProgressReport.objects.count() == 0


@pytest.mark.parametrize("code, value", [
    ("D3-1", 100),      # the limit itself
    ("K6-1", 999),      # ‰ up to 1000
    ("D12-3", 150),     # "下降 10%" is a change, the value reported is not a rate
    ("D1-1", "0"),
])
def test_values_within_limits_are_accepted(plan, admin_user, code, value):
    unit = _target(plan, code).task.lead_unit.name
    outcome = import_progress(plan, admin_user, _xlsx([PROGRESS_HEADERS, [code, "", "", unit, dt.date(2026, 3, 31),
                                                                           value, ""]]))
    assert outcome.errors == []
    assert outcome.saved == 1


# --- formulas -------------------------------------------------------------------------------------------------------

def _with_cached_values(data: bytes, cached: dict[str, str]) -> bytes:
    """The workbook as Excel would save it: every formula cell carries its last result (``<v>``)."""
    import re
    import zipfile

    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                for ref, value in cached.items():
                    text, n = re.subn(rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)<v\s*/?>(</v>)?', rf"\1\2<v>{value}</v>",
                                      text)
                    assert n == 1, ref
                content = text.encode()
            out.writestr(item, content)
    return target.getvalue()


def test_a_formula_without_a_result_is_an_error(plan, fire_dept):
    data = _xlsx([PROGRESS_HEADERS, ["D3-1", "", "", "市消防救援局", dt.date(2026, 3, 31), "=1+1", ""],
                  ["D3-2", "", "", "市消防救援局", "=DATE(2026,3,31)", 50, "日期是公式"]])
    outcome = import_progress(plan, fire_dept, data)
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "完成值"), (3, "截至日期")]
    assert str(outcome.errors[0]) == "第 2 行「完成值」: 公式没有计算结果,请在 Excel 中打开并保存后再上传"
    assert outcome.saved == 0
    assert ProgressReport.objects.count() == 0


def test_a_formula_with_a_result_is_read(plan, fire_dept):
    data = _with_cached_values(
        _xlsx([PROGRESS_HEADERS, ["D3-1", "", "", "市消防救援局", dt.date(2026, 3, 31), "=40+50", "公式"]]),
        {"F2": "90"})
    outcome = import_progress(plan, fire_dept, data)
    assert outcome.errors == []
    assert outcome.saved == 1
    assert ProgressReport.objects.get().value == 90


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


def test_percentage_formatted_cells_are_read_as_shown(plan, fire_dept):
    """Excel stores 50% as 0.5 with a percentage format; the import reads what the officer sees: 50."""
    import io

    from openpyxl import load_workbook

    from citysafe.workplans import excel
    from citysafe.workplans.models import ProgressReport, Target

    target = Target.objects.get(task__plan=plan, task__kind="domain", task__index=3, scope="中心城区")
    wb = load_workbook(io.BytesIO(excel.progress_workbook(plan, fire_dept)))
    ws = wb.active
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[header.index("目标编号")].value == target.code:
            row[header.index("报送单位")].value = "市消防救援局"
            row[header.index("截至日期")].value = "2026-06-30"
            cell = row[header.index("完成值")]
            cell.value = 0.5
            cell.number_format = "0%"
    out = io.BytesIO()
    wb.save(out)
    outcome = excel.import_progress(plan, fire_dept, out.getvalue())
    assert not outcome.errors, outcome.errors
    assert ProgressReport.objects.get(target=target).value == 50
