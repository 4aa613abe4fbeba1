"""KPIs from database records, linked to the seed plan's KPI targets, with scoping."""

import datetime as dt

import pytest

from citysafe.core.models import Region
from citysafe.evaluation import kpi_services
from citysafe.evaluation.models import KpiLink
from citysafe.records.models import AccidentRecord, DisasterEvent, DisasterReport, RegionFigure
from citysafe.workplans.errors import PermissionDenied, WorkplanError
from citysafe.workplans.models import ProgressReport, Target

D = dt.date
AS_OF = D(2026, 6, 30)
pytestmark = pytest.mark.django_db


def region(adcode):
    return Region.objects.filter(adcode=adcode).order_by("-valid_from").first()


def record(day, adcode="500103", **kw):
    kw.setdefault("title", "测试事故")
    return AccidentRecord.objects.create(occurred_on=day, region=region(adcode), **kw)


def target(plan, code):
    return Target.objects.get(task__plan=plan, task__kind="kpi", task__index=int(code[1:]), index=1)


@pytest.fixture
def linked(plan):
    kpi_services.link_plan_kpis(plan)
    return plan


def test_seed_plan_kpi_targets_are_linked_by_metric(linked):
    codes = {link.target.code: link.kpi_code for link in KpiLink.objects.filter(target__task__plan=linked)}
    assert codes == {"K1-1": "serious_accidents", "K2-1": "mass_casualty_events", "K3-1": "large_accidents",
                     "K4-1": "accident_deaths", "K5-1": "monitored_point_deaths", "K6-1": "forest_fire_rate",
                     "K7-1": "secondary_deaths", "K8-1": "blackouts"}
    # linking again keeps (possibly admin-edited) links
    KpiLink.objects.filter(target__task__plan=linked, kpi_code="blackouts").update(is_active=False)
    kpi_services.link_plan_kpis(linked)
    assert KpiLink.objects.get(target__task__plan=linked, kpi_code="blackouts").is_active is False


def test_refresh_records_values_and_updates_statuses(linked):
    record(D(2026, 3, 1), grade="large", deaths=2)
    record(D(2025, 3, 1), grade="large", deaths=10, adcode="500101")
    record(D(2026, 4, 1), category="blackout")
    RegionFigure.objects.create(region=region("500000"), year=2026, metric="forest_area_ha", value=10000)
    record(D(2026, 4, 2), category="forest_fire", burned_forest_ha=2.0, adcode="500101")
    done = {d["kpi"]: d for d in kpi_services.refresh_kpi_targets(linked, AS_OF)}
    assert done["large_accidents"]["value"] == 1
    assert done["accident_deaths"]["value"] == 2
    assert done["forest_fire_rate"]["value"] == pytest.approx(0.2)   # 2 / 10 000 × 1000 ‰
    assert done["blackouts"]["value"] == 1
    k3, k4, k6, k8, k1 = (target(linked, c) for c in ("K3", "K4", "K6", "K8", "K1"))
    assert k3.status == "on_track"
    assert k4.baseline == 10 and k4.status == "on_track"         # 2 of an allowed 9.5
    assert k6.status == "on_track"
    assert k8.status == "off_track"                                # a blackout against a target of 0
    assert k1.status == "on_track"
    report = ProgressReport.objects.get(target=k3)
    assert report.narrative == "由统计数据自动计算" and report.as_of == AS_OF and report.created_by is None
    assert report.reporting_unit == k3.task.lead_unit


def test_one_system_report_per_target_per_day(linked):
    kpi_services.refresh_kpi_targets(linked, AS_OF)
    record(D(2026, 5, 1), grade="major", deaths=11)
    kpi_services.refresh_kpi_targets(linked, AS_OF)
    k1 = target(linked, "K1")
    assert ProgressReport.objects.filter(target=k1).count() == 1
    assert ProgressReport.objects.get(target=k1).value == 1
    assert k1.status == "off_track"
    kpi_services.refresh_kpi_targets(linked, D(2026, 7, 1))
    assert ProgressReport.objects.filter(target=k1).count() == 2


def test_zero_baseline_met_only_while_zero(linked):
    kpi_services.refresh_kpi_targets(linked, AS_OF)
    k4 = target(linked, "K4")
    assert k4.baseline == 0 and k4.status == "on_track"
    record(D(2026, 6, 1), deaths=1)
    kpi_services.refresh_kpi_targets(linked, AS_OF)
    k4.refresh_from_db()
    assert k4.status == "off_track"


