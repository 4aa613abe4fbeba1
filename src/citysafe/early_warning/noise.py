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
  time).  A window may cross midnight (22:00-06:00); a window whose start equals its end is refused on input (no
  window = all day; legacy rows with start == end are read as all day); ``weekdays`` (digits 1=Mon..7=Sun) name the day the window
  *starts*, so "5" with 22:00-06:00 mutes Friday night until Saturday 06:00.  A muted warning (``silenced_by``)
  is raised and listed; its calls are cancelled.  ``recheck_silences`` (every minute, ``tasks.noise_tick``) mutes
  warnings a silence has come to cover (a new silence, a window opening) and releases, with a new call round,
  those it no longer covers (expired, ended early, deleted, window closed).

* **District silences.**  A silence created by a non-municipal user (a district operator) never mutes a warning issued
  by an organisation outside the creator's region subtree: the city bureau's manual warnings, imported CAP warnings
  whose sender code (GB/T 35965.1, first 6 digits = GB/T 2260 region) is outside the district, our own CAP sender,
  and the sector-and-weather children of such warnings (judged by their parent).  It mutes sensor / engine warnings
  (no issuing organisation) and warnings issued by organisations within the district.  Silences of municipal
  administrators (or without a creator) have no such restriction.

Who may manage them (audited with simple-history):

* silences: municipal administrators for any region (or the whole city), up to any level, for at most
  ``CITYSAFE_SILENCE_MAX_HOURS["city"]`` (default 720 h = 30 days); district operators for their own region subtree,
  up to the highest level a district may issue (``CITYSAFE_WARNING_ISSUE_LEVELS["district"]``, default yellow), for
  at most ``CITYSAFE_SILENCE_MAX_HOURS["district"]`` (default 72 h).  A reason is required; daily window times with a
  UTC offset are converted to Beijing time; a silence can be ended early (``ends_at`` = now) by whoever may set a
  silence for its region;
* subscriptions: each user their own (``Person.user``), municipal administrators everybody's.  A non-municipal
  user subscribes only to regions in their scope, and a subscriber is only told about warnings their account may see.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.conf import settings
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

# Longest silence (ends_at - starts_at) per authority, in hours: project default, configurable with
# ``CITYSAFE_SILENCE_MAX_HOURS`` (a dict; missing keys fall back to these).
DEFAULT_SILENCE_MAX_HOURS = {"district": 72, "city": 30 * 24}


def silence_max_hours() -> dict[str, int]:
    """Longest silence in hours per authority ("district", "city"): ``CITYSAFE_SILENCE_MAX_HOURS`` over defaults."""
    return {**DEFAULT_SILENCE_MAX_HOURS, **(getattr(settings, "CITYSAFE_SILENCE_MAX_HOURS", None) or {})}


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


def _creator_scope(silence: Silence) -> list[str] | None:
    """Region paths a silence may reach by issuer: None (unrestricted) for a municipal creator or none recorded, else
    the creator's scope (a district operator: their district).  Cached on the instance."""
    if not hasattr(silence, "_creator_scope"):
        from citysafe.core.roles import is_municipal
        from citysafe.core.scoping import scope_region_paths

        user = silence.created_by if silence.created_by_id else None
        silence._creator_scope = None if user is None or is_municipal(user) else (scope_region_paths(user) or [])
    return silence._creator_scope


def _region_path_of_adcode(adcode: str) -> str:
    from citysafe.core.models import Region

    region = Region.objects.filter(adcode=adcode).order_by("-valid_from").first()
    return region.path if region is not None else ""


def issuing_region_path(warning: EarlyWarning) -> str | None:
    """Where the warning's issuing organisation sits: None when no organisation issued it (sensor / engine warning),
    else the region path of the issuer ("" when unknown, i.e. never inside a district).

    Manual warnings: ``issuer.region``; CAP warnings: the GB/T 2260 code in the sender's 14-digit issuer code (from
    ``cap:<sender>:...`` or the identifier); sector-and-weather children: their parent's."""
    from .cap import is_issuer_code

    seen = set()
    while warning.parent_id and warning.pk not in seen:  # a targeted child is issued by its parent's issuer
        seen.add(warning.pk)
        warning = warning.parent
    if warning.issuer_id:
        issuer = warning.issuer
        return issuer.region.path if issuer.region_id else ""
    if warning.source_key.startswith("cap:"):
        parts = warning.source_key.split(":")
        sender = parts[1] if len(parts) > 2 and is_issuer_code(parts[1]) else (warning.cap_identifier or "")[:14]
        return _region_path_of_adcode(sender[:6]) if is_issuer_code(sender) else ""
    if warning.source_key.startswith("manual:"):
        return ""
    return None


