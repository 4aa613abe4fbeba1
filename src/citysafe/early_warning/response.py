"""Response -> execution -> feedback (预警—响应—执行—反馈): the closed loop after a warning.

* **Response.** A warning's level (and hazard type) selects rows of the emergency plan's response table
  (``ResponseActionTemplate``, edited by municipal administrators).  ``on_warning_changes`` (called after every
  committed warning change, see ``hooks.py``) opens those rows as ``ResponseAction``s with an owner and a deadline
  (now + the row's minutes).  An upgrade adds the higher level's actions and keeps the earlier ones (递进式分级响应:
  the response steps up with the warning); a cancelled (withdrawn) warning cancels its open actions; a cleared or
  expired warning keeps them open: what was ordered must still be reported.  Muted calls (suppressed, silenced)
  do not mute the actions.
* **Execution.** The owner, anyone of the owner's organisation, or a writer whose region covers the warning reports
  what was done (``report_action``): time, evacuated people (required for evacuations), a note, up to 5 photos.
  The first report marks the action reported.
* **Feedback.** An ended warning is closed with a feedback text (``close_warning``) once every required action has
  been reported; otherwise the error lists what is missing.

Errors: ``citysafe.workplans.errors.WorkplanError`` (bad input, wrong state; API 400) and ``PermissionDenied``
(the user may not do this; API 403).
"""

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from citysafe.core.audit import acting_as
from citysafe.core.roles import can_write, is_municipal
from citysafe.core.scoping import regions_in_scope, scope_region_paths
from citysafe.workplans.errors import PermissionDenied, WorkplanError

from .models import (
    LEVEL_ORDER,
    ActionKind,
    ActionOwner,
    ActionStatus,
    CallAttempt,
    CallStatus,
    EarlyWarning,
    ExecutionPhoto,
    ExecutionReport,
    ResponseAction,
    ResponseActionTemplate,
    WarningEvent,
    WarningStatus,
)

log = logging.getLogger(__name__)

MAX_PHOTOS = 5  # project default: enough for before/after views of one site, small enough for a phone upload
PHOTO_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".gif"}
FUTURE_SKEW = dt.timedelta(minutes=5)  # a phone clock may run a little ahead; later execution times are refused
PAST_SLACK = dt.timedelta(days=1)  # project default: work done up to a day before the warning (pre-emptive) counts
YEAR_RANGE = (2000, 2100)  # execution times outside these years are typing errors
MAX_EVACUATED = 1_000_000  # project default: more than the population of any district served in one action
MAX_NOTE = 2000  # characters of an execution report's note (the web form's limit)
MAX_FEEDBACK = 4000  # characters of the closing feedback
ENDED = (WarningStatus.CLEARED, WarningStatus.CANCELLED, WarningStatus.EXPIRED)

SOURCE = ("渝府发〔2026〕1号 三(十)「预警—响应—执行—反馈」闭环、递进式分级响应、紧急熔断措施；一(三) 景区景点、"
          "在建项目等单位巡查巡护、转移避险、关停熔断职责；时限为项目默认值，可编辑")

# The default response table: (kind, title, owner, minutes, required).  Which measure belongs to which level follows
# the seed's progressive graded response and Chongqing practice (red: evacuate and circuit-break; orange: patrol
# and pre-evacuate the most threatened; yellow: patrol; blue: on duty).  The minutes are project defaults, editable.
DEFAULT_ACTIONS: dict[str, list[tuple]] = {
    "red": [
        (ActionKind.EVACUATE, "转移受威胁风险点人员", ActionOwner.VILLAGE, 60, True),
        (ActionKind.SHUTDOWN, "停工停业、关闭景区和在建工地(熔断)", ActionOwner.UNIT, 60, True),
        (ActionKind.PATROL, "加密巡查、专人值守", ActionOwner.TOWNSHIP, 120, False),
        (ActionKind.ON_DUTY, "值班人员到岗到位", ActionOwner.DUTY, 30, False),
    ],
    "orange": [
        (ActionKind.EVACUATE, "预转移受威胁最重的人员", ActionOwner.VILLAGE, 120, True),
        (ActionKind.PATROL, "加密巡查、专人值守", ActionOwner.TOWNSHIP, 180, False),
        (ActionKind.ON_DUTY, "值班人员到岗到位", ActionOwner.DUTY, 60, False),
    ],
    "yellow": [
        (ActionKind.PATROL, "巡查风险点", ActionOwner.VILLAGE, 240, True),
        (ActionKind.ON_DUTY, "值班值守、关注预警变化", ActionOwner.DUTY, 240, False),
    ],
    "blue": [
        (ActionKind.ON_DUTY, "值班值守、关注预警变化", ActionOwner.DUTY, 120, False),
    ],
}


