"""Every write of plans, response levels, cards, drills and findings.

Who may write (project rule, after DESIGN §5): municipal administrators everything; a writer whose scope holds
the plan's owner organisation; a district writer for non-city plans located in their region subtree.  An
enterprise's own safety manager writes only its enterprise's plans.  Drill findings become hazards through
``hazards.services.create_hazard`` (its own scoping and routing apply) or plan revision notes.
"""

import datetime as dt
import re
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citysafe.core.audit import audited
from citysafe.core.models import Organization, OrganizationKind, Region, RegionLevel
from citysafe.core.roles import can_write, is_enterprise, is_municipal
from citysafe.core.scoping import organization_in_scope, scope_organization_ids, scope_region_paths
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
# Size limits below are project defaults (no rule fixes them); the API schemas (``schemas.py``) use the same numbers.
MAX_STEPS = 30
MAX_HAZARD_CODES, MAX_HAZARD_CODE_LEN = 30, 40
MAX_SUMMARY, MAX_FINDING = 20_000, 2_000
MAX_LINE = 1000  # one prohibition/reminder line
PHONE_RE = re.compile(r"[0-9+\-() ]{3,30}")
DOCUMENT_EXTENSIONS = {".pdf", ".docx", ".doc"}


def region_by_adcode(adcode: str) -> Region | None:
    """The current region with ``adcode`` (the newest ``valid_from`` when the code was reused), None if unknown."""
    return Region.objects.filter(adcode=adcode).order_by("-valid_from").first()


def _clean(text) -> str:
    return (text or "").replace("\x00", "").strip()


# --- permissions -------------------------------------------------------------------------------------------------

def _region_in_scope(user, region) -> bool:
    paths = scope_region_paths(user)
    if paths is None:
        return True
    return region is not None and any(region.path.startswith(p) for p in paths)


def can_edit(user, plan: EmergencyPlan) -> bool:
    """Project rule: city-level plans only by municipal users; an enterprise user only the enterprise plans of their
    own organisation (region = the owner's region); anyone else district/township/enterprise plans whose region lies
    in their region subtree *and* whose owner organisation is in their scope."""
    if user is None:
        return True  # system action (demo, CLI)
    if not can_write(user):
        return False
    if is_municipal(user):
        return True
    if plan.level == PlanLevel.CITY:
        return False
    if not organization_in_scope(user, plan.owner_id):
        return False
    if is_enterprise(user):
        return plan.level == PlanLevel.ENTERPRISE and plan.region_id == plan.owner.region_id
    return _region_in_scope(user, plan.region)


def creatable_levels(user) -> list[str]:
    """Plan levels ``user`` may create (the web form offers only these)."""
    if user is None or is_municipal(user):
        return list(PlanLevel.values)
    if not can_write(user):
        return []
    if is_enterprise(user):
        return [PlanLevel.ENTERPRISE]
    return [PlanLevel.DISTRICT, PlanLevel.TOWNSHIP, PlanLevel.ENTERPRISE]


def known_hazard_codes() -> set[str]:
    """Codes a plan's hazard list may hold: ``hazards.Industry`` sector codes, early-warning hazard types and the
    disaster types of incidents."""
    from citysafe.early_warning.models import HazardType
    from citysafe.hazards.models import Industry
    from citysafe.incidents.models import DISASTER_TYPES

    return (set(Industry.objects.values_list("code", flat=True)) | set(HazardType.values)
            | {code for code, _label in DISASTER_TYPES})


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
    if plan.level == PlanLevel.ENTERPRISE and plan.owner.region_id and plan.region_id != plan.owner.region_id:
        raise PlanError(_("企业级预案的适用区域必须是编制企业所在区域"))
    if not isinstance(plan.hazard_codes, list) or not all(isinstance(c, str) for c in plan.hazard_codes):
        raise PlanError(_("适用行业/灾种必须是代码列表"))
    codes = list(dict.fromkeys(c.strip() for c in plan.hazard_codes if c.strip()))
    if len(codes) > MAX_HAZARD_CODES or any(len(c) > MAX_HAZARD_CODE_LEN for c in codes):
        raise PlanError(_("适用行业/灾种最多 %(n)s 个代码，每个不超过 %(m)s 个字符。")
                        % {"n": MAX_HAZARD_CODES, "m": MAX_HAZARD_CODE_LEN})
    known = known_hazard_codes()  # one read of the industry table, not one per code
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise PlanError(_("未知的行业/灾种代码：%(codes)s（可用行业领域代码、预警灾种或灾害类型代码）。")
                        % {"codes": "，".join(unknown)})
    plan.hazard_codes = codes
    if len(plan.summary or "") > MAX_SUMMARY:
        raise PlanError(_("摘要不能超过 %(n)s 个字符。") % {"n": MAX_SUMMARY})
    clash = EmergencyPlan.objects.filter(code=plan.code).exclude(pk=plan.pk)
    if clash.exists():
        raise PlanError(_("预案编号已存在: %(code)s") % {"code": plan.code})


