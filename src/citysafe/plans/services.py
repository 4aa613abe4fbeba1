"""Every write of plans, response levels, cards, drills and findings.

Who may write (project rule, after DESIGN §5): municipal administrators everything; a writer whose scope holds
the plan's owner organisation; a district writer for non-city plans located in their region subtree.  An
enterprise's own safety manager writes only its enterprise's plans.  Drill findings become hazards through
``hazards.services.create_hazard`` (its own scoping and routing apply) or plan revision notes.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citysafe.core.audit import audited
from citysafe.core.models import Organization, OrganizationKind, Region, RegionLevel
from citysafe.core.roles import can_write, is_enterprise, is_municipal
from citysafe.core.scoping import organization_in_scope, scope_region_paths
from citysafe.hazards.models import HazardSource
from citysafe.hazards.services import create_hazard
from citysafe.incidents.grading import ACCIDENT_GRADES, DISASTER_LEVELS

from .errors import PermissionDenied, PlanError
from .models import (
    Drill,
    DrillFinding,
    DrillKind,
    DrillStatus,
    EmergencyPlan,
    FindingKind,
    PlanLevel,
    PlanRevision,
    PlanStatus,
    ResponseLevel,
    RoleCard,
)

PLAN_FIELDS = {"name", "code", "level", "owner", "region", "incident_kind", "hazard_codes", "version",
               "effective_date", "status", "summary", "source_document", "is_demo"}
# Region levels a plan of each level may cover.
REGION_LEVELS = {PlanLevel.CITY: {RegionLevel.PROVINCE}, PlanLevel.DISTRICT: {RegionLevel.DISTRICT, RegionLevel.ZONE},
                 PlanLevel.TOWNSHIP: {RegionLevel.TOWNSHIP}}
VALID_GRADES = set(ACCIDENT_GRADES) | set(DISASTER_LEVELS)
MAX_STEPS = 30


def _clean(text) -> str:
    return (text or "").replace("\x00", "").strip()


# --- permissions -------------------------------------------------------------------------------------------------

def can_edit(user, plan: EmergencyPlan) -> bool:
    if user is None:
        return True  # system action (demo, CLI)
    if not can_write(user):
        return False
    if is_municipal(user) or organization_in_scope(user, plan.owner_id):
        return True
    if is_enterprise(user) or plan.level == PlanLevel.CITY:
        return False
    return any(plan.region.path.startswith(p) for p in scope_region_paths(user) or [])


def _require_edit(user, plan):
    if not can_edit(user, plan):
        raise PermissionDenied(_("无权编辑该预案"))


# --- plans -------------------------------------------------------------------------------------------------------

def _validate_plan(plan: EmergencyPlan) -> None:
    if not plan.name:
        raise PlanError(_("预案名称不能为空"))
    if not plan.code:
        raise PlanError(_("预案编号不能为空"))
    if plan.level not in PlanLevel.values:
        raise PlanError(_("未知预案层级: %(level)s") % {"level": plan.level})
    if plan.status not in PlanStatus.values:
        raise PlanError(_("未知预案状态: %(status)s") % {"status": plan.status})
    if plan.level == PlanLevel.ENTERPRISE and plan.owner.kind != OrganizationKind.ENTERPRISE:
        raise PlanError(_("企业级预案的编制单位必须是企业"))
    allowed = REGION_LEVELS.get(plan.level)
    if allowed and plan.region.level not in allowed:
        raise PlanError(_("适用区域与预案层级不符"))
    if not isinstance(plan.hazard_codes, list) or not all(isinstance(c, str) for c in plan.hazard_codes):
        raise PlanError(_("适用行业/灾种必须是代码列表"))
    plan.hazard_codes = [c.strip() for c in plan.hazard_codes if c.strip()][:50]
    clash = EmergencyPlan.objects.filter(code=plan.code).exclude(pk=plan.pk)
    if clash.exists():
        raise PlanError(_("预案编号已存在: %(code)s") % {"code": plan.code})


@audited
@transaction.atomic
def create_plan(*, user, name: str, code: str, level: str, owner: Organization, region: Region | None = None,
                **fields) -> EmergencyPlan:
    """Create a plan.  ``region`` defaults to the owner's region (enterprise) or the city.  Raises PlanError on
    bad input, PermissionDenied outside the user's scope."""
    unknown = set(fields) - PLAN_FIELDS
    if unknown:
        raise PlanError(_("未知字段: %(f)s") % {"f": ", ".join(sorted(unknown))})
    region = region or owner.region
    if region is None:
        raise PlanError(_("请指定适用区域"))
    plan = EmergencyPlan(name=_clean(name)[:200], code=_clean(code)[:60], level=level, owner=owner, region=region,
                         created_by=user if getattr(user, "pk", None) else None, **fields)
    _validate_plan(plan)
    _require_edit(user, plan)
    plan.save()
    return plan


