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
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
# Earliest year accepted for occurrence and report times (older records are typing errors; year 1 overflowed).
MIN_YEAR = 2000
# Upper bounds of the figures, shared by the form and the API schema (counts stay far inside PostgreSQL integer).
MAX_PEOPLE = 1_000_000
MAX_RELOCATED = 10_000_000   # 人次, may count one person several times
MAX_LOSS_YUAN = Decimal(10) ** 13
FIGURE_LIMITS = {name: MAX_PEOPLE for name in FIGURES} | {"relocated": MAX_RELOCATED,
                                                           "direct_loss_yuan": MAX_LOSS_YUAN}


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
        if number > FIGURE_LIMITS[name]:
            raise IncidentError(_("%(field)s 超出范围（最大 %(max)s）") % {"field": name, "max": FIGURE_LIMITS[name]})
        out[name] = number
    return out


def checked_time(value: dt.datetime, label: str) -> dt.datetime:
    """``value`` made aware and range-checked: year ≥ MIN_YEAR and not after now + FUTURE_TOLERANCE.

    Naive times (from a form or an API client without an offset) are Asia/Shanghai wall-clock times.  The year is
    checked before any arithmetic: comparing year-1 or year-9999 times with an offset overflows.
    """
    if not isinstance(value, dt.datetime):
        raise IncidentError(_("%(label)s格式无效。") % {"label": label})
    now = timezone.now()
    if value.year < MIN_YEAR:
        raise IncidentError(_("%(label)s不能早于 %(year)s 年。") % {"label": label, "year": MIN_YEAR})
    if value.year > now.year + 1:
        raise IncidentError(_("%(label)s不能晚于当前时间。") % {"label": label})
    value = timezone.make_aware(value) if timezone.is_naive(value) else value
    if value > now + FUTURE_TOLERANCE:
        raise IncidentError(_("%(label)s不能晚于当前时间。") % {"label": label})
    return value


def _aware(value: dt.datetime) -> dt.datetime:
    return checked_time(value, _("时间"))


