"""Incident intake in the browser, a follow-up that upgrades the grade, and the timeline with the map."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from citysafe.incidents.models import Incident

pytestmark = pytest.mark.e2e


def test_intake_and_follow_up(page, live_server, login, yuzhong):
    login("yuzhong", "pw-yuzhong")
    page.goto(live_server.url + "/incidents/new/")
    form = page.get_by_test_id("incident-form")
    form.locator("#id_kind").select_option("accident")
    form.locator("#id_title").fill("某商场电梯井坠落")
    form.locator("#id_occurred_at").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    form.locator("#id_lon").fill("106.57")
    form.locator("#id_lat").fill("29.555")
    form.locator("#id_deaths").fill("2")
    form.locator("button[type=submit]").click()
    incident = Incident.objects.get()
    assert incident.region.adcode == "500103" and incident.grade == "ordinary"
    expect(page.get_by_test_id("grade-badge")).to_contain_text("一般")
    expect(page.locator("#incident-map .leaflet-interactive").first).to_be_visible()

    page.locator("summary").click()
    report = page.get_by_test_id("report-form")
    report.locator("#id_level").select_option("city")
    report.locator("#id_deaths").fill("3")
    report.locator("button[type=submit]").click()
    expect(page.get_by_test_id("grade-change")).to_be_visible()
    expect(page.get_by_test_id("jurisdiction-raised")).to_be_visible()
    expect(page.get_by_test_id("incident-heading")).to_contain_text("较大")
