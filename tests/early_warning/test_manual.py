"""Manual warnings: draft -> submit -> approve (issue) / reject, issuing authority, four-eyes, scoping, the loop."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from citysafe.core.models import Organization, Person, Region
from citysafe.early_warning import manual
from citysafe.early_warning.models import CallAttempt, CallPlan, CapMessage, EarlyWarning, WarningEvent
from citysafe.workplans.errors import PermissionDenied, WorkplanError
from tests.conftest import make_user

SQUARE = {"type": "Polygon", "coordinates": [[[106.56, 29.55], [106.57, 29.55], [106.57, 29.56], [106.56, 29.56],
                                              [106.56, 29.55]]]}  # inside 渝中区
BEIJING = {"type": "Polygon", "coordinates": [[[116.3, 39.9], [116.4, 39.9], [116.4, 40.0], [116.3, 40.0],
                                               [116.3, 39.9]]]}
WANZHOU = {"type": "Polygon", "coordinates": [[[108.35, 30.78], [108.42, 30.78], [108.42, 30.84], [108.35, 30.84],
                                               [108.35, 30.78]]]}  # 万州 city centre
SPILLING = {"type": "Polygon", "coordinates": [[[106.5, 29.5], [106.6, 29.5], [106.6, 29.6], [106.5, 29.6],
                                                [106.5, 29.5]]]}  # 渝中区 and well beyond it


def region(adcode):
    return Region.objects.get(adcode=adcode)


def data(**kw):
    base = {"hazard_type": "rainstorm", "level": "yellow", "headline": "渝中区暴雨黄色预警", "region": region("500103"),
            "description": "未来 6 小时降雨量将达 50 毫米以上", "instruction": "注意防范城市内涝", "area_desc": "渝中区全域",
            "is_public": True}
    base.update(kw)
    return base


@pytest.fixture
def yuzhong2(reference):
    return make_user("yuzhong2", "district_operator", "渝中区政府", "500103")


@pytest.fixture
def admin2(reference):
    return make_user("cityadmin2", "municipal_admin", "市应急管理局")


def _pending(user, **kw):
    warning = manual.create_draft(user=user, data=data(**kw))
    return manual.submit(user=user, warning=warning)


@pytest.mark.django_db
def test_draft_submit_approve_by_another_district_operator(yuzhong, yuzhong2, django_capture_on_commit_callbacks):
    warning = manual.create_draft(user=yuzhong, data=data(polygon=json.dumps(SQUARE)))
    assert warning.status == "draft" and warning.source_key.startswith("manual:")
    assert warning.issuer.name == "渝中区政府" and warning.created_by == yuzhong and warning.polygon == SQUARE
    manual.submit(user=yuzhong, warning=warning)
    warning.refresh_from_db()
    assert (warning.status, warning.submitted_by) == ("pending", yuzhong) and warning.submitted_at
    with django_capture_on_commit_callbacks(execute=True):
        manual.approve(user=yuzhong2, warning=warning, note="同意")
    warning.refresh_from_db()
    assert warning.status == "active" and warning.approved_by == yuzhong2 and warning.review_note == "同意"
    assert list(warning.events.values_list("kind", flat=True)) == ["drafted", "submitted", "approved", "raised"]
    # the same loop as every warning: a CAP Alert went out
    assert CapMessage.objects.filter(warning=warning, direction="out", msg_type="Alert").exists()
    # audited: the approval is attributed to the approver (later rows are the loop's own bookkeeping)
    assert warning.history.filter(status="active", history_user=yuzhong2).exists()
    assert warning.history.filter(status="pending", history_user=yuzhong).exists()


@pytest.mark.django_db
def test_approval_plans_the_calls_after_commit(admin_user, admin2, django_capture_on_commit_callbacks):
    area = region("500103")
    gov = Organization.objects.create(name="测试人工预警区政府", kind="government", region=area)
    Organization.objects.filter(kind="government", region=area).exclude(pk=gov.pk).update(region=None)
    Person.objects.create(name="值班员", organization=gov, email="duty@example.org")
    CallPlan.objects.create(name="暴雨红(测试)", level="red", hazard_type="rainstorm", tiers=[
        {"targets": "duty", "channels": ["in_app"], "ack_deadline_s": 300, "retries": 0, "retry_interval_s": 0}])
    warning = _pending(admin_user, level="red")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        manual.approve(user=admin2, warning=warning)
        assert not CallAttempt.objects.filter(warning=warning).exists()  # nothing inside the transaction
    assert callbacks
    assert CallAttempt.objects.filter(warning=warning, person__name="值班员").exists()


@pytest.mark.django_db
def test_districts_issue_blue_and_yellow_only(yuzhong, yuzhong2, admin_user):
    warning = _pending(yuzhong, level="orange")  # a district may submit an orange draft ...
    with pytest.raises(PermissionDenied, match="区县只能签发蓝色\\(IV级\\)、黄色\\(III级\\)预警"):
        manual.approve(user=yuzhong2, warning=warning)  # ... but only the city issues it
    assert not manual.can_approve(yuzhong2, warning)
    manual.approve(user=admin_user, warning=warning)
    assert EarlyWarning.objects.get(pk=warning.pk).status == "active"


@pytest.mark.django_db
def test_issue_levels_are_configurable(yuzhong, yuzhong2, settings):
    settings.CITYSAFE_WARNING_ISSUE_LEVELS = {"district": ["blue", "yellow", "orange"], "city": ["red"]}
    warning = _pending(yuzhong, level="orange")
    manual.approve(user=yuzhong2, warning=warning)
    assert EarlyWarning.objects.get(pk=warning.pk).status == "active"


@pytest.mark.django_db
def test_four_eyes(admin_user, settings):
    warning = _pending(admin_user)
    with pytest.raises(PermissionDenied, match="双人复核"):
        manual.approve(user=admin_user, warning=warning)
    settings.CITYSAFE_WARNING_FOUR_EYES = False
    manual.approve(user=admin_user, warning=warning)
    assert EarlyWarning.objects.get(pk=warning.pk).status == "active"


@pytest.mark.django_db
def test_a_district_approves_only_its_own_region(yuzhong, wanzhou, fire_dept, viewer):
    warning = _pending(yuzhong)
    for user in (wanzhou, fire_dept, viewer):
        with pytest.raises(PermissionDenied):
            manual.approve(user=user, warning=warning)
    with pytest.raises(PermissionDenied, match="本辖区"):
        manual.approve(user=wanzhou, warning=warning)


@pytest.mark.django_db
def test_reject_returns_the_draft_with_a_note(yuzhong, admin_user):
    warning = _pending(yuzhong)
    with pytest.raises(WorkplanError, match="审批意见"):
        manual.reject(user=admin_user, warning=warning, note=" ")
    manual.reject(user=admin_user, warning=warning, note="影响范围不准确")
    warning.refresh_from_db()
    assert warning.status == "draft" and warning.review_note == "影响范围不准确"
    assert warning.events.last().kind == "rejected"
    manual.update_draft(user=yuzhong, warning=warning, data={"area_desc": "渝中区解放碑片区"})
    manual.submit(user=yuzhong, warning=warning)
    assert EarlyWarning.objects.get(pk=warning.pk).status == "pending"


@pytest.mark.django_db
def test_only_the_authors_organisation_edits_submits_or_deletes(yuzhong, yuzhong2, wanzhou, admin_user):
    warning = manual.create_draft(user=yuzhong, data=data())
    for user in (wanzhou, admin_user):
        with pytest.raises(PermissionDenied):
            manual.update_draft(user=user, warning=warning, data={"headline": "x"})
        with pytest.raises(PermissionDenied):
            manual.submit(user=user, warning=warning)
        with pytest.raises(PermissionDenied):
            manual.delete_draft(user=user, warning=warning)
    manual.update_draft(user=yuzhong2, warning=warning, data={"headline": "同单位修改"})  # same organisation
    manual.submit(user=yuzhong, warning=warning)
    with pytest.raises(WorkplanError, match="只有草稿"):
        manual.update_draft(user=yuzhong, warning=warning, data={"headline": "提交后不能改"})
    draft = manual.create_draft(user=yuzhong, data=data())
    manual.delete_draft(user=yuzhong, warning=draft)
    assert not EarlyWarning.objects.filter(pk=draft.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("change, field, message", [
    ({"region": "WANZHOU"}, "region", "辖区"),
    ({"level": "purple"}, "level", "级别"),
    ({"headline": "  "}, "headline", "标题"),
    ({"polygon": "{not json"}, "polygon", "JSON"),
    ({"polygon": {"type": "Point", "coordinates": [106.5, 29.5]}}, "polygon", "Polygon"),
    ({"polygon": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}}, "polygon", "无效"),
    ({"polygon": {"type": "Polygon", "coordinates": [[[200, 0], [201, 0], [201, 1], [200, 0]]]}}, "polygon",
     "WGS84"),
    ({"onset": dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC), "expires": dt.datetime(2026, 7, 1, 11, tzinfo=dt.UTC)},
     "expires", "晚于"),
])
def test_bad_drafts_are_refused_with_the_field(yuzhong, change, field, message):
    if change.get("region") == "WANZHOU":
        change["region"] = region("500101")
    with pytest.raises(manual.DraftError, match=message) as info:
        manual.create_draft(user=yuzhong, data=data(**change))
    assert info.value.field == field


@pytest.mark.django_db
def test_viewers_and_enterprises_cannot_draft(viewer, enterprise_user):
    for user in (viewer, enterprise_user):
        with pytest.raises(PermissionDenied):
            manual.create_draft(user=user, data=data())


@pytest.mark.django_db
def test_change_level_needs_authority_for_both_levels(yuzhong, yuzhong2, admin_user, admin2,
                                                      django_capture_on_commit_callbacks):
    warning = _pending(yuzhong, level="blue")
    with django_capture_on_commit_callbacks(execute=True):
        manual.approve(user=yuzhong2, warning=warning)
    with django_capture_on_commit_callbacks(execute=True):
        manual.change_level(user=yuzhong, warning=warning, level="yellow", note="雨势加强")
    with pytest.raises(PermissionDenied, match="市级签发"):
        manual.change_level(user=yuzhong, warning=warning, level="orange")
    with django_capture_on_commit_callbacks(execute=True):
        manual.change_level(user=admin_user, warning=warning, level="red")
    with pytest.raises(PermissionDenied):  # the district may not downgrade the city's red warning
        manual.change_level(user=yuzhong, warning=warning, level="blue")
    with pytest.raises(WorkplanError, match="未变化"):
        manual.change_level(user=admin2, warning=warning, level="red")
    with django_capture_on_commit_callbacks(execute=True):
        manual.change_level(user=admin2, warning=warning, level="orange")
    events = list(warning.events.filter(kind__in=["upgraded", "downgraded"]).values_list("kind", "previous_level",
                                                                                         "level"))
    assert events == [("upgraded", "blue", "yellow"), ("upgraded", "yellow", "red"), ("downgraded", "red", "orange")]
    assert CapMessage.objects.filter(warning=warning, msg_type="Update").count() == 3


@pytest.mark.django_db
def test_change_level_only_for_active_manual_warnings(admin_user):
    draft = manual.create_draft(user=admin_user, data=data())
    with pytest.raises(WorkplanError, match="生效中"):
        manual.change_level(user=admin_user, warning=draft, level="red")
    engine = EarlyWarning.objects.create(source_key="device:1", hazard_type="rainstorm", level="blue",
                                         headline="设备预警", region=region("500103"))
    with pytest.raises(WorkplanError, match="人工预警"):
        manual.change_level(user=admin_user, warning=engine, level="red")


@pytest.mark.django_db
def test_an_expired_pending_warning_is_not_issued(admin_user, admin2):
    past = timezone.now() - dt.timedelta(hours=2)
    warning = _pending(admin_user, onset=past - dt.timedelta(hours=1), expires=past)
    with pytest.raises(WorkplanError, match="失效时间已过"):
        manual.approve(user=admin2, warning=warning)


@pytest.mark.django_db
def test_visibility_of_drafts_and_pending(yuzhong, yuzhong2, wanzhou, admin_user, fire_dept, viewer):
    draft = manual.create_draft(user=yuzhong, data=data(is_public=True))
    pending = _pending(fire_dept, level="red", region=region("500101"), headline="万州区暴雨红色预警")
    assert set(manual.manual_warnings_for(yuzhong2)) == {draft}
    assert set(manual.manual_warnings_for(admin_user)) == {draft, pending}
    assert set(manual.manual_warnings_for(wanzhou)) == {pending}  # may see it (their region), not approve it
    assert not manual.can_approve(wanzhou, pending)
    assert set(manual.manual_warnings_for(fire_dept)) == {pending}
    assert set(manual.manual_warnings_for(viewer)) == set()


# --- pages ---------------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_pages_draft_submit_approve(client, yuzhong, yuzhong2, django_capture_on_commit_callbacks):
    client.force_login(yuzhong)
    form = {"hazard_type": "rainstorm", "level": "yellow", "headline": "页面起草的预警", "region": region("500103").pk,
            "area_desc": "渝中区", "onset": "2030-07-01T08:00", "expires": "2030-07-01T07:00", "description": "",
            "instruction": "", "polygon": ""}
    response = client.post(reverse("early_warning:manual_new"), form)
    assert response.status_code == 200 and "失效时间须晚于开始时间" in response.content.decode()
    form["expires"] = "2030-07-01T20:00"
    response = client.post(reverse("early_warning:manual_new"), form)
    warning = EarlyWarning.objects.get(headline="页面起草的预警")
    assert response.url == reverse("early_warning:manual_detail", args=[warning.pk])
    page = client.get(response.url).content.decode()
    assert 'data-testid="manual-submit"' in page and 'data-testid="manual-approve"' not in page
    client.post(reverse("early_warning:manual_submit", args=[warning.pk]))
    page = client.get(reverse("early_warning:manual_detail", args=[warning.pk])).content.decode()
    assert 'data-testid="manual-approve"' not in page and "另一名" in page  # four-eyes
    client.force_login(yuzhong2)
    assert warning.headline in client.get(reverse("early_warning:manual_list")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("early_warning:manual_approve", args=[warning.pk]), {"note": "同意发布"})
    warning.refresh_from_db()
    assert warning.status == "active"
    page = client.get(reverse("early_warning:manual_detail", args=[warning.pk])).content.decode()
    assert reverse("early_warning:warning_detail", args=[warning.pk]) in page
    detail = client.get(reverse("early_warning:warning_detail", args=[warning.pk])).content.decode()
    assert 'data-testid="manual-panel"' in detail and "同意发布" in detail and "yuzhong2" in detail


@pytest.mark.django_db
def test_panel_is_empty_for_other_warnings(client, admin_user):
    engine = EarlyWarning.objects.create(source_key="device:7", hazard_type="rainstorm", level="blue",
                                         headline="设备预警", region=region("500103"))
    client.force_login(admin_user)
    assert 'data-testid="manual-panel"' not in client.get(
        reverse("early_warning:warning_detail", args=[engine.pk])).content.decode()


@pytest.mark.django_db
def test_pages_refuse_what_is_not_yours(client, yuzhong, wanzhou, viewer):
    draft = manual.create_draft(user=yuzhong, data=data())
    client.force_login(wanzhou)
    assert client.get(reverse("early_warning:manual_detail", args=[draft.pk])).status_code == 404
    assert client.post(reverse("early_warning:manual_submit", args=[draft.pk])).status_code == 404
    assert client.get(reverse("early_warning:manual_edit", args=[draft.pk])).status_code == 404
    assert draft.headline not in client.get(reverse("early_warning:manual_list")).content.decode()
    client.force_login(viewer)
    assert client.get(reverse("early_warning:manual_new")).status_code == 403
    # an approver who may see the pending one but lacks the authority gets a message, not a change
    pending = _pending(yuzhong, level="red")
    client.force_login(wanzhou)
    assert client.post(reverse("early_warning:manual_approve", args=[pending.pk])).status_code == 404
    pending.refresh_from_db()
    assert pending.status == "pending"


@pytest.mark.django_db
def test_page_error_messages_for_refused_actions(client, yuzhong, yuzhong2):
    pending = _pending(yuzhong, level="orange")
    client.force_login(yuzhong2)
    response = client.post(reverse("early_warning:manual_approve", args=[pending.pk]), follow=True)
    assert "须报市级签发" in response.content.decode()
    assert EarlyWarning.objects.get(pk=pending.pk).status == "pending"


@pytest.mark.django_db
def test_edit_page_keeps_the_values(client, yuzhong):
    draft = manual.create_draft(user=yuzhong, data=data(polygon=SQUARE))
    client.force_login(yuzhong)
    page = client.get(reverse("early_warning:manual_edit", args=[draft.pk])).content.decode()
    assert "渝中区暴雨黄色预警" in page and "106.5" in page


# --- API -----------------------------------------------------------------------------------------------------------

def _call(client, method, path, token, payload=None):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if payload is not None:
        kwargs.update(data=json.dumps(payload), content_type="application/json")
    return getattr(client, method)("/api/v1/warnings" + path, **kwargs)


@pytest.mark.django_db
def test_api_round_trip(client, yuzhong, yuzhong2, wanzhou, admin_user, token_for,
                        django_capture_on_commit_callbacks):
    author, approver, other, city = token_for(yuzhong), token_for(yuzhong2), token_for(wanzhou), token_for(admin_user)
    body = {"hazard_type": "landslide", "level": "blue", "headline": "API 起草", "region": "500103",
            "polygon": SQUARE, "is_public": True}
    response = _call(client, "post", "/manual", author, body)
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["status"] == "draft" and response.json()["region"] == "500103"
    assert _call(client, "post", "/manual", author, {**body, "region": "500101"}).status_code == 400
    assert _call(client, "post", "/manual", author, {**body, "region": "999999"}).json()["detail"].startswith("未知")
    assert _call(client, "get", f"/manual/{pk}", other).status_code == 404
    assert _call(client, "patch", f"/manual/{pk}", other, {"headline": "x"}).status_code == 404
    response = _call(client, "patch", f"/manual/{pk}", author, {"headline": "API 修改", "level": "orange"})
    assert response.status_code == 200 and response.json()["headline"] == "API 修改"
    assert _call(client, "post", f"/manual/{pk}/submit", author).json()["status"] == "pending"
    response = _call(client, "post", f"/manual/{pk}/approve", approver, {})
    assert response.status_code == 403 and "市级" in response.json()["detail"]
    assert _call(client, "post", f"/manual/{pk}/reject", approver, {"note": "x"}).status_code == 403  # orange
    assert _call(client, "post", f"/manual/{pk}/reject", city, {"note": ""}).status_code == 400
    response = _call(client, "post", f"/manual/{pk}/reject", city, {"note": "区县签发黄色即可"})
    assert response.json()["status"] == "draft"
    _call(client, "patch", f"/manual/{pk}", author, {"level": "yellow"})
    _call(client, "post", f"/manual/{pk}/submit", author)
    assert _call(client, "post", f"/manual/{pk}/approve", author, {}).status_code == 403  # four-eyes
    with django_capture_on_commit_callbacks(execute=True):
        response = _call(client, "post", f"/manual/{pk}/approve", approver, {"note": "同意"})
    assert response.status_code == 200 and response.json()["status"] == "active"
    assert response.json()["approved_by"] == "yuzhong2"
    response = _call(client, "post", f"/manual/{pk}/level", approver, {"level": "red"})
    assert response.status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = _call(client, "post", f"/manual/{pk}/level", approver, {"level": "blue"})
    assert response.json()["level"] == "blue"
    assert [w["id"] for w in _call(client, "get", "/manual?status=active", author).json()] == [pk]
    assert _call(client, "get", "/manual?status=nonsense", author).status_code == 400
    assert _call(client, "delete", f"/manual/{pk}", author).status_code == 400  # no longer a draft


@pytest.mark.django_db
def test_api_delete_draft(client, yuzhong, token_for):
    token = token_for(yuzhong)
    pk = manual.create_draft(user=yuzhong, data=data()).pk
    assert _call(client, "delete", f"/manual/{pk}", token).status_code == 204
    assert not EarlyWarning.objects.filter(pk=pk).exists()
    assert WarningEvent.objects.filter(warning_id=pk).count() == 0


@pytest.mark.django_db
def test_api_approve_without_a_body(client, admin_user, admin2, token_for):
    pk = _pending(admin_user).pk
    response = client.post(f"/api/v1/warnings/manual/{pk}/approve", HTTP_AUTHORIZATION=f"Bearer {token_for(admin2)}")
    assert response.status_code == 200 and response.json()["status"] == "active"


# --- drafts never leak into the public loop ------------------------------------------------------------------------

@pytest.mark.django_db
def test_drafts_and_pending_are_not_in_the_feed_or_the_active_list(client, yuzhong, viewer):
    draft = manual.create_draft(user=yuzhong, data=data(headline="草稿不应公开"))
    _pending(yuzhong, headline="待审批不应公开")
    feed = client.get(reverse("early_warning:cap_feed")).content.decode()
    assert "不应公开" not in feed
    client.force_login(viewer)
    assert "不应公开" not in client.get(reverse("early_warning:active_partial")).content.decode()
    assert "不应公开" not in client.get(reverse("early_warning:active_geojson")).content.decode()
    assert client.get(reverse("early_warning:cap_xml", args=[draft.pk])).status_code == 404


@pytest.mark.django_db
def test_drafts_are_not_in_the_recent_list_or_the_detail_page(client, yuzhong, viewer):
    draft = manual.create_draft(user=yuzhong, data=data(headline="草稿不应公开"))
    client.force_login(viewer)
    assert "不应公开" not in client.get(reverse("early_warning:warning_list")).content.decode()
    assert client.get(reverse("early_warning:warning_detail", args=[draft.pk])).status_code == 404


# --- fix round: input limits, polygon vs region, district approval of city drafts ------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1999-12-31T12:00:00",
                                   "2101-01-01T00:00:00+08:00", "2100-12-31T23:00:00-14:00"])
def test_api_out_of_range_times_are_400_not_500(client, yuzhong, token_for, value):
    token = token_for(yuzhong)
    body = {"hazard_type": "rainstorm", "level": "blue", "headline": "时间越界", "region": "500103"}
    for field in ("onset", "expires"):
        response = _call(client, "post", "/manual", token, {**body, field: value})
        assert response.status_code == 400, response.content
        assert "2000" in response.json()["detail"] and "2100" in response.json()["detail"]
    assert not EarlyWarning.objects.filter(headline="时间越界").exists()


@pytest.mark.django_db
def test_out_of_range_times_in_the_service_and_the_form(client, yuzhong):
    with pytest.raises(manual.DraftError, match="2000") as info:
        manual.create_draft(user=yuzhong, data=data(onset="0001-01-01T00:00:00+14:00"))
    assert info.value.field == "onset"
    with pytest.raises(manual.DraftError) as info:
        manual.create_draft(user=yuzhong, data=data(expires=dt.datetime(1, 1, 1, 0, 0)))
    assert info.value.field == "expires"
    client.force_login(yuzhong)
    form = {"hazard_type": "rainstorm", "level": "yellow", "headline": "页面时间越界", "region": region("500103").pk,
            "onset": "0001-01-01T00:00", "expires": "", "description": "", "instruction": "", "polygon": ""}
    response = client.post(reverse("early_warning:manual_new"), form)
    assert response.status_code == 200 and 'data-testid="error-onset"' in response.content.decode()
    assert not EarlyWarning.objects.filter(headline="页面时间越界").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("polygon, message", [(BEIJING, "所选区划"), (WANZHOU, "所选区划"), (SPILLING, "超出您的辖区")])
def test_a_polygon_must_lie_in_the_region_and_the_scope(yuzhong, polygon, message):
    with pytest.raises(manual.DraftError, match=message) as info:
        manual.create_draft(user=yuzhong, data=data(polygon=polygon))
    assert info.value.field == "polygon"
    draft = manual.create_draft(user=yuzhong, data=data(polygon=SQUARE))
    with pytest.raises(manual.DraftError, match="所选区划"):
        manual.update_draft(user=yuzhong, warning=draft, data={"polygon": BEIJING})


@pytest.mark.django_db
def test_polygon_checks_for_the_city_and_regions_without_a_boundary(admin_user, yuzhong):
    # the city drafts for any region: the polygon must still touch the chosen region
    with pytest.raises(manual.DraftError, match="所选区划"):
        manual.create_draft(user=admin_user, data=data(polygon=WANZHOU))
    assert manual.create_draft(user=admin_user, data=data(polygon=SPILLING)).polygon == SPILLING
    assert manual.create_draft(user=admin_user, data=data(region=region("500101"), polygon=WANZHOU)).pk
    Region.objects.filter(adcode="500103").update(boundary=None)  # no boundary: the region check is skipped
    assert manual.create_draft(user=admin_user, data=data(region=region("500103"), polygon=BEIJING)).pk
    yuzhong.profile.region.refresh_from_db()  # the district's own scope has no boundary either: nothing to check
    assert manual.create_draft(user=yuzhong, data=data(polygon=SPILLING)).pk


@pytest.mark.django_db
def test_api_refuses_a_polygon_outside_the_region(client, yuzhong, token_for):
    body = {"hazard_type": "rainstorm", "level": "blue", "headline": "北京多边形", "region": "500103", "polygon": BEIJING}
    response = _call(client, "post", "/manual", token_for(yuzhong), body)
    assert response.status_code == 400 and "所选区划" in response.json()["detail"]


@pytest.mark.django_db
def test_text_limits(client, yuzhong, yuzhong2, token_for):
    for name in ("description", "instruction"):
        with pytest.raises(manual.DraftError, match="上限 4000") as info:
            manual.create_draft(user=yuzhong, data=data(**{name: "雨" * 4001}))
        assert info.value.field == name
    assert len(manual.create_draft(user=yuzhong, data=data(description="雨" * 4000)).description) == 4000
    body = {"hazard_type": "rainstorm", "level": "blue", "headline": "超长内容", "region": "500103",
            "description": "x" * 5_000_000}
    response = _call(client, "post", "/manual", token_for(yuzhong), body)
    assert response.status_code == 400 and "4000" in response.json()["detail"]
    assert not EarlyWarning.objects.filter(headline="超长内容").exists()
    client.force_login(yuzhong)
    form = {"hazard_type": "rainstorm", "level": "yellow", "headline": "页面超长", "region": region("500103").pk,
            "onset": "", "expires": "", "description": "", "instruction": "x" * 4001, "polygon": ""}
    response = client.post(reverse("early_warning:manual_new"), form)
    assert response.status_code == 200 and 'data-testid="error-instruction"' in response.content.decode()


@pytest.mark.django_db
def test_long_notes_are_errors_not_truncated(client, yuzhong, yuzhong2, token_for):
    warning = _pending(yuzhong)
    with pytest.raises(manual.DraftError, match="300") as info:
        manual.reject(user=yuzhong2, warning=warning, note="改" * 301)
    assert info.value.field == "note"
    with pytest.raises(manual.DraftError, match="300"):
        manual.approve(user=yuzhong2, warning=warning, note="同" * 301)
    response = _call(client, "post", f"/manual/{warning.pk}/reject", token_for(yuzhong2), {"note": "改" * 301})
    assert response.status_code == 400 and "300" in response.json()["detail"]
    warning.refresh_from_db()
    assert warning.status == "pending" and warning.review_note == ""
    manual.reject(user=yuzhong2, warning=warning, note="改" * 300)
    warning.refresh_from_db()
    assert warning.review_note == "改" * 300


@pytest.mark.django_db
def test_a_district_does_not_approve_a_city_bureaus_draft(client, yuzhong, admin_user, admin2, token_for,
                                                          django_capture_on_commit_callbacks):
    warning = _pending(admin_user, level="yellow", headline="市应急管理局渝中区暴雨黄色预警")  # region 渝中区
    assert warning.issuer.name == "市应急管理局"
    assert manual.manual_warnings_for(yuzhong).filter(pk=warning.pk).exists()  # visible to the district ...
    assert not manual.can_approve(yuzhong, warning) and not manual.can_reject(yuzhong, warning)
    with pytest.raises(PermissionDenied, match="市级"):  # ... but only the city approves it
        manual.approve(user=yuzhong, warning=warning)
    with pytest.raises(PermissionDenied, match="市级"):
        manual.reject(user=yuzhong, warning=warning, note="不同意")
    response = _call(client, "post", f"/manual/{warning.pk}/approve", token_for(yuzhong), {})
    assert response.status_code == 403 and "市级" in response.json()["detail"]
    assert EarlyWarning.objects.get(pk=warning.pk).status == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        manual.approve(user=admin2, warning=warning)
    assert not manual.can_change_level(yuzhong, EarlyWarning.objects.get(pk=warning.pk))
    with pytest.raises(PermissionDenied, match="市级"):  # nor adjusts the city's yellow warning
        manual.change_level(user=yuzhong, warning=warning, level="blue")
