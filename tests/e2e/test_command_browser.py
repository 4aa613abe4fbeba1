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

    page.locator(f".cmd-incident-{incident.pk}").click()
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
    expect(page.locator(".cmd-resource")).to_have_count(0)

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


# --- fix round: counts, empty bounds, symbols and legend, popups, mutual-aid hint ------------------------------


def _console(page):
    """Page errors and console warnings/errors (e.g. 部分图层加载失败) collected while the test runs."""
    seen = []
    page.on("pageerror", lambda exc: seen.append(f"pageerror: {exc}"))
    page.on("console", lambda m: seen.append(f"{m.type}: {m.text}") if m.type in ("warning", "error") else None)
    return seen


def test_boundary_count_is_features_and_empty_bounds_do_not_fail(page, live_server, login, yuzhong, admin_user,
                                                                  fire_dept):
    from citysafe.core.selectors import regions_feature_collection

    seen = _console(page)
    login("yuzhong", "pw-yuzhong")
    page.goto(live_server.url + "/command/")
    command_map = page.get_by_test_id("command-map")
    expect(command_map).to_have_attribute("data-refreshed", "1")
    expect(command_map).to_have_attribute("data-count_regions", str(len(regions_feature_collection(yuzhong)["features"])))

    city = len(regions_feature_collection(admin_user)["features"])
    assert city > 1
    page.context.clear_cookies()
    login("cityadmin", "pw-cityadmin")
    page.goto(live_server.url + "/command/")
    expect(command_map).to_have_attribute("data-refreshed", "1")
    expect(command_map).to_have_attribute("data-count_regions", str(city))
    expect(page.locator(".leaflet-control-layers")).to_contain_text(f"区县边界 ({city})")

    # a user whose scope has no boundary at all: count 0, no failed-layer warning, no error
    assert regions_feature_collection(fire_dept)["features"] == []
    page.context.clear_cookies()
    login(fire_dept.username, "pw-" + fire_dept.username)
    page.goto(live_server.url + "/command/")
    expect(command_map).to_have_attribute("data-refreshed", "1")
    expect(command_map).to_have_attribute("data-count_regions", "0")
    page.get_by_test_id("command-refresh").click()
    expect(command_map).to_have_attribute("data-refreshed", "2")
    assert seen == []


def test_distinct_symbols_legend_and_tinted_clusters(page, live_server, login, yuzhong, teams):
    from citysafe.incidents.models import Incident as Inc

    Inc.objects.create(kind="accident", title="图例事故", lon=106.56, lat=29.55, occurred_at=timezone.now(),
                       region=Region.objects.get(adcode="500103"))
    Resource.objects.create(kind="helipad", name="渝中起降点", lon=106.55, lat=29.56,
                            region=Region.objects.get(adcode="500103"),
                            organization=Organization.objects.get(name="渝中区政府"))
    login("yuzhong", "pw-yuzhong")
    page.goto(live_server.url + "/command/")
    command_map = page.get_by_test_id("command-map")
    expect(command_map).to_have_attribute("data-refreshed", "1")

    legend = page.get_by_test_id("command-legend")
    expect(legend).to_be_visible()
    for label in ["区县边界", "事故事件", "生效预警", "救援队伍", "物资储备库", "救援装备", "应急避难场所", "直升机起降点",
                  "医疗救护点", "隐患(未销号)", "风险点"]:
        expect(legend).to_contain_text(label)
    # no warning in force: said in the legend and in the side panel
    expect(legend.get_by_test_id("legend-no-warnings")).to_be_visible()
    expect(legend.get_by_test_id("legend-no-warnings")).to_have_text("当前无生效预警")
    expect(page.get_by_test_id("panel-no-warnings")).to_have_text("当前无生效预警")

    def colour(selector):
        return page.locator(selector).first.evaluate("e => getComputedStyle(e).backgroundColor")

    # every resource kind, incident and warning level has its own colour in the legend
    colours = [colour(f"[data-legend=resource_{k}] .cmd-sym") for k in
               ["team", "depot", "equipment", "shelter", "helipad", "medical"]]
    warning_colours = page.locator("[data-legend=warnings] .cmd-sym").evaluate_all(
        "els => els.map(e => getComputedStyle(e).backgroundColor)")
    incident_colours = page.locator("[data-legend=incidents] .cmd-sym").evaluate_all(
        "els => els.map(e => getComputedStyle(e).backgroundColor)")
    everything = colours + warning_colours + incident_colours
    assert len(set(everything)) == len(everything), everything
    # resources carry a glyph; incidents are diamonds, hazards triangles, risk points rings
    expect(page.locator("[data-legend=resource_team] .cmd-sym")).to_have_text("队")
    expect(page.locator("[data-legend=incidents] .cmd-sym-diamond")).to_have_count(2)
    expect(page.locator("[data-legend=hazards] .cmd-sym-triangle")).to_have_count(2)
    expect(page.locator("[data-legend=risk_points] .cmd-sym-ring")).to_have_count(1)

    # markers on the map use those symbols
    expect(page.locator(".cmd-icon.cmd-incident .cmd-sym-diamond")).to_have_count(1)
    helipad = page.locator(".cmd-icon.cmd-resource .cmd-sym-badge", has_text="机")
    expect(helipad).to_have_count(1)
    assert helipad.evaluate("e => getComputedStyle(e).backgroundColor") == colour("[data-legend=resource_helipad] .cmd-sym")

    # zoomed out, the four 渝中 teams cluster into a bubble in the teams' colour (not the default cluster icons)
    for _ in range(7):
        page.locator(".leaflet-control-zoom-out").click()
        page.wait_for_timeout(350)  # let each zoom animation finish
    cluster = page.locator(".cmd-cluster-resource_team div")
    expect(cluster).to_have_count(1)
    assert cluster.evaluate("e => getComputedStyle(e).backgroundColor") == colours[0]
    expect(page.locator(".marker-cluster-small, .marker-cluster-medium, .marker-cluster-large")).to_have_count(0)

    # switching a layer off greys out its legend row
    page.locator(".leaflet-control-layers label", has_text="救援队伍").locator("input").uncheck()
    expect(page.locator("[data-legend=resource_team]")).to_have_class("cmd-legend-row cmd-off")


