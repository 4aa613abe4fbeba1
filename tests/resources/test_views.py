"""Pages: lists per kind, detail with stock flags, map, nearest panel with dispatch, import; scoping (404)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from citysafe.resources.models import Dispatch, StockItem


@pytest.fixture
def yz(client, yuzhong):
    client.force_login(yuzhong)
    return client


def test_list_detail_map(yz, make_resource):
    team = make_resource("渝中区消防站", contact_phone="13812345678", headcount=25)
    other = make_resource("万州区消防站", org="万州区政府", adcode="500101", lon=108.4, lat=30.8)
    depot = make_resource("渝中区物资库", kind="depot")
    StockItem.objects.create(depot=depot, item="帐篷", quantity=3, minimum=10, unit="顶",
                             expires_on=dt.date.today() + dt.timedelta(days=5))
    page = yz.get("/resources/").content.decode()
    assert "渝中区消防站" in page and "万州区消防站" not in page and "138****5678" in page and "13812345678" not in page
    page = yz.get("/resources/?kind=depot").content.decode()
    assert "渝中区物资库" in page and "渝中区消防站" not in page
    assert yz.get(f"/resources/{other.pk}/").status_code == 404
    page = yz.get(f"/resources/{depot.pk}/").content.decode()
    assert "低于最低储备" in page and "临期/过期" in page
    r = yz.post(f"/resources/{depot.pk}/", {"item": "饮用水", "quantity": 50, "unit": "箱", "minimum": 10})
    assert r.status_code == 302 and StockItem.objects.get(item="饮用水").quantity == 50
    assert yz.get(f"/resources/{team.pk}/").status_code == 200
    page = yz.get("/resources/map/").content.decode()
    assert 'id="resource-map"' in page and "/api/v1/resources/resources.geojson" in page


def test_create_form(yz):
    r = yz.post("/resources/new/", {"kind": "shelter", "name": "解放碑避难场所", "lon": 106.577, "lat": 29.557,
                                    "status": "available", "capacity": 500, "occupancy": 0})
    assert r.status_code == 302


def test_nearest_panel_dispatch_and_advance(yz, client, wanzhou, make_resource, make_incident):
    team = make_resource("近队", lon=106.581, lat=29.56)
    depot = make_resource("库", kind="depot", lon=106.59, lat=29.56)
    tents = StockItem.objects.create(depot=depot, item="帐篷", quantity=5, unit="顶")
    city = make_resource("市级队", org="市应急管理局", lon=106.582, lat=29.56)
    incident = make_incident()
    page = yz.get(f"/resources/nearest/?incident={incident.pk}").content.decode()
    assert "近队" in page and "调派" in page and f'name="stock-{tents.pk}"' in page
    assert f'name="team" value="{city.pk}"' not in page and "市级队" in page  # seen, but not theirs to send
    assert yz.get(f"/resources/nearest/?incident={incident.pk}", HTTP_HX_REQUEST="true").status_code == 200
    assert "近队" in yz.get("/resources/nearest/?lon=106.58&lat=29.56&kind=team").content.decode()
    r = yz.post("/resources/dispatches/", {"incident": incident.pk, "team": team.pk})
    assert r.status_code == 302
    r = yz.post("/resources/dispatches/", {"incident": incident.pk, f"stock-{tents.pk}": "9"}, follow=True)
    assert "库存不足" in r.content.decode()
    yz.post("/resources/dispatches/", {"incident": incident.pk, f"stock-{tents.pk}": "2"})
    assert Dispatch.objects.count() == 2
    d = Dispatch.objects.get(team=team)
    yz.post(f"/resources/dispatches/{d.pk}/advance/", {"to": "dispatched"})
    d.refresh_from_db()
    assert d.status == "dispatched"
    page = yz.get(f"/resources/nearest/?incident={incident.pk}").content.decode()
    assert "已出发" in page

    client.force_login(wanzhou)
    assert client.get(f"/resources/nearest/?incident={incident.pk}").status_code == 404
    assert client.post(f"/resources/dispatches/{d.pk}/advance/", {"to": "arrived"}).status_code == 404
    assert client.post("/resources/dispatches/", {"incident": incident.pk, "team": team.pk}).status_code == 404


def test_import_page(yz):
    from .test_importing import GOOD, workbook

    assert yz.get("/resources/import/template/")["Content-Type"].startswith("application/vnd")
    bad = GOOD + [["火箭", "x", 1, 1, None, None, None, None, None, None, None]]
    page = yz.post("/resources/import/", {"file": SimpleUploadedFile("r.xlsx", workbook(bad))}).content.decode()
    assert 'id="import-errors"' in page and "类型*" in page
    r = yz.post("/resources/import/", {"file": SimpleUploadedFile("r.xlsx", workbook(GOOD))})
    assert r.status_code == 302


def test_demo_prepare(admin_user):
    from citysafe.resources.demo import prepare
    from citysafe.resources.models import Resource

    counts = prepare(admin_user)
    assert counts["resources"] > 100 and counts["stock"] > 100
    assert prepare(admin_user) == {"resources": 0, "stock": 0}
    assert Resource.objects.filter(is_demo=False).count() == 0
    assert any(s.below_minimum for s in StockItem.objects.all())


def test_history_page_scoped(yz, client, yuzhong, wanzhou, make_resource):
    from citysafe.resources.services import update_resource

    team = make_resource("渝中队")
    update_resource(team, user=yuzhong, status="unavailable")
    page = yz.get(f"/history/resources.Resource/{team.pk}/")
    assert page.status_code == 200 and "yuzhong" in page.content.decode()
    client.force_login(wanzhou)
    assert client.get(f"/history/resources.Resource/{team.pk}/").status_code == 404