def _check_times(occurred_at: dt.datetime, reported_at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    occurred_at = checked_time(occurred_at, _("发生时间"))
    reported_at = checked_time(reported_at, _("报告时间"))
    if reported_at < occurred_at:
        raise IncidentError(_("报告时间不能早于发生时间。"))
    return occurred_at, reported_at


def _sync_record_on_commit(incident: Incident, user) -> None:
    """Hook of the records app: the accident record and its cross-check figures follow the incident (on commit,
    so a rolled-back intake leaves no record; robust: a failing sync is logged, the intake still answers)."""
    from citysafe.records.services import sync_from_incident

    transaction.on_commit(lambda: sync_from_incident(incident, user=user), robust=True)


def default_first_report_level(kind: str) -> str:
    """Default level of the first report: the city for natural disasters (初报 reaches the city within 2 h,
    §2.1), the county otherwise (493 Art. 9)."""
    return ReportLevel.CITY if kind == IncidentKind.NATURAL_DISASTER else ReportLevel.COUNTY


def _latest_report(incident: Incident) -> IncidentReport | None:
    return incident.reports.order_by("-reported_at", "-pk").first()


def _window_open(incident: Incident, at: dt.datetime) -> bool:
    industry_code = incident.industry.code if incident.industry_id else None
    return in_supplement_window(timezone.localtime(incident.occurred_at), industry_code, at)


def report_kinds(incident: Incident, now: dt.datetime | None = None) -> list[str]:
    """Report kinds that may be filed now: 续报/终报 until the final report; after it only 补报, and only while the
    493 Art. 13 window is open; [] when nothing more can be reported."""
    if not incident.reports.filter(kind=ReportKind.FINAL).exists():
        return [ReportKind.FOLLOW_UP, ReportKind.FINAL]
    return [ReportKind.SUPPLEMENTARY] if _window_open(incident, now or timezone.now()) else []


@transaction.atomic
def create_incident(*, user, kind: str, title: str, occurred_at: dt.datetime, reported_at: dt.datetime | None = None,
                    lon: float | None = None, lat: float | None = None, region=None,
                    first_report_level: str | None = None, **fields) -> Incident:
    """Intake (接报): the incident and its first report (首报), graded automatically.

    ``first_report_level`` is the government level the first report was sent to; by default the county for
    accidents (493 Art. 9) and the city for natural disasters (初报 to the city within 2 h, §2.1), so the deadline
    the platform tracks can be met by the first report.  When a point is given the region is the district containing
    it (``core.geo.region_at``); a point outside Chongqing, or a ``region`` that disagrees with it, is rejected.
    The organisation must be one the user may act for (``core.scoping.organization_in_scope``).  ``fields`` may hold the
    figures (see FIGURES), industry, disaster_type, place, description, organization, reporter_name,
    reporter_phone, is_demo.  Non-municipal users may only register incidents in their region or for their
    organisation.
    """
    if not can_write(user):
        raise PermissionDenied(_("无权接报事故事件。"))
    if kind not in IncidentKind.values:
        raise IncidentError(_("未知的事件类别：%(kind)s") % {"kind": kind})
    if not (title or "").strip():
        raise IncidentError(_("请填写标题。"))
    if (lon is None) != (lat is None) or (lon is not None and not valid_lon_lat(lon, lat)):
        raise IncidentError(_("经纬度无效。"))
    occurred_at, reported_at = _check_times(occurred_at, reported_at or timezone.now())
    level = first_report_level or default_first_report_level(kind)
    if level not in ReportLevel.values:
        raise IncidentError(_("未知的报送层级：%(level)s") % {"level": level})
    figures = _clean_figures({name: fields.pop(name, None) for name in FIGURES})
    if lon is not None:
        found = region_at(lon, lat, timezone.localdate(occurred_at))
        if found is None:
            raise IncidentError(_("位置（%(lon)s，%(lat)s）不在重庆市范围内。") % {"lon": lon, "lat": lat})
        if region is not None and region.adcode != found.adcode:
            raise IncidentError(_("所在区县与位置不符：坐标位于%(found)s，所选为%(given)s。")
                                % {"found": found.name, "given": region.name})
        region = found
    organization = fields.get("organization")
    if organization is not None and not organization_in_scope(user, organization.pk):
        raise PermissionDenied(_("只能选择本辖区或本单位的事发单位。"))
    allowed = {"industry", "disaster_type", "place", "description", "organization", "reporter_name",
               "reporter_phone", "is_demo"}
    unknown = set(fields) - allowed
    if unknown:
        raise IncidentError(_("未知字段：%(names)s") % {"names": ", ".join(sorted(unknown))})
    if fields.get("disaster_type") and fields["disaster_type"] not in dict(DISASTER_TYPES):
        raise IncidentError(_("未知灾种：%(type)s") % {"type": fields["disaster_type"]})
    incident = Incident(kind=kind, title=title.strip(), occurred_at=occurred_at, reported_at=reported_at, lon=lon,
                        lat=lat, region=region, created_by=user, grade=grade_for(kind, figures), **figures, **fields)
    if not is_municipal(user) and not in_scope(user, incident):
        raise PermissionDenied(_("只能接报本辖区或本单位的事故事件。"))
    with acting_as(user):
        incident.save()
        IncidentReport.objects.create(incident=incident, kind=ReportKind.FIRST, level=level,
                                      reported_at=reported_at, reported_by=user,
                                      reporter_name=incident.reporter_name, grade_before="",
                                      grade_after=incident.grade, note=incident.description, **figures)
    _sync_record_on_commit(incident, user)
    return incident


@transaction.atomic
def add_report(*, user, incident: Incident, kind: str, level: str = ReportLevel.COUNTY,
               reported_at: dt.datetime | None = None, note: str = "", reporter_name: str = "",
               **figures) -> IncidentReport:
    """A follow-up (续报), final (终报) or, after the final report, supplementary (补报) report: figures not given
    keep their value in the latest report; the incident takes the figures of the latest report by time and is
    re-graded.  A report may not be dated before the latest one on file (nor after now + FUTURE_TOLERANCE), so a
    backdated report cannot rewrite the timeline or turn a late report into an on-time one.

    Within the 补报 window (493 Art. 13: 30 days, 7 for road traffic and fire) the grade follows the figures; after
    it the figures are recorded but the grade stays (changes no longer count).  After the final report only 补报 is
    accepted, and only while the window is open.  The report records the grade before and after and whether the
    investigating government moved up.
    """
    if not (can_write(user) and in_scope(user, incident)):
        raise PermissionDenied(_("无权报告该事故事件。"))
    if kind not in (ReportKind.FOLLOW_UP, ReportKind.FINAL, ReportKind.SUPPLEMENTARY):
        raise IncidentError(_("报告类型只能是续报、终报或补报。"))
    if level not in ReportLevel.values:
        raise IncidentError(_("未知的报送层级：%(level)s") % {"level": level})
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    unknown = set(figures) - set(FIGURES)
    if unknown:
        raise IncidentError(_("未知字段：%(names)s") % {"names": ", ".join(sorted(unknown))})
    reported_at = _check_times(incident.occurred_at, reported_at or timezone.now())[1]
    latest = _latest_report(incident)
    if latest is not None and reported_at < latest.reported_at:
        raise IncidentError(_("报告时间不能早于上一次报告的时间（%(at)s）。")
                            % {"at": f"{timezone.localtime(latest.reported_at):%Y-%m-%d %H:%M}"})
    window = _window_open(incident, reported_at)
    if incident.reports.filter(kind=ReportKind.FINAL).exists():
        if kind != ReportKind.SUPPLEMENTARY:
            raise IncidentError(_("已终报，只能在补报期内补报伤亡变化。"))
        if not window:
            raise IncidentError(_("已终报且已过补报期（条例第十三条），不能再补报。"))
    elif kind == ReportKind.SUPPLEMENTARY:
        raise IncidentError(_("补报用于终报之后的伤亡变化；终报前请用续报。"))
    current = ({name: getattr(latest, name) for name in FIGURES} if latest is not None
               else {name: getattr(incident, name) for name in FIGURES})
    values = _clean_figures(figures, current)
    old_grade = incident.grade
    new_grade = grade_for(incident.kind, values) if window else old_grade
    with acting_as(user):
        report = IncidentReport.objects.create(
            incident=incident, kind=kind, level=level, reported_at=reported_at, reported_by=user,
            reporter_name=reporter_name, note=note, grade_before=old_grade, grade_after=new_grade,
            jurisdiction_raised=grading.raises_jurisdiction(old_grade, new_grade), in_supplement_window=window,
            **values)
        latest = _latest_report(incident)
        for name in FIGURES:
            setattr(incident, name, getattr(latest, name))
        incident.grade = latest.grade_after
        incident.save()
    _sync_record_on_commit(incident, user)
    return report
