"""Cross-checking (比对核查, seed 四 (十五)): the same figure from several sources, compared against a tolerance.

Shapes: a *subject* is ``"accident:<record id>"`` or ``"disaster:<event id>:<region adcode>"``; a *metric* is a field
name of ``AccidentRecord`` (deaths, missing, serious_injuries, injuries, direct_loss_yuan, burned_forest_ha) or of
``DisasterReport`` (the national indicators, standards-safety.md §2.1).  Every value entered is a ``SourceFigure``
row; the comparison uses the latest value of each source (source kind + source organisation), so an update of a
source is a new row and the earlier one stays on file.

Tolerance (project default, configurable): people and room counts 0 (any difference is a discrepancy); areas and
losses 5 % of the largest value.  ``settings.CITYSAFE_CROSSCHECK_TOLERANCE`` overrides per metric:
``{"deaths": 1, "direct_loss_yuan": {"relative": 0.1}, "burned_forest_ha": {"absolute": 2}}`` — a plain number is
absolute for count metrics and relative for the others.

The pure part (``tolerance_for``, ``compare``) needs no database; ``recheck`` / ``add_source_figure`` /
``resolve`` write, audited.  Resolving never edits a record silently: when the resolved value differs from the
record, the record is changed through ``services.update_record`` (history kept) or, for a disaster, a new report
version is added, and the resolution note says so.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citysafe.core.audit import acting_as
from citysafe.core.models import Region
from citysafe.core.roles import can_write
from citysafe.core.scoping import organization_in_scope

from .errors import PermissionDenied, RecordError

# Counts of people or rooms: any difference matters (project default).
COUNT_METRICS = frozenset({
    "deaths", "missing", "serious_injuries", "injuries", "affected_population", "deaths_at_monitored_points",
    "relocated", "needing_aid", "collapsed_rooms", "severely_damaged_rooms", "generally_damaged_rooms"})
# Areas and losses: 5 % of the largest value (project default).
MEASURE_METRICS = frozenset({"direct_loss_yuan", "burned_forest_ha", "crop_affected_ha", "crop_disaster_ha",
                             "crop_failed_ha", "direct_loss_10k_yuan"})
DEFAULT_RELATIVE = 0.05
ACCIDENT_METRICS = ("deaths", "missing", "serious_injuries", "injuries", "direct_loss_yuan", "burned_forest_ha")
DISASTER_METRICS = ("affected_population", "deaths", "missing", "deaths_at_monitored_points", "relocated",
                    "needing_aid", "collapsed_rooms", "severely_damaged_rooms", "generally_damaged_rooms",
                    "crop_affected_ha", "crop_disaster_ha", "crop_failed_ha", "direct_loss_10k_yuan")
MAX_VALUE = 1e13  # project default: the largest figure accepted (losses in yuan stay below 10 trillion)
SUBJECT_RE = re.compile(r"^(accident:(?P<record>\d{1,10})|disaster:(?P<event>\d{1,10}):(?P<adcode>[0-9A-Z-]{1,12}))$")


@dataclass(frozen=True)
class Comparison:
    spread: float       # max − min of the sources' values
    tolerance: float    # absolute tolerance applied
    exceeds: bool       # spread > tolerance


def tolerance_for(metric: str, values: list[float], overrides: dict | None = None) -> float:
    """Absolute tolerance of ``metric`` for these ``values`` (see the module docstring)."""
    overrides = getattr(settings, "CITYSAFE_CROSSCHECK_TOLERANCE", {}) if overrides is None else overrides
    top = max((abs(v) for v in values), default=0.0)
    spec = (overrides or {}).get(metric)
    if isinstance(spec, dict):
        if "absolute" in spec:
            return float(spec["absolute"])
        return float(spec.get("relative", DEFAULT_RELATIVE)) * top
    if isinstance(spec, (int, float)):
        return float(spec) if metric in COUNT_METRICS else float(spec) * top
    return 0.0 if metric in COUNT_METRICS else DEFAULT_RELATIVE * top


def compare(metric: str, values: list[float], overrides: dict | None = None) -> Comparison:
    """Spread and tolerance of the sources' ``values``; fewer than two values never exceed."""
    if len(values) < 2:
        return Comparison(0.0, tolerance_for(metric, values, overrides), False)
    spread = max(values) - min(values)
    tolerance = tolerance_for(metric, values, overrides)
    # A tiny epsilon so that 5 % of 100.0 vs a spread of 5.000000001 from float arithmetic is not a discrepancy.
    return Comparison(spread, tolerance, spread > tolerance + 1e-9)