@audited
@transaction.atomic
def update_plan(*, user, plan: EmergencyPlan, **fields) -> EmergencyPlan:
    """Change plan fields (same rules as create; the user must be able to edit before and after)."""
    _require_edit(user, plan)
    unknown = set(fields) - PLAN_FIELDS
    if unknown:
        raise PlanError(_("未知字段: %(f)s") % {"f": ", ".join(sorted(unknown))})
    plan = EmergencyPlan.objects.select_for_update().get(pk=plan.pk)
    for key, value in fields.items():
        setattr(plan, key, _clean(value) if key in ("name", "code") else value)
    _validate_plan(plan)
    _require_edit(user, plan)
    plan.save()
    return plan


@audited
@transaction.atomic
def set_response_level(*, user, plan: EmergencyPlan, level: int, grades: list[str] | None = None,
                       activation_criteria: str = "") -> ResponseLevel:
    """Create or update response level ``level`` (1..4) with the incident grades that activate it."""
    _require_edit(user, plan)
    if level not in (1, 2, 3, 4):
        raise PlanError(_("响应级别必须是 1-4 (Ⅰ-Ⅳ级)"))
    grades = list(grades or [])
    bad = [g for g in grades if g not in VALID_GRADES]
    if bad:
        raise PlanError(_("未知事件等级: %(g)s") % {"g": ", ".join(map(str, bad))})
    obj, _created = ResponseLevel.objects.update_or_create(
        plan=plan, level=level, defaults={"grades": grades, "activation_criteria": _clean(activation_criteria)})
    return obj


def _clean_steps(steps) -> list[dict]:
    """Validate steps: a list of {title (required), detail, time_limit_min (0..10080 or None), icon (≤4 chars)}."""
    if not isinstance(steps, list) or len(steps) > MAX_STEPS:
        raise PlanError(_("处置步骤必须是列表(最多 %(n)s 步)") % {"n": MAX_STEPS})
    cleaned = []
    for i, step in enumerate(steps, start=1):
        if not isinstance(step, dict) or not _clean(step.get("title")):
            raise PlanError(_("第 %(i)s 步缺少标题") % {"i": i})
        limit = step.get("time_limit_min")
        if limit in ("", None):
            limit = None
        else:
            try:
                limit = int(limit)
            except (TypeError, ValueError):
                raise PlanError(_("第 %(i)s 步时限必须是分钟数") % {"i": i}) from None
            if not 0 <= limit <= 7 * 24 * 60:
                raise PlanError(_("第 %(i)s 步时限超出范围(0-10080 分钟)") % {"i": i})
        cleaned.append({"title": _clean(step.get("title"))[:100], "detail": _clean(step.get("detail"))[:500],
                        "time_limit_min": limit, "icon": _clean(step.get("icon"))[:4]})
    return cleaned


def _clean_contacts(contacts) -> list[dict]:
    if not isinstance(contacts, list) or len(contacts) > 20:
        raise PlanError(_("关键联系人必须是列表(最多 20 人)"))
    cleaned = []
    for c in contacts:
        if not isinstance(c, dict) or not _clean(c.get("name")):
            raise PlanError(_("联系人缺少姓名"))
        cleaned.append({"name": _clean(c.get("name"))[:50], "title": _clean(c.get("title"))[:50],
                        "phone": _clean(c.get("phone"))[:30]})
    return cleaned


@audited
@transaction.atomic
def save_card(*, user, plan: EmergencyPlan, role: str, steps: list, contacts: list | None = None,
              level: int | None = None, prohibitions: str = "", reminders: str = "", order: int = 0,
              card: RoleCard | None = None) -> RoleCard:
    """Create (or, with ``card``, update) a role card.  ``level`` 1..4 must exist on the plan; None = all levels."""
    _require_edit(user, plan)
    if not _clean(role):
        raise PlanError(_("岗位/角色不能为空"))
    response_level = None
    if level is not None:
        response_level = plan.response_levels.filter(level=level).first()
        if response_level is None:
            raise PlanError(_("预案未设置该响应级别"))
    card = card or RoleCard(plan=plan)
    if card.plan_id != plan.pk:
        raise PlanError(_("处置卡不属于该预案"))
    card.role, card.response_level, card.order = _clean(role)[:60], response_level, order
    card.steps, card.contacts = _clean_steps(steps), _clean_contacts(contacts or [])
    card.prohibitions, card.reminders = _clean(prohibitions), _clean(reminders)
    card.save()
    return card


# --- drills ------------------------------------------------------------------------------------------------------

def can_edit_drill(user, drill: Drill) -> bool:
    return can_edit(user, drill.plan) or (user is not None and can_write(user)
                                          and organization_in_scope(user, drill.organiser_id))


