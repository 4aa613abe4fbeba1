"""Command map page: renders for each role with every layer endpoint; the side panel and the layers are scoped."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from citysafe.core.models import Organization, Region
from citysafe.early_warning.models import EarlyWarning
from citysafe.hazards import services as hazard_services
from citysafe.hazards.models import Industry, RiskPoint
from citysafe.incidents.models import Incident
from citysafe.resources import dispatch as dispatching
from citysafe.resources.models import Resource
from tests.conftest import make_user

YUZHONG = (106.57, 29.555)
WANZHOU = (108.40, 30.80)
ENDPOINTS = ["api:regions_geojson", "api:incidents_geojson", "early_warning:active_geojson", "api:resources_geojson",
             "api:hazards_geojson", "api:risk_points_geojson", "api:resources_nearest", "api:create_dispatch",
             "command:panel"]


def _region(adcode):
    return Region.objects.filter(adcode=adcode).first()


@pytest.fixture
def world(admin_user, reference):
    """One of each record in 渝中 and in 万州, plus a public warning in 万州."""
    made = {}
    fire = Industry.objects.get(code="fire")
    for key, adcode, org, (lon, lat) in [("yz", "500103", "渝中区政府", YUZHONG), ("wz", "500101", "万州区政府", WANZHOU)]:
        made[f"{key}_incident"] = Incident.objects.create(
            kind="accident", title=f"{key}-事故", lon=lon, lat=lat, region=_region(adcode),
            occurred_at=timezone.now() - dt.timedelta(hours=1))
        made[f"{key}_team"] = Resource.objects.create(kind="team", name=f"{key}-救援队", lon=lon, lat=lat,
                                                      region=_region(adcode),
                                                      organization=Organization.objects.get(name=org))
        made[f"{key}_warning"] = EarlyWarning.objects.create(source_key=f"manual:{key}", hazard_type="flood",
                                                             level="orange", headline=f"{key}-内部预警",
                                                             region=_region(adcode))
        made[f"{key}_hazard"] = hazard_services.create_hazard(user=admin_user, title=f"{key}-消防通道堵塞",
                                                              source="grid_patrol", lon=lon, lat=lat, industry=fire)
        made[f"{key}_risk"] = RiskPoint.objects.create(code=f"RP-{key}", name=f"{key}-滑坡点", kind="landslide",
                                                       lon=lon, lat=lat, region=_region(adcode))
    made["public_warning"] = EarlyWarning.objects.create(source_key="manual:pub", hazard_type="rainstorm",
                                                         level="red", headline="万州-公开暴雨预警",
                                                         region=_region("500101"), is_public=True)
    return made


def _user(role):
    return {"municipal_admin": lambda: make_user("cityadmin2", "municipal_admin", "市应急管理局"),
            "district_operator": lambda: make_user("yz2", "district_operator", "渝中区政府", "500103"),
            "department_operator": lambda: make_user("fire2", "department_operator", "市消防救援局"),
            "viewer": lambda: make_user("viewer2", "viewer", None, "500000")}[role]()


@pytest.mark.parametrize("role", ["municipal_admin", "district_operator", "department_operator", "viewer"])
def test_page_renders_with_every_layer_endpoint(client, reference, role):
    user = _user(role)
    client.force_login(user)
    response = client.get("/command/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="command-map"' in page and "command/command_map.js" in page
    for name in ENDPOINTS:
        assert reverse(name) in page, name
    assert "leaflet.markercluster.js" in page
    # the dispatch button is only offered to writers (the API refuses viewers anyway)
    assert f'data-can-dispatch="{0 if role == "viewer" else 1}"' in page


def test_login_required(client):
    assert client.get("/command/").status_code == 302
    assert client.get("/command/panel/").status_code == 302


def test_panel_scoped_to_district_plus_public(client, world, yuzhong):
    client.force_login(yuzhong)
    page = client.get("/command/").content.decode()
    assert "yz-事故" in page and "wz-事故" not in page
    assert "yz-内部预警" in page and "wz-内部预警" not in page
    assert "万州-公开暴雨预警" in page  # public warnings are everybody's
    panel = client.get("/command/panel/").content.decode()
    assert "yz-事故" in panel and "wz-事故" not in panel and "万州-公开暴雨预警" in panel


def test_panel_municipal_sees_everything_red_first(client, world, admin_user):
    client.force_login(admin_user)
    panel = client.get("/command/panel/").content.decode()
    assert "yz-事故" in panel and "wz-事故" in panel
    assert panel.index("万州-公开暴雨预警") < panel.index("yz-内部预警")
    assert "cmd-level-red" in panel


def test_panel_flags_overdue_and_grade(client, reference, yuzhong):
    Incident.objects.create(kind="accident", title="三人死亡事故", lon=YUZHONG[0], lat=YUZHONG[1], deaths=3,
                            grade="large", region=_region("500103"),
                            occurred_at=timezone.now() - dt.timedelta(days=2))
    client.force_login(yuzhong)
    panel = client.get("/command/panel/").content.decode()
    assert 'data-testid="grade-badge"' in panel and "较大" in panel
    assert 'data-testid="panel-overdue"' in panel  # no report on file two days on: the 1-hour limit has passed


def test_layer_endpoints_scoped_for_district(client, world, yuzhong):
    """What the page's layers load for a district operator: their district's records and public warnings."""
    client.force_login(yuzhong)

    def titles(name, key="title", query=""):
        body = client.get(reverse(name) + query).json()
        return {f["properties"][key] for f in body["features"]}

    assert titles("api:incidents_geojson") == {"yz-事故"}
    assert titles("api:resources_geojson") == {"yz-救援队"}
    assert titles("early_warning:active_geojson", "headline") == {"yz-内部预警", "万州-公开暴雨预警"}
    assert titles("api:hazards_geojson", query="?open=true") == {"yz-消防通道堵塞"}
    assert titles("api:risk_points_geojson") == {"yz-滑坡点"}
    regions = client.get(reverse("api:regions_geojson")).json()["features"]
    assert regions and all(f["properties"]["name"] != "万州区" for f in regions)


def test_nearest_and_dispatch_from_the_map_scoped(client, world, yuzhong):
    """The map's nearest list and 调派 button go through the resources API, which scopes both."""
    client.force_login(yuzhong)
    nearest = client.get(reverse("api:resources_nearest"), {"incident": world["yz_incident"].pk, "kind": "team"})
    assert [n["resource"]["name"] for n in nearest.json()] == ["yz-救援队"]
    other = client.get(reverse("api:resources_nearest"), {"incident": world["wz_incident"].pk, "kind": "team"})
    assert other.status_code == 404
    refused = client.post(reverse("api:create_dispatch"), {"incident_id": world["yz_incident"].pk,
                                                           "team_id": world["wz_team"].pk},
                          content_type="application/json")
    assert refused.status_code == 404
    done = client.post(reverse("api:create_dispatch"), {"incident_id": world["yz_incident"].pk,
                                                        "team_id": world["yz_team"].pk},
                       content_type="application/json")
    assert done.status_code == 201, done.content


