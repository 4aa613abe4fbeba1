"""Supervision items (督办): life cycle through ``services``, through the API, proposals, and the audit trail."""

import datetime as dt

import pytest
from django.utils import timezone

from citysafe.core.models import Organization
from citysafe.workplans.errors import PermissionDenied, WorkplanError
from citysafe.workplans.models import Supervision, SupervisionStatus, Target, TargetStatus, TaskKind
from citysafe.workplans.services import (
    propose_supervisions,
    raise_supervision,
    submit_progress_report,
    transition_supervision,
)


def _fresh(item):
    # FSMField(protected=True) forbids refresh_from_db(); read the row again instead.
    return Supervision.objects.get(pk=item.pk)


@pytest.fixture
def d3_target(plan):
    return Target.objects.get(task__plan=plan, task__kind=TaskKind.DOMAIN, task__index=3, index=1)


@pytest.fixture
def fire_org(reference):
    return Organization.objects.get(name="市消防救援局")


@pytest.fixture
def item(admin_user, d3_target, fire_org):
    return raise_supervision(user=admin_user, owner=fire_org, title="D3-1 接入率进度督办",
                             deadline=timezone.localdate() + dt.timedelta(days=30), target=d3_target,
                             reason="进度滞后")


@pytest.fixture
def proposal(admin_user, d3_target, fire_org):
    return raise_supervision(user=admin_user, owner=fire_org, title="D3-1 督办建议",
                             deadline=timezone.localdate() + dt.timedelta(days=15), target=d3_target, proposed=True)


def test_raise_opens_an_item(item, admin_user, d3_target, fire_org):
    assert item.status == SupervisionStatus.OPEN
    assert item.owner == fire_org and item.target == d3_target and item.task == d3_target.task
    assert item.raised_by == admin_user
    assert not item.is_overdue


def test_raise_needs_a_municipal_user(fire_dept, d3_target, fire_org):
    with pytest.raises(PermissionDenied):
        raise_supervision(user=fire_dept, owner=fire_org, title="x", deadline=timezone.localdate(), target=d3_target)
    assert not Supervision.objects.exists()


@pytest.mark.parametrize("_case, title, days, message", [
    ("empty title", "  ", 10, "督办事项不能为空"),
    ("deadline in the past", "督办", -1, "办理时限不能早于今天"),
])
def test_raise_rejects_bad_input(admin_user, d3_target, fire_org, _case, title, days, message):
    with pytest.raises(WorkplanError, match=message):
        raise_supervision(user=admin_user, owner=fire_org, title=title,
                          deadline=timezone.localdate() + dt.timedelta(days=days), target=d3_target)
    assert not Supervision.objects.exists()


def test_respond_then_close(item, fire_dept, admin_user):
    responded = transition_supervision(user=fire_dept, item=item, action="respond", note="已完成 90 栋接入")
    assert responded.status == SupervisionStatus.RESPONDED
    stored = _fresh(item)
    assert stored.status == SupervisionStatus.RESPONDED and stored.response == "已完成 90 栋接入"
    closed = transition_supervision(user=admin_user, item=stored, action="close", note="同意办结")
    stored = _fresh(item)
    assert closed.status == stored.status == SupervisionStatus.CLOSED
    assert stored.closure_note == "同意办结"
    assert stored.closed_at is not None
    assert not stored.is_overdue


def test_close_directly_from_open(item, admin_user):
    transition_supervision(user=admin_user, item=item, action="close", note="情况已核实")
    assert _fresh(item).status == SupervisionStatus.CLOSED


def test_reject_sends_back_to_owner(item, fire_dept, admin_user):
    transition_supervision(user=fire_dept, item=item, action="respond", note="正在推进")
    transition_supervision(user=admin_user, item=item, action="reject", note="请补充佐证材料")
    stored = _fresh(item)
    assert stored.status == SupervisionStatus.OPEN
    assert stored.closure_note == "请补充佐证材料"
    transition_supervision(user=fire_dept, item=stored, action="respond", note="已补充")
    assert _fresh(item).status == SupervisionStatus.RESPONDED
    assert _fresh(item).response == "已补充"