def _validate_document(upload) -> None:
    """The plan document: PDF, DOCX or DOC only (and the shared upload size limit)."""
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import UploadedFile

    if not isinstance(upload, UploadedFile):
        return

    from citysafe.core.uploads import validate_upload

    if Path(upload.name or "").suffix.lower() not in DOCUMENT_EXTENSIONS:
        raise PlanError(_("预案原文只能是 PDF、DOCX 或 DOC 文件。"))
    try:
        validate_upload(upload)
    except ValidationError as exc:
        raise PlanError("；".join(exc.messages)) from None


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
    _validate_document(fields.get("source_document"))
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
    _validate_document(fields.get("source_document"))
    for key, value in fields.items():
        setattr(plan, key, _clean(value) if key in ("name", "code") else value)
    _validate_plan(plan)
    _require_edit(user, plan)
    plan.save()
    return plan


@audited
@transaction.atomic
def delete_response_level(*, user, level: ResponseLevel) -> None:
    """Delete a response level (its level-specific cards go with it)."""
    _require_edit(user, level.plan)
    level.delete()


@audited
@transaction.atomic
def delete_card(*, user, card: RoleCard) -> None:
    _require_edit(user, card.plan)
    card.delete()


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
    taken = {g: lv.level for lv in plan.response_levels.exclude(level=level) for g in (lv.grades or [])}
    clash = sorted({g for g in grades if g in taken})
    if clash:
        raise PlanError(_("事件等级 %(g)s 已启动本预案的其他响应级别（%(lv)s 级），一个等级只能对应一个响应级别。")
                        % {"g": "，".join(clash), "lv": "，".join(str(taken[g]) for g in clash)})
    grades = list(dict.fromkeys(grades))
    obj, _created = ResponseLevel.objects.update_or_create(
        plan=plan, level=level, defaults={"grades": grades, "activation_criteria": _clean(activation_criteria)})
    return obj


def _clean_steps(steps) -> list[dict]:
    """Validate steps: a list of {title (required), detail, time_limit_min (0..10080 or None), icon (≤4 chars)}."""
    if not isinstance(steps, list) or len(steps) > MAX_STEPS:
        raise PlanError(_("处置步骤必须是列表(最多 %(n)s 步)") % {"n": MAX_STEPS})
    if not steps:
        raise PlanError(_("处置卡至少需要一个处置步骤。"))
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
            if not 0 <= limit <= 7 * 24 * 60:  # at most one week (project default)
                raise PlanError(_("第 %(i)s 步时限超出范围(0-10080 分钟)") % {"i": i})
        cleaned.append({"title": _clean(step.get("title"))[:100], "detail": _clean(step.get("detail"))[:500],
                        "time_limit_min": limit, "icon": _clean(step.get("icon"))[:4]})
    return cleaned


def _clean_lines(text, prefix: str) -> str:
    """One item a line, each at most MAX_LINE characters; a leading "禁止:"/"注意:" is dropped (the card adds it)."""
    lines = []
    for line in _clean(text).splitlines():
        line = line.strip()
        for lead in (f"{prefix}:", f"{prefix}：", f"{prefix} :"):
            if line.startswith(lead):
                line = line[len(lead):].strip()
        if len(line) > MAX_LINE:
            raise PlanError(_("禁止/注意事项每条不超过 %(n)s 个字符。") % {"n": MAX_LINE})
        if line:
            lines.append(line)
    if len(lines) > 50:
        raise PlanError(_("禁止/注意事项最多 50 条。"))
    return "\n".join(lines)


