"""Plan pages: list, detail, create and edit through the form."""

from citysafe.core.models import Organization, Region
from citysafe.plans.models import EmergencyPlan


def test_list_and_detail(client, yuzhong, demo):
    client.force_login(yuzhong)
    listing = client.get("/plans/").content.decode()
    assert "渝中区防汛应急预案(演示)" in listing and "重庆市危险化学品事故应急预案(演示)" in listing
    assert "企业级" in client.get("/plans/?level=enterprise").content.decode()
    detail = client.get(f"/plans/{demo['DEMO-YZ-FX'].pk}/").content.decode()
    assert "Ⅰ级" in detail and "储奇门排水泵站" not in detail and "安置点联系人已调整" in detail  # revision note
    assert client.get(f"/plans/{demo['DEMO-CQ-WHP'].pk}/").status_code == 200


def test_create_and_edit_through_the_form(client, yuzhong, viewer, reference):
    owner, region = Organization.objects.get(name="渝中区政府"), Region.objects.get(adcode="500103")
    client.force_login(yuzhong)
    form = {"name": "渝中区地震应急预案", "code": "YZ-DZ", "level": "district", "owner": owner.pk,
            "region": region.pk, "incident_kind": "natural_disaster", "hazard_codes_text": "earthquake, ",
            "version": "1.0", "status": "active"}
    response = client.post("/plans/new/", form)
    assert response.status_code == 302, response.content.decode()[-2000:]
    plan = EmergencyPlan.objects.get(code="YZ-DZ")
    assert plan.hazard_codes == ["earthquake"]
    assert client.post(f"/plans/{plan.pk}/edit/", {**form, "version": "2.0"}).status_code == 302
    plan.refresh_from_db()
    assert plan.version == "2.0" and plan.history.count() == 2
    bad = client.post("/plans/new/", {**form, "code": "YZ-DZ"})
    assert bad.status_code == 200 and "已存在" in bad.content.decode()
    client.force_login(viewer)
    assert client.get("/plans/new/").status_code == 403


def test_history_page_is_scoped(client, yuzhong, wanzhou, demo):
    from django.urls import reverse

    url = reverse("core:history", args=["plans.EmergencyPlan", demo["DEMO-YZ-FX"].pk])
    client.force_login(yuzhong)
    assert client.get(url).status_code == 200
    client.force_login(wanzhou)
    assert client.get(url).status_code == 404
