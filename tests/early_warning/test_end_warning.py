"""Ending a warning by hand: lift (解除, "cleared") or withdraw (撤销, "cancelled"), by the city or a district with
issuing authority for the level; lifting keeps the response actions open until they are reported."""

import pytest
from django.urls import reverse

from citysafe.core.models import Region
from citysafe.early_warning import manual, response, services
from citysafe.early_warning.models import ActionKind, ActionOwner, EarlyWarning, ResponseAction, ResponseActionTemplate
from citysafe.workplans.errors import PermissionDenied, WorkplanError
from tests.conftest import make_user


def _data(**kw):
    base = {"hazard_type": "rainstorm", "level": "yellow", "headline": "渝中区暴雨黄色预警",
            "region": Region.objects.get(adcode="500103"), "description": "强降雨", "area_desc": "渝中区全域"}
    base.update(kw)
    return base


@pytest.fixture
def yuzhong2(reference):
    return make_user("yuzhong2", "district_operator", "渝中区政府", "500103")


@pytest.fixture
def admin2(reference):
    return make_user("cityadmin2", "municipal_admin", "市应急管理局")


@pytest.fixture
def issue(django_capture_on_commit_callbacks):
    def run(author, approver, **kw) -> EarlyWarning:
        warning = manual.submit(user=author, warning=manual.create_draft(user=author, data=_data(**kw)))
        with django_capture_on_commit_callbacks(execute=True):
            manual.approve(user=approver, warning=warning)
        return EarlyWarning.objects.get(pk=warning.pk)
    return run


@pytest.fixture
def required_duty(reference):
    """A required duty row for yellow rainstorms (area-wide manual warnings get duty rows only)."""
    return ResponseActionTemplate.objects.create(level="yellow", hazard_type="rainstorm", kind=ActionKind.ON_DUTY,
                                                 owner_target=ActionOwner.DUTY, title="值班值守并报告雨情",
                                                 deadline_minutes=60, required=True)


@pytest.mark.django_db
def test_a_district_lifts_its_own_warning_from_the_page(client, yuzhong, yuzhong2, issue,
                                                        django_capture_on_commit_callbacks):
    warning = issue(yuzhong, yuzhong2)
    client.force_login(yuzhong)
    page = client.get(reverse("early_warning:warning_detail", args=[warning.pk])).content.decode()
    assert 'data-testid="end-clear"' in page and 'data-testid="end-cancel"' in page
    assert "解除预警" in page and "撤销预警" in page
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(reverse("early_warning:warning_end", args=[warning.pk]),
                           {"kind": "cleared", "note": "降雨已停止"}, follow=True)
    assert resp.status_code == 200 and "预警已解除" in resp.content.decode()
    warning.refresh_from_db()
    assert warning.status == "cleared" and warning.ended_at
    event = warning.events.last()
    assert (event.kind, event.note, event.previous_level) == ("cleared", "降雨已停止", "yellow")
    assert warning.history.filter(status="cleared", history_user=yuzhong).exists()  # audited
    resp = client.post(reverse("early_warning:warning_end", args=[warning.pk]), {"kind": "cleared"}, follow=True)
    assert "该预警已结束" in resp.content.decode()


@pytest.mark.django_db
def test_refusals_are_messages_not_bare_403(client, yuzhong, yuzhong2, wanzhou, admin_user, admin2, issue):
    city_yellow = issue(admin_user, admin2)  # 市应急管理局's warning for 渝中区
    district_orange = issue(yuzhong, admin_user, level="orange")  # orange: the city issued it
    client.force_login(yuzhong)
    for warning, expected in ((city_yellow, "须由市级办理"), (district_orange, "须报市级签发")):
        assert not manual.can_end(yuzhong, warning)
        page = client.get(reverse("early_warning:warning_detail", args=[warning.pk])).content.decode()
        assert 'data-testid="end-form"' not in page
        resp = client.post(reverse("early_warning:warning_end", args=[warning.pk]), {"kind": "cleared"})
        assert resp.status_code == 302
        message = client.get(resp.url).content.decode()
        assert expected in message
        assert EarlyWarning.objects.get(pk=warning.pk).status == "active"
    with pytest.raises(PermissionDenied, match="市级签发"):
        services.end_warning(user=yuzhong, warning=district_orange, kind="cleared")
    # another district: not even visible
    client.force_login(wanzhou)
    assert client.post(reverse("early_warning:warning_end", args=[city_yellow.pk]),
                       {"kind": "cleared"}).status_code == 404
    with pytest.raises(PermissionDenied, match="本辖区"):
        services.end_warning(user=wanzhou, warning=city_yellow, kind="cleared")
    # a bad kind is a message too
    client.force_login(admin_user)
    resp = client.post(reverse("early_warning:warning_end", args=[city_yellow.pk]), {"kind": "expired"}, follow=True)
    assert "请选择解除预警或撤销预警" in resp.content.decode()
    assert EarlyWarning.objects.get(pk=city_yellow.pk).status == "active"


