"""Noise control: silences (Beijing-time windows on a UTC server, weekdays, expiry, ending early), inhibition both
ways, the per-minute re-check, permissions, API and pages."""

import datetime as dt
import os
import time

import pytest
from django.utils import timezone

from citysafe.core.models import Region
from citysafe.early_warning import calls, noise, services, tasks
from citysafe.early_warning.hooks import after_warning_changes
from citysafe.early_warning.models import CallAttempt, EarlyWarning, Silence
from citysafe.workplans.errors import PermissionDenied, WorkplanError
from tests.early_warning.test_calls import T0, at, tier, world  # noqa: F401 - the shared 叫应 world fixture

BJ = dt.timezone(dt.timedelta(hours=8))


def _w(world, level="yellow", hazard="landslide", point=True, **kw):  # noqa: F811
    return EarlyWarning.objects.create(
        source_key=f"test:{hazard}:{level}:{point}", hazard_type=hazard, level=level, headline=f"{hazard}{level}",
        region=world["region"], risk_point=world["point"] if point else None, onset=T0, raised_at=T0, updated_at=T0,
        **kw)


def _silence(region=None, **kw):
    fields = {"reason": "测试静默", "max_level": "orange", "starts_at": T0 - dt.timedelta(days=10),
              "ends_at": T0 + dt.timedelta(days=10), **kw}
    return Silence.objects.create(region=region, **fields)


def _rows(warning, **kw):
    return CallAttempt.objects.filter(warning=warning, **kw)


def _kinds(warning):
    return list(warning.events.order_by("pk").values_list("kind", flat=True))


@pytest.fixture
def _retzset():
    yield
    time.tzset()  # after monkeypatch / settings have restored TZ and TIME_ZONE


