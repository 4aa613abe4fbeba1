"""Scoping: districts see city plans and their own; wanzhou cannot see or change 渝中's plan; enterprises theirs."""

import pytest

from citysafe.core.models import Organization, Region
from citysafe.plans import selectors, services
from citysafe.plans.errors import PermissionDenied, PlanError


def test_visibility(demo, yuzhong, wanzhou, viewer, enterprise_user):
    codes = lambda user: set(selectors.plans_for(user).values_list("code", flat=True))  # noqa: E731
    assert codes(wanzhou) == {"DEMO-CQ-DZZH", "DEMO-CQ-WHP"}
    assert codes(yuzhong) == {"DEMO-CQ-DZZH", "DEMO-CQ-WHP", "DEMO-YZ-FX", "DEMO-QY-JX"}
    assert codes(viewer) == set(demo)  # the city-wide viewer
    assert codes(enterprise_user) == {"DEMO-CQ-DZZH", "DEMO-CQ-WHP"}  # another enterprise's plan is hidden


def test_wanzhou_cannot_see_or_edit_yuzhong_plan(client, demo, wanzhou, yuzhong):
    plan = demo["DEMO-YZ-FX"]
    client.force_login(wanzhou)
    for url in (f"/plans/{plan.pk}/", f"/plans/{plan.pk}/edit/", f"/plans/{plan.pk}/cards/",
                f"/plans/{plan.pk}/cards.pdf", f"/plans/{plan.pk}/drills/new/"):
        assert client.get(url).status_code == 404, url
    assert "渝中区防汛" not in client.get("/plans/").content.decode()
    with pytest.raises(PermissionDenied):
        services.update_plan(user=wanzhou, plan=plan, name="改名")
    with pytest.raises(PermissionDenied):
        services.save_card(user=wanzhou, plan=plan, role="x", steps=[{"title": "a"}])
    assert services.update_plan(user=yuzhong, plan=plan, version="2").version == "2"


def test_city_plans_visible_to_all_but_edited_by_city_only(client, demo, wanzhou, admin_user):
    plan = demo["DEMO-CQ-DZZH"]
    client.force_login(wanzhou)
    assert client.get(f"/plans/{plan.pk}/").status_code == 200
    assert client.get(f"/plans/{plan.pk}/edit/").status_code == 403
    with pytest.raises(PermissionDenied):
        services.update_plan(user=wanzhou, plan=plan, version="x")
    services.update_plan(user=admin_user, plan=plan, status="draft")
    assert not selectors.plans_for(wanzhou).filter(pk=plan.pk).exists()  # city drafts stay with the city


def test_create_rules(reference, yuzhong, wanzhou, enterprise_user, enterprise):
    yz_gov, yz = Organization.objects.get(name="渝中区政府"), Region.objects.get(adcode="500103")
    with pytest.raises(PermissionDenied):
        services.create_plan(user=wanzhou, name="p", code="P1", level="district", owner=yz_gov, region=yz)
    plan = services.create_plan(user=yuzhong, name="p", code="P1", level="district", owner=yz_gov, region=yz)
    with pytest.raises(PlanError):
        services.create_plan(user=yuzhong, name="p", code="P1", level="district", owner=yz_gov, region=yz)
    with pytest.raises(PlanError):  # an enterprise plan must be owned by an enterprise
        services.create_plan(user=yuzhong, name="p", code="P2", level="enterprise", owner=yz_gov, region=yz)
    with pytest.raises(PlanError):  # a district plan cannot cover the whole city
        services.create_plan(user=yuzhong, name="p", code="P3", level="district", owner=yz_gov,
                             region=Region.objects.get(adcode="500000"))
    own = services.create_plan(user=enterprise_user, name="企业预案", code="P4", level="enterprise", owner=enterprise)
    assert own.region == enterprise.region
    with pytest.raises(PermissionDenied):
        services.update_plan(user=enterprise_user, plan=plan, name="x")
    with pytest.raises(PlanError):
        services.save_card(user=yuzhong, plan=plan, role="值班员", steps=[{"title": "a", "time_limit_min": "abc"}])
    with pytest.raises(PlanError):
        services.save_card(user=yuzhong, plan=plan, role="值班员", steps=[{"title": "a"}], level=2)


def test_viewer_cannot_write(demo, viewer):
    with pytest.raises(PermissionDenied):
        services.update_plan(user=viewer, plan=demo["DEMO-YZ-FX"], version="x")