def test_accept_a_proposal(proposal, admin_user):
    assert proposal.status == SupervisionStatus.PROPOSED
    transition_supervision(user=admin_user, item=proposal, action="accept")
    assert _fresh(proposal).status == SupervisionStatus.OPEN


def test_dismiss_a_proposal(proposal, admin_user):
    transition_supervision(user=admin_user, item=proposal, action="dismiss", note="已整改到位")
    stored = _fresh(proposal)
    assert stored.status == SupervisionStatus.DISMISSED
    assert stored.closure_note == "已整改到位"


@pytest.mark.parametrize("_case, setup, action, state", [
    ("close a proposal", [], "close", "建议督办"),
    ("respond to a proposal", [], "respond", "建议督办"),
    ("reject a proposal", [], "reject", "建议督办"),
    ("accept an open item", ["accept"], "accept", "督办中"),
    ("dismiss an open item", ["accept"], "dismiss", "督办中"),
    ("reject an open item", ["accept"], "reject", "督办中"),
    ("respond twice", ["accept", "respond"], "respond", "已反馈"),
    ("respond to a closed item", ["accept", "close"], "respond", "已办结"),
    ("close a closed item", ["accept", "close"], "close", "已办结"),
    ("accept a dismissed proposal", ["dismiss"], "accept", "不予督办"),
])
def test_illegal_transitions_name_the_state(proposal, admin_user, _case, setup, action, state):
    for step in setup:
        transition_supervision(user=admin_user, item=proposal, action=step, note="说明")
    before = _fresh(proposal)
    with pytest.raises(WorkplanError, match=f"「{state}」"):
        transition_supervision(user=admin_user, item=before, action=action, note="说明")
    after = _fresh(proposal)
    assert (after.status, after.response, after.closure_note) == (before.status, before.response,
                                                                  before.closure_note)
    assert after.history.count() == before.history.count()


def test_unknown_action(item, admin_user):
    with pytest.raises(WorkplanError, match="未知操作"):
        transition_supervision(user=admin_user, item=item, action="explode")


def test_respond_needs_a_note(item, fire_dept):
    with pytest.raises(WorkplanError, match="请填写办理情况"):
        transition_supervision(user=fire_dept, item=item, action="respond", note="   ")
    assert _fresh(item).status == SupervisionStatus.OPEN


@pytest.mark.parametrize("_case, who, action", [
    ("another district may not respond", "wanzhou", "respond"),
    ("a viewer may not respond", "viewer", "respond"),
    ("the owner may not close", "fire_dept", "close"),
    ("the owner may not reject", "fire_dept", "reject"),
])
def test_forbidden_transitions(request, item, _case, who, action):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        transition_supervision(user=user, item=item, action=action, note="说明")
    assert _fresh(item).status == SupervisionStatus.OPEN


def test_owner_may_not_accept_a_proposal(proposal, fire_dept):
    with pytest.raises(PermissionDenied):
        transition_supervision(user=fire_dept, item=proposal, action="accept")
    assert _fresh(proposal).status == SupervisionStatus.PROPOSED


# --- API -------------------------------------------------------------------------------------------------------

def _transition_url(item):
    return f"/workplans/supervisions/{item.pk}/transition"