@pytest.fixture
def utc_server(_retzset, monkeypatch, settings):
    """The process and Django both in UTC, as on a server nobody configured."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    settings.TIME_ZONE = "UTC"
    assert os.environ["TZ"] == "UTC" and time.localtime(0).tm_hour == 0
    assert timezone.get_current_timezone_name() == "UTC"


# --- silences -------------------------------------------------------------------------------------------------------

def test_beijing_window_silences_on_a_utc_server(world, utc_server):  # noqa: F811
    night = _silence(world["region"], window_start=dt.time(22, 0), window_end=dt.time(6, 0))
    warning = _w(world, level="yellow")
    at_2330_beijing = dt.datetime(2026, 7, 1, 15, 30, tzinfo=dt.UTC)
    assert at_2330_beijing.astimezone(BJ).hour == 23
    assert calls.plan_calls(warning, now=at_2330_beijing) == 0
    warning.refresh_from_db()
    assert warning.silenced_by == night and _kinds(warning) == ["silenced"]
    assert not _rows(warning).exists()
    at_0700_beijing = dt.datetime(2026, 6, 30, 23, 0, tzinfo=dt.UTC)  # 23:00 UTC the previous day
    assert at_0700_beijing.astimezone(BJ).strftime("%d %H:%M") == "01 07:00"
    assert noise.matching_silence(warning, at_0700_beijing) is None
    assert calls.plan_calls(warning, now=at_0700_beijing) > 0
    warning.refresh_from_db()
    assert warning.silenced_by is None and _kinds(warning) == ["silenced", "unsilenced"]
    assert _rows(warning, person=world["村长"], status="pending").exists()


def test_window_boundaries_and_weekdays():
    fri_nights = Silence(window_start=dt.time(22, 0), window_end=dt.time(6, 0), weekdays="5")
    bj = lambda d, h, m=0: dt.datetime(2026, 7, d, h, m, tzinfo=BJ)  # noqa: E731 - 2026-07-03 is a Friday
    assert noise.in_window(fri_nights, bj(3, 22))  # Friday 22:00 (start inclusive)
    assert noise.in_window(fri_nights, bj(4, 5, 59))  # Saturday early morning belongs to Friday night
    assert not noise.in_window(fri_nights, bj(4, 6))  # end exclusive
    assert not noise.in_window(fri_nights, bj(3, 1))  # Friday early morning belongs to Thursday night
    assert not noise.in_window(fri_nights, bj(4, 23))  # Saturday night
    assert not noise.in_window(fri_nights, bj(3, 21, 59))
    office = Silence(window_start=dt.time(9, 0), window_end=dt.time(17, 30), weekdays="12345")
    assert noise.in_window(office, bj(3, 9)) and not noise.in_window(office, bj(3, 17, 30))
    assert not noise.in_window(office, bj(4, 10))  # Saturday
    assert noise.in_window(Silence(weekdays="6"), bj(4, 0)) and not noise.in_window(Silence(weekdays="6"), bj(3, 23))
    assert noise.in_window(Silence(), bj(4, 3))  # no window: all day


def test_silence_matches_region_subtree_hazard_and_level(world):  # noqa: F811
    city = Region.objects.get(adcode="500000")
    warning = _w(world, level="orange")
    assert noise.matching_silence(warning, T0) is None
    city_wide = _silence(city, hazard_type="landslide", max_level="yellow")
    assert noise.matching_silence(warning, T0) is None  # orange > yellow
    city_wide.max_level = "orange"
    city_wide.save()
    assert noise.matching_silence(warning, T0) == city_wide  # the city is an ancestor of 渝中区
    other = _silence(Region.objects.get(adcode="500101"), max_level="red")
    gale = _silence(None, hazard_type="gale", max_level="red")
    city_wide.delete()
    assert noise.matching_silence(warning, T0) is None and other and gale
    blank = _silence(None, max_level="red", starts_at=at(60))
    assert noise.matching_silence(warning, T0) is None  # not started yet
    assert noise.matching_silence(warning, at(60)) == blank
    assert noise.matching_silence(warning, blank.ends_at) is None  # expired (ends_at exclusive)


def test_expired_silence_releases_the_warning_with_calls(world):  # noqa: F811
    silence = _silence(world["region"], ends_at=at(3600))
    warning = _w(world)
    assert calls.plan_calls(warning, now=T0) == 0
    assert noise.recheck_silences(now=at(60)) == {"silenced": 0, "unsilenced": 0, "moved": 0}
    stats = noise.recheck_silences(now=at(3600))
    assert stats["unsilenced"] == 1
    warning.refresh_from_db()
    assert warning.silenced_by is None and _kinds(warning) == ["silenced", "unsilenced"]
    assert _rows(warning, status="pending", due_at=at(3600)).exists()
    assert noise.recheck_silences(now=at(3700))["unsilenced"] == 0  # idempotent
    assert silence.silenced_warnings.count() == 0


def test_a_silenced_warning_gets_its_calls_when_the_silence_ends_via_the_task(world):  # noqa: F811
    now = timezone.now()
    silence = _silence(world["region"], starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=1))
    warning = _w(world)
    calls.plan_calls(warning)
    warning.refresh_from_db()
    assert warning.silenced_by == silence and not _rows(warning).exists()
    tasks.noise_tick.call_local()
    assert not _rows(warning).exists()  # still silenced
    Silence.objects.filter(pk=silence.pk).update(ends_at=timezone.now() - dt.timedelta(seconds=1))
    tasks.noise_tick.call_local()
    warning.refresh_from_db()
    assert warning.silenced_by is None and _rows(warning, person=world["村长"], status="pending").exists()


def test_deleting_a_silence_releases_its_warnings(world):  # noqa: F811
    silence = _silence(world["region"])
    warning = _w(world)
    calls.plan_calls(warning, now=T0)
    silence.delete()  # silenced_by is SET_NULL: the event trail tells the task it was silenced
    assert noise.recheck_silences(now=at(60))["unsilenced"] == 1
    assert _rows(warning, status="pending").exists() and _kinds(warning)[-1] == "unsilenced"


def test_a_new_silence_mutes_running_calls_and_ending_it_early_calls_again(world, admin_user,  # noqa: F811
                                                                          django_capture_on_commit_callbacks):
    warning = _w(world)
    calls.plan_calls(warning)
    assert _rows(warning, status="pending").exists()
    with django_capture_on_commit_callbacks(execute=True):
        silence = noise.create_silence(user=admin_user, region=world["region"], reason="演练",
                                       ends_at=timezone.now() + dt.timedelta(hours=2), max_level="yellow")
    warning.refresh_from_db()
    assert warning.silenced_by == silence and not _rows(warning, status="pending").exists()
    assert silence.history.first().history_user == admin_user  # audited
    with django_capture_on_commit_callbacks(execute=True):
        noise.end_silence(user=admin_user, silence=silence)
    warning.refresh_from_db()
    assert warning.silenced_by is None and _rows(warning, status="pending").exists()
    assert _kinds(warning) == ["silenced", "unsilenced"]


# --- inhibition -----------------------------------------------------------------------------------------------------

def test_a_higher_region_wide_warning_inhibits_a_new_lower_one(world):  # noqa: F811
    red = _w(world, level="red", point=False)
    yellow = _w(world, level="yellow")
    assert calls.plan_calls(yellow, now=T0) == 0
    yellow.refresh_from_db()
    assert yellow.suppressed_by == red and _kinds(yellow) == ["suppressed"]
    assert yellow.group_key == red.group_key
    # another hazard type or a higher warning of another risk point does not cover it
    other_point = _w(world, level="red", hazard="gale")
    assert not noise.covers(other_point, yellow)
    from citysafe.hazards.models import RiskPoint

    elsewhere = RiskPoint.objects.create(code="FX-OTHER", name="另一点", kind="landslide", region=world["region"],
                                         lon=106.5, lat=29.5)
    higher_elsewhere = EarlyWarning.objects.create(source_key="test:elsewhere", hazard_type="landslide", level="red",
                                                   headline="x", region=world["region"], risk_point=elsewhere)
    assert not noise.covers(higher_elsewhere, yellow) and noise.covers(red, yellow)
    assert not noise.covers(yellow, red)


def test_raising_a_higher_warning_stops_the_lower_and_its_end_releases_it(world, django_capture_on_commit_callbacks):  # noqa: F811
    yellow = _w(world, level="yellow")
    with django_capture_on_commit_callbacks(execute=True):
        after_warning_changes([(yellow.pk, "raised")])
    assert _rows(yellow, status="pending").exists()
    red = _w(world, level="red", point=False)
    with django_capture_on_commit_callbacks(execute=True):
        after_warning_changes([(red.pk, "raised")])
    yellow.refresh_from_db()
    assert yellow.suppressed_by == red and not _rows(yellow, status="pending").exists()
    calls.tick(now=timezone.now() + dt.timedelta(hours=2))
    assert not _rows(yellow).exclude(status="cancelled").exists()  # the round is closed: nothing sent or escalated
    # meanwhile the region-wide red warning reaches the risk point through its sector child (行业+气象)
    child = red.children.get()
    assert child.risk_point == world["point"] and _rows(child, person=world["村长"], level="red").exists()
    # the inhibitor ends: the lower warning is released and called again
    with django_capture_on_commit_callbacks(execute=True):
        services.end_warning(user=None, warning=red, kind="cancelled")
    yellow.refresh_from_db()
    assert yellow.suppressed_by is None and _kinds(yellow)[-2:] == ["suppressed", "unsuppressed"]
    assert _rows(yellow, status="pending", call_round=yellow.call_round).exists()


def test_downgrading_the_inhibitor_to_the_same_level_releases(world, django_capture_on_commit_callbacks):  # noqa: F811
    orange = _w(world, level="orange")
    red = EarlyWarning.objects.create(source_key="device:99", hazard_type="landslide", level="red", headline="红",
                                      region=world["region"], risk_point=world["point"])
    calls.plan_calls(orange)
    with django_capture_on_commit_callbacks(execute=True):
        after_warning_changes([(red.pk, "raised")])  # same risk point: covers
    orange.refresh_from_db()
    assert orange.suppressed_by == red
    EarlyWarning.objects.filter(pk=red.pk).update(level="red")  # an upgrade of the inhibitor changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        after_warning_changes([(red.pk, "upgraded")])
    orange.refresh_from_db()
    assert orange.suppressed_by == red
    EarlyWarning.objects.filter(pk=red.pk).update(level="orange")
    with django_capture_on_commit_callbacks(execute=True):
        after_warning_changes([(red.pk, "downgraded")])
    orange.refresh_from_db()
    assert orange.suppressed_by is None and _rows(orange, status="pending").exists()


def test_sector_children_are_not_inhibited_by_their_parent(world):  # noqa: F811
    parent = _w(world, level="red", point=False)
    child = _w(world, level="yellow", parent=parent)  # e.g. the moment between a parent's upgrade and the child's
    assert not noise.covers(parent, child)


# --- permissions, API, pages ----------------------------------------------------------------------------------------

def test_silence_permissions(world, admin_user, yuzhong, wanzhou, viewer):  # noqa: F811
    ends = timezone.now() + dt.timedelta(hours=1)
    own = noise.create_silence(user=yuzhong, region=world["region"], reason="本区演练", ends_at=ends)
    assert own.created_by == yuzhong
    with pytest.raises(PermissionDenied):
        noise.create_silence(user=wanzhou, region=world["region"], reason="x", ends_at=ends)
    with pytest.raises(PermissionDenied):
        noise.create_silence(user=yuzhong, region=None, reason="x", ends_at=ends)  # city-wide: municipal only
    with pytest.raises(PermissionDenied):
        noise.create_silence(user=viewer, region=world["region"], reason="x", ends_at=ends)
    with pytest.raises(PermissionDenied):
        noise.end_silence(user=wanzhou, silence=own)
    with pytest.raises(WorkplanError, match="原因"):
        noise.create_silence(user=admin_user, reason="  ", ends_at=ends)
    with pytest.raises(WorkplanError, match="晚于"):
        noise.create_silence(user=admin_user, reason="x", ends_at=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(WorkplanError, match="同时"):
        noise.create_silence(user=admin_user, reason="x", ends_at=ends, window_start=dt.time(22))
    with pytest.raises(WorkplanError, match="星期"):
        noise.create_silence(user=admin_user, reason="x", ends_at=ends, weekdays="08")
    assert list(noise.silences_for(wanzhou)) == [] and list(noise.silences_for(yuzhong)) == [own]
    noise.end_silence(user=admin_user, silence=own)
    with pytest.raises(WorkplanError, match="已结束"):
        noise.end_silence(user=yuzhong, silence=own)


def test_silence_api(world, yuzhong, wanzhou, token_for, api_client):  # noqa: F811
    api = api_client(token_for(yuzhong))
    ends = (timezone.now() + dt.timedelta(hours=48)).astimezone(BJ).replace(tzinfo=None, microsecond=0)
    payload = {"reason": "夜间演练", "ends_at": ends.isoformat(), "region_adcode": "500103",
               "window_start": "22:00", "window_end": "06:00", "weekdays": "12345", "max_level": "yellow"}
    response = api.post("/warnings/silences", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["region_adcode"] == "500103" and body["created_by"] == "yuzhong"
    assert body["ends_at"].startswith(ends.isoformat()) and body["ends_at"].endswith("+08:00")
    assert api.post("/warnings/silences", {**payload, "region_adcode": "500101"}).status_code == 403
    assert api.post("/warnings/silences", {**payload, "region_adcode": "999999"}).status_code == 400
    assert api.post("/warnings/silences", {**payload, "max_level": "purple"}).status_code == 400
    assert api.post("/warnings/silences", {**payload, "reason": ""}).status_code == 400
    assert [s["id"] for s in api.get("/warnings/silences").json()] == [body["id"]]
    other = api_client(token_for(wanzhou))
    assert other.get("/warnings/silences").json() == []
    assert other.post(f"/warnings/silences/{body['id']}/end").status_code == 404
    ended = api.post(f"/warnings/silences/{body['id']}/end")
    assert ended.status_code == 200 and ended.json()["active"] is False
    assert api.post(f"/warnings/silences/{body['id']}/end").status_code == 400


def test_silence_pages(world, yuzhong, viewer, client):  # noqa: F811
    client.force_login(yuzhong)
    assert client.get("/early-warning/silences/new/").status_code == 200
    ends = (timezone.now() + dt.timedelta(hours=48)).astimezone(BJ).replace(tzinfo=None, second=0, microsecond=0)
    bad = client.post("/early-warning/silences/new/", {"region": world["region"].pk, "max_level": "blue",
                                                       "reason": "", "ends_at": ends.strftime("%Y-%m-%dT%H:%M")})
    assert bad.status_code == 200 and "text-danger" in bad.content.decode()
    response = client.post("/early-warning/silences/new/", {
        "region": world["region"].pk, "max_level": "blue", "reason": "夜间", "ends_at": ends.strftime("%Y-%m-%dT%H:%M"),
        "window_start": "22:00", "window_end": "06:00", "weekdays": ["1", "5"]})
    assert response.status_code == 302
    silence = Silence.objects.get(reason="夜间")
    assert silence.weekdays == "15" and silence.ends_at == ends.replace(tzinfo=BJ)
    page = client.get("/early-warning/silences/").content.decode()
    assert "夜间" in page and 'data-testid="silence-end"' in page
    assert client.post(f"/early-warning/silences/{silence.pk}/end/").status_code == 302
    silence.refresh_from_db()
    assert silence.ends_at <= timezone.now()
    client.force_login(viewer)
    assert client.get("/early-warning/silences/new/").status_code == 403


def test_noise_panel_shows_inhibitor_and_silence(world, admin_user, client):  # noqa: F811
    red = _w(world, level="red", point=False)
    yellow = _w(world, level="yellow")
    calls.plan_calls(yellow, now=T0)
    client.force_login(admin_user)
    page = client.get(f"/early-warning/{yellow.pk}/noise/").content.decode()
    assert 'data-testid="noise-suppressed"' in page and f"/early-warning/{red.pk}/" in page
    silence = _silence(world["region"], max_level="red", created_by=admin_user)
    blue = _w(world, level="blue", hazard="gale")
    calls.plan_calls(blue, now=T0)
    page = client.get(f"/early-warning/{blue.pk}/noise/").content.decode()
    assert 'data-testid="noise-silenced"' in page and silence.reason in page and "cityadmin" in page
    assert client.get(f"/early-warning/{red.pk}/noise/").content.decode().strip() == ""  # nothing to say


# --- fix round: offsets, district limits, issuer scope, ending, equal windows -----------------------------------------

def _in(hours):
    return timezone.now() + dt.timedelta(hours=hours)


def test_window_times_with_an_offset_are_converted_to_beijing(world, yuzhong, token_for, api_client):  # noqa: F811
    api = api_client(token_for(yuzhong))
    payload = {"reason": "早班", "ends_at": _in(24).isoformat(), "region_adcode": "500103",
               "window_start": "08:00+08:00", "window_end": "00:00Z"}  # 00:00 UTC = 08:00 Beijing... equal
    refused = api.post("/warnings/silences", payload)
    assert refused.status_code == 400 and "不能相同" in refused.json()["detail"]
    created = api.post("/warnings/silences", {**payload, "window_end": "10:00Z"})  # 10:00 UTC = 18:00 Beijing
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["window_start"], body["window_end"]) == ("08:00:00", "18:00:00")
    silence = Silence.objects.get(pk=body["id"])
    assert silence.window_start == dt.time(8) and silence.window_end == dt.time(18)
    assert api.post("/warnings/silences", {**payload, "window_start": "23:30-05:00",
                                           "window_end": "13:00"}).json()["window_start"] == "12:30:00"


def test_district_silences_are_limited_in_level_and_duration(world, admin_user, yuzhong, settings):  # noqa: F811
    region = world["region"]
    with pytest.raises(PermissionDenied, match="最高只能静默"):
        noise.create_silence(user=yuzhong, region=region, reason="x", max_level="red", ends_at=_in(1))
    with pytest.raises(PermissionDenied):
        noise.create_silence(user=yuzhong, region=region, reason="x", max_level="orange", ends_at=_in(1))
    with pytest.raises(WorkplanError, match="72 小时"):
        noise.create_silence(user=yuzhong, region=region, reason="x", ends_at=dt.datetime(9999, 12, 31))
    with pytest.raises(WorkplanError, match="72 小时"):
        noise.create_silence(user=yuzhong, region=region, reason="x", ends_at=_in(73))
    assert noise.create_silence(user=yuzhong, region=region, reason="x", max_level="yellow", ends_at=_in(71))
    assert noise.create_silence(user=admin_user, reason="x", max_level="red", ends_at=_in(29 * 24))
    with pytest.raises(WorkplanError, match="720 小时"):
        noise.create_silence(user=admin_user, reason="x", ends_at=_in(31 * 24))
    with pytest.raises(WorkplanError, match="小时"):
        noise.create_silence(user=admin_user, reason="x", ends_at=dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC))
    assert noise.DEFAULT_SILENCE_MAX_HOURS == {"district": 72, "city": 720}
    settings.CITYSAFE_SILENCE_MAX_HOURS = {"district": 2}
    settings.CITYSAFE_WARNING_ISSUE_LEVELS = {"district": ["blue", "yellow", "orange"], "city": ["red"]}
    with pytest.raises(WorkplanError, match="2 小时"):
        noise.create_silence(user=yuzhong, region=region, reason="x", ends_at=_in(3))
    assert noise.create_silence(user=yuzhong, region=region, reason="x", max_level="orange", ends_at=_in(1))
    assert noise.silence_levels(yuzhong) == ["blue", "yellow", "orange"]


def test_silence_form_offers_only_allowed_levels_and_shows_field_errors(world, yuzhong, client):  # noqa: F811
    client.force_login(yuzhong)
    page = client.get("/early-warning/silences/new/").content.decode()
    assert 'value="yellow"' in page and 'value="red"' not in page
    ends = (timezone.now() + dt.timedelta(hours=100)).astimezone(BJ).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/early-warning/silences/new/", {"region": world["region"].pk, "max_level": "blue",
                                                            "reason": "长期", "ends_at": ends})
    assert response.status_code == 200 and "72 小时" in response.content.decode()
    assert "ends_at" in response.context["form"].errors and not Silence.objects.exists()


def _issued(world, key, **kw):  # noqa: F811
    return EarlyWarning.objects.create(source_key=key, hazard_type="landslide", level="yellow", headline=key,
                                       region=world["region"], onset=T0, raised_at=T0, updated_at=T0, **kw)


def test_a_district_silence_never_mutes_warnings_issued_outside_the_district(world, yuzhong, admin_user):  # noqa: F811
    from citysafe.core.models import Organization

    city_org = Organization.objects.create(name="市应急管理局(测试)", kind="government",
                                           region=Region.objects.get(adcode="500000"))
    city_manual = _issued(world, "manual:city", issuer=city_org)
    city_cap = _issued(world, "cap:50000000000000:50000000000000_20260701080000_1",
                       cap_identifier="50000000000000_20260701080000_1")
    district_cap = _issued(world, "cap:50010300000000:x", cap_identifier="50010300000000_20260701080000_1")
    hashed_city_cap = _issued(world, "cap:sha256:abc", cap_identifier="50000000000000_20260701080000_2")
    unknown_cap = _issued(world, "cap:someone:else")
    own_manual = _issued(world, "manual:own", issuer=world["gov"])  # 测试叫应区政府, in 渝中区
    no_issuer_manual = _issued(world, "manual:orphan")
    sensor = _issued(world, "device:1")
    child_of_city = _issued(world, "sector:1:1", parent=city_cap, risk_point=world["point"])
    district = Silence.objects.create(region=world["region"], max_level="yellow", reason="区县",
                                      starts_at=T0 - dt.timedelta(hours=1), ends_at=T0 + dt.timedelta(hours=1),
                                      created_by=yuzhong)
    muted = {w.source_key for w in EarlyWarning.objects.all() if noise.matching_silence(w, T0) == district}
    assert muted == {district_cap.source_key, own_manual.source_key, sensor.source_key}
    for w in (city_manual, city_cap, hashed_city_cap, unknown_cap, no_issuer_manual, child_of_city):
        assert noise.matching_silence(w, T0) is None
    assert noise.issuing_region_path(sensor) is None and noise.issuing_region_path(city_manual) == city_org.region.path
    # the per-minute check agrees: the city's warning keeps its calls
    calls.plan_calls(city_manual, now=T0)
    noise.recheck_silences(now=T0)
    city_manual.refresh_from_db()
    sensor.refresh_from_db()
    assert city_manual.silenced_by is None and sensor.silenced_by == district
    # a municipal administrator's silence mutes them all
    district.delete()
    city = _silence(world["region"], max_level="yellow", created_by=admin_user)
    assert noise.matching_silence(city_manual, T0) == city and noise.matching_silence(child_of_city, T0) == city


def test_only_who_may_end_a_silence_sees_the_button(world, admin_user, yuzhong, client):  # noqa: F811
    city_wide = _silence(None, created_by=admin_user, ends_at=_in(5))
    own = _silence(world["region"], created_by=yuzhong, ends_at=_in(5))
    assert not noise.can_end_silence(yuzhong, city_wide) and noise.can_end_silence(yuzhong, own)
    with pytest.raises(PermissionDenied, match="只能结束本辖区的静默规则"):
        noise.end_silence(user=yuzhong, silence=city_wide)
    client.force_login(yuzhong)
    page = client.get("/early-warning/silences/").content.decode()
    assert page.count('data-testid="silence-end"') == 1
    row = page.split(f'id="silence-{city_wide.pk}"')[1].split("</tr>")[0]
    assert "silence-end" not in row
    refused = client.post(f"/early-warning/silences/{city_wide.pk}/end/", follow=True).content.decode()
    assert "只能结束本辖区的静默规则" in refused and "只能为本辖区设置静默" not in refused
    city_wide.refresh_from_db()
    assert city_wide.ends_at > timezone.now()
    client.force_login(admin_user)
    assert client.get("/early-warning/silences/").content.decode().count('data-testid="silence-end"') == 2


def test_a_window_whose_start_equals_its_end_is_refused(world, admin_user, client):  # noqa: F811
    with pytest.raises(WorkplanError, match="不能相同") as info:
        noise.create_silence(user=admin_user, reason="x", ends_at=_in(2), window_start=dt.time(8),
                             window_end=dt.time(8))
    assert info.value.field == "window_end"
    client.force_login(admin_user)
    ends = (timezone.now() + dt.timedelta(hours=5)).astimezone(BJ).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/early-warning/silences/new/", {"max_level": "blue", "reason": "同一时刻", "ends_at": ends,
                                                            "window_start": "08:00", "window_end": "08:00"})
    assert response.status_code == 200 and "window_end" in response.context["form"].errors
    legacy = _silence(world["region"], window_start=dt.time(8), window_end=dt.time(8), ends_at=_in(5))
    assert noise.in_window(legacy, timezone.now())  # rows from before the fix read as all day
    row = client.get("/early-warning/silences/").content.decode().split(f'id="silence-{legacy.pk}"')[1]
    assert "08:00–08:00" not in row.split("</tr>")[0] and "全天" in row.split("</tr>")[0]


def test_noise_texts_use_full_width_punctuation():
    import re
    from pathlib import Path

    root = Path(noise.__file__).parent
    files = [root / "noise.py", root / "views_noise.py", root / "api_noise.py"] + [
        root / "templates" / "early_warning" / n for n in (
            "silence_form.html", "silence_list.html", "subscription_form.html", "subscription_list.html",
            "_noise_panel.html")]
    ascii_in_chinese = re.compile(r"[\u4e00-\u9fff][,;:][^/]|[,;:] ?[\u4e00-\u9fff]")
    for path in files:
        for literal in re.findall(r'"([^"\n]*[\u4e00-\u9fff][^"\n]*)"', path.read_text()):
            assert not ascii_in_chinese.search(literal), (path.name, literal)
