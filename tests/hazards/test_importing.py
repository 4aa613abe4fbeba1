"""Excel import of hazard ledgers and risk points (``hazards/importing.py``): check everything, then save all or
nothing; the background job, its progress partial and the CLI."""

import datetime as dt
import io
import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from citysafe.core.models import Organization, Person
from citysafe.hazards.importing import HAZARD_HEADERS, import_hazards, import_risk_points, run_job, template_workbook
from citysafe.hazards.models import (
    Hazard,
    HazardGrade,
    HazardStatus,
    HazardTransition,
    ImportJob,
    Industry,
    ResponsibilityAssignment,
    RiskPoint,
)
from citysafe.workplans.models import Supervision

LEDGER_HEADERS = ["隐患名称", "所在区县", "经度", "纬度", "企业名称", "行业领域", "来源", "隐患等级", "发现时间",
                  "整改期限", "状态"]
ROWS = 10_000
# (Excel row, column, bad value) of the three broken rows of the big ledger.
BAD_CELLS = [(1235, "纬度", "北纬29度"), (5000, "所在区县", "火星区"), (9001, "隐患等级", "特别重大")]


def _xlsx(rows: list[list], write_only: bool = False) -> bytes:
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet() if write_only else wb.active
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _district_points():
    """(name, adcode, lon, lat) of every district in force with a boundary: the stored centre is the boundary's
    representative point, so it lies inside the district."""
    from citysafe.core.services import district_regions

    return [(r.name, r.adcode, r.center_lon, r.center_lat) for r in district_regions()
            if r.boundary and r.center_lon is not None]


def _ledger_rows(points, industries) -> list[list]:
    rows = [LEDGER_HEADERS]
    for i in range(ROWS):
        name, adcode, lon, lat = points[i % len(points)]
        found = dt.datetime(2025, 1 + i % 12, 1 + i % 28, 9, 30)
        rows.append([f"隐患{i}", name if i % 10 == 0 else adcode if i % 10 == 1 else None, lon, lat,
                     f"导入测试企业{i // 2000}有限公司" if i % 2000 == 0 else None, industries[i % len(industries)],
                     ("企业自查", "政府检查", "网格巡查")[i % 3], "重大" if i % 1000 == 7 else "一般", found,
                     (found + dt.timedelta(days=30)).date(), "已整改" if i % 3 == 0 else "整改中"])
    return rows


@pytest.fixture
def huey_immediate(settings):
    """Run tasks inline.  (``CITYSAFE_HUEY_IMMEDIATE`` set by conftest comes after the settings were read.)"""
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous


@pytest.fixture(scope="module")
def ledger(django_db_setup, django_db_blocker):
    """The 10,000-row ledger, with three broken rows and fixed, generated once for the module."""
    with django_db_blocker.unblock():
        points = _district_points()
        industries = list(Industry.objects.order_by("code").values_list("name", flat=True))
    good = _ledger_rows(points, industries)
    bad = [list(r) for r in good]
    for row, column, value in BAD_CELLS:
        bad[row - 1][LEDGER_HEADERS.index(column)] = value
    return {"points": points, "good": _xlsx(good, write_only=True), "bad": _xlsx(bad, write_only=True)}


def _counts():
    return (Hazard.objects.count(), HazardTransition.objects.count(), Hazard.history.count(),
            Organization.objects.count(), Supervision.objects.count())


def test_ledger_with_three_bad_rows_saves_nothing(admin_user, ledger):
    before = _counts()
    calls = []
    started = time.monotonic()
    outcome = import_hazards(ledger["bad"], user=admin_user, progress=lambda done, total: calls.append((done, total)))
    elapsed = time.monotonic() - started
    assert [(e.row, e.column) for e in outcome.errors] == [(row, column) for row, column, _value in BAD_CELLS]
    assert "火星区" in outcome.errors[1].message
    assert str(outcome.errors[2]).startswith("第 9001 行「隐患等级」")
    assert outcome.saved == 0
    assert _counts() == before  # no hazard, transition, history row, organisation or supervision item
    assert calls and calls[-1][1] == 2 * ROWS and calls[-1][0] == ROWS  # checked every row, saved none
    print(f"check 10,000 rows: {elapsed:.1f}s")


