"""Dispatch (调度) of a team and/or depot stock to an incident: a small state machine with timestamps.

    requested -> dispatched -> arrived -> returned
    requested | dispatched -> cancelled

Resources are reserved when the dispatch is *requested*, so two commanders can never promise the same team or stock:

* the team goes ``available -> dispatched`` by a conditional UPDATE (``WHERE status = 'available'``);
* each stock line is drawn by a conditional UPDATE ``quantity = quantity - n WHERE quantity >= n``; the database
  check ``quantity >= 0`` backs it up.  Either every line is drawn or (one transaction) none is.

On *returned* the team becomes available again and unused quantities may be put back (at most what was drawn); on
*cancelled* everything drawn goes back.  Every state change is audited (simple-history; the conditional UPDATEs
write their history rows explicitly because ``QuerySet.update`` does not).
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import get_history_manager_for_model

from citysafe.core.audit import acting_as
from citysafe.core.roles import can_write

from .errors import PermissionDenied, ResourceError
from .models import MAX_STOCK, Dispatch, DispatchItem, DispatchStatus, Resource, ResourceKind, ResourceStatus, StockItem
from .selectors import can_manage, incident_visible

S = DispatchStatus
TRANSITIONS: dict[str, set[str]] = {
    S.REQUESTED: {S.DISPATCHED, S.CANCELLED},
    S.DISPATCHED: {S.ARRIVED, S.CANCELLED},
    S.ARRIVED: {S.RETURNED},
    S.RETURNED: set(),
    S.CANCELLED: set(),
}
# Kinds that travel to the scene as a unit; depots send stock lines, shelters and helipads stay where they are.
DISPATCHABLE_KINDS = {ResourceKind.TEAM, ResourceKind.EQUIPMENT, ResourceKind.MEDICAL}
TIMESTAMP = {S.DISPATCHED: "dispatched_at", S.ARRIVED: "arrived_at", S.RETURNED: "returned_at",
             S.CANCELLED: "cancelled_at"}


def _record_history(model, objs, user) -> None:
    """History rows for rows changed by ``QuerySet.update`` (which bypasses the save signals)."""
    get_history_manager_for_model(model).bulk_history_create(objs, update=True, default_user=user)


def _set_team_status(team: Resource, frm: str, to: str, user) -> bool:
    changed = Resource.objects.filter(pk=team.pk, status=frm).update(status=to)
    if changed:
        team.refresh_from_db(fields=["status"])
        _record_history(Resource, [team], user)
    return bool(changed)


def _move_stock(stock_id: int, delta: int, user) -> bool:
    """Add ``delta`` (negative = draw) unless that would go below zero; True when done."""
    qs = StockItem.objects.filter(pk=stock_id)
    if delta < 0:
        qs = qs.filter(quantity__gte=-delta)
    if not qs.update(quantity=F("quantity") + delta):
        return False
    # Our UPDATE holds the row lock until commit, so this read is our own result.
    _record_history(StockItem, [StockItem.objects.get(pk=stock_id)], user)
    return True


def request_dispatch(*, user, incident, team: Resource | None = None, items: list[tuple[StockItem, int]] = (),
                     note: str = "") -> Dispatch:
    """Reserve ``team`` and draw ``items`` [(stock line, quantity > 0)] for ``incident``.

    Only the resource's managers (``selectors.can_manage``: its owning organisation's writers, municipal users) may
    commit it; a district asks the city for city-owned resources located in the district.

    Errors: ``PermissionDenied`` (viewer, incident or resource outside scope), ``ResourceError`` (nothing to send,
    team not available, not enough stock — nothing is drawn then).
    """
    if not can_write(user):
        raise PermissionDenied(_("只读用户不能调度资源"))
    if not incident_visible(user, incident):
        raise PermissionDenied(_("无权调度该事件"))
    if team is None and not items:
        raise ResourceError(_("请选择队伍或物资"))
    if team is not None:
        if team.kind not in DISPATCHABLE_KINDS:
            raise ResourceError(_("「%(kind)s」不能整体调派(储备库请按物资调用)") % {"kind": team.get_kind_display()})
        if not can_manage(user, team):
            raise PermissionDenied(_("无权调度该资源"))
    for stock, quantity in items:
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 < quantity <= MAX_STOCK:
            raise ResourceError(_("调用数量必须为正整数"))
        if not can_manage(user, stock.depot):
            raise PermissionDenied(_("无权调用该储备库物资"))
    with acting_as(user), transaction.atomic():
        if team is not None and not _set_team_status(team, ResourceStatus.AVAILABLE, ResourceStatus.DISPATCHED, user):
            raise ResourceError(_("%(team)s 当前不可调派") % {"team": team.name})
        dispatch = Dispatch.objects.create(incident=incident, team=team, note=note, requested_by=user)
        for stock, quantity in items:
            if not _move_stock(stock.pk, -quantity, user):
                raise ResourceError(_("%(item)s 库存不足") % {"item": stock.item})
            DispatchItem.objects.create(dispatch=dispatch, stock=stock, quantity=quantity)
    return dispatch


def may_advance(user, dispatch: Dispatch) -> bool:
    """Whether ``user`` manages everything ``dispatch`` sent (the team and each depot drawn from)."""
    if not can_write(user):
        return False
    if dispatch.team_id and not can_manage(user, dispatch.team):
        return False
    # items.all(): uses the prefetch of ``selectors.dispatches_for`` (one query per page, not per row)
    return all(can_manage(user, item.stock.depot) for item in dispatch.items.all())


def advance(dispatch: Dispatch, to: str, *, user, returned: dict[int, int] | None = None) -> Dispatch:
    """Move ``dispatch`` to state ``to``.  ``returned``: {dispatch item id: unused quantity put back} (returned only).

    Only the managers of what was sent (``selectors.can_manage`` on the team and on every depot drawn from —
    municipal users always) may move it, exactly as only they may request it: seeing the incident is not enough.

    Errors: ``ResourceError`` (transition not allowed — also when someone else moved it first — or a return larger
    than what was drawn), ``PermissionDenied``.
    """
    if not may_advance(user, dispatch):
        raise PermissionDenied(_("无权操作该调度：只有调派资源的管理单位或市级用户可以操作"))
    if to not in TRANSITIONS.get(dispatch.status, set()):
        raise ResourceError(_("不能从「%(a)s」变为「%(b)s」") % {"a": dispatch.get_status_display(),
                                                              "b": DispatchStatus(to).label if to in S.values else to})
    returned = returned or {}
    if returned and to != S.RETURNED:
        raise ResourceError(_("只有返回时可以归还物资"))
    items = {item.pk: item for item in dispatch.items.all()}
    for item_id, quantity in returned.items():
        item = items.get(int(item_id))
        if item is None or isinstance(quantity, bool) or not isinstance(quantity, int) \
                or not 0 <= quantity <= item.quantity:
            raise ResourceError(_("归还数量无效"))
    now = timezone.now()
    with acting_as(user), transaction.atomic():
        # Conditional on the state we saw: of two concurrent clicks only one moves it.
        if not Dispatch.objects.filter(pk=dispatch.pk, status=dispatch.status).update(status=to,
                                                                                     **{TIMESTAMP[to]: now}):
            raise ResourceError(_("调度状态已被他人更新，请刷新"))
        dispatch.refresh_from_db()
        _record_history(Dispatch, [dispatch], user)
        if to in (S.RETURNED, S.CANCELLED) and dispatch.team_id:
            _set_team_status(dispatch.team, ResourceStatus.DISPATCHED, ResourceStatus.AVAILABLE, user)
        for item in items.values():
            back = item.quantity if to == S.CANCELLED else returned.get(item.pk, 0)
            if back:
                _move_stock(item.stock_id, back, user)
                item.returned = back
                item.save(update_fields=["returned"])
    return dispatch


LABELS = {S.REQUESTED: gettext_lazy("请求调派"), S.DISPATCHED: gettext_lazy("出发"), S.ARRIVED: gettext_lazy("到达现场"),
          S.RETURNED: gettext_lazy("返回"), S.CANCELLED: gettext_lazy("取消调派")}


def _what(dispatch: Dispatch) -> str:
    parts = [dispatch.team.name] if dispatch.team_id else []
    parts += [f"{i.stock.item} {i.quantity}{i.stock.unit}" for i in dispatch.items.all()]
    return "、".join(parts)


def dispatch_timeline(incident) -> list[dict]:
    """Dispatch events of ``incident`` for its timeline, oldest first.

    Shape: ``[{"at": datetime, "kind": "dispatch_<state>", "label": str, "detail": str}]``.  The caller scopes the
    incident; dispatches follow it.
    """
    events = []
    qs = Dispatch.objects.filter(incident=incident).select_related("team").prefetch_related("items__stock")
    for dispatch in qs:
        what = _what(dispatch)
        for state, field in [(S.REQUESTED, "requested_at"), *((s, f) for s, f in TIMESTAMP.items())]:
            at = getattr(dispatch, field)
            if at is None:
                continue
            detail = what
            if state == S.RETURNED:
                back = [f"{i.stock.item} {i.returned}{i.stock.unit}" for i in dispatch.items.all() if i.returned]
                if back:
                    detail += " — " + _("归还: ") + "、".join(back)
            events.append({"at": at, "kind": f"dispatch_{state}", "label": str(LABELS[state]),
                           "detail": detail, "dispatch_id": dispatch.pk})
    events.sort(key=lambda e: e["at"])
    return events
