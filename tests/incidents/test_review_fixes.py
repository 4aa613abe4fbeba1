"""Fixes of the newcomer review: report ordering, intake scoping and geography, time and figure ranges, first-report
level, deadlines after the final report, 补报, Chinese 404s, overdue pagination, the 提级调查 article."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from citysafe.core.models import Organization, Region
from citysafe.hazards.models import Industry
from citysafe.incidents import deadlines as d
from citysafe.incidents import grading, selectors, services
from citysafe.incidents.errors import IncidentError, PermissionDenied
from citysafe.incidents.forms import IncidentForm, ReportForm
from citysafe.incidents.models import Incident

from .conftest import WANZHOU, YUZHONG

BEIJING = (116.40, 39.90)


def _statuses(incident):
    return {x["key"]: x["status"] for x in selectors.timeline(Incident.objects.get(pk=incident.pk))["deadlines"]}


# 1. Backdated reports ---------------------------------------------------------------------------------------------

def test_backdated_report_is_rejected_and_figures_follow_latest(admin_user):
    occurred = timezone.now() - dt.timedelta(hours=3)
    incident = services.create_incident(user=admin_user, kind="accident", title="爆炸", occurred_at=occurred,
                                        reported_at=occurred + dt.timedelta(hours=2), lon=YUZHONG[0],
                                        lat=YUZHONG[1], deaths=30)
    assert incident.grade == "especially_major" and _statuses(incident)["report_county"] == "late"
    with pytest.raises(IncidentError, match="上一次报告"):
        services.add_report(user=admin_user, incident=incident, kind="follow_up", deaths=0,
                            reported_at=occurred + dt.timedelta(minutes=30))
    incident.refresh_from_db()
    assert incident.deaths == 30 and incident.grade == "especially_major" and incident.reports.count() == 1
    assert _statuses(incident)["report_county"] == "late"  # a backdated report cannot turn it into 按时
    with pytest.raises(IncidentError, match="晚于当前时间"):
        services.add_report(user=admin_user, incident=incident, kind="follow_up",
                            reported_at=timezone.now() + dt.timedelta(hours=1))
    later = services.add_report(user=admin_user, incident=incident, kind="follow_up", deaths=31,
                                reported_at=timezone.now() - dt.timedelta(minutes=5))
    with pytest.raises(IncidentError):
        services.add_report(user=admin_user, incident=incident, kind="follow_up", deaths=0,
                            reported_at=later.reported_at - dt.timedelta(seconds=1))
    same_time = services.add_report(user=admin_user, incident=incident, kind="follow_up", missing=2,
                                    reported_at=later.reported_at)
    incident.refresh_from_db()
    assert (incident.deaths, incident.missing) == (31, 2) and same_time.deaths == 31  # latest carries over
    kinds = [r["kind"] for r in selectors.timeline(Incident.objects.get(pk=incident.pk))["reports"]]
    assert kinds == ["first", "follow_up", "follow_up"]


# 2. Intake scoping and geography ----------------------------------------------------------------------------------

def test_intake_organisation_must_be_in_scope(wanzhou, recent):
    yuzhong_gov = Organization.objects.get(name="渝中区政府")
    with pytest.raises(PermissionDenied, match="事发单位"):
        services.create_incident(user=wanzhou, kind="accident", title="x", occurred_at=recent, lon=WANZHOU[0],
                                 lat=WANZHOU[1], organization=yuzhong_gov)
    assert not Incident.objects.exists()
    own = Organization.objects.get(name="万州区政府")
    incident = services.create_incident(user=wanzhou, kind="accident", title="x", occurred_at=recent,
                                        lon=WANZHOU[0], lat=WANZHOU[1], organization=own)
    assert incident.organization == own
    choices = IncidentForm(user=wanzhou).fields["organization"].queryset
    assert own in choices and yuzhong_gov not in choices
    assert not IncidentForm().fields["organization"].queryset.exists()


def test_intake_form_rejects_other_districts_organisation(client, wanzhou):
    client.force_login(wanzhou)
    page = client.get("/incidents/new/").content.decode()
    assert "万州区政府" in page and "渝中区政府" not in page
    response = client.post("/incidents/new/", {
        "kind": "accident", "title": "x", "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "lon": WANZHOU[0], "lat": WANZHOU[1], "organization": Organization.objects.get(name="渝中区政府").pk})
    assert response.status_code == 200 and not Incident.objects.exists()


def test_intake_region_must_agree_with_point(admin_user, recent):
    yuzhong_region = Region.objects.filter(adcode="500103").first()
    with pytest.raises(IncidentError, match="所在区县与位置不符"):
        services.create_incident(user=admin_user, kind="accident", title="x", occurred_at=recent,
                                 lon=WANZHOU[0], lat=WANZHOU[1], region=yuzhong_region)
    with pytest.raises(IncidentError, match="不在重庆市范围内"):
        services.create_incident(user=admin_user, kind="accident", title="x", occurred_at=recent,
                                 lon=BEIJING[0], lat=BEIJING[1])
    assert not Incident.objects.exists()
    agreeing = services.create_incident(user=admin_user, kind="accident", title="x", occurred_at=recent,
                                        lon=YUZHONG[0], lat=YUZHONG[1], region=yuzhong_region)
    assert agreeing.region.adcode == "500103"
    no_point = services.create_incident(user=admin_user, kind="accident", title="y", occurred_at=recent,
                                        region=yuzhong_region)
    assert no_point.region == yuzhong_region


# 3. Time and figure ranges ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("occurred_at", ["0001-01-01T00:00:00", "0001-01-01T00:00:00+08:00",
                                         "1900-01-01T00:00:00+08:00", "1999-12-31T23:59:00",
                                         "9999-12-31T23:00:00-10:00"])
def test_api_out_of_range_times_are_400(api_client, token_for, admin_user, occurred_at):
    response = api_client(token_for(admin_user)).post("/incidents", {"kind": "other", "title": "x",
                                                                     "occurred_at": occurred_at})
    assert response.status_code == 400, response.content
    assert not Incident.objects.exists()


def test_api_report_time_out_of_range_is_400(api_client, token_for, incidents, admin_user):
    api = api_client(token_for(admin_user))
    pk = incidents["yz"].pk
    for when in ("0001-01-01T00:00:00+08:00", _iso(timezone.now() + dt.timedelta(minutes=10))):
        assert api.post(f"/incidents/{pk}/reports", {"reported_at": when}).status_code == 400


def _iso(value):
    return value.isoformat()


def test_service_time_range(admin_user):
    now = timezone.now()
    for occurred in (dt.datetime(1, 1, 1), dt.datetime(1999, 12, 31, 23, 59), now + dt.timedelta(minutes=6)):
        with pytest.raises(IncidentError):
            services.create_incident(user=admin_user, kind="other", title="x", occurred_at=occurred)
    assert services.create_incident(user=admin_user, kind="other", title="x",
                                    occurred_at=dt.datetime(2000, 1, 1, 0, 0))


def test_form_out_of_range_time_is_field_error(client, admin_user):
    client.force_login(admin_user)
    for value in ("0001-01-01T00:00", "1900-01-01T00:00"):
        response = client.post("/incidents/new/", {"kind": "other", "title": "x", "occurred_at": value})
        assert response.status_code == 200
        assert "2000" in str(response.context["form"].errors.get("occurred_at"))
    assert not Incident.objects.exists()


@pytest.mark.parametrize("figures", [{"deaths": 1_000_001}, {"serious_injuries": 2**31},
                                     {"direct_loss_yuan": "10000000000000.01"}, {"relocated": 10_000_001}])
def test_figure_limits_agree(api_client, token_for, admin_user, recent, figures):
    payload = {"kind": "accident", "title": "x", "occurred_at": _iso(recent)} | figures
    assert api_client(token_for(admin_user)).post("/incidents", payload).status_code == 422
    form = IncidentForm({"kind": "accident", "title": "x", "occurred_at": recent.strftime("%Y-%m-%dT%H:%M")}
                        | figures, user=admin_user)
    assert not form.is_valid() and set(figures) <= set(form.errors)
    with pytest.raises(IncidentError, match="超出范围"):
        services.create_incident(user=admin_user, kind="accident", title="x", occurred_at=recent, **figures)


def test_figure_limits_inclusive(admin_user, recent):
    incident = services.create_incident(user=admin_user, kind="accident", title="x", occurred_at=recent,
                                        deaths=1_000_000, direct_loss_yuan="10000000000000")
    assert incident.deaths == 1_000_000
    form = ReportForm({"kind": "follow_up", "level": "county", "deaths": "1000000",
                       "direct_loss_yuan": "10000000000000"})
    assert form.is_valid(), form.errors


# 4. First-report level, deadlines after the final report, 补报 --------------------------------------------------------

def test_first_report_level_defaults_and_choice(admin_user, recent):
    flood = services.create_incident(user=admin_user, kind="natural_disaster", title="洪涝", occurred_at=recent,
                                     lon=WANZHOU[0], lat=WANZHOU[1], disaster_type="flood")
    assert flood.reports.get().level == "city" and _statuses(flood)["initial_report"] == "met"
    accident = services.create_incident(user=admin_user, kind="accident", title="x", occurred_at=recent,
                                        lon=YUZHONG[0], lat=YUZHONG[1])
    assert accident.reports.get().level == "county"
    assert _statuses(accident)["report_county"] == "met" and _statuses(accident)["report_city"] == "pending"
    to_city = services.create_incident(user=admin_user, kind="accident", title="y", occurred_at=recent,
                                       lon=YUZHONG[0], lat=YUZHONG[1], first_report_level="city")
    assert _statuses(to_city)["report_county"] == "met" and _statuses(to_city)["report_city"] == "met"
    county_flood = services.create_incident(user=admin_user, kind="natural_disaster", title="z", occurred_at=recent,
                                            first_report_level="county")
    assert _statuses(county_flood)["initial_report"] == "pending"
    with pytest.raises(IncidentError):
        services.create_incident(user=admin_user, kind="other", title="x", occurred_at=recent,
                                 first_report_level="galaxy")


def test_api_and_form_take_first_report_level(api_client, token_for, client, admin_user, recent):
    created = api_client(token_for(admin_user)).post("/incidents", {
        "kind": "accident", "title": "x", "occurred_at": _iso(recent), "first_report_level": "province"})
    assert created.status_code == 201, created.content
    assert Incident.objects.get(pk=created.json()["id"]).reports.get().level == "province"
    client.force_login(admin_user)
    response = client.post("/incidents/new/", {"kind": "natural_disaster", "title": "洪涝",
                                               "occurred_at": recent.astimezone(ZoneInfo("Asia/Shanghai"))
                                               .strftime("%Y-%m-%dT%H:%M"), "lon": WANZHOU[0], "lat": WANZHOU[1]})
    assert response.status_code == 302
    assert Incident.objects.get(title="洪涝").reports.get().level == "city"


def test_deadlines_close_after_final_report():
    t0 = dt.datetime(2026, 5, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    h = dt.timedelta(hours=1)
    reports = [d.ReportStamp(t0 + h / 2, "county", "first"), d.ReportStamp(t0 + 3 * h, "county", "final")]
    items = {i.key: i for i in d.deadlines_for("accident", grading.LARGE, t0, reports, t0 + 10 * h)}
    assert items["report_county"].status == d.MET
    assert items["report_city"].status == d.MISSED           # overdue before the final report: a miss, not chased
    assert items["report_province"].status == d.NOT_REQUIRED  # still open when the final report came
    assert "follow_up" not in items and items["supplement_window"].status == "open"
    flood = d.deadlines_for("natural_disaster", "", t0, [d.ReportStamp(t0 + h / 2, "county", "first"),
                                                        d.ReportStamp(t0 + h, "county", "final")], t0 + 5 * h)
    assert [(x.key, x.status) for x in flood] == [("initial_report", d.NOT_REQUIRED)]
    assert not d.any_overdue(flood) and not d.any_overdue(list(items.values()))


def test_supplementary_report_after_final_within_window(admin_user, incidents, client):
    incident = incidents["yz"]
    with pytest.raises(IncidentError, match="终报前"):
        services.add_report(user=admin_user, incident=incident, kind="supplementary", deaths=2)
    services.add_report(user=admin_user, incident=incident, kind="final")
    with pytest.raises(IncidentError, match="已终报"):
        services.add_report(user=admin_user, incident=incident, kind="follow_up", deaths=2)
    assert services.report_kinds(incident) == ["supplementary"]
    client.force_login(admin_user)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'data-testid="report-form"' in page and 'value="supplementary"' in page and 'value="follow_up"' not in page
    response = client.post(f"/incidents/{incident.pk}/reports/new/", {"kind": "supplementary", "level": "city",
                                                                      "deaths": "3"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.deaths == 3 and incident.grade == "large"
    report = incident.reports.order_by("-reported_at", "-pk").first()
    assert report.kind == "supplementary" and report.grade_changed and report.jurisdiction_raised


def test_no_supplementary_after_window_and_form_hidden(admin_user, client, api_client, token_for):
    occurred = timezone.now() - dt.timedelta(days=10)
    incident = services.create_incident(user=admin_user, kind="accident", title="交通事故", occurred_at=occurred,
                                        reported_at=occurred + dt.timedelta(minutes=20), lon=YUZHONG[0],
                                        lat=YUZHONG[1], industry=Industry.objects.get(code="road_traffic"),
                                        deaths=2)
    services.add_report(user=admin_user, incident=incident, kind="final", deaths=2)
    with pytest.raises(IncidentError, match="补报期"):
        services.add_report(user=admin_user, incident=incident, kind="supplementary", deaths=3)
    api = api_client(token_for(admin_user))
    assert api.post(f"/incidents/{incident.pk}/reports", {"kind": "supplementary", "deaths": 3}).status_code == 400
    assert services.report_kinds(incident) == []
    client.force_login(admin_user)
    assert 'data-testid="report-form"' not in client.get(f"/incidents/{incident.pk}/").content.decode()
    assert client.get(f"/incidents/{incident.pk}/reports/new/").status_code == 302
    assert _statuses(incident)["report_city"] == "missed"
    assert not selectors.is_overdue(Incident.objects.get(pk=incident.pk))


# 5. Chinese 404s ---------------------------------------------------------------------------------------------------

def test_api_not_found_is_chinese(api_client, token_for, incidents, wanzhou, admin_user, recent):
    api = api_client(token_for(wanzhou))
    yz = incidents["yz"].pk
    for response in (api.get(f"/incidents/{yz}"), api.get(f"/incidents/{yz}/timeline"),
                     api.post(f"/incidents/{yz}/reports", {"deaths": 9}), api.get("/incidents/999999"),
                     api.get(f"/incidents/{2**40}")):
        assert response.status_code == 404 and response.json()["detail"] == "未找到"
    base = {"kind": "accident", "title": "x", "occurred_at": _iso(recent), "lon": WANZHOU[0], "lat": WANZHOU[1]}
    other_org = Organization.objects.get(name="渝中区政府").pk
    for org_id in (other_org, 999999, 2**40):
        response = api.post("/incidents", base | {"organization_id": org_id})
        assert response.status_code == 404 and response.json()["detail"] == "未找到"
    own = Organization.objects.get(name="万州区政府").pk
    assert api.post("/incidents", base | {"organization_id": own}).status_code == 201
    municipal = api_client(token_for(admin_user))  # municipal users may name any organisation
    assert municipal.post("/incidents", base | {"organization_id": other_org}).status_code == 201


# 6. Overdue filter before pagination ------------------------------------------------------------------------------

def test_api_overdue_filter_runs_before_paging(api_client, token_for, admin_user, recent):
    occurred = timezone.now() - dt.timedelta(hours=5)
    late = services.create_incident(user=admin_user, kind="accident", title="旧", occurred_at=occurred,
                                    reported_at=occurred + dt.timedelta(minutes=50), lon=YUZHONG[0],
                                    lat=YUZHONG[1])
    fresh = [services.create_incident(user=admin_user, kind="accident", title=f"新{i}", occurred_at=recent,
                                      lon=YUZHONG[0], lat=YUZHONG[1]) for i in range(2)]
    api = api_client(token_for(admin_user))
    assert [i["id"] for i in api.get("/incidents", overdue="true", limit=1).json()] == [late.pk]
    assert api.get("/incidents", overdue="true", limit=1, offset=1).json() == []
    page = api.get("/incidents", overdue="false", limit=1, offset=1).json()
    assert len(page) == 1 and page[0]["id"] in {f.pk for f in fresh} and not page[0]["overdue"]
    assert len(api.get("/incidents", limit=2).json()) == 2


# 7. 提级调查 article --------------------------------------------------------------------------------------------------

def test_raises_jurisdiction_cites_article_20():
    doc = grading.raises_jurisdiction.__doc__
    assert "Art. 20" in doc and "第二十条" in doc and "Art. 13" not in doc