def test_ledger_imports_10000_hazards(admin_user, ledger):
    before_hazards, before_supervisions = Hazard.objects.count(), Supervision.objects.count()
    calls = []
    started = time.monotonic()
    outcome = import_hazards(ledger["good"], user=admin_user, filename="ledger.xlsx",
                             progress=lambda done, total: calls.append((done, total)))
    elapsed = time.monotonic() - started
    print(f"import 10,000 rows: {elapsed:.1f}s")
    assert outcome.errors == []
    assert outcome.saved == ROWS
    assert Hazard.objects.count() == before_hazards + ROWS
    assert calls[-1] == (2 * ROWS, 2 * ROWS)
    imported = Hazard.objects.filter(title__startswith="隐患")
    assert imported.count() == ROWS
    assert len(set(imported.values_list("code", flat=True))) == ROWS
    assert HazardTransition.objects.filter(hazard__in=imported, action="import", by=admin_user).count() == ROWS
    created = Hazard.history.filter(history_type="+", title__startswith="隐患")
    assert created.count() == ROWS and created.filter(history_user=admin_user).count() == ROWS
    # routed by location: every district gets exactly the rows whose point is its representative point
    points = ledger["points"]
    expected = {adcode: len(range(k, ROWS, len(points))) for k, (_n, adcode, _x, _y) in enumerate(points)}
    got = dict(imported.values_list("region__adcode").annotate(n=Count("pk")).order_by())
    assert got == expected
    first = imported.select_related("region", "responsible_unit", "supervising_department", "industry") \
        .get(title="隐患2")
    assert first.region.adcode == points[2][1]
    assert first.responsible_unit.name.startswith(first.region.name)  # the district government
    assert first.industry is not None and first.source == "grid_patrol"
    if first.industry.supervising_department_id:
        assert first.supervising_department == first.industry.supervising_department
    assert first.status == HazardStatus.RECTIFYING and first.deadline == dt.date(2025, 4, 2)
    closed = imported.get(title="隐患3")
    assert closed.status == HazardStatus.ACCEPTED and closed.closed_at is not None
    # an enterprise named in the ledger but not yet known is created, flagged, in the hazard's district
    enterprise = Organization.objects.get(name="导入测试企业1有限公司")
    assert enterprise.created_by_import and enterprise.region.adcode == points[2000 % len(points)][1]
    assert imported.get(title="隐患2000").enterprise == enterprise
    # open major hazards are listed for supervision; closed ones are not
    majors = imported.filter(grade=HazardGrade.MAJOR)
    assert majors.count() == 10
    open_majors = majors.exclude(status=HazardStatus.ACCEPTED)
    assert open_majors.count() == 7 and not open_majors.filter(supervision=None).exists()
    assert not majors.filter(status=HazardStatus.ACCEPTED, supervision__isnull=False).exists()
    assert Supervision.objects.count() - before_supervisions == 7 == outcome.counts["listed_for_supervision"]
    major = open_majors.select_related("supervision").first()
    assert major.supervision.owner == major.responsible_unit and major.code in major.supervision.title


def test_hazard_rows_are_checked_like_registration(admin_user):
    before = _counts()
    data = _xlsx([["XX区隐患排查台账"],  # a title row above the headers
                  ["隐患名称*", "区县", "经度", "纬度", "行业领域", "发现时间", "整改期限", "整改责任单位", "状态"],
                  ["", "渝中区", None, None, "消防领域", "2025-01-02", None, None, None],
                  ["A", "渝中区", 106.5, None, "消防领域", "2025-01-02", None, None, None],
                  ["B", "渝中区", 300, 29.5, "消防", "2025/1/2", None, None, None],
                  ["C", "500103", None, None, "不存在的行业", "2025年1月2日", None, None, None],
                  ["D", "渝中区", None, None, "消防领域", "昨天", None, None, None],
                  ["E", "渝中区", None, None, "消防领域", "2025-01-02", "2024-12-01", None, None],
                  ["F", "渝中区", None, None, "消防领域", "2099-01-01", None, None, None],
                  ["G", "渝中区", None, None, "消防领域", None, None, "没有这个单位", None],
                  ["H", "渝中区", None, None, "消防领域", None, None, None, "研究中"],
                  ["I", "重庆市渝中区", None, None, "消防领域", 45658, None, "市消防救援局", "待验收"]])
    outcome = import_hazards(data, user=admin_user)
    assert [(e.row, e.column) for e in outcome.errors] == [
        (3, "隐患名称*"), (4, "纬度"), (5, "经度"), (6, "行业领域"), (7, "发现时间"), (8, "整改期限"),
        (9, "发现时间"), (10, "整改责任单位"), (11, "状态")]
    assert _counts() == before
    fixed = _xlsx([["隐患名称", "区县", "行业领域", "发现时间", "整改责任单位", "状态"],
                   ["I", "重庆市渝中区", "消防领域", 45658, "市消防救援局", "待验收"]])
    outcome = import_hazards(fixed, user=admin_user)
    assert outcome.errors == [] and outcome.saved == 1
    hazard = Hazard.objects.get(title="I")
    assert hazard.region.adcode == "500103" and timezone.localtime(hazard.found_at).date() == dt.date(2025, 1, 1)
    assert hazard.status == HazardStatus.SUBMITTED and hazard.responsible_unit.name == "市消防救援局"
    assert hazard.supervising_department.name == "市消防救援局"


