"""Fix round: computed KPI targets in scorecards, district components, past periods, strict weights, KPI display."""

import datetime as dt
import io

import pytest
from django.urls import reverse

from citysafe.core.models import Organization, Region
from citysafe.evaluation import kpi_services, reports
from citysafe.evaluation import scorecards as sc
from citysafe.evaluation.models import KpiLink
from citysafe.records.models import AccidentRecord, RegionFigure
from citysafe.workplans.errors import WorkplanError
from citysafe.workplans.models import ProgressReport, Target

from .test_scorecards_world import TODAY, world  # noqa: F401

D = dt.date
Q1 = sc.Period(2026, 1)


def rows_by_name(rows):
    return {r.organization.name: r for r in rows}


def counts(row):
    return {k: (c.numerator, c.denominator) for k, c in row.components.items()}


def region(adcode):
    return Region.objects.filter(adcode=adcode).order_by("-valid_from").first()


def record(day, adcode="500103", **kw):
    kw.setdefault("title", "测试事故")
    return AccidentRecord.objects.create(occurred_on=day, region=region(adcode) if adcode else None, **kw)


# --- 1. computed KPI targets led by "市安委会各成员单位" ------------------------------------------------------------

@pytest.mark.django_db
def test_computed_kpi_targets_do_not_count_against_group_members(plan):
    kpi_services.link_plan_kpis(plan)
    links = KpiLink.objects.filter(target__task__plan=plan)
    assert links.count() == 8
    kpi_ids = set(links.values_list("target_id", flat=True))
    member = Organization.objects.get(name="市消防救援局")
    pairs = sc.unit_targets([member], 2026)[member.pk]
    # the department is a member of the lead group of the KPI tasks ...
    assert kpi_ids & set(pairs) and all(pairs[t][1] == sc.GROUP_LEAD for t in kpi_ids & set(pairs))
    # ... but a computed city outcome neither is a reporting duty nor counts in its targets met
    assert sc.scored_targets("department", sc.GROUP_LEAD, True) == (False, False)
    assert sc.scored_targets("department", sc.LEAD, True) == (True, False)
    assert sc.scored_targets("department", sc.GROUP_LEAD, False) == (True, True)
    Target.objects.filter(pk__in=kpi_ids).update(status="off_track")  # running year: cached statuses
    rows = rows_by_name(sc.compute("department", sc.Period(2026), D(2026, 8, 1)))
    fire = rows["市消防救援局"]
    # without the links the 8 KPI targets would be 8 missed targets and 8 missing reports
    KpiLink.objects.filter(target__task__plan=plan).delete()
    before = rows_by_name(sc.compute("department", sc.Period(2026), D(2026, 8, 1)))["市消防救援局"]
    assert before.components["targets_met"].denominator - fire.components["targets_met"].denominator == len(
        kpi_ids & set(pairs))
    assert before.components["reports_on_time"].denominator > fire.components["reports_on_time"].denominator


# --- 2. districts: supported targets, own KPI figures, hazards, ranking -------------------------------------------

@pytest.mark.django_db
def test_districts_count_supported_targets_and_their_own_kpis(plan):
    yz = Organization.objects.get(name="渝中区政府")
    pairs = sc.unit_targets([yz], 2026)[yz.pk]
    supported = [t for t, how in pairs.values() if how == sc.SUPPORT]
    assert supported  # the seed plan names 各区县政府 as a supporting unit
    Target.objects.filter(pk__in=[t.pk for t in supported]).update(status="on_track")
    kpi_services.link_plan_kpis(plan)
    record(D(2026, 2, 1), grade="large", deaths=1)  # 渝中区: one large accident (city cap "10起以内")
    period, today = sc.Period(2026, 2), D(2026, 5, 15)  # running period: cached statuses
    row = rows_by_name(sc.compute("district", period, today))["渝中区政府"]
    statuses = kpi_services.district_kpi_statuses(today, [yz.region.path])[yz.region.path]
    codes = {c for c, _s in statuses}
    assert "large_accidents" in codes and "elevator_entrapment_rate" not in codes
    known = [s for _c, s in statuses if s != "no_data"]
    computed = sc.computed_target_ids(2026)
    plain = [t for t in supported if t.pk not in computed]
    met = row.components["targets_met"]
    assert met.denominator == len(plain) + len(known)
    assert met.numerator == len(plain) + sum(s in ("achieved", "on_track") for s in known)
    # supported targets are no reporting duty
    assert row.components["reports_on_time"].denominator == 0