def issuer_within(silence: Silence, warning: EarlyWarning) -> bool:
    """A district silence mutes only unissued (sensor / engine) warnings and those issued within the district."""
    scope = _creator_scope(silence)
    if scope is None:
        return True
    path = issuing_region_path(warning)
    return path is None or (bool(path) and any(path.startswith(p) for p in scope))


def silence_matches(silence: Silence, warning: EarlyWarning, now: dt.datetime) -> bool:
    """Region (or ancestor; blank = city), hazard type (blank = any), level <= max_level, active now, and, for a
    silence created by a district user, a warning not issued by an organisation outside that district."""
    if silence.region_id and not (warning.region_id and warning.region.path.startswith(silence.region.path)):
        return False
    if silence.hazard_type and silence.hazard_type != warning.hazard_type:
        return False
    if LEVEL_ORDER.get(warning.level, 0) > LEVEL_ORDER.get(silence.max_level, 0):
        return False
    return silence_active(silence, now) and issuer_within(silence, warning)


def _current_silences(now) -> list[Silence]:
    return list(Silence.objects.filter(starts_at__lte=now, ends_at__gt=now).select_related("region", "created_by")
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
    from citysafe.core.scoping import regions_in_scope

    qs = Silence.objects.select_related("region", "created_by")
    if not user.is_authenticated:
        return qs.none()
    if is_municipal(user):
        return qs
    return qs.filter(Q(region__isnull=True) | Q(region__in=regions_in_scope(user)))


def can_manage_silences(user) -> bool:
    from citysafe.core.roles import DISTRICT_OPERATOR, is_municipal, user_roles

    return is_municipal(user) or DISTRICT_OPERATOR in user_roles(user)


def _in_own_scope(user, region) -> bool:
    from citysafe.core.roles import is_municipal
    from citysafe.core.scoping import regions_in_scope

    return is_municipal(user) or (region is not None and regions_in_scope(user).filter(pk=region.pk).exists())


def _check_silence_region(user, region) -> None:
    if not can_manage_silences(user):
        raise PermissionDenied(_("只有市级管理员和区县操作员可以设置静默"))
    if not _in_own_scope(user, region):
        raise PermissionDenied(_("只能为本辖区设置静默"))


def can_end_silence(user, silence: Silence) -> bool:
    """Municipal administrators end any silence; district operators those of regions in their scope."""
    return can_manage_silences(user) and _in_own_scope(user, silence.region)


def silence_authority(user) -> str:
    """"city" for municipal administrators, else "district" (the limits of ``silence_max_hours`` / issue levels)."""
    from citysafe.core.roles import is_municipal

    return "city" if is_municipal(user) else "district"


def silence_levels(user) -> list[str]:
    """Levels the user may silence up to: all for the city; for a district up to the highest level a district may
    issue (``CITYSAFE_WARNING_ISSUE_LEVELS["district"]``)."""
    from .manual import issue_levels

    ordered = sorted(Level.values, key=lambda lv: LEVEL_ORDER.get(lv, 0))
    if silence_authority(user) == "city":
        return ordered
    allowed = [lv for lv in issue_levels().get("district", []) if lv in LEVEL_ORDER]
    top = max((LEVEL_ORDER[lv] for lv in allowed), default=0)
    return [lv for lv in ordered if LEVEL_ORDER.get(lv, 0) <= top]


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """Naive date-times given to the API are Beijing time (GB/T 35965.1 uses +08:00 throughout)."""
    if value is not None and timezone.is_naive(value):
        return value.replace(tzinfo=BEIJING)
    return value


def _beijing_time(value: dt.time | None, field: str) -> dt.time | None:
    """A daily window time as naive Beijing time: a time with a UTC offset (``08:00+08:00``, ``00:00Z``) is
    converted; the database stores naive times only."""
    from .manual import DraftError

    if value is None or value.tzinfo is None:
        return value
    try:
        return dt.datetime.combine(dt.date(2000, 1, 3), value).astimezone(BEIJING).time()
    except (ValueError, OverflowError) as exc:
        raise DraftError(_("每日时段的时间无效：%(v)s") % {"v": value}, field) from exc


def _check_choices(hazard_type: str, level: str, level_label: str) -> None:
    if hazard_type and hazard_type not in HazardType.values:
        raise WorkplanError(_("未知灾种：%(v)s") % {"v": hazard_type})
    if level not in Level.values:
        raise WorkplanError(_("未知%(what)s：%(v)s") % {"what": level_label, "v": level})


@audited
def create_silence(*, user, reason: str, ends_at: dt.datetime, region=None, hazard_type: str = "",
                   max_level: str = Level.BLUE, starts_at: dt.datetime | None = None, window_start=None,
                   window_end=None, weekdays: str = "", now=None) -> Silence:
    """Create a silence (permission and input checked; ``WorkplanError`` / ``PermissionDenied`` with a message, a
    ``manual.DraftError`` naming the form field where there is one).  Active warnings it covers are muted after
    commit.

    Limits: a district operator silences only their region subtree, up to the highest level a district may issue,
    for at most ``silence_max_hours()["district"]`` hours; the city any region, any level, for at most
    ``silence_max_hours()["city"]`` hours.  Window times with an offset are converted to Beijing time; a window
    whose start equals its end is refused (leave the window empty for all day)."""
    from .manual import DraftError

    now = now or timezone.now()
    _check_silence_region(user, region)
    reason = (reason or "").strip()
    if not reason:
        raise DraftError(_("请填写静默原因"), "reason")
    _check_choices(hazard_type or "", max_level, _("最高静默级别"))
    authority = silence_authority(user)
    levels = silence_levels(user)
    if max_level not in levels:
        labels = dict(Level.choices)
        raise PermissionDenied(_("区县最高只能静默%(levels)s预警；更高级别须由市级设置静默") % {
            "levels": labels.get(levels[-1], levels[-1]) if levels else "—"})
    starts_at, ends_at = _aware(starts_at) or now, _aware(ends_at)
    if ends_at is None or ends_at <= starts_at:
        raise DraftError(_("到期时间必须晚于开始时间"), "ends_at")
    if ends_at <= now:
        raise DraftError(_("到期时间必须晚于现在"), "ends_at")
    max_hours = silence_max_hours().get(authority, DEFAULT_SILENCE_MAX_HOURS[authority])
    try:
        too_long = ends_at.astimezone(dt.UTC) - starts_at.astimezone(dt.UTC) > dt.timedelta(hours=max_hours)
    except OverflowError:
        too_long = True
    if too_long:
        raise DraftError(_("静默时长不能超过 %(hours)s 小时（%(who)s）") % {
            "hours": max_hours, "who": _("区县") if authority == "district" else _("市级")}, "ends_at")
    if (window_start is None) != (window_end is None):
        raise DraftError(_("每日时段需同时填写开始和结束"), "window_end")
    window_start, window_end = _beijing_time(window_start, "window_start"), _beijing_time(window_end, "window_end")
    if window_start is not None and window_start == window_end:
        raise DraftError(_("每日时段的开始和结束不能相同；全天静默请不填每日时段"), "window_end")
    weekdays = (weekdays or "").strip()
    if weekdays and (not set(weekdays) <= set("1234567") or len(set(weekdays)) != len(weekdays)):
        raise DraftError(_("星期请填写 1-7 的数字（1=周一），不重复"), "weekdays")
    silence = Silence.objects.create(
        region=region, hazard_type=hazard_type or "", max_level=max_level, reason=reason[:300], starts_at=starts_at,
        ends_at=ends_at, window_start=window_start, window_end=window_end, weekdays="".join(sorted(weekdays)),
        created_by=user, created_at=now)
    transaction.on_commit(lambda: recheck_silences())
    return silence


@audited
def end_silence(*, user, silence: Silence, now=None) -> Silence:
    """End a silence early (``ends_at`` = now); the warnings it muted are called after commit.  Allowed to whoever
    may set a silence for its region (``can_end_silence``)."""
    now = now or timezone.now()
    if not can_manage_silences(user):
        raise PermissionDenied(_("只有市级管理员和区县操作员可以结束静默"))
    if not can_end_silence(user, silence):
        raise PermissionDenied(_("只能结束本辖区的静默规则"))
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
        raise WorkplanError(_("你的账号未关联人员，无法订阅；请联系管理员"))
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
        raise WorkplanError(_("未知渠道：%(v)s") % {"v": "、".join(unknown)})
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