def test_duplicate_and_existing_codes(admin_user):
    data = _xlsx([["隐患编号", "隐患名称", "区县", "行业领域"],
                  ["YH-1", "a", "渝中区", "消防领域"], ["YH-2", "b", "渝中区", "消防领域"]])
    assert import_hazards(data, user=admin_user).saved == 2
    again = _xlsx([["隐患编号", "隐患名称", "区县", "行业领域"],
                   ["YH-1", "a", "渝中区", "消防领域"], ["YH-3", "c", "渝中区", "消防领域"],
                   ["YH-3", "c", "渝中区", "消防领域"]])
    outcome = import_hazards(again, user=admin_user)
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "隐患编号"), (4, "隐患编号")]
    assert "第 3 行" in outcome.errors[1].message


RISK_HEADERS = ["编号", "名称", "类型", "行业领域", "经度", "纬度", "区县", "乡镇", "村", "风险等级", "威胁人数",
                "威胁户数", "责任单位",
                "区县级包保责任人", "区县级包保责任人电话", "区县级AB角", "区县级AB角电话",
                "乡镇级包保责任人", "乡镇级包保责任人电话", "乡镇级AB角", "乡镇级AB角电话",
                "村级包保责任人", "村级包保责任人电话", "村级AB角", "村级AB角电话"]


def _risk_rows(points):
    wanzhou = next(p for p in points if p[1] == "500101")
    return [RISK_HEADERS,
            ["FX-001", "大石板滑坡", "滑坡", "地质灾害防治领域", wanzhou[2], wanzhou[3], None, "龙都街道", "石峰村",
             "红", 120, 35, "万州区政府",
             "张区长", 13800000001, "李副区长", "13800000002", "王镇长", "13900000001", "赵副镇长", "13900000002",
             "陈村主任", "13700000001", "刘文书", "13700000002"],
            ["FX-002", "红旗路积水点", "积水点", "排水防涝领域", wanzhou[2], wanzhou[3], "万州区", "龙都街道", "",
             "橙色", None, None, None,
             "张区长", 13800000001, "李副区长", "13800000002", "王镇长", "13900000001", None, None,
             None, None, None, None]]


def test_risk_points_with_responsibility_chain(admin_user, reference):
    points = _district_points()
    people_before = Person.objects.count()
    outcome = import_risk_points(_xlsx(_risk_rows(points)), user=admin_user)
    assert outcome.errors == [] and outcome.saved == 2
    first = RiskPoint.objects.get(code="FX-001")
    assert first.kind == "landslide" and first.region.adcode == "500101" and first.risk_grade == "red"
    assert (first.threatened_people, first.threatened_households) == (120, 35)
    assert first.township == "龙都街道" and first.village == "石峰村" and first.responsible_unit.name == "万州区政府"
    chain = {a.level: a for a in first.assignments.select_related("person", "deputy")}
    assert set(chain) == {"district", "township", "village"}
    assert chain["district"].person.name == "张区长" and chain["district"].person.phone == "13800000001"
    assert chain["district"].deputy.name == "李副区长"
    assert chain["village"].deputy.phone == "13700000002"
    second = RiskPoint.objects.get(code="FX-002")
    assert second.kind == "ponding" and second.risk_grade == "orange" and second.threatened_people == 0
    chain2 = {a.level: a for a in second.assignments.all()}
    assert set(chain2) == {"district", "township"} and chain2["township"].deputy is None
    # the same (name, phone) in several rows is one person
    assert chain2["district"].person_id == chain["district"].person_id
    assert Person.objects.count() - people_before == 6
    assert outcome.counts["assignments"] == 5 and outcome.counts["with_deputy"] == 4
    assert ResponsibilityAssignment.history.filter(history_user=admin_user).count() == 5
    assert RiskPoint.history.filter(code="FX-001", history_type="+").count() == 1


