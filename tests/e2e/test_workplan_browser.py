"""A user logs in, opens the plan, sees its counts and chart, and reports progress on a target."""

import re

import pytest
from playwright.sync_api import expect

from citysafe.workplans.models import Target

pytestmark = pytest.mark.e2e


def test_login_open_plan_and_report_progress(page, live_server, login, plan, fire_dept):
    login("fire", "pw-fire")
    expect(page.get_by_test_id("whoami")).to_contain_text("fire")
    page.get_by_test_id("current-plan").click()
    expect(page.get_by_test_id("plan-title")).to_have_text("2026年全市安全生产和防灾减灾救灾工作要点")
    counts = page.get_by_test_id("plan-counts")
    for key, value in {"sections": "6", "tasks": "21", "kpis": "8", "domains": "24", "platforms": "12"}.items():
        expect(counts.locator(f"[data-count={key}]")).to_have_text(value)
    expect(page.locator("[data-chart=pie] canvas")).to_have_count(1)  # ECharts drew the status chart

    target = Target.objects.get(task__plan=plan, task__kind="domain", task__index=3, scope="中心城区")
    page.goto(f"{live_server.url}/workplans/targets/{target.pk}/")
    expect(page.get_by_test_id("target-heading")).to_contain_text("接入率")
    form = page.get_by_test_id("report-form")
    form.locator("#id_as_of").fill("2026-06-30")
    form.locator("#id_value").fill("100")
    form.locator("#id_narrative").fill("中心城区全部接入")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("reports")).to_contain_text("中心城区全部接入")
    expect(page.get_by_test_id("target-heading")).to_contain_text("已完成")


def test_dashboard_map_draws_the_users_district(page, live_server, login, plan, yuzhong):
    login("yuzhong", "pw-yuzhong")
    expect(page.locator("#region-map")).to_have_attribute("data-loaded", "1")
    expect(page.locator("#region-map path.leaflet-interactive")).to_have_count(1)


def test_wrong_password_is_refused(page, live_server, plan, viewer):
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", "viewer")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    expect(page.locator(".alert-danger")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login/"))