@pytest.mark.django_db
def test_all_zero_scores_are_not_ranked_and_hazards_without_deadline_are_no_data(reference, client, admin_user):
    from citysafe.hazards.models import Hazard, HazardStatus

    yz_region = region("500103")
    Hazard.objects.create(code="H-Z-1", title="无期限", region=yz_region, source="self_inspection",
                          status=HazardStatus.ACCEPTED)
    rows = rows_by_name(sc.compute("district", Q1, TODAY))
    assert not rows["渝中区政府"].components["hazards_rectified"].has_data
    Hazard.objects.create(code="H-Z-2", title="逾期", region=yz_region, source="self_inspection",
                          deadline=D(2026, 3, 1), status=HazardStatus.RECTIFYING)
    rows = rows_by_name(sc.compute("district", Q1, TODAY))
    yz = rows["渝中区政府"]
    assert counts(yz)["hazards_rectified"] == (0, 1) and yz.score == 0
    assert all(r.rank is None for r in rows.values())  # nobody above 0.00: no "1/31" for everybody
    assert sc.export_rows(list(rows.values()))[1][0][0] is None
    client.force_login(admin_user)
    page = client.get(reverse("evaluation:scorecard_list"), {"period": "2026Q1", "kind": "district"})
    assert 'data-testid="no-ranking"' in page.content.decode()


# --- 3. the district's duty report carries its own figures ---------------------------------------------------------

@pytest.mark.django_db
def test_district_report_has_own_accident_figures_and_kpis(world, admin_user):  # noqa: F811
    record(D(2026, 2, 1), grade="large", deaths=2)
    record(D(2025, 2, 1), deaths=1)
    record(D(2026, 2, 1), adcode="500101", deaths=5)  # another district: not in 渝中区's report
    report = reports.unit_report(admin_user, world["yz"].pk, Q1, TODAY)
    assert report.figures[0][1:3] == [1, 1] and report.figures[1][1:3] == [2, 1]
    assert {t["code"] for t in report.kpis} >= {"accident_deaths", "large_accidents"}
    kpi_rows = reports.kpi_table(report)
    deaths = next(r for r in kpi_rows if r[0] == "生产安全事故亡人数")
    assert deaths[1:4] == ["2", "1", "+100.0%"]
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(reports.xlsx_bytes(report)))["区县指标"]
    assert any(r[0] == "生产安全事故起数" for r in sheet.iter_rows(values_only=True))
    # departments have no district figures
    fire = Organization.objects.get(name="市消防救援局")
    assert reports.unit_report(admin_user, fire.pk, Q1, TODAY).kpis is None


# --- 4. past periods: weights and target statuses as of the period end --------------------------------------------

