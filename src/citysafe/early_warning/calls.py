"""Call-and-acknowledge (叫应): who is called about a warning, over which channels, and what happens on silence.

Model (``shared/reference/call-and-acknowledge.md``):

* A warning's level (and hazard type) selects a ``CallPlan``: tiers of recipients, each with channels, an
  acknowledgement deadline, retries and a retry interval.  Recipients are the risk point's 包保责任人 at village,
  township or district level (``ResponsibilityAssignment``), or ``duty``: the people of the warning region's
  government organisation.
* ``plan_calls`` starts the first tier with recipients: for each person, every channel × (1 + retries) attempts are
  created at once with their due times (retries that would fall after the deadline are not created) and the person's
  deadline ``escalate_at``.  An upgrade calls ``plan_calls`` again: a new *round* (``EarlyWarning.call_round``), the
  old round's pending attempts are cancelled and everyone must acknowledge the new level.
* Every person acknowledges individually (``acknowledge``); an ack cancels that person's pending attempts at once,
  never anyone else's.
* ``tick`` (every minute, any number of workers) sends due attempts and escalates: a person silent past the
  deadline is replaced by their deputy (AB角) with a fresh deadline; a silent deputy, or a person without one,
  starts the next tier; silence in the last tier flags a supervision item "叫应失败" for the region's government.
* ``stop_calls`` (clear, cancel, expiry, downgrade) cancels every pending attempt and closes the round.
* Walking the trees upward: when the last tier of the plan stays silent, the duty people of the government of the
  region *above* the warning's region are called once per round as a final tier (walking ``Region.parent`` up to
  the first region whose government has people: a township's warning goes to the county duty office, a county's
  to the city); only when they stay silent too is "叫应失败" flagged.
* Subscriptions: after the first tier, every active ``Subscription`` matching the warning (``noise
  .matching_subscriptions``) gets one *informational* attempt per channel (tier 0, target "subscriber",
  ``attempt_no`` 0 so it never collides with a real call of the same person, ``escalate_at`` = ``due_at``) unless
  the person is already called in this round.  Informational attempts never escalate and are not "called" people.
* Sector-and-weather children (``sector.py``): the risk point's responsible unit (target "unit", the people of
  ``RiskPoint.responsible_unit``) is called together with the first tier.
* Noise control (``noise.py``): ``plan_calls`` creates no calls for an inhibited or silenced warning; a raised or
  upgraded warning inhibits the lower warnings of its group it covers; the end or downgrade of an inhibitor
  releases them.

Durability and concurrency — all state is in the database:

* a due attempt is *claimed* by a compare-and-swap UPDATE (``status=pending, claim=NULL`` → token) and only the
  worker whose UPDATE changed one row sends it: a double tick or two workers never send twice;
* escalations run under a row lock on the warning and a second CAS on the attempts' status, so a group is
  escalated once;
* a crash between claim and send leaves a claimed pending row: claims older than ``STALE_CLAIM_S`` seconds are
  released by the next tick and the attempt is sent then (at-least-once: a crash *after* the send but before the
  result is stored may send that one attempt twice; nothing is ever lost).

Race between an acknowledgement and the end of the warning (auto-clear, cancel, expiry): both lock the warning row,
so one of them commits first.  If the end commits first, the acknowledgement is refused (``acknowledge`` returns
None: the warning is over, nothing to confirm); if the acknowledgement commits first it is recorded and the end then
cancels everyone's remaining calls.  A tick never sends for a warning that is no longer active.
"""

import datetime as dt
import logging
import uuid

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import Acknowledgement, CallAttempt, CallPlan, CallStatus, EarlyWarning, WarningStatus

log = logging.getLogger(__name__)

STALE_CLAIM_S = 120  # a claim older than this belongs to a crashed worker and is released
TICK_BATCH = 500  # project default: attempts claimed per tick, so one tick stays short under a burst of warnings
FAILURE_REASON = "叫应失败"

# Project defaults (not from a standard): red reaches its people within 5 minutes ("5 分钟内叫醒", Changzhi practice),
# lower levels get longer deadlines and fewer tiers.  Edited in the admin; loading never overwrites edits.
_T = {"red": (300, 2, 60), "orange": (600, 2, 120), "yellow": (900, 1, 300), "blue": (1800, 0, 0)}
_CHANNELS = {"red": ["in_app", "email", "webhook", "mqtt"], "orange": ["in_app", "email", "webhook"],
             "yellow": ["in_app", "email"], "blue": ["in_app"]}
