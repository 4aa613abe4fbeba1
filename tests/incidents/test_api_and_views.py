"""Incident API and pages: create, scoped list/detail, reports, timeline, 4xx on bad input, masked phones."""

import datetime as dt

import pytest
from django.utils import timezone

from .conftest import WANZHOU, YUZHONG


def _iso(value):
    return value.isoformat()


def test_api_create_list_detail_report_timeline(api_client, token_for, yuzhong, recent):
    api = api_client(token_for(yuzhong))
    created = api.post("/incidents", {"kind": "accident", "title": "有限空间中毒", "occurred_at": _iso(recent),
                                      "lon": YUZHONG[0], "lat": YUZHONG[1], "serious_injuries": 9,
                                      "industry_code": "industry", "reporter_contact": "13812345678"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["region"] == "500103" and body["grade"] == "ordinary" and body["reporter_contact"] == "138****5678"
    pk = body["id"]
    assert [i["id"] for i in api.get("/incidents").json()] == [pk]
    report = api.post(f"/incidents/{pk}/reports", {"kind": "follow_up", "serious_injuries": 10, "level": "city"})
    assert report.status_code == 201, report.content
    assert report.json()["grade_changed"] and report.json()["grade_after"] == "large"
    assert api.get(f"/incidents/{pk}").json()["grade"] == "large"
    timeline = api.get(f"/incidents/{pk}/timeline").json()
    assert len(timeline["reports"]) == 2
    assert {d["key"] for d in timeline["deadlines"]} >= {"report_county", "report_city", "report_province"}


@pytest.mark.parametrize("payload", [
    {},
    {"kind": "accident", "title": "x"},
    {"kind": "volcano", "title": "x", "occurred_at": "2026-01-01T00:00:00+08:00"},
    {"kind": "accident", "title": "x", "occurred_at": "not a date"},
    {"kind": "accident", "title": "x", "occurred_at": "2026-01-01T00:00:00+08:00", "deaths": -1},
    {"kind": "accident", "title": "x", "occurred_at": "2026-01-01T00:00:00+08:00", "region_adcode": "999999"},
    {"kind": "accident", "title": "x", "occurred_at": "2026-01-01T00:00:00+08:00", "industry_code": "nope"},
    {"kind": "accident", "title": "x", "occurred_at": "2099-01-01T00:00:00+08:00"},
    {"kind": "accident", "title": "x", "occurred_at": "2026-01-01T00:00:00+08:00", "lon": 106.5},
    {"kind": "accident", "title": "x", "occurred_at": "2026-01-01T00:00:00+08:00", "direct_loss_yuan": "1e20"},
])
def test_api_bad_input_is_4xx(api_client, token_for, admin_user, payload):
    response = api_client(token_for(admin_user)).post("/incidents", payload)
    assert 400 <= response.status_code < 500, response.content


def test_api_naive_times_are_local(api_client, token_for, admin_user):
    api = api_client(token_for(admin_user))
    created = api.post("/incidents", {"kind": "other", "title": "x", "occurred_at": "2026-01-01T08:00:00",
                                      "reported_at": "2026-01-01T08:30:00"})
    assert created.status_code == 201, created.content
    assert created.json()["occurred_at"] == "2026-01-01T08:00:00+08:00"  # read as Asia/Shanghai
    pk = created.json()["id"]
    assert api.post(f"/incidents/{pk}/reports", {"reported_at": "2026-01-01T07:00:00"}).status_code == 400
    assert api.post(f"/incidents/{pk}/reports", {"reported_at": "2026-01-01T09:00:00"}).status_code == 201


def test_api_scoping(api_client, token_for, incidents, wanzhou):
    api = api_client(token_for(wanzhou))
    assert [i["id"] for i in api.get("/incidents").json()] == [incidents["wz"].pk]
    yz = incidents["yz"].pk
    assert api.get(f"/incidents/{yz}").status_code == 404
    assert api.get(f"/incidents/{yz}/timeline").status_code == 404
    assert api.post(f"/incidents/{yz}/reports", {"deaths": 9}).status_code == 404
    created = api.post("/incidents", {"kind": "accident", "title": "x", "occurred_at": _iso(timezone.now()),
                                      "lon": YUZHONG[0], "lat": YUZHONG[1]})
    assert created.status_code == 403
    geo = api.get("/incidents/incidents.geojson").json()
    assert [f["properties"]["id"] for f in geo["features"]] == [incidents["wz"].pk]


def test_api_report_errors(api_client, token_for, incidents, admin_user, viewer):
    api = api_client(token_for(admin_user))
    pk = incidents["yz"].pk
    assert api.post(f"/incidents/{pk}/reports", {"kind": "first"}).status_code == 422
    assert api.post(f"/incidents/{pk}/reports", {"level": "galaxy"}).status_code == 422
    early = _iso(incidents["yz"].occurred_at - dt.timedelta(hours=1))
    assert api.post(f"/incidents/{pk}/reports", {"reported_at": early}).status_code == 400
    assert api.post(f"/incidents/{pk}/reports", {"kind": "final"}).status_code == 201
    assert api.post(f"/incidents/{pk}/reports", {"deaths": 2}).status_code == 400
    assert api_client(token_for(viewer)).post(f"/incidents/{incidents['wz'].pk}/reports", {}).status_code == 403


def test_pages(client, incidents, yuzhong):
    client.force_login(yuzhong)
    page = client.get("/incidents/").content.decode()
    assert "yz 厂房火灾" in page and "wz 厂房火灾" not in page
    assert "138****5678" in page and "13812345678" not in page
    assert client.get(f"/incidents/{incidents['wz'].pk}/").status_code == 404
    assert client.get(f"/history/incidents.Incident/{incidents['wz'].pk}/").status_code == 404
    detail = client.get(f"/incidents/{incidents['yz'].pk}/").content.decode()
    assert 'data-testid="deadlines"' in detail and "incident-map" in detail
    response = client.post(f"/incidents/{incidents['yz'].pk}/reports/new/",
                           {"kind": "follow_up", "level": "city", "deaths": "3"})
    assert response.status_code == 302
    detail = client.get(f"/incidents/{incidents['yz'].pk}/").content.decode()
    assert 'data-testid="grade-change"' in detail and 'data-testid="jurisdiction-raised"' in detail
    assert client.get(f"/history/incidents.Incident/{incidents['yz'].pk}/").status_code == 200


def test_intake_form(client, yuzhong):
    client.force_login(yuzhong)
    assert client.get("/incidents/new/").status_code == 200
    when = timezone.localtime() - dt.timedelta(minutes=5)
    response = client.post("/incidents/new/", {"kind": "accident", "title": "锅炉爆炸",
                                               "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
                                               "lon": YUZHONG[0], "lat": YUZHONG[1], "deaths": "10"})
    assert response.status_code == 302, response.content.decode()[:2000]
    detail = client.get(response["Location"]).content.decode()
    assert "重大事故" in detail
    bad = client.post("/incidents/new/", {"kind": "accident", "title": "x", "occurred_at": "2026-01-01T00:00",
                                          "lon": WANZHOU[0], "lat": WANZHOU[1]})
    assert bad.status_code == 200 and "alert-danger" in bad.content.decode()


def test_viewer_cannot_open_intake(client, viewer):
    client.force_login(viewer)
    assert client.get("/incidents/new/").status_code == 403