@pytest.mark.django_db
def test_past_period_uses_weights_in_force_at_its_end(world, admin_user):  # noqa: F811
    old = {"targets_met": 10, "reports_on_time": 60, "supervision_on_time": 10, "hazards_rectified": 10,
           "warnings_acknowledged": 10}
    row = sc.update_weights(user=admin_user, period_type="quarter", values=old)
    row.history.update(history_date=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    sc.update_weights(user=admin_user, period_type="quarter", values=sc.DEFAULT_WEIGHTS)  # now, after Q1
    assert sc.weights_for(Q1, TODAY).as_dict() == old
    assert sc.weights_for(sc.Period(2026, 2), TODAY).as_dict() == sc.DEFAULT_WEIGHTS  # running: current row
    assert sc.weights_for(sc.Period(2025, 4), TODAY).as_dict() == sc.DEFAULT_WEIGHTS  # before any version
    yz = rows_by_name(sc.compute("district", Q1, TODAY))["渝中区政府"]
    assert yz.components["reports_on_time"].weight == 60


@pytest.mark.django_db
def test_past_period_uses_target_status_as_of_its_end(world, admin_user):  # noqa: F811
    t2 = world["t2"]
    # a Q2 report brings T1-2 to achieved today; Q1 still sees the 03-25 value 0
    ProgressReport.objects.create(target=t2, reporting_unit=world["yz"], as_of=D(2026, 4, 20), value=1)
    Target.objects.filter(pk=t2.pk).update(status="achieved")
    yz = rows_by_name(sc.compute("district", Q1, TODAY))["渝中区政府"]
    assert counts(yz)["targets_met"] == (1, 2)
    report = reports.unit_report(admin_user, world["yz"].pk, Q1, TODAY)
    assert [t.status for t in report.targets] == ["achieved", "off_track", "no_data"]
    t2.refresh_from_db()
    assert t2.status == "achieved"  # never saved
    running = rows_by_name(sc.compute("district", sc.Period(2026, 2), TODAY))["渝中区政府"]
    assert counts(running)["targets_met"] == (2, 2)


@pytest.mark.django_db
def test_january_refresh_also_refreshes_last_year(plan):
    from django.core.management import call_command

    kpi_services.link_plan_kpis(plan)
    record(D(2026, 12, 20), grade="large", deaths=1)
    call_command("refresh_kpis", date="2027-01-05")
    link = KpiLink.objects.get(target__task__plan=plan, kpi_code="large_accidents")
    assert link.last_computed_on == D(2026, 12, 31) and link.last_value == 1
    assert kpi_services.refresh_current_plans(D(2027, 2, 1)) == 0  # February: last year is closed


# --- 5. strict weights ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["²", "٣٠", "40.0", "true", True, 40.0, "abc", None])
def test_weights_reject_non_integers(bad):
    with pytest.raises(WorkplanError):
        sc.validate_weights({**sc.DEFAULT_WEIGHTS, "targets_met": bad})


@pytest.mark.parametrize("bad", ["-5", "abc", "²", "61", True, 1.5])
def test_grace_rejects(bad):
    with pytest.raises(WorkplanError):
        sc.validate_grace(bad)


def test_grace_accepts():
    assert (sc.validate_grace(""), sc.validate_grace(None), sc.validate_grace(" 7 "), sc.validate_grace(60)) == (
        None, None, 7, 60)


@pytest.mark.django_db
def test_weights_form_and_api_answer_400(client, admin_user, token_for):
    client.force_login(admin_user)
    url = reverse("evaluation:scorecard_weights")
    for field, value in (("targets_met", "²"), ("report_grace_days", "-5"), ("report_grace_days", "abc")):
        page = client.post(url, {"period_type": "quarter", **sc.DEFAULT_WEIGHTS, field: value})
        assert page.status_code == 400
        assert ("宽限天数" if field == "report_grace_days" else "目标完成") in page.content.decode()
        assert 'data-testid="field-error"' in page.content.decode() and "is-invalid" in page.content.decode()
    assert sc.get_weights("quarter").report_grace_days == sc.DEFAULT_GRACE_DAYS
    from django.test import Client

    def put(payload):
        return Client().put("/api/v1/evaluation/weights/quarter", payload, content_type="application/json",
                            HTTP_AUTHORIZATION=f"Bearer {token_for(admin_user)}")

    body = {**sc.DEFAULT_WEIGHTS, "targets_met": 39, "reports_on_time": 15}
    assert put({**body, "warnings_acknowledged": True, "targets_met": 54}).status_code == 400
    assert put({**sc.DEFAULT_WEIGHTS, "report_grace_days": -1}).status_code == 400
    assert put({**sc.DEFAULT_WEIGHTS, "targets_met": "40"}).status_code == 200


# --- 6. KPI presentation ----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_unassigned_records_row_adds_up_to_the_city(reference, client, admin_user):
    record(D(2026, 3, 1), deaths=2)
    record(D(2026, 3, 2), adcode=None, deaths=3)
    record(D(2026, 3, 3), adcode="500000", deaths=1)  # city level: no district either
    rows = kpi_services.district_counts(D(2026, 6, 30))
    loose = rows[-1]
    assert loose["name"] == "未定区县" and loose["accidents"] == 2 and loose["deaths"] == 4
    assert sum(r["deaths"] for r in rows) == 6
    assert all("unassigned" not in r for r in kpi_services.district_counts(D(2026, 6, 30), region("500103").path))
    client.force_login(admin_user)
    page = client.get(reverse("evaluation:dashboard"), {"as_of": "2026-06-30"}).content.decode()
    assert "未定区县" in page and 'data-testid="kpi-map-note"' in page


@pytest.mark.django_db
def test_tiles_reference_label_district_note_and_forest_rate_at_risk(plan):
    kpi_services.link_plan_kpis(plan)
    RegionFigure.objects.create(region=region("500000"), year=2026, metric="forest_area_ha", value=10000)
    record(D(2026, 3, 1), category="forest_fire", burned_forest_ha=2.5)  # 0.25‰ of a 0.3‰ cap: ≥ 80 %
    city = {t["code"]: t for t in kpi_services.tiles(D(2026, 6, 30))}
    assert city["forest_fire_rate"]["value"] == pytest.approx(0.25)
    assert city["forest_fire_rate"]["status"] == "at_risk"
    assert city["elevator_entrapment_rate"]["reference_label"] == "参考指标（非附件一考核指标）"
    assert city["large_accidents"]["scope_note"] == ""
    district = {t["code"]: t for t in kpi_services.tiles(D(2026, 6, 30), region("500103").path)}
    assert district["large_accidents"]["scope_note"].startswith("本区县数值对照全市目标")


@pytest.mark.django_db
def test_a_withdrawn_disaster_event_does_not_count_in_the_kpis(reference):
    import datetime as dt

    from citysafe.core.models import Region
    from citysafe.evaluation import kpi_services
    from citysafe.records.models import DisasterEvent, DisasterReport

    region = Region.objects.get(adcode="500101")
    event = DisasterEvent.objects.create(title="撤回的灾害", hazard_type="flood", start_date=dt.date(2026, 6, 1),
                                         is_mass_casualty_responsibility=True)
    DisasterReport.objects.create(event=event, region=region, stage="initial", deaths=3, deaths_at_monitored_points=1)
    data = kpi_services.load_data(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert len(data.events) == 1
    DisasterEvent.objects.filter(pk=event.pk).update(status="withdrawn")
    data = kpi_services.load_data(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert data.events == [] and data.reports == []
