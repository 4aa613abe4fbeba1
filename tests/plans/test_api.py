"""``/api/v1/plans``: list/detail, create, levels, cards JSON and downloads, for-incident, drills, findings, 4xx."""

import io

from pypdf import PdfReader

from citysafe.core.models import Organization


def test_list_detail_and_scoping(api_client, token_for, demo, wanzhou, yuzhong):
    api = api_client(token_for(wanzhou))
    codes = {p["code"] for p in api.get("/plans").json()}
    assert codes == {"DEMO-CQ-DZZH", "DEMO-CQ-WHP"}
    assert api.get(f"/plans/{demo['DEMO-YZ-FX'].pk}").status_code == 404
    assert api.get(f"/plans/{demo['DEMO-YZ-FX'].pk}/cards").status_code == 404
    detail = api_client(token_for(yuzhong)).get(f"/plans/{demo['DEMO-YZ-FX'].pk}").json()
    assert [lv["level"] for lv in detail["response_levels"]] == [1, 2, 3, 4]
    assert api_client().get("/plans").status_code == 401


def test_create_plan_levels_and_cards(api_client, token_for, yuzhong, wanzhou):
    owner = Organization.objects.get(name="渝中区政府")
    payload = {"name": "渝中区危化预案", "code": "YZ-WH", "level": "district", "owner_id": owner.pk,
               "region_adcode": "500103", "incident_kind": "accident", "hazard_codes": ["hazardous_chemicals"],
               "status": "active"}
    assert api_client(token_for(wanzhou)).post("/plans", payload).status_code == 403
    api = api_client(token_for(yuzhong))
    created = api.post("/plans", payload)
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert api.post("/plans", payload).status_code == 400  # duplicate code
    assert api.post("/plans", {**payload, "code": "X", "region_adcode": "999999"}).status_code == 400
    assert api.post("/plans", {**payload, "code": "X", "level": "galaxy"}).status_code == 422
    assert api.post(f"/plans/{pk}/levels", {"level": 2, "grades": ["large"]}).status_code == 200
    assert api.post(f"/plans/{pk}/levels", {"level": 2, "grades": ["huge"]}).status_code == 400
    assert api.post(f"/plans/{pk}/levels", {"level": 7}).status_code == 422
    card = api.post(f"/plans/{pk}/cards", {"role": "现场指挥长", "level": 2, "contacts": [
        {"name": "李四", "phone": "13912345678"}], "steps": [{"title": "警戒", "time_limit_min": 30, "icon": "🚧"}]})
    assert card.status_code == 201, card.content
    assert card.json()["steps"][0]["no"] == 1 and card.json()["contacts"][0]["phone"] == "13912345678"
    assert api.post(f"/plans/{pk}/cards", {"role": "x", "level": 3, "steps": [{"title": "a"}]}).status_code == 400
    assert api.post(f"/plans/{pk}/cards", {"role": "x", "steps": [{"title": ""}]}).status_code == 422
    assert api.get(f"/plans/{pk}/cards?level=2").json()[0]["role"] == "现场指挥长"
    assert api.get(f"/plans/{pk}/cards?level=3").status_code == 400


def test_card_downloads_and_masking(api_client, token_for, demo, wanzhou):
    api = api_client(token_for(wanzhou))
    plan = demo["DEMO-CQ-WHP"]
    cards = api.get(f"/plans/{plan.pk}/cards").json()
    assert cards[0]["contacts"][1]["phone"] == "138****0001"
    pdf = api.get(f"/plans/{plan.pk}/cards.pdf")
    assert pdf.status_code == 200 and len(PdfReader(io.BytesIO(pdf.content)).pages) == len(cards)
    docx = api.get(f"/plans/{plan.pk}/cards.docx", level=3)
    assert docx.status_code == 200 and docx["Content-Type"].endswith("wordprocessingml.document")
    assert api.get(f"/plans/{plan.pk}/cards.pdf", level=5).status_code == 422


def test_for_incident(api_client, token_for, demo, yuzhong, wanzhou, make_incident):
    incident = make_incident(kind="natural_disaster", disaster_type="flood", relocated=600_000,
                             lon=106.57, lat=29.555)
    body = api_client(token_for(yuzhong)).get(f"/plans/for-incident/{incident.pk}").json()
    assert body["plan"]["code"] == "DEMO-YZ-FX" and body["level"] == 3 and body["reasons"] == []
    assert {c["role"] for c in body["cards"]} == {"值班员", "街道防汛责任人"}
    assert api_client(token_for(wanzhou)).get(f"/plans/for-incident/{incident.pk}").status_code == 404
    other = make_incident(kind="other", lon=106.57, lat=29.555)
    none = api_client(token_for(yuzhong)).get(f"/plans/for-incident/{other.pk}").json()
    assert none["plan"] is None and none["cards"] == [] and none["reasons"] == ["no_plan"]


def test_drills_crud_and_findings(api_client, token_for, demo, yuzhong, wanzhou):
    api = api_client(token_for(yuzhong))
    plan = demo["DEMO-YZ-FX"]
    created = api.post("/plans/drills", {"plan_id": plan.pk, "title": "夜间转移演练", "kind": "functional",
                                         "planned_date": "2026-12-10"})
    assert created.status_code == 201, created.content
    drill_id = created.json()["id"]
    assert api.post("/plans/drills", {"plan_id": plan.pk, "title": "x", "kind": "space",
                                      "planned_date": "2026-12-10"}).status_code == 422
    assert api.post(f"/plans/drills/{drill_id}/findings", {"description": "x", "kind": "hazard"}).status_code == 400
    wz = api_client(token_for(wanzhou))
    assert wz.post(f"/plans/drills/{drill_id}/hold", {"participants_count": 1}).status_code == 404
    assert wz.post("/plans/drills", {"plan_id": plan.pk, "title": "x", "kind": "tabletop",
                                     "planned_date": "2026-12-10"}).status_code == 404
    held = api.post(f"/plans/drills/{drill_id}/hold", {"participants_count": 30, "findings": [
        {"description": "照明不足", "kind": "hazard"}, {"description": "补充联系人", "kind": "plan_change"}]})
    assert held.status_code == 200, held.content
    findings = held.json()["findings"]
    assert findings[0]["hazard_code"].startswith("YH") and findings[1]["revision_id"]
    more = api.post(f"/plans/drills/{drill_id}/findings", {"description": "对讲机信号差", "kind": "hazard"})
    assert more.status_code == 201 and more.json()["hazard_id"]
    assert api.post(f"/plans/drills/{drill_id}/hold", {"participants_count": 1}).status_code == 400
    assert api.post(f"/plans/drills/{drill_id}/cancel").status_code == 400
    assert len(api.get(f"/plans/drills/{drill_id}").json()["findings"]) == 3
    assert {d["title"] for d in wz.get("/plans/drills").json()} == {"万州区滑坡避险转移桌面推演(演示)"}
    assert api.post("/plans/drills/999999/hold", {}).status_code == 404