def parse_subject(subject: str) -> dict:
    """``{"kind": "accident", "record_id": int}`` or ``{"kind": "disaster", "event_id": int, "adcode": str}``."""
    match = SUBJECT_RE.match(subject or "")
    if not match:
        raise RecordError(_("核查对象格式无效：应为 accident:<编号> 或 disaster:<过程编号>:<区划代码>。"), "subject")
    if match["record"]:
        return {"kind": "accident", "record_id": int(match["record"])}
    return {"kind": "disaster", "event_id": int(match["event"]), "adcode": match["adcode"]}


def subject_region(subject: str) -> Region | None:
    """The district a subject belongs to (its record's region, or the adcode of a disaster subject)."""
    from .models import AccidentRecord

    parsed = parse_subject(subject)
    if parsed["kind"] == "accident":
        record = AccidentRecord.objects.filter(pk=parsed["record_id"]).select_related("region").first()
        return record.region if record else None
    return Region.objects.filter(adcode=parsed["adcode"]).order_by("-valid_from").first()


def check_subject(user, subject: str, metric: str):
    """Raise unless ``subject`` exists, is in ``user``'s scope and ``metric`` belongs to its kind."""
    from . import selectors
    from .models import DisasterEvent

    parsed = parse_subject(subject)
    if parsed["kind"] == "accident":
        if metric not in ACCIDENT_METRICS:
            raise RecordError(_("事故记录不核查该指标：%(m)s") % {"m": metric_label(metric)}, "metric")
        if not selectors.records_for(user).filter(pk=parsed["record_id"]).exists():
            raise PermissionDenied(_("事故记录不存在或不在您的管辖范围内。"))
        return
    if metric not in DISASTER_METRICS:
        raise RecordError(_("灾情不核查该指标：%(m)s") % {"m": metric_label(metric)}, "metric")
    if not DisasterEvent.objects.filter(pk=parsed["event_id"]).exists():
        raise RecordError(_("灾害过程不存在：%(id)s") % {"id": parsed["event_id"]}, "subject")
    if parsed["adcode"] not in selectors.adcodes_in_scope(user):
        raise PermissionDenied(_("该区县不在您的管辖范围内。"))


def latest_values(subject: str, metric: str) -> list[dict]:
    """The latest value of each source: ``[{"figure": id, "source_kind", "organization", "value", "at"}]``."""
    from .models import Discrepancy, DiscrepancyStatus, SourceFigure

    figures = SourceFigure.objects.filter(subject=subject, metric=metric)
    resolved = (Discrepancy.objects.filter(subject=subject, metric=metric, status=DiscrepancyStatus.RESOLVED)
                .order_by("-resolved_at").first())
    out = []
    if resolved is not None:
        # A resolution settles the figures known then: later comparisons start from the verified value and the
        # figures reported after it, so a settled difference does not reopen by itself.
        figures = figures.filter(reported_at__gt=resolved.resolved_at)
        out.append({"figure": None, "source_kind": "resolved", "organization": "", "value": resolved.resolved_value,
                    "at": resolved.resolved_at.isoformat()})
    latest: dict[tuple, SourceFigure] = {}
    for figure in figures.select_related("source_organization").order_by("reported_at", "pk"):
        latest[(figure.source_kind, figure.source_organization_id)] = figure
    return out + [{"figure": f.pk, "source_kind": f.source_kind,
                   "organization": f.source_organization.name if f.source_organization_id else "",
                   "value": f.value, "at": f.reported_at.isoformat()} for f in latest.values()]


def recheck(subject: str, metric: str):
    """Compare the sources of ``subject``/``metric``; open or update its (single) open discrepancy.

    Returns the open ``Discrepancy`` or None.  An open discrepancy whose sources now agree stays open (someone
    must record why) but its values are updated — each update is a history row, never a silent overwrite.
    """
    from .models import Discrepancy, DiscrepancyStatus

    values = latest_values(subject, metric)
    result = compare(metric, [v["value"] for v in values])
    current = Discrepancy.objects.select_for_update().filter(
        subject=subject, metric=metric, status=DiscrepancyStatus.OPEN).first()
    if current is None and not result.exceeds:
        return None
    if current is None:
        return Discrepancy.objects.create(subject=subject, metric=metric, values=values, spread=result.spread,
                                          tolerance=result.tolerance, region=subject_region(subject))
    if current.values != values:
        current.values, current.spread, current.tolerance = values, result.spread, result.tolerance
        current.save()
    return current


def metric_label(metric: str) -> str:
    """The Chinese name of a metric (the verbose name of its model field)."""
    from .services import field_label

    return field_label(metric)


def source_kind_label(kind: str) -> str:
    from .models import FigureSourceKind

    if kind == "resolved":
        return str(_("已核定值"))
    return str(dict(FigureSourceKind.choices).get(kind, kind))


