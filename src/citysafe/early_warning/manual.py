"""Manual warnings: a person drafts, an authorised issuer approves (签发), and the warning enters the same loop as
engine and CAP warnings (CAP Alert export, 叫应, response actions).

Life cycle (``EarlyWarning.status``)::

    DRAFT --submit--> PENDING --approve--> ACTIVE --change_level--> ACTIVE (upgraded / downgraded)
      ^                  |                    \\--services.end_warning--> CLEARED (解除) / CANCELLED (撤销) / EXPIRED
      \\----reject--------/

* Writers (municipal admin, district operator, department operator) draft for a region in their scope; the draft
  belongs to the writer's organisation (``issuer``), which alone may edit, submit or delete it while it is a draft.
* Issuing authority (分级签发) is a project default, configurable with ``CITYSAFE_WARNING_ISSUE_LEVELS``: districts
  issue IV blue and III yellow, the city every level — following the graded release of the national overall
  emergency plan (国家突发事件总体应急预案: 预警按级别由相应层级政府发布), where the exact split is local practice.
  A municipal administrator issues at "city" authority anywhere; a district operator (profile region = a district or
  functional zone) at "district" authority for warnings of their own region; nobody else approves.
* Four-eyes (双人复核): the approver may not be the submitter unless ``CITYSAFE_WARNING_FOUR_EYES`` is False.
* Approve / reject / change level lock the warning row (``select_for_update``) so two approvers cannot both issue.

Errors: :class:`DraftError` (a ``WorkplanError``, answered 400, with the offending ``field``) for bad input and
wrong states; ``PermissionDenied`` (403) for a user without the right.  Every write is audited (``acting_as``).
"""

import datetime as dt
import json
import uuid
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from citysafe.core.audit import audited
from citysafe.core.models import Region, RegionLevel
from citysafe.core.roles import DEPARTMENT_OPERATOR, DISTRICT_OPERATOR, is_municipal, user_roles
from citysafe.workplans.errors import PermissionDenied, WorkplanError

from .models import LEVEL_ORDER, EarlyWarning, HazardType, Level, WarningEvent, WarningStatus

SOURCE_PREFIX = "manual:"
DEFAULT_ISSUE_LEVELS = {"district": ["blue", "yellow"], "city": ["blue", "yellow", "orange", "red"]}
DRAFT_FIELDS = ("hazard_type", "level", "headline", "description", "instruction", "region", "area_desc", "polygon",
                "onset", "expires", "is_public")
OPEN_STATUSES = (WarningStatus.DRAFT, WarningStatus.PENDING)
TEXT_LIMIT = 4000  # description, instruction (characters)
NOTE_LIMIT = 300  # review notes, change and end notes (characters)
YEAR_RANGE = (2000, 2100)  # onset / expires, also after conversion to UTC
POLYGON_TOLERANCE_DEG = 0.005  # about 500 m: a hand-drawn polygon may overshoot the scope boundary this much
END_KINDS = ("cleared", "cancelled")