@pytest.mark.django_db
def test_viewers_and_departments_cannot_end(yuzhong, yuzhong2, viewer, fire_dept, issue):
    warning = issue(yuzhong, yuzhong2)
    with pytest.raises(PermissionDenied):
        services.end_warning(user=viewer, warning=warning, kind="cancelled")
    with pytest.raises(PermissionDenied):
        services.end_warning(user=fire_dept, warning=warning, kind="cancelled")
    assert EarlyWarning.objects.get(pk=warning.pk).status == "active"


@pytest.mark.django_db
def test_the_city_always_ends_and_inputs_are_checked(yuzhong, admin_user, admin2, issue):
    red = issue(yuzhong, admin_user, level="red")
    with pytest.raises(WorkplanError, match="结束方式"):
        services.end_warning(user=admin2, warning=red, kind="finished")
    with pytest.raises(WorkplanError, match="300"):
        services.end_warning(user=admin2, warning=red, kind="cleared", note="x" * 301)
    assert EarlyWarning.objects.get(pk=red.pk).status == "active"
    services.end_warning(user=admin2, warning=red, kind="cancelled", note="误发")
    assert EarlyWarning.objects.get(pk=red.pk).status == "cancelled"


@pytest.mark.django_db
def test_engine_warnings_can_be_ended_by_the_district_of_their_region(yuzhong, wanzhou):
    warning = EarlyWarning.objects.create(source_key="device:41", hazard_type="rainstorm", level="yellow",
                                          status="active", headline="设备预警",
                                          region=Region.objects.get(adcode="500103"))
    assert manual.can_end(yuzhong, warning) and not manual.can_end(wanzhou, warning)
    services.end_warning(user=yuzhong, warning=warning, kind="cleared")
    assert EarlyWarning.objects.get(pk=warning.pk).status == "cleared"


@pytest.mark.django_db
def test_lifting_keeps_a_required_action_open_until_reported(yuzhong, yuzhong2, required_duty, issue,
                                                             django_capture_on_commit_callbacks):
    warning = issue(yuzhong, yuzhong2)
    action = ResponseAction.objects.get(warning=warning, template=required_duty)
    assert action.required and action.status == "open"
    with django_capture_on_commit_callbacks(execute=True):
        services.end_warning(user=yuzhong, warning=warning, kind="cleared", note="雨停")
    action.refresh_from_db()
    assert action.status == "open"  # lifted, not withdrawn: the order stands
    warning.refresh_from_db()
    assert warning.status == "cleared"
    with pytest.raises(WorkplanError, match="值班值守并报告雨情"):
        response.close_warning(user=yuzhong, warning=warning, feedback="处置完毕")
    response.report_action(user=yuzhong, action=action, note="值班人员在岗，雨情已报")
    closed = response.close_warning(user=yuzhong, warning=warning, feedback="处置完毕")
    assert closed.closed_at and closed.feedback == "处置完毕"


@pytest.mark.django_db
def test_withdrawing_cancels_the_open_actions(yuzhong, yuzhong2, required_duty, issue,
                                              django_capture_on_commit_callbacks):
    warning = issue(yuzhong, yuzhong2)
    with django_capture_on_commit_callbacks(execute=True):
        services.end_warning(user=yuzhong, warning=warning, kind="cancelled", note="误发")
    assert EarlyWarning.objects.get(pk=warning.pk).status == "cancelled"
    assert set(ResponseAction.objects.filter(warning=warning).values_list("status", flat=True)) == {"cancelled"}
    closed = response.close_warning(user=yuzhong, warning=warning, feedback="误发已撤销")
    assert closed.closed_at


@pytest.mark.django_db
def test_expiry_by_the_system_still_works(yuzhong, yuzhong2, issue):
    import datetime as dt

    from django.utils import timezone

    warning = issue(yuzhong, yuzhong2)
    EarlyWarning.objects.filter(pk=warning.pk).update(expires=timezone.now() - dt.timedelta(minutes=1))
    assert services.expire_due() == 1
    warning.refresh_from_db()
    assert warning.status == "expired" and warning.events.last().kind == "expired"
