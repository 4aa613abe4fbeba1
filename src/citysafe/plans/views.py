"""Plan pages: list, detail, create/edit, printable cards (HTML, DOCX, PDF), the plan for an incident, drills.
Thin over selectors/services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from citysafe.core.roles import can_write
from citysafe.incidents.selectors import incidents_for

from . import cards as rendering
from . import selectors, services
from .api import CONTENT_TYPES, cards_download
from .errors import PermissionDenied, PlanError
from .forms import CardForm, DrillForm, HoldForm, LevelForm, PlanForm
from .models import PlanLevel, PlanRevision


@login_required
def plan_list(request):
    plans = selectors.plans_for(request.user)
    level = request.GET.get("level")
    if level in PlanLevel.values:
        plans = plans.filter(level=level)
    return render(request, "plans/plan_list.html", {
        "plans": plans, "levels": PlanLevel.choices, "level": level, "can_write": can_write(request.user)})


@login_required
def plan_detail(request, pk):
    plan = get_object_or_404(selectors.plans_for(request.user), pk=pk)
    return render(request, "plans/plan_detail.html", {
        "plan": plan, "levels": plan.response_levels.all(), "cards": plan.cards.select_related("response_level"),
        "drills": plan.drills.all(), "revisions": plan.revisions.all(),
        "can_edit": services.can_edit(request.user, plan)})


def _plan_form(request, plan=None):
    if not can_write(request.user) or (plan is not None and not services.can_edit(request.user, plan)):
        raise HttpForbidden
    form = PlanForm(request.POST or None, request.FILES or None, instance=plan, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.service_fields()
        try:
            if plan is None:
                plan = services.create_plan(user=request.user, **data)
            else:
                plan = services.update_plan(user=request.user, plan=plan, **data)
        except (PlanError, PermissionDenied) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已保存预案: %(name)s") % {"name": plan.name})
            return redirect("plans:plan_detail", plan.pk)
    return render(request, "plans/plan_form.html", {"form": form, "plan": plan})


@login_required
def plan_create(request):
    return _plan_form(request)


@login_required
def plan_edit(request, pk):
    return _plan_form(request, get_object_or_404(selectors.plans_for(request.user), pk=pk))


def _level_cards(request, plan):
    level = None
    raw = request.GET.get("level")
    if raw:
        if raw not in ("1", "2", "3", "4"):
            raise Http404
        level = plan.response_levels.filter(level=int(raw)).first()
        if level is None:
            raise Http404
    show = selectors.may_see_phones(request.user, plan)
    return level, [selectors.card_data(c, show) for c in selectors.cards_for_level(plan, level)]


@login_required
def plan_cards(request, pk):
    """Printable cards page: one card per A4 page (print stylesheet in the template)."""
    plan = get_object_or_404(selectors.plans_for(request.user), pk=pk)
    level, cards = _level_cards(request, plan)
    return render(request, "plans/cards.html", {"plan": plan, "level": level, "cards": cards})


@login_required
def plan_cards_download(request, pk, fmt):
    if fmt not in CONTENT_TYPES:
        raise Http404
    plan = get_object_or_404(selectors.plans_for(request.user), pk=pk)
    _level, cards = _level_cards(request, plan)
    data = rendering.cards_to_docx(cards) if fmt == "docx" else rendering.cards_to_pdf(cards)
    return cards_download(data, plan, fmt)


@login_required
def for_incident(request, incident_id):
    """The plan matched to an incident, the level its grade activates and that level's cards."""
    incident = get_object_or_404(incidents_for(request.user), pk=incident_id)
    match = selectors.matching_plan(incident, selectors.plans_for(request.user))
    show = match.plan is not None and selectors.may_see_phones(request.user, match.plan)
    return render(request, "plans/for_incident.html", {
        "incident": incident, "match": match, "cards": [selectors.card_data(c, show) for c in match.cards]})


@login_required
def drill_list(request):
    drills = selectors.drills_for(request.user)
    return render(request, "plans/drill_list.html", {"drills": drills[:500]})


@login_required
def drill_create(request, pk):
    plan = get_object_or_404(selectors.plans_for(request.user), pk=pk)
    if not can_write(request.user):
        raise HttpForbidden
    form = DrillForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            drill = services.create_drill(user=request.user, plan=plan, **form.cleaned_data)
        except (PlanError, PermissionDenied) as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("plans:drill_detail", drill.pk)
    return render(request, "plans/drill_form.html", {"form": form, "plan": plan})