def test_manual_baseline_is_kept(linked):
    k4 = target(linked, "K4")
    k4.baseline = 40
    k4.save()
    record(D(2025, 3, 1), deaths=3)
    kpi_services.refresh_kpi_targets(linked, AS_OF)
    k4.refresh_from_db()
    assert k4.baseline == 40


def test_missing_denominator_records_nothing(linked):
    record(D(2026, 4, 2), category="forest_fire", burned_forest_ha=2.0)
    kpi_services.refresh_kpi_targets(linked, AS_OF)
    k6 = target(linked, "K6")
    assert not ProgressReport.objects.filter(target=k6).exists()
    assert k6.status == "no_data"


def test_disaster_kpis_from_latest_versions(linked):
    event = DisasterEvent.objects.create(title="6·10 暴雨", hazard_type="暴雨", start_date=D(2026, 6, 10),
                                         is_mass_casualty_responsibility=True)
    DisasterReport.objects.create(event=event, region=region("500101"), stage="initial", deaths_at_monitored_points=4,
                                  reported_at=dt.datetime(2026, 6, 11, tzinfo=dt.UTC))
    DisasterReport.objects.create(event=event, region=region("500101"), stage="final", deaths_at_monitored_points=1,
                                  reported_at=dt.datetime(2026, 6, 20, tzinfo=dt.UTC))
    done = {d["kpi"]: d["value"] for d in kpi_services.refresh_kpi_targets(linked, AS_OF)}
    assert done["monitored_point_deaths"] == 1
    assert done["mass_casualty_events"] == 1
    values = {t["code"]: t["value"] for t in kpi_services.tiles(AS_OF, region("500103").path)}
    assert values["mass_casualty_events"] == 0 and values["monitored_point_deaths"] == 0


def test_secondary_deaths_and_elevator_rate(linked):
    record(D(2026, 2, 1), is_secondary=True, deaths=1, missing=1)
    record(D(2026, 2, 2), category="elevator_entrapment")
    RegionFigure.objects.create(region=region("500103"), year=2026, metric="elevators_in_service", value=200)
    values = {t["code"]: t for t in kpi_services.tiles(AS_OF)}
    assert values["secondary_deaths"]["value"] == 2
    assert values["elevator_entrapment_rate"]["value"] == pytest.approx(0.5)   # 1 / 200 × 100 %
    assert values["secondary_deaths"]["status"] == "off_track"
    assert values["elevator_entrapment_rate"]["target"] == ""                  # not in the seed table


def test_scoping_district_sees_its_own_values(linked, yuzhong, wanzhou, admin_user):
    record(D(2026, 3, 1), grade="large", deaths=2, adcode="500103")
    record(D(2026, 3, 2), grade="large", deaths=5, adcode="500101")
    scope, name = kpi_services.resolve_scope(yuzhong)
    assert name == "渝中区"
    values = {t["code"]: t["value"] for t in kpi_services.tiles(AS_OF, scope)}
    assert values["accident_deaths"] == 2 and values["large_accidents"] == 1
    with pytest.raises(WorkplanError):
        kpi_services.resolve_scope(yuzhong, "500101")
    assert kpi_services.resolve_scope(admin_user) == (None, "全市")
    assert kpi_services.resolve_scope(admin_user, "500101")[1] == "万州区"
    districts = {d["adcode"]: d for d in kpi_services.district_counts(AS_OF, scope)}
    assert set(districts) == {"500103"} and districts["500103"]["deaths"] == 2


def test_department_sees_the_city_and_an_enterprise_has_no_kpi_scope(fire_dept, enterprise_user):
    assert kpi_services.resolve_scope(fire_dept)[0] is None  # city-wide aggregates
    with pytest.raises(PermissionDenied):
        kpi_services.resolve_scope(enterprise_user)


def test_monthly_trend(reference):
    record(D(2026, 1, 15), deaths=2)
    record(D(2026, 1, 20), missing=1)
    record(D(2025, 12, 1), deaths=4)
    trend = kpi_services.monthly_trend(D(2026, 2, 10))
    assert trend["accidents"]["this"][:3] == [2, 0, None]
    assert trend["deaths"]["this"][0] == 3
    assert trend["deaths"]["last"][11] == 4


def test_plan_year_mismatch_is_an_error(linked):
    with pytest.raises(WorkplanError):
        kpi_services.refresh_kpi_targets(linked, D(2025, 6, 1))


def test_parse_as_of():
    assert kpi_services.parse_as_of("2026-03-01") == D(2026, 3, 1)
    for bad in ("2026-13-01", "x", "1900-01-01"):
        with pytest.raises(WorkplanError):
            kpi_services.parse_as_of(bad)
