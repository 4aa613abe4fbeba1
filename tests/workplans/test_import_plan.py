"""Importing the seed work plan (``services.import_plan``): structure, exact values, units, versions, errors."""

import datetime as dt

import pytest

from citysafe.core.models import Organization, OrganizationKind
from citysafe.workplans.errors import PermissionDenied, WorkplanError
from citysafe.workplans.models import (
    ProgressReport,
    ResponsibleUnit,
    Section,
    Target,
    Task,
    TaskKind,
    UnitRole,
    WorkPlan,
)
from citysafe.workplans.services import import_plan, submit_progress_report

# The units line of annex 二 row 3 (消防领域) in the seed.
D3_UNITS = ("市消防救援局、市教委、市经济信息委、市民族宗教委、市公安局、市民政局、市住房城乡建委、市交通运输委、市商务委、"
            "市文化旅游委、市卫生健康委、市政府口岸物流办、市国防动员办、市监狱局、重庆邮政管理局,各区县政府")


def _replace_once(data: bytes, old: str, new: str) -> bytes:
    text = data.decode("utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in the seed"
    return text.replace(old, new).encode("utf-8")


def _d3(plan):
    return Task.objects.get(plan=plan, kind=TaskKind.DOMAIN, index=3)


def test_seed_structure_counts(plan):
    assert WorkPlan.objects.count() == 1
    assert plan.version == 1 and plan.is_current and plan.previous is None
    assert plan.year == 2026
    assert plan.doc_number == "渝府发〔2026〕1号"
    assert plan.issued_on == dt.date(2026, 2, 6)
    assert Section.objects.filter(plan=plan).count() == 6
    assert Task.objects.filter(plan=plan, kind=TaskKind.TASK).count() == 21
    assert Task.objects.filter(plan=plan, kind=TaskKind.KPI).count() == 8
    assert Task.objects.filter(plan=plan, kind=TaskKind.DOMAIN).count() == 24
    assert Task.objects.filter(plan=plan, kind=TaskKind.PLATFORM).count() == 12
    targets = Target.objects.filter(task__plan=plan).count()
    assert targets > 0


def test_import_result_reports_counts(reference, seed_bytes):
    result = import_plan(seed_bytes, "seed.txt")
    assert not result.unchanged and not result.new_version
    assert result.counts["sections"] == 6
    assert result.counts["task"] == 21
    assert result.counts["kpi"] == 8
    assert result.counts["domain"] == 24
    assert result.counts["platform"] == 12
    assert result.counts["targets"] == Target.objects.filter(task__plan=result.plan).count()
    assert result.created_organizations == []


def test_domain_3_targets_exact(plan):
    task = _d3(plan)
    assert task.title == "消防领域"
    assert task.code == "D3"
    targets = list(task.targets.order_by("index"))
    assert len(targets) == 2
    first, second = targets
    assert (first.metric, first.comparator, first.value, first.unit, first.scope, first.deadline) == (
        "接入率", ">=", 100.0, "%", "中心城区", dt.date(2026, 11, 30))
    assert (second.metric, second.comparator, second.value, second.unit, second.scope, second.deadline) == (
        "接入率", ">=", 80.0, "%", "其他区县", dt.date(2026, 11, 30))
    assert first.code == "D3-1" and second.code == "D3-2"
    assert task.deadlines == [{"text": "11月底前", "date": "2026-11-30"}]


def test_domain_3_units(plan):
    task = _d3(plan)
    units = list(task.responsible_units.select_related("organization").order_by("position"))
    assert units[0].organization.name == "市消防救援局"
    assert units[0].role == UnitRole.LEAD and units[0].position == 0
    assert task.lead_unit.name == "市消防救援局"
    assert all(u.role == UnitRole.SUPPORT for u in units[1:])
    assert [u.position for u in units] == list(range(len(units)))
    assert len(units) == 16
    group = units[-1]
    assert group.organization.name == "各区县政府"
    assert group.organization.kind == OrganizationKind.GROUP and group.organization.is_group
    assert group.via_group is None
    assert ResponsibleUnit.objects.filter(task=task, via_group__isnull=False).count() == 0


def test_kpi_targets(plan):
    k1 = Target.objects.get(task__plan=plan, task__kind=TaskKind.KPI, task__index=1)
    assert (k1.metric, k1.comparator, k1.value, k1.unit) == ("重特大生产安全事故起数", "=", 0.0, "起")
    k3 = Target.objects.get(task__plan=plan, task__kind=TaskKind.KPI, task__index=3)
    assert (k3.comparator, k3.value, k3.unit, k3.text) == ("<=", 10.0, "起", "10起以内")
    k4 = Target.objects.get(task__plan=plan, task__kind=TaskKind.KPI, task__index=4)
    assert (k4.comparator, k4.value, k4.unit, k4.baseline) == ("decrease_by_at_least", 5.0, "%", None)
    assert k1.task.lead_unit.name == "市安委会各成员单位"
    assert k1.task.lead_unit.is_group


def test_units_resolve_to_existing_organisations(reference, seed_bytes):
    before = set(Organization.objects.values_list("name", flat=True))
    result = import_plan(seed_bytes, "seed.txt")
    after = set(Organization.objects.values_list("name", flat=True))
    assert after == before, "every unit of the seed is a known organisation: nothing new may be created"
    assert result.created_organizations == []
    assert not Organization.objects.filter(created_by_import=True).exists()
    fire = Organization.objects.get(name="市消防救援局")
    assert ResponsibleUnit.objects.filter(organization=fire, task__plan=result.plan).exists()


def test_aliases_resolve_and_unknown_units_are_created(reference, seed_bytes):
    data = _replace_once(seed_bytes, D3_UNITS, D3_UNITS.replace("市消防救援局、", "市消防总队、")
                         .replace("市监狱局", "重庆市监狱管理局").replace("重庆邮政管理局", "重庆市城市安全研究中心"))
    orgs_before = Organization.objects.count()
    fire, prison = Organization.objects.get(name="市消防救援局"), Organization.objects.get(name="市监狱局")
    result = import_plan(data, "seed-aliases.txt")
    assert result.created_organizations == ["重庆市城市安全研究中心"]
    assert Organization.objects.count() == orgs_before + 1
    created = Organization.objects.get(name="重庆市城市安全研究中心")
    assert created.created_by_import
    assert list(Organization.objects.filter(created_by_import=True)) == [created]
    task = _d3(result.plan)
    by_org = {u.organization_id: u for u in task.responsible_units.all()}
    assert by_org[fire.pk].role == UnitRole.LEAD and by_org[fire.pk].position == 0
    assert by_org[prison.pk].role == UnitRole.SUPPORT
    assert created.pk in by_org
    assert not Organization.objects.filter(name__in=["市消防总队", "重庆市监狱管理局"]).exists()


def test_expand_groups_replaces_district_group(reference, seed_bytes):
    result = import_plan(seed_bytes, "seed.txt", expand_groups=True)
    group = Organization.objects.get(name="各区县政府")
    members = set(group.members.values_list("pk", flat=True))
    assert len(members) > 30
    task = _d3(result.plan)
    units = task.responsible_units.all()
    assert not units.filter(organization=group).exists()
    expanded = units.filter(via_group=group)
    assert set(expanded.values_list("organization_id", flat=True)) == members
    assert all(u.role == UnitRole.SUPPORT for u in expanded)
    assert expanded.filter(organization__name="渝中区政府").exists()
    assert units.get(organization__name="市消防救援局").role == UnitRole.LEAD
    positions = list(units.order_by("position").values_list("position", flat=True))
    assert positions == list(range(len(positions)))


def test_same_bytes_twice_is_unchanged(plan, seed_bytes):
    counts = {model: model.objects.count() for model in (WorkPlan, Section, Task, Target, ResponsibleUnit,
                                                         Organization)}
    result = import_plan(seed_bytes, "seed-again.txt")
    assert result.unchanged
    assert result.plan.pk == plan.pk
    assert result.counts["task"] == 21
    assert {model: model.objects.count() for model in counts} == counts


def test_changed_text_becomes_version_2_and_reports_move(plan, seed_bytes, admin_user):
    d3_1 = Target.objects.get(task__plan=plan, task__kind=TaskKind.DOMAIN, task__index=3, index=1)
    fire = Organization.objects.get(name="市消防救援局")
    report = submit_progress_report(user=admin_user, target=d3_1, reporting_unit=fire, as_of=dt.date(2026, 3, 31),
                                    value=60.0, narrative="中心城区接入 60%")
    targets_v1 = Target.objects.filter(task__plan=plan).count()

    result = import_plan(_replace_once(seed_bytes, "10起以内", "8起以内"), "seed-v2.txt", user=admin_user)

    assert result.new_version and not result.unchanged
    new = result.plan
    assert new.pk != plan.pk and new.version == 2 and new.previous_id == plan.pk and new.is_current
    assert new.imported_by == admin_user
    plan.refresh_from_db()
    assert not plan.is_current
    assert WorkPlan.objects.filter(is_current=True).get() == new
    assert Target.objects.filter(task__plan=new).count() == targets_v1
    assert result.relinked_targets == targets_v1
    k3 = Target.objects.get(task__plan=new, task__kind=TaskKind.KPI, task__index=3)
    assert (k3.value, k3.text) == (8.0, "8起以内")
    new_d3_1 = Target.objects.get(task__plan=new, task__kind=TaskKind.DOMAIN, task__index=3, index=1)
    report.refresh_from_db()
    assert report.target_id == new_d3_1.pk
    assert ProgressReport.objects.count() == 1
    assert not d3_1.reports.exists()
    # the old version is kept whole
    assert Task.objects.filter(plan=plan).count() == 65


def test_empty_file_is_rejected(reference):
    with pytest.raises(WorkplanError, match="空"):
        import_plan(b"", "empty.txt")
    assert not WorkPlan.objects.exists()


@pytest.mark.parametrize("_case, data, message", [
    ("plain text", "今天天气很好。\n我们去公园散步。\n".encode(), "不是一份工作要点"),
    ("text with a year but no tasks", "2026年工作总结\n今天天气很好。\n".encode(), "不是一份工作要点"),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\xff\xfe\x00binary", "不支持的文件格式\\(png\\)"),
])
def test_non_plan_file_is_rejected(reference, _case, data, message):
    orgs = Organization.objects.count()
    with pytest.raises(WorkplanError, match=message) as excinfo:
        import_plan(data, "notes.txt")
    assert str(excinfo.value)
    assert not WorkPlan.objects.exists()
    assert not Task.objects.exists()
    assert Organization.objects.count() == orgs


def test_non_municipal_user_cannot_import(seed_bytes, yuzhong, fire_dept, viewer):
    for user in (yuzhong, fire_dept, viewer):
        with pytest.raises(PermissionDenied):
            import_plan(seed_bytes, "seed.txt", user=user)
    assert not WorkPlan.objects.exists()


def test_municipal_user_import_is_recorded(seed_bytes, admin_user):
    result = import_plan(seed_bytes, "seed.txt", user=admin_user)
    assert result.plan.imported_by == admin_user
    assert result.plan.source_name == "seed.txt"


def test_reimporting_an_older_version_makes_it_current_again(plan, seed_bytes, admin_user):
    import datetime as dt

    from citysafe.core.models import Organization
    from citysafe.workplans.models import ProgressReport, Target
    from citysafe.workplans.services import submit_progress_report

    fire = Target.objects.get(task__plan=plan, task__kind="domain", task__index=3, scope="中心城区")
    submit_progress_report(user=admin_user, target=fire, reporting_unit=Organization.objects.get(name="市消防救援局"),
                           as_of=dt.date(2026, 3, 31), value=60)
    changed = seed_bytes.decode("utf-8").replace("10起以内", "8起以内").encode("utf-8")
    second = import_plan(changed, "seed-v2.txt").plan
    assert second.version == 2 and second.is_current
    again = import_plan(seed_bytes, "seed.txt")
    assert again.unchanged and again.plan.pk == plan.pk
    plan.refresh_from_db()
    second.refresh_from_db()
    assert plan.is_current and not second.is_current
    assert WorkPlan.objects.filter(is_current=True).count() == 1
    assert plan.history.first().is_current  # the switch is in the audit trail
    assert ProgressReport.objects.get().target.task.plan == plan  # the report came back with its version
