"""Who hears about a warning besides the call plan: subscribers (informational, never escalated) and, when the last
tier is silent, the duty people of the government one level up the region tree."""

import pytest

from citysafe.core.models import Organization, Person, Region
from citysafe.early_warning import calls
from citysafe.early_warning.models import CallAttempt, EarlyWarning, Subscription
from citysafe.workplans.models import Supervision
from tests.conftest import make_user
from tests.early_warning.test_calls import T0, _warning, at, world  # noqa: F401 - the shared 叫应 world fixture


def _rows(warning, **kw):
    return CallAttempt.objects.filter(warning=warning, **kw)


def _sub(person, region=None, **kw):
    return Subscription.objects.create(person=person, region=region, **kw)


def test_subscribers_get_one_informational_attempt_per_channel_and_never_escalate(world):  # noqa: F811
    city = Region.objects.get(adcode="500000")
    fan = Person.objects.create(name="关注者", email="fan@example.org")
    _sub(fan, city, min_level="yellow", channels=["in_app", "email"])
    _sub(fan, world["region"], hazard_type="landslide", channels=["email", "webhook"])  # merged: one per channel
    warning = _warning(world)
    assert calls.plan_calls(warning, now=T0) == 2 + 3
    info = _rows(warning, informational=True)
    assert sorted(info.values_list("channel", flat=True)) == ["email", "in_app", "webhook"]
    first = info.first()
    assert (first.person, first.tier, first.target, first.attempt_no, first.due_at, first.escalate_at) == (
        fan, 0, "subscriber", 0, T0, T0)
    assert calls.tick(now=T0)["escalated"] == 0
    assert set(info.values_list("status", flat=True)) <= {"sent", "failed"}
    for t in (300, 600, 900):
        calls.tick(now=at(t))
    assert not info.filter(status="escalated").exists()
    item = Supervision.objects.get(reason=f"叫应失败 warning:{warning.pk}")
    assert "关注者" not in item.description  # informational attempts are not "called" people


def test_matching_region_hazard_and_level(world):  # noqa: F811
    fan = Person.objects.create(name="关注者")
    _sub(fan, Region.objects.get(adcode="500101"))  # another district
    _sub(fan, None, hazard_type="gale")  # another hazard
    _sub(fan, None, min_level="red")  # above the warning
    _sub(fan, None, is_active=False)
    _sub(world["村长"], None)  # already called in this round
    warning = _warning(world, level="orange")
    calls.plan_calls(warning, now=T0)
    assert not _rows(warning, informational=True).exists()
    _sub(fan, None, min_level="orange")  # city-wide, any hazard, from orange
    calls.plan_calls(warning, now=T0)  # a new round: informed once
    assert list(_rows(warning, informational=True).values_list("person__name", "call_round")) == [("关注者", 2)]


def test_subscribers_hear_only_of_warnings_their_account_may_see(world, wanzhou):  # noqa: F811
    person = Person.objects.create(name="万州关注者", user=wanzhou)
    _sub(person, None)
    warning = _warning(world)
    calls.plan_calls(warning, now=T0)
    assert not _rows(warning, informational=True).exists()  # a 渝中区 warning, not public
    EarlyWarning.objects.filter(pk=warning.pk).update(is_public=True)
    calls.plan_calls(warning, now=T0)
    assert _rows(warning, informational=True, person=person).exists()


