"""``/api/v1/warnings``: the response loop — timeline, acknowledgement, my calls, actions, execution reports
(multipart, with photos), closing with feedback.  Scoped like the pages: a warning or action the user may not see
is 404; a change the user may not make is 403; bad input is 400 with ``detail``."""

import datetime as dt

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from citysafe.workplans.errors import PermissionDenied, WorkplanError

from . import noise, response, selectors, timeline
from .models import EarlyWarning

router = Router(tags=["early-warning"])


class TimelineItemOut(Schema):
    at: str
    kind: str
    label: str
    actor: str
    detail: str
    css: str
    photos: list[int]
    title: str = ""


class TimelineOut(Schema):
    warning_id: int
    status: str
    level: str
    counts: dict | None
    items: list[TimelineItemOut]


class AckOut(Schema):
    warning_id: int
    person: str
    call_round: int
    level: str
    channel: str
    at: dt.datetime


class MyCallOut(Schema):
    warning_id: int
    level: str
    hazard_type: str
    headline: str
    region: str
    deadline: dt.datetime
    informational: bool
    attempts: int
    ack_url: str


class ActionOut(Schema):
    id: int
    warning_id: int
    level: str
    kind: str
    title: str
    owner: str
    owner_organization: str
    deadline: dt.datetime
    required: bool
    status: str
    reported_at: dt.datetime | None

    @staticmethod
    def resolve_owner(obj):
        return str(obj.owner or "")

    @staticmethod
    def resolve_owner_organization(obj):
        return str(obj.owner_organization or "")


class ReportOut(Schema):
    id: int
    action_id: int
    action_status: str
    executed_at: dt.datetime
    evacuated: int | None
    note: str
    photos: list[int]


class CloseIn(Schema):
    feedback: str


class CloseOut(Schema):
    warning_id: int
    closed_at: dt.datetime
    closed_by: str
    feedback: str


def _parse_time(text: str | None) -> dt.datetime | None:
    """An ISO 8601 time (naive = Beijing time) in the years ``response.YEAR_RANGE``; WorkplanError (400) else."""
    if text is None or not text.strip():
        return None
    try:
        value = parse_datetime(text.strip())
    except ValueError:
        value = None
    if value is None:
        raise WorkplanError(_("执行时间格式不正确，应为 ISO 8601，如 2026-07-01T08:30:00+08:00"))
    low, high = response.YEAR_RANGE
    if not low <= value.year <= high:
        raise WorkplanError(_("执行时间须在 %(a)s 年至 %(b)s 年之间") % {"a": low, "b": high})
    return timezone.make_aware(value, noise.BEIJING) if timezone.is_naive(value) else value


def _detailed(user, warning) -> bool:
    return response.in_region_scope(user, warning) or response.was_called(user, warning)


@router.get("/my-calls", response=list[MyCallOut], summary="我的待确认叫应")
def my_calls(request):
    from django.urls import reverse

    return [{"warning_id": g["warning"].pk, "level": g["warning"].level, "hazard_type": g["warning"].hazard_type,
             "headline": g["warning"].headline, "region": str(g["warning"].region or ""), "deadline": g["deadline"],
             "informational": g["informational"], "attempts": len(g["attempts"]),
             "ack_url": reverse("early_warning:warning_ack", args=[g["warning"].pk])}
            for g in response.my_calls(request.user)]


@router.get("/{warning_id}/timeline", response=TimelineOut, summary="预警全过程时间线")
def warning_timeline(request, warning_id: int):
    warning = get_object_or_404(selectors.warnings_for(request.user), pk=warning_id)
    detailed = _detailed(request.user, warning)
    return {"warning_id": warning.pk, "status": warning.status, "level": warning.level,
            "counts": timeline.counts(warning) if detailed else None,
            "items": [i.as_dict() for i in timeline.build_timeline(warning, detailed=detailed)]}


@router.post("/{warning_id}/ack", response=AckOut, summary="确认收到(叫应)")
def warning_ack(request, warning_id: int):
    """The caller's person confirms receipt; 404 unless the caller was called about the warning (or may see it)."""
    warning = get_object_or_404(EarlyWarning.objects.select_related("region"), pk=warning_id)
    if not response.can_open_ack_page(request.user, warning):
        raise Http404
    ack = response.acknowledge(user=request.user, warning=warning, channel="in_app")
    return {"warning_id": warning.pk, "person": ack.person.name, "call_round": ack.call_round, "level": ack.level,
            "channel": ack.channel, "at": ack.at}


@router.get("/{warning_id}/actions", response=list[ActionOut], summary="预警的响应措施")
def warning_actions(request, warning_id: int):
    warning = get_object_or_404(selectors.warnings_for(request.user), pk=warning_id)
    return response.actions_for(request.user).filter(warning=warning)


@router.post("/actions/{action_id}/reports", response={201: ReportOut}, summary="措施执行反馈(可附照片)")
def report_action(request, action_id: int, evacuated: int | None = Form(None), note: str = Form(""),
                  executed_at: str | None = Form(None, description="ISO 8601，如 2026-07-01T08:30:00+08:00；"
                                                                     "不带时区的按北京时间"),
                  photos: list[UploadedFile] = File(None)):
    """multipart/form-data: ``evacuated`` (0..1000000, required for evacuations), ``note`` (≤ 2000 characters),
    ``executed_at`` (ISO 8601, with offset or Beijing time; from a day before the warning's onset to now),
    ``photos`` (0..5 images)."""
    action = get_object_or_404(response.actions_for(request.user), pk=action_id)
    executed_at = _parse_time(executed_at)
    report = response.report_action(user=request.user, action=action, executed_at=executed_at,
                                    evacuated=evacuated, note=note, photos=photos or [])
    action.refresh_from_db()
    return Status(201, {"id": report.pk, "action_id": action.pk, "action_status": action.status,
                        "executed_at": report.executed_at, "evacuated": report.evacuated, "note": report.note,
                        "photos": [p.pk for p in report.photos.all()]})


@router.post("/{warning_id}/close", response=CloseOut, summary="闭环反馈")
def warning_close(request, warning_id: int, payload: CloseIn):
    warning = get_object_or_404(selectors.warnings_for(request.user), pk=warning_id)
    if not response.writer_in_scope(request.user, warning):
        raise PermissionDenied(_("只有预警所在区域的操作员可以闭环"))
    warning = response.close_warning(user=request.user, warning=warning, feedback=payload.feedback)
    return {"warning_id": warning.pk, "closed_at": warning.closed_at, "closed_by": warning.closed_by.get_username(),
            "feedback": warning.feedback}
