"""One chronological timeline per warning: its events, calls, acknowledgements, response actions, execution
reports, CAP messages and the closing feedback.

``build_timeline(warning)`` returns ``TimelineItem``s sorted by time (ties keep the order of the loop: events,
calls, acks, actions, reports, CAP, closing); ``counts(warning)`` the figures shown above it.  Pure reads; the
caller has checked the user may see the warning (``detailed=False`` leaves out people and actions, for users who
see a public warning of another region).
"""

import datetime as dt
from dataclasses import asdict, dataclass, field

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import (
    EVENT_LABELS,
    Acknowledgement,
    ActionStatus,
    CallAttempt,
    CallStatus,
    EarlyWarning,
    ExecutionReport,
    Level,
)

LEVEL_LABELS = dict(Level.choices)
CHANNEL_LABELS = {"in_app": gettext_lazy("站内通知"), "email": gettext_lazy("邮件"),
                  "webhook": gettext_lazy("Webhook(短信/语音网关)"), "mqtt": gettext_lazy("MQTT 广播")}


def channel_label(channel: str) -> str:
    return str(CHANNEL_LABELS.get(channel, channel))


def call_outcome(attempt) -> str:
    """A short translated outcome of a sent call; the raw channel result stays in the item's ``title``."""
    if attempt.status != CallStatus.FAILED:
        return _("已送达")
    if (attempt.result or "").split(": ", 1)[-1].startswith("skipped"):
        return _("未配置，已跳过")
    return _("发送失败")


