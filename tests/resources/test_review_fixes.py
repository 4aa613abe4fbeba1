"""Fixes from the newcomer review: who may advance a dispatch, manual status edits, bounds instead of 500s, points
outside the city, import details, Chinese messages, open redirect, form errors, demo regions."""

import datetime as dt
import json

import pytest
from django.test import Client

from citysafe.resources import dispatch as svc
from citysafe.resources import services
from citysafe.resources.errors import PermissionDenied, ResourceError
from citysafe.resources.importing import import_resources
from citysafe.resources.models import Dispatch, DispatchStatus, Resource, StockItem

from .test_importing import GOOD, workbook

WZ = {"org": "万州区政府", "adcode": "500101", "lon": 108.4, "lat": 30.8}
CITY_IN_WZ = {"org": "市应急管理局", "adcode": "500101", "lon": 108.4, "lat": 30.8}


def _wz_incident(make_incident):
    return make_incident("万州事件", adcode="500101", lon=108.4, lat=30.8)


def _api(token, method, path, payload):
    return getattr(Client(), method)("/api/v1" + path, json.dumps(payload), content_type="application/json",
                                     HTTP_AUTHORIZATION=f"Bearer {token}")


# 1. advance() needs can_manage on what was sent ------------------------------------------------------------------


@pytest.mark.django_db
def test_advance_requires_managing_the_team(admin_user, yuzhong, wanzhou, make_resource, make_incident):
    incident = _wz_incident(make_incident)
    city_team = make_resource("市级队伍在万州", **CITY_IN_WZ)  # 万州 sees it (located there) but does not manage it
    d = svc.request_dispatch(user=admin_user, incident=incident, team=city_team)
    with pytest.raises(PermissionDenied):
        svc.advance(d, DispatchStatus.CANCELLED, user=wanzhou)
    d.refresh_from_db()
    assert d.status == DispatchStatus.REQUESTED
    svc.advance(d, DispatchStatus.CANCELLED, user=admin_user)  # municipal always

    # A 渝中 team sent by the city to a 万州 incident: its owner may move it although the incident is not theirs.
    yz_team = make_resource("渝中队")
    d = svc.request_dispatch(user=admin_user, incident=incident, team=yz_team)
    svc.advance(d, DispatchStatus.DISPATCHED, user=yuzhong)
    d.refresh_from_db()
    assert d.status == DispatchStatus.DISPATCHED
    with pytest.raises(PermissionDenied):
        svc.advance(d, DispatchStatus.ARRIVED, user=wanzhou)


@pytest.mark.django_db
def test_advance_requires_managing_the_depot(admin_user, yuzhong, wanzhou, make_resource, make_incident):
    incident = _wz_incident(make_incident)
    depot = make_resource("渝中库", kind="depot")
    tents = StockItem.objects.create(depot=depot, item="帐篷", quantity=10, unit="顶")
    d = svc.request_dispatch(user=admin_user, incident=incident, items=[(tents, 4)])
    svc.advance(d, DispatchStatus.DISPATCHED, user=admin_user)
    svc.advance(d, DispatchStatus.ARRIVED, user=admin_user)
    item = d.items.get()
    with pytest.raises(PermissionDenied):  # 万州 must not put stock back into 渝中's depot
        svc.advance(d, DispatchStatus.RETURNED, user=wanzhou, returned={item.pk: 4})
    tents.refresh_from_db()
    assert tents.quantity == 6
    svc.advance(d, DispatchStatus.RETURNED, user=yuzhong, returned={item.pk: 4})
    tents.refresh_from_db()
    assert tents.quantity == 10


# 2. "dispatched" only through dispatch.py ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_manual_status_edits(api_client, token_for, yuzhong, make_resource, make_incident):
    token = token_for(yuzhong)
    r = _api(token, "post", "/resources/items", {"kind": "team", "name": "队", "lon": 106.57, "lat": 29.55,
                                                 "status": "dispatched"})
    assert r.status_code == 400 and "调度" in r.json()["detail"]
    team = make_resource("渝中队")
    incident = make_incident()
    first = svc.request_dispatch(user=yuzhong, incident=incident, team=team)
    for status in ("available", "unavailable"):
        r = _api(token, "patch", f"/resources/items/{team.pk}", {"status": status})
        assert r.status_code == 400, r.content
    assert _api(token, "patch", f"/resources/items/{team.pk}", {"name": "渝中队（改名）"}).status_code == 200
    team.refresh_from_db()
    assert team.status == "dispatched"
    with pytest.raises(ResourceError):  # no double booking
        svc.request_dispatch(user=yuzhong, incident=incident, team=team)
    svc.advance(first, DispatchStatus.CANCELLED, user=yuzhong)
    team.refresh_from_db()
    assert team.status == "available"
    r = _api(token, "patch", f"/resources/items/{team.pk}", {"status": "unavailable"})
    assert r.status_code == 200 and r.json()["status"] == "unavailable"
    assert _api(token, "patch", f"/resources/items/{team.pk}", {"status": "dispatched"}).status_code == 400
    assert _api(token, "patch", f"/resources/items/{team.pk}", {"status": "available"}).status_code == 200