def _delete(client, token, path):
    return client.delete("/api/v1" + path, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_subscription_api_each_user_their_own(world, yuzhong, wanzhou, admin_user, token_for, api_client,  # noqa: F811
                                              client):
    me = Person.objects.create(name="渝中操作员", user=yuzhong, phone="13812345678")
    them = Person.objects.create(name="万州操作员", user=wanzhou)
    token = token_for(yuzhong)
    api = api_client(token)
    created = api.post("/warnings/subscriptions", {"region_adcode": "500103", "min_level": "orange",
                                                   "channels": ["in_app", "email"]})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["person_id"] == me.pk and body["region_adcode"] == "500103" and "phone" not in body
    assert api.post("/warnings/subscriptions", {"region_adcode": "500101"}).status_code == 403
    assert api.post("/warnings/subscriptions", {}).status_code == 403  # city-wide: municipal only
    assert api.post("/warnings/subscriptions", {"region_adcode": "500103", "person_id": them.pk}).status_code == 403
    assert api.post("/warnings/subscriptions", {"region_adcode": "500103", "channels": ["fax"]}).status_code == 400
    assert api.post("/warnings/subscriptions", {"region_adcode": "500103", "min_level": "x"}).status_code == 400
    theirs = Subscription.objects.create(person=them, region=Region.objects.get(adcode="500101"))
    assert [s["id"] for s in api.get("/warnings/subscriptions").json()] == [body["id"]]
    assert _delete(client, token, f"/warnings/subscriptions/{theirs.pk}").status_code == 404
    admin = api_client(token_for(admin_user))
    assert {s["id"] for s in admin.get("/warnings/subscriptions").json()} == {body["id"], theirs.pk}
    assert admin.post("/warnings/subscriptions", {"person_id": them.pk}).status_code == 201  # admin: anyone, city
    assert admin.post("/warnings/subscriptions", {}).status_code == 400  # the admin has no person of their own
    assert _delete(client, token, f"/warnings/subscriptions/{body['id']}").status_code == 204
    assert not Subscription.objects.filter(pk=body["id"]).exists()
    assert Subscription.history.filter(id=body["id"], history_type="-").get().history_user == yuzhong


def test_subscription_pages(world, yuzhong, client):  # noqa: F811
    Person.objects.create(name="渝中操作员", user=yuzhong)
    client.force_login(yuzhong)
    assert client.get("/early-warning/subscriptions/new/").status_code == 200
    response = client.post("/early-warning/subscriptions/new/", {"region": world["region"].pk, "min_level": "red",
                                                                  "channels": ["in_app"], "hazard_type": ""})
    assert response.status_code == 302
    sub = Subscription.objects.get()
    assert (sub.region, sub.min_level, sub.channels) == (world["region"], "red", ["in_app"])
    page = client.get("/early-warning/subscriptions/").content.decode()
    assert 'data-testid="subscription-delete"' in page
    cell = page.split('data-testid="subscription-channels">')[1].split("</td>")[0]
    assert cell == "站内通知" and "in_app" not in page.split("<tbody>")[1]
    sub.channels = ["in_app", "email", "webhook", "mqtt"]
    sub.save()
    page = client.get("/early-warning/subscriptions/").content.decode()
    assert "站内通知、邮件、Webhook（短信/语音网关）、MQTT 广播" in page
    other = make_user("other", "district_operator", "万州区政府", "500101")
    client.force_login(other)
    assert "subscription-delete" not in client.get("/early-warning/subscriptions/").content.decode()
    assert client.post(f"/early-warning/subscriptions/{sub.pk}/delete/").status_code == 404
    bad = client.post("/early-warning/subscriptions/new/", {"region": world["region"].pk, "min_level": "red",
                                                             "channels": ["in_app"]})
    assert bad.status_code == 200  # 渝中区 is not in 万州's scope: the form refuses the choice
    client.force_login(yuzhong)
    assert client.post(f"/early-warning/subscriptions/{sub.pk}/delete/").status_code == 302
    assert not Subscription.objects.exists()


# --- escalation up the region tree ----------------------------------------------------------------------------------

@pytest.fixture
def city_duty(reference):
    city_gov = Organization.objects.get(name="重庆市人民政府")
    return Person.objects.create(name="市值班员", organization=city_gov, email="city@example.org")


def test_silent_last_tier_calls_the_government_one_level_up_before_failing(world, city_duty):  # noqa: F811
    warning = _warning(world)
    calls.plan_calls(warning, now=T0)
    calls.tick(now=T0)
    calls.tick(now=at(300))  # 村长 silent -> deputy
    assert calls.tick(now=at(600))["next_tier"] == 1  # deputy silent -> township
    stats = calls.tick(now=at(900))  # township silent: the last tier -> the city duty office (渝中区's parent)
    assert stats["upward"] == 1 and stats["supervisions"] == 0
    upward = _rows(warning, person=city_duty)
    assert upward.count() == 1 and upward.get().tier == 2 and upward.get().target == "duty"
    assert upward.get().escalate_at == at(1200)  # the last tier's deadline
    assert calls.tick(now=at(901))["upward"] == 0  # once per round
    stats = calls.tick(now=at(1200))
    assert stats["supervisions"] == 1 and stats["upward"] == 0
    item = Supervision.objects.get(reason=f"叫应失败 warning:{warning.pk}")
    assert "市值班员" in item.description and "镇长" in item.description


def test_an_answer_one_level_up_prevents_the_failure(world, city_duty):  # noqa: F811
    warning = _warning(world, hazard="gale")  # duty-only plan: 渝中区's duty people, then the city
    calls.plan_calls(warning, now=T0)
    assert calls.tick(now=at(300))["upward"] == 1  # both district duty officers silent: the city is called once
    assert set(_rows(warning, person=city_duty).values_list("tier", "attempt_no")) == {(1, 1), (1, 2)}  # + retry
    calls.acknowledge(warning, city_duty, now=at(320))
    assert calls.tick(now=at(2000))["supervisions"] == 0
    assert not Supervision.objects.filter(reason=f"叫应失败 warning:{warning.pk}").exists()


def test_no_one_up_the_tree_keeps_the_old_behaviour(world):  # noqa: F811
    warning = _warning(world, hazard="gale")
    calls.plan_calls(warning, now=T0)
    stats = calls.tick(now=at(300))
    assert stats["upward"] == 0 and stats["supervisions"] == 1
