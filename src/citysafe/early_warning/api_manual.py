"""``/api/v1/warnings``: manual warnings (draft -> approval -> issue) and the warning-loop metrics.

Scoped like the pages (``manual.manual_warnings_for``; an object outside the scope answers 404).  Domain errors
answer 400 (``WorkplanError``) or 403 (``PermissionDenied``) with ``{"detail": message}``.
"""

import datetime as dt
import json

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from citysafe.core.models import Region

from . import manual, metrics
from .models import WarningStatus

router = Router(tags=["early-warning"])


class ErrorOut(Schema):
    detail: str


class ManualIn(Schema):
    """A draft.  ``region``: GB/T 2260 code (the code in force); ``polygon``: GeoJSON Polygon / MultiPolygon."""

    hazard_type: str
    level: str
    headline: str
    region: str
    description: str = ""
    instruction: str = ""
    area_desc: str = ""
    polygon: dict | None = None
    onset: dt.datetime | None = None
    expires: dt.datetime | None = None
    is_public: bool = False


class ManualPatch(Schema):
    hazard_type: str | None = None
    level: str | None = None
    headline: str | None = None
    region: str | None = None
    description: str | None = None
    instruction: str | None = None
    area_desc: str | None = None
    polygon: dict | None = None
    onset: dt.datetime | None = None
    expires: dt.datetime | None = None
    is_public: bool | None = None


class NoteIn(Schema):
    note: str = ""


class LevelIn(Schema):
    level: str
    note: str = ""


class ManualOut(Schema):
    id: int
    source_key: str
    status: str
    hazard_type: str
    level: str
    headline: str
    description: str
    instruction: str
    region: str | None = None
    area_desc: str
    polygon: dict | None = None
    onset: dt.datetime
    expires: dt.datetime | None = None
    is_public: bool
    issuer: str | None = None
    created_by: str | None = None
    submitted_by: str | None = None
    submitted_at: dt.datetime | None = None
    approved_by: str | None = None
    approved_at: dt.datetime | None = None
    review_note: str

    @staticmethod
    def resolve_region(obj):
        return obj.region.adcode if obj.region_id else None

    @staticmethod
    def resolve_issuer(obj):
        return obj.issuer.name if obj.issuer_id else None

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.get_username() if obj.created_by_id else None

    @staticmethod
    def resolve_submitted_by(obj):
        return obj.submitted_by.get_username() if obj.submitted_by_id else None

    @staticmethod
    def resolve_approved_by(obj):
        return obj.approved_by.get_username() if obj.approved_by_id else None


def _region(adcode: str) -> Region:
    """The region of a GB/T 2260 code in force (the newest if the code was reused)."""
    region = Region.objects.filter(adcode=adcode).order_by("-valid_from").first() if adcode else None
    if region is None:
        raise manual.DraftError(_("未知区划代码: %(code)s") % {"code": adcode}, "region")
    return region


def _data(payload: Schema, partial: bool) -> dict:
    data = payload.dict(exclude_unset=partial)
    if partial:
        data = {k: v for k, v in data.items() if v is not None or k in ("polygon", "expires")}
    if "region" in data:
        data["region"] = _region(data["region"])
    return data


def _get(request, pk: int):
    return get_object_or_404(manual.manual_warnings_for(request.user), pk=pk)


@router.get("/manual", response=list[ManualOut], summary="人工预警(草稿、待审批、已签发)")
def list_manual(request, status: str | None = None, limit: int = Query(200, ge=1, le=1000),
                offset: int = Query(0, ge=0, le=10**9)):
    """Manual warnings the caller may see, newest first; ``status`` filters (draft, pending, active, ...)."""
    qs = manual.manual_warnings_for(request.user).order_by("-updated_at", "-pk")
    if status:
        if status not in WarningStatus.values:
            raise manual.DraftError(_("未知状态: %(status)s") % {"status": status}, "status")
        qs = qs.filter(status=status)
    return qs[offset:offset + limit]


@router.post("/manual", response={201: ManualOut, 400: ErrorOut, 403: ErrorOut}, summary="起草人工预警")
def create_manual(request, payload: ManualIn):
    return Status(201, manual.create_draft(user=request.user, data=_data(payload, partial=False)))


@router.get("/manual/{pk}", response={200: ManualOut, 404: ErrorOut})
def get_manual(request, pk: int):
    return _get(request, pk)


@router.patch("/manual/{pk}", response={200: ManualOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
              summary="修改草稿")
def edit_manual(request, pk: int, payload: ManualPatch):
    return manual.update_draft(user=request.user, warning=_get(request, pk), data=_data(payload, partial=True))


@router.delete("/manual/{pk}", response={204: None, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
               summary="删除草稿")
def delete_manual(request, pk: int):
    manual.delete_draft(user=request.user, warning=_get(request, pk))
    return Status(204, None)


@router.post("/manual/{pk}/submit", response={200: ManualOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="提交审批")
def submit_manual(request, pk: int):
    return manual.submit(user=request.user, warning=_get(request, pk))


_NOTE_BODY = {"requestBody": {"required": False, "content": {"application/json": {"schema": {
    "type": "object", "properties": {"note": {"type": "string", "description": "审批意见(可选)"}}}}}}}


def _optional_note(request) -> str:
    """``{"note": "..."}`` when a JSON body is sent; no body (or a form body) is fine."""
    if "json" not in (request.content_type or ""):
        return request.POST.get("note", "") if request.method == "POST" else ""
    if not request.body.strip():
        return ""
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise manual.DraftError(_("请求体不是有效的 JSON")) from exc
    note = body.get("note", "") if isinstance(body, dict) else None
    if not isinstance(note, str):
        raise manual.DraftError(_("note 须为字符串"), "note")
    return note


@router.post("/manual/{pk}/approve", response={200: ManualOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             openapi_extra=_NOTE_BODY, summary="审批签发")
def approve_manual(request, pk: int):
    """Issue a pending warning (authority for its level and region; not the submitter).  Optional body
    ``{"note": "..."}``."""
    return manual.approve(user=request.user, warning=_get(request, pk), note=_optional_note(request))


@router.post("/manual/{pk}/reject", response={200: ManualOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="退回修改")
def reject_manual(request, pk: int, payload: NoteIn):
    return manual.reject(user=request.user, warning=_get(request, pk), note=payload.note)


@router.post("/manual/{pk}/level", response={200: ManualOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="调整已签发预警的级别")
def change_level_manual(request, pk: int, payload: LevelIn):
    return manual.change_level(user=request.user, warning=_get(request, pk), level=payload.level,
                               note=payload.note)


class MetricsOut(Schema):
    start: dt.date
    end: dt.date
    acknowledgement: dict
    actions: dict
    closing: dict
    coverage: dict


@router.get("/metrics", response={200: MetricsOut, 400: ErrorOut}, summary="预警闭环指标")
def loop_metrics(request, start: dt.date | None = None, end: dt.date | None = None):
    """Acknowledgement (per region and level), response actions on time, closing with feedback and population
    coverage for the period (Asia/Shanghai days, both inclusive; default: this year so far), scoped to the caller.
    Definitions: ``citysafe.early_warning.metrics``."""
    default_start, default_end = metrics.default_period()
    start, end = start or default_start, end or default_end
    if end < start:
        raise manual.DraftError(_("结束日期不能早于开始日期"), "end")
    if (end - start).days > 3660:
        raise manual.DraftError(_("统计期间不能超过十年"), "end")
    warnings, regions = metrics.scope_for(request.user)
    return metrics.summary(warnings, regions, start, end)