def _clean_value(value, metric: str | None = None) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RecordError(_("数值无效。"), "value") from None
    if not math.isfinite(number) or number < 0 or number > MAX_VALUE:
        raise RecordError(_("数值应为 0 至 %(max)s 之间的数。") % {"max": f"{MAX_VALUE:.0e}"}, "value")
    if metric in COUNT_METRICS and not number.is_integer():
        raise RecordError(_("%(m)s是人数或间数，应为整数。") % {"m": metric_label(metric)}, "value")
    return number


@transaction.atomic
def add_source_figure(*, user, subject: str, metric: str, source_kind: str, value, source_organization=None,
                      note: str = "", reported_at=None):
    """Record one source's value (district, department, hospital, police, other; "incident" is system-only)
    and recheck; returns ``(SourceFigure, Discrepancy | None)``."""
    from .models import FigureSourceKind, SourceFigure

    if not can_write(user):
        raise PermissionDenied(_("无权录入来源数据。"))
    if source_kind not in FigureSourceKind.values or source_kind in (FigureSourceKind.INCIDENT,
                                                                     FigureSourceKind.MANUAL):
        raise RecordError(_("来源类型无效：%(k)s") % {"k": source_kind}, "source_kind")
    check_subject(user, subject, metric)
    if source_organization is not None and not organization_in_scope(user, source_organization.pk):
        raise PermissionDenied(_("来源单位不在您的管辖范围内。"))
    figure = SourceFigure(subject=subject, metric=metric, source_kind=source_kind, value=_clean_value(value, metric),
                          source_organization=source_organization, note=(note or "")[:300], created_by=user,
                          reported_at=reported_at or timezone.now())
    with acting_as(user):
        figure.save()
        return figure, recheck(subject, metric)


def record_system_figure(subject: str, metric: str, source_kind: str, value, organization=None, user=None,
                         note: str = ""):
    """A figure fed by the platform itself (incident sync, district disaster reports, manual corrections of a
    record); skipped when unchanged."""
    from .models import SourceFigure

    value = float(value)
    last = (SourceFigure.objects.filter(subject=subject, metric=metric, source_kind=source_kind,
                                        source_organization=organization).order_by("-reported_at", "-pk").first())
    if last is not None and last.value == value:
        return None
    with acting_as(user):
        SourceFigure.objects.create(subject=subject, metric=metric, source_kind=source_kind, value=value,
                                    source_organization=organization, created_by=user, note=(note or "")[:300])
        return recheck(subject, metric)


@transaction.atomic
def resolve(*, user, discrepancy, value, reason: str):
    """Close ``discrepancy`` with the verified ``value`` and a required ``reason`` (who and when are recorded).

    If the value differs from the record (accident) or the latest version (disaster), the record is corrected
    through its service — with history — and the resolution says so.  Raises RecordError / PermissionDenied.
    """
    from . import services
    from .models import AccidentRecord, DiscrepancyStatus

    if not can_write(user):
        raise PermissionDenied(_("无权核实数据差异。"))
    discrepancy = type(discrepancy).objects.select_for_update().get(pk=discrepancy.pk)
    if discrepancy.status != DiscrepancyStatus.OPEN:
        raise RecordError(_("该差异已核实。"))
    reason = (reason or "").strip()
    if not reason:
        raise RecordError(_("请填写核实说明。"), "reason")
    number = _clean_value(value, discrepancy.metric)
    check_subject(user, discrepancy.subject, discrepancy.metric)
    parsed = parse_subject(discrepancy.subject)
    note = reason
    label = metric_label(discrepancy.metric)
    if parsed["kind"] == "accident":
        record = AccidentRecord.objects.get(pk=parsed["record_id"])
        old = getattr(record, discrepancy.metric)
        new = services.typed_value(discrepancy.metric, number)
        if old is None or old != new:  # compared in the field's type: no empty correction
            services.update_record(user=user, record=record, reason=_("比对核查更正：%(r)s") % {"r": reason},
                                   feed_crosscheck=False, **{discrepancy.metric: new})
            note += _("（已将事故记录的%(m)s由 %(old)s 更正为 %(new)s）") % {"m": label, "old": old, "new": new}
    else:
        changed = services.correct_disaster_figure(user=user, event_id=parsed["event_id"], adcode=parsed["adcode"],
                                                   metric=discrepancy.metric, value=number, reason=reason)
        if changed is not None:
            note += _("（已新增一版灾情报告，将%(m)s由 %(old)s 更正为 %(new)s）") % {
                "m": label, "old": changed[0], "new": changed[1]}
    discrepancy.refresh_from_db()  # the correction may have rechecked (and updated) it
    discrepancy.status = DiscrepancyStatus.RESOLVED
    discrepancy.resolved_value = number
    discrepancy.resolution = note
    discrepancy.resolved_by = user
    discrepancy.resolved_at = timezone.now()
    with acting_as(user):
        discrepancy.save()
    return discrepancy
