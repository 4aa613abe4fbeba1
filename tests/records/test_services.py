"""Records services: incident sync, manual entry, disaster versions and statistics, scope."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from citysafe.records import selectors, services
from citysafe.records.errors import PermissionDenied, RecordError
from citysafe.records.models import AccidentRecord, Discrepancy, SourceFigure


def _incident(user, django_capture_on_commit_callbacks, kind="accident", **figures):
    from citysafe.hazards.models import Industry
    from citysafe.incidents import services as incidents

    extra = {"industry": Industry.objects.get(code="construction_housing")} if kind == "accident" else {
        "disaster_type": "flood"}
    with django_capture_on_commit_callbacks(execute=True):
        return incidents.create_incident(user=user, kind=kind, title="脚手架坍塌", lon=106.575, lat=29.557,
                                         occurred_at=timezone.now() - dt.timedelta(hours=3),
                                         reported_at=timezone.now() - dt.timedelta(hours=2), **extra, **figures)


def test_incident_creates_and_updates_its_record(admin_user, django_capture_on_commit_callbacks):
    from citysafe.incidents import services as incidents

    incident = _incident(admin_user, django_capture_on_commit_callbacks, deaths=2, serious_injuries=1)
    record = AccidentRecord.objects.get(incident=incident)
    assert (record.source, record.category, record.deaths, record.grade) == ("incident", "accident", 2, "ordinary")
    assert record.region.adcode == "500103" and record.industry.code == "construction_housing"
    assert SourceFigure.objects.filter(subject=f"accident:{record.pk}", source_kind="incident").count() == 4
    with django_capture_on_commit_callbacks(execute=True):
        incidents.add_report(user=admin_user, incident=incident, kind="follow_up", deaths=3)
    record.refresh_from_db()
    assert record.deaths == 3 and record.grade == "large"
    assert AccidentRecord.objects.filter(incident=incident).count() == 1
    # the incident's earlier figure is kept: two incident rows for deaths, the latest counts
    assert SourceFigure.objects.filter(subject=f"accident:{record.pk}", metric="deaths").count() == 2
    assert record.history.count() >= 2


def test_natural_disaster_incident_is_not_an_accident_record(admin_user, django_capture_on_commit_callbacks):
    _incident(admin_user, django_capture_on_commit_callbacks, kind="natural_disaster", deaths=1)
    assert not AccidentRecord.objects.exists()


def test_incident_figures_disagreeing_with_police_open_a_discrepancy(admin_user, django_capture_on_commit_callbacks):
    from citysafe.records import crosscheck

    incident = _incident(admin_user, django_capture_on_commit_callbacks, deaths=2)
    subject = f"accident:{incident.record.pk}"
    _fig, found = crosscheck.add_source_figure(user=admin_user, subject=subject, metric="deaths",
                                               source_kind="police", value=3)
    assert found is not None and found.spread == 1


def test_create_record_checks(admin_user, region):
    base = dict(user=admin_user, title="x", occurred_on=timezone.localdate(), region=region("500103"))
    with pytest.raises(RecordError) as err:
        services.create_record(**base, serious_injuries=3, injuries=1)
    assert err.value.field == "injuries"
    with pytest.raises(RecordError):
        services.create_record(**base, burned_forest_ha=2.0)  # only forest fires
    with pytest.raises(RecordError):
        services.create_record(**base, deaths=-1)
    with pytest.raises(RecordError):
        services.create_record(**base, deaths=10**10)
    with pytest.raises(RecordError):
        services.create_record(**{**base, "occurred_on": timezone.localdate() + dt.timedelta(days=2)})
    with pytest.raises(RecordError):
        services.create_record(**base, grade="huge")
    with pytest.raises(RecordError):
        services.create_record(**base, direct_loss_yuan="1e20")
    services.create_record(**base)
    with pytest.raises(RecordError):
        services.create_record(**base)  # duplicate


def test_district_scope(yuzhong, wanzhou, record, wanzhou_record, viewer, region):
    assert list(selectors.records_for(yuzhong)) == [record]
    assert list(selectors.records_for(wanzhou)) == [wanzhou_record]
    with pytest.raises(PermissionDenied):
        services.update_record(user=yuzhong, record=wanzhou_record, deaths=5)
    with pytest.raises(PermissionDenied):
        services.create_record(user=yuzhong, title="y", occurred_on=timezone.localdate(), region=region("500101"))
    with pytest.raises(PermissionDenied):
        services.update_record(user=yuzhong, record=record, region=region("500101"))
    with pytest.raises(PermissionDenied):
        services.create_record(user=viewer, title="v", occurred_on=timezone.localdate(), region=region("500103"))
    services.update_record(user=yuzhong, record=record, deaths=4, reason="核实")
    record.refresh_from_db()
    assert record.deaths == 4 and "核实" in record.note
    assert record.history.first().history_user == yuzhong


def test_department_sees_records_of_supervised_industries(fire_dept, admin_user, region):
    from citysafe.hazards.models import Industry

    fire = services.create_record(user=admin_user, title="火灾", occurred_on=timezone.localdate(),
                                  region=region("500101"), industry=Industry.objects.get(code="fire"))
    services.create_record(user=admin_user, title="道路", occurred_on=timezone.localdate(), region=region("500101"),
                           industry=Industry.objects.get(code="road_traffic"))
    assert list(selectors.records_for(fire_dept)) == [fire]


def _report(user, event, region, stage, hours, **values):
    return services.add_disaster_report(user=user, event=event, region=region, stage=stage,
                                        reported_at=timezone.now() - dt.timedelta(hours=hours), **values)


def test_disaster_versions_and_statistics(admin_user, event, region):
    wz, kz = region("500101"), region("500154")
    _report(admin_user, event, wz, "initial", 50, deaths=1, affected_population=100)
    _report(admin_user, event, wz, "follow_up", 40, deaths=2, affected_population=150)
    _report(admin_user, event, wz, "final", 30, deaths=2, affected_population=160)
    _report(admin_user, event, kz, "initial", 45, deaths=0, affected_population=50)
    _report(admin_user, event, kz, "follow_up", 20, deaths=1, affected_population=70)
    _report(admin_user, event, kz, "follow_up", 10, deaths=1, affected_population=80)
    stats = selectors.disaster_statistics(admin_user)
    rows = {r["adcode"]: r for r in stats["rows"]}
    assert rows["500101"]["affected_population"] == 160 and rows["500154"]["affected_population"] == 80
    assert stats["total"]["deaths"] == 3 and stats["total"]["events"] == 1
    versions = {v["region"].adcode: v for v in selectors.event_versions(admin_user, event)}
    assert len(versions["500101"]["versions"]) == 3 and versions["500101"]["current"].stage == "final"
    # a later follow-up never outranks the final: ordering is stage first
    late = services.DisasterReport(event=event, region=wz, stage="follow_up", reported_at=timezone.now(), pk=10**6)
    assert selectors.version_key(late) < selectors.version_key(versions["500101"]["current"])


def test_disaster_rules(admin_user, event, region, yuzhong):
    wz = region("500101")
    with pytest.raises(RecordError):
        _report(admin_user, event, wz, "follow_up", 50)  # initial first
    with pytest.raises(RecordError) as err:
        _report(admin_user, event, wz, "initial", 50, crop_affected_ha=10, crop_disaster_ha=12)
    assert err.value.field == "crop_disaster_ha"
    with pytest.raises(RecordError):
        _report(admin_user, event, wz, "initial", 50, crop_affected_ha=10, crop_disaster_ha=5, crop_failed_ha=6)
    with pytest.raises(RecordError):
        _report(admin_user, event, wz, "initial", 50, deaths=1, deaths_at_monitored_points=2)
    _report(admin_user, event, wz, "initial", 50, relocated=100)
    with pytest.raises(RecordError):
        _report(admin_user, event, wz, "initial", 40)  # only one initial
    _report(admin_user, event, wz, "follow_up", 40, relocated=1000)
    with pytest.raises(RecordError) as err:
        _report(admin_user, event, wz, "final", 30, relocated=400)  # sharp drop without a note
    assert err.value.field == "note"
    services.add_disaster_report(user=admin_user, event=event, region=wz, stage="final", relocated=400,
                                 note="续报重复统计了转移人次，已核减",
                                 reported_at=timezone.now() - dt.timedelta(hours=30))
    with pytest.raises(RecordError):
        _report(admin_user, event, wz, "follow_up", 20, relocated=400)  # nothing after the final
    with pytest.raises(PermissionDenied):
        _report(yuzhong, event, wz, "initial", 10)


def test_district_reports_feed_source_figures(admin_user, event, region):
    from citysafe.records import crosscheck

    wz = region("500101")
    _report(admin_user, event, wz, "initial", 50, deaths=2)
    subject = f"disaster:{event.pk}:500101"
    assert SourceFigure.objects.filter(subject=subject, metric="deaths", source_kind="district").get().value == 2
    _fig, found = crosscheck.add_source_figure(user=admin_user, subject=subject, metric="deaths",
                                               source_kind="hospital", value=3)
    assert found.region == wz
    # resolving with 3 adds a corrected version; nothing is overwritten
    crosscheck.resolve(user=admin_user, discrepancy=found, value=3, reason="医院死亡证明核实为3人")
    versions = services.DisasterReport.objects.filter(event=event, region=wz).order_by("reported_at", "pk")
    assert [v.deaths for v in versions] == [2, 3] and "比对核查更正" in versions[1].note
    found.refresh_from_db()
    assert "已新增一版灾情报告" in found.resolution
    assert not Discrepancy.objects.filter(status="open").exists()


def test_region_figures_municipal_only(admin_user, yuzhong, region):
    figure = services.set_region_figure(user=admin_user, region=region("500101"), year=2026, metric="forest_area_ha",
                                        value=1000, source="demo")
    services.set_region_figure(user=admin_user, region=region("500101"), year=2026, metric="forest_area_ha",
                               value=1200)
    figure.refresh_from_db()
    assert figure.value == 1200
    with pytest.raises(PermissionDenied):
        services.set_region_figure(user=yuzhong, region=region("500103"), year=2026, metric="x", value=1)


def test_totals(record, wanzhou_record):
    totals = selectors.record_totals(AccidentRecord.objects.all())
    assert totals["count"] == 2 and totals["deaths"] == 4 and totals["direct_loss_yuan"] == Decimal("1000000")
