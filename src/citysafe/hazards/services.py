"""Every write of hidden hazards: registration with routing, the closed-loop workflow, deadline extensions and
listed supervision (挂牌督办) of major hazards.

Rules (原国家安监总局令第16号《安全生产事故隐患排查治理暂行规定》; standards-safety.md §4):
* a hazard is routed to its supervising department by industry ("三管三必须", the ``Industry`` table) and to its
  district by location; when either is unknown it waits in the triage queue;
* the supervising side (municipal administrators, the supervising department, the district's operators) assigns,
  extends deadlines and accepts; the responsible unit rectifies and submits;
* a major hazard is listed for supervision with a ``Supervision`` item, is accepted only by its supervising
  department (or the city), and never by the enterprise itself; acceptance closes the supervision item.
"""

import datetime as dt
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from citysafe.core.audit import audited
from citysafe.core.geo import region_at, valid_lon_lat
from citysafe.core.models import Organization, OrganizationKind, Region
from citysafe.core.roles import can_write, is_enterprise, is_municipal
from citysafe.core.scoping import organization_in_scope, scope_region_paths
from citysafe.workplans.models import Supervision, SupervisionStatus

from .errors import HazardError, PermissionDenied
from .models import DeadlineExtension, Hazard, HazardGrade, HazardStatus, HazardTransition, Industry

# Default time to rectify a major hazard when the registrar gives no deadline.  No national rule fixes it; the
# rectification plan names the deadline (总局令第16号 第十五条 "治理的时限和要求"), so this is only a placeholder
# that the assigning department is expected to replace.
DEFAULT_MAJOR_DEADLINE_DAYS = 30
# A deadline further out than this is a typing error (9999-12-31), not a plan; long works are extended step by step.
MAX_DEADLINE_DAYS = 3 * 365


def new_code(prefix: str = "YH") -> str:
    """A readable unique code such as YH20261129-3FA2C1."""
    return f"{prefix}{timezone.localdate():%Y%m%d}-{secrets.token_hex(3).upper()}"


# --- routing ----------------------------------------------------------------------------------------------------

def industry_for_code(gbt4754_code: str) -> Industry | None:
    """The sector whose GB/T 4754 prefixes match an enterprise's industry code (longest prefix wins)."""
    code = (gbt4754_code or "").strip().upper()
    best, best_len = None, 0
    if not code:
        return None
    for industry in Industry.objects.exclude(gbt4754_codes=""):
        for prefix in (p.strip().upper() for p in industry.gbt4754_codes.split(",")):
            if prefix and code.startswith(prefix) and len(prefix) > best_len:
                best, best_len = industry, len(prefix)
    return best


def district_government(region: Region | None) -> Organization | None:
    if region is None:
        return None
    return Organization.objects.filter(region=region, kind=OrganizationKind.GOVERNMENT).order_by("pk").first()


def route(hazard: Hazard) -> list[str]:
    """Fill in region, industry, supervising department and responsible unit where they can be derived.

    Returns the reasons it could not route (empty when routed).
    """
    reasons = []
    if hazard.region_id is None and valid_lon_lat(hazard.lon, hazard.lat):
        hazard.region = region_at(hazard.lon, hazard.lat)
    if hazard.region_id is None and hazard.enterprise_id and hazard.enterprise.region and \
            hazard.enterprise.region.level != "province":
        hazard.region = hazard.enterprise.region
    if hazard.region_id is None:
        reasons.append(_("无法根据位置确定所在区县"))
    if hazard.industry_id is None and hazard.gbt4754_code:
        hazard.industry = industry_for_code(hazard.gbt4754_code)
    if hazard.supervising_department_id is None and hazard.industry_id:
        hazard.supervising_department = hazard.industry.supervising_department
    if hazard.supervising_department_id is None:
        reasons.append(_("无法根据行业确定监管部门"))
    if hazard.responsible_unit_id is None:
        hazard.responsible_unit = hazard.enterprise or district_government(hazard.region)
    return reasons


# --- permissions -------------------------------------------------------------------------------------------------

def _in_region(user, hazard: Hazard) -> bool:
    paths = scope_region_paths(user)
    return paths is None or bool(hazard.region_id and any(hazard.region.path.startswith(p) for p in paths))


def _unit_in_reach(user, unit: Organization) -> bool:
    """A unit the user may hand work to: one they act for, or one located in their region subtree."""
    if organization_in_scope(user, unit.pk):
        return True
    paths = scope_region_paths(user) or []
    return bool(unit.region_id and any(unit.region.path.startswith(p) for p in paths))