# --- the response table ----------------------------------------------------------------------------------------

@transaction.atomic
def load_default_templates() -> int:
    """Store ``DEFAULT_ACTIONS`` as any-hazard template rows.  A level that already has an any-hazard row of a kind
    keeps it with its edits (owner, minutes …); a default row added in a later release (e.g. yellow's duty row) is
    created on an existing database by the next run, since the check is per (level, any hazard, kind).  To drop a
    default, untick "启用" rather than deleting the row, or ``citysafe setup`` brings it back.  Returns the rows
    created (0 on the second run)."""
    created = 0
    for level, rows in DEFAULT_ACTIONS.items():
        for order, (kind, title, owner, minutes, required) in enumerate(rows, start=1):
            if ResponseActionTemplate.objects.filter(level=level, hazard_type="", kind=kind).exists():
                continue
            ResponseActionTemplate.objects.create(level=level, hazard_type="", kind=kind, owner_target=owner,
                                                  title=title, deadline_minutes=minutes, required=required,
                                                  order=order, source=SOURCE[:300])
            created += 1
    return created


def templates_for(level: str, hazard_type: str) -> list[ResponseActionTemplate]:
    """Active rows of the level for the hazard type: hazard-specific rows replace the any-hazard rows of the same
    kind (a landslide evacuation row wins over the generic evacuation row)."""
    rows = list(ResponseActionTemplate.objects.filter(is_active=True, level=level,
                                                      hazard_type__in=[hazard_type or "", ""]))
    specific_kinds = {r.kind for r in rows if r.hazard_type}
    return [r for r in rows if r.hazard_type or r.kind not in specific_kinds]


def _government_of(region):
    from .calls import _government_of as government

    return government(region)


def resolve_owner(warning: EarlyWarning, target: str) -> tuple:
    """(person or None, organisation or None) answering for an action of ``target`` on ``warning``.

    village/township/district: the risk point's 包保责任人 at that level (and the person's organisation); unit: the
    risk point's responsible unit; duty: the first person of the region's government organisation.  When nobody
    is found (e.g. a CAP warning without a risk point) the region's government answers."""
    from citysafe.core.models import OrganizationKind, Person
    from citysafe.hazards.models import ResponsibilityAssignment

    person = org = None
    point = warning.risk_point
    if target in (ActionOwner.VILLAGE, ActionOwner.TOWNSHIP, ActionOwner.DISTRICT) and point is not None:
        assignment = (ResponsibilityAssignment.objects.filter(risk_point=point, level=target)
                      .select_related("person").first())
        if assignment:
            person, org = assignment.person, assignment.person.organization
    elif target == ActionOwner.UNIT and point is not None:
        org = point.responsible_unit
    elif target == ActionOwner.DUTY and warning.region_id:
        person = (Person.objects.filter(organization__kind=OrganizationKind.GOVERNMENT,
                                        organization__region_id=warning.region_id)
                  .select_related("organization").order_by("pk").first())
        org = person.organization if person else None
    if person is None and org is None:
        org = _government_of(warning.region)
    return person, org


POINT_OWNERS = {ActionOwner.VILLAGE, ActionOwner.TOWNSHIP, ActionOwner.DISTRICT, ActionOwner.UNIT}


def open_actions(warning, now=None) -> int:
    """Open the response actions of an active warning's current level (idempotent: a template is opened once per
    warning and level).  Returns the actions created.

    Rows owned at a risk point (village/township/district 包保, the responsible unit: evacuate, shut down) are opened
    only for warnings about a risk point; an area-wide warning (a CAP or manual meteorological warning) gets the duty
    rows, and its risk points get theirs through the sector-and-weather warnings derived from it (``sector.py``)."""
    now = now or timezone.now()
    pk = warning.pk if isinstance(warning, EarlyWarning) else warning
    with transaction.atomic():
        warning = (EarlyWarning.objects.select_for_update(of=("self",)).select_related("region", "risk_point")
                   .get(pk=pk))
        if warning.status != WarningStatus.ACTIVE:
            return 0
        done = set(warning.actions.filter(level=warning.level).values_list("template_id", flat=True))
        created = 0
        for row in templates_for(warning.level, warning.hazard_type):
            if row.pk in done or (warning.risk_point_id is None and row.owner_target in POINT_OWNERS):
                continue
            person, org = resolve_owner(warning, row.owner_target)
            ResponseAction.objects.create(
                warning=warning, template=row, call_round=warning.call_round, level=warning.level, kind=row.kind,
                title=row.title, owner=person, owner_organization=org, required=row.required, created_at=now,
                deadline=now + dt.timedelta(minutes=row.deadline_minutes))
            created += 1
        return created


