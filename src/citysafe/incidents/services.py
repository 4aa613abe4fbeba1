"""Every write to incidents: intake (接报) with the first report, follow-up and final reports that re-grade.

Raises ``IncidentError`` (→ 400) on bad input and ``PermissionDenied`` (→ 403) outside the user's role or scope.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citysafe.core.audit import acting_as
from citysafe.core.geo import region_at, valid_lon_lat
from citysafe.core.roles import can_write, is_municipal
from citysafe.core.scoping import organization_in_scope, scope_region_paths

from . import grading
from .deadlines import in_supplement_window
from .errors import IncidentError, PermissionDenied
from .models import DISASTER_TYPES, Incident, IncidentKind, IncidentReport, ReportKind, ReportLevel

FIGURES = ("deaths", "missing", "serious_injuries", "direct_loss_yuan", "trapped", "evacuated", "relocated",
           "houses_collapsed_damaged")
# Clock skew tolerated between a reporter's watch and the server (project default).
FUTURE_TOLERANCE = dt.timedelta(minutes=10)


def grade_for(kind: str, figures: dict) -> str:
    """The automatic grade of an incident of ``kind`` with ``figures`` (names as in FIGURES); "" for other events."""
    if kind == IncidentKind.ACCIDENT:
        return grading.grade_accident(figures["deaths"], figures["serious_injuries"], figures["direct_loss_yuan"],
                                      missing=figures["missing"]).grade
    if kind == IncidentKind.NATURAL_DISASTER:
        return grading.grade_natural_disaster(figures["deaths"], figures["missing"], figures["relocated"],
                                              figures["houses_collapsed_damaged"]).grade
    return ""


def in_scope(user, incident: Incident) -> bool:
    """May ``user`` act on ``incident``: its region is in their subtree, or they act for its organisation."""
    if is_municipal(user):
        return True
    paths = scope_region_paths(user) or []
    if incident.region_id and any(incident.region.path.startswith(p) for p in paths):
        return True
    return organization_in_scope(user, incident.organization_id)


def _clean_figures(values: dict, current: dict | None = None) -> dict:
    """Figures as non-negative ints (loss as Decimal yuan); missing ones keep ``current`` (or 0)."""
    out = {}
    for name in FIGURES:
        value = values.get(name)
        if value is None or value == "":
            out[name] = (current or {}).get(name, Decimal(0) if name == "direct_loss_yuan" else 0)
            continue
        try:
            number = Decimal(str(value)) if name == "direct_loss_yuan" else int(value)
        except (TypeError, ValueError, InvalidOperation):
            raise IncidentError(_("%(field)s 不是有效的数字") % {"field": name}) from None
        if number < 0 or (name == "direct_loss_yuan" and not number.is_finite()):
            raise IncidentError(_("%(field)s 不能为负数") % {"field": name})
        if name == "direct_loss_yuan" and number >= Decimal("1e14"):
            raise IncidentError(_("直接经济损失超出范围"))
        out[name] = number
    return out


def _aware(value: dt.datetime) -> dt.datetime:
    """Naive times (from a form or an API client without an offset) are Asia/Shanghai wall-clock times."""
    if not isinstance(value, dt.datetime):
        raise IncidentError(_("时间格式无效"))
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _check_times(occurred_at: dt.datetime, reported_at: dt.datetime) -> None:
    now = timezone.now()
    if occurred_at > now + FUTURE_TOLERANCE:
        raise IncidentError(_("发生时间不能晚于当前时间"))
    if reported_at < occurred_at:
        raise IncidentError(_("报告时间不能早于发生时间"))
    if reported_at > now + FUTURE_TOLERANCE:
        raise IncidentError(_("报告时间不能晚于当前时间"))


@transaction.atomic
def create_incident(*, user, kind: str, title: str, occurred_at: dt.datetime, reported_at: dt.datetime | None = None,
                    lon: float | None = None, lat: float | None = None, region=None, **fields) -> Incident:
    """Intake (接报): the incident and its first report (首报, to the county level), graded automatically.

    ``region`` defaults to the district containing (lon, lat) (``core.geo.region_at``).  ``fields`` may hold the
    figures (see FIGURES), industry, disaster_type, place, description, organization, reporter_name,
    reporter_phone, is_demo.  Non-municipal users may only register incidents in their region or for their
    organisation.
    """
    if not can_write(user):
        raise PermissionDenied(_("无权接报事故事件"))
    if kind not in IncidentKind.values:
        raise IncidentError(_("未知的事件类别: %(kind)s") % {"kind": kind})
    if not (title or "").strip():
        raise IncidentError(_("请填写标题"))
    if (lon is None) != (lat is None) or (lon is not None and not valid_lon_lat(lon, lat)):
        raise IncidentError(_("经纬度无效"))
    occurred_at = _aware(occurred_at)
    reported_at = _aware(reported_at or timezone.now())
    _check_times(occurred_at, reported_at)
    figures = _clean_figures({name: fields.pop(name, None) for name in FIGURES})
    if region is None and lon is not None:
        region = region_at(lon, lat, timezone.localdate(occurred_at))
    allowed = {"industry", "disaster_type", "place", "description", "organization", "reporter_name",
               "reporter_phone", "is_demo"}
    unknown = set(fields) - allowed
    if unknown:
        raise IncidentError(_("未知字段: %(names)s") % {"names": ", ".join(sorted(unknown))})
    if fields.get("disaster_type") and fields["disaster_type"] not in dict(DISASTER_TYPES):
        raise IncidentError(_("未知灾种: %(type)s") % {"type": fields["disaster_type"]})
    incident = Incident(kind=kind, title=title.strip(), occurred_at=occurred_at, reported_at=reported_at, lon=lon,
                        lat=lat, region=region, created_by=user, grade=grade_for(kind, figures), **figures, **fields)
    if not is_municipal(user) and not in_scope(user, incident):
        raise PermissionDenied(_("只能接报本辖区或本单位的事故事件"))
    with acting_as(user):
        incident.save()
        IncidentReport.objects.create(incident=incident, kind=ReportKind.FIRST, level=ReportLevel.COUNTY,
                                      reported_at=reported_at, reported_by=user,
                                      reporter_name=incident.reporter_name, grade_before="",
                                      grade_after=incident.grade, note=incident.description, **figures)
    return incident


@transaction.atomic
def add_report(*, user, incident: Incident, kind: str, level: str = ReportLevel.COUNTY,
               reported_at: dt.datetime | None = None, note: str = "", reporter_name: str = "",
               **figures) -> IncidentReport:
    """A follow-up (续报) or final (终报) report: figures not given keep their current value; the incident takes the
    new figures and is re-graded.  Within the 补报 window (493 Art. 13: 30 days, 7 for road traffic and fire) the
    grade follows the figures; after it the figures are recorded but the grade stays (changes no longer count).
    The report records the grade before and after and whether the investigating government moved up.
    """
    if not (can_write(user) and in_scope(user, incident)):
        raise PermissionDenied(_("无权报告该事故事件"))
    if kind not in (ReportKind.FOLLOW_UP, ReportKind.FINAL):
        raise IncidentError(_("报告类型只能是续报或终报"))
    if level not in ReportLevel.values:
        raise IncidentError(_("未知的报送层级: %(level)s") % {"level": level})
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.reports.filter(kind=ReportKind.FINAL).exists():
        raise IncidentError(_("已终报, 不能再报告"))
    unknown = set(figures) - set(FIGURES)
    if unknown:
        raise IncidentError(_("未知字段: %(names)s") % {"names": ", ".join(sorted(unknown))})
    reported_at = _aware(reported_at or timezone.now())
    _check_times(incident.occurred_at, reported_at)
    current = {name: getattr(incident, name) for name in FIGURES}
    values = _clean_figures(figures, current)
    industry_code = incident.industry.code if incident.industry_id else None
    window = in_supplement_window(timezone.localtime(incident.occurred_at), industry_code, reported_at)
    old_grade = incident.grade
    new_grade = grade_for(incident.kind, values) if window else old_grade
    with acting_as(user):
        for name, value in values.items():
            setattr(incident, name, value)
        incident.grade = new_grade
        incident.save()
        return IncidentReport.objects.create(
            incident=incident, kind=kind, level=level, reported_at=reported_at, reported_by=user,
            reporter_name=reporter_name, note=note, grade_before=old_grade, grade_after=new_grade,
            jurisdiction_raised=grading.raises_jurisdiction(old_grade, new_grade), in_supplement_window=window,
            **values)
