"""HTTP batch ingest (POST /api/v1/readings) and the scoped device/readings reads.

Until the monitoring router is mounted in ``citysafe.api`` these tests mount it on a test API of their own.
"""

import json
from datetime import timedelta

import pytest
from django.urls import Resolver404, path, resolve
from django.utils import timezone

from citysafe.monitoring.models import DeadLetter, Device, Reading

pytestmark = [pytest.mark.django_db(databases="__all__")]


def _test_urlpatterns():
    import citysafe.urls

    try:
        resolve("/api/v1/readings", urlconf=citysafe.urls)
        return citysafe.urls.urlpatterns  # mounted by citysafe.api: test the real thing
    except Resolver404:
        from ninja import NinjaAPI

        from citysafe import api as root
        from citysafe.core.auth import API_AUTH
        from citysafe.monitoring.api import router

        api = NinjaAPI(urls_namespace="monitoring_test_api", auth=API_AUTH)
        api.add_router("/", router)
        api._exception_handlers.update(root.api._exception_handlers)
        return [path("api/v1/", api.urls)]


urlpatterns = _test_urlpatterns()


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = __name__


@pytest.fixture
def devices(reference):
    from citysafe.core.models import Region

    yz = Device.objects.create(external_id="YZ-RG-1", name="渝中雨量计", kind="rain_gauge",
                               region=Region.objects.filter(adcode="500103").first())
    wz = Device.objects.create(external_id="WZ-RG-1", name="万州雨量计", kind="rain_gauge",
                               region=Region.objects.filter(adcode="500101").first())
    return yz, wz


def reading(device, minutes_ago=5, value=1.5, **extra):
    return {"device": device, "metric": "precipitation_mm", "value": value,
            "time": (timezone.now() - timedelta(minutes=minutes_ago)).isoformat(), **extra}


def test_post_readings_202_with_counts(api_client, token_for, yuzhong, devices):
    api = api_client(token_for(yuzhong))
    body = {"readings": [reading("YZ-RG-1", 5), reading("YZ-RG-1", 10), reading("YZ-RG-1", 15, value=-3)]}
    response = api.post("/readings", body)
    assert response.status_code == 202, response.content
    assert response.json() == {"stored": 2, "duplicates": 0, "dead_letters": 1}
    assert DeadLetter.objects.get().source == "http"
    again = api.post("/readings", body)
    assert again.json() == {"stored": 0, "duplicates": 2, "dead_letters": 1}
    assert Reading.objects.count() == 2


@pytest.mark.parametrize(("raw", "detail"), [
    (b"{not json", "body is not JSON"),
    (b'[{"device": "YZ-RG-1"}]', 'body must be an object {"readings": [...]}'),
    (b'{"readings": {}}', 'body must be an object {"readings": [...]}'),
    (b'{"readings": []}', "no readings"),
    (b'{"readings": [{"metric": "precipitation_mm"}]}', 'readings[0] is not an object with a "device" string'),
    (b'{"readings": [42]}', 'readings[0] is not an object with a "device" string'),
])
def test_bad_body_is_400_and_kept_as_a_dead_letter(client, token_for, yuzhong, devices, raw, detail):
    response = client.post("/api/v1/readings", raw, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {token_for(yuzhong)}")
    assert response.status_code == 400
    assert response.json() == {"detail": detail}
    letter = DeadLetter.objects.get()
    assert (letter.source, letter.payload, letter.reason) == ("http", raw.decode(), detail)


def test_too_many_readings_is_400(api_client, token_for, admin_user, devices):
    body = {"readings": [reading("YZ-RG-1", i / 1000) for i in range(10_001)]}
    response = api_client(token_for(admin_user)).post("/readings", body)
    assert response.status_code == 400 and "more than 10000" in response.json()["detail"]


def test_out_of_scope_device_refuses_the_whole_batch(api_client, token_for, yuzhong, devices):
    api = api_client(token_for(yuzhong))
    response = api.post("/readings", {"readings": [reading("YZ-RG-1"), reading("WZ-RG-1")]})
    assert response.status_code == 403
    assert response.json() == {"detail": "devices not in your scope: WZ-RG-1"}
    # an unknown device gets the same answer, so the response does not reveal which devices exist
    assert api.post("/readings", {"readings": [reading("NOPE-1")]}).json() == {
        "detail": "devices not in your scope: NOPE-1"}
    assert Reading.objects.count() == 0 and DeadLetter.objects.count() == 0


def test_municipal_user_may_post_for_any_device_and_unknown_ones_dead_letter(api_client, token_for, admin_user,
                                                                             devices):
    response = api_client(token_for(admin_user)).post(
        "/readings", {"readings": [reading("YZ-RG-1"), reading("WZ-RG-1"), reading("NOPE-1")]})
    assert response.status_code == 202
    assert response.json() == {"stored": 2, "duplicates": 0, "dead_letters": 1}
    assert DeadLetter.objects.get().reason == "readings[2]: unknown device 'NOPE-1'"


def test_viewer_may_not_post(api_client, token_for, viewer, devices):
    assert api_client(token_for(viewer)).post("/readings", {"readings": [reading("YZ-RG-1")]}).status_code == 403


def test_no_token_is_401(api_client, devices):
    response = api_client().post("/readings", {"readings": [reading("YZ-RG-1")]})
    assert response.status_code == 401
    assert api_client("cs_wrong").get("/devices").status_code == 401
    assert Reading.objects.count() == 0


def test_devices_and_readings_are_scoped(api_client, token_for, yuzhong, admin_user, devices):
    admin = api_client(token_for(admin_user))
    admin.post("/readings", {"readings": [reading("YZ-RG-1", m, value=m / 10) for m in (30, 20, 10)]
                             + [reading("WZ-RG-1", 5)]})
    mine = api_client(token_for(yuzhong))
    listed = mine.get("/devices").json()
    assert [d["external_id"] for d in listed] == ["YZ-RG-1"]
    assert listed[0]["region"] == "500103" and listed[0]["last_values"]["precipitation_mm"]["value"] == 1.0
    assert len(admin.get("/devices").json()) == 2
    rows = mine.get("/devices/YZ-RG-1/readings").json()
    assert [r["value"] for r in rows] == [3.0, 2.0, 1.0]  # time order
    assert [r["value"] for r in mine.get("/devices/YZ-RG-1/readings", limit=2).json()] == [2.0, 1.0]
    since = (timezone.now() - timedelta(minutes=25)).isoformat()
    assert [r["value"] for r in mine.get("/devices/YZ-RG-1/readings", since=since,
                                         metric="precipitation_mm").json()] == [2.0, 1.0]
    assert mine.get("/devices/YZ-RG-1/readings", metric="depth_cm").json() == []
    assert mine.get("/devices/WZ-RG-1/readings").status_code == 404


def test_openapi_documents_the_body(client, reference):
    schema = client.get("/api/v1/openapi.json").json()
    body = schema["paths"]["/api/v1/readings"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["readings"]["maxItems"] == 10_000
    assert "/api/v1/devices/{external_id}/readings" in schema["paths"]


def test_body_is_not_reserialised(api_client, token_for, admin_user, devices):
    """Per-reading dead letters keep that reading's JSON."""
    bad = reading("YZ-RG-1", value="lots")
    api_client(token_for(admin_user)).post("/readings", {"readings": [bad]})
    assert json.loads(DeadLetter.objects.get().payload) == bad
