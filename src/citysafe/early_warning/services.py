"""From stored readings to graded warnings, and the life of a warning.

``evaluate_readings`` is called by ingest after each stored batch: it loads the rule state of the devices concerned
(locked, so two ingest workers never evaluate the same device at once and no state is lost), runs the numpy engine
(``engine``, no ORM inside), saves the new state, and turns level changes into ``EarlyWarning``s:

* one active warning per (source, hazard type) — a database constraint; the level of a device's warning is the
  highest level of its rules for that hazard;
* a higher level upgrades it, a lower one downgrades it, "none" clears it; a steady level changes nothing
  (no re-notification);
* every step is a ``WarningEvent`` on the warning's timeline.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import LEVEL_ORDER, EarlyWarning, Rule, RuleState, WarningEvent, WarningStatus

_engine_cache: dict = {"version": None, "engine": None, "rules": {}}


@dataclass
class Outcome:
    """What one evaluation did to one warning."""

    warning: EarlyWarning
    kind: str  # raised | upgraded | downgraded | cleared


def _rule_spec(rule: Rule):
    from .engine import RuleSpec

    return RuleSpec(code=rule.code, hazard_type=rule.hazard_type, rule_type=rule.rule_type,
                    device_kind=rule.device_kind, metric=rule.metric, params=rule.params,
                    hysteresis=rule.hysteresis, min_duration_s=rule.min_duration_s, source=rule.source)


def _rules_version() -> tuple:
    """Changes whenever a rule is added, edited (a history row) or removed: two aggregate queries per batch."""
    from django.db.models import Count, Max

    rules = Rule.objects.aggregate(n=Count("pk"), top=Max("pk"))
    edited = Rule.history.aggregate(at=Max("history_date"))["at"]
    return rules["n"], rules["top"], edited


def _engine():
    """The engine for the active rules, rebuilt when the rules change (never from a stale copy)."""
    from .engine import Engine

    version = _rules_version()
    if _engine_cache["engine"] is None or _engine_cache["version"] != version:
        rules = {r.code: r for r in Rule.objects.filter(is_active=True)}
        _engine_cache.update(version=version, rules=rules, engine=Engine([_rule_spec(r) for r in rules.values()]))
    return _engine_cache["engine"], _engine_cache["rules"]


def reset_rule_cache() -> None:
    _engine_cache.update(version=None, engine=None, rules={})


def evaluate_readings(readings) -> list[Outcome]:
    """Evaluate newly stored readings (objects with device_id, metric, time (aware), value) and apply the
    resulting level changes to warnings.  Returns what happened to which warning."""
    if not readings:
        return []
    from citysafe.monitoring.models import Device

    from .engine import DeviceSpec, ReadingBatch

    engine, rules = _engine()
    if not rules:
        return []
    device_ids = sorted({r.device_id for r in readings})
    devices = {d.pk: d for d in Device.objects.filter(pk__in=device_ids, is_active=True)}
    kinds = {d.kind for d in devices.values()}
    relevant = [r for r in rules.values() if not r.device_kind or r.device_kind in kinds]
    if not relevant or not devices:
        return []
    readings = [r for r in readings if r.device_id in devices]
    batch = ReadingBatch.from_arrays(
        np.array([r.device_id for r in readings], dtype=np.int64), [r.metric for r in readings],
        np.array([int(r.time.timestamp()) for r in readings], dtype=np.int64),
        np.array([r.value for r in readings], dtype=np.float64))
    specs = {pk: DeviceSpec(id=pk, external_id=d.external_id, kind=d.kind, params=d.params or {})
             for pk, d in devices.items()}
    with transaction.atomic():
        rows = {(s.rule.code, s.device_id): s for s in RuleState.objects.select_for_update().select_related("rule")
                .filter(device_id__in=list(devices), rule__in=relevant)}
        state = {key: row.state for key, row in rows.items()}
        changes, new_state = engine.evaluate(batch, specs, state)
        touched = _save_states(new_state, rows, rules)
        return _apply(changes, touched, devices, rules)


def _save_states(new_state, rows, rules) -> set[tuple[int, str]]:
    """Persist the engine state; returns the (device, hazard) pairs whose rule levels may have changed."""
    touched = set()
    creates = []
    for (code, device_id), value in new_state.items():
        rule = rules.get(code)
        if rule is None:
            continue
        level = value.get("level", "none") if isinstance(value, dict) else "none"
        row = rows.get((code, device_id))
        if row is None:
            creates.append(RuleState(rule=rule, device_id=device_id, state=value, level=level))
        else:
            row.state, row.level, row.version = value, level, row.version + 1
            row.save(update_fields=["state", "level", "version"])
        touched.add((device_id, rule.hazard_type))
    if creates:
        RuleState.objects.bulk_create(creates)
    return touched


def _device_levels(pairs, rules) -> dict[tuple[int, str], str]:
    """Highest rule level per (device, hazard type), from the stored states."""
    levels: dict = defaultdict(lambda: "none")
    hazard_of = {code: r.hazard_type for code, r in rules.items()}
    for code, device_id, level in RuleState.objects.filter(
            device_id__in={d for d, _h in pairs}, rule__code__in=list(rules)).values_list(
            "rule__code", "device_id", "level"):
        key = (device_id, hazard_of[code])
        if key in pairs and LEVEL_ORDER.get(level, 0) > LEVEL_ORDER[levels[key]]:
            levels[key] = level
    return {pair: levels[pair] for pair in pairs}


def _apply(changes, touched, devices, rules) -> list[Outcome]:
    last = {}
    for change in changes:  # the newest change per (device, hazard) carries the time and value
        last[(change.device_id, change.hazard_type)] = change
    outcomes = []
    for (device_id, hazard), level in _device_levels(touched, rules).items():
        change = last.get((device_id, hazard))
        at = dt.datetime.fromtimestamp(change.time_s, tz=dt.UTC) if change else timezone.now()
        rule = rules.get(change.rule_code) if change else None
        outcome = set_device_level(devices[device_id], hazard, level, at=at,
                                   value=change.value if change else None, rule=rule)
        if outcome:
            outcomes.append(outcome)
    if outcomes:
        ids = [(o.warning.pk, o.kind) for o in outcomes]
        transaction.on_commit(lambda: publish_cap(ids))
        transaction.on_commit(lambda: _calls_after(ids))
    return outcomes


def _calls_after(changes: list[tuple[int, str]]) -> None:
    """The loop after the change committed (outside the ingest transaction): 叫应 and response actions."""
    from .hooks import after_warning_changes

    after_warning_changes(changes)


CAP_TYPE = {"raised": "Alert", "upgraded": "Update", "downgraded": "Update", "cleared": "Cancel",
            "cancelled": "Cancel", "expired": "Cancel"}


def publish_cap(changes: list[tuple[int, str]]) -> int:
    """Export each warning change as a CAP 1.2 message (Alert / Update / Cancel referencing the earlier ones).

    Runs after the evaluation has committed, outside the ingest hot path; a message that cannot be built is
    logged and skipped (the warning itself stands)."""
    import logging

    from .cap import CapError
    from .cap_services import warning_to_cap

    done = 0
    for pk, kind in changes:
        warning = EarlyWarning.objects.filter(pk=pk).select_related("region", "issuer").first()
        if warning is None:
            continue
        msg_type = CAP_TYPE.get(kind, "Update")
        if msg_type != "Alert" and not warning.cap_messages.filter(direction="out").exists():
            msg_type = "Alert" if kind != "cleared" else None
        if msg_type is None:
            continue
        try:
            warning_to_cap(warning, msg_type)
            done += 1
        except (CapError, ValueError) as exc:
            logging.getLogger(__name__).warning("CAP export of warning %s failed: %s", pk, exc)
    return done


def set_device_level(device, hazard_type: str, level: str, *, at, value=None, rule=None) -> Outcome | None:
    """Bring the device's active warning for ``hazard_type`` to ``level`` ("none" clears it)."""
    source_key = f"device:{device.pk}"
    active = EarlyWarning.objects.select_for_update().filter(source_key=source_key, hazard_type=hazard_type,
                                                             status=WarningStatus.ACTIVE).first()
    if active is None:
        if level == "none":
            return None
        return _raise(device, hazard_type, level, at, value, rule, source_key)
    if level == active.level:
        return None
    previous = active.level
    if level == "none":
        active.status, active.ended_at, active.updated_at = WarningStatus.CLEARED, at, at
        active.save(update_fields=["status", "ended_at", "updated_at"])
        WarningEvent.objects.create(warning=active, kind="cleared", previous_level=previous, value=value, at=at)
        return Outcome(active, "cleared")
    kind = "upgraded" if LEVEL_ORDER[level] > LEVEL_ORDER[previous] else "downgraded"
    active.level, active.updated_at, active.value = level, at, value
    active.headline = _headline(device, hazard_type, level)
    active.rule = rule or active.rule
    active.save(update_fields=["level", "updated_at", "value", "headline", "rule"])
    WarningEvent.objects.create(warning=active, kind=kind, level=level, previous_level=previous, value=value, at=at)
    return Outcome(active, kind)