def test_popups_link_to_plans_and_nearest_and_label_fields(page, live_server, login, yuzhong, teams):
    incident = Incident.objects.create(kind="accident", title="解放碑火情", lon=106.5705, lat=29.5555,
                                       occurred_at=timezone.now(), serious_injuries=1,
                                       region=Region.objects.get(adcode="500103"))
    login("yuzhong", "pw-yuzhong")
    page.goto(live_server.url + "/command/")
    expect(page.get_by_test_id("command-map")).to_have_attribute("data-refreshed", "1")
    page.locator(f".cmd-incident-{incident.pk}").click()
    popup = page.get_by_test_id("incident-popup")
    expect(popup).to_contain_text("未定级")
    expect(popup).to_contain_text("重伤 1 人")
    expect(popup.get_by_test_id("popup-plans")).to_have_attribute("href", f"/plans/for-incident/{incident.pk}/")
    expect(popup.get_by_test_id("popup-nearest")).to_have_attribute("href", f"/resources/nearest/?incident={incident.pk}")
    expect(page.get_by_test_id("panel-plans").first).to_have_attribute("href", f"/plans/for-incident/{incident.pk}/")

    page.locator(".leaflet-popup-close-button").dispatch_event("click")  # (the layer control may cover it)
    team = teams["大坪应急救援队"]
    page.locator(f".cmd-resource-{team.pk}").click()
    resource_popup = page.get_by_test_id("resource-popup")
    expect(resource_popup.locator("[data-field=headcount]")).to_have_text("人数：20")
    expect(resource_popup.locator("[data-field=status]")).to_have_text("状态：可用")


def test_district_without_teams_is_told_to_request_mutual_aid(page, live_server, login, yuzhong, reference):
    Resource.objects.create(kind="team", name="万州区消防站", lon=108.4, lat=30.8, region=Region.objects.get(adcode="500101"),
                            organization=Organization.objects.get(name="万州区政府"))
    incident = Incident.objects.create(kind="accident", title="无队伍事故", lon=106.57, lat=29.555,
                                       occurred_at=timezone.now(), region=Region.objects.get(adcode="500103"))
    login("yuzhong", "pw-yuzhong")
    page.goto(live_server.url + "/command/")
    expect(page.get_by_test_id("command-map")).to_have_attribute("data-refreshed", "1")
    page.locator(f".cmd-incident-{incident.pk}").click()
    expect(page.locator("#nearest-status")).to_have_text("本辖区暂无可用队伍，请向市应急局申请跨区支援")
    expect(page.get_by_test_id("nearest-list").locator("li")).to_have_count(0)
    expect(page.get_by_test_id("nearest-list")).not_to_contain_text("万州区消防站")
