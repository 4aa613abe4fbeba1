"""One hazard from a public tip-off to acceptance, in the browser; and the hazard map with clustered points."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from citysafe.hazards.models import Hazard, Industry, TipOff

pytestmark = pytest.mark.e2e


def test_tip_off_to_acceptance(page, live_server, login, admin_user, reference):
    # 1. a member of the public reports anonymously, without logging in
    page.goto(live_server.url + "/tipoff/")
    form = page.get_by_test_id("tipoff-form")
    form.locator("#id_description").fill("渝中区某商场消防通道被货物长期堵塞,疏散指示灯不亮。")
    form.locator("#id_address").fill("渝中区解放碑某商场")
    form.locator("#id_lon").fill("106.57")
    form.locator("#id_lat").fill("29.555")
    form.locator("#id_anonymous").check()
    page.wait_for_timeout(3200)  # the form refuses submissions faster than a person could type
    form.locator("button[type=submit]").click()
    code = page.get_by_test_id("follow-up-code").inner_text().strip()
    assert len(code.replace("-", "")) == 12
    tip_off = TipOff.objects.get()
    assert tip_off.reporter_name == "" and tip_off.reporter_phone == ""

    # 2. the municipal office triages it into a hazard
    login("cityadmin", "pw-cityadmin")
    page.goto(f"{live_server.url}/hazards/tip-offs/{tip_off.pk}/")
    triage = page.get_by_test_id("triage-form")
    triage.locator("#id_title").fill("商场消防通道堵塞")
    triage.locator("#id_industry").select_option(str(Industry.objects.get(code="fire").pk))
    triage.locator("button").click()
    hazard = Hazard.objects.get()
    assert hazard.source == "tip_off" and hazard.region.adcode == "500103"

    # 3. the hazard walks the closed loop to acceptance
    page.goto(f"{live_server.url}/hazards/{hazard.pk}/")
    transition = page.get_by_test_id("transition-form")
    deadline = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    transition.locator("#id_deadline").fill(deadline)
    transition.locator("button[value=assign]").click()
    expect(page.get_by_test_id("hazard-heading")).to_contain_text("已交办")
    page.get_by_test_id("transition-form").locator("button[value=start]").click()
    expect(page.get_by_test_id("hazard-heading")).to_contain_text("整改中")
    page.get_by_test_id("transition-form").locator("#id_measures").fill("清理通道,更换指示灯")
    page.get_by_test_id("transition-form").locator("button[value=submit]").click()
    expect(page.get_by_test_id("hazard-heading")).to_contain_text("待验收")
    page.get_by_test_id("transition-form").locator("#id_comment").fill("现场复查合格")
    page.get_by_test_id("transition-form").locator("button[value=accept]").click()
    expect(page.get_by_test_id("hazard-heading")).to_contain_text("已验收销号")
    expect(page.get_by_test_id("timeline")).to_contain_text("现场复查合格")

    # 4. the reporter follows up with the code and sees progress, never anything about themselves
    page.goto(live_server.url + "/tipoff/status/")
    page.get_by_test_id("status-form").locator("#code").fill(code)
    page.get_by_test_id("status-form").locator("button").click()
    expect(page.get_by_test_id("status-label")).to_contain_text("已转为隐患")


def test_hazard_map_shows_clustered_points(page, live_server, login, admin_user, reference):
    from citysafe.hazards import services

    fire = Industry.objects.get(code="fire")
    for i in range(30):
        services.create_hazard(user=admin_user, title=f"隐患{i}", source="grid_patrol", lon=106.55 + i * 0.001,
                               lat=29.55, industry=fire, grade="major" if i % 5 == 0 else "general")
    login("cityadmin", "pw-cityadmin")
    page.goto(live_server.url + "/hazards/map/")
    expect(page.locator("#hazard-map")).to_have_attribute("data-ready", "1")
    expect(page.locator("#hazard-map")).to_have_attribute("data-hazards_loaded", "30")
    expect(page.locator(".marker-cluster").first).to_be_visible()
