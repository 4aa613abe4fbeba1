"""The command map in the browser: a duty officer takes an incident report, sees its grade, opens the command map,
clicks the incident, sees the nearest teams and dispatches the nearest one; the incident timeline shows it."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from citysafe.core.models import Organization, Region
from citysafe.incidents.models import Incident
from citysafe.resources.models import Dispatch, Resource

pytestmark = pytest.mark.e2e

SCENE = (106.57, 29.555)  # 渝中区, near 解放碑


@pytest.fixture
def teams(reference):
    """Three 渝中 teams at increasing distance from the scene, one busy nearer still, one in 万州 (out of scope)."""
    yz, wz = Region.objects.get(adcode="500103"), Region.objects.get(adcode="500101")
    yz_org, wz_org = Organization.objects.get(name="渝中区政府"), Organization.objects.get(name="万州区政府")
    made = {}
    for name, lon, lat, status in [("较场口消防站", 106.572, 29.556, "available"),
                                   ("朝天门救援队", 106.585, 29.565, "available"),
                                   ("大坪应急救援队", 106.52, 29.54, "available"),
                                   ("解放碑执勤队", 106.5702, 29.5552, "dispatched")]:
        made[name] = Resource.objects.create(kind="team", name=name, lon=lon, lat=lat, region=yz, organization=yz_org,
                                             status=status, headcount=20)
    made["万州区消防站"] = Resource.objects.create(kind="team", name="万州区消防站", lon=108.4, lat=30.8, region=wz,
                                                 organization=wz_org)
    return made


def test_report_grade_and_dispatch_nearest_from_the_map(page, live_server, login, yuzhong, teams):
    login("yuzhong", "pw-yuzhong")
    page.goto(live_server.url + "/incidents/new/")
    form = page.get_by_test_id("incident-form")
    form.locator("#id_kind").select_option("accident")
    form.locator("#id_title").fill("较场口商场坍塌")
    form.locator("#id_occurred_at").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    form.locator("#id_lon").fill(str(SCENE[0]))
    form.locator("#id_lat").fill(str(SCENE[1]))
    form.locator("#id_deaths").fill("3")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("incident-heading")).to_contain_text("较大")
    incident = Incident.objects.get()
    assert incident.grade == "large" and incident.region.adcode == "500103"

    page.goto(live_server.url + "/command/")
    command_map = page.get_by_test_id("command-map")
    expect(command_map).to_have_attribute("data-refreshed", "1")
    expect(command_map).to_have_attribute("data-count_incidents", "1")
    expect(command_map).to_have_attribute("data-count_resource_team", "4")  # the 万州 team is not in scope
    expect(page.get_by_test_id("panel-incidents")).to_contain_text("较场口商场坍塌")

    page.locator(f"path.cmd-incident-{incident.pk}").click()
    rows = page.get_by_test_id("nearest-list").locator("li")
    expect(rows).to_have_count(3)  # available teams only, nearest first
    expect(rows.nth(0)).to_contain_text("较场口消防站")
    expect(rows.nth(1)).to_contain_text("朝天门救援队")
    expect(rows.nth(2)).to_contain_text("大坪应急救援队")
    expect(page.get_by_test_id("nearest-list")).not_to_contain_text("万州区消防站")

    rows.nth(0).get_by_role("button", name="调派").click()
    expect(rows.nth(0).get_by_test_id("dispatched")).to_be_visible()
    dispatch = Dispatch.objects.get()
    assert dispatch.incident == incident and dispatch.team == teams["较场口消防站"] and dispatch.status == "requested"
    assert Resource.objects.get(name="较场口消防站").status == "dispatched"

    page.goto(f"{live_server.url}/incidents/{incident.pk}/")
    expect(page.get_by_test_id("dispatch-timeline")).to_contain_text("较场口消防站")


def test_layer_toggles_are_remembered_and_refresh_keeps_them(page, live_server, login, yuzhong, teams):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login("yuzhong", "pw-yuzhong")
    page.goto(live_server.url + "/command/")
    command_map = page.get_by_test_id("command-map")
    expect(command_map).to_have_attribute("data-refreshed", "1")
    control = page.locator(".leaflet-control-layers")
    expect(control).to_contain_text("救援队伍 (4)")
    team_toggle = control.locator("label", has_text="救援队伍").locator("input")
    team_toggle.uncheck()
    expect(page.locator("path.cmd-resource")).to_have_count(0)

    page.reload()
    expect(command_map).to_have_attribute("data-refreshed", "1")
    expect(control.locator("label", has_text="救援队伍").locator("input")).not_to_be_checked()
    expect(command_map).to_have_attribute("data-count_incidents", "0")
    # a report taken meanwhile appears on the map and in the side panel without reloading the page
    Incident.objects.create(kind="accident", title="朝天门码头落水", lon=106.585, lat=29.566, occurred_at=timezone.now(),
                            region=Region.objects.get(adcode="500103"))
    page.get_by_test_id("command-refresh").click()
    expect(command_map).to_have_attribute("data-refreshed", "2")
    expect(command_map).to_have_attribute("data-count_incidents", "1")
    expect(page.get_by_test_id("panel-incidents")).to_contain_text("朝天门码头落水")
    expect(control.locator("label", has_text="救援队伍").locator("input")).not_to_be_checked()
    expect(control.locator("label", has_text="区县边界").locator("input")).to_be_checked()
    assert errors == []