@login_required
def drill_detail(request, pk):
    drill = get_object_or_404(selectors.drills_for(request.user), pk=pk)
    return render(request, "plans/drill_detail.html", {
        "drill": drill, "findings": drill.findings.select_related("hazard", "revision"),
        "can_edit": services.can_edit_drill(request.user, drill), "planned": drill.status == "planned"})


@login_required
def drill_hold(request, pk):
    drill = get_object_or_404(selectors.drills_for(request.user), pk=pk)
    if not services.can_edit_drill(request.user, drill):
        raise HttpForbidden
    form = HoldForm(request.POST or None, user=request.user,
                    initial={"held_at": timezone.localtime().replace(second=0, microsecond=0),
                             "participant_units": drill.participant_units})
    if request.method == "POST" and form.is_valid():
        data = form.service_fields()
        findings = form.findings()
        try:
            services.hold_drill(user=request.user, drill=drill, findings=findings, **data)
        except (PlanError, PermissionDenied) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已记录演练情况"))
            return redirect("plans:drill_detail", drill.pk)
    return render(request, "plans/drill_hold.html", {"form": form, "drill": drill})



@login_required
def plan_document(request, pk):
    """The plan's source document, only to users who may see the plan (never a public /media/ URL)."""
    plan = get_object_or_404(selectors.plans_for(request.user), pk=pk)
    if not plan.source_document:
        raise Http404
    from pathlib import Path

    from citysafe.core.uploads import serve_file

    return serve_file(plan.source_document, f"{plan.code}{Path(plan.source_document.name).suffix}")


def _editable_plan(request, pk):
    plan = get_object_or_404(selectors.plans_for(request.user), pk=pk)
    if not services.can_edit(request.user, plan):
        raise HttpForbidden
    return plan


@login_required
def level_edit(request, pk, level=None):
    """Add (``level`` None) or change one response level."""
    plan = _editable_plan(request, pk)
    instance = get_object_or_404(plan.response_levels, level=level) if level is not None else None
    initial = ({"level": instance.level, "grades": instance.grades,
                "activation_criteria": instance.activation_criteria} if instance else None)
    form = LevelForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_response_level(user=request.user, plan=plan, **form.cleaned_data)
        except (PlanError, PermissionDenied) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已保存响应级别。"))
            return redirect("plans:plan_detail", plan.pk)
    return render(request, "plans/level_form.html", {"form": form, "plan": plan, "instance": instance})


@login_required
def level_delete(request, pk, level):
    plan = _editable_plan(request, pk)
    instance = get_object_or_404(plan.response_levels, level=level)
    if request.method == "POST":
        services.delete_response_level(user=request.user, level=instance)
        messages.success(request, _("已删除响应级别。"))
        return redirect("plans:plan_detail", plan.pk)
    return render(request, "plans/confirm_delete.html", {"plan": plan, "object": instance})


@login_required
def card_edit(request, pk, card_id=None):
    """Add (``card_id`` None) or change one role card."""
    plan = _editable_plan(request, pk)
    card = get_object_or_404(plan.cards, pk=card_id) if card_id is not None else None
    form = CardForm(request.POST or None, plan=plan, initial=CardForm.initial_for(card) if card else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_card(user=request.user, plan=plan, card=card, **form.service_fields())
        except (PlanError, PermissionDenied) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已保存处置卡。"))
            return redirect("plans:plan_detail", plan.pk)
    return render(request, "plans/card_form.html", {"form": form, "plan": plan, "card": card})


@login_required
def card_delete(request, pk, card_id):
    plan = _editable_plan(request, pk)
    card = get_object_or_404(plan.cards, pk=card_id)
    if request.method == "POST":
        services.delete_card(user=request.user, card=card)
        messages.success(request, _("已删除处置卡。"))
        return redirect("plans:plan_detail", plan.pk)
    return render(request, "plans/confirm_delete.html", {"plan": plan, "object": card})


@login_required
def revision_close(request, pk, revision_id):
    plan = _editable_plan(request, pk)
    revision = get_object_or_404(PlanRevision.objects.filter(plan=plan), pk=revision_id)
    if request.method != "POST":
        return redirect("plans:plan_detail", plan.pk)
    try:
        services.close_revision(user=request.user, revision=revision)
    except PlanError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("修订事项已标记为完成。"))
    return redirect("plans:plan_detail", plan.pk)


@login_required
def drill_cancel(request, pk):
    drill = get_object_or_404(selectors.drills_for(request.user), pk=pk)
    if not services.can_edit_drill(request.user, drill):
        raise HttpForbidden
    if request.method == "POST":
        try:
            services.cancel_drill(user=request.user, drill=drill)
        except PlanError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已取消演练。"))
    return redirect("plans:drill_detail", drill.pk)