def is_supervising_side(user, hazard: Hazard) -> bool:
    """Municipal administrators, the supervising department, or the district's own (non-enterprise) operators."""
    if user is None:
        return True  # system action (import, sensor)
    if not can_write(user) or is_enterprise(user):
        return False
    return is_municipal(user) or organization_in_scope(user, hazard.supervising_department_id) or \
        _in_region(user, hazard)


def is_responsible_side(user, hazard: Hazard) -> bool:
    if user is None:
        return True
    return can_write(user) and (is_municipal(user) or organization_in_scope(user, hazard.responsible_unit_id))


def can_accept(user, hazard: Hazard) -> bool:
    """Acceptance (验收): a major hazard only by its supervising department or the city; a general one also by
    the district or by the responsible unit itself (general hazards are rectified at once by the unit, 第十条)."""
    if user is None:
        return True
    if not can_write(user):
        return False
    if hazard.grade == HazardGrade.MAJOR:
        return not is_enterprise(user) and (is_municipal(user) or
                                            organization_in_scope(user, hazard.supervising_department_id))
    return is_supervising_side(user, hazard) or is_responsible_side(user, hazard)


# --- writes ------------------------------------------------------------------------------------------------------

def _record(hazard, action, old_status, user, comment=""):
    HazardTransition.objects.create(hazard=hazard, action=action, from_status=old_status, to_status=hazard.status,
                                    comment=comment, by=user if getattr(user, "pk", None) else None)


