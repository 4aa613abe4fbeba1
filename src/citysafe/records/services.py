"""Every write to accident and disaster records (audited; scoped; Chinese messages).

Raises ``RecordError`` (→ 400, with the field at fault) and ``PermissionDenied`` (→ 403).

* ``sync_from_incident`` — the incident hook: upserts the AccidentRecord of an accident incident and feeds its
  figures to the cross-check as ``SourceFigure`` rows (source_kind "incident").
* ``create_record`` / ``update_record`` — manual entry and corrections (history on the model; a correction's
  reason is appended to the note).
* ``create_event`` / ``add_disaster_report`` — natural-disaster statistics (初报 / 续报 / 核报, standards-safety.md
  §2.1), with the §2.1 checks; district reports feed the cross-check (source_kind "district").
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citysafe.core.audit import acting_as
from citysafe.core.models import Region
from citysafe.core.roles import can_write, is_enterprise, is_municipal
from citysafe.core.scoping import organization_in_scope, scope_organization_ids
from citysafe.incidents import grading

from . import crosscheck
from .errors import PermissionDenied, RecordError
from .models import (
    AccidentRecord,
    DisasterEvent,
    DisasterReport,
    Discrepancy,
    DiscrepancyStatus,
    EventStatus,
    FigureSourceKind,
    RecordCategory,
    RecordSource,
    RegionFigure,
    ReportStage,
)

GRADES = tuple(grading.ACCIDENT_GRADES)  # 国务院令第493号第三条
MIN_YEAR = 2000
# Bounds (project default): people counts far inside a 32-bit integer; loss below the DecimalField's 16 digits.
MAX_PEOPLE = 1_000_000
MAX_PEOPLE_TIMES = 100_000_000  # 人次 may count a person several times
MAX_LOSS_YUAN = Decimal(10) ** 13
MAX_LOSS_10K = Decimal(10) ** 11
MAX_AREA_HA = 10_000_000.0
RECORD_INT_FIELDS = ("deaths", "missing", "serious_injuries", "injuries")
INDICATOR_INT_FIELDS = ("affected_population", "deaths", "missing", "deaths_at_monitored_points", "relocated",
                        "needing_aid", "collapsed_rooms", "severely_damaged_rooms", "generally_damaged_rooms")
INDICATOR_AREA_FIELDS = ("crop_affected_ha", "crop_disaster_ha", "crop_failed_ha")
INDICATORS = INDICATOR_INT_FIELDS + INDICATOR_AREA_FIELDS + ("direct_loss_10k_yuan",)
LIMITS = {"affected_population": MAX_PEOPLE_TIMES, "relocated": MAX_PEOPLE_TIMES, "needing_aid": MAX_PEOPLE_TIMES}
# A version whose figure falls by more than this share of the previous version needs a written note
# (standards-safety.md §2.1 "large jumps or drops must be explained in writing", LOCAL-EXAMPLE; the ratio is a
# project default, configurable as settings.CITYSAFE_DISASTER_DROP_RATIO).
DEFAULT_DROP_RATIO = 0.3
STAGE_RANK = {ReportStage.INITIAL: 1, ReportStage.FOLLOW_UP: 2, ReportStage.FINAL: 3}
INCIDENT_METRICS = ("deaths", "missing", "serious_injuries", "direct_loss_yuan")
# Figures of a record that the cross-check compares: a manual change needs a reason and is recorded as a source.
RECORD_FIGURES = crosscheck.ACCIDENT_METRICS


def field_label(name: str) -> str:
    """The Chinese verbose name of a record or disaster-report field (metric), else ``name`` itself."""
    for model in (AccidentRecord, DisasterReport, DisasterEvent):
        try:
            return str(model._meta.get_field(name).verbose_name)
        except Exception:  # noqa: BLE001 - FieldDoesNotExist: try the next model
            continue
    return name


def grade_label(grade: str) -> str:
    return str(grading.GRADE_LABELS.get(grade, grade)) if grade else ""


# ---------------------------------------------------------------------------------------------------- values
def _int(name: str, value, maximum: int = MAX_PEOPLE) -> int:
    if value is None or value == "":
        return 0
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise RecordError(_("%(f)s不是有效的整数。") % {"f": field_label(name)}, name) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise RecordError(_("%(f)s不是有效的整数。") % {"f": field_label(name)}, name)
    if number < 0 or number > maximum:
        raise RecordError(_("%(f)s应在 0 至 %(max)s 之间。") % {"f": field_label(name), "max": maximum}, name)
    return int(number)


def _decimal(name: str, value, maximum: Decimal) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise RecordError(_("%(f)s不是有效的数字。") % {"f": field_label(name)}, name) from None
    if not number.is_finite() or number < 0 or number >= maximum:
        raise RecordError(_("%(f)s应在 0 至 %(max)s 之间。") % {"f": field_label(name), "max": maximum}, name)
    return number.quantize(Decimal("0.01"))


def _area(name: str, value, allow_none: bool = False) -> float | None:
    if value is None or value == "":
        return None if allow_none else 0.0
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RecordError(_("%(f)s不是有效的数字。") % {"f": field_label(name)}, name) from None
    if not math.isfinite(number) or number < 0 or number > MAX_AREA_HA:
        raise RecordError(_("%(f)s应在 0 至 %(max)s 之间。") % {"f": field_label(name), "max": int(MAX_AREA_HA)},
                          name)
    return number


def typed_value(metric: str, number: float):
    """A cross-check value (float) in the type of the model field ``metric``."""
    if metric in ("direct_loss_yuan", "direct_loss_10k_yuan"):
        return Decimal(str(number)).quantize(Decimal("0.01"))
    if metric in RECORD_INT_FIELDS or metric in INDICATOR_INT_FIELDS:
        return int(round(number))
    return float(number)


def _date(name: str, value) -> dt.date:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise RecordError(_("%(f)s格式无效（应为 YYYY-MM-DD）。") % {"f": field_label(name)}, name) from None
    if not isinstance(value, dt.date):
        raise RecordError(_("%(f)s格式无效（应为 YYYY-MM-DD）。") % {"f": field_label(name)}, name)
    if value.year < MIN_YEAR or value > timezone.localdate():
        raise RecordError(_("%(f)s应在 %(y)s 年之后且不晚于今天。") % {"f": field_label(name), "y": MIN_YEAR}, name)
    return value


def clean_record_fields(fields: dict, current: AccidentRecord | None = None) -> dict:
    """Checked and typed record fields (only those given); raises RecordError naming the field."""
    allowed = {"category", "title", "occurred_on", "region", "industry", "organization", "grade", "is_secondary",
               "burned_forest_ha", "note", "is_demo", "direct_loss_yuan", *RECORD_INT_FIELDS}
    unknown = set(fields) - allowed
    if unknown:
        raise RecordError(_("未知字段：%(n)s") % {"n": ", ".join(sorted(unknown))})
    out = dict(fields)
    if "category" in out and out["category"] not in RecordCategory.values:
        raise RecordError(_("未知类别：%(c)s") % {"c": out["category"]}, "category")
    if "title" in out:
        out["title"] = (out["title"] or "").strip()
        if not out["title"] or len(out["title"]) > 200:
            raise RecordError(_("名称不能为空且不超过 200 字。"), "title")
    if "occurred_on" in out:
        out["occurred_on"] = _date("occurred_on", out["occurred_on"])
    if "grade" in out:
        out["grade"] = out["grade"] or ""
        if out["grade"] not in ("", *GRADES):
            raise RecordError(_("等级只能是一般事故、较大事故、重大事故或特别重大事故。"), "grade")
    for name in RECORD_INT_FIELDS:
        if name in out:
            out[name] = _int(name, out[name])
    if "direct_loss_yuan" in out:
        out["direct_loss_yuan"] = _decimal("direct_loss_yuan", out["direct_loss_yuan"], MAX_LOSS_YUAN)
    if "burned_forest_ha" in out:
        out["burned_forest_ha"] = _area("burned_forest_ha", out["burned_forest_ha"], allow_none=True)
    if "note" in out:
        out["note"] = (out["note"] or "")[:5000]
    region = out.get("region", current.region if current else None)
    if region is not None and region.level not in ("district", "zone"):
        raise RecordError(_("区县应为区县级区划。"), "region")
    serious = out.get("serious_injuries", current.serious_injuries if current else 0)
    injuries = out.get("injuries", current.injuries if current else 0)
    if injuries < serious:
        raise RecordError(_("受伤人数（含重伤）不能少于重伤人数。"), "injuries")
    category = out.get("category", current.category if current else RecordCategory.ACCIDENT)
    burned = out.get("burned_forest_ha", current.burned_forest_ha if current else None)
    if burned is not None and category != RecordCategory.FOREST_FIRE:
        raise RecordError(_("受害森林面积只适用于森林火灾。"), "burned_forest_ha")
    if category == RecordCategory.ACCIDENT:
        _check_grade(out, current)
    return out


def implied_grade(deaths=0, missing=0, serious_injuries=0, direct_loss_yuan=0) -> str:
    """The grade the figures reach under 国务院令第493号第三条 (``incidents.grading``: missing count as deaths)."""
    return grading.grade_accident(deaths=deaths, serious_injuries=serious_injuries,
                                  direct_loss_yuan=direct_loss_yuan or 0, missing=missing).grade


def _check_grade(out: dict, current: AccidentRecord | None) -> None:
    """Grade of a production-safety accident against its figures (493 Art. 3), in place on ``out``.

    A blank grade is derived from the figures; a grade lower than the figures imply is refused; a higher grade may
    be set by hand (e.g. as determined by the investigation).  When the grade is not part of the change, a stored
    grade that matched the old figures follows the new figures, and a stored grade that is now too low is raised.
    """
    figures = {n: out.get(n, getattr(current, n) if current else 0) for n in INCIDENT_METRICS}
    implied = implied_grade(**figures)
    if "grade" in out:
        if not out["grade"]:
            out["grade"] = implied
        elif grading.grade_rank(out["grade"]) < grading.grade_rank(implied):
            raise RecordError(_("等级不能低于死亡（含失踪）、重伤或直接经济损失对应的等级：%(g)s。")
                              % {"g": grade_label(implied)}, "grade")
        return
    if current is None:
        out["grade"] = implied
        return
    old_implied = implied_grade(**{n: getattr(current, n) for n in INCIDENT_METRICS})
    if not current.grade or current.grade == old_implied or \
            grading.grade_rank(current.grade) < grading.grade_rank(implied):
        if implied != current.grade:
            out["grade"] = implied


# ---------------------------------------------------------------------------------------------------- scope
def record_in_scope(user, record: AccidentRecord) -> bool:
    """May ``user`` act on ``record``: municipal; its region in the user's subtree; its organisation theirs; or
    (departments) its industry is one they supervise."""
    if is_municipal(user):
        return True
    profile = getattr(user, "profile", None)
    if profile is not None and profile.region_id and record.region_id and \
            record.region.path.startswith(profile.region.path):
        return True
    if record.organization_id and organization_in_scope(user, record.organization_id):
        return True
    return bool(record.industry_id and record.industry.supervising_department_id in
                scope_organization_ids(user, include_groups=False))


def _own_organization(user):
    profile = getattr(user, "profile", None)
    return profile.organization if profile is not None and profile.organization_id else None


def write_region_in_scope(user, region: Region | None) -> bool:
    """May ``user`` attribute a record to ``region``: municipal any; a user with a region its subtree; otherwise
    (enterprises, city departments) the subtree of their organisation's region, or — a department of the whole
    city without a region — any district (its records are then limited by organisation and industry)."""
    if region is None:
        return False
    if is_municipal(user):
        return True
    profile = getattr(user, "profile", None)
    if profile is not None and profile.region_id:
        return region.path.startswith(profile.region.path)
    org = _own_organization(user)
    if org is not None and org.region_id:
        return region.path.startswith(org.region.path)
    return not is_enterprise(user)


def writable_regions(user):
    """Districts ``user`` may choose for a record (the form's choices)."""
    qs = Region.objects.filter(level__in=["district", "zone"]).order_by("adcode")
    return qs if is_municipal(user) else qs.filter(pk__in=[r.pk for r in qs if write_region_in_scope(user, r)])


def apply_record_defaults(user, data: dict) -> dict:
    """An enterprise user's record is their enterprise's: organisation and region default to it."""
    if is_enterprise(user):
        org = _own_organization(user)
        if org is not None:
            if not data.get("organization"):
                data["organization"] = org
            if not data.get("region") and org.region_id and org.region.level in ("district", "zone"):
                data["region"] = org.region
    return data


def _denied(message: str, field: str) -> PermissionDenied:
    """A PermissionDenied naming the field at fault (imports report it as the column)."""
    exc = PermissionDenied(message)
    exc.field = field
    return exc


def check_write_scope(user, record: AccidentRecord, changed=None) -> None:
    """Raise unless ``user`` may write ``record`` as it now stands.

    Rule (docs/records.md): municipal users anything; everyone else needs a district in their scope (required),
    an organisation (if any) in their scope (``organization_in_scope``), and the record must stay visible to
    them.  ``changed`` (updates) limits the region/organisation checks to the fields being changed, so a
    supervisor may still correct the figures of a record attributed to an organisation outside its own tree.
    """
    if not can_write(user):
        raise PermissionDenied(_("无权录入事故记录。"))
    if is_municipal(user):
        return
    check_all = changed is None
    if check_all or "region" in changed:
        if record.region_id is None:
            raise RecordError(_("请选择区县（只有市级管理员可以录入不分区县的记录）。"), "region")
        if not write_region_in_scope(user, record.region):
            raise _denied(_("只能录入本辖区的事故记录：所选区县不在您的管辖范围内。"), "region")
    if (check_all or "organization" in changed) and record.organization_id and \
            not organization_in_scope(user, record.organization_id):
        raise _denied(_("只能录入本辖区、本单位的事故记录：所选事发单位不在您的管辖范围内。"), "organization")
    if is_enterprise(user) and not organization_in_scope(user, record.organization_id):
        raise _denied(_("企业用户只能录入本单位的事故记录。"), "organization")
    if not record_in_scope(user, record):
        raise _denied(_("只能录入本辖区、本单位或本行业的事故记录。"), "region")


def _check_writer(user, record: AccidentRecord, changed=None) -> None:
    check_write_scope(user, record, changed)


def region_in_scope(user, region: Region | None) -> bool:
    if is_municipal(user):
        return True
    profile = getattr(user, "profile", None)
    return bool(region is not None and profile is not None and profile.region_id
                and region.path.startswith(profile.region.path))


# ---------------------------------------------------------------------------------------------------- records
def find_duplicate(category: str, title: str, occurred_on, region) -> AccidentRecord | None:
    """An existing record with the same category, name, date and district (the duplicate key of imports)."""
    return AccidentRecord.objects.filter(category=category, title=title, occurred_on=occurred_on,
                                         region=region).first()


@transaction.atomic
def create_record(*, user, source: str = RecordSource.MANUAL, check_duplicate: bool = True,
                  **fields) -> AccidentRecord:
    """A manually entered (or imported) record; ``fields`` as in ``clean_record_fields``; title and occurred_on
    required.  A record with the same category, name, date and district is refused as a duplicate."""
    for required in ("title", "occurred_on"):
        if not fields.get(required):
            raise RecordError(_("请填写%(f)s。") % {"f": str(AccidentRecord._meta.get_field(required).verbose_name)},
                              required)
    data = clean_record_fields(apply_record_defaults(user, dict(fields)))
    record = AccidentRecord(source=source, created_by=user, **data)
    _check_writer(user, record)
    if check_duplicate and find_duplicate(record.category, record.title, record.occurred_on, record.region):
        raise RecordError(_("已有相同类别、名称、日期和区县的记录。"), "title")
    with acting_as(user):
        record.save()
    return record


@transaction.atomic
def update_record(*, user, record: AccidentRecord, reason: str = "", feed_crosscheck: bool = True,
                  **fields) -> AccidentRecord:
    """Change ``record`` (history kept); ``reason`` is appended to the note with the date, so a correction is
    visible on the record itself, not only in its history.

    A change of a figure (``RECORD_FIGURES``) requires a ``reason`` and is recorded as a ``SourceFigure`` of kind
    "manual" (手工更正), so that it is compared with the other sources instead of bypassing the cross-check
    (``feed_crosscheck=False``: cross-check resolutions, which record their own verified value)."""
    if not can_write(user) or not record_in_scope(user, record):
        raise PermissionDenied(_("只能录入本辖区、本单位或本行业的事故记录。"))
    data = clean_record_fields(fields, current=record)
    reason = (reason or "").strip()
    changed_figures = [n for n in RECORD_FIGURES if n in data and data[n] != getattr(record, n)]
    if changed_figures and not reason:
        raise RecordError(_("修改伤亡或损失数据须填写修改原因。"), "reason")
    probe = copy.copy(record)  # checked before the instance changes: a refused change leaves it untouched
    for name, value in data.items():
        setattr(probe, name, value)
    changed = {n for n in ("region", "organization") if n in data and data[n] != getattr(record, n)}
    _check_writer(user, probe, changed)  # a changed region or organisation must stay in scope too
    for name, value in data.items():
        setattr(record, name, value)
    if reason:
        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
        record.note = (record.note + "\n" if record.note else "") + f"[{stamp}] {reason}"
    with acting_as(user):
        record.save()
    if feed_crosscheck:
        subject = f"accident:{record.pk}"
        for metric in changed_figures:
            value = getattr(record, metric)
            if value is None:
                continue
            crosscheck.record_system_figure(subject, metric, FigureSourceKind.MANUAL, value, user=user,
                                            note=_("手工更正：%(r)s") % {"r": reason})
    return record


def sync_from_incident(incident, user=None) -> AccidentRecord | None:
    """Upsert the AccidentRecord of an accident ``incident`` (natural disasters and other events are not accident
    records: returns None) and feed its figures to the cross-check (source_kind "incident").

    Copies title, date (Beijing), region, industry, organisation, grade, deaths, missing, serious injuries and
    loss; ``injuries`` is raised to the serious injuries if lower (the incident has no separate injury count).
    Called by ``incidents.services`` on commit after intake and after each report.
    """
    from citysafe.incidents.models import IncidentKind

    if incident.kind != IncidentKind.ACCIDENT:
        return None
    user = user or incident.created_by
    with transaction.atomic(), acting_as(user):
        record = AccidentRecord.objects.select_for_update().filter(incident=incident).first()
        if record is None:
            record = AccidentRecord(incident=incident, source=RecordSource.INCIDENT, created_by=user,
                                    category=RecordCategory.ACCIDENT)
        record.title = incident.title[:200]
        record.occurred_on = timezone.localtime(incident.occurred_at).date()
        record.region_id = incident.region_id
        record.industry_id = incident.industry_id
        record.organization_id = incident.organization_id
        # A figure verified by a cross-check resolution is not overwritten by a later sync: the incident's value
        # goes to the cross-check below (a new source figure, and a new discrepancy if it differs).
        verified = set(Discrepancy.objects.filter(subject=f"accident:{record.pk}", status=DiscrepancyStatus.RESOLVED)
                       .values_list("metric", flat=True)) if record.pk else set()
        for metric in INCIDENT_METRICS:
            if metric not in verified:
                setattr(record, metric, getattr(incident, metric))
        record.injuries = max(record.injuries, record.serious_injuries)
        implied = implied_grade(**{n: getattr(record, n) for n in INCIDENT_METRICS})
        grade = incident.grade or ""
        record.grade = grade if grading.grade_rank(grade) >= grading.grade_rank(implied) else implied
        record.is_demo = incident.is_demo
        record.save()
        subject = f"accident:{record.pk}"
        for metric in INCIDENT_METRICS:
            crosscheck.record_system_figure(subject, metric, FigureSourceKind.INCIDENT, getattr(incident, metric),
                                            user=user)
    return record


# ---------------------------------------------------------------------------------------------------- disasters
def _clean_event(title, hazard_type, start_date, end_date) -> dict:
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise RecordError(_("名称不能为空且不超过 200 字。"), "title")
    hazard_type = (hazard_type or "").strip()
    if not hazard_type or len(hazard_type) > 30:
        raise RecordError(_("请填写灾种（不超过 30 字）。"), "hazard_type")
    start = _date("start_date", start_date)
    end = _date("end_date", end_date) if end_date else None
    if end is not None and end < start:
        raise RecordError(_("结束日期不能早于开始日期。"), "end_date")
    return {"title": title, "hazard_type": hazard_type, "start_date": start, "end_date": end}


def _check_mass_casualty_flag(user, value) -> None:
    if value and not is_municipal(user):
        raise PermissionDenied(_("只有市级管理员可以认定因灾群死群伤责任事件（经调查认定）。"))


@transaction.atomic
def create_event(*, user, title: str, hazard_type: str, start_date, end_date=None, note: str = "",
                 is_mass_casualty_responsibility: bool = False, is_demo: bool = False) -> DisasterEvent:
    """A disaster process (一次灾害过程); any writer may open one, its figures are then reported per district.
    Only municipal users may flag it as 因灾群死群伤责任事件 (经调查认定; it counts against the city KPI)."""
    if not can_write(user):
        raise PermissionDenied(_("无权登记灾害过程。"))
    _check_mass_casualty_flag(user, is_mass_casualty_responsibility)
    data = _clean_event(title, hazard_type, start_date, end_date)
    with acting_as(user):
        return DisasterEvent.objects.create(**data, note=(note or "")[:5000], is_demo=is_demo, created_by=user,
                                            is_mass_casualty_responsibility=bool(is_mass_casualty_responsibility))


def event_creator(event: DisasterEvent):
    """Who registered ``event`` (the field, or the first history row of events older than the field)."""
    if event.created_by_id:
        return event.created_by
    first = event.history.order_by("history_date", "history_id").first()
    return first.history_user if first is not None else None


def can_manage_event(user, event: DisasterEvent) -> bool:
    """Edit / withdraw an event: municipal users, or writers of the district that registered it."""
    if not can_write(user):
        return False
    if is_municipal(user):
        return True
    creator = event_creator(event)
    creator_profile = getattr(creator, "profile", None) if creator is not None else None
    profile = getattr(user, "profile", None)
    if creator is None or profile is None or not profile.region_id or creator_profile is None \
            or not creator_profile.region_id:
        return bool(creator is not None and creator.pk == user.pk)
    return creator_profile.region.path.startswith(profile.region.path)


def _check_event_manager(user, event: DisasterEvent) -> None:
    if not can_manage_event(user, event):
        raise PermissionDenied(_("只有市级管理员或登记该灾害过程的区县可以修改或撤回。"))
    if event.status == EventStatus.WITHDRAWN:
        raise RecordError(_("该灾害过程已撤回，不能再修改。"))


@transaction.atomic
def update_event(*, user, event: DisasterEvent, **fields) -> DisasterEvent:
    """Edit title, hazard type, dates, note or (municipal only) the 群死群伤责任事件 flag; history kept."""
    event = DisasterEvent.objects.select_for_update().get(pk=event.pk)
    _check_event_manager(user, event)
    allowed = {"title", "hazard_type", "start_date", "end_date", "note", "is_mass_casualty_responsibility"}
    unknown = set(fields) - allowed
    if unknown:
        raise RecordError(_("未知字段：%(n)s") % {"n": ", ".join(sorted(unknown))})
    flag = fields.get("is_mass_casualty_responsibility", event.is_mass_casualty_responsibility)
    if bool(flag) != event.is_mass_casualty_responsibility:
        _check_mass_casualty_flag(user, True)
    data = _clean_event(fields.get("title", event.title), fields.get("hazard_type", event.hazard_type),
                        fields.get("start_date", event.start_date), fields.get("end_date", event.end_date))
    for name, value in data.items():
        setattr(event, name, value)
    if "note" in fields:
        event.note = (fields["note"] or "")[:5000]
    event.is_mass_casualty_responsibility = bool(flag)
    with acting_as(user):
        event.save()
    return event


@transaction.atomic
def withdraw_event(*, user, event: DisasterEvent, reason: str) -> DisasterEvent:
    """Withdraw ``event`` (registered in error, duplicate …): it stays on file with its reports and history but
    no longer counts in the statistics or the KPIs.  A reason is required."""
    event = DisasterEvent.objects.select_for_update().get(pk=event.pk)
    _check_event_manager(user, event)
    reason = (reason or "").strip()
    if not reason:
        raise RecordError(_("请填写撤回原因。"), "reason")
    event.status = EventStatus.WITHDRAWN
    event.withdraw_reason = reason[:5000]
    with acting_as(user):
        event.save()
    return event


def clean_indicators(values: dict) -> dict:
    """The national indicators typed and bounded, with the §2.1 area rule 受灾 ≥ 成灾 ≥ 绝收 (CONFIRMED)."""
    out = {}
    for name in INDICATOR_INT_FIELDS:
        out[name] = _int(name, values.get(name), LIMITS.get(name, MAX_PEOPLE))
    for name in INDICATOR_AREA_FIELDS:
        out[name] = _area(name, values.get(name))
    out["direct_loss_10k_yuan"] = _decimal("direct_loss_10k_yuan", values.get("direct_loss_10k_yuan"), MAX_LOSS_10K)
    if not out["crop_affected_ha"] >= out["crop_disaster_ha"] >= out["crop_failed_ha"]:
        raise RecordError(_("农作物面积应满足：受灾 ≥ 成灾 ≥ 绝收。"), "crop_disaster_ha")
    if out["deaths_at_monitored_points"] > out["deaths"]:
        raise RecordError(_("已落实监测措施的灾害点死亡人数不能多于因灾死亡人口。"), "deaths_at_monitored_points")
    return out


def large_drops(previous: DisasterReport | None, values: dict, ratio: float | None = None) -> list[str]:
    """Indicators that fall by more than ``ratio`` (default DEFAULT_DROP_RATIO) of the previous version."""
    if previous is None:
        return []
    ratio = getattr(settings, "CITYSAFE_DISASTER_DROP_RATIO", DEFAULT_DROP_RATIO) if ratio is None else ratio
    drops = []
    for name in INDICATORS:
        before, after = float(getattr(previous, name)), float(values[name])
        if before > 0 and (before - after) > ratio * before:
            drops.append(name)
    return drops


def _latest_version(event: DisasterEvent, region: Region) -> DisasterReport | None:
    return (DisasterReport.objects.filter(event=event, region=region)
            .order_by("-reported_at", "-pk").first())


latest_version = _latest_version  # the previous version of a district (the API carries omitted indicators over)


@transaction.atomic
def add_disaster_report(*, user, event: DisasterEvent, region: Region, stage: str, reported_at=None,
                        note: str = "", reporting_unit=None, correction: bool = False,
                        **indicators) -> DisasterReport:
    """One version (初报 / 续报 / 核报) of a district's figures for ``event``.

    Rules (standards-safety.md §2.1; one 初报 + several 续报 + one 核报 per process): one initial report, which comes
    first; no follow-up after the final; one final report.  ``correction=True`` (cross-check resolutions only) adds
    a further version of the latest stage regardless of these rules.  A figure that drops by more than the drop ratio from the previous version needs
    a written ``note``.  The new values feed the cross-check as district figures.
    """
    if not can_write(user):
        raise PermissionDenied(_("无权报送灾情。"))
    if region is None or region.level not in ("district", "zone"):
        raise RecordError(_("请选择区县。"), "region")
    if not region_in_scope(user, region):
        raise PermissionDenied(_("只能报送本辖区的灾情。"))
    if stage not in ReportStage.values:
        raise RecordError(_("报送阶段只能是初报、续报或核报。"), "stage")
    values = clean_indicators(indicators)
    unknown = set(indicators) - set(INDICATORS)
    if unknown:
        raise RecordError(_("未知字段：%(n)s") % {"n": ", ".join(sorted(unknown))})
    reported_at = reported_at or timezone.now()
    if timezone.is_naive(reported_at):
        reported_at = timezone.make_aware(reported_at)
    if event.status == EventStatus.WITHDRAWN:
        raise RecordError(_("该灾害过程已撤回，不能再报送。"))
    earliest = timezone.make_aware(dt.datetime.combine(event.start_date - dt.timedelta(days=1), dt.time.min))
    if reported_at < earliest or reported_at > timezone.now() + dt.timedelta(minutes=5):
        raise RecordError(_("报送时间应不早于灾害过程开始日期前一天（%(d)s），且不晚于当前时间。")
                          % {"d": (event.start_date - dt.timedelta(days=1)).isoformat()}, "reported_at")
    existing = set(DisasterReport.objects.filter(event=event, region=region).values_list("stage", flat=True))
    if correction and not existing:
        raise RecordError(_("没有可更正的报告。"), "stage")
    if not correction:
        if stage == ReportStage.INITIAL and existing:
            raise RecordError(_("该区县已有报告，初报只能报一次且为第一份。"), "stage")
        if stage != ReportStage.INITIAL and not existing:
            raise RecordError(_("请先报送初报。"), "stage")
        if ReportStage.FINAL in existing:
            raise RecordError(_("该区县已核报，不能再报送。"), "stage")
    previous = _latest_version(event, region)
    if previous is not None and reported_at < previous.reported_at:
        raise RecordError(_("报送时间不能早于上一版报告。"), "reported_at")
    drops = large_drops(previous, values)
    note = (note or "").strip()[:5000]
    if drops and not note:
        labels = "、".join(str(DisasterReport._meta.get_field(n).verbose_name) for n in drops)
        raise RecordError(_("以下数据较上一版大幅下降，须书面说明：%(n)s") % {"n": labels}, "note")
    with acting_as(user):
        report = DisasterReport.objects.create(event=event, region=region, stage=stage, reported_at=reported_at,
                                               reporting_unit=reporting_unit, note=note, created_by=user, **values)
    subject = f"disaster:{event.pk}:{region.adcode}"
    for metric in crosscheck.DISASTER_METRICS:
        crosscheck.record_system_figure(subject, metric, FigureSourceKind.DISTRICT, getattr(report, metric),
                                        user=user)
    return report


def correct_disaster_figure(*, user, event_id: int, adcode: str, metric: str, value: float,
                            reason: str) -> tuple | None:
    """Cross-check resolution of a disaster figure: a new version (same stage as the latest) with ``metric`` set
    to ``value`` and the reason as its note; returns (old, new) or None when nothing changes."""
    event = DisasterEvent.objects.get(pk=event_id)
    region = Region.objects.filter(adcode=adcode).order_by("-valid_from").first()
    latest = _latest_version(event, region) if region else None
    if latest is None:
        return None
    new = typed_value(metric, value)
    old = getattr(latest, metric)
    if old == new:
        return None
    values = {name: getattr(latest, name) for name in INDICATORS} | {metric: new}
    add_disaster_report(user=user, event=event, region=region, stage=latest.stage, correction=True,
                        reporting_unit=latest.reporting_unit, note=_("比对核查更正：%(r)s") % {"r": reason},
                        reported_at=max(timezone.now(), latest.reported_at), **values)
    return old, new


@transaction.atomic
def set_region_figure(*, user, region: Region, year: int, metric: str, value, source: str = "") -> RegionFigure:
    """Upsert a reference figure (forest_area_ha, elevators_in_service, …) of a region for a year (municipal)."""
    if not is_municipal(user):
        raise PermissionDenied(_("只有市级管理员可以维护区划基础数据。"))
    if not (MIN_YEAR <= int(year) <= 2100):
        raise RecordError(_("年度无效。"), "year")
    if not metric or len(metric) > 40:
        raise RecordError(_("指标名称无效。"), "metric")
    number = _area("value", value)
    with acting_as(user):
        figure, _created = RegionFigure.objects.update_or_create(
            region=region, year=int(year), metric=metric, defaults={"value": number, "source": (source or "")[:300]})
    return figure