class DraftError(WorkplanError):
    """Bad input or a wrong state; ``field`` names the form field at fault (None: the whole draft)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- who may do what ------------------------------------------------------------------------------------------------

def issue_levels() -> dict[str, list[str]]:
    """Levels each authority may issue: ``CITYSAFE_WARNING_ISSUE_LEVELS`` (project default, configurable)."""
    return getattr(settings, "CITYSAFE_WARNING_ISSUE_LEVELS", DEFAULT_ISSUE_LEVELS) or DEFAULT_ISSUE_LEVELS


def four_eyes() -> bool:
    """Whether the approver must differ from the submitter (``CITYSAFE_WARNING_FOUR_EYES``, default True)."""
    return bool(getattr(settings, "CITYSAFE_WARNING_FOUR_EYES", True))


def _profile(user):
    return getattr(user, "profile", None) if user.is_authenticated else None


def authority_of(user) -> str | None:
    """"city" (municipal admin), "district" (district operator whose region is a district or zone) or None."""
    if is_municipal(user):
        return "city"
    profile = _profile(user)
    if (DISTRICT_OPERATOR in user_roles(user) and profile is not None and profile.region_id
            and profile.region.level in (RegionLevel.DISTRICT, RegionLevel.ZONE)):
        return "district"
    return None


def can_draft(user) -> bool:
    """Municipal admins, district and department operators draft (viewers and enterprises do not)."""
    return is_municipal(user) or bool(user_roles(user) & {DISTRICT_OPERATOR, DEPARTMENT_OPERATOR})


def drafting_regions(user) -> QuerySet:
    """Regions a user may draft for: municipal admins and municipal departments (no profile region) the whole
    city, everyone else their region subtree."""
    qs = Region.objects.all()
    if not can_draft(user):
        return qs.none()
    profile = _profile(user)
    if is_municipal(user) or (profile is not None and profile.region_id is None
                              and DEPARTMENT_OPERATOR in user_roles(user)):
        return qs
    if profile is None or profile.region_id is None:
        return qs.none()
    return qs.filter(path__startswith=profile.region.path)


def _level_label(level: str) -> str:
    return str(dict(Level.choices).get(level, level))


_NO_ISSUER = object()


def check_authority(user, level: str, region: Region | None, issuer=_NO_ISSUER) -> None:
    """Raise ``PermissionDenied`` unless ``user`` may issue a warning of ``level`` for ``region``.

    ``issuer`` (the drafting / issuing ``Organization``, or None), when given: a district acts only on warnings of
    organisations of its own region (a city bureau's warning needs city approval, whatever its level or region)."""
    authority = authority_of(user)
    if authority is None:
        raise PermissionDenied(_("您没有签发预警的权限(市级管理员或区县操作员方可签发)"))
    if authority == "district":
        own = user.profile.region
        if region is None or not region.path.startswith(own.path):
            raise PermissionDenied(_("区县只能签发本辖区的预警"))
        if issuer is not _NO_ISSUER:
            issuer_region = getattr(issuer, "region", None) if issuer is not None else None
            if issuer_region is None or not issuer_region.path.startswith(own.path):
                raise PermissionDenied(_("该预警由%(org)s发布，区县只能审批、调整或解除本辖区单位的预警，须由市级办理")
                                       % {"org": getattr(issuer, "name", None) or _("市级单位")})
    if level not in issue_levels().get(authority, []):
        allowed = "、".join(_level_label(lv) for lv in issue_levels().get(authority, []))
        if authority == "district":
            raise PermissionDenied(_("区县只能签发%(levels)s预警,%(level)s须报市级签发")
                                   % {"levels": allowed or "—", "level": _level_label(level)})
        raise PermissionDenied(_("市级不能签发%(level)s预警(允许: %(levels)s)")
                               % {"level": _level_label(level), "levels": allowed or "—"})


def may_issue(user, level: str, region: Region | None, issuer=_NO_ISSUER) -> bool:
    try:
        check_authority(user, level, region, issuer)
    except PermissionDenied:
        return False
    return True


def is_manual(warning: EarlyWarning) -> bool:
    return warning.source_key.startswith(SOURCE_PREFIX)


def is_author(user, warning: EarlyWarning) -> bool:
    """The user acts for the organisation that drafted the warning."""
    profile = _profile(user)
    return bool(profile is not None and profile.organization_id and profile.organization_id == warning.issuer_id)


def can_edit(user, warning: EarlyWarning) -> bool:
    return warning.status == WarningStatus.DRAFT and can_draft(user) and is_author(user, warning)


def can_approve(user, warning: EarlyWarning) -> bool:
    """For the buttons; ``approve`` checks again under the row lock."""
    return (warning.status == WarningStatus.PENDING and may_issue(user, warning.level, warning.region, warning.issuer)
            and not (four_eyes() and warning.submitted_by_id == user.pk))


def can_reject(user, warning: EarlyWarning) -> bool:
    return warning.status == WarningStatus.PENDING and may_issue(user, warning.level, warning.region, warning.issuer)


def can_change_level(user, warning: EarlyWarning) -> bool:
    return (warning.status == WarningStatus.ACTIVE and is_manual(warning)
            and may_issue(user, warning.level, warning.region, warning.issuer))


def check_end(user, warning: EarlyWarning) -> None:
    """Raise ``PermissionDenied`` unless ``user`` may end (lift or withdraw) the active ``warning``: the city always;
    otherwise a writer whose scope covers the warning's region and who has issuing authority for its level (and,
    for a warning with an issuing organisation, that organisation is of the district's region)."""
    from citysafe.core.roles import can_write

    if is_municipal(user):
        return
    if not can_write(user):
        raise PermissionDenied(_("您没有解除或撤销预警的权限"))
    profile = _profile(user)
    own = profile.region if profile is not None and profile.region_id else None
    if own is None or warning.region_id is None or not warning.region.path.startswith(own.path):
        raise PermissionDenied(_("只能解除或撤销本辖区的预警"))
    if warning.issuer_id is not None:
        check_authority(user, warning.level, warning.region, warning.issuer)
    else:
        check_authority(user, warning.level, warning.region)


def can_end(user, warning: EarlyWarning) -> bool:
    if warning.status != WarningStatus.ACTIVE:
        return False
    try:
        check_end(user, warning)
    except PermissionDenied:
        return False
    return True


def manual_warnings_for(user) -> QuerySet:
    """Manual warnings the user may see on the manual pages.

    Drafts and pending ones: the author's organisation, and those who may approve them (municipal: all; a district
    operator: their region subtree).  Issued ones (active, ended): additionally everything ``warnings_for`` shows.
    """
    from .selectors import warnings_for

    qs = EarlyWarning.objects.filter(source_key__startswith=SOURCE_PREFIX).select_related(
        "region", "issuer", "created_by", "submitted_by", "approved_by")
    if not user.is_authenticated:
        return qs.none()
    if is_municipal(user):
        return qs
    conditions = []
    profile = _profile(user)
    if profile is not None and profile.organization_id:
        conditions.append(Q(issuer_id=profile.organization_id))
    if authority_of(user) == "district":
        conditions.append(Q(region__path__startswith=profile.region.path))
    issued = warnings_for(user).exclude(status__in=OPEN_STATUSES).values("pk")
    conditions.append(Q(pk__in=issued))
    return qs.filter(reduce(or_, conditions))


# --- input ------------------------------------------------------------------------------------------------------------

def validate_polygon(value) -> dict | None:
    """A GeoJSON Polygon / MultiPolygon (dict or JSON text; a Feature is unwrapped) in WGS84 (lon -180..180,
    lat -90..90), valid by shapely (no self-intersection).  Returns the geometry dict, None for empty input."""
    from shapely.geometry import shape
    from shapely.validation import explain_validity

    if value in (None, "", {}):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise DraftError(_("范围多边形不是有效的 JSON"), "polygon") from exc
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        raise DraftError(_("范围多边形须为 GeoJSON Polygon 或 MultiPolygon"), "polygon")
    try:
        geometry = shape(value)
    except Exception as exc:  # noqa: BLE001 - shapely raises several types for malformed coordinates
        raise DraftError(_("范围多边形坐标无效"), "polygon") from exc
    if geometry.is_empty:
        raise DraftError(_("范围多边形为空"), "polygon")
    lon_min, lat_min, lon_max, lat_max = geometry.bounds
    if lon_min < -180 or lon_max > 180 or lat_min < -90 or lat_max > 90:
        raise DraftError(_("范围多边形坐标须为 WGS84 经纬度(经度 -180~180,纬度 -90~90)"), "polygon")
    if not geometry.is_valid:
        raise DraftError(_("范围多边形无效: %(reason)s") % {"reason": explain_validity(geometry)}, "polygon")
    return {"type": value["type"], "coordinates": value["coordinates"]}


def _shape(geojson):
    """A valid shapely geometry of a stored GeoJSON boundary, or None (missing or unreadable)."""
    from shapely.geometry import shape

    if not geojson:
        return None
    try:
        geometry = shape(geojson)
        if not geometry.is_valid:
            geometry = geometry.buffer(0)
    except Exception:  # noqa: BLE001 - a broken boundary skips the check rather than blocking every draft
        return None
    return None if geometry.is_empty else geometry


def check_polygon_region(user, polygon: dict | None, region: Region) -> None:
    """The polygon must intersect the warning region's boundary and lie within the user's scope (the user's region
    boundary, about 500 m tolerance; the city and municipal departments: no further limit).  A region without a
    boundary skips that part of the check."""
    from shapely.geometry import shape

    if not polygon:
        return
    geometry = shape(polygon)
    if not geometry.is_valid:
        geometry = geometry.buffer(0)
    boundary = _shape(region.boundary)
    if boundary is not None and not geometry.intersects(boundary):
        raise DraftError(_("范围多边形不在所选区划（%(region)s）范围内，请检查坐标或区划")
                         % {"region": region.name}, "polygon")
    if is_municipal(user):
        return
    profile = _profile(user)
    own = profile.region if profile is not None and profile.region_id else None
    scope = _shape(own.boundary) if own is not None else None
    if scope is not None and not geometry.within(scope.buffer(POLYGON_TOLERANCE_DEG)):
        raise DraftError(_("范围多边形超出您的辖区（%(region)s），请只划定辖区内的范围")
                         % {"region": own.name}, "polygon")


def _aware(value, field):
    if value is None or value == "":
        return None
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None:
            raise DraftError(_("时间格式无效"), field)
        value = parsed
    if not isinstance(value, dt.datetime):
        raise DraftError(_("时间格式无效"), field)
    low, high = YEAR_RANGE
    message = _("时间须在 %(low)s 年至 %(high)s 年之间") % {"low": low, "high": high}
    if not low <= value.year <= high:
        raise DraftError(message, field)
    try:
        value = value if timezone.is_aware(value) else timezone.make_aware(value)
        utc = value.astimezone(dt.UTC)
    except (OverflowError, ValueError) as exc:
        raise DraftError(message, field) from exc
    if not low <= utc.year <= high:
        raise DraftError(message, field)
    return value


def clean_note(note, field: str = "note") -> str:
    """A stripped note of at most ``NOTE_LIMIT`` characters (longer: an error, never silently cut)."""
    if note is not None and not isinstance(note, str):
        raise DraftError(_("说明须为文字"), field)
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise DraftError(_("说明不能超过 %(n)s 字（当前 %(len)s 字）") % {"n": NOTE_LIMIT, "len": len(note)}, field)
    return note


def clean_draft(user, data: dict, current: EarlyWarning | None = None) -> dict:
    """Validate draft fields (``DRAFT_FIELDS``; missing ones keep ``current``'s values) and return them cleaned.

    ``region`` is a ``Region`` (or its pk) within ``drafting_regions(user)``; ``expires`` must be after ``onset``.
    """
    unknown = set(data) - set(DRAFT_FIELDS)
    if unknown:
        raise DraftError(_("未知字段: %(names)s") % {"names": ", ".join(sorted(unknown))})
    merged = {name: getattr(current, name) for name in DRAFT_FIELDS} if current else {}
    merged.update(data)
    out = {}
    if merged.get("hazard_type") not in HazardType.values:
        raise DraftError(_("请选择灾种"), "hazard_type")
    out["hazard_type"] = merged["hazard_type"]
    if merged.get("level") not in Level.values:
        raise DraftError(_("请选择预警级别"), "level")
    out["level"] = merged["level"]
    headline = (merged.get("headline") or "").strip()
    if not headline:
        raise DraftError(_("请填写标题"), "headline")
    if len(headline) > 300:
        raise DraftError(_("标题不能超过 300 字"), "headline")
    out["headline"] = headline
    for name, limit in (("description", TEXT_LIMIT), ("instruction", TEXT_LIMIT), ("area_desc", 300)):
        text = merged.get(name) or ""
        if not isinstance(text, str):
            raise DraftError(_("内容须为文字"), name)
        text = text.strip()
        if len(text) > limit:
            raise DraftError(_("内容过长（上限 %(n)s 字，当前 %(len)s 字）") % {"n": limit, "len": len(text)}, name)
        out[name] = text
    region = merged.get("region")
    if region is not None and not isinstance(region, Region):
        region = Region.objects.filter(pk=region).first() if str(region).isdigit() else None
    if region is None or not drafting_regions(user).filter(pk=region.pk).exists():
        raise DraftError(_("请选择您辖区内的区划"), "region")
    out["region"] = region
    out["polygon"] = validate_polygon(merged.get("polygon"))
    check_polygon_region(user, out["polygon"], region)
    out["onset"] = _aware(merged.get("onset"), "onset") or timezone.now()
    out["expires"] = _aware(merged.get("expires"), "expires")
    if out["expires"] is not None and out["expires"] <= out["onset"]:
        raise DraftError(_("失效时间须晚于开始时间"), "expires")
    out["is_public"] = bool(merged.get("is_public"))
    return out


# --- writes -----------------------------------------------------------------------------------------------------------

def _locked(warning: EarlyWarning) -> EarlyWarning:
    return (EarlyWarning.objects.select_for_update(of=("self",)).select_related("region", "issuer__region")
            .get(pk=warning.pk if isinstance(warning, EarlyWarning) else warning))


def _require_author(user, warning: EarlyWarning) -> None:
    if not is_manual(warning):
        raise DraftError(_("只有人工预警可以这样操作"))
    if not (can_draft(user) and is_author(user, warning)):
        raise PermissionDenied(_("只有起草单位可以修改、提交或删除该草稿"))
    if warning.status != WarningStatus.DRAFT:
        raise DraftError(_("只有草稿可以修改、提交或删除(当前状态: %(status)s)")
                         % {"status": warning.get_status_display()})


@audited
@transaction.atomic
def create_draft(*, user, data: dict) -> EarlyWarning:
    """Store a new draft for the user's organisation; ``data`` as in :func:`clean_draft`."""
    if not can_draft(user):
        raise PermissionDenied(_("您没有起草预警的权限"))
    profile = _profile(user)
    if profile is None or not profile.organization_id:
        raise DraftError(_("您的账号未关联单位,不能起草预警"))
    fields = clean_draft(user, data)
    now = timezone.now()
    warning = EarlyWarning.objects.create(
        source_key=f"{SOURCE_PREFIX}{uuid.uuid4()}", status=WarningStatus.DRAFT, issuer_id=profile.organization_id,
        sender_name=profile.organization.name, created_by=user, raised_at=now, updated_at=now, **fields)
    WarningEvent.objects.create(warning=warning, kind="drafted", level=warning.level, at=now,
                                note=user.get_username()[:300])
    return warning


@audited
@transaction.atomic
def update_draft(*, user, warning: EarlyWarning, data: dict) -> EarlyWarning:
    """Edit a draft (author's organisation only, while it is a draft)."""
    warning = _locked(warning)
    _require_author(user, warning)
    for name, value in clean_draft(user, data, current=warning).items():
        setattr(warning, name, value)
    warning.updated_at = timezone.now()
    warning.save()
    return warning


@audited
@transaction.atomic
def delete_draft(*, user, warning: EarlyWarning) -> None:
    warning = _locked(warning)
    _require_author(user, warning)
    warning.delete()


@audited
@transaction.atomic
def submit(*, user, warning: EarlyWarning) -> EarlyWarning:
    """DRAFT -> PENDING: ask for approval.  Any writer of the author's organisation may submit, whatever the level
    (a district submits an orange draft, the city approves it)."""
    warning = _locked(warning)
    _require_author(user, warning)
    clean_draft(user, {}, current=warning)  # still valid (e.g. the region is still in scope)
    now = timezone.now()
    warning.status, warning.submitted_by, warning.submitted_at, warning.updated_at = (
        WarningStatus.PENDING, user, now, now)
    warning.review_note = ""
    warning.save(update_fields=["status", "submitted_by", "submitted_at", "updated_at", "review_note"])
    WarningEvent.objects.create(warning=warning, kind="submitted", level=warning.level, at=now,
                                note=user.get_username()[:300])
    return warning


def _require_pending(warning: EarlyWarning) -> None:
    if not is_manual(warning):
        raise DraftError(_("只有人工预警需要审批"))
    if warning.status != WarningStatus.PENDING:
        raise DraftError(_("该预警不在待审批状态(当前状态: %(status)s)") % {"status": warning.get_status_display()})


def _into_loop(pk: int, kind: str) -> None:
    """After commit: CAP export, then 叫应 / response actions — the same entry as engine and CAP warnings."""
    from .hooks import after_warning_changes
    from .services import publish_cap

    def run():
        publish_cap([(pk, kind)])
        after_warning_changes([(pk, kind)])

    transaction.on_commit(run)


@audited
@transaction.atomic
def approve(*, user, warning: EarlyWarning, note: str = "") -> EarlyWarning:
    """PENDING -> ACTIVE (签发): authority for the level and region, four-eyes, not yet expired.  Events "approved"
    and "raised"; after commit the warning enters the loop (CAP Alert, 叫应, response actions)."""
    warning = _locked(warning)
    _require_pending(warning)
    check_authority(user, warning.level, warning.region, warning.issuer)
    note = clean_note(note)
    if four_eyes() and warning.submitted_by_id == user.pk:
        raise PermissionDenied(_("审批签发人不能是提交人(双人复核)"))
    now = timezone.now()
    if warning.expires is not None and warning.expires <= now:
        raise DraftError(_("失效时间已过,请退回修改"), "expires")
    warning.status, warning.approved_by, warning.approved_at = WarningStatus.ACTIVE, user, now
    warning.raised_at = warning.updated_at = now
    warning.review_note = note
    warning.save(update_fields=["status", "approved_by", "approved_at", "raised_at", "updated_at", "review_note"])
    WarningEvent.objects.create(warning=warning, kind="approved", level=warning.level, at=now,
                                note=(f"{user.get_username()} {warning.review_note}").strip()[:300])
    WarningEvent.objects.create(warning=warning, kind="raised", level=warning.level, at=now)
    _into_loop(warning.pk, "raised")
    return warning


@audited
@transaction.atomic
def reject(*, user, warning: EarlyWarning, note: str) -> EarlyWarning:
    """PENDING -> DRAFT with a note (required), by someone who could have approved it.  Four-eyes does not apply:
    a rejection issues nothing."""
    warning = _locked(warning)
    _require_pending(warning)
    check_authority(user, warning.level, warning.region, warning.issuer)
    note = clean_note(note)
    if not note:
        raise DraftError(_("退回须填写审批意见"), "note")
    now = timezone.now()
    warning.status, warning.review_note, warning.updated_at = WarningStatus.DRAFT, note, now
    warning.save(update_fields=["status", "review_note", "updated_at"])
    WarningEvent.objects.create(warning=warning, kind="rejected", level=warning.level, at=now,
                                note=f"{user.get_username()}: {note}"[:300])
    return warning


@audited
@transaction.atomic
def change_level(*, user, warning: EarlyWarning, level: str, note: str = "") -> EarlyWarning:
    """Upgrade or downgrade an issued (active) manual warning.  The user needs issuing authority for the current
    *and* the new level (a district neither raises to orange nor touches the city's orange warning).  Event
    upgraded/downgraded; after commit: CAP Update and the loop (an upgrade is a new 叫应 round)."""
    warning = _locked(warning)
    if not is_manual(warning):
        raise DraftError(_("只有人工预警可以在此调整级别"))
    if warning.status != WarningStatus.ACTIVE:
        raise DraftError(_("只有生效中的预警可以调整级别"))
    if level not in Level.values:
        raise DraftError(_("请选择预警级别"), "level")
    if level == warning.level:
        raise DraftError(_("级别未变化"), "level")
    note = clean_note(note)
    check_authority(user, warning.level, warning.region, warning.issuer)
    check_authority(user, level, warning.region, warning.issuer)
    previous, now = warning.level, timezone.now()
    kind = "upgraded" if LEVEL_ORDER[level] > LEVEL_ORDER[previous] else "downgraded"
    warning.level, warning.updated_at = level, now
    warning.save(update_fields=["level", "updated_at"])
    WarningEvent.objects.create(warning=warning, kind=kind, level=level, previous_level=previous, at=now,
                                note=(f"{user.get_username()} {note}").strip()[:300])
    _into_loop(warning.pk, kind)
    return warning
