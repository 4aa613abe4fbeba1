"""Noise control of the warning loop (inhibition and silences) and the management of silences and subscriptions.

Semantics follow Prometheus Alertmanager, as summarised in ``shared/reference/call-and-acknowledge.md`` section 6
("Noise control"):

* **Group.**  Warnings are grouped by (region, hazard type): ``EarlyWarning.group_key``.
* **Inhibition.**  An active warning *inhibits* the active warnings of its group with a lower level that it covers:
  it covers the whole group when it has no risk point (region-wide, e.g. a meteorological warning), otherwise only
  warnings of the same risk point.  An inhibited warning (``suppressed_by``) stays raised and listed, but nobody is
  called about it.  As in Alertmanager the inhibition holds only while the source fires: when the inhibitor ends or
  drops to (or below) the level of the warnings it inhibits, they are released (event "unsuppressed") and called.
  A sector-and-weather child is never inhibited by its own parent (it is the parent's targeted form).
* **Silence.**  A ``Silence`` mutes matching warnings: region (or an ancestor; blank = city), hazard type (blank =
  any), level up to ``max_level``, ``starts_at <= now < ends_at`` and, if set, a daily window read in
  **Asia/Shanghai** whatever ``settings.TIME_ZONE`` or the server's time zone say (GB/T 35965.1 times are Beijing
  time).  A window may cross midnight (22:00-06:00); ``weekdays`` (digits 1=Mon..7=Sun) name the day the window
  *starts*, so "5" with 22:00-06:00 mutes Friday night until Saturday 06:00.  A muted warning (``silenced_by``)
  is raised and listed; its calls are cancelled.  ``recheck_silences`` (every minute, ``tasks.noise_tick``) mutes
  warnings a silence has come to cover (a new silence, a window opening) and releases, with a new call round,
  those it no longer covers (expired, ended early, deleted, window closed).

Who may manage them (audited with simple-history):

* silences: municipal administrators for any region (or the whole city), district operators for their own region
  subtree; a reason is required; a silence can be ended early (``ends_at`` = now);
* subscriptions: each user their own (``Person.user``), municipal administrators everybody's.  A non-municipal
  user subscribes only to regions in their scope, and a subscriber is only told about warnings their account may see.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citysafe.core.audit import audited
from citysafe.workplans.errors import PermissionDenied, WorkplanError

from .models import (
    CALL_CHANNELS,
    LEVEL_ORDER,
    EarlyWarning,
    HazardType,
    Level,
    Silence,
    Subscription,
    WarningEvent,
    WarningStatus,
)

log = logging.getLogger(__name__)

BEIJING = ZoneInfo("Asia/Shanghai")


# --- inhibition -----------------------------------------------------------------------------------------------------

def covers(higher: EarlyWarning, lower: EarlyWarning) -> bool:
    """True when ``higher`` inhibits ``lower``: same group, strictly higher level, region-wide or the same risk point,
    and ``lower`` is not ``higher``'s own sector child (nor its parent)."""
    return (higher.pk != lower.pk and higher.group_key == lower.group_key
            and LEVEL_ORDER.get(higher.level, 0) > LEVEL_ORDER.get(lower.level, 0)
            and (higher.risk_point_id is None or higher.risk_point_id == lower.risk_point_id)
            and lower.parent_id != higher.pk and higher.parent_id != lower.pk)


def _group(warning: EarlyWarning):
    qs = EarlyWarning.objects.filter(status=WarningStatus.ACTIVE, hazard_type=warning.hazard_type)
    return qs.filter(region_id=warning.region_id) if warning.region_id else qs.filter(region__isnull=True)


def inhibitor_for(warning: EarlyWarning) -> EarlyWarning | None:
    """The highest active warning that inhibits ``warning`` (ties: the oldest), or None."""
    found = [w for w in _group(warning).exclude(pk=warning.pk).order_by("pk") if covers(w, warning)]
    return max(found, key=lambda w: LEVEL_ORDER[w.level], default=None)


def _event(warning, kind, now, note="") -> None:
    WarningEvent.objects.create(warning=warning, kind=kind, level=warning.level, at=now, note=note[:300])


def mute_if_needed(warning: EarlyWarning, now) -> bool:
    """Called by ``calls.plan_calls`` with the warning row locked: record inhibition / silence (or their end) on the
    warning and say whether its calls are muted.  Events only when the state changes."""
    inhibitor = inhibitor_for(warning)
    if inhibitor is not None:
        if warning.suppressed_by_id != inhibitor.pk:
            warning.suppressed_by = inhibitor
            warning.save(update_fields=["suppressed_by"])
            _event(warning, "suppressed", now, f"#{inhibitor.pk} {inhibitor.get_level_display()}")
        return True
    if warning.suppressed_by_id:
        warning.suppressed_by = None
        warning.save(update_fields=["suppressed_by"])
        _event(warning, "unsuppressed", now)
    silence = matching_silence(warning, now)
    if silence is not None:
        if warning.silenced_by_id != silence.pk:
            warning.silenced_by = silence
            warning.save(update_fields=["silenced_by"])
            _event(warning, "silenced", now, f"#{silence.pk} {silence.reason}")
        return True
    if warning.silenced_by_id:
        warning.silenced_by = None
        warning.save(update_fields=["silenced_by"])
        _event(warning, "unsilenced", now)
    return False


