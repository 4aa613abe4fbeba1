"""Every write of the work plan: import, progress reports, target status, supervision.  Each runs in one
transaction, checks the user's scope and role, and is audited by django-simple-history (the acting user is set on
the history rows)."""

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from citysafe.core.audit import audited
from citysafe.core.models import Organization
from citysafe.core.roles import can_write, is_municipal
from citysafe.core.scoping import organization_in_scope
from citysafe.core.services import resolve_organization

from . import status as status_rule
from .errors import PermissionDenied, WorkplanError
from .extract import ExtractionError, ExtractOptions, extract_bytes
from .models import (
    ProgressReport,
    ResponsibleUnit,
    Section,
    Supervision,
    SupervisionStatus,
    Target,
    TargetStatus,
    Task,
    TaskKind,
    UnitRole,
    WorkPlan,
)

# A rate target (value in % or ‰ compared with a bound) cannot exceed the whole; decrease/increase targets are
# reported as absolute figures and are not capped.
RATE_CAPS = {"%": 100.0, "‰": 1000.0}
BOUND_COMPARATORS = {">=", ">", "<=", "<", "="}
ANNEX_KINDS = {"kpis": TaskKind.KPI, "domains": TaskKind.DOMAIN, "platforms": TaskKind.PLATFORM}


@dataclass
class ImportResult:
    """What ``import_plan`` did.  ``unchanged`` means the same file was already imported (nothing written)."""

    plan: WorkPlan
    unchanged: bool = False
    new_version: bool = False
    created_organizations: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    relinked_targets: int = 0


def extraction_message(exc: ExtractionError) -> str:
    """A user-facing (translated) message for an extractor error, by its ``code`` and ``details``."""
    details = getattr(exc, "details", {}) or {}
    messages = {
        "empty": _("文件是空的。"),
        "too_big": _("文件过大(%(size)s 字节,上限 %(max_bytes)s 字节)。"),
        "undecodable": _("无法识别文件的文字编码,请另存为 UTF-8 文本、DOCX 或 PDF 后再导入。"),
        "unsupported_format": _("不支持的文件格式(%(format)s),请上传 TXT、HTML、DOCX 或 PDF 文件。"),
        "legacy_doc": _("不支持旧版 Word(.doc)文件,请另存为 .docx 后再导入。"),
        "bad_html": _("HTML 文件无法解析。"),
        "bad_docx": _("DOCX 文件已损坏或不是 Word 文档。"),
        "bad_pdf": _("PDF 文件已损坏、加密或不完整。"),
        "no_text_layer": _("PDF 没有文字层(可能是扫描件),暂不支持识别图片中的文字。"),
        "no_year": _("无法从标题或日期确定年度,请填写“年度”后重新导入(命令行: --year)。"),
        "not_a_plan": _("这不是一份工作要点: 没有找到“一、”部分标题和“(一)”任务编号。文件第一行是: %(first_line)s"),
        "unreadable": _("无法读取文件。"),
    }
    template = messages.get(getattr(exc, "code", ""))
    if template is None:
        return _("无法识别该文件: %(error)s") % {"error": exc}
    values = {k: ("" if v is None else v) for k, v in details.items()}
    try:
        return template % values if "%(" in template else template
    except (KeyError, TypeError, ValueError):  # details missing: keep the sentence, drop the placeholder part
        return re.sub(r"[\s(:,(]+$", "", template.split("%(")[0])


def _require_municipal(user) -> None:
    if user is not None and not is_municipal(user):
        raise PermissionDenied(_("只有市级管理员可以执行此操作"))