@pytest.mark.django_db
def test_manual_status_refused_during_active_dispatch(yuzhong, make_resource, make_incident):
    team = make_resource("渝中队")
    svc.request_dispatch(user=yuzhong, incident=make_incident(), team=team)
    # Even if the row says "available" (edited behind our back), an active dispatch blocks manual edits.
    Resource.objects.filter(pk=team.pk).update(status="available")
    team.refresh_from_db()
    with pytest.raises(ResourceError):
        services.update_resource(team, user=yuzhong, status="unavailable")


def test_create_form_refuses_dispatched(client, yuzhong):
    client.force_login(yuzhong)
    r = client.post("/resources/new/", {"kind": "team", "name": "表单队", "lon": 106.577, "lat": 29.557,
                                        "status": "dispatched"})
    assert r.status_code == 200 and not Resource.objects.filter(name="表单队").exists()
    assert 'value="dispatched"' not in client.get("/resources/new/").content.decode()


# 3. bounds: 4xx / form errors, never 500 ----------------------------------------------------------------------------


def test_api_bounds(api_client, token_for, yuzhong, make_resource):
    token = token_for(yuzhong)
    base = {"kind": "team", "name": "队", "lon": 106.57, "lat": 29.55}
    for extra in ({"headcount": 10**19}, {"headcount": 1_000_001}, {"code": "x" * 500},
                  {"contact_phone": "1" * 100}, {"name": "名" * 201}, {"notes": "x" * 2001}):
        r = _api(token, "post", "/resources/items", {**base, **extra})
        assert 400 <= r.status_code < 500, (extra, r.status_code)
    assert _api(token, "post", "/resources/items", {**base, "headcount": 1_000_000}).status_code == 201
    depot = make_resource("渝中库", kind="depot")
    for payload in ({"item": "帐篷", "quantity": 10**19}, {"item": "帐篷", "quantity": 10**10},
                    {"item": "帐篷", "quantity": 1, "minimum": 10**19}, {"item": "x" * 101, "quantity": 1}):
        r = _api(token, "put", f"/resources/items/{depot.pk}/stock", payload)
        assert 400 <= r.status_code < 500, (payload, r.status_code)
    assert _api(token, "put", f"/resources/items/{depot.pk}/stock", {"item": "帐篷", "quantity": 10**9}).status_code \
        == 200


@pytest.mark.django_db
def test_service_bounds(yuzhong, make_resource):
    with pytest.raises(ResourceError, match="人数"):
        services.create_resource(user=yuzhong, kind="team", name="队", lon=106.57, lat=29.55, headcount=10**19)
    with pytest.raises(ResourceError, match="编号"):
        services.create_resource(user=yuzhong, kind="team", name="队", lon=106.57, lat=29.55, code="x" * 51)
    depot = make_resource("渝中库", kind="depot")
    with pytest.raises(ResourceError):
        services.set_stock(depot, user=yuzhong, item="帐篷", quantity=10**19)


def test_web_stock_form_huge_numbers(client, yuzhong, make_resource):
    client.force_login(yuzhong)
    depot = make_resource("渝中库", kind="depot")
    for payload in ({"item": "帐篷", "quantity": 10**19}, {"item": "帐篷", "quantity": 1, "minimum": 10**19}):
        r = client.post(f"/resources/{depot.pk}/", payload)
        assert r.status_code == 302
    assert not StockItem.objects.exists()


def test_web_create_form_huge_numbers(client, yuzhong):
    client.force_login(yuzhong)
    r = client.post("/resources/new/", {"kind": "team", "name": "大队", "lon": 106.577, "lat": 29.557,
                                        "status": "available", "headcount": 10**19})
    assert r.status_code == 200 and not Resource.objects.exists()
    assert "1000000" in r.content.decode() or "1,000,000" in r.content.decode()