def _clean_contacts(contacts) -> list[dict]:
    if not isinstance(contacts, list) or len(contacts) > 20:
        raise PlanError(_("关键联系人必须是列表(最多 20 人)"))
    cleaned = []
    for c in contacts:
        if not isinstance(c, dict) or not _clean(c.get("name")):
            raise PlanError(_("联系人缺少姓名"))
        phone = _clean(c.get("phone"))
        if phone and not PHONE_RE.fullmatch(phone):
            raise PlanError(_("联系人「%(name)s」的电话格式不正确（3-30 位数字、空格、+、-、括号）。")
                            % {"name": _clean(c.get("name"))[:50]})
        cleaned.append({"name": _clean(c.get("name"))[:50], "title": _clean(c.get("title"))[:50],
                        "phone": phone, "public": bool(c.get("public"))})
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
    card.prohibitions, card.reminders = _clean_lines(prohibitions, "禁止"), _clean_lines(reminders, "注意")
    card.save()
    return card


# --- drills ------------------------------------------------------------------------------------------------------

def can_edit_drill(user, drill: Drill) -> bool:
    return can_edit(user, drill.plan) or (user is not None and can_write(user)
                                          and organization_in_scope(user, drill.organiser_id))


def _check_year(value, label: str) -> None:
    if value is not None and not 2000 <= value.year <= 2100:
        raise PlanError(_("%(label)s的年份必须在 2000-2100 之间。") % {"label": label})


def drill_organisers(user):
    """Organisations ``user`` may name as a drill's organiser (their own side)."""
    qs = Organization.objects.all()
    if user is None or is_municipal(user):
        return qs
    return qs.filter(pk__in=scope_organization_ids(user, include_groups=False))


@audited
@transaction.atomic
def create_drill(*, user, plan: EmergencyPlan, title: str, kind: str, planned_date: dt.date,
                 organiser: Organization | None = None, scenario: str = "", participant_units: str = "",
                 is_demo: bool = False) -> Drill:
    """Plan a drill of ``plan``.  The organiser defaults to the plan's owner; any other organiser must be an
    organisation the user acts for (the same rule on the web form and the API).  The user must edit the plan or act
    for the organiser."""
    if not _clean(title):
        raise PlanError(_("演练名称不能为空"))
    if kind not in DrillKind.values:
        raise PlanError(_("未知演练形式: %(k)s") % {"k": kind})
    if planned_date is None:
        raise PlanError(_("请填写计划日期。"))
    _check_year(planned_date, _("计划日期"))
    if len(scenario or "") > MAX_SUMMARY:
        raise PlanError(_("演练情景不能超过 %(n)s 个字符。") % {"n": MAX_SUMMARY})
    if organiser is not None and organiser.pk != plan.owner_id and user is not None \
            and not organization_in_scope(user, organiser.pk):
        raise PermissionDenied(_("组织单位只能是本单位或本辖区的单位。"))
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
    ([{description, kind: hazard|plan_change, region}], see ``add_finding``).  A finding that cannot be recorded
    raises PlanError naming it; nothing of the hold is saved then."""
    if not can_edit_drill(user, drill):
        raise PermissionDenied(_("无权记录该演练"))
    drill = Drill.objects.select_for_update().get(pk=drill.pk)
    if drill.status != DrillStatus.PLANNED:
        raise PlanError(_("只有计划中的演练可以记录举行情况"))
    held_at = held_at or timezone.now()
    if timezone.is_naive(held_at):
        held_at = timezone.make_aware(held_at)
    _check_year(held_at, _("举行时间"))
    if held_at > timezone.now() + dt.timedelta(minutes=5):
        raise PlanError(_("举行时间不能晚于现在"))
    try:
        participants_count = int(participants_count)
    except (TypeError, ValueError):
        raise PlanError(_("参演人数超出范围")) from None
    if not 0 <= participants_count <= 1_000_000:
        raise PlanError(_("参演人数超出范围"))
    if len(summary or "") > MAX_SUMMARY:
        raise PlanError(_("演练总结不能超过 %(n)s 个字符。") % {"n": MAX_SUMMARY})
    drill.held_at, drill.participants_count, drill.status = held_at, participants_count, DrillStatus.HELD
    if participant_units is not None:
        drill.participant_units = _clean(participant_units)
    drill.summary = _clean(summary) or drill.summary
    drill.save()
    for index, finding in enumerate(findings or [], start=1):
        if not isinstance(finding, dict):
            raise PlanError(_("发现问题格式错误"))
        try:
            add_finding(user=user, drill=drill, description=finding.get("description", ""),
                        kind=finding.get("kind", ""), region=finding.get("region"))
        except (PlanError, PermissionDenied) as exc:
            raise type(exc)(_("第 %(i)s 条发现问题（%(d)s）未能登记：%(e)s")
                            % {"i": index, "d": _clean(finding.get("description"))[:40], "e": exc}) from None
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


HAZARD_REGION_LEVELS = (RegionLevel.DISTRICT, RegionLevel.ZONE, RegionLevel.TOWNSHIP)


def _finding_region(drill: Drill, region) -> Region | None:
    """The district a hazard finding is routed to: the one given, else the plan's region when it is a district
    (or township), else the drill organiser's district."""
    if isinstance(region, str):
        adcode = region.strip()
        region = region_by_adcode(adcode) if adcode else None
        if adcode and region is None:
            raise PlanError(_("未知区划代码：%(code)s") % {"code": adcode})
    if region is not None:
        if region.level not in HAZARD_REGION_LEVELS:
            raise PlanError(_("隐患所在区域必须是区县或乡镇（街道）。"))
        return region
    if drill.plan.region.level in HAZARD_REGION_LEVELS:
        return drill.plan.region
    organiser_region = drill.organiser.region
    if organiser_region is not None and organiser_region.level in HAZARD_REGION_LEVELS:
        return organiser_region
    return None