def test_incident_timeline_shows_dispatch_events(client, world, yuzhong):
    incident, team = world["yz_incident"], world["yz_team"]
    dispatch = dispatching.request_dispatch(user=yuzhong, incident=incident, team=team)
    dispatching.advance(dispatch, "dispatched", user=yuzhong)
    client.force_login(yuzhong)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'data-testid="dispatch-timeline"' in page
    assert 'data-kind="dispatch_requested"' in page and 'data-kind="dispatch_dispatched"' in page
    assert "yz-救援队" in page
    # API: the timeline answer is unchanged in shape (extra key ignored by the schema)
    from citysafe.incidents.selectors import timeline

    events = timeline(incident)["dispatches"]
    assert [e["kind"] for e in events] == ["dispatch_requested", "dispatch_dispatched"]


# --- fix round: popups, plan links, empty warnings, district hint ------------------------------------------------


def test_incident_popup_grade_time_casualties_and_links(client, reference, yuzhong):
    incident = Incident.objects.create(kind="accident", title="未定级事故", lon=YUZHONG[0], lat=YUZHONG[1], deaths=0,
                                       serious_injuries=2, region=_region("500103"),
                                       occurred_at=timezone.make_aware(dt.datetime(2026, 3, 1, 8, 30)))
    client.force_login(yuzhong)
    response = client.get(reverse("command:incident_popup", args=[incident.pk]))
    assert response.status_code == 200
    popup = response.content.decode()
    assert 'data-testid="popup-grade"' in popup and "未定级" in popup
    assert "2026-03-01 08:30" in popup
    assert "死亡 0 人，失踪 0 人，重伤 2 人，被困 0 人" in popup
    assert reverse("incidents:incident_detail", args=[incident.pk]) in popup
    assert f'href="{reverse("plans:for_incident", args=[incident.pk])}"' in popup and "预案与处置卡" in popup
    assert f'href="{reverse("resources:nearest")}?incident={incident.pk}"' in popup and "就近资源" in popup


def test_incident_popup_shows_grade_label(client, reference, yuzhong):
    incident = Incident.objects.create(kind="accident", title="较大事故", lon=YUZHONG[0], lat=YUZHONG[1], deaths=3,
                                       grade="large", region=_region("500103"), occurred_at=timezone.now())
    client.force_login(yuzhong)
    popup = client.get(reverse("command:incident_popup", args=[incident.pk])).content.decode()
    assert "较大事故" in popup and "未定级" not in popup


def test_incident_popup_scoped_and_login_required(client, world, yuzhong):
    url = reverse("command:incident_popup", args=[world["wz_incident"].pk])
    assert client.get(url).status_code == 302
    client.force_login(yuzhong)
    assert client.get(url).status_code == 404  # another district's incident: as if it did not exist
    assert client.get(reverse("command:incident_popup", args=[world["yz_incident"].pk])).status_code == 200


def test_panel_incidents_link_to_plans(client, world, yuzhong):
    client.force_login(yuzhong)
    panel = client.get("/command/panel/").content.decode()
    assert f'href="{reverse("plans:for_incident", args=[world["yz_incident"].pk])}"' in panel
    assert 'data-testid="panel-plans"' in panel and "预案与处置卡" in panel


def test_panel_says_no_active_warning(client, reference, yuzhong):
    client.force_login(yuzhong)
    panel = client.get("/command/panel/").content.decode()
    assert 'data-testid="panel-no-warnings"' in panel and "当前无生效预警" in panel


@pytest.mark.parametrize("role,scoped", [("district_operator", "1"), ("municipal_admin", "0"), ("viewer", "0")])
def test_page_flags_district_users_for_the_mutual_aid_hint(client, reference, role, scoped):
    client.force_login(_user(role))
    response = client.get("/command/")
    page = response.content.decode()
    assert f'data-district-scoped="{scoped}"' in page
    messages = response.context["messages_js"]  # (json_script escapes them in the page)
    assert messages["none_district"] == "本辖区暂无可用队伍，请向市应急局申请跨区支援"  # shown when no team in reach
    assert messages["no_warnings"] == "当前无生效预警"
    assert reverse("command:incident_popup", args=[0]) in page
