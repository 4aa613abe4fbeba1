"""Fixes from the newcomer review: creation scope, level parameters, long cards, drill scoping, matching, forms,
documents, drill findings of city plans, phones, limits and card wording."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from citysafe.core.models import Organization, Region
from citysafe.plans import cards as rendering
from citysafe.plans import selectors, services
from citysafe.plans.errors import PermissionDenied, PlanError
from citysafe.plans.models import Drill, EmergencyPlan, PlanRevision

YUZHONG = {"lon": 106.57, "lat": 29.555}
WANZHOU = {"lon": 108.40, "lat": 30.80}


def _org(name):
    return Organization.objects.get(name=name)


def _region(adcode):
    return Region.objects.filter(adcode=adcode).order_by("-valid_from").first()


@pytest.fixture
def wz_enterprise(reference):
    return Organization.objects.create(name="万州测试化工有限公司", kind="enterprise", region=_region("500101"))


# 1. scope of plan creation ---------------------------------------------------------------------------------------

def test_district_user_creates_only_in_own_district(reference, yuzhong, wz_enterprise):
    yz_gov, wz_gov = _org("渝中区政府"), _org("万州区政府")
    cases = [
        {"level": "district", "owner": wz_gov, "region": _region("500101")},  # another district
        {"level": "district", "owner": wz_gov, "region": _region("500103")},  # owned by another district
        {"level": "district", "owner": yz_gov, "region": _region("500101")},  # region of another district
        {"level": "city", "owner": yz_gov, "region": _region("500000")},  # city plans: municipal only
        {"level": "enterprise", "owner": wz_enterprise, "region": _region("500101")},  # other district's company
    ]
    for i, case in enumerate(cases):
        with pytest.raises(PermissionDenied):
            services.create_plan(user=yuzhong, name="p", code=f"S{i}", **case)
    assert services.create_plan(user=yuzhong, name="p", code="OK", level="district", owner=yz_gov,
                                region=_region("500103")).pk


def test_enterprise_user_only_own_enterprise_plans(reference, enterprise_user, enterprise):
    with pytest.raises(PermissionDenied):
        services.create_plan(user=enterprise_user, name="p", code="E1", level="district", owner=enterprise,
                             region=_region("500103"))
    with pytest.raises(PermissionDenied):
        services.create_plan(user=enterprise_user, name="p", code="E2", level="city", owner=enterprise,
                             region=_region("500000"))
    with pytest.raises(PlanError):  # an enterprise plan's region is the owner's region
        services.create_plan(user=enterprise_user, name="p", code="E3", level="enterprise", owner=enterprise,
                             region=_region("500101"))
    assert services.create_plan(user=enterprise_user, name="p", code="E4", level="enterprise",
                                owner=enterprise).region == enterprise.region


def test_api_create_scope(api_client, token_for, yuzhong, enterprise_user, enterprise):
    api = api_client(token_for(yuzhong))
    base = {"name": "p", "code": "A1", "level": "district", "owner_id": _org("渝中区政府").pk,
            "region_adcode": "500103"}
    out = api.post("/plans", {**base, "owner_id": _org("万州区政府").pk})
    assert out.status_code == 403 and "管辖范围" in out.json()["detail"]
    assert api.post("/plans", {**base, "region_adcode": "500101"}).status_code == 403
    assert api.post("/plans", {**base, "level": "city", "region_adcode": "500000"}).status_code == 403
    assert api.post("/plans", {**base, "owner_id": 999999}).status_code == 404
    assert api.post("/plans", base).status_code == 201
    ent = api_client(token_for(enterprise_user))
    assert ent.post("/plans", {**base, "code": "A2", "owner_id": enterprise.pk}).status_code == 403
    created = ent.post("/plans", {**base, "code": "A3", "owner_id": enterprise.pk, "level": "enterprise",
                                  "region_adcode": None})
    assert created.status_code == 201, created.content


# 2. level parameter ----------------------------------------------------------------------------------------------

def test_bad_level_parameter_is_404(client, admin_user, demo):
    plan = demo["DEMO-CQ-DZZH"]
    client.force_login(admin_user)
    for url in (f"/plans/{plan.pk}/cards/?level=abc", f"/plans/{plan.pk}/cards.pdf?level=abc",
                f"/plans/{plan.pk}/cards.docx?level=0", f"/plans/{plan.pk}/cards/?level=1.5"):
        assert client.get(url).status_code == 404, url


# 3. long card PDF ------------------------------------------------------------------------------------------------

def test_long_card_flows_across_pages(demo, admin_user):
    plan = demo["DEMO-CQ-DZZH"]
    long_line = "禁止在滑坡体下方停留" * 100  # 1000 characters
    card = services.save_card(user=admin_user, plan=plan, role="长卡", steps=[{"title": "a", "detail": "细" * 500}],
                              prohibitions="\n".join([long_line] * 5), reminders="注意" * 500)
    data = rendering.cards_to_pdf([selectors.card_data(card, True)])
    assert len(PdfReader(io.BytesIO(data)).pages) >= 2
    with pytest.raises(PlanError):
        services.save_card(user=admin_user, plan=plan, role="长卡", steps=[{"title": "a"}], prohibitions="x" * 5000)
    raw = {**selectors.card_data(card, True), "prohibitions": ["禁" * 5000]}  # renderer caps a line itself
    assert rendering.cards_to_pdf([raw]).startswith(b"%PDF")


# 4. drill scoping ------------------------------------------------------------------------------------------------

def test_drills_scoped_by_organiser(demo, admin_user, yuzhong, wanzhou, enterprise_user, enterprise):
    city = demo["DEMO-CQ-WHP"]
    services.create_drill(user=admin_user, plan=city, title="市局危化演练", kind="tabletop",
                          planned_date=timezone.localdate())
    services.create_drill(user=enterprise_user, plan=city, title="企业危化演练", kind="functional",
                          planned_date=timezone.localdate(), organiser=enterprise)
    titles = lambda user: set(selectors.drills_for(user).values_list("title", flat=True))  # noqa: E731
    assert "市局危化演练" not in titles(wanzhou) and "市局危化演练" not in titles(yuzhong)
    assert titles(wanzhou) == {"万州区滑坡避险转移桌面推演(演示)"}
    assert "企业危化演练" in titles(yuzhong)  # organised in 渝中
    assert titles(enterprise_user) == {"企业危化演练"}
    assert {"市局危化演练", "企业危化演练"} <= titles(admin_user)


# 5. matching -----------------------------------------------------------------------------------------------------

def test_plan_with_cards_preferred_and_general_fallback(demo, admin_user, yuzhong, make_incident):
    services.create_plan(user=yuzhong, name="空预案", code="EMPTY", level="district", owner=_org("渝中区政府"),
                         region=_region("500103"), incident_kind="natural_disaster", hazard_codes=["landslide"],
                         status="active")
    landslide = make_incident(kind="natural_disaster", disaster_type="landslide", deaths=120, **YUZHONG)
    assert selectors.matching_plan(landslide).plan == demo["DEMO-CQ-DZZH"]  # the empty district plan loses
    drought = make_incident(kind="natural_disaster", disaster_type="drought", **WANZHOU)
    assert selectors.matching_plan(drought).plan is None
    general = services.create_plan(user=admin_user, name="重庆市突发事件总体应急预案", code="ZT", level="city",
                                   owner=_org("市应急管理局"), region=_region("500000"), status="active")
    match = selectors.matching_plan(drought)
    assert match.plan == general and "general_plan" in match.reasons
    assert selectors.matching_plan(landslide).plan == demo["DEMO-CQ-DZZH"]  # the general plan is only a fallback


def test_unknown_hazard_codes_rejected(reference, admin_user):
    with pytest.raises(PlanError, match="未知的行业/灾种代码"):
        services.create_plan(user=admin_user, name="p", code="H1", level="city", owner=_org("市应急管理局"),
                             hazard_codes=["flod"], region=_region("500000"))
    with pytest.raises(PlanError):
        services.create_plan(user=admin_user, name="p", code="H2", level="city", owner=_org("市应急管理局"),
                             hazard_codes=["x" * 41], region=_region("500000"))
    plan = services.create_plan(user=admin_user, name="p", code="H3", level="city", owner=_org("市应急管理局"),
                                hazard_codes=["flood", "hazardous_chemicals", "gas_leak"], region=_region("500000"))
    assert plan.hazard_codes == ["flood", "hazardous_chemicals", "gas_leak"]


# 6. enterprise web form ------------------------------------------------------------------------------------------

def test_enterprise_creates_plan_in_web_form(client, enterprise_user, enterprise):
    client.force_login(enterprise_user)
    page = client.get("/plans/new/").content.decode()
    assert 'value="enterprise"' in page and 'value="district"' not in page and 'value="city"' not in page
    response = client.post("/plans/new/", {"name": "企业综合预案", "code": "QY-1", "level": "enterprise",
                                           "owner": enterprise.pk, "version": "1.0", "status": "draft"})
    assert response.status_code == 302, response.content.decode()[-1500:]
    assert EmergencyPlan.objects.get(code="QY-1").region == enterprise.region


# 7. levels, cards, revisions, cancel -----------------------------------------------------------------------------

def test_level_and_card_forms(client, yuzhong, wanzhou, reference):
    plan = services.create_plan(user=yuzhong, name="p", code="F1", level="district", owner=_org("渝中区政府"),
                                region=_region("500103"))
    client.force_login(yuzhong)
    assert client.post(f"/plans/{plan.pk}/levels/new/", {"level": 2, "grades": ["large"],
                                                          "activation_criteria": "较大"}).status_code == 302
    clash = client.post(f"/plans/{plan.pk}/levels/new/", {"level": 3, "grades": ["large"]})
    assert clash.status_code == 200 and "一个等级只能对应一个响应级别" in clash.content.decode()
    response = client.post(f"/plans/{plan.pk}/cards/new/", {
        "role": "值班员", "level": "2", "order": 0, "steps_text": "接报 | 核实信息 | 90 | 📞\n上报 | | 120",
        "contacts_text": "值班室 | 24小时 | 023-12345678 | 公开\n李四 | 科长 | 13912345678",
        "prohibitions": "禁止瞒报", "reminders": ""})
    assert response.status_code == 302, response.content.decode()[-1500:]
    card = plan.cards.get()
    assert card.steps[0]["time_limit_min"] == 90 and card.contacts[0]["public"] and card.response_level.level == 2
    assert client.post(f"/plans/{plan.pk}/cards/new/", {"role": "x", "order": 0, "steps_text": " "}).status_code == 200
    edit = client.post(f"/plans/{plan.pk}/cards/{card.pk}/edit/", {"role": "值班长", "order": 1,
                                                                    "steps_text": "接报"})
    assert edit.status_code == 302 and plan.cards.get().role == "值班长"
    client.force_login(wanzhou)
    assert client.get(f"/plans/{plan.pk}/cards/new/").status_code == 404
    client.force_login(yuzhong)
    assert client.post(f"/plans/{plan.pk}/cards/{card.pk}/delete/").status_code == 302
    assert client.post(f"/plans/{plan.pk}/levels/2/delete/").status_code == 302
    assert not plan.cards.exists() and not plan.response_levels.exists()


def test_close_revision_web_and_api_and_cancel_drill(client, api_client, token_for, demo, yuzhong, wanzhou):
    plan = demo["DEMO-YZ-FX"]
    revision = PlanRevision.objects.get(plan=plan)
    assert api_client(token_for(wanzhou)).post(f"/plans/{plan.pk}/revisions/{revision.pk}/close").status_code == 404
    client.force_login(yuzhong)
    assert client.post(f"/plans/{plan.pk}/revisions/{revision.pk}/close/").status_code == 302
    revision.refresh_from_db()
    assert revision.status == "done"
    again = api_client(token_for(yuzhong)).post(f"/plans/{plan.pk}/revisions/{revision.pk}/close")
    assert again.status_code == 400
    other = PlanRevision.objects.create(plan=plan, description="再次修订")
    closed = api_client(token_for(yuzhong)).post(f"/plans/{plan.pk}/revisions/{other.pk}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "done"
    drill = services.create_drill(user=yuzhong, plan=plan, title="待取消", kind="tabletop",
                                  planned_date=timezone.localdate())
    assert client.post(f"/plans/drills/{drill.pk}/cancel/").status_code == 302
    drill.refresh_from_db()
    assert drill.status == "cancelled"


# 8. plan document ------------------------------------------------------------------------------------------------

def test_plan_document_upload_and_scoped_download(client, settings, tmp_path, yuzhong, wanzhou, reference):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(yuzhong)
    form = {"name": "带原文", "code": "DOC-1", "level": "district", "owner": _org("渝中区政府").pk,
            "region": _region("500103").pk, "version": "1.0", "status": "draft"}
    bad = client.post("/plans/new/", {**form, "source_document": SimpleUploadedFile("x.html", b"<script>")})
    assert bad.status_code == 200 and "PDF" in bad.content.decode()
    ok = client.post("/plans/new/", {**form, "source_document": SimpleUploadedFile("我的预案.pdf", b"%PDF-1.4 x")})
    assert ok.status_code == 302, ok.content.decode()[-1500:]
    plan = EmergencyPlan.objects.get(code="DOC-1")
    assert plan.source_document.name.startswith("plans/") and "我的预案" not in plan.source_document.name
    detail = client.get(f"/plans/{plan.pk}/").content.decode()
    assert f"/plans/{plan.pk}/document/" in detail and "/media/" not in detail
    download = client.get(f"/plans/{plan.pk}/document/")
    assert download.status_code == 200 and download["X-Content-Type-Options"] == "nosniff"
    client.force_login(wanzhou)
    assert client.get(f"/plans/{plan.pk}/document/").status_code == 404


# 9/10. findings of city-plan drills, organiser field -------------------------------------------------------------

def test_city_plan_drill_findings_need_a_district(demo, admin_user, api_client, token_for):
    drill = services.create_drill(user=admin_user, plan=demo["DEMO-CQ-WHP"], title="市级演练", kind="tabletop",
                                  planned_date=timezone.localdate())
    with pytest.raises(PlanError, match="区县"):
        services.hold_drill(user=admin_user, drill=drill, participants_count=5,
                            findings=[{"description": "消防通道堵塞", "kind": "hazard"}])
    assert Drill.objects.get(pk=drill.pk).status == "planned"  # nothing saved, with a clear error
    api = api_client(token_for(admin_user))
    failed = api.post(f"/plans/drills/{drill.pk}/hold", {"findings": [{"description": "消防通道堵塞",
                                                                        "kind": "hazard"}]})
    assert failed.status_code == 400 and "消防通道堵塞" in failed.json()["detail"]
    held = api.post(f"/plans/drills/{drill.pk}/hold", {"findings": [
        {"description": "消防通道堵塞", "kind": "hazard", "region_adcode": "500101"}]})
    assert held.status_code == 200, held.content
    finding = Drill.objects.get(pk=drill.pk).findings.get()
    assert finding.hazard.region.adcode == "500101"


def test_enterprise_drill_of_city_plan_registers_own_hazard(demo, enterprise_user, enterprise):
    drill = services.create_drill(user=enterprise_user, plan=demo["DEMO-CQ-WHP"], title="企业演练",
                                  kind="functional", planned_date=timezone.localdate(), organiser=enterprise)
    services.hold_drill(user=enterprise_user, drill=drill, participants_count=8,
                        findings=[{"description": "应急灯损坏", "kind": "hazard"}])
    assert drill.findings.get().hazard.enterprise == enterprise


def test_web_drill_form_has_organiser_limited_to_own(client, demo, wanzhou):
    plan = demo["DEMO-CQ-DZZH"]
    client.force_login(wanzhou)
    form = {"title": "万州区演练", "kind": "tabletop", "planned_date": "2026-12-01"}
    assert client.post(f"/plans/{plan.pk}/drills/new/", form).status_code == 200  # organiser: the city bureau
    other = client.post(f"/plans/{plan.pk}/drills/new/", {**form, "organiser": _org("渝中区政府").pk})
    assert other.status_code == 200 and not Drill.objects.filter(title="万州区演练").exists()
    ok = client.post(f"/plans/{plan.pk}/drills/new/", {**form, "organiser": _org("万州区政府").pk})
    assert ok.status_code == 302
    drill = Drill.objects.get(title="万州区演练")
    hold = client.post(f"/plans/drills/{drill.pk}/hold/", {
        "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "participants_count": 3,
        "hazard_findings": "避险路线标识缺失"})
    assert hold.status_code == 302
    assert drill.findings.get().hazard.region.adcode == "500101"  # the organiser's district by default


# 11. phones ------------------------------------------------------------------------------------------------------

def test_duty_lines_never_masked(demo, wanzhou, admin_user):
    plan = demo["DEMO-YZ-FX"]
    card = services.save_card(user=admin_user, plan=plan, role="电话", steps=[{"title": "a"}], contacts=[
        {"name": "值班室", "phone": "023-63800000"}, {"name": "热线", "phone": "12345"},
        {"name": "值班手机", "phone": "13911112222", "public": True}, {"name": "张三", "phone": "13911113333"}])
    phones = [c["phone"] for c in selectors.card_data(card, False)["contacts"]]
    assert phones == ["023-63800000", "12345", "13911112222", "139****3333"]


# 12. limits ------------------------------------------------------------------------------------------------------

def test_limits(demo, yuzhong, admin_user):
    plan = demo["DEMO-YZ-FX"]
    with pytest.raises(PlanError):
        services.create_drill(user=yuzhong, plan=plan, title="t", kind="tabletop", planned_date=dt.date(1999, 1, 1))
    drill = services.create_drill(user=yuzhong, plan=plan, title="t", kind="tabletop",
                                  planned_date=timezone.localdate())
    with pytest.raises(PlanError):
        services.hold_drill(user=yuzhong, drill=drill, held_at=timezone.make_aware(dt.datetime(1990, 1, 1)))
    with pytest.raises(PlanError):
        services.hold_drill(user=yuzhong, drill=drill, summary="x" * 20_001)
    with pytest.raises(PlanError):
        services.hold_drill(user=yuzhong, drill=drill, findings=[{"description": "x" * 2001, "kind": "plan_change"}])
    with pytest.raises(PlanError):
        services.update_plan(user=yuzhong, plan=plan, hazard_codes=["flood"] * 1 + [f"c{i}" for i in range(30)])
    with pytest.raises(PlanError, match="一个等级只能对应一个响应级别"):
        services.set_response_level(user=yuzhong, plan=plan, level=1, grades=["level_4"])
    with pytest.raises(PlanError):
        services.save_card(user=yuzhong, plan=plan, role="x", steps=[])
    with pytest.raises(PlanError):
        services.save_card(user=yuzhong, plan=plan, role="x", steps=[{"title": "a"}],
                           contacts=[{"name": "a", "phone": "<script>"}])


def test_api_limits(api_client, token_for, demo, yuzhong):
    api = api_client(token_for(yuzhong))
    plan = demo["DEMO-YZ-FX"]
    assert api.post("/plans/drills", {"plan_id": plan.pk, "title": "x", "kind": "tabletop",
                                      "planned_date": "2201-01-01"}).status_code == 400
    assert api.post(f"/plans/{plan.pk}/cards", {"role": "x", "steps": []}).status_code == 422
    assert api.post(f"/plans/{plan.pk}/cards", {"role": "x", "steps": [{"title": "a"}], "contacts": [
        {"name": "a", "phone": "abc"}]}).status_code == 422


# 13. wording -----------------------------------------------------------------------------------------------------

def test_card_wording(client, admin_user, demo):
    plan = demo["DEMO-CQ-WHP"]
    card = services.save_card(user=admin_user, plan=plan, role="措辞", steps=[{"title": "a", "time_limit_min": 120}],
                              prohibitions="禁止吸烟\n使用明火", reminders="注意：佩戴呼吸器")
    client.force_login(admin_user)
    page = client.get(f"/plans/{plan.pk}/cards/").content.decode()
    assert "2 小时内" in page and "120 分钟内" not in page
    assert "禁止: 禁止" not in page and "禁止：禁止" not in page and "禁止：使用明火" in page
    data = selectors.card_data(card, True)
    assert data["reminders"] == ["佩戴呼吸器"] and data["steps"][0]["time_limit_label"] == "2 小时内"
    assert rendering.labelled("禁止", "禁止吸烟") == "禁止吸烟"
