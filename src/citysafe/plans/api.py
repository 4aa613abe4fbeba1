"""``/api/v1/plans``: plans, response levels, cards (JSON, DOCX, PDF), the plan for an incident, drills and
findings.  Thin over ``selectors``/``services``; objects outside the user's scope answer 404."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from citysafe.core.models import Organization
from citysafe.core.scoping import organization_in_scope, regions_in_scope
from citysafe.incidents.selectors import incidents_for

from . import cards as rendering
from . import selectors, services
from .errors import PermissionDenied, PlanError
from .models import PlanRevision
from .schemas import (
    CardIn,
    CardOut,
    DrillIn,
    DrillOut,
    FindingIn,
    FindingOut,
    HoldIn,
    LevelIn,
    LevelOut,
    MatchOut,
    PlanDetailOut,
    PlanIn,
    PlanOut,
    RevisionOut,
)

router = Router(tags=["plans"])


def _plan(request, plan_id):
    return get_object_or_404(selectors.plans_for(request.user), pk=plan_id)


def _cards(request, plan, level):
    response_level = None
    if level is not None:
        response_level = plan.response_levels.filter(level=level).first()
        if response_level is None:
            raise PlanError(_("预案未设置该响应级别"))
    show = selectors.may_see_phones(request.user, plan)
    return [selectors.card_data(c, show) for c in selectors.cards_for_level(plan, response_level)]


@router.get("", response=list[PlanOut])
def list_plans(request, level: str | None = None, status: str | None = None,
               limit: int = Query(200, ge=1, le=1000), offset: int = Query(0, ge=0, le=10**9)):
    qs = selectors.plans_for(request.user)
    if level:
        qs = qs.filter(level=level)
    if status:
        qs = qs.filter(status=status)
    return qs[offset:offset + limit]


@router.post("", response={201: PlanDetailOut})
def create_plan(request, payload: PlanIn):
    data = payload.dict()
    owner = get_object_or_404(Organization, pk=data.pop("owner_id"))
    if not organization_in_scope(request.user, owner.pk):
        raise PermissionDenied(_("编制单位不在您的管辖范围内。"))
    if data["level"] not in services.creatable_levels(request.user):
        raise PermissionDenied(_("您无权创建该层级的预案。"))
    adcode = data.pop("region_adcode")
    region = None
    if adcode:
        region = services.region_by_adcode(adcode)
        if region is None:
            raise PlanError(_("未知区划代码: %(code)s") % {"code": adcode})
        if not regions_in_scope(request.user).filter(pk=region.pk).exists():
            raise PermissionDenied(_("适用区域不在您的管辖范围内。"))
    plan = services.create_plan(user=request.user, owner=owner, region=region, **data)
    return Status(201, plan)


@router.get("/for-incident/{incident_id}", response=MatchOut)
def for_incident(request, incident_id: int):
    incident = get_object_or_404(incidents_for(request.user), pk=incident_id)
    match = selectors.matching_plan(incident, selectors.plans_for(request.user))
    show = match.plan is not None and selectors.may_see_phones(request.user, match.plan)
    return {"incident_id": incident.pk, "plan": match.plan, "level": match.level.level if match.level else None,
            "cards": [selectors.card_data(c, show) for c in match.cards], "reasons": match.reasons}


@router.get("/drills", response=list[DrillOut])
def list_drills(request, plan_id: int | None = None, status: str | None = None,
                limit: int = Query(200, ge=1, le=1000), offset: int = Query(0, ge=0, le=10**9)):
    qs = selectors.drills_for(request.user)
    if plan_id:
        qs = qs.filter(plan_id=plan_id)
    if status:
        qs = qs.filter(status=status)
    return qs[offset:offset + limit]


@router.post("/drills", response={201: DrillOut})
def create_drill(request, payload: DrillIn):
    data = payload.dict()
    plan = _plan(request, data.pop("plan_id"))
    organiser_id = data.pop("organiser_id")
    organiser = get_object_or_404(Organization, pk=organiser_id) if organiser_id else None
    return Status(201, services.create_drill(user=request.user, plan=plan, organiser=organiser, **data))


@router.get("/drills/{drill_id}", response=DrillOut)
def drill_detail(request, drill_id: int):
    return get_object_or_404(selectors.drills_for(request.user), pk=drill_id)


@router.post("/drills/{drill_id}/hold", response=DrillOut)
def hold_drill(request, drill_id: int, payload: HoldIn):
    drill = get_object_or_404(selectors.drills_for(request.user), pk=drill_id)
    data = payload.dict()
    for finding in data["findings"]:
        finding["region"] = finding.pop("region_adcode", None)
    return services.hold_drill(user=request.user, drill=drill, **data)


@router.post("/drills/{drill_id}/cancel", response=DrillOut)
def cancel_drill(request, drill_id: int):
    drill = get_object_or_404(selectors.drills_for(request.user), pk=drill_id)
    return services.cancel_drill(user=request.user, drill=drill)


@router.post("/drills/{drill_id}/findings", response={201: FindingOut})
def add_finding(request, drill_id: int, payload: FindingIn):
    drill = get_object_or_404(selectors.drills_for(request.user), pk=drill_id)
    data = payload.dict()
    data["region"] = data.pop("region_adcode", None)
    return Status(201, services.add_finding(user=request.user, drill=drill, **data))


@router.post("/{plan_id}/revisions/{revision_id}/close", response=RevisionOut)
def close_revision(request, plan_id: int, revision_id: int):
    plan = _plan(request, plan_id)
    revision = get_object_or_404(PlanRevision.objects.filter(plan=plan), pk=revision_id)
    return services.close_revision(user=request.user, revision=revision)


@router.get("/{plan_id}", response=PlanDetailOut)
def plan_detail(request, plan_id: int):
    return _plan(request, plan_id)


@router.post("/{plan_id}/levels", response=LevelOut)
def set_level(request, plan_id: int, payload: LevelIn):
    return services.set_response_level(user=request.user, plan=_plan(request, plan_id), **payload.dict())


@router.get("/{plan_id}/cards", response=list[CardOut])
def plan_cards(request, plan_id: int, level: int | None = Query(None, ge=1, le=4)):
    return _cards(request, _plan(request, plan_id), level)


@router.post("/{plan_id}/cards", response={201: CardOut})
def add_card(request, plan_id: int, payload: CardIn):
    plan = _plan(request, plan_id)
    data = payload.dict()
    card = services.save_card(user=request.user, plan=plan, **data)
    return Status(201, selectors.card_data(card, selectors.may_see_phones(request.user, plan)))


@router.get("/{plan_id}/cards.docx", url_name="plan_cards_docx")
def plan_cards_docx(request, plan_id: int, level: int | None = Query(None, ge=1, le=4)):
    plan = _plan(request, plan_id)
    return cards_download(rendering.cards_to_docx(_cards(request, plan, level)), plan, "docx")


@router.get("/{plan_id}/cards.pdf", url_name="plan_cards_pdf")
def plan_cards_pdf(request, plan_id: int, level: int | None = Query(None, ge=1, le=4)):
    plan = _plan(request, plan_id)
    return cards_download(rendering.cards_to_pdf(_cards(request, plan, level)), plan, "pdf")


CONTENT_TYPES = {"pdf": "application/pdf",
                 "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def cards_download(data: bytes, plan, ext: str) -> HttpResponse:
    """The rendered cards as an attachment (shared by the API and the web page)."""
    response = HttpResponse(data, content_type=CONTENT_TYPES[ext])
    response["Content-Disposition"] = f'attachment; filename="cards-{plan.pk}.{ext}"'
    return response