def test_api_transition(item, fire_dept, admin_user, token_for, api_client):
    owner = api_client(token_for(fire_dept))
    response = owner.post(_transition_url(item), {"action": "respond", "note": "已完成"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == SupervisionStatus.RESPONDED
    office = api_client(token_for(admin_user))
    response = office.post(_transition_url(item), {"action": "close", "note": "同意"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == SupervisionStatus.CLOSED
    assert _fresh(item).status == SupervisionStatus.CLOSED


def test_api_illegal_transition_is_400_with_detail(item, admin_user, token_for, api_client):
    office = api_client(token_for(admin_user))
    assert office.post(_transition_url(item), {"action": "close"}).status_code == 200
    response = office.post(_transition_url(item), {"action": "close"})
    assert response.status_code == 400
    assert "已办结" in response.json()["detail"]
    response = office.post(_transition_url(item), {"action": "explode"})
    assert response.status_code == 422  # not one of the documented actions (an enum in the OpenAPI schema)
    assert "accept" in str(response.json()["detail"])


def test_api_forbidden_transition_is_403(item, fire_dept, token_for, api_client):
    owner = api_client(token_for(fire_dept))
    response = owner.post(_transition_url(item), {"action": "close", "note": "我自己办结"})
    assert response.status_code == 403
    assert response.json()["detail"]
    assert _fresh(item).status == SupervisionStatus.OPEN


def test_api_item_outside_scope_is_404(item, wanzhou, token_for, api_client):
    response = api_client(token_for(wanzhou)).post(_transition_url(item), {"action": "respond", "note": "x"})
    assert response.status_code == 404
    assert _fresh(item).status == SupervisionStatus.OPEN


# --- proposals ---------------------------------------------------------------------------------------------------

def test_propose_supervisions_is_idempotent(plan, admin_user, d3_target):
    # a lagging target: nothing reported after the deadline, or a report far behind pace
    fire = Organization.objects.get(name="市消防救援局")
    submit_progress_report(user=admin_user, target=d3_target, reporting_unit=fire, as_of=dt.date(2026, 1, 31),
                           value=0.0, narrative="尚未开始")
    d3_target.refresh_from_db()
    assert d3_target.status in {TargetStatus.OFF_TRACK, TargetStatus.OVERDUE}
    lagging = set(Target.objects.filter(task__plan=plan, status__in=[
        TargetStatus.AT_RISK, TargetStatus.OFF_TRACK, TargetStatus.OVERDUE]).values_list("pk", flat=True))

    first = propose_supervisions()
    assert first
    assert {s.target_id for s in first} <= lagging
    assert d3_target.pk in {s.target_id for s in first}
    assert all(s.status == SupervisionStatus.PROPOSED for s in first)
    proposed = next(s for s in first if s.target_id == d3_target.pk)
    assert proposed.owner == fire
    assert proposed.deadline == timezone.localdate() + dt.timedelta(days=15)
    count = Supervision.objects.count()

    assert propose_supervisions() == []
    assert Supervision.objects.count() == count

    # an accepted (open) or responded item still counts as active
    transition_supervision(user=admin_user, item=proposed, action="accept")
    assert propose_supervisions() == []
    assert Supervision.objects.count() == count


def test_propose_skips_targets_with_an_open_item(plan, admin_user, d3_target, item):
    fire = Organization.objects.get(name="市消防救援局")
    submit_progress_report(user=admin_user, target=d3_target, reporting_unit=fire, as_of=dt.date(2026, 1, 31),
                           value=0.0, narrative="尚未开始")
    created = propose_supervisions()
    assert d3_target.pk not in {s.target_id for s in created}
    assert d3_target.supervisions.count() == 1


# --- audit trail -------------------------------------------------------------------------------------------------

def _trail(item):
    return [(h.history_type, h.status) for h in _fresh(item).history.order_by("history_date", "history_id")]


def test_history_records_every_transition(item, fire_dept, admin_user):
    transition_supervision(user=fire_dept, item=item, action="respond", note="第一次反馈")
    transition_supervision(user=admin_user, item=item, action="reject", note="不充分")
    transition_supervision(user=fire_dept, item=item, action="respond", note="第二次反馈")
    transition_supervision(user=admin_user, item=item, action="close", note="办结")
    assert _trail(item) == [("+", "open"), ("~", "responded"), ("~", "open"), ("~", "responded"), ("~", "closed")]


def test_history_records_the_acting_user_of_service_calls(item, fire_dept, admin_user):
    transition_supervision(user=fire_dept, item=item, action="respond", note="已反馈")
    transition_supervision(user=admin_user, item=item, action="close", note="办结")
    users = [h.history_user for h in _fresh(item).history.order_by("history_date", "history_id")]
    assert users == [admin_user, fire_dept, admin_user]


def test_history_records_the_acting_user_of_api_calls(item, fire_dept, admin_user, token_for, api_client):
    assert api_client(token_for(fire_dept)).post(
        _transition_url(item), {"action": "respond", "note": "已反馈"}).status_code == 200
    assert api_client(token_for(admin_user)).post(
        _transition_url(item), {"action": "close", "note": "办结"}).status_code == 200
    rows = list(_fresh(item).history.order_by("history_date", "history_id"))
    assert [(h.status, h.history_user) for h in rows[1:]] == [("responded", fire_dept), ("closed", admin_user)]