@audited
@transaction.atomic
def add_finding(*, user, drill: Drill, description: str, kind: str, region: Region | str | None = None
                ) -> DrillFinding:
    """Record a finding of a held drill and turn it into a hazard or an open plan revision note.

    A hazard is registered for the enterprise when the plan is an enterprise plan or the drill was organised by an
    enterprise (its own self-inspection); otherwise in ``region`` (a district/township, or its adcode), defaulting
    to the plan's region when that is a district, else the organiser's district; a city plan's finding without any
    district is refused (PlanError), so every hazard is routed."""
    if not can_edit_drill(user, drill):
        raise PermissionDenied(_("无权记录该演练的发现问题"))
    description = _clean(description)
    if not description:
        raise PlanError(_("发现问题不能为空"))
    if len(description) > MAX_FINDING:
        raise PlanError(_("发现问题每条不超过 %(n)s 个字符。") % {"n": MAX_FINDING})
    if kind not in FindingKind.values:
        raise PlanError(_("未知处理方式: %(k)s") % {"k": kind})
    drill = Drill.objects.select_related("plan__owner", "plan__region", "organiser__region").get(pk=drill.pk)
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
        elif drill.organiser.kind == OrganizationKind.ENTERPRISE:
            fields["enterprise"], source = drill.organiser, HazardSource.SELF_INSPECTION
        else:
            hazard_region = _finding_region(drill, region)
            if hazard_region is None:
                raise PlanError(_("请为隐患「%(d)s」指定所在区县（市级预案的演练无法自动确定区县）。")
                                % {"d": description[:40]})
            fields["region"] = hazard_region
        finding.hazard = create_hazard(user=user, title=description[:200], source=source, **fields)
    else:
        finding.revision = PlanRevision.objects.create(plan=plan, description=description)
    finding.save()
    return finding


@audited
@transaction.atomic
def close_revision(*, user, revision: PlanRevision) -> PlanRevision:
    """Mark a plan revision note done (the plan has been changed)."""
    _require_edit(user, revision.plan)
    if revision.status == PlanRevision.Status.DONE:
        raise PlanError(_("该修订事项已完成。"))
    revision.status, revision.done_at = PlanRevision.Status.DONE, timezone.now()
    revision.save()
    return revision
