"""Resources in the browser: the map with one layer per kind, and dispatching from the nearest-resources panel."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from citysafe.core.models import Organization, Region
from citysafe.incidents.models import Incident
from citysafe.resources.models import Dispatch, Resource

pytestmark = pytest.mark.e2e


def _resource(name, kind, lon, lat):
    return Resource.objects.create(kind=kind, name=name, lon=lon, lat=lat, region=Region.objects.get(adcode="500103"),
                                   organization=Organization.objects.get(name="渝中区政府"))


def test_map_layers_and_dispatch(page, live_server, login, admin_user, reference):
    _resource("解放碑消防站", "team", 106.577, 29.557)
    _resource("渝中区物资库", "depot", 106.56, 29.55)
    _resource("人民广场避难场所", "shelter", 106.55, 29.56)
    incident = Incident.objects.create(kind="accident", title="解放碑商场火灾", lon=106.578, lat=29.558,
                                       occurred_at=timezone.now() - dt.timedelta(minutes=20),
                                       region=Region.objects.get(adcode="500103"))
    login("cityadmin", "pw-cityadmin")
    page.goto(live_server.url + "/resources/map/")
    expect(page.locator("#resource-map")).to_have_attribute("data-loaded", "3")
    control = page.locator(".leaflet-control-layers")
    expect(control).to_contain_text("救援队伍 (1)")
    expect(control).to_contain_text("应急避难场所 (1)")

    page.goto(f"{live_server.url}/resources/nearest/?incident={incident.pk}&kind=team")
    row = page.locator("#nearest-table tr", has_text="解放碑消防站")
    row.locator("button", has_text="调派").click()
    expect(page.locator("#dispatch-table")).to_contain_text("已请求")
    page.locator("#dispatch-table button", has_text="已出发").click()
    expect(page.locator("#dispatch-table")).to_contain_text("已出发")
    assert Dispatch.objects.get().status == "dispatched"
    assert Resource.objects.get(name="解放碑消防站").status == "dispatched"