_TARGETS = {"red": ["village", "township", "district", "duty"], "orange": ["village", "township", "district"],
            "yellow": ["village", "township"], "blue": ["village"]}


def default_plans() -> dict[str, list[dict]]:
    plans = {}
    for level, (deadline, retries, interval) in _T.items():
        plans[level] = [{"targets": target, "channels": list(_CHANNELS[level]), "ack_deadline_s": deadline,
                         "retries": retries, "retry_interval_s": interval} for target in _TARGETS[level]]
    return plans


@transaction.atomic
def load_default_plans() -> int:
    from .models import Level

    created = 0
    for level, tiers in default_plans().items():
        _plan, was_created = CallPlan.objects.get_or_create(
            level=level, hazard_type="", defaults={"name": f"{Level(level).label}叫应方案(默认)", "tiers": tiers})
        created += was_created
    return created


def plan_for(level: str, hazard_type: str) -> CallPlan | None:
    """The active plan of the hazard type, else the any-hazard plan of the level."""
    plans = {p.hazard_type: p for p in CallPlan.objects.filter(is_active=True, level=level,
                                                              hazard_type__in=[hazard_type, ""])}
    return plans.get(hazard_type) or plans.get("")


def recipients(warning: EarlyWarning, target: str) -> list[tuple]:
    """[(person, deputy or None)] of one tier's target for the warning: ``village`` / ``township`` / ``district``
    the risk point's 包保责任人, ``duty`` the people of the region's government, ``unit`` the people of the risk
    point's responsible unit."""
    from citysafe.core.models import OrganizationKind, Person
    from citysafe.hazards.models import ResponsibilityAssignment

    if target == "unit":
        unit_id = warning.risk_point.responsible_unit_id if warning.risk_point_id else None
        return [(p, None) for p in Person.objects.filter(organization_id=unit_id).order_by("pk")] if unit_id else []
    if target == "duty":
        if not warning.region_id:
            return []
        return [(p, None) for p in Person.objects.filter(organization__kind=OrganizationKind.GOVERNMENT,
                                                         organization__region_id=warning.region_id).order_by("pk")]
    if not warning.risk_point_id:
        return []
    return [(a.person, a.deputy) for a in ResponsibilityAssignment.objects.filter(
        risk_point_id=warning.risk_point_id, level=target).select_related("person", "deputy")]


def _acked(warning, person_id, call_round) -> bool:
    return Acknowledgement.objects.filter(warning=warning, person_id=person_id, call_round=call_round).exists()


def _call_person(warning, call_round, tier_index, tier, person, deputy, now, escalated_from=None) -> int:
    """Create the attempts of one person in one tier (all channels, 1 + retries each).  Idempotent."""
    if _acked(warning, person.pk, call_round):
        return 0
    deadline = now + dt.timedelta(seconds=int(tier.get("ack_deadline_s", 300)))
    interval = int(tier.get("retry_interval_s", 0))
    rows = []
    for channel in tier.get("channels") or ["in_app"]:
        for n in range(int(tier.get("retries", 0)) + 1):
            due = now + dt.timedelta(seconds=n * interval)
            if n and (interval <= 0 or due >= deadline):
                break
            rows.append(CallAttempt(warning=warning, person=person, call_round=call_round, level=warning.level,
                                    tier=tier_index, target=tier.get("targets", ""), deputy=deputy,
                                    escalated_from=escalated_from, channel=channel, attempt_no=n + 1, due_at=due,
                                    escalate_at=deadline, created_at=now))
    CallAttempt.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _start_tier(warning, tiers, index, call_round, now) -> int | None:
    """Call everyone of the first tier from ``index`` on that has recipients; returns its index or None."""
    for i in range(index, len(tiers)):
        created = sum(_call_person(warning, call_round, i, tiers[i], person, deputy, now)
                      for person, deputy in recipients(warning, tiers[i].get("targets", "")))
        if created:
            return i
    return None


