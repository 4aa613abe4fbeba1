"""Major-hazard determination page: tick the observed situations, see the proposal, confirm it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from . import selectors, services
from .determination import PackError, propose
from .errors import HazardError
from .models import DeterminationPack, HazardGrade
from .packs import can_determine, confirm_determination, current_packs, pack_of


@login_required
def determination_form(request, pk):
    hazard = get_object_or_404(selectors.hazards_for(request.user), pk=pk)
    if not can_determine(request.user, hazard):
        raise HttpForbidden
    packs = list(current_packs())
    if hazard.determination_pack and hazard.determination_pack not in packs:
        packs.insert(0, hazard.determination_pack)  # the version it was judged by stays available
    chosen_id = request.POST.get("pack") or request.GET.get("pack") or (
        hazard.determination_pack_id or (packs[0].pk if packs else None))
    pack_model = get_object_or_404(DeterminationPack, pk=chosen_id) if chosen_id else None
    ticked = request.POST.getlist("item") if request.method == "POST" else list(hazard.determination_items or [])
    proposal = None
    if pack_model is not None and request.method == "POST":
        try:
            if request.POST.get("confirm"):
                proposal = confirm_determination(user=request.user, hazard=hazard, pack_model=pack_model,
                                                 ticked_ids=ticked, comment=request.POST.get("comment", ""))
                if proposal.grade == HazardGrade.MAJOR:
                    services.list_for_supervision(hazard, request.user)
                messages.success(request, _("已确认判定: %(grade)s") % {"grade": hazard.get_grade_display()})
                return redirect("hazards:hazard_detail", hazard.pk)
            proposal = propose(pack_of(pack_model), ticked)
        except (PackError, HazardError) as exc:
            messages.error(request, str(exc))
    return render(request, "hazards/determination_form.html", {
        "hazard": hazard, "packs": packs, "pack_model": pack_model,
        "pack": pack_of(pack_model) if pack_model else None, "ticked": set(ticked), "proposal": proposal})