def _headline(device, hazard_type, level) -> str:
    from .models import HazardType, Level

    return _("%(place)s %(hazard)s%(level)s预警") % {
        "place": device.name, "hazard": HazardType(hazard_type).label, "level": Level(level).label}


def _raise(device, hazard_type, level, at, value, rule, source_key) -> Outcome | None:
    """Create the active warning; if a concurrent worker just created it, update that one instead."""
    try:
        with transaction.atomic():
            warning = EarlyWarning.objects.create(
                source_key=source_key, hazard_type=hazard_type, level=level, status=WarningStatus.ACTIVE,
                headline=_headline(device, hazard_type, level), device_id=device.pk, region=device.region,
                risk_point=device.risk_point, rule=rule, value=value, onset=at, raised_at=at, updated_at=at,
                area_desc=device.region.name if device.region_id else "",
                description=(rule.name + " — " + rule.source) if rule else "")
    except IntegrityError:  # the uniqueness rule: someone else raised it a moment ago
        return set_device_level(device, hazard_type, level, at=at, value=value, rule=rule)
    WarningEvent.objects.create(warning=warning, kind="raised", level=level, value=value, at=at)
    return Outcome(warning, "raised")


def _rule_name(spec) -> str:
    from .models import HazardType, RuleType

    hazard = dict(HazardType.choices).get(spec.hazard_type, spec.hazard_type)
    kind = dict(RuleType.choices).get(spec.rule_type, spec.rule_type)
    return f"{hazard}·{kind} ({spec.code})"[:200]