def plan_calls(warning, now=None) -> int:
    """(Re-)plan the calls of an active warning at its current level: a new round; returns attempts created
    (informational ones included).  An inhibited or silenced warning (``noise.mute_if_needed``) gets none."""
    from . import noise

    now = now or timezone.now()
    pk = warning.pk if isinstance(warning, EarlyWarning) else warning
    with transaction.atomic():
        warning = (EarlyWarning.objects.select_for_update(of=("self",)).select_related("region", "risk_point")
                   .get(pk=pk))
        if warning.status != WarningStatus.ACTIVE:
            return 0
        _cancel_pending(warning, "re-planned")
        warning.call_round += 1
        warning.save(update_fields=["call_round"])
        if noise.mute_if_needed(warning, now):
            return 0
        plan = plan_for(warning.level, warning.hazard_type)
        tiers = plan.tiers if plan else []
        first = _start_tier(warning, tiers, 0, warning.call_round, now) if tiers else None
        if tiers and warning.parent_id and warning.risk_point_id:
            _call_unit(warning, tiers, first or 0, now)
        _inform_subscribers(warning, now)
        return CallAttempt.objects.filter(warning=warning, call_round=warning.call_round).count()


def _call_unit(warning, tiers, index, now) -> int:
    """A sector-and-weather child: its risk point's responsible unit is called with the first tier."""
    tier = {**tiers[index], "targets": "unit"}
    return sum(_call_person(warning, warning.call_round, index, tier, person, None, now)
               for person, _deputy in recipients(warning, "unit"))


def _can_see(user, warning) -> bool:
    from .selectors import warnings_for

    if user is None:  # a person without an account: the administrator who subscribed them decided
        return True
    return user.is_active and warnings_for(user).filter(pk=warning.pk).exists()


def _inform_subscribers(warning, now) -> int:
    """One informational attempt per channel for each matching subscriber not called in this round (see module
    notes); a subscriber with an account is told only about warnings that account may see."""
    from . import noise

    called = set(CallAttempt.objects.filter(warning=warning, call_round=warning.call_round, informational=False)
                 .values_list("person_id", flat=True))
    wanted: dict[int, tuple] = {}
    for sub in noise.matching_subscriptions(warning):
        if sub.person_id in called:
            continue
        person, channels = wanted.get(sub.person_id, (sub.person, []))
        wanted[sub.person_id] = (person, channels + [c for c in (sub.channels or ["in_app"]) if c not in channels])
    rows = [CallAttempt(warning=warning, person=person, call_round=warning.call_round, level=warning.level, tier=0,
                        informational=True, target="subscriber", channel=channel, attempt_no=0, due_at=now,
                        escalate_at=now, created_at=now)
            for person, channels in wanted.values() if _can_see(person.user, warning) for channel in channels]
    CallAttempt.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _cancel_pending(warning, reason: str, **extra) -> int:
    return CallAttempt.objects.filter(warning=warning, status=CallStatus.PENDING, **extra).update(
        status=CallStatus.CANCELLED, result=reason[:300])


def stop_calls(warning, reason: str) -> int:
    """Stop all calls of a warning (cleared, cancelled, expired, downgraded): cancels every pending attempt and
    closes the round, so nobody is escalated any more.  Returns the attempts cancelled."""
    pk = warning.pk if isinstance(warning, EarlyWarning) else warning
    with transaction.atomic():
        warning = EarlyWarning.objects.select_for_update().filter(pk=pk).first()
        if warning is None:
            return 0
        cancelled = _cancel_pending(warning, f"stopped: {reason}")
        warning.call_round += 1
        warning.save(update_fields=["call_round"])
        return cancelled


def acknowledge(warning, person, channel: str = "in_app", now=None) -> Acknowledgement | None:
    """Record that ``person`` acknowledged the warning (idempotent) and cancel that person's pending attempts.

    Returns None when the warning has already ended (the end won the race; see the module notes)."""
    now = now or timezone.now()
    pk = warning.pk if isinstance(warning, EarlyWarning) else warning
    with transaction.atomic():
        warning = EarlyWarning.objects.select_for_update().get(pk=pk)
        if warning.status != WarningStatus.ACTIVE:
            return None
        ack, _created = Acknowledgement.objects.get_or_create(
            warning=warning, person=person, call_round=warning.call_round,
            defaults={"at": now, "channel": channel, "level": warning.level})
        _cancel_pending(warning, f"acknowledged via {channel}", person=person)
        CallAttempt.objects.filter(warning=warning, person=person, call_round=warning.call_round,
                                   status__in=[CallStatus.SENT, CallStatus.FAILED]).update(
            status=CallStatus.ACKNOWLEDGED)
        return ack


