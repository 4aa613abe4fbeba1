"""Response -> execution -> feedback: opening actions per level, execution reports with photos, closing with
feedback, in-app notifications and the acknowledgement page/API, all scoped."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from citysafe.core.models import Organization, Person, Region
from citysafe.early_warning import calls, hooks, response, services
from citysafe.early_warning.models import (
    Acknowledgement,
    ActionStatus,
    CallPlan,
    EarlyWarning,
    ExecutionPhoto,
    ResponseAction,
    ResponseActionTemplate,
    WarningEvent,
)
from citysafe.hazards.models import ResponsibilityAssignment, RiskPoint
from citysafe.workplans.errors import PermissionDenied, WorkplanError
from tests.conftest import make_user


def _png_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png_bytes()  # a real image: photos are verified with Pillow


def png(name="site.png", data=PNG):
    return SimpleUploadedFile(name, data, content_type="image/png")


@pytest.fixture
def loop(reference, enterprise, yuzhong):
    """A landslide risk point in 渝中区 (responsible unit: the enterprise), its village 包保责任人 (the login
    ``cunzhang``, a district operator), a township person, a duty officer of 渝中区政府, in-app-only call plans."""
    region = Region.objects.get(adcode="500103")
    gov = Organization.objects.get(name="渝中区政府")
    Organization.objects.filter(kind="government", region=region).exclude(pk=gov.pk).update(region=None)
    user = make_user("cunzhang", "district_operator", None, "500103")
    village = Person.objects.create(name="李村长", user=user, phone="13812345678")
    township = Person.objects.create(name="王镇长")
    duty = Person.objects.create(name="赵值班", organization=gov)
    point = RiskPoint.objects.create(code="FX-RESP-1", name="响应测试滑坡点", kind="landslide", region=region,
                                     lon=106.57, lat=29.55, threatened_people=42, responsible_unit=enterprise)
    ResponsibilityAssignment.objects.create(risk_point=point, level="village", person=village)
    ResponsibilityAssignment.objects.create(risk_point=point, level="township", person=township)
    tiers = [{"targets": t, "channels": ["in_app"], "ack_deadline_s": 300, "retries": 0, "retry_interval_s": 0}
             for t in ("village", "township")]
    for level in ("red", "orange"):
        CallPlan.objects.create(name=f"测试{level}", level=level, hazard_type="landslide", tiers=tiers)
    return {"region": region, "gov": gov, "point": point, "user": user, "village": village, "township": township,
            "duty": duty, "enterprise": enterprise}


def make_warning(loop, level="red", raise_it=True, point=None, **kw):
    warning = EarlyWarning.objects.create(source_key=f"manual:test:{level}", hazard_type="landslide", level=level,
                                          headline=f"响应测试滑坡{level}预警", region=loop["region"],
                                          risk_point=point or loop["point"], instruction="立即转移受威胁群众", **kw)
    WarningEvent.objects.create(warning=warning, kind="raised", level=level, at=warning.raised_at)
    if raise_it:
        hooks.after_warning_changes([(warning.pk, "raised")])
        calls.tick()
        warning.refresh_from_db()
    return warning


def _actions(warning, **kw):
    return {a.kind: a for a in ResponseAction.objects.filter(warning=warning, **kw)}


def _clear(warning):
    EarlyWarning.objects.filter(pk=warning.pk).update(status="cleared", ended_at=timezone.now())
    hooks.after_warning_changes([(warning.pk, "cleared")])
    warning.refresh_from_db()
    return warning


# --- the response table and opening actions -------------------------------------------------------------------

@pytest.mark.django_db
def test_default_templates_are_reference_data(reference):
    red = {t.kind: t for t in ResponseActionTemplate.objects.filter(level="red", hazard_type="")}
    assert set(red) == {"evacuate", "shutdown", "patrol", "on_duty"}
    assert (red["evacuate"].owner_target, red["evacuate"].deadline_minutes, red["evacuate"].required) == (
        "village", 60, True)
    assert red["shutdown"].owner_target == "unit" and red["shutdown"].required
    assert "项目默认值" in red["evacuate"].source
    assert ResponseActionTemplate.objects.filter(level="blue", kind="on_duty").exists()
    assert response.load_default_templates() == 0  # idempotent, edits kept


@pytest.mark.django_db
def test_a_red_warning_opens_the_red_actions_with_owners_and_deadlines(loop):
    before = timezone.now()
    warning = make_warning(loop)
    actions = _actions(warning)
    assert set(actions) == {"evacuate", "shutdown", "patrol", "on_duty"}
    assert actions["evacuate"].owner == loop["village"] and actions["evacuate"].required
    assert actions["shutdown"].owner is None and actions["shutdown"].owner_organization == loop["enterprise"]
    assert actions["patrol"].owner == loop["township"]
    assert actions["on_duty"].owner == loop["duty"] and actions["on_duty"].owner_organization == loop["gov"]
    assert before + dt.timedelta(minutes=60) <= actions["evacuate"].deadline <= timezone.now() + dt.timedelta(
        minutes=60)
    assert actions["evacuate"].call_round == warning.call_round == 1
    # idempotent: the same change twice opens nothing more
    hooks.after_warning_changes([(warning.pk, "raised")])
    assert response.open_actions(warning) == 0
    assert ResponseAction.objects.filter(warning=warning).count() == 4


@pytest.mark.django_db
def test_a_hazard_specific_row_replaces_the_generic_row_of_its_kind(loop):
    ResponseActionTemplate.objects.create(level="red", hazard_type="landslide", kind="evacuate",
                                          title="转移滑坡体下方群众", owner_target="township", deadline_minutes=30)
    ResponseActionTemplate.objects.create(level="red", hazard_type="gale", kind="patrol", title="大风巡查",
                                          owner_target="village", deadline_minutes=30)
    warning = make_warning(loop)
    evacuations = ResponseAction.objects.filter(warning=warning, kind="evacuate")
    assert [(a.title, a.owner) for a in evacuations] == [("转移滑坡体下方群众", loop["township"])]
    assert ResponseAction.objects.filter(warning=warning, kind="patrol").get().title == "加密巡查、专人值守"


@pytest.mark.django_db
def test_an_upgrade_adds_the_higher_levels_actions_and_keeps_the_earlier_ones(loop):
    warning = make_warning(loop, level="orange")
    assert set(_actions(warning, level="orange")) == {"evacuate", "patrol", "on_duty"}
    EarlyWarning.objects.filter(pk=warning.pk).update(level="red")
    hooks.after_warning_changes([(warning.pk, "upgraded")])
    assert response.open_actions(warning) == 0  # idempotent
    warning.refresh_from_db()
    assert set(_actions(warning, level="red")) == {"evacuate", "shutdown", "patrol", "on_duty"}
    assert ResponseAction.objects.filter(warning=warning).count() == 7
    assert set(ResponseAction.objects.filter(warning=warning).values_list("status", flat=True)) == {"open"}
    assert _actions(warning, level="red")["evacuate"].call_round == warning.call_round == 2


@pytest.mark.django_db
def test_muted_warnings_still_open_actions_and_downgrade_or_clear_keeps_them(loop):
    warning = make_warning(loop, level="red")
    hooks.after_warning_changes([(warning.pk, "downgraded")])
    _clear(warning)
    assert set(ResponseAction.objects.filter(warning=warning).values_list("status", flat=True)) == {"open"}


@pytest.mark.django_db
def test_a_withdrawn_warning_cancels_its_open_actions(loop, admin_user, django_capture_on_commit_callbacks):
    warning = make_warning(loop)
    evacuate = _actions(warning)["evacuate"]
    response.report_action(user=loop["user"], action=evacuate, evacuated=3)
    with django_capture_on_commit_callbacks(execute=True):
        services.end_warning(user=admin_user, warning=warning, kind="cancelled", note="误报")
    statuses = dict(ResponseAction.objects.filter(warning=warning).values_list("kind", "status"))
    assert statuses == {"evacuate": "reported", "shutdown": "cancelled", "patrol": "cancelled",
                        "on_duty": "cancelled"}


# --- execution reports -------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_an_evacuation_report_needs_the_evacuated_count(loop):
    warning = make_warning(loop)
    evacuate = _actions(warning)["evacuate"]
    with pytest.raises(WorkplanError, match="转移人数"):
        response.report_action(user=loop["user"], action=evacuate, note="已转移")
    with pytest.raises(WorkplanError, match="负数"):
        response.report_action(user=loop["user"], action=evacuate, evacuated=-1)
    report = response.report_action(user=loop["user"], action=evacuate, evacuated=42, note="全部转移到安置点",
                                    photos=[png()])
    evacuate.refresh_from_db()
    assert evacuate.status == ActionStatus.REPORTED and evacuate.reported_at is not None and evacuate.on_time
    assert report.person == loop["village"] and report.reported_by == loop["user"] and report.evacuated == 42
    first = evacuate.reported_at
    response.report_action(user=loop["user"], action=evacuate, evacuated=45, note="补报")
    evacuate.refresh_from_db()
    assert evacuate.reported_at == first and evacuate.reports.count() == 2
    assert evacuate.history.first().history_user == loop["user"]  # audited
    # a patrol needs no count
    response.report_action(user=loop["user"], action=_actions(warning)["patrol"], note="已巡查")


@pytest.mark.django_db
def test_photos_are_validated_and_stored_under_random_names(loop):
    warning = make_warning(loop)
    patrol = _actions(warning)["patrol"]
    with pytest.raises(WorkplanError, match="图片"):
        response.report_action(user=loop["user"], action=patrol,
                               photos=[SimpleUploadedFile("fake.jpg", b"%PDF-1.4 not an image")])
    with pytest.raises(WorkplanError):
        response.report_action(user=loop["user"], action=patrol, photos=[SimpleUploadedFile("x.pdf", b"%PDF-1.4")])
    with pytest.raises(WorkplanError):
        response.report_action(user=loop["user"], action=patrol, photos=[SimpleUploadedFile("x.html", b"<script>")])
    with pytest.raises(WorkplanError, match="最多"):
        response.report_action(user=loop["user"], action=patrol, photos=[png(f"{i}.png") for i in range(6)])
    assert patrol.reports.count() == 0  # nothing stored by a refused report
    report = response.report_action(user=loop["user"], action=patrol, photos=[png("李村长家.png")])
    photo = report.photos.get()
    assert photo.original_name == "李村长家.png" and "李村长" not in photo.file.name
    assert photo.file.name.startswith("execution/") and photo.file.name.endswith(".png")


@pytest.mark.django_db
def test_reporting_is_scoped(loop, wanzhou, viewer, client):
    warning = make_warning(loop)
    evacuate = _actions(warning)["evacuate"]
    report = response.report_action(user=loop["user"], action=evacuate, evacuated=5, photos=[png()])
    photo = report.photos.get()
    # another district: cannot report, cannot see the action or the photo
    with pytest.raises(PermissionDenied):
        response.report_action(user=wanzhou, action=evacuate, evacuated=1)
    assert not response.actions_for(wanzhou).exists()
    client.force_login(wanzhou)
    assert client.get(reverse("early_warning:execution_photo", args=[photo.pk])).status_code == 404
    assert client.post(reverse("early_warning:action_report", args=[evacuate.pk]),
                       {"evacuated": 1}).status_code == 404
    # a city-wide viewer sees but may not report
    with pytest.raises(PermissionDenied):
        response.report_action(user=viewer, action=evacuate, evacuated=1)
    # the enterprise (responsible unit) reports its shutdown, but not the evacuation
    from tests.conftest import make_user as mk

    boss = mk("jingqu", "enterprise_operator", loop["enterprise"].name)
    assert set(response.actions_for(boss).values_list("kind", flat=True)) == {"shutdown"}
    response.report_action(user=boss, action=_actions(warning)["shutdown"], note="景区已关闭")
    # the owner sees the photo (inline image, never sniffable)
    client.force_login(loop["user"])
    answer = client.get(reverse("early_warning:execution_photo", args=[photo.pk]))
    assert answer.status_code == 200 and answer["Content-Type"] == "image/png"
    assert answer["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_the_report_page_stores_a_report_with_photos(loop, client):
    warning = make_warning(loop)
    evacuate = _actions(warning)["evacuate"]
    client.force_login(loop["user"])
    url = reverse("early_warning:action_report", args=[evacuate.pk])
    assert client.get(url).status_code == 200
    answer = client.post(url, {"note": "无人数"})
    assert answer.status_code == 400 and "转移人数" in answer.content.decode()
    answer = client.post(url, {"evacuated": "12", "note": "已转移", "photos": [png("a.png"), png("b.png")],
                               "next": reverse("early_warning:my_calls")})
    assert answer.status_code == 302 and answer["Location"] == reverse("early_warning:my_calls")
    assert ExecutionPhoto.objects.filter(report__action=evacuate).count() == 2
    answer = client.post(url, {"evacuated": "1", "next": "https://evil.example/"})
    assert answer["Location"] == reverse("early_warning:warning_detail", args=[warning.pk])  # no open redirect


@pytest.mark.django_db
def test_reporting_needs_no_active_warning(loop):
    warning = make_warning(loop)
    _clear(warning)
    response.report_action(user=loop["user"], action=_actions(warning)["evacuate"], evacuated=2)


# --- closing with feedback ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_closing_is_refused_while_a_required_action_is_open(loop, yuzhong, wanzhou, client):
    warning = make_warning(loop)
    with pytest.raises(WorkplanError, match="仍在生效"):
        response.close_warning(user=yuzhong, warning=warning, feedback="x")
    _clear(warning)
    with pytest.raises(WorkplanError) as error:
        response.close_warning(user=yuzhong, warning=warning, feedback="处置完毕")
    assert "转移受威胁风险点人员(李村长)" in str(error.value) and "熔断" in str(error.value)
    assert "加密巡查" not in str(error.value)  # not required
    with pytest.raises(WorkplanError, match="反馈"):
        response.close_warning(user=yuzhong, warning=warning, feedback="  ")
    with pytest.raises(PermissionDenied):
        response.close_warning(user=wanzhou, warning=warning, feedback="处置完毕")
    actions = _actions(warning)
    response.report_action(user=loop["user"], action=actions["evacuate"], evacuated=42)
    response.report_action(user=yuzhong, action=actions["shutdown"], note="已停工")
    client.force_login(yuzhong)
    answer = client.post(reverse("early_warning:warning_close", args=[warning.pk]), {"feedback": "42人转移, 无伤亡"})
    assert answer.status_code == 302
    warning.refresh_from_db()
    assert warning.closed_at and warning.closed_by == yuzhong and warning.feedback == "42人转移, 无伤亡"
    assert warning.events.filter(kind="closed").exists()
    with pytest.raises(WorkplanError, match="已闭环"):
        response.close_warning(user=yuzhong, warning=warning, feedback="again")


@pytest.mark.django_db
def test_close_page_shows_the_error_and_other_districts_get_404(loop, yuzhong, wanzhou, client):
    warning = _clear(make_warning(loop))
    client.force_login(yuzhong)
    answer = client.post(reverse("early_warning:warning_close", args=[warning.pk]), {"feedback": "完毕"}, follow=True)
    assert "尚未反馈" in answer.content.decode()
    client.force_login(wanzhou)
    assert client.post(reverse("early_warning:warning_close", args=[warning.pk]),
                       {"feedback": "完毕"}).status_code == 404
    warning.refresh_from_db()
    assert warning.closed_at is None


# --- in-app notifications and the acknowledgement ---------------------------------------------------------------

@pytest.mark.django_db
def test_my_calls_lists_unacknowledged_in_app_calls_per_warning(loop, client):
    red = make_warning(loop)
    other_point = RiskPoint.objects.create(code="FX-RESP-2", name="另一滑坡点", kind="landslide",
                                           region=loop["region"], lon=106.58, lat=29.56)
    ResponsibilityAssignment.objects.create(risk_point=other_point, level="village", person=loop["village"])
    orange = make_warning(loop, level="orange", raise_it=False, point=other_point)  # not inhibited by the red one
    hooks.after_warning_changes([(orange.pk, "raised")])  # pending and due, not yet sent by a tick: listed too
    groups = response.my_calls(loop["user"])
    assert [g["warning"].pk for g in groups] == [red.pk, orange.pk]  # highest level first
    assert response.unacknowledged_count(loop["user"]) == 2
    client.force_login(loop["user"])
    page = client.get(reverse("early_warning:my_calls")).content.decode()
    assert red.headline in page and "确认收到" in page and "转移受威胁风险点人员" in page
    # acknowledging through the page removes the warning from the list
    answer = client.post(reverse("early_warning:warning_ack", args=[red.pk]))
    assert answer.status_code == 302
    assert Acknowledgement.objects.filter(warning=red, person=loop["village"], channel="in_app").exists()
    assert [g["warning"].pk for g in response.my_calls(loop["user"])] == [orange.pk]
    assert response.unacknowledged_count(loop["user"]) == 1


@pytest.mark.django_db
def test_the_nav_badge_counts_warnings_to_acknowledge(loop, rf, yuzhong):
    from django.contrib.auth.models import AnonymousUser

    from citysafe.early_warning.views_response import notification_badge

    make_warning(loop)
    request = rf.get("/")
    request.user = loop["user"]
    assert notification_badge(request) == {"citysafe_unacked_calls": 1}
    request.user = yuzhong  # no person: nothing to acknowledge
    assert notification_badge(request) == {"citysafe_unacked_calls": 0}
    request.user = AnonymousUser()
    assert notification_badge(request) == {}


@pytest.mark.django_db
def test_the_ack_page_is_only_for_called_people_and_writers_in_scope(loop, yuzhong, wanzhou, viewer, client):
    warning = make_warning(loop)
    url = reverse("early_warning:warning_ack", args=[warning.pk])
    client.force_login(loop["user"])
    page = client.get(url).content.decode()
    assert 'data-testid="ack-button"' in page and "立即转移受威胁群众" in page
    assert 'capture="environment"' in page and "转移受威胁风险点人员" in page
    assert "加密巡查" not in page  # only this person's actions
    client.force_login(yuzhong)  # a writer of the district, not called: may open, sees its organisation's actions
    page = client.get(url).content.decode()
    assert 'data-testid="ack-button"' not in page and "值班人员到岗到位" in page
    assert client.post(url).status_code == 302
    assert not Acknowledgement.objects.filter(warning=warning).exists()
    for outsider in (wanzhou, viewer):
        client.force_login(outsider)
        assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_ack_after_the_end_is_refused_with_a_message(loop, client):
    warning = _clear(make_warning(loop))
    with pytest.raises(WorkplanError, match="已结束"):
        response.acknowledge(user=loop["user"], warning=warning)
    client.force_login(loop["user"])
    page = client.get(reverse("early_warning:warning_ack", args=[warning.pk])).content.decode()
    assert "无需确认" in page and "转移受威胁风险点人员" in page  # still reportable


# --- API -----------------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_api_ack_my_calls_report_timeline_close(loop, yuzhong, wanzhou, token_for, api_client, client):
    warning = make_warning(loop)
    me, other, district = api_client(token_for(loop["user"])), api_client(token_for(wanzhou)), api_client(
        token_for(yuzhong))
    calls_ = me.get("/warnings/my-calls").json()
    assert [c["warning_id"] for c in calls_] == [warning.pk] and calls_[0]["level"] == "red"
    assert other.post(f"/warnings/{warning.pk}/ack").status_code == 404
    answer = me.post(f"/warnings/{warning.pk}/ack")
    assert answer.status_code == 200 and answer.json()["person"] == "李村长"
    assert me.get("/warnings/my-calls").json() == []
    assert district.post(f"/warnings/{warning.pk}/ack").status_code == 403  # in scope, but was not called

    actions = {a["kind"]: a for a in me.get(f"/warnings/{warning.pk}/actions").json()}
    evacuate = actions["evacuate"]["id"]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(loop['user'])}"}
    url = f"/api/v1/warnings/actions/{evacuate}/reports"
    answer = client.post(url, {"note": "x"}, **headers)
    assert answer.status_code == 400 and "转移人数" in answer.json()["detail"]
    answer = client.post(url, {"evacuated": "40", "note": "已转移", "photos": [png("1.png"), png("2.png")]}, **headers)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["evacuated"] == 40 and len(body["photos"]) == 2 and body["action_status"] == "reported"
    answer = client.post(url, {"evacuated": "1", "photos": [SimpleUploadedFile("a.exe", b"MZ")]}, **headers)
    assert answer.status_code == 400
    other_headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(wanzhou)}"}
    assert client.post(url, {"evacuated": "1"}, **other_headers).status_code == 404

    items = me.get(f"/warnings/{warning.pk}/timeline").json()
    kinds = [i["kind"] for i in items["items"]]
    assert {"raised", "call_sent", "ack", "action_opened", "report"} <= set(kinds)
    assert items["counts"]["acknowledged"] == 1 and items["counts"]["actions_reported"] == 1
    assert other.get(f"/warnings/{warning.pk}/timeline").status_code == 404

    assert district.post(f"/warnings/{warning.pk}/close", {"feedback": "完毕"}).json()["detail"].startswith("预警仍在生效")
    _clear(warning)
    answer = district.post(f"/warnings/{warning.pk}/close", {"feedback": "完毕"})
    assert answer.status_code == 400 and "熔断" in answer.json()["detail"]
    district_headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(yuzhong)}"}
    shutdown = actions["shutdown"]["id"]
    assert client.post(f"/api/v1/warnings/actions/{shutdown}/reports", {"note": "已停工"},
                       **district_headers).status_code == 201
    assert other.post(f"/warnings/{warning.pk}/close", {"feedback": "完毕"}).status_code == 404
    answer = district.post(f"/warnings/{warning.pk}/close", {"feedback": "完毕"})
    assert answer.status_code == 200 and answer.json()["closed_by"] == "yuzhong"


# --- the response table page ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_response_table_is_edited_by_municipal_admins(loop, admin_user, yuzhong, client):
    url = reverse("early_warning:action_templates")
    client.force_login(yuzhong)
    assert client.get(url).status_code == 403
    client.force_login(admin_user)
    page = client.get(url)
    assert page.status_code == 200 and "转移受威胁风险点人员" in page.content.decode()
    formset = page.context["formset"]
    data = {"form-TOTAL_FORMS": str(len(formset.forms)), "form-INITIAL_FORMS": str(formset.initial_form_count()),
            "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000"}
    for i, form in enumerate(formset.forms):
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if name == "id":
                value = form.instance.pk or ""
            if name == "deadline_minutes" and form.instance.kind == "evacuate" and form.instance.level == "red":
                value = 45
            if isinstance(value, bool):
                if value:
                    data[f"form-{i}-{name}"] = "on"
                continue
            data[f"form-{i}-{name}"] = "" if value is None else value
    answer = client.post(url, data)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    row = ResponseActionTemplate.objects.get(level="red", hazard_type="", kind="evacuate")
    assert row.deadline_minutes == 45 and row.history.first().history_user == admin_user
    data["form-0-deadline_minutes"] = "-5"
    assert client.post(url, data).status_code == 400


def test_an_area_wide_warning_gets_only_the_duty_actions(loop):
    """Evacuation and shutdown belong to risk points; an area-wide warning reaches them through derived warnings."""
    warning = EarlyWarning.objects.create(source_key="cap:area", hazard_type="landslide", level="red",
                                          headline="区域红色预警", region=loop["region"])
    response.open_actions(warning)
    assert set(_actions(warning)) == {"on_duty"}
    assert _actions(warning)["on_duty"].owner == loop["duty"]


# --- fix round: bounds, lengths, photo verification, yellow defaults, punctuation -------------------------------

@pytest.mark.django_db
def test_the_evacuated_count_is_bounded(loop, client, token_for):
    warning = make_warning(loop)
    evacuate = _actions(warning)["evacuate"]
    with pytest.raises(WorkplanError, match="不能超过"):
        response.report_action(user=loop["user"], action=evacuate, evacuated=response.MAX_EVACUATED + 1)
    client.force_login(loop["user"])
    url = reverse("early_warning:action_report", args=[evacuate.pk])
    answer = client.post(url, {"evacuated": "99999999999999999999"})
    assert answer.status_code == 400 and 'class="text-danger small"' in answer.content.decode()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(loop['user'])}"}
    api_url = f"/api/v1/warnings/actions/{evacuate.pk}/reports"
    answer = client.post(api_url, {"evacuated": "99999999999999999999"}, **headers)
    assert answer.status_code == 400 and "不能超过" in answer.json()["detail"]
    assert not evacuate.reports.exists()
    response.report_action(user=loop["user"], action=evacuate, evacuated=response.MAX_EVACUATED)


@pytest.mark.django_db
def test_the_execution_time_is_bounded(loop, client, token_for):
    warning = make_warning(loop)
    patrol = _actions(warning)["patrol"]
    earliest = min(warning.onset, warning.raised_at) - dt.timedelta(days=1)
    with pytest.raises(WorkplanError, match="不能早于"):
        response.report_action(user=loop["user"], action=patrol, executed_at=earliest - dt.timedelta(minutes=1))
    with pytest.raises(WorkplanError, match="不能晚于"):
        response.report_action(user=loop["user"], action=patrol,
                               executed_at=timezone.now() + dt.timedelta(hours=1))
    response.report_action(user=loop["user"], action=patrol, executed_at=earliest + dt.timedelta(minutes=1))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(loop['user'])}"}
    url = f"/api/v1/warnings/actions/{patrol.pk}/reports"
    for bad in ("0001-01-01T00:00:00", "9999-12-31T23:59:59+08:00", "1999-12-31T00:00:00+08:00", "not a time",
                "2026-13-45T99:00:00", "2020-01-01T00:00:00+08:00"):
        answer = client.post(url, {"executed_at": bad}, **headers)
        assert answer.status_code == 400, (bad, answer.content)
        assert "执行时间" in answer.json()["detail"]
    ok = timezone.localtime(timezone.now() - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S")
    assert client.post(url, {"executed_at": ok}, **headers).status_code == 201  # naive = Beijing time
    client.force_login(loop["user"])
    page = client.post(reverse("early_warning:action_report", args=[patrol.pk]),
                       {"executed_at": "2020-01-01T08:00"})
    assert page.status_code == 400 and "不能早于" in page.content.decode()


@pytest.mark.django_db
def test_note_and_feedback_lengths_are_limited(loop, yuzhong, client, token_for):
    warning = make_warning(loop)
    patrol = _actions(warning)["patrol"]
    with pytest.raises(WorkplanError, match="2000"):
        response.report_action(user=loop["user"], action=patrol, note="长" * 2001)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(loop['user'])}"}
    answer = client.post(f"/api/v1/warnings/actions/{patrol.pk}/reports", {"note": "长" * 2001}, **headers)
    assert answer.status_code == 400 and "2000" in answer.json()["detail"]
    for kind in ("evacuate", "shutdown"):
        response.report_action(user=yuzhong, action=_actions(warning)[kind], evacuated=1)
    _clear(warning)
    with pytest.raises(WorkplanError, match="4000"):
        response.close_warning(user=yuzhong, warning=warning, feedback="长" * 4001)
    district = {"HTTP_AUTHORIZATION": f"Bearer {token_for(yuzhong)}"}
    answer = client.post(f"/api/v1/warnings/{warning.pk}/close", {"feedback": "长" * 4001},
                         content_type="application/json", **district)
    assert answer.status_code == 400 and "4000" in answer.json()["detail"]
    client.force_login(yuzhong)
    close_url = reverse("early_warning:warning_close", args=[warning.pk])
    page = client.post(close_url, {"feedback": "长" * 4001}, follow=True).content.decode()
    assert "4000" in page
    warning.refresh_from_db()
    assert warning.closed_at is None
    client.post(close_url, {"feedback": "长" * 4000})
    warning.refresh_from_db()
    assert warning.closed_at is not None and len(warning.feedback) == 4000


@pytest.mark.django_db
def test_broken_images_behind_an_image_header_are_refused(loop):
    warning = make_warning(loop)
    patrol = _actions(warning)["patrol"]
    for data in (PNG[:40], b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", PNG[:-20]):
        with pytest.raises(WorkplanError, match="损坏|有效"):
            response.report_action(user=loop["user"], action=patrol, photos=[png("x.png", data)])
    assert not patrol.reports.exists()
    report = response.report_action(user=loop["user"], action=patrol, photos=[png()])
    assert report.photos.get().file.read() == PNG  # rewound after the check: stored whole


@pytest.mark.django_db
def test_a_yellow_area_wide_warning_gets_the_duty_action(loop):
    row = ResponseActionTemplate.objects.get(level="yellow", hazard_type="", kind="on_duty")
    assert (row.owner_target, row.deadline_minutes, row.required) == ("duty", 240, False)
    warning = EarlyWarning.objects.create(source_key="cap:area-yellow", hazard_type="rainstorm", level="yellow",
                                          headline="区域黄色预警", region=loop["region"])
    response.open_actions(warning)
    assert set(_actions(warning)) == {"on_duty"} and _actions(warning)["on_duty"].owner == loop["duty"]


@pytest.mark.django_db
def test_an_existing_table_gets_new_default_rows_and_keeps_edits(reference):
    ResponseActionTemplate.objects.filter(level="yellow", kind="on_duty").delete()  # a database from before
    ResponseActionTemplate.objects.filter(level="yellow", kind="patrol").update(deadline_minutes=99)
    assert response.load_default_templates() == 1
    assert ResponseActionTemplate.objects.get(level="yellow", kind="patrol").deadline_minutes == 99
    assert ResponseActionTemplate.objects.filter(level="yellow", kind="on_duty").count() == 1


@pytest.mark.django_db
def test_the_ack_page_shows_no_rule_source_and_uses_full_width_punctuation(loop, client, settings):
    warning = make_warning(loop, description="Rain rule — GB/T 27962-2011 English source text")
    client.force_login(loop["user"])
    url = reverse("early_warning:warning_ack", args=[warning.pk])
    page = client.get(url).content.decode()
    assert "English source text" not in page and "立即转移受威胁群众" in page and warning.headline in page
    assert "红色(I级)预警" in page and "风险点：" in page
    answer = client.post(url, follow=True).content.decode()
    assert "已确认收到，请按要求落实响应措施" in answer
    from django.utils import translation

    with translation.override("en"):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Early warnings" not in page
