"""Scoped reads of plans and drills, and the match of an incident to its plan.

Visibility (DESIGN §5 scoping, applied to plans): a municipal administrator sees every plan; anyone else sees the
city-level plans that are not drafts (every district works under them), and the plans whose owner organisation is
in their scope or whose region lies in their region subtree.  Drills (and their findings) are scoped by organiser
(``drills_for``).
"""

import re
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from citysafe.core.privacy import mask_phone
from citysafe.core.roles import is_municipal
from citysafe.core.scoping import organization_in_scope, scope_organization_ids, scope_region_paths

from .models import Drill, DrillFinding, EmergencyPlan, PlanLevel, PlanStatus, ResponseLevel, RoleCard

ROMAN = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}


def plans_for(user) -> QuerySet:
    qs = EmergencyPlan.objects.select_related("owner", "region")
    if not user.is_authenticated:
        return qs.none()
    if is_municipal(user):
        return qs
    conditions = [Q(level=PlanLevel.CITY) & ~Q(status=PlanStatus.DRAFT)]
    ids = scope_organization_ids(user, include_groups=False)
    if ids:
        conditions.append(Q(owner_id__in=ids))
    conditions += [Q(region__path__startswith=p) for p in scope_region_paths(user) or []]
    return qs.filter(reduce(or_, conditions))


def drills_for(user) -> QuerySet:
    """Drills by organiser, not by plan visibility: the city sees all; anyone else the drills organised by an
    organisation in their scope (their own, or located in their region subtree), or held under a non-city plan
    located in their region subtree.  An enterprise sees its own drills."""
    qs = Drill.objects.select_related("plan", "organiser")
    if not user.is_authenticated:
        return qs.none()
    if is_municipal(user):
        return qs
    conditions = [Q(pk__in=[])]
    ids = scope_organization_ids(user, include_groups=False)
    if ids:
        conditions.append(Q(organiser_id__in=ids))
    paths = scope_region_paths(user) or []
    conditions += [Q(organiser__region__path__startswith=p) for p in paths]
    conditions += [~Q(plan__level=PlanLevel.CITY) & Q(plan__region__path__startswith=p) for p in paths]
    return qs.filter(reduce(or_, conditions))


def findings_for(user) -> QuerySet:
    return DrillFinding.objects.select_related("drill", "hazard", "revision").filter(
        drill__in=drills_for(user).values("pk"))


# --- cards ------------------------------------------------------------------------------------------------------