def duration_label(seconds) -> str:
    """Seconds as "1分24秒" / "2小时5分" / "35秒" (rounded to the second); "—" for None."""
    if seconds is None:
        return "—"
    total = round(float(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(h)s小时%(m)s分") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)s分%(s)s秒") % {"m": minutes, "s": secs}
    return _("%(s)s秒") % {"s": secs}


@dataclass
class TimelineItem:
    """One line of the timeline.  ``kind`` is the event kind (raised, upgraded, …) or call_sent, call_failed,
    call_escalated, ack, action_opened, action_overdue, action_cancelled, report, cap, closed; ``css`` a Bootstrap
    text class; ``photos`` ids of execution photos (the page links them through the scoped photo view); ``title``
    the raw technical detail (a call's channel result), shown as a tooltip."""

    at: dt.datetime
    kind: str
    label: str
    actor: str = ""
    detail: str = ""
    css: str = ""
    photos: list[int] = field(default_factory=list)
    order: int = 0
    title: str = ""

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("order")
        data["at"] = self.at.isoformat()
        return data


EVENT_CSS = {"raised": "text-danger", "upgraded": "text-danger", "downgraded": "text-primary",
             "cleared": "text-success", "cancelled": "text-secondary", "expired": "text-secondary",
             "suppressed": "text-muted", "silenced": "text-muted"}


def _event_actor(warning, kind) -> str:
    user = {"drafted": warning.created_by, "submitted": warning.submitted_by,
            "approved": warning.approved_by}.get(kind)
    return user.get_username() if user else ""


def _events(warning) -> list[TimelineItem]:
    items = []
    for e in warning.events.all():
        if e.kind == "closed":
            continue  # the closing item below carries the whole feedback
        if e.previous_level and e.level:
            levels = f"{e.previous_level_label} → {e.level_label}"
        else:
            levels = e.level_label or e.previous_level_label
        actor = _event_actor(warning, e.kind)
        note = e.note or ""
        if actor and (note == actor or note.startswith(actor + " ")):
            note = note[len(actor):].strip()  # workflow events note the user, who is already the actor
        detail = " ".join(part for part in [levels, f"({e.value:g})" if e.value is not None else "", note] if part)
        items.append(TimelineItem(e.at, e.kind, e.kind_label, actor, detail,
                                  EVENT_CSS.get(e.kind, ""), order=0))
    return items


def _calls(warning) -> list[TimelineItem]:
    items = []
    rows = (CallAttempt.objects.filter(warning=warning)
            .exclude(status__in=[CallStatus.PENDING, CallStatus.CANCELLED], sent_at=None)
            .select_related("person").order_by("pk"))
    for a in rows:
        level = LEVEL_LABELS.get(a.level, a.level)
        who = a.person.name
        if a.sent_at:
            ok = a.status != CallStatus.FAILED
            label = _("叫应发送") if ok else _("叫应发送失败")
            detail = _("%(channel)s 第%(n)s次 · %(level)s · %(at)s %(outcome)s") % {
                "channel": channel_label(a.channel), "n": a.attempt_no, "level": level,
                "at": timezone.localtime(a.sent_at).strftime("%m-%d %H:%M:%S"), "outcome": call_outcome(a)}
            if a.informational:
                label = _("订阅通知")
            items.append(TimelineItem(a.sent_at, "call_sent" if ok else "call_failed", label, who, detail,
                                      "" if ok else "text-danger", order=1, title=a.result))
        if a.status == CallStatus.ESCALATED and a.attempt_no == 1:
            items.append(TimelineItem(a.escalate_at, "call_escalated", _("未在时限内确认，升级"), who,
                                      _("%(channel)s · 确认时限 %(at)s") % {
                                          "channel": channel_label(a.channel),
                                          "at": timezone.localtime(a.escalate_at).strftime("%H:%M:%S")},
                                      "text-warning", order=1))
    return items


def _acks(warning) -> list[TimelineItem]:
    return [TimelineItem(a.at, "ack", _("确认收到(叫应)"), a.person.name,
                         _("%(channel)s · 第%(round)s轮 · %(level)s") % {
                             "channel": channel_label(a.channel), "round": a.call_round, "level": LEVEL_LABELS.get(a.level, a.level)},
                         "text-success", order=2)
            for a in Acknowledgement.objects.filter(warning=warning).select_related("person")]


def _owner(action) -> str:
    return str(action.owner or action.owner_organization or "")


def _actions(warning, now) -> list[TimelineItem]:
    items = []
    for a in warning.actions.select_related("owner", "owner_organization").order_by("created_at", "pk"):
        deadline = timezone.localtime(a.deadline).strftime("%m-%d %H:%M")
        required = _("必须反馈") if a.required else _("可选反馈")
        items.append(TimelineItem(a.created_at, "action_opened", _("下达措施：%(title)s") % {"title": a.title},
                                  _owner(a), _("%(level)s · 时限 %(deadline)s · %(required)s") % {
                                      "level": LEVEL_LABELS.get(a.level, a.level), "deadline": deadline,
                                      "required": required}, order=3))
        late = (a.reported_at and a.reported_at > a.deadline) or (a.status == ActionStatus.OPEN and now > a.deadline)
        if late:
            items.append(TimelineItem(a.deadline, "action_overdue", _("措施超时：%(title)s") % {"title": a.title},
                                      _owner(a), "", "text-danger", order=3))
        if a.status == ActionStatus.CANCELLED:
            items.append(TimelineItem(warning.ended_at or a.created_at, "action_cancelled",
                                      _("措施取消：%(title)s") % {"title": a.title}, _owner(a), "",
                                      "text-secondary", order=3))
    return items


def _reports(warning) -> list[TimelineItem]:
    items = []
    reports = (ExecutionReport.objects.filter(action__warning=warning)
               .select_related("action", "person", "reported_by").prefetch_related("photos"))
    for r in reports:
        parts = []
        if r.evacuated is not None:
            parts.append(_("转移 %(n)s 人") % {"n": r.evacuated})
        parts.append(_("执行于 %(at)s") % {"at": timezone.localtime(r.executed_at).strftime("%m-%d %H:%M")})
        if r.note:
            parts.append(r.note)
        photos = [p.pk for p in r.photos.all()]
        if photos:
            parts.append(_("照片 %(n)s 张") % {"n": len(photos)})
        actor = r.person.name if r.person else (r.reported_by.get_username() if r.reported_by else "")
        items.append(TimelineItem(r.created_at, "report", _("执行反馈：%(title)s") % {"title": r.action.title},
                                  actor, " · ".join(parts), "text-success", photos, order=4))
    return items


def _cap(warning) -> list[TimelineItem]:
    return [TimelineItem(m.sent or m.received_at, "cap", _("CAP 报文(%(type)s)%(dir)s") % {
        "type": m.msg_type, "dir": m.get_direction_display()}, m.sender, m.identifier,
        "" if m.is_valid else "text-danger", order=5) for m in warning.cap_messages.all()]


def _closing(warning) -> list[TimelineItem]:
    if not warning.closed_at:
        return []
    actor = warning.closed_by.get_username() if warning.closed_by else ""
    return [TimelineItem(warning.closed_at, "closed", str(EVENT_LABELS["closed"]), actor, warning.feedback,
                         "text-success fw-bold", order=6)]


def build_timeline(warning: EarlyWarning, *, detailed: bool = True, now=None) -> list[TimelineItem]:
    """The warning's timeline, oldest first."""
    now = now or timezone.now()
    items = _events(warning) + _cap(warning) + _closing(warning)
    if detailed:
        items += _calls(warning) + _acks(warning) + _actions(warning, now) + _reports(warning)
    return sorted(items, key=lambda i: (i.at, i.order))


def counts(warning: EarlyWarning) -> dict:
    """Figures of the latest call round that called anyone, and of the actions:
    ``{"round", "called", "acknowledged", "pending", "actions_required", "actions_reported", "actions_open"}``."""
    attempts = CallAttempt.objects.filter(warning=warning, informational=False)
    last_round = attempts.aggregate(last=Max("call_round"))["last"] or 0
    called = set(attempts.filter(call_round=last_round).values_list("person_id", flat=True))
    acked = set(Acknowledgement.objects.filter(warning=warning, call_round=last_round)
                .values_list("person_id", flat=True)) & called
    required = warning.actions.filter(required=True).exclude(status=ActionStatus.CANCELLED)
    return {"round": last_round, "called": len(called), "acknowledged": len(acked), "pending": len(called - acked),
            "actions_required": required.count(),
            "actions_reported": required.filter(status=ActionStatus.REPORTED).count(),
            "actions_open": warning.actions.filter(status=ActionStatus.OPEN).count()}