def test_risk_point_errors(admin_user, reference):
    RiskPoint.objects.create(code="FX-OLD", name="old", kind="landslide", lon=106.5, lat=29.5)
    rows = _risk_rows(_district_points())
    base = rows[1]
    bad = [RISK_HEADERS]
    for n, change in enumerate(({0: "FX-OLD"}, {2: "火山口"}, {4: "x"}, {9: "紫色"}, {10: -3}, {12: "没有这个单位"},
                                {13: None, 14: None, 16: None}, {14: "call me"}, {0: "FX-DUP"}, {0: "FX-DUP"},
                                {4: 2.0, 5: 2.0})):
        row = list(base)
        row[0] = f"FX-E{n}"
        for index, value in change.items():
            row[index] = value
        bad.append(row)
    outcome = import_risk_points(_xlsx(bad), user=admin_user)
    assert [(e.row, e.column) for e in outcome.errors] == [
        (2, "编号"), (3, "类型"), (4, "经度"), (5, "风险等级"), (6, "威胁人数"), (7, "责任单位"),
        (8, "区县级包保责任人"), (9, "区县级包保责任人电话"), (11, "编号"), (12, "经度")]
    assert RiskPoint.objects.count() == 1


def test_explicit_mapping_for_other_headers(admin_user, reference):
    data = _xlsx([["Hazard", "District", "Sector", "Level", "Found on", "备注"],
                  ["Blocked fire exit", "渝中区", "消防领域", "重大", dt.date(2025, 5, 1), "ignored"]])
    outcome = import_hazards(data, user=admin_user)
    assert [(e.row, e.column) for e in outcome.errors] == [(1, "隐患名称")]  # without a mapping: no title column
    mapping = {"Hazard": "title", "District": "所在区县", "Sector": "industry", "Level": "隐患等级",
               "Found on": "found_at", "备注": ""}
    outcome = import_hazards(data, user=admin_user, mapping=json.dumps(mapping))
    assert outcome.errors == [] and outcome.saved == 1
    hazard = Hazard.objects.get(title="Blocked fire exit")
    assert hazard.region.adcode == "500103" and hazard.grade == HazardGrade.MAJOR
    assert hazard.industry.name == "消防领域" and hazard.supervision is not None
    as_dict = import_hazards(_xlsx([["Name"], ["x"]]), user=admin_user, mapping={"Name": "title"})
    assert as_dict.saved == 1 and Hazard.objects.get(title="x").status == HazardStatus.TRIAGE
    from citysafe.hazards.errors import HazardError

    with pytest.raises(HazardError, match="未知字段"):
        import_hazards(data, user=admin_user, mapping={"Hazard": "no_such_field"})


def test_district_operator_cannot_import_another_district(yuzhong, reference):
    points = {p[1]: p for p in _district_points()}
    own, other = points["500103"], points["500101"]
    data = _xlsx([["隐患名称", "经度", "纬度", "行业领域"],
                  ["in 渝中", own[2], own[3], "消防领域"],
                  ["in 万州", other[2], other[3], "消防领域"],
                  ["万州 by name", None, None, "消防领域"]])
    before = _counts()
    outcome = import_hazards(data, user=yuzhong)
    assert [(e.row, e.column) for e in outcome.errors] == [(3, "经度"), (4, "经度")]
    assert "万州区" in outcome.errors[0].message
    assert _counts() == before
    named = _xlsx([["隐患名称", "所在区县"], ["a", "渝中区"], ["b", "万州区"]])
    assert [(e.row, e.column) for e in import_hazards(named, user=yuzhong).errors] == [(3, "所在区县")]
    ok = _xlsx([["隐患名称", "所在区县", "行业领域"], ["a", "渝中区", "消防领域"]])
    assert import_hazards(ok, user=yuzhong).saved == 1
    risk = _xlsx(_risk_rows(list(points.values())))
    assert {e.row for e in import_risk_points(risk, user=yuzhong).errors} == {2, 3}