@transaction.atomic
def load_default_rules() -> int:
    """Store the default rule profiles (``profiles.default_profiles``) as ``Rule`` rows; existing rules keep any
    edits made in the admin.  UNCONFIRMED values can be overridden with ``CITYSAFE_RULE_OVERRIDES`` (JSON)."""
    from .profiles import default_profiles

    created = 0
    for spec in default_profiles(getattr(settings, "CITYSAFE_RULE_OVERRIDES", None) or None):
        _rule, was_created = Rule.objects.get_or_create(code=spec.code, defaults={
            "name": _rule_name(spec), "hazard_type": spec.hazard_type,
            "rule_type": spec.rule_type, "device_kind": spec.device_kind, "metric": spec.metric,
            "params": spec.params, "hysteresis": spec.hysteresis, "min_duration_s": spec.min_duration_s,
            "source": spec.source[:300]})
        created += was_created
    reset_rule_cache()
    return created


@transaction.atomic
def end_warning(*, user, warning: EarlyWarning, kind: str = "cancelled", note: str = "") -> EarlyWarning:
    """End an active warning: "cleared" (解除: the danger is over; response actions stay open and must be reported
    before closing), "cancelled" (撤销: issued in error; open actions are cancelled) or "expired" (the worker).

    ``user`` None is the system (``expire_due``); a person needs ``manual.check_end`` (the city always; a writer
    whose scope covers the warning's region with issuing authority for its level).  Event of the same kind; after
    commit the same hook as every warning change (叫应, response actions)."""
    from citysafe.core.audit import acting_as
    from citysafe.workplans.errors import WorkplanError

    from . import manual

    end_status = {"cleared": WarningStatus.CLEARED, "cancelled": WarningStatus.CANCELLED,
                  "expired": WarningStatus.EXPIRED}
    with acting_as(user):
        if kind not in end_status:
            raise WorkplanError(_("未知的结束方式：%(kind)s") % {"kind": kind})
        if user is not None and kind == "expired":
            raise WorkplanError(_("过期由系统按失效时间处理，请选择解除或撤销"))
        note = manual.clean_note(note)
        locked = EarlyWarning.objects.select_for_update(of=("self",)).only("pk", "status").get(pk=warning.pk)
        warning.status = locked.status  # the caller's instance, up to date under the row lock
        if user is not None:
            manual.check_end(user, warning)
        if warning.status != WarningStatus.ACTIVE:
            raise WorkplanError(_("该预警已结束"))
        now = timezone.now()
        warning.status = end_status[kind]
        warning.ended_at = warning.updated_at = now
        warning.save(update_fields=["status", "ended_at", "updated_at"])
        WarningEvent.objects.create(warning=warning, kind=kind, previous_level=warning.level, at=now, note=note)
        pk = warning.pk
        transaction.on_commit(lambda: _calls_after([(pk, kind)]))
        return warning


def expire_due(now=None) -> int:
    """End active warnings past their ``expires`` time (idempotent; run every minute by the worker)."""
    now = now or timezone.now()
    due = list(EarlyWarning.objects.filter(status=WarningStatus.ACTIVE, expires__lte=now).values_list("pk", flat=True))
    for pk in due:
        with transaction.atomic():
            warning = EarlyWarning.objects.select_for_update().get(pk=pk)
            if warning.status == WarningStatus.ACTIVE:
                end_warning(user=None, warning=warning, kind="expired")
    return len(due)
