"""Intake, re-grading on follow-up reports, jurisdiction flags, the 补报 window and scoping of writes and reads."""

import datetime as dt

import pytest
from django.utils import timezone

from citysafe.hazards.models import Industry
from citysafe.incidents import selectors, services
from citysafe.incidents.errors import IncidentError, PermissionDenied
from citysafe.incidents.models import Incident, IncidentReport

from .conftest import WANZHOU, YUZHONG


def test_intake_derives_region_grades_and_files_first_report(admin_user, recent):
    incident = services.create_incident(user=admin_user, kind="accident", title="坍塌", occurred_at=recent,
                                        lon=YUZHONG[0], lat=YUZHONG[1], deaths=2, missing=1)
    assert incident.region.adcode == "500103"
    assert incident.grade == "large"  # 2 dead + 1 missing counts as 3 (grading.py)
    first = incident.reports.get()
    assert first.kind == "first" and first.level == "county" and first.grade_after == "large"
    assert incident.history.count() == 1 and incident.history.first().history_user == admin_user


def test_follow_up_regrades_and_flags_jurisdiction(incidents, admin_user):
    incident = incidents["yz"]
    assert incident.grade == "ordinary"
    report = services.add_report(user=admin_user, incident=incident, kind="follow_up", deaths=3)
    incident.refresh_from_db()
    assert incident.grade == "large" and incident.deaths == 3
    assert report.grade_changed and report.grade_before == "ordinary" and report.jurisdiction_raised
    same = services.add_report(user=admin_user, incident=incident, kind="follow_up", serious_injuries=12)
    assert not same.grade_changed and not same.jurisdiction_raised and same.deaths == 3  # figures carried over
    up = services.add_report(user=admin_user, incident=incident, kind="follow_up", serious_injuries=60)
    assert up.grade_after == "major" and up.jurisdiction_raised
    down = services.add_report(user=admin_user, incident=incident, kind="final", serious_injuries=5)
    assert down.grade_after == "large" and down.grade_changed and not down.jurisdiction_raised
    with pytest.raises(IncidentError):
        services.add_report(user=admin_user, incident=incident, kind="follow_up", deaths=4)
    timeline = selectors.timeline(Incident.objects.get(pk=incident.pk))
    assert [r["kind"] for r in timeline["reports"]] == ["first", "follow_up", "follow_up", "follow_up", "final"]
    assert [r["grade_changed"] for r in timeline["reports"]] == [False, True, False, True, True]


def test_after_supplement_window_figures_recorded_grade_kept(admin_user):
    occurred = timezone.now() - dt.timedelta(days=10)
    road = Industry.objects.get(code="road_traffic")
    incident = services.create_incident(user=admin_user, kind="accident", title="交通事故", occurred_at=occurred,
                                        reported_at=occurred + dt.timedelta(minutes=20), lon=YUZHONG[0],
                                        lat=YUZHONG[1], industry=road, deaths=2)
    report = services.add_report(user=admin_user, incident=incident, kind="follow_up", deaths=3)
    incident.refresh_from_db()
    assert incident.deaths == 3 and incident.grade == "ordinary"  # 7-day window for road traffic has closed
    assert not report.in_supplement_window and not report.grade_changed


def test_natural_disaster_levels(admin_user, recent):
    incident = services.create_incident(user=admin_user, kind="natural_disaster", title="暴雨洪涝", occurred_at=recent,
                                        lon=WANZHOU[0], lat=WANZHOU[1], disaster_type="flood", deaths=5)
    assert incident.grade == ""
    services.add_report(user=admin_user, incident=incident, kind="follow_up", relocated=100_000)
    incident.refresh_from_db()
    assert incident.grade == "level_4"


@pytest.mark.parametrize("bad", [
    {"kind": "meteor"}, {"title": "  "}, {"deaths": -1}, {"direct_loss_yuan": "abc"}, {"lon": 106.5},
    {"lon": 500, "lat": 29}, {"disaster_type": "volcano"}, {"occurred_at_offset": dt.timedelta(days=2)},
    {"reported_before": True}, {"colour": "red"}])
def test_intake_rejects_bad_input(admin_user, recent, bad):
    args = {"kind": "accident", "title": "x", "occurred_at": recent}
    bad = dict(bad)
    if offset := bad.pop("occurred_at_offset", None):
        args["occurred_at"] = timezone.now() + offset
    if bad.pop("reported_before", None):
        args["reported_at"] = recent - dt.timedelta(minutes=1)
    args.update(bad)
    with pytest.raises(IncidentError):
        services.create_incident(user=admin_user, **args)
    assert not Incident.objects.exists()


def test_district_cannot_see_or_change_other_district(incidents, yuzhong, wanzhou):
    assert list(selectors.incidents_for(yuzhong)) == [incidents["yz"]]
    assert list(selectors.incidents_for(wanzhou)) == [incidents["wz"]]
    with pytest.raises(PermissionDenied):
        services.add_report(user=wanzhou, incident=incidents["yz"], kind="follow_up", deaths=5)
    assert IncidentReport.objects.filter(incident=incidents["yz"]).count() == 1


def test_district_cannot_register_in_other_district(wanzhou, recent, viewer):
    with pytest.raises(PermissionDenied):
        services.create_incident(user=wanzhou, kind="accident", title="x", occurred_at=recent, lon=YUZHONG[0],
                                 lat=YUZHONG[1])
    with pytest.raises(PermissionDenied):
        services.create_incident(user=viewer, kind="accident", title="x", occurred_at=recent, lon=WANZHOU[0],
                                 lat=WANZHOU[1])
    incident = services.create_incident(user=wanzhou, kind="accident", title="x", occurred_at=recent,
                                        lon=WANZHOU[0], lat=WANZHOU[1])
    assert incident.region.adcode == "500101"


def test_overdue_flag_from_reports(admin_user):
    occurred = timezone.now() - dt.timedelta(hours=5)
    incident = services.create_incident(user=admin_user, kind="accident", title="爆炸", occurred_at=occurred,
                                        reported_at=occurred + dt.timedelta(minutes=50), lon=YUZHONG[0],
                                        lat=YUZHONG[1])
    assert selectors.is_overdue(incident)  # the city was due 2 h after the county report
    services.add_report(user=admin_user, incident=incident, kind="follow_up", level="city")
    incident = Incident.objects.get(pk=incident.pk)
    statuses = {d["key"]: d["status"] for d in selectors.timeline(incident)["deadlines"]}
    assert statuses["report_county"] == "met" and statuses["report_city"] == "late"
    assert not selectors.is_overdue(incident)


def test_demo_prepare_is_idempotent(admin_user):
    from citysafe.incidents.demo import prepare

    assert prepare(admin_user) == {"incidents": 3}
    assert prepare(admin_user) == {"incidents": 0}
    upgraded = Incident.objects.get(title__startswith="某建筑工地")
    assert upgraded.grade == "large" and upgraded.reports.filter(jurisdiction_raised=True).exists()
    assert selectors.is_overdue(Incident.objects.get(title__startswith="某化工企业"))
