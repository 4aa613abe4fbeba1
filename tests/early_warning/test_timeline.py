"""One timeline per warning: events, calls, acknowledgements, actions, reports, CAP and the closing feedback, in
time order; its counts; what other regions see of a public warning; the detail page panel."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from citysafe.early_warning import calls, response, timeline
from citysafe.early_warning.models import CapMessage, EarlyWarning, ResponseAction, WarningEvent
from tests.early_warning.test_response import loop, png  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(loop, yuzhong):  # noqa: F811
    """A red warning raised 3 hours ago, called, acknowledged, acted upon, cleared, reported and closed."""
    t0 = timezone.now().replace(microsecond=0) - dt.timedelta(hours=3)

    def at(**delta):
        return t0 + dt.timedelta(**delta)

    warning = EarlyWarning.objects.create(source_key="manual:timeline", hazard_type="landslide", level="red",
                                          headline="时间线测试红色预警", region=loop["region"], risk_point=loop["point"],
                                          onset=t0, raised_at=t0, updated_at=t0)
    WarningEvent.objects.create(warning=warning, kind="raised", level="red", value=88.5, at=t0)
    CapMessage.objects.create(direction="out", identifier="CAP-TL-1", msg_type="Alert", sent=at(seconds=5),
                              xml="<alert/>", warning=warning)
    calls.plan_calls(warning, now=at(seconds=10))
    calls.tick(now=at(seconds=10))
    response.open_actions(warning, now=at(seconds=20))
    calls.acknowledge(warning, loop["village"], "in_app", now=at(seconds=60))
    actions = {a.kind: a for a in ResponseAction.objects.filter(warning=warning)}
    response.report_action(user=loop["user"], action=actions["evacuate"], evacuated=42, note="转移到村小学",
                           photos=[png()], now=at(minutes=30))
    EarlyWarning.objects.filter(pk=warning.pk).update(status="cleared", ended_at=at(hours=2))
    WarningEvent.objects.create(warning=warning, kind="cleared", previous_level="red", at=at(hours=2))
    calls.stop_calls(warning, "cleared")
    warning.refresh_from_db()
    response.report_action(user=yuzhong, action=actions["shutdown"], note="景区关闭", now=at(hours=2, minutes=1))
    response.close_warning(user=yuzhong, warning=warning, feedback="42人安全转移, 无人员伤亡",
                           now=at(hours=2, minutes=5))
    warning.refresh_from_db()
    return {"warning": warning, "at": at, "actions": actions, **loop}


def test_the_timeline_merges_everything_in_time_order(story):
    items = timeline.build_timeline(story["warning"])
    kinds = [i.kind for i in items]
    assert kinds == ["raised", "cap", "call_sent", "action_opened", "action_opened", "action_opened",
                     "action_opened", "ack", "report", "action_overdue", "action_overdue", "cleared",
                     "action_overdue", "report", "closed"]
    assert [i.at for i in items] == sorted(i.at for i in items)
    by_kind = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    assert by_kind["raised"][0].detail.startswith("红色(I级)") and "88.5" in by_kind["raised"][0].detail
    call = by_kind["call_sent"][0]
    assert call.actor == "李村长" and "站内通知 第1次" in call.detail and "已送达" in call.detail
    assert "in_app" not in call.detail and "+00:00" not in call.detail and "in-app" in call.title
    sent = timezone.localtime(story["at"](seconds=10)).strftime("%H:%M:%S")
    assert sent in call.detail  # Beijing time
    assert by_kind["cap"][0].label == "CAP 报文(Alert)发出"
    ack = by_kind["ack"][0]
    assert (ack.actor, ack.css, ack.at) == ("李村长", "text-success", story["at"](seconds=60))
    evacuation = by_kind["report"][0]
    assert "转移 42 人" in evacuation.detail and "转移到村小学" in evacuation.detail and len(evacuation.photos) == 1
    assert evacuation.actor == "李村长" and evacuation.label == "执行反馈：转移受威胁风险点人员"
    overdue = [i.label for i in by_kind["action_overdue"]]
    assert overdue == ["措施超时：值班人员到岗到位", "措施超时：停工停业、关闭景区和在建工地(熔断)",
                       "措施超时：加密巡查、专人值守"]
    assert by_kind["cap"][0].detail == "CAP-TL-1"
    closed = by_kind["closed"][0]
    assert (closed.actor, closed.detail) == ("yuzhong", "42人安全转移, 无人员伤亡")
    opened = {i.label: i for i in by_kind["action_opened"]}
    assert opened["下达措施：转移受威胁风险点人员"].actor == "李村长"
    assert "必须反馈" in opened["下达措施：转移受威胁风险点人员"].detail
    assert opened["下达措施：停工停业、关闭景区和在建工地(熔断)"].actor == story["enterprise"].name
    assert "13812345678" not in str([i.as_dict() for i in items])  # no phone numbers


def test_counts(story):
    assert timeline.counts(story["warning"]) == {"round": 1, "called": 1, "acknowledged": 1, "pending": 0,
                                                 "actions_required": 2, "actions_reported": 2, "actions_open": 2}


def test_escalations_and_failures_are_on_the_timeline(loop):  # noqa: F811
    t0 = timezone.now() - dt.timedelta(hours=1)
    warning = EarlyWarning.objects.create(source_key="manual:timeline2", hazard_type="landslide", level="red",
                                          headline="升级测试", region=loop["region"], risk_point=loop["point"])
    calls.plan_calls(warning, now=t0)
    calls.tick(now=t0)
    calls.tick(now=t0 + dt.timedelta(seconds=301))  # the village person is silent: the township tier is called
    kinds = [i.kind for i in timeline.build_timeline(warning)]
    assert kinds.count("call_escalated") == 1 and kinds.index("call_escalated") > kinds.index("call_sent")
    counts = timeline.counts(warning)
    assert (counts["called"], counts["acknowledged"], counts["pending"]) == (2, 0, 2)


def test_other_regions_see_only_the_public_part(story, wanzhou):
    warning = story["warning"]
    items = timeline.build_timeline(warning, detailed=False)
    assert [i.kind for i in items] == ["raised", "cap", "cleared", "closed"]
    EarlyWarning.objects.filter(pk=warning.pk).update(is_public=True)
    from django.test import Client

    client = Client()
    client.force_login(wanzhou)
    page = client.get(reverse("early_warning:response_panel", args=[warning.pk])).content.decode()
    assert "data-kind=\"raised\"" in page and "李村长" not in page and "response-counts" not in page
    assert client.get(f"/api/v1/warnings/{warning.pk}/timeline").json()["counts"] is None


def test_the_detail_page_loads_the_panel_with_counts_timeline_and_photos(story, yuzhong, client, wanzhou):
    warning = story["warning"]
    client.force_login(yuzhong)
    page = client.get(reverse("early_warning:warning_detail", args=[warning.pk])).content.decode()
    panel_url = reverse("early_warning:response_panel", args=[warning.pk])
    assert f'hx-get="{panel_url}"' in page
    panel = client.get(panel_url).content.decode()
    assert 'data-testid="warning-events"' in panel and panel.count('data-kind="ack"') == 1
    assert "已确认 1" in panel and "措施已反馈 2/2" in panel and "转移 42 人" in panel
    photo = story["actions"]["evacuate"].reports.get().photos.get()
    assert reverse("early_warning:execution_photo", args=[photo.pk]) in panel
    assert "42人安全转移" in panel and "闭环" in panel
    client.force_login(wanzhou)
    assert client.get(panel_url).status_code == 404  # not public, other district


def test_the_close_form_lists_missing_actions(loop, yuzhong, client):  # noqa: F811
    warning = EarlyWarning.objects.create(source_key="manual:timeline3", hazard_type="landslide", level="red",
                                          headline="闭环表单测试", region=loop["region"], risk_point=loop["point"])
    response.open_actions(warning)
    EarlyWarning.objects.filter(pk=warning.pk).update(status="cleared", ended_at=timezone.now())
    client.force_login(yuzhong)
    panel = client.get(reverse("early_warning:response_panel", args=[warning.pk])).content.decode()
    assert 'data-testid="missing-actions"' in panel and "转移受威胁风险点人员(李村长)" in panel
    assert 'name="feedback"' in panel


def test_failed_and_skipped_calls_get_short_chinese_outcomes(loop):  # noqa: F811
    from citysafe.early_warning.models import CallAttempt

    warning = EarlyWarning.objects.create(source_key="manual:timeline4", hazard_type="landslide", level="red",
                                          headline="渠道测试", region=loop["region"], risk_point=loop["point"])
    calls.plan_calls(warning)
    calls.tick()
    attempt = CallAttempt.objects.filter(warning=warning, sent_at__isnull=False).first()
    now = timezone.now()
    CallAttempt.objects.filter(pk=attempt.pk).update(channel="email", status="failed",
                                                     result=f"email {now.isoformat()}: skipped: no e-mail address")
    item = next(i for i in timeline.build_timeline(warning) if i.kind == "call_failed")
    assert item.detail.startswith("邮件 第1次") and item.detail.endswith("未配置，已跳过")
    assert "skipped" not in item.detail and "skipped: no e-mail address" in item.title
    CallAttempt.objects.filter(pk=attempt.pk).update(channel="webhook", result="webhook x: HTTP 500")
    item = next(i for i in timeline.build_timeline(warning) if i.kind == "call_failed")
    assert item.detail.startswith("Webhook(短信/语音网关)") and item.detail.endswith("发送失败")
    CallAttempt.objects.filter(pk=attempt.pk).update(channel="mqtt")
    assert timeline.channel_label("mqtt") == "MQTT 广播"


def test_workflow_events_name_the_user_once(loop, yuzhong):  # noqa: F811
    warning = EarlyWarning.objects.create(source_key="manual:timeline5", hazard_type="landslide", level="blue",
                                          headline="起草测试", region=loop["region"], created_by=yuzhong,
                                          approved_by=yuzhong)
    WarningEvent.objects.create(warning=warning, kind="drafted", level="blue", note="yuzhong")
    WarningEvent.objects.create(warning=warning, kind="approved", level="blue", note="yuzhong 同意发布")
    items = {i.kind: i for i in timeline.build_timeline(warning)}
    assert items["drafted"].actor == "yuzhong" and "yuzhong" not in items["drafted"].detail
    assert items["approved"].detail.endswith("同意发布") and "yuzhong" not in items["approved"].detail


def test_the_closed_panel_uses_a_full_width_colon(story, yuzhong, client):
    client.force_login(yuzhong)
    panel = client.get(reverse("early_warning:response_panel", args=[story["warning"].pk])).content.decode()
    assert "</strong>：42人安全转移" in panel and 'title="in_app' in panel


def test_durations_read_as_minutes_and_seconds():
    assert [timeline.duration_label(s) for s in (None, 7, 84, 84.4, 3725)] == [
        "—", "7秒", "1分24秒", "1分24秒", "1小时2分"]