def test_web_dispatch_bad_team_ids(client, yuzhong, make_incident, make_resource):
    client.force_login(yuzhong)
    incident = make_incident()
    depot = make_resource("渝中库", kind="depot")
    tents = StockItem.objects.create(depot=depot, item="帐篷", quantity=10, unit="顶")
    for team in ("abc", "9.5", "-1", str(10**30)):
        r = client.post("/resources/dispatches/", {"incident": incident.pk, "team": team})
        assert r.status_code == 302, team
    for key, value in ((f"stock-{tents.pk}", str(10**19)), ("stock-abc", "1"), (f"stock-{tents.pk}", "9.5")):
        assert client.post("/resources/dispatches/", {"incident": incident.pk, key: value}).status_code == 302
    assert client.post("/resources/dispatches/", {"incident": "abc"}).status_code == 404
    assert not Dispatch.objects.exists()
    tents.refresh_from_db()
    assert tents.quantity == 10


@pytest.mark.django_db
def test_import_bounds_and_lengths(yuzhong):
    rows = [["救援队伍", "无穷队", 106.57, 29.55, None, None, "inf", None, None, None, None],
            ["救援队伍", "巨大队", 106.57, 29.55, None, None, 10**20, None, None, None, None],
            ["救援队伍", "名" * 300, 106.57, 29.55, None, None, None, None, None, None, None],
            ["救援队伍", "长电话队", 106.57, 29.55, None, None, None, None, None, "1" * 100, None]]
    outcome = import_resources(workbook(rows, stock=[["渝中库", "帐篷", 10**20, "顶", None, None]]), user=yuzhong)
    by_row = {(e.row, e.column) for e in outcome.errors}
    assert {(2, "人数"), (3, "人数"), (4, "名称*"), (5, "联系电话")} <= by_row, outcome.errors
    assert (2, "储备物资!数量") in by_row
    assert not Resource.objects.exists()


# 4. points outside the city -----------------------------------------------------------------------------------------


def test_points_outside_city_and_moving(api_client, token_for, yuzhong):
    token = token_for(yuzhong)
    for lon, lat in ((0, 0), (116.40, 39.90)):  # Beijing
        r = _api(token, "post", "/resources/items", {"kind": "team", "name": "外地队", "lon": lon, "lat": lat})
        assert r.status_code == 400 and "不在本市范围内" in r.json()["detail"]
    r = _api(token, "post", "/resources/items", {"kind": "team", "name": "队", "lon": 106.57, "lat": 29.55})
    assert r.status_code == 201 and r.json()["region"] == "渝中区"
    pk = r.json()["id"]
    r = _api(token, "patch", f"/resources/items/{pk}", {"lon": 108.4, "lat": 30.8})
    assert r.status_code == 200 and r.json()["region"] == "万州区"
    assert _api(token, "patch", f"/resources/items/{pk}", {"lon": 116.4, "lat": 39.9}).status_code == 400
    # Former 渝北区 (abolished 2025-11-07, no boundary for its successor yet) is in the city: 两江新区.
    r = _api(token, "post", "/resources/items", {"kind": "team", "name": "机场队", "lon": 106.6417, "lat": 29.7192})
    assert r.status_code == 201 and r.json()["region"] == "两江新区", r.content
    assert Resource.objects.get(pk=pk).region.adcode == "500101"
    r = _api(token, "post", "/resources/items", {"kind": "team", "name": "错区", "lon": 106.57, "lat": 29.55,
                                                 "region_adcode": "500101"})
    assert r.status_code == 400 and "渝中区" in r.json()["detail"]


@pytest.mark.django_db
def test_import_point_outside_city(yuzhong):
    rows = [["救援队伍", "北京队", 116.40, 39.90, None, None, None, None, None, None, None],
            ["救援队伍", "错区队", 106.57, 29.55, "万州区", None, None, None, None, None, None]]
    outcome = import_resources(workbook(rows), user=yuzhong)
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "经度*"), (3, "区县")], outcome.errors
    assert "不在本市范围内" in outcome.errors[0].message