def cancel_actions(warning) -> int:
    """Cancel the open actions of a withdrawn warning.  Returns how many."""
    pk = warning.pk if isinstance(warning, EarlyWarning) else warning
    count = 0
    for action in ResponseAction.objects.filter(warning_id=pk, status=ActionStatus.OPEN):
        action.status = ActionStatus.CANCELLED  # one by one: each change gets its history row
        action.save(update_fields=["status"])
        count += 1
    return count


def on_warning_changes(changes: list[tuple[int, str]]) -> None:
    """raised/upgraded: open the level's actions; cancelled: cancel open actions; cleared/expired/downgraded: keep
    them (they must still be reported before the warning can be closed)."""
    for pk, kind in changes:
        try:
            if kind in ("raised", "upgraded"):
                open_actions(pk)
            elif kind == "cancelled":
                cancel_actions(pk)
        except Exception:  # noqa: BLE001 - the warning stands; the failure is logged
            log.exception("response actions for warning %s (%s) failed", pk, kind)


# --- who may see and do what -----------------------------------------------------------------------------------

def person_of(user):
    """The ``Person`` linked to the login, or None."""
    from citysafe.core.models import Person

    if not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.filter(user=user).select_related("organization").first()


def _region_condition(user, prefix: str = "") -> Q | None:
    """Q on the warning's region for the user's region scope (``core.scoping.regions_in_scope``); None =
    everything (municipal)."""
    if scope_region_paths(user) is None:
        return None
    return Q(**{f"{prefix}region__in": regions_in_scope(user)})


def in_region_scope(user, warning: EarlyWarning) -> bool:
    """The warning's region lies in the user's region (public warnings of other regions do not count)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if is_municipal(user):
        return True
    paths = scope_region_paths(user) or []
    return bool(warning.region_id) and any(warning.region.path.startswith(p) for p in paths)


def writer_in_scope(user, warning: EarlyWarning) -> bool:
    return can_write(user) and in_region_scope(user, warning)


def _org_id(user, person) -> set[int]:
    profile = getattr(user, "profile", None)
    return {i for i in (getattr(profile, "organization_id", None), getattr(person, "organization_id", None)) if i}


def actions_for(user) -> QuerySet:
    """Response actions the user may see: of warnings in the user's region, owned by the user's person, or owned by
    the user's organisation."""
    qs = ResponseAction.objects.select_related("warning__region", "owner", "owner_organization")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    region = _region_condition(user, "warning__")
    if region is None:
        return qs
    person = person_of(user)
    condition = region
    if person is not None:
        condition |= Q(owner=person)
    orgs = _org_id(user, person)
    if orgs:
        condition |= Q(owner_organization_id__in=orgs)
    return qs.filter(condition)


_UNSET = object()