def tick(now=None, worker: str = "worker") -> dict:
    """The per-minute job: release stale claims, send due attempts, escalate silent people.  Safe to run twice at
    once or in several workers."""
    now = now or timezone.now()
    stats = {"reclaimed": 0, "sent": 0, "failed": 0, "cancelled": 0, "escalated": 0, "next_tier": 0,
             "upward": 0, "supervisions": 0}
    stats["reclaimed"] = CallAttempt.objects.filter(
        status=CallStatus.PENDING, claim__isnull=False, claimed_at__lt=now - dt.timedelta(seconds=STALE_CLAIM_S)
    ).update(claim=None, claimed_at=None, claimed_by="")
    due = list(CallAttempt.objects.filter(status=CallStatus.PENDING, claim__isnull=True, due_at__lte=now)
               .order_by("due_at", "pk").values_list("pk", flat=True)[:TICK_BATCH])
    for pk in due:
        _send_one(pk, now, worker, stats)
    groups = (CallAttempt.objects.filter(status__in=[CallStatus.PENDING, CallStatus.SENT, CallStatus.FAILED],
                                         informational=False, escalate_at__lte=now,
                                         warning__status=WarningStatus.ACTIVE, call_round=F("warning__call_round"))
              .order_by().values_list("warning_id", "call_round", "tier", "person_id").distinct())
    for group in list(groups):
        _escalate(*group, now=now, stats=stats)
    return stats


def _send_one(pk, now, worker, stats) -> None:
    from .channels import deliver

    token = uuid.uuid4().hex
    if CallAttempt.objects.filter(pk=pk, status=CallStatus.PENDING, claim__isnull=True).update(
            claim=token, claimed_at=now, claimed_by=worker[:100]) != 1:
        return  # another worker has it
    attempt = CallAttempt.objects.select_related("warning__region", "person").get(pk=pk)
    if attempt.warning.status != WarningStatus.ACTIVE or attempt.call_round != attempt.warning.call_round:
        CallAttempt.objects.filter(pk=pk, claim=token, status=CallStatus.PENDING).update(
            status=CallStatus.CANCELLED, result="not sent: warning ended or re-planned")
        stats["cancelled"] += 1
        return
    delivery = deliver(attempt)
    status = CallStatus.SENT if delivery.ok else CallStatus.FAILED
    result = f"{attempt.channel} {timezone.now().isoformat(timespec='seconds')}: {delivery.result}"[:300]
    if not CallAttempt.objects.filter(pk=pk, claim=token, status=CallStatus.PENDING).update(
            status=status, sent_at=now, result=result):
        # acknowledged / escalated / stopped while we were sending: keep that status, log what was sent
        CallAttempt.objects.filter(pk=pk, claim=token).update(sent_at=now, result=result)
    stats["sent" if delivery.ok else "failed"] += 1
    log.info("call attempt %s (%s, %s) by %s: %s", pk, attempt.channel, attempt.person_id, worker, delivery.result)