@audited
def import_plan(data: bytes, filename: str, *, year: int | None = None, user=None, expand_groups: bool = False,
                progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Extract a work-points document and store it as a plan.

    The same content imported twice (even from another file format) returns the existing plan (``unchanged``).  Changed content with the same title and
    year becomes a new version linked to the previous one; reports and supervision items of targets that are still
    there (same task, metric and scope) move to the new version so nothing is lost.  Unknown responsible units are
    created (flagged ``created_by_import``) and listed in the result.  With ``expand_groups`` a supporting group
    such as "各区县政府" is replaced by its member organisations (supporting units that remember the group); a
    leading group stays the lead and its members are added as supporting units.

    Raises ``WorkplanError`` (with the extractor's message) for a file that is not a work plan.
    """
    _require_municipal(user)
    try:
        options = ExtractOptions(year=year, flood_season_deadline=settings.CITYSAFE_FLOOD_SEASON_DEADLINE)
        extracted = extract_bytes(data, filename, options).to_dict()
    except ExtractionError as exc:
        raise WorkplanError(extraction_message(exc)) from exc
    if not extracted.get("tasks") and not any(extracted.get("annex", {}).values()):
        raise WorkplanError(_("未在文件中找到任何任务或附件指标"))
    # The digest is of the extracted content, so the same document as DOCX after TXT is still "the same".
    digest = hashlib.sha256(json.dumps(extracted, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    existing = WorkPlan.objects.filter(source_sha256=digest).first()
    if existing is not None:
        if not existing.is_current:  # importing an older version again makes it the current one again
            with transaction.atomic():
                for other in WorkPlan.objects.filter(title=existing.title, year=existing.year, is_current=True):
                    other.is_current = False
                    other.save(update_fields=["is_current"])  # saved one by one so the audit trail has it
                    _relink_from(other, existing)  # reports and supervision items follow the current version
                existing.is_current = True
                existing.save(update_fields=["is_current"])
                refresh_statuses(existing)
        return ImportResult(plan=existing, unchanged=True, counts=plan_counts(existing))
    with transaction.atomic():
        return _store(extracted, digest, filename, user, expand_groups, progress)


def _store(doc: dict, digest: str, filename: str, user, expand_groups: bool, progress) -> ImportResult:
    previous = (WorkPlan.objects.select_for_update().filter(title=doc["title"], year=doc["year"], is_current=True)
                .order_by("-version").first())
    plan = WorkPlan.objects.create(
        title=doc["title"][:300], notice_title=(doc.get("notice_title") or "")[:300],
        doc_number=doc.get("doc_number") or "", issuer=doc.get("issuer") or "",
        issued_on=dt.date.fromisoformat(doc["date"]) if doc.get("date") else None, year=doc["year"],
        version=previous.version + 1 if previous else 1, previous=previous, source_name=filename[:255],
        source_sha256=digest, imported_by=user)
    if previous:
        previous.is_current = False
        previous.save(update_fields=["is_current"])
    result = ImportResult(plan=plan, new_version=previous is not None)
    sections = {}
    for index, sec in enumerate(doc.get("sections") or [], start=1):
        sections[sec["number"]] = Section.objects.create(plan=plan, index=index, number=sec["number"],
                                                         title=sec["title"][:300])
    items = [(TaskKind.TASK, t) for t in doc.get("tasks", [])]
    for key, kind in ANNEX_KINDS.items():
        items += [(kind, item) for item in doc.get("annex", {}).get(key, [])]
    org_cache: dict[str, Organization] = {}
    per_kind: dict[str, int] = {}
    for done, (kind, item) in enumerate(items, start=1):
        # Documents may restart numbering in each section; the stored index is unique within the plan and kind.
        per_kind[kind] = per_kind.get(kind, 0) + 1
        _store_task(plan, kind, item, sections, org_cache, result, expand_groups, per_kind[kind])
        if progress:
            progress(done, len(items))
    if previous:
        result.relinked_targets = _relink_from(previous, plan)
    refresh_statuses(plan)
    result.counts = plan_counts(plan)
    return result


def _store_task(plan, kind, item, sections, org_cache, result, expand_groups, index) -> Task:
    if kind == TaskKind.TASK:
        number = str(item["number"])[:10]
        section = sections.get((item.get("section") or {}).get("number"))
        title, text = item["title"], item["text"]
    else:
        number, section = str(item["number"])[:10], None
        title, text = item["name"], item.get("text") or item["name"]
    task = Task.objects.create(plan=plan, section=section, kind=kind, index=index, number=number,
                               title=title[:300], text=text, deadlines=item.get("deadlines") or [])
    position = 0
    for unit in item.get("units", []):
        org = _org(unit["name"], unit.get("group", False), org_cache, result)
        members = list(org.members.all()) if expand_groups and unit.get("group") else []
        rows = [(org, None)] + [(m, org) for m in members]
        if members and unit.get("role") != "lead":
            rows = rows[1:]  # a supporting group is replaced by its members; a leading group keeps the lead
        for member, via in rows:
            role = UnitRole.LEAD if position == 0 and via is None and unit.get("role") == "lead" else UnitRole.SUPPORT
            _, created = ResponsibleUnit.objects.get_or_create(
                task=task, organization=member, defaults={"role": role, "position": position, "via_group": via})
            position += created
    for t_index, tgt in enumerate(item.get("targets", []), start=1):
        Target.objects.create(
            task=task, index=t_index, text=tgt["text"], metric=(tgt.get("metric") or title)[:200],
            comparator=tgt["comparator"], value=float(tgt["value"]), unit=tgt.get("unit") or "",
            scope=tgt.get("scope") or "", deadline=dt.date.fromisoformat(tgt["deadline"]) if tgt.get("deadline")
            else None)
    return task


def _org(name: str, is_group: bool, cache: dict, result: ImportResult) -> Organization:
    if name not in cache:
        org, created = resolve_organization(name, is_group=is_group)
        if created:
            result.created_organizations.append(org.name)
        cache[name] = org
    return cache[name]


def _target_key(target: Target) -> tuple:
    return target.task.kind, target.task.index, target.metric, target.scope, target.comparator


def _relink_from(previous: WorkPlan, plan: WorkPlan) -> int:
    """Move reports, supervision items and baselines of matching targets from the previous version."""
    old = {_target_key(t): t for t in Target.objects.filter(task__plan=previous).select_related("task")}
    moved = 0
    for target in Target.objects.filter(task__plan=plan).select_related("task"):
        match = old.get(_target_key(target))
        if match is None:
            continue
        for report in match.reports.all():
            report.target = target
            report.save(update_fields=["target"])
        for item in match.supervisions.all():
            item.target, item.task = target, target.task
            item.save(update_fields=["target", "task"])
        if match.baseline is not None and target.baseline is None:
            target.baseline = match.baseline
            target.save(update_fields=["baseline"])
        moved += 1
    return moved


def plan_counts(plan: WorkPlan) -> dict:
    """Numbers of sections, tasks by kind and targets of a plan."""
    counts = {"sections": plan.sections.count(), "targets": Target.objects.filter(task__plan=plan).count()}
    for kind in TaskKind:
        counts[kind.value] = plan.tasks.filter(kind=kind).count()
    return counts


# --- progress and status --------------------------------------------------------------------------------------

def latest_value(target: Target) -> float | None:
    """The value that counts for the whole target: the latest report of the lead unit, or, when the lead is a
    group ("市安委会各成员单位"), of any member of that group.  Reports of supporting units (e.g. one district's
    share) never become the city-wide figure."""
    lead = target.task.lead_unit
    if lead is None:
        return None
    units = [lead.pk] + (list(lead.members.values_list("pk", flat=True)) if lead.is_group else [])
    chosen = (target.reports.exclude(value=None).filter(reporting_unit__in=units)
              .order_by("-as_of", "-created_at").first())
    return chosen.value if chosen else None


def evaluate_target(target: Target, today: dt.date | None = None) -> tuple[str, str]:
    """Status of one target by ``status.evaluate`` with the settings' ratios."""
    today = today or timezone.localdate()
    spec = status_rule.TargetSpec(
        comparator=target.comparator, value=target.value, unit=target.unit, deadline=target.effective_deadline,
        start=dt.date(target.task.plan.year, 1, 1), baseline=target.baseline)
    return status_rule.evaluate(spec, latest_value(target), today, settings.CITYSAFE_AT_RISK_RATIO,
                                getattr(settings, "CITYSAFE_OFF_TRACK_RATIO", 0.5))


def refresh_target_status(target: Target, today: dt.date | None = None) -> Target:
    """Recompute and store one target's status (a history row only when it changed)."""
    new_status, reason = evaluate_target(target, today)
    if (new_status, reason[:300]) != (target.status, target.status_reason):
        target.status, target.status_reason = new_status, reason[:300]
        target.save(update_fields=["status", "status_reason"])
    return target


def refresh_statuses(plan: WorkPlan | None = None, today: dt.date | None = None) -> int:
    """Recompute every target's status (of one plan or of all current plans); returns how many were evaluated."""
    qs = Target.objects.select_related("task__plan")
    qs = qs.filter(task__plan=plan) if plan else qs.filter(task__plan__is_current=True)
    count = 0
    for target in qs:
        refresh_target_status(target, today)
        count += 1
    return count


def _check_can_report(user, target: Target, unit: Organization) -> None:
    if user is None:
        return
    if not can_write(user):
        raise PermissionDenied(_("只读用户不能填报进展"))
    if not organization_in_scope(user, unit.pk):
        raise PermissionDenied(_("只能以本单位或本辖区单位的名义填报"))
    if not is_municipal(user) and not _unit_answers_for(target, unit):
        raise PermissionDenied(_("%(unit)s 不是该目标的责任单位") % {"unit": unit})


def _unit_answers_for(target: Target, unit: Organization) -> bool:
    """A unit answers for a target when it is a responsible unit, directly or as a member of a listed group."""
    listed = set(target.task.responsible_units.values_list("organization_id", flat=True))
    if unit.pk in listed:
        return True
    return unit.member_of.filter(pk__in=listed).exists()


@audited
@transaction.atomic
def submit_progress_report(*, user, target: Target, reporting_unit: Organization, as_of: dt.date,
                           value: float | None, narrative: str = "", evidence=None) -> ProgressReport:
    """Record a unit's progress on a target and refresh the target's status.

    Raises ``PermissionDenied`` when the user may not report for that unit, ``WorkplanError`` for a date outside
    the plan year or in the future, or a report without value and narrative.
    """
    _check_can_report(user, target, reporting_unit)
    if as_of > timezone.localdate():
        raise WorkplanError(_("截至日期不能晚于今天"))
    if as_of.year != target.task.plan.year:
        raise WorkplanError(_("截至日期应在 %(year)s 年内") % {"year": target.task.plan.year})
    if value is None and not narrative.strip():
        raise WorkplanError(_("请填写完成值或进展情况"))
    if value is not None and (value != value or value in (float("inf"), float("-inf"))):
        raise WorkplanError(_("完成值必须是有限的数"))
    if value is not None and value < 0:
        raise WorkplanError(_("完成值必须是非负数"))
    cap = RATE_CAPS.get(target.unit) if target.comparator in BOUND_COMPARATORS else None
    if value is not None and cap is not None and value > cap:
        raise WorkplanError(_("完成值不能超过 %(cap)s%(unit)s") % {"cap": cap, "unit": target.unit})
    narrative = narrative.replace("\x00", "")
    report = ProgressReport.objects.create(target=target, reporting_unit=reporting_unit, as_of=as_of, value=value,
                                           narrative=narrative, evidence=evidence, created_by=user)
    refresh_target_status(target)
    return report


@audited
@transaction.atomic
def set_baseline(*, user, target: Target, baseline: float | None) -> Target:
    """Set last year's value that decrease/increase targets are measured against (municipal administrators)."""
    _require_municipal(user)
    if baseline is not None and (baseline != baseline or baseline in (float("inf"), float("-inf")) or baseline < 0):
        raise WorkplanError(_("上年基数必须是非负的有限数"))
    target.baseline = baseline
    target.save(update_fields=["baseline"])
    return refresh_target_status(target)


# --- supervision (督办) ---------------------------------------------------------------------------------------

@audited
@transaction.atomic
def raise_supervision(*, user, owner: Organization, title: str, deadline: dt.date, target: Target | None = None,
                      task: Task | None = None, description: str = "", reason: str = "",
                      proposed: bool = False) -> Supervision:
    """Open a supervision item (or a proposal awaiting confirmation when ``proposed``).  Municipal only."""
    _require_municipal(user)
    title, description = title.replace("\x00", ""), description.replace("\x00", "")
    if not title.strip():
        raise WorkplanError(_("督办事项不能为空"))
    if deadline < timezone.localdate() and not proposed:
        raise WorkplanError(_("办理时限不能早于今天"))
    return Supervision.objects.create(
        target=target, task=task or (target.task if target else None), title=title[:300], description=description,
        owner=owner, deadline=deadline, reason=reason[:300], raised_by=user,
        status=SupervisionStatus.PROPOSED if proposed else SupervisionStatus.OPEN)


def propose_supervisions(today: dt.date | None = None, grace_days: int = 15) -> list[Supervision]:
    """Propose a supervision item for every at-risk, off-track or overdue target that has no open item.

    The owner is the target's lead unit; the proposed deadline is ``grace_days`` after today (a default; the
    office edits it when confirming).  Idempotent: a target with a proposed/open/responded item is skipped.
    """
    today = today or timezone.localdate()
    created = []
    active = [SupervisionStatus.PROPOSED, SupervisionStatus.OPEN, SupervisionStatus.RESPONDED]
    candidates = (Target.objects.filter(task__plan__is_current=True,
                                        status__in=[TargetStatus.AT_RISK, TargetStatus.OFF_TRACK, TargetStatus.OVERDUE])
                  .exclude(supervisions__status__in=active).select_related("task"))
    with transaction.atomic():
        for target in candidates:
            owner = target.task.lead_unit
            if owner is None:
                continue
            created.append(Supervision.objects.create(
                target=target, task=target.task, owner=owner, status=SupervisionStatus.PROPOSED,
                title=f"{target.code} {target.metric}{'(' + target.scope + ')' if target.scope else ''} 进度督办"[:300],
                reason=f"{target.get_status_display()}: {target.status_reason}"[:300],
                deadline=today + dt.timedelta(days=grace_days)))
    return created


_TRANSITIONS = {
    "accept": ("accept_proposal", "municipal"),
    "dismiss": ("dismiss", "municipal"),
    "respond": ("respond", "owner"),
    "reject": ("reject_response", "municipal"),
    "close": ("close", "municipal"),
}


@audited
@transaction.atomic
def transition_supervision(*, user, item: Supervision, action: str, note: str = "") -> Supervision:
    """Move a supervision item along its life cycle (see ``Supervision``).

    ``respond`` is for the owner unit (its ``note`` is the response); ``accept``, ``dismiss``, ``reject`` and
    ``close`` are for municipal administrators.  An action not allowed from the current state raises
    ``WorkplanError`` naming the state.
    """
    if action not in _TRANSITIONS:
        raise WorkplanError(_("未知操作: %(action)s") % {"action": action})
    method, who = _TRANSITIONS[action]
    if who == "municipal":
        _require_municipal(user)
    elif user is not None and not (is_municipal(user) or (can_write(user) and organization_in_scope(user, item.owner_id))):
        raise PermissionDenied(_("只有承办单位可以反馈办理情况"))
    item = Supervision.objects.select_for_update().get(pk=item.pk)
    try:
        getattr(item, method)()
    except TransitionNotAllowed:
        raise WorkplanError(_("当前状态「%(state)s」下不能执行此操作") % {"state": item.get_status_display()}) from None
    if action == "respond":
        if not note.strip():
            raise WorkplanError(_("请填写办理情况"))
        item.response = note
    elif action in {"close", "dismiss", "reject"}:
        item.closure_note = note
    if action == "close":
        item.closed_at = timezone.now()
    item.save()
    return item