def can_report(user, action: ResponseAction, person=_UNSET) -> bool:
    """The owner, anyone of the owner organisation, or a writer whose region covers the warning.  ``person``: the
    user's ``person_of`` when the caller already has it (a page checking many actions looks it up once)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if person is _UNSET:
        person = person_of(user)
    if person is not None and action.owner_id == person.pk:
        return True
    if action.owner_organization_id and action.owner_organization_id in _org_id(user, person):
        return True
    return writer_in_scope(user, action.warning)


def was_called(user, warning: EarlyWarning) -> bool:
    person = person_of(user)
    return person is not None and CallAttempt.objects.filter(warning=warning, person=person).exists()


def can_open_ack_page(user, warning: EarlyWarning) -> bool:
    """People called about the warning, and writers whose region covers it."""
    return was_called(user, warning) or writer_in_scope(user, warning)


# --- execution reports ---------------------------------------------------------------------------------------------

_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")


def _check_photo(upload) -> None:
    """Allowed upload (``core.uploads.validate_upload``), an image extension, image bytes (magic number), and an
    image Pillow can read to the end (``verify``), so a renamed document, a truncated file or HTML behind an image
    header cannot pass as a photo."""
    from pathlib import Path

    from citysafe.core.uploads import validate_upload

    try:
        validate_upload(upload)
    except ValidationError as exc:
        raise WorkplanError("；".join(exc.messages)) from exc
    if Path(upload.name or "").suffix.lower() not in PHOTO_EXTENSIONS:
        raise WorkplanError(_("照片须为 JPG、PNG、WEBP 或 GIF 图片：%(name)s") % {"name": upload.name})
    head = upload.read(12)
    upload.seek(0)
    if not (head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")):
        raise WorkplanError(_("文件不是有效的图片：%(name)s") % {"name": upload.name})
    from PIL import Image

    try:
        with Image.open(upload) as image:
            image.verify()  # reads the whole file: truncated or corrupt data raises
    except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds (OSError, SyntaxError, ValueError …)
        raise WorkplanError(_("图片已损坏或不完整，无法读取：%(name)s") % {"name": upload.name}) from exc
    finally:
        upload.seek(0)


def earliest_execution(warning: EarlyWarning) -> dt.datetime:
    """The earliest execution time accepted for the warning's actions: its onset (or raising, if earlier) minus
    ``PAST_SLACK``."""
    return min(t for t in (warning.onset, warning.raised_at) if t is not None) - PAST_SLACK


def check_executed_at(executed_at: dt.datetime, warning: EarlyWarning, now=None) -> None:
    """Raise WorkplanError unless ``executed_at`` (aware) lies between ``earliest_execution`` and now +
    ``FUTURE_SKEW`` (and in the years ``YEAR_RANGE``)."""
    now = now or timezone.now()
    if not YEAR_RANGE[0] <= executed_at.year <= YEAR_RANGE[1]:
        raise WorkplanError(_("执行时间须在 %(a)s 年至 %(b)s 年之间") % {"a": YEAR_RANGE[0], "b": YEAR_RANGE[1]})
    if executed_at > now + FUTURE_SKEW:
        raise WorkplanError(_("执行时间不能晚于当前时间"))
    earliest = earliest_execution(warning)
    if executed_at < earliest:
        raise WorkplanError(_("执行时间不能早于 %(at)s（预警开始前一天）") % {
            "at": timezone.localtime(earliest).strftime("%Y-%m-%d %H:%M")})


def report_action(*, user, action: ResponseAction, executed_at=None, evacuated: int | None = None, note: str = "",
                  photos=(), now=None) -> ExecutionReport:
    """Record an execution report (a warning that has since ended can still be reported).

    ``executed_at`` aware datetime (default now; ``check_executed_at``); ``evacuated`` people (0 ..
    ``MAX_EVACUATED``, required for evacuations); ``note`` up to ``MAX_NOTE`` characters; ``photos`` up to ``MAX_PHOTOS`` uploaded image files.  The first report sets the
    action REPORTED with ``reported_at``.  Raises PermissionDenied / WorkplanError."""
    now = now or timezone.now()
    if not can_report(user, action):
        raise PermissionDenied(_("您不是该措施的责任人，也不负责该区域"))
    if action.status == ActionStatus.CANCELLED:
        raise WorkplanError(_("该措施已取消，无需反馈"))
    executed_at = executed_at or now
    check_executed_at(executed_at, action.warning, now)
    if evacuated is not None and evacuated < 0:
        raise WorkplanError(_("转移人数不能为负数"))
    if evacuated is not None and evacuated > MAX_EVACUATED:
        raise WorkplanError(_("转移人数不能超过 %(n)s") % {"n": MAX_EVACUATED})
    if len(note or "") > MAX_NOTE:
        raise WorkplanError(_("情况说明不能超过 %(n)s 个字") % {"n": MAX_NOTE})
    if action.kind == ActionKind.EVACUATE and evacuated is None:
        raise WorkplanError(_("人员转移措施须填写转移人数"))
    photos = [p for p in photos or () if p]
    if len(photos) > MAX_PHOTOS:
        raise WorkplanError(_("最多上传 %(n)s 张照片") % {"n": MAX_PHOTOS})
    for photo in photos:
        _check_photo(photo)
    with acting_as(user), transaction.atomic():
        action = ResponseAction.objects.select_for_update().get(pk=action.pk)
        report = ExecutionReport.objects.create(action=action, reported_by=user, person=person_of(user),
                                                executed_at=executed_at, evacuated=evacuated,
                                                note=(note or "").strip(), created_at=now)
        for photo in photos:
            ExecutionPhoto.objects.create(report=report, file=photo, original_name=(photo.name or "")[:200],
                                          uploaded_at=now)
        if action.status == ActionStatus.OPEN:
            action.status, action.reported_at = ActionStatus.REPORTED, now
            action.save(update_fields=["status", "reported_at"])
    return report


def photos_for(user) -> QuerySet:
    """Execution photos the user may see (those of visible actions)."""
    return ExecutionPhoto.objects.filter(report__action__in=actions_for(user))


# --- closing with feedback ---------------------------------------------------------------------------------------

def missing_actions(warning: EarlyWarning) -> list[ResponseAction]:
    """Required actions not reported yet (cancelled ones do not count)."""
    return list(warning.actions.filter(required=True, status=ActionStatus.OPEN).select_related("owner"))


def close_warning(*, user, warning: EarlyWarning, feedback: str, now=None) -> EarlyWarning:
    """Close an ended warning with feedback once its required actions are reported (event "closed").

    Raises PermissionDenied (not a writer of the warning's region) or WorkplanError (still active, already closed,
    no feedback, required actions missing — the message names them)."""
    now = now or timezone.now()
    if not writer_in_scope(user, warning):
        raise PermissionDenied(_("只有预警所在区域的操作员可以闭环"))
    feedback = (feedback or "").strip()
    if not feedback:
        raise WorkplanError(_("请填写反馈"))
    if len(feedback) > MAX_FEEDBACK:
        raise WorkplanError(_("反馈不能超过 %(n)s 个字") % {"n": MAX_FEEDBACK})
    with acting_as(user), transaction.atomic():
        warning = EarlyWarning.objects.select_for_update(of=("self",)).select_related("region").get(pk=warning.pk)
        if warning.status not in ENDED:
            raise WorkplanError(_("预警仍在生效，解除、撤销或过期后才能闭环"))
        if warning.closed_at:
            raise WorkplanError(_("该预警已闭环"))
        missing = missing_actions(warning)
        if missing:
            names = "、".join(f"{a.title}({a.owner or a.owner_organization or '-'})" for a in missing)
            raise WorkplanError(_("以下必须反馈的措施尚未反馈：%(names)s") % {"names": names})
        warning.closed_at, warning.closed_by, warning.feedback = now, user, feedback
        warning.save(update_fields=["closed_at", "closed_by", "feedback"])
        WarningEvent.objects.create(warning=warning, kind="closed", at=now, note=feedback[:300])
    return warning


# --- in-app notifications ----------------------------------------------------------------------------------------

def _my_attempts(person, now):
    return (CallAttempt.objects.filter(person=person, channel="in_app", warning__status=WarningStatus.ACTIVE,
                                       call_round=F("warning__call_round"))
            .filter(Q(status=CallStatus.SENT) | Q(status=CallStatus.PENDING, due_at__lte=now)))


def my_calls(user, now=None) -> list[dict]:
    """The user's unacknowledged in-app calls grouped per warning, highest level first:
    ``[{"warning", "deadline" (earliest ack deadline), "informational", "attempts"}]``."""
    now = now or timezone.now()
    person = person_of(user)
    if person is None:
        return []
    groups: dict[int, dict] = {}
    for attempt in _my_attempts(person, now).select_related("warning__region").order_by("escalate_at", "pk"):
        group = groups.setdefault(attempt.warning_id, {"warning": attempt.warning, "deadline": attempt.escalate_at,
                                                        "informational": True, "attempts": []})
        group["attempts"].append(attempt)
        group["informational"] = group["informational"] and attempt.informational
        group["deadline"] = min(group["deadline"], attempt.escalate_at)
    return sorted(groups.values(), key=lambda g: (-LEVEL_ORDER.get(g["warning"].level, 0), g["deadline"]))


def unacknowledged_count(user, now=None) -> int:
    """Warnings the user still has to acknowledge (the nav badge); subscriptions do not count."""
    person = person_of(user)
    if person is None:
        return 0
    return (_my_attempts(person, now or timezone.now()).filter(informational=False)
            .values("warning_id").distinct().count())


def my_open_actions(user, warning=None) -> QuerySet:
    """Open actions the user answers for (as owner or of the owner organisation), optionally of one warning."""
    person = person_of(user)
    condition = Q(pk__in=[])
    if person is not None:
        condition |= Q(owner=person)
    orgs = _org_id(user, person)
    if orgs:
        condition |= Q(owner_organization_id__in=orgs)
    qs = ResponseAction.objects.filter(condition, status=ActionStatus.OPEN).select_related("warning", "owner")
    return qs.filter(warning=warning) if warning is not None else qs


def acknowledge(*, user, warning: EarlyWarning, channel: str = "in_app"):
    """The user's person confirms receipt (``calls.acknowledge``).  Raises PermissionDenied when the user was not
    called about the warning, WorkplanError when it has ended."""
    from . import calls

    person = person_of(user)
    if person is None or not CallAttempt.objects.filter(warning=warning, person=person).exists():
        raise PermissionDenied(_("您不在该预警的叫应名单中"))
    with acting_as(user):
        ack = calls.acknowledge(warning, person, channel=channel)
    if ack is None:
        raise WorkplanError(_("预警已结束，无需确认"))
    return ack