def _escalate(warning_id, call_round, tier_index, person_id, *, now, stats) -> None:
    with transaction.atomic():
        warning = EarlyWarning.objects.select_for_update(of=("self",)).select_related("region").get(pk=warning_id)
        if warning.status != WarningStatus.ACTIVE or warning.call_round != call_round:
            return
        rows = CallAttempt.objects.filter(warning=warning, call_round=call_round, tier=tier_index,
                                          person_id=person_id, informational=False)
        first = rows.select_related("deputy").order_by("pk").first()
        if first is None:
            return
        if _acked(warning, person_id, call_round):
            rows.filter(status__in=[CallStatus.SENT, CallStatus.FAILED]).update(status=CallStatus.ACKNOWLEDGED)
            rows.filter(status=CallStatus.PENDING).update(status=CallStatus.CANCELLED, result="acknowledged")
            return
        closed = rows.filter(status=CallStatus.PENDING).update(status=CallStatus.CANCELLED,
                                                               result="not sent: deadline passed, escalated")
        closed += rows.filter(status__in=[CallStatus.SENT, CallStatus.FAILED]).update(status=CallStatus.ESCALATED)
        if not closed:
            return  # another worker escalated this group a moment ago
        plan = plan_for(first.level or warning.level, warning.hazard_type)
        tiers = plan.tiers if plan else []
        tier = tiers[tier_index] if tier_index < len(tiers) else {}
        if first.deputy_id and first.escalated_from_id is None and tier:
            if _call_person(warning, call_round, tier_index, tier, first.deputy, None, now, escalated_from=first.person):
                stats["escalated"] += 1
                return
        if CallAttempt.objects.filter(warning=warning, call_round=call_round, tier__gt=tier_index).exists():
            return  # the next tier is already being called
        if _start_tier(warning, tiers, tier_index + 1, call_round, now) is not None:
            stats["next_tier"] += 1
            return
        if tier_index < len(tiers) and _call_upward(warning, tiers, call_round, now):
            stats["upward"] += 1
            return
        if flag_failure(warning, now):
            stats["supervisions"] += 1


def _call_upward(warning, tiers, call_round, now) -> int:
    """The final tier (index ``len(tiers)``): the duty people of the government of the first region above the
    warning's region that has any, with the last tier's channels and deadline.  Returns attempts created."""
    from citysafe.core.models import OrganizationKind, Person

    region = warning.region.parent if warning.region_id else None
    while region is not None:
        people = list(Person.objects.filter(organization__kind=OrganizationKind.GOVERNMENT,
                                            organization__region=region).order_by("pk"))
        if people:
            tier = {**tiers[-1], "targets": "duty"}
            return sum(_call_person(warning, call_round, len(tiers), tier, p, None, now) for p in people)
        region = region.parent
    return 0


def _government_of(region):
    from citysafe.core.models import Organization, OrganizationKind

    while region is not None:
        org = Organization.objects.filter(kind=OrganizationKind.GOVERNMENT, region=region).order_by("pk").first()
        if org:
            return org
        region = region.parent
    return None


def flag_failure(warning, now) -> bool:
    """Open one supervision item "叫应失败" for the warning (once), owned by the region's government."""
    from citysafe.workplans.models import Supervision, SupervisionStatus

    marker = f"{FAILURE_REASON} warning:{warning.pk}"
    if Supervision.objects.filter(reason=marker).exists():
        return False
    owner = _government_of(warning.region)
    if owner is None:
        log.warning("叫应失败 for warning %s but no government organisation to supervise it", warning.pk)
        return False
    silent = sorted({a.person.name for a in CallAttempt.objects.filter(
        warning=warning, call_round=warning.call_round, status=CallStatus.ESCALATED).select_related("person")})
    Supervision.objects.create(
        title=f"{FAILURE_REASON}: {warning.headline}"[:300], owner=owner, reason=marker,
        description=f"预警发出后各梯次均未在时限内确认。未确认人员: {'、'.join(silent) or '-'}",
        deadline=timezone.localdate(now) + dt.timedelta(days=1), status=SupervisionStatus.OPEN)
    return True


def on_warning_changes(changes: list[tuple[int, str]]) -> None:
    """Called after a warning change committed (engine, CAP import, manual): plan on raise/upgrade, stop on
    downgrade/clear/cancel/expiry; then noise control (a raised/upgraded warning inhibits the lower ones of its
    group it covers, an ended/downgraded one releases them) and the sector-and-weather children of meteorological
    warnings (``sector.sync_children``).  Each step is logged on failure and never stops the others."""
    from . import noise, sector

    for pk, kind in changes:
        steps = []
        if kind in ("raised", "upgraded"):
            steps = [lambda pk=pk: plan_calls(pk), lambda pk=pk: noise.suppress_covered(pk)]
        elif kind in ("downgraded", "cleared", "cancelled", "expired"):
            steps = [lambda pk=pk, kind=kind: stop_calls(pk, kind), lambda pk=pk: noise.release_suppressed(pk)]
        steps.append(lambda pk=pk, kind=kind: sector.sync_children(pk, kind))
        for step in steps:
            try:
                step()
            except Exception:  # noqa: BLE001 - the warning stands; the failure is logged
                log.exception("warning loop for warning %s (%s) failed", pk, kind)