def time_limit_label(minutes) -> str:
    """"30 分钟内", "2 小时内" (whole hours from 60 minutes), "90 分钟内"; "—" without a limit."""
    if minutes in (None, ""):
        return "—"
    if minutes < 60 or minutes % 60:
        return _("%(n)s 分钟内") % {"n": minutes}
    return _("%(n)s 小时内") % {"n": minutes // 60}


def cards_for_level(plan: EmergencyPlan, level: ResponseLevel | None = None) -> list[RoleCard]:
    """The plan's cards for ``level`` (cards for every level included); all cards when ``level`` is None.

    The cards are read once per plan (and not again when already prefetched, as ``matching_plan`` does)."""
    prefetch_related_objects([plan], Prefetch("cards", queryset=RoleCard.objects.select_related("response_level")))
    return [c for c in plan.cards.all() if level is None or c.response_level_id in (None, level.pk)]


def may_see_phones(user, plan: EmergencyPlan) -> bool:
    """Contact phones are shown in full to the owner organisation's side only (个人信息保护法 art. 51)."""
    return user is None or organization_in_scope(user, plan.owner_id)


MOBILE_RE = re.compile(r"(?:\+?86[- ]?)?1[3-9]\d{9}")


def is_personal_phone(contact: dict) -> bool:
    """A contact's number is personal (masked for outsiders) when it is a mobile number (1[3-9]\\d{9}) and the
    contact is not flagged public (值班电话/公开).  Duty landlines and hotlines are never masked."""
    phone = re.sub(r"[\s\-()]", "", contact.get("phone") or "")
    return not contact.get("public") and bool(MOBILE_RE.fullmatch(phone))


def card_data(card: RoleCard, show_phones: bool) -> dict:
    """Plain data of one card for the page, the API and the DOCX/PDF renderers.

    Shape: {id, plan, plan_code, role, level (1..4 or None), level_label ("Ⅰ级响应" / "各级响应"), steps:
    [{no, title, detail, time_limit_min, icon}], contacts: [{name, title, phone}], prohibitions: [str],
    reminders: [str]}.
    """
    level = card.response_level.level if card.response_level_id else None
    return {
        "id": card.pk, "plan": card.plan.name, "plan_code": card.plan.code, "role": card.role, "level": level,
        "level_label": _("%(roman)s级响应") % {"roman": ROMAN[level]} if level else _("各级响应"),
        "steps": [{"no": i, "title": s.get("title", ""), "detail": s.get("detail", ""),
                   "time_limit_min": s.get("time_limit_min"), "icon": s.get("icon") or "▶",
                   "time_limit_label": time_limit_label(s.get("time_limit_min"))}
                  for i, s in enumerate(card.steps or [], start=1)],
        "contacts": [{"name": c.get("name", ""), "title": c.get("title", ""),
                      "phone": mask_phone(c.get("phone", "")) if not show_phones and is_personal_phone(c)
                      else c.get("phone", ""), "public": bool(c.get("public"))}
                     for c in card.contacts or []],
        "prohibitions": [line.strip() for line in card.prohibitions.splitlines() if line.strip()],
        "reminders": [line.strip() for line in card.reminders.splitlines() if line.strip()],
    }


# --- matching ---------------------------------------------------------------------------------------------------

@dataclass
class Match:
    """The plan for an incident, the response level its grade activates (None: no level defined) and why."""

    plan: EmergencyPlan | None
    level: ResponseLevel | None = None
    cards: list = field(default_factory=list)
    reasons: list = field(default_factory=list)


def _hazard_codes(incident) -> set[str]:
    codes = {incident.disaster_type} if incident.disaster_type else set()
    if incident.industry_id:
        codes.add(incident.industry.code)
    return codes


def _applies(plan: EmergencyPlan, incident) -> bool:
    if plan.incident_kind and plan.incident_kind != incident.kind:
        return False
    return not plan.hazard_codes or bool(set(plan.hazard_codes) & _hazard_codes(incident))


def _locality(plan: EmergencyPlan, incident) -> tuple | None:
    """Sort key of a candidate (smaller = more local), None when the plan does not cover the incident.

    Order (project default, following 《突发事件应对法》 第四条 属地管理为主): the enterprise plan of the incident's
    organisation first, then the deepest region covering the incident (township, district, city).
    """
    if plan.level == PlanLevel.ENTERPRISE:
        return (0, 0) if incident.organization_id and plan.owner_id == incident.organization_id else None
    region = incident.region or (incident.organization.region if incident.organization_id else None)
    if region is None:
        return (1, -len(plan.region.path)) if plan.level == PlanLevel.CITY else None
    if not region.path.startswith(plan.region.path):
        return None
    return (1, -len(plan.region.path))


def level_for_grade(plan: EmergencyPlan, grade: str) -> ResponseLevel | None:
    """The response level whose stored grades include ``grade`` (services allow one level per grade; for data
    stored before that rule the higher response, the smaller number, is taken).  An incident without a grade
    (below every threshold) activates the plan's lowest level."""
    levels = list(plan.response_levels.all())
    matching = [lv for lv in levels if grade and grade in (lv.grades or [])]
    if matching:
        return min(matching, key=lambda lv: lv.level)
    if not grade and levels:
        return max(levels, key=lambda lv: lv.level)
    return None


def is_general(plan: EmergencyPlan) -> bool:
    """A general plan (总体预案): city level, no incident kind and no hazard list; the fallback for any incident."""
    return plan.level == PlanLevel.CITY and not plan.incident_kind and not plan.hazard_codes


def matching_plan(incident, plans: QuerySet | None = None) -> Match:
    """The active plan for ``incident`` among ``plans`` (default: every plan), with its level and cards.

    Candidates: status active, effective (no date or on/before today), kind and hazard codes matching, region
    covering the incident's region (or enterprise plan of its organisation).  A plan that has a response level for
    the incident's grade and cards for it comes before one without (then one with a level but no cards, then an
    empty plan); among those the most local wins; a tie goes to the plan with a specific hazard list, then the
    newest effective date.  The city general plan (总体预案, see ``is_general``) is used only when nothing else
    matches (reason "general_plan").
    """
    qs = (plans if plans is not None else EmergencyPlan.objects.all()).filter(status=PlanStatus.ACTIVE).filter(
        Q(effective_date__isnull=True) | Q(effective_date__lte=timezone.localdate())).select_related(
        "region", "owner").prefetch_related(
        "response_levels", Prefetch("cards", queryset=RoleCard.objects.select_related("response_level")))
    candidates, general = [], []
    for plan in qs:
        key = _locality(plan, incident)
        if key is None or not _applies(plan, incident):
            continue
        level = level_for_grade(plan, incident.grade)
        cards = cards_for_level(plan, level) if level else []
        usable = 0 if level and cards else 1 if level else 2
        row = (usable, key, 0 if plan.hazard_codes else 1,
               -(plan.effective_date or timezone.localdate()).toordinal(), plan.pk, plan, level, cards)
        (general if is_general(plan) else candidates).append(row)
    reasons = []
    if not candidates and general:
        candidates, reasons = general, ["general_plan"]
    if not candidates:
        return Match(plan=None, reasons=["no_plan"])
    *_key, plan, level, cards = min(candidates, key=lambda c: c[:5])
    if level is None:
        cards = cards_for_level(plan, None)  # no level for the grade: every card of the plan
    return Match(plan=plan, level=level, cards=cards, reasons=reasons + ([] if level else ["no_level"]))