def _mute(pk: int, now, *, suppressed_by=None, silence=None) -> bool:
    """Stop the calls of an active warning and mark it inhibited or silenced (one transaction, row locked)."""
    from .calls import _cancel_pending

    with transaction.atomic():
        warning = EarlyWarning.objects.select_for_update().filter(pk=pk).first()
        if warning is None or warning.status != WarningStatus.ACTIVE:
            return False
        if suppressed_by is not None:
            if warning.suppressed_by_id:
                return False
            warning.suppressed_by = suppressed_by
            note, kind = f"#{suppressed_by.pk} {suppressed_by.get_level_display()}", "suppressed"
        else:
            if warning.silenced_by_id or warning.suppressed_by_id:
                return False
            warning.silenced_by = silence
            note, kind = f"#{silence.pk} {silence.reason}", "silenced"
        _cancel_pending(warning, f"stopped: {kind}")
        warning.call_round += 1  # closes the round: nobody is escalated any more
        warning.save(update_fields=["suppressed_by", "silenced_by", "call_round"])
        _event(warning, kind, now, note)
        return True


def suppress_covered(pk: int, now=None) -> list[int]:
    """A warning was raised or upgraded: inhibit the active lower warnings of its group that it covers (their
    pending calls stop).  Returns their ids."""
    now = now or timezone.now()
    warning = EarlyWarning.objects.filter(pk=pk, status=WarningStatus.ACTIVE).first()
    if warning is None:
        return []
    done = []
    for other in _group(warning).exclude(pk=pk).filter(suppressed_by__isnull=True).order_by("pk"):
        if covers(warning, other) and _mute(other.pk, now, suppressed_by=warning):
            done.append(other.pk)
    return done


def release_suppressed(pk: int, now=None) -> list[int]:
    """A warning ended or was downgraded: release the warnings it inhibits that it no longer covers and plan their
    calls (``plan_calls`` may find another inhibitor or a silence).  Returns the released ids."""
    from .calls import plan_calls

    now = now or timezone.now()
    inhibitor = EarlyWarning.objects.filter(pk=pk).first()
    released = []
    for other in EarlyWarning.objects.filter(suppressed_by_id=pk, status=WarningStatus.ACTIVE).order_by("pk"):
        if inhibitor is not None and inhibitor.status == WarningStatus.ACTIVE and covers(inhibitor, other):
            continue
        with transaction.atomic():
            row = EarlyWarning.objects.select_for_update().get(pk=other.pk)
            if row.suppressed_by_id != pk:
                continue
            row.suppressed_by = None
            row.save(update_fields=["suppressed_by"])
            _event(row, "unsuppressed", now, f"#{pk}")
        released.append(other.pk)
        plan_calls(other.pk, now=now)
    return released


# --- silences -------------------------------------------------------------------------------------------------------

def in_window(silence: Silence, now: dt.datetime) -> bool:
    """True when ``now`` (aware) is inside the silence's daily window and weekdays, read in Asia/Shanghai.

    No window = all day.  start > end crosses midnight (the part after midnight belongs to the day it started);
    start == end = all day."""
    local = now.astimezone(BEIJING)
    day = local.date()
    start, end = silence.window_start, silence.window_end
    if start is not None and end is not None and start != end:
        t = local.time()
        if start < end:
            if not start <= t < end:
                return False
        elif t < end:
            day -= dt.timedelta(days=1)  # 00:00..end belongs to the window that started yesterday
        elif t < start:
            return False
    return not silence.weekdays or str(day.isoweekday()) in silence.weekdays


def silence_active(silence: Silence, now: dt.datetime) -> bool:
    return silence.starts_at <= now < silence.ends_at and in_window(silence, now)


def silence_matches(silence: Silence, warning: EarlyWarning, now: dt.datetime) -> bool:
    """Region (or ancestor; blank = city), hazard type (blank = any), level <= max_level, and active now."""
    if silence.region_id and not (warning.region_id and warning.region.path.startswith(silence.region.path)):
        return False
    if silence.hazard_type and silence.hazard_type != warning.hazard_type:
        return False
    if LEVEL_ORDER.get(warning.level, 0) > LEVEL_ORDER.get(silence.max_level, 0):
        return False
    return silence_active(silence, now)