@audited
@transaction.atomic
def create_drill(*, user, plan: EmergencyPlan, title: str, kind: str, planned_date: dt.date,
                 organiser: Organization | None = None, scenario: str = "", participant_units: str = "",
                 is_demo: bool = False) -> Drill:
    """Plan a drill of ``plan``; the organiser defaults to the plan's owner.  The user must edit the plan or act
    for the organiser."""
    if not _clean(title):
        raise PlanError(_("演练名称不能为空"))
    if kind not in DrillKind.values:
        raise PlanError(_("未知演练形式: %(k)s") % {"k": kind})
    drill = Drill(plan=plan, title=_clean(title)[:200], kind=kind, planned_date=planned_date,
                  organiser=organiser or plan.owner, scenario=_clean(scenario),
                  participant_units=_clean(participant_units), is_demo=is_demo)
    if not can_edit_drill(user, drill):
        raise PermissionDenied(_("无权为该预案组织演练"))
    drill.save()
    return drill


@audited
@transaction.atomic
def hold_drill(*, user, drill: Drill, held_at: dt.datetime | None = None, participants_count: int = 0,
               participant_units: str | None = None, summary: str = "", findings: list[dict] | None = None) -> Drill:
    """Record that a planned drill was held: time (default now, not in the future), participants and findings
    ([{description, kind: hazard|plan_change}], see ``add_finding``)."""
    if not can_edit_drill(user, drill):
        raise PermissionDenied(_("无权记录该演练"))
    drill = Drill.objects.select_for_update().get(pk=drill.pk)
    if drill.status != DrillStatus.PLANNED:
        raise PlanError(_("只有计划中的演练可以记录举行情况"))
    held_at = held_at or timezone.now()
    if timezone.is_naive(held_at):
        held_at = timezone.make_aware(held_at)
    if held_at > timezone.now() + dt.timedelta(minutes=5):
        raise PlanError(_("举行时间不能晚于现在"))
    if participants_count is None or not 0 <= int(participants_count) <= 1_000_000:
        raise PlanError(_("参演人数超出范围"))
    drill.held_at, drill.participants_count, drill.status = held_at, int(participants_count), DrillStatus.HELD
    if participant_units is not None:
        drill.participant_units = _clean(participant_units)
    drill.summary = _clean(summary) or drill.summary
    drill.save()
    for finding in findings or []:
        if not isinstance(finding, dict):
            raise PlanError(_("发现问题格式错误"))
        add_finding(user=user, drill=drill, description=finding.get("description", ""),
                    kind=finding.get("kind", ""))
    return drill


@audited
@transaction.atomic
def cancel_drill(*, user, drill: Drill) -> Drill:
    if not can_edit_drill(user, drill):
        raise PermissionDenied(_("无权取消该演练"))
    drill = Drill.objects.select_for_update().get(pk=drill.pk)
    if drill.status != DrillStatus.PLANNED:
        raise PlanError(_("只有计划中的演练可以取消"))
    drill.status = DrillStatus.CANCELLED
    drill.save()
    return drill


@audited
@transaction.atomic
def add_finding(*, user, drill: Drill, description: str, kind: str) -> DrillFinding:
    """Record a finding of a held drill and turn it into a hazard (registered in the plan's district, for the
    enterprise when it is an enterprise plan) or an open plan revision note."""
    if not can_edit_drill(user, drill):
        raise PermissionDenied(_("无权记录该演练的发现问题"))
    description = _clean(description)
    if not description:
        raise PlanError(_("发现问题不能为空"))
    if kind not in FindingKind.values:
        raise PlanError(_("未知处理方式: %(k)s") % {"k": kind})
    drill = Drill.objects.select_related("plan__owner", "plan__region", "organiser").get(pk=drill.pk)
    if drill.status != DrillStatus.HELD:
        raise PlanError(_("演练举行后才能记录发现问题"))
    finding = DrillFinding(drill=drill, description=description, kind=kind)
    plan = drill.plan
    if kind == FindingKind.HAZARD:
        source = HazardSource.GOVERNMENT_INSPECTION
        fields = {"description": _("演练「%(t)s」中发现") % {"t": drill.title}, "found_by": drill.organiser.name[:100],
                  "is_demo": drill.is_demo}
        if plan.level == PlanLevel.ENTERPRISE:
            fields["enterprise"], source = plan.owner, HazardSource.SELF_INSPECTION
        elif plan.region.level in (RegionLevel.DISTRICT, RegionLevel.ZONE, RegionLevel.TOWNSHIP):
            fields["region"] = plan.region
        finding.hazard = create_hazard(user=user, title=description[:200],
                                       source=source, **fields)
    else:
        finding.revision = PlanRevision.objects.create(plan=plan, description=description)
    finding.save()
    return finding


@audited
@transaction.atomic
def close_revision(*, user, revision: PlanRevision) -> PlanRevision:
    """Mark a plan revision note done (the plan has been changed)."""
    _require_edit(user, revision.plan)
    revision.status, revision.done_at = PlanRevision.Status.DONE, timezone.now()
    revision.save()
    return revision