# 5. import details ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_duplicates_capacity_dates_and_single_errors(yuzhong):
    rows = [GOOD[0], GOOD[0],
            ["应急避难场所", "零容量", 106.55, 29.56, None, None, None, 0, 50, None, None],
            ["救援队伍", "无名单位队", 106.57, 29.55, None, "不存在的单位", None, None, None, None, None],
            ["救援队伍", "执行中队", 106.57, 29.55, None, None, None, None, None, None, "已调派"]]
    outcome = import_resources(workbook(rows), user=yuzhong)
    errors = [(e.row, e.column) for e in outcome.errors]
    assert errors == [(3, "名称*"), (4, "已安置"), (5, "所属单位"), (6, "状态")], outcome.errors
    assert "第 2 行" in outcome.errors[0].message

    stock = [["渝中区物资库", "帐篷", 1, "顶", "2027/1/1", None], ["渝中区物资库", "帐篷", 2, "顶", None, None]]
    outcome = import_resources(workbook(GOOD, stock=stock), user=yuzhong)
    assert [(e.row, e.column) for e in outcome.errors] == [(3, "储备物资!物资名称")]
    outcome = import_resources(workbook(GOOD, stock=stock[:1]), user=yuzhong)
    assert outcome.ok, outcome.errors
    assert StockItem.objects.get(item="帐篷").expires_on == dt.date(2027, 1, 1)


# 6. Chinese messages from nearest -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_nearest_messages_chinese(reference):
    from citysafe.resources.nearest import nearest

    for kwargs, text in (({"lon": 200, "lat": 0}, "经纬度无效"), ({"order": "x"}, "未知排序方式"),
                         ({"order": "time"}, "未配置道路网络")):
        args = {"lon": 106.58, "lat": 29.56, **kwargs}
        with pytest.raises(ResourceError, match=text):
            nearest(args.pop("lon"), args.pop("lat"), Resource.objects.all(), **args)


# 7. open redirect ----------------------------------------------------------------------------------------------------


def test_dispatch_views_no_open_redirect(client, yuzhong, make_resource, make_incident):
    client.force_login(yuzhong)
    incident = make_incident()
    team = make_resource("渝中队")
    r = client.post("/resources/dispatches/", {"incident": incident.pk, "team": team.pk,
                                               "next": "https://evil.example/"})
    assert r.status_code == 302 and "evil" not in r["Location"] and r["Location"].startswith("/resources/nearest/")
    d = Dispatch.objects.get()
    r = client.post(f"/resources/dispatches/{d.pk}/advance/", {"to": "dispatched", "next": "//evil.example/x"})
    assert "evil" not in r["Location"]
    r = client.post(f"/resources/dispatches/{d.pk}/advance/", {"to": "arrived", "next": f"/incidents/{incident.pk}/"})
    assert r["Location"] == f"/incidents/{incident.pk}/"


# 8. form errors are shown --------------------------------------------------------------------------------------------


def test_create_form_shows_errors(client, yuzhong):
    client.force_login(yuzhong)
    r = client.post("/resources/new/", {"kind": "team", "name": "越界队", "lon": 200, "lat": 29.5,
                                        "status": "available"})
    assert r.status_code == 200 and 'class="text-danger small"' in r.content.decode()
    r = client.post("/resources/new/", {"kind": "team", "name": "外地队", "lon": 116.4, "lat": 39.9,
                                        "status": "available"})
    assert r.status_code == 200 and "不在本市范围内" in r.content.decode() and "alert-danger" in r.content.decode()
    assert not Resource.objects.exists()


# 9. demo: city resources get the district of their point ------------------------------------------------------------


def test_demo_city_resources_have_region(admin_user, wanzhou):
    from citysafe.resources.demo import prepare
    from citysafe.resources.selectors import resources_for

    prepare(admin_user)
    city = Resource.objects.filter(kind__in=["helipad", "equipment"])
    assert city.exists() and not city.filter(region=None).exists()
    assert resources_for(wanzhou, "helipad").filter(name="万州五桥直升机起降点").exists()
    assert Resource.objects.get(name="江北机场直升机起降点").region.name == "两江新区"


def test_web_advance_by_non_manager(client, admin_user, wanzhou, make_resource, make_incident):
    incident = _wz_incident(make_incident)
    city_team = make_resource("市级队伍在万州", **CITY_IN_WZ)
    d = svc.request_dispatch(user=admin_user, incident=incident, team=city_team)
    client.force_login(wanzhou)
    page = client.get(f"/resources/nearest/?incident={incident.pk}").content.decode()
    assert "市级队伍在万州" in page and f"/resources/dispatches/{d.pk}/advance/" not in page  # no buttons offered
    r = client.post(f"/resources/dispatches/{d.pk}/advance/", {"to": "cancelled"}, follow=True)
    assert r.status_code == 200 and "无权操作该调度" in r.content.decode()
    d.refresh_from_db()
    assert d.status == DispatchStatus.REQUESTED