def _current_silences(now) -> list[Silence]:
    return list(Silence.objects.filter(starts_at__lte=now, ends_at__gt=now).select_related("region")
                .order_by("pk"))


def matching_silence(warning: EarlyWarning, now, silences=None) -> Silence | None:
    """The first (oldest) silence that mutes ``warning`` now, or None."""
    for silence in _current_silences(now) if silences is None else silences:
        if silence_matches(silence, warning, now):
            return silence
    return None


def _was_silenced(warning) -> bool:
    """The warning's last silence event is "silenced" (its silence may since have been deleted)."""
    last = warning.events.filter(kind__in=["silenced", "unsilenced"]).order_by("-at", "-pk").first()
    return last is not None and last.kind == "silenced"


def _unsilence(pk: int, now) -> bool:
    from .calls import plan_calls

    with transaction.atomic():
        warning = EarlyWarning.objects.select_for_update().filter(pk=pk, status=WarningStatus.ACTIVE).first()
        if warning is None:
            return False
        warning.silenced_by = None
        warning.save(update_fields=["silenced_by"])
        _event(warning, "unsilenced", now)
    plan_calls(pk, now=now)
    return True


def recheck_silences(now=None) -> dict:
    """The per-minute check (``tasks.noise_tick``): mute active warnings a silence covers now, release (and call)
    the silenced ones no silence covers any more.  Idempotent; returns counts."""
    now = now or timezone.now()
    silences = _current_silences(now)
    stats = {"silenced": 0, "unsilenced": 0, "moved": 0}
    active = EarlyWarning.objects.filter(status=WarningStatus.ACTIVE).select_related("region")
    muted = list(active.filter(silenced_by__isnull=False)) + [
        w for w in active.filter(silenced_by__isnull=True, events__kind="silenced").distinct() if _was_silenced(w)]
    for warning in muted:
        silence = matching_silence(warning, now, silences)
        if silence is None:
            stats["unsilenced"] += _unsilence(warning.pk, now)
        elif silence.pk != warning.silenced_by_id:  # another silence still covers it: no new calls
            EarlyWarning.objects.filter(pk=warning.pk).update(silenced_by=silence)
            stats["moved"] += 1
    if silences:
        muted_ids = {w.pk for w in muted}
        for warning in active.filter(silenced_by__isnull=True, suppressed_by__isnull=True):
            silence = matching_silence(warning, now, silences)
            if warning.pk not in muted_ids and silence is not None:
                stats["silenced"] += _mute(warning.pk, now, silence=silence)
    return stats


def silences_for(user):
    """Silences the user may see: all for the city; else the city-wide ones and those of regions in scope."""
    from django.db.models import Q

    from citysafe.core.roles import is_municipal
    from citysafe.core.scoping import scope_region_paths

    qs = Silence.objects.select_related("region", "created_by")
    if not user.is_authenticated:
        return qs.none()
    if is_municipal(user):
        return qs
    condition = Q(region__isnull=True)
    for path in scope_region_paths(user) or []:
        condition |= Q(region__path__startswith=path)
    return qs.filter(condition)


def can_manage_silences(user) -> bool:
    from citysafe.core.roles import DISTRICT_OPERATOR, is_municipal, user_roles

    return is_municipal(user) or DISTRICT_OPERATOR in user_roles(user)


def _check_silence_region(user, region) -> None:
    from citysafe.core.roles import is_municipal
    from citysafe.core.scoping import regions_in_scope

    if not can_manage_silences(user):
        raise PermissionDenied(_("只有市级管理员和区县操作员可以设置静默"))
    if is_municipal(user):
        return
    if region is None or not regions_in_scope(user).filter(pk=region.pk).exists():
        raise PermissionDenied(_("只能为本辖区设置静默"))


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """Naive date-times given to the API are Beijing time (GB/T 35965.1 uses +08:00 throughout)."""
    if value is not None and timezone.is_naive(value):
        return value.replace(tzinfo=BEIJING)
    return value


def _check_choices(hazard_type: str, level: str, level_label: str) -> None:
    if hazard_type and hazard_type not in HazardType.values:
        raise WorkplanError(_("未知灾种: %(v)s") % {"v": hazard_type})
    if level not in Level.values:
        raise WorkplanError(_("未知%(what)s: %(v)s") % {"what": level_label, "v": level})


