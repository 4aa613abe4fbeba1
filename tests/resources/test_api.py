"""API: CRUD with masked phones, scoping (404 outside, 403 for writes), GeoJSON, nearest, dispatch, import."""

import pytest
from django.test import Client

from citysafe.resources.models import Resource, StockItem


@pytest.fixture
def yz_api(api_client, token_for, yuzhong):
    return api_client(token_for(yuzhong))


@pytest.fixture
def wz_api(api_client, token_for, wanzhou):
    return api_client(token_for(wanzhou))


def test_api_crud_and_scoping(yz_api, wz_api, make_resource):
    r = yz_api.post("/resources/items", {"kind": "team", "name": "渝中区救援队", "lon": 106.57, "lat": 29.55,
                                         "headcount": 20, "contact_phone": "13812345678"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["contact_phone"] == "138****5678" and body["region"] == "渝中区" and body["organization"] == "渝中区政府"
    pk = body["id"]
    assert wz_api.get(f"/resources/items/{pk}").status_code == 404
    assert wz_api.get("/resources/items").json() == []
    assert len(yz_api.get("/resources/items", kind="team").json()) == 1
    r = wz_api.post("/resources/items", {"kind": "team", "name": "越权", "lon": 106.57, "lat": 29.55,
                                         "organization_id": Resource.objects.get(pk=pk).organization_id})
    assert r.status_code == 403
    assert yz_api.post("/resources/items", {"kind": "rocket", "name": "x", "lon": 1, "lat": 1}).status_code == 400
    assert yz_api.post("/resources/items", {"kind": "team", "name": "x", "lon": 500, "lat": 1}).status_code == 400
    r = Client().patch(f"/api/v1/resources/items/{pk}", '{"status": "unavailable"}', content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {yz_api.token}")
    assert r.status_code == 200 and r.json()["status"] == "unavailable"
    r = Client().patch(f"/api/v1/resources/items/{pk}", '{"status": "x"}', content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {wz_api.token}")
    assert r.status_code == 404

    geo = yz_api.get("/resources/resources.geojson").json()
    assert geo["features"][0]["properties"]["layer"] == "team"
    assert wz_api.get("/resources/resources.geojson").json()["features"] == []


def test_api_nearest_dispatch_timeline(yz_api, wz_api, make_resource, make_incident):

    near = make_resource("近队", lon=106.581, lat=29.56)
    make_resource("远队", lon=106.60, lat=29.56)
    depot = make_resource("库", kind="depot", lon=106.59, lat=29.56)
    tents = StockItem.objects.create(depot=depot, item="帐篷", quantity=5, unit="顶", minimum=10)
    incident = make_incident()
    found = yz_api.get("/resources/nearest", incident=incident.pk, kind="team").json()
    assert [f["resource"]["name"] for f in found] == ["近队", "远队"] and found[0]["travel_min"] is None
    assert wz_api.get("/resources/nearest", incident=incident.pk).status_code == 404
    assert yz_api.get("/resources/nearest").status_code == 400
    assert len(yz_api.get("/resources/nearest", lon=106.58, lat=29.56).json()) == 3

    assert yz_api.get("/resources/stock", below_minimum=True).json()[0]["item"] == "帐篷"
    r = yz_api.post("/resources/dispatches", {"incident_id": incident.pk, "team_id": near.pk,
                                              "items": [{"stock_id": tents.pk, "quantity": 6}]})
    assert r.status_code == 400  # not enough tents
    r = yz_api.post("/resources/dispatches", {"incident_id": incident.pk, "team_id": near.pk,
                                              "items": [{"stock_id": tents.pk, "quantity": 2}]})
    assert r.status_code == 201, r.content
    d = r.json()
    assert wz_api.post(f"/resources/dispatches/{d['id']}/advance", {"to": "dispatched"}).status_code == 404
    assert yz_api.post(f"/resources/dispatches/{d['id']}/advance", {"to": "arrived"}).status_code == 400
    for state in ("dispatched", "arrived"):
        assert yz_api.post(f"/resources/dispatches/{d['id']}/advance", {"to": state}).status_code == 200
    item_id = d["items"][0]["id"]
    r = yz_api.post(f"/resources/dispatches/{d['id']}/advance", {"to": "returned", "returned": {str(item_id): 1}})
    assert r.status_code == 200 and r.json()["items"][0]["returned"] == 1
    tents.refresh_from_db()
    assert tents.quantity == 4
    timeline = yz_api.get(f"/resources/incidents/{incident.pk}/timeline").json()
    assert len(timeline) == 4
    assert wz_api.get(f"/resources/incidents/{incident.pk}/timeline").status_code == 404
    assert Client().get("/api/v1/resources/items").status_code == 401


def test_api_import(yz_api, client, yuzhong):
    from .test_importing import GOOD, workbook

    client.force_login(yuzhong)
    r = client.get("/api/v1/resources/import/template")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = GOOD + [["火箭", "x", 1, 1, None, None, None, None, None, None, None]]
    r = Client().post("/api/v1/resources/import", {"file": SimpleUploadedFile("r.xlsx", workbook(bad))},
                      HTTP_AUTHORIZATION=f"Bearer {yz_api.token}")
    assert r.status_code == 200 and r.json()["ok"] is False
    assert r.json()["errors"][0]["row"] == 5 and r.json()["errors"][0]["column"] == "类型*"
    assert not Resource.objects.exists()
    r = Client().post("/api/v1/resources/import", {"file": SimpleUploadedFile("r.xlsx", workbook(GOOD))},
                      HTTP_AUTHORIZATION=f"Bearer {yz_api.token}")
    assert r.json()["resources"] == 3