@audited
@transaction.atomic
def create_hazard(*, user, title: str, source: str, **fields) -> Hazard:
    """Register a hazard, route it, and list it for supervision when it is major.

    ``fields`` are model fields (description, lon, lat, address, region, enterprise, site, industry, gbt4754_code,
    grade, basis, found_at, found_by, deadline, responsible_unit, supervising_department, is_demo).  A user may only
    register hazards inside their scope (their region, or for an organisation they act for).  Raises HazardError
    for a missing title, coordinates out of range, or a deadline before the finding date.
    """
    title = (title or "").replace("\x00", "")
    fields = {k: v.replace("\x00", "") if isinstance(v, str) else v for k, v in fields.items()}
    if not title.strip():
        raise HazardError(_("隐患名称不能为空"))
    lon, lat = fields.get("lon"), fields.get("lat")
    if (lon is None) != (lat is None) or (lon is not None and not valid_lon_lat(lon, lat)):
        raise HazardError(_("经纬度无效"))
    if user is not None and not can_write(user):
        raise PermissionDenied(_("只读用户不能登记隐患"))
    # Every hazard starts in triage and is routed at once when region and department can be derived.
    hazard = Hazard(code=new_code(), title=title.strip()[:200], source=source, status=HazardStatus.TRIAGE,
                    created_by=user if getattr(user, "pk", None) else None, **fields)
    found_on = timezone.localdate(hazard.found_at) if timezone.is_aware(hazard.found_at) else hazard.found_at.date()
    if hazard.deadline and hazard.deadline < found_on:
        raise HazardError(_("整改期限不能早于发现时间"))
    if hazard.deadline and hazard.deadline > found_on + dt.timedelta(days=MAX_DEADLINE_DAYS):
        raise HazardError(_("整改期限过远(超过 %(years)s 年)") % {"years": MAX_DEADLINE_DAYS // 365})
    if hazard.region_id is None and hazard.lon is None and not hazard.enterprise_id and user is not None:
        profile = getattr(user, "profile", None)  # no location given: the registrar's own district
        if profile is not None and profile.region_id and profile.region.level in ("district", "zone"):
            hazard.region = profile.region
    reasons = route(hazard)
    if user is not None and not is_municipal(user) and not (
            _in_region(user, hazard) or organization_in_scope(user, hazard.enterprise_id)
            or organization_in_scope(user, hazard.supervising_department_id)):
        raise PermissionDenied(_("只能登记本辖区或本单位的隐患"))
    if not reasons:
        hazard.route()
    hazard.triage_reason = "; ".join(reasons)
    if hazard.grade == HazardGrade.MAJOR and hazard.deadline is None:
        hazard.deadline = found_on + dt.timedelta(days=DEFAULT_MAJOR_DEADLINE_DAYS)
    hazard.save()
    _record(hazard, "create", "", user, hazard.triage_reason)
    if hazard.grade == HazardGrade.MAJOR:
        list_for_supervision(hazard, user)
    return hazard


def list_for_supervision(hazard: Hazard, user=None) -> Supervision | None:
    """List a major hazard for supervision (挂牌督办) once: a Supervision item owned by the responsible unit."""
    if hazard.supervision_id or hazard.grade != HazardGrade.MAJOR:
        return hazard.supervision
    owner = hazard.responsible_unit or district_government(hazard.region) or hazard.supervising_department
    if owner is None:
        return None
    hazard.supervision = Supervision.objects.create(
        title=_("重大隐患挂牌督办: %(code)s %(title)s") % {"code": hazard.code, "title": hazard.title},
        owner=owner, deadline=hazard.deadline or timezone.localdate() + dt.timedelta(days=DEFAULT_MAJOR_DEADLINE_DAYS),
        reason=hazard.basis[:300], description=hazard.description,
        raised_by=user if getattr(user, "pk", None) else None, status=SupervisionStatus.OPEN)
    hazard.save(update_fields=["supervision"])
    return hazard.supervision


ACTIONS = {
    # action: (model method, who may do it)
    "route": ("route", "supervising"),
    "assign": ("assign", "supervising"),
    "start": ("start_rectification", "responsible"),
    "submit": ("submit", "responsible"),
    "accept": ("accept", "acceptor"),
    "reject": ("reject", "acceptor"),
}


@audited
@transaction.atomic
def transition_hazard(*, user, hazard: Hazard, action: str, comment: str = "", deadline: dt.date | None = None,
                      responsible_unit: Organization | None = None, region: Region | None = None,
                      industry: Industry | None = None, measures: str = "") -> Hazard:
    """Move a hazard one step along the closed loop, with who, when and a comment.

    ``assign`` needs a deadline (given now or earlier) and may set the responsible unit; ``route`` takes the region
    and industry that triage decided; ``submit`` records the measures taken; ``reject`` needs a comment.
    Raises PermissionDenied when the user is not on the side that acts, HazardError for an action not allowed in
    the current state (message names the state) or missing input.
    """
    if action not in ACTIONS:
        raise HazardError(_("未知操作: %(action)s") % {"action": action})
    hazard = Hazard.objects.select_for_update().get(pk=hazard.pk)
    method, side = ACTIONS[action]
    if action == "assign" and responsible_unit is not None and user is not None and not is_municipal(user) \
            and responsible_unit.pk != hazard.responsible_unit_id and not _unit_in_reach(user, responsible_unit):
        raise PermissionDenied(_("只能交办给本辖区或本单位范围内的单位"))
    _apply_inputs(hazard, action, deadline, responsible_unit, region, industry)
    allowed = {"supervising": is_supervising_side, "responsible": is_responsible_side, "acceptor": can_accept}[side]
    if not allowed(user, hazard):
        raise PermissionDenied(_("无权对该隐患执行此操作"))
    old = hazard.status
    try:
        getattr(hazard, method)()
    except TransitionNotAllowed:
        raise HazardError(_("当前状态「%(state)s」下不能执行此操作") % {"state": hazard.get_status_display()}) \
            from None
    _check_inputs(hazard, action, comment)
    if action == "submit" and measures:
        hazard.rectification_measures = measures
    if action == "accept":
        hazard.closed_at = timezone.now()
        _close_supervision(hazard, comment)
    hazard.save()
    _record(hazard, action, old, user, comment)
    return hazard


def _apply_inputs(hazard, action, deadline, responsible_unit, region, industry):
    if action == "route":
        hazard.region = region or hazard.region
        hazard.industry = industry or hazard.industry
        if industry and industry.supervising_department_id:
            hazard.supervising_department = industry.supervising_department
        hazard.responsible_unit = hazard.responsible_unit or hazard.enterprise or district_government(hazard.region)
    if action == "assign":
        hazard.deadline = deadline or hazard.deadline
        hazard.responsible_unit = responsible_unit or hazard.responsible_unit


def _check_inputs(hazard, action, comment):
    if action == "route" and (hazard.region_id is None or hazard.supervising_department_id is None):
        raise HazardError(_("分派需要确定所在区县和监管部门"))
    if action == "assign" and (hazard.deadline is None or hazard.responsible_unit_id is None):
        raise HazardError(_("交办需要整改期限和整改责任单位"))
    if action == "reject" and not comment.strip():
        raise HazardError(_("验收不通过时请说明原因"))
    if action == "route":
        hazard.triage_reason = ""
        if hazard.grade == HazardGrade.MAJOR:
            list_for_supervision(hazard)


def _close_supervision(hazard, comment):
    item = hazard.supervision
    if item is not None and item.status in {SupervisionStatus.OPEN, SupervisionStatus.RESPONDED}:
        item.close()
        item.closed_at = timezone.now()
        item.closure_note = _("隐患已验收销号。") + comment
        item.save()


@audited
@transaction.atomic
def extend_deadline(*, user, hazard: Hazard, new_deadline: dt.date, reason: str) -> DeadlineExtension:
    """Extend the rectification deadline; the old one is kept in a ``DeadlineExtension`` row."""
    hazard = Hazard.objects.select_for_update().get(pk=hazard.pk)
    if not is_supervising_side(user, hazard):
        raise PermissionDenied(_("只有监管方可以批准延期"))
    if not hazard.is_open:
        raise HazardError(_("隐患已销号,不能延期"))
    if not reason.strip():
        raise HazardError(_("请说明延期原因"))
    if hazard.deadline and new_deadline <= hazard.deadline:
        raise HazardError(_("新期限必须晚于原期限"))
    extension = DeadlineExtension.objects.create(hazard=hazard, old_deadline=hazard.deadline,
                                                 new_deadline=new_deadline, reason=reason,
                                                 by=user if getattr(user, "pk", None) else None)
    hazard.deadline = new_deadline
    hazard.save(update_fields=["deadline"])
    if hazard.supervision_id:
        Supervision.objects.filter(pk=hazard.supervision_id).update(deadline=new_deadline)
    _record(hazard, "extend", hazard.status, user, f"{extension.old_deadline} -> {new_deadline}: {reason}")
    return extension


EDITABLE_FIELDS = {"title", "description", "address", "site", "basis"}


@audited
@transaction.atomic
def update_hazard(*, user, hazard: Hazard, **changes) -> Hazard:
    """Correct descriptive fields of an open hazard (supervising side only); workflow fields change by transition."""
    if not is_supervising_side(user, hazard):
        raise PermissionDenied(_("只有监管方可以修改隐患信息"))
    if not hazard.is_open:
        raise HazardError(_("隐患已销号,不能修改"))
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise HazardError(_("不能修改的字段: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if "title" in changes and not (changes["title"] or "").strip():
        raise HazardError(_("隐患名称不能为空"))
    for name, value in changes.items():
        setattr(hazard, name, value)
    hazard.save()
    return hazard


@audited
@transaction.atomic
def delete_hazard(*, user, hazard: Hazard) -> None:
    """Delete a mistaken entry: municipal administrators only, and only before it was assigned (history keeps it)."""
    if user is not None and not is_municipal(user):
        raise PermissionDenied(_("只有市级管理员可以删除隐患"))
    if hazard.status not in {HazardStatus.TRIAGE, HazardStatus.REPORTED}:
        raise HazardError(_("已交办的隐患不能删除"))
    hazard.delete()


@audited
@transaction.atomic
def create_risk_point(*, user, code: str, name: str, kind: str, lon: float, lat: float, **fields):
    """Register a risk point; its district comes from the location.  Raises for a duplicate code or a point
    outside the user's region."""
    from .models import RiskPoint, RiskPointKind

    if kind not in RiskPointKind.values:
        raise HazardError(_("未知的风险点类型: %(kind)s") % {"kind": kind})
    if not valid_lon_lat(lon, lat):
        raise HazardError(_("经纬度无效"))
    if RiskPoint.objects.filter(code=code).exists():
        raise HazardError(_("编号已存在: %(code)s") % {"code": code})
    if user is not None and not can_write(user):
        raise PermissionDenied(_("只读用户不能登记风险点"))
    point = RiskPoint(code=code, name=name, kind=kind, lon=lon, lat=lat, **fields)
    point.region = point.region or region_at(lon, lat)
    if user is not None and not is_municipal(user):
        paths = scope_region_paths(user) or []
        if not (point.region and any(point.region.path.startswith(p) for p in paths)):
            raise PermissionDenied(_("只能登记本辖区的风险点"))
    point.save()
    return point


@audited
@transaction.atomic
def update_risk_point(*, user, point, **changes):
    """Correct a risk point's descriptive fields (writers whose region contains it, or the city)."""
    if user is not None:
        paths = scope_region_paths(user)
        in_scope = paths is None or bool(point.region and any(point.region.path.startswith(p) for p in paths))
        if not (can_write(user) and not is_enterprise(user) and in_scope):
            raise PermissionDenied(_("无权修改该风险点"))
    for name, value in changes.items():
        setattr(point, name, value.replace("\x00", "") if isinstance(value, str) else value)
    point.save()
    return point


@audited
@transaction.atomic
def delete_risk_point(*, user, point) -> None:
    if user is not None and not is_municipal(user):
        raise PermissionDenied(_("只有市级管理员可以删除风险点"))
    point.delete()