def test_web_upload_job_progress_done(client, admin_user, huey_immediate):
    client.force_login(admin_user)
    page = client.get(reverse("hazards:import_new"))
    assert page.status_code == 200 and "import-form" in page.content.decode()
    data = _xlsx([["隐患名称", "所在区县", "行业领域", "隐患等级"], ["web 1", "渝中区", "消防领域", "一般"],
                  ["web 2", "万州区", "消防领域", "重大"]])
    response = client.post(reverse("hazards:import_new"),
                           {"kind": "hazards", "file": SimpleUploadedFile("ledger.xlsx", data), "mapping": ""})
    job = ImportJob.objects.get(created_by=admin_user)
    assert response.status_code == 302 and response["Location"] == reverse("hazards:import_detail", args=[job.pk])
    assert job.state == ImportJob.State.DONE and job.saved == 2 and job.errors == []
    assert job.total == 4 and job.done == 4 and job.finished_at is not None
    detail = client.get(response["Location"]).content.decode()
    assert 'data-testid="import-success"' in detail and "已导入 2 条记录" in detail
    partial = client.get(reverse("hazards:import_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert 'data-state="done"' in html and "hx-trigger" not in html and "<html" not in html
    assert Hazard.objects.filter(title__startswith="web ").count() == 2
    assert HazardTransition.objects.filter(hazard__title="web 1", by=admin_user, action="import").exists()


def test_web_upload_with_errors_and_polling(client, admin_user, huey_immediate):
    client.force_login(admin_user)
    data = _xlsx([["Name", "Where"], ["ok", "渝中区"], ["bad", "火星区"]])
    response = client.post(reverse("hazards:import_new"),
                           {"kind": "hazards", "file": SimpleUploadedFile("x.xlsx", data),
                            "mapping": '{"Name": "隐患名称", "Where": "region"}'})
    job = ImportJob.objects.get(created_by=admin_user)
    assert job.state == ImportJob.State.FAILED and job.saved == 0
    assert job.errors == [{"row": 3, "column": "Where", "message": "未知区县: 火星区"}]
    html = client.get(response["Location"]).content.decode()
    assert 'data-testid="import-errors"' in html and "火星区" in html
    assert not Hazard.objects.filter(title="ok").exists()
    # a job still running is polled every second
    pending = ImportJob.objects.create(kind="hazards", file=SimpleUploadedFile("p.xlsx", data), created_by=admin_user,
                                       state=ImportJob.State.RUNNING, total=200, done=50)
    html = client.get(reverse("hazards:import_progress", args=[pending.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html and reverse("hazards:import_progress", args=[pending.pk]) in html
    assert "25%" in html
    # a bad mapping is refused by the form
    response = client.post(reverse("hazards:import_new"),
                           {"kind": "hazards", "file": SimpleUploadedFile("x.xlsx", data), "mapping": "{oops"})
    assert response.status_code == 200 and "JSON" in response.content.decode()


def test_web_access_and_template(client, viewer, yuzhong, admin_user):
    client.force_login(viewer)
    assert client.get(reverse("hazards:import_new")).status_code == 403
    client.force_login(admin_user)
    job = ImportJob.objects.create(kind="hazards", file=SimpleUploadedFile("p.xlsx", b"x"), created_by=admin_user)
    client.force_login(yuzhong)
    assert client.get(reverse("hazards:import_detail", args=[job.pk])).status_code == 404
    response = client.get(reverse("hazards:import_template", args=["hazards"]))
    header = [c.value for c in load_workbook(io.BytesIO(response.content)).worksheets[0][1]]
    assert header[0] == "隐患名称*" and "所在区县" in header and "状态" in header
    risk = load_workbook(io.BytesIO(template_workbook("risk_points"))).worksheets[0]
    assert "区县级AB角电话" in [c.value for c in risk[1]]
    assert client.get(reverse("hazards:import_template", args=["nothing"])).status_code == 404


def test_job_runs_once_and_records_unreadable_files(admin_user):
    job = ImportJob.objects.create(kind="hazards", file=SimpleUploadedFile("p.xlsx", b"not a workbook"),
                                   created_by=admin_user)
    job = run_job(job.pk)
    assert job.state == ImportJob.State.FAILED and "无法读取" in job.errors[0]["message"]
    assert run_job(job.pk).state == ImportJob.State.FAILED  # not pending any more: left alone


def test_cli(admin_user, tmp_path, capsys):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(_xlsx([["隐患名称", "所在区县"], ["x", "火星区"]]))
    with pytest.raises(CommandError, match="nothing was saved"):
        call_command("import_hazards", str(bad), "--kind", "hazards", "--user", "cityadmin", verbosity=0)
    assert "第 2 行「所在区县」: 未知区县: 火星区" in capsys.readouterr().err
    good = tmp_path / "good.xlsx"
    good.write_bytes(_xlsx([["Title", "所在区县"], ["cli hazard", "渝中区"]]))
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"Title": "隐患名称"}), encoding="utf-8")
    call_command("import_hazards", str(good), "--mapping", str(mapping), verbosity=0)
    out = capsys.readouterr().out
    assert "imported 1 hazards" in out and "hazards=1" in out
    assert Hazard.objects.get(title="cli hazard").created_by is None


def test_default_headers_are_unique_per_kind():
    seen = {}
    for name, variants in HAZARD_HEADERS.items():
        for header in variants:
            assert seen.setdefault(header, name) == name, header