@audited
def create_silence(*, user, reason: str, ends_at: dt.datetime, region=None, hazard_type: str = "",
                   max_level: str = Level.BLUE, starts_at: dt.datetime | None = None, window_start=None,
                   window_end=None, weekdays: str = "", now=None) -> Silence:
    """Create a silence (permission and input checked; ``WorkplanError`` / ``PermissionDenied`` with a message).
    Active warnings it covers are muted after commit."""
    now = now or timezone.now()
    _check_silence_region(user, region)
    reason = (reason or "").strip()
    if not reason:
        raise WorkplanError(_("请填写静默原因"))
    _check_choices(hazard_type or "", max_level, _("最高静默级别"))
    starts_at, ends_at = _aware(starts_at) or now, _aware(ends_at)
    if ends_at is None or ends_at <= starts_at:
        raise WorkplanError(_("到期时间必须晚于开始时间"))
    if ends_at <= now:
        raise WorkplanError(_("到期时间必须晚于现在"))
    if (window_start is None) != (window_end is None):
        raise WorkplanError(_("每日时段需同时填写开始和结束"))
    weekdays = (weekdays or "").strip()
    if weekdays and (not set(weekdays) <= set("1234567") or len(set(weekdays)) != len(weekdays)):
        raise WorkplanError(_("星期请填写 1-7 的数字(1=周一), 不重复"))
    silence = Silence.objects.create(
        region=region, hazard_type=hazard_type or "", max_level=max_level, reason=reason[:300], starts_at=starts_at,
        ends_at=ends_at, window_start=window_start, window_end=window_end, weekdays="".join(sorted(weekdays)),
        created_by=user, created_at=now)
    transaction.on_commit(lambda: recheck_silences())
    return silence


@audited
def end_silence(*, user, silence: Silence, now=None) -> Silence:
    """End a silence early (``ends_at`` = now); the warnings it muted are called after commit."""
    now = now or timezone.now()
    _check_silence_region(user, silence.region)
    if silence.ends_at <= now:
        raise WorkplanError(_("该静默已结束"))
    silence.ends_at = max(now, silence.starts_at)
    silence.save(update_fields=["ends_at"])
    transaction.on_commit(lambda: recheck_silences())
    return silence


# --- subscriptions --------------------------------------------------------------------------------------------------

def subscriptions_for(user):
    """A user's own subscriptions (through their ``Person``); everybody's for a municipal administrator."""
    from citysafe.core.roles import is_municipal

    qs = Subscription.objects.select_related("person", "region")
    if not user.is_authenticated:
        return qs.none()
    if is_municipal(user):
        return qs
    return qs.filter(person__user=user)


def _own_person(user):
    from citysafe.core.models import Person

    person = Person.objects.filter(user=user).first()
    if person is None:
        raise WorkplanError(_("你的账号未关联人员, 无法订阅; 请联系管理员"))
    return person


@audited
def create_subscription(*, user, region=None, hazard_type: str = "", min_level: str = Level.BLUE,
                        channels: list[str] | None = None, person=None) -> Subscription:
    """Subscribe ``person`` (default: the user's own person; another person only for municipal administrators)."""
    from citysafe.core.roles import is_municipal
    from citysafe.core.scoping import regions_in_scope

    municipal = is_municipal(user)
    if person is None:
        person = _own_person(user)
    elif not municipal and person.user_id != user.pk:
        raise PermissionDenied(_("只能管理自己的订阅"))
    if not municipal and (region is None or not regions_in_scope(user).filter(pk=region.pk).exists()):
        raise PermissionDenied(_("只能订阅本辖区的预警"))
    _check_choices(hazard_type or "", min_level, _("最低级别"))
    channels = list(dict.fromkeys(channels or ["in_app"]))
    unknown = [c for c in channels if c not in CALL_CHANNELS]
    if unknown:
        raise WorkplanError(_("未知渠道: %(v)s") % {"v": ", ".join(unknown)})
    return Subscription.objects.create(person=person, region=region, hazard_type=hazard_type or "",
                                       min_level=min_level, channels=channels)


@audited
def delete_subscription(*, user, subscription: Subscription) -> None:
    from citysafe.core.roles import is_municipal

    if not is_municipal(user) and subscription.person.user_id != user.pk:
        raise PermissionDenied(_("只能管理自己的订阅"))
    subscription.delete()


def matching_subscriptions(warning: EarlyWarning):
    """Active subscriptions that match ``warning``: region = the warning's region or an ancestor (blank = city),
    hazard type equal or blank, ``min_level`` <= the warning's level."""
    from django.db.models import Q

    from citysafe.core.models import Region

    levels = [lv for lv, order in LEVEL_ORDER.items() if 0 < order <= LEVEL_ORDER.get(warning.level, 0)]
    region_q = Q(region__isnull=True)
    if warning.region_id:
        codes = [c for c in warning.region.path.split("/") if c]
        ancestors = Region.objects.filter(adcode__in=codes).values_list("pk", "path")
        region_q |= Q(region_id__in=[pk for pk, path in ancestors if warning.region.path.startswith(path)])
    return (Subscription.objects.filter(region_q, is_active=True, min_level__in=levels)
            .filter(Q(hazard_type="") | Q(hazard_type=warning.hazard_type))
            .select_related("person__user").order_by("pk"))
