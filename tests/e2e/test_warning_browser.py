"""The live warnings page: a warning raised by a sensor reading appears without reloading the page."""

import datetime as dt
import json

import pytest
from playwright.sync_api import expect

from citysafe.core.models import Region
from citysafe.early_warning import services
from citysafe.monitoring.ingest import ingest
from citysafe.monitoring.models import Device

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, databases="__all__")]


def test_warning_appears_live_on_list_and_map(page, live_server, login, admin_user, reference):
    services.load_default_rules()
    services.reset_rule_cache()
    device = Device.objects.create(external_id="GAS-LIVE", name="解放碑燃气监测点", kind="gas_detector",
                                   region=Region.objects.get(adcode="500103"), lon=106.577, lat=29.557)
    login("cityadmin", "pw-cityadmin")
    page.goto(live_server.url + "/early-warning/")
    expect(page.get_by_test_id("active-warnings")).to_have_attribute("data-count", "0")
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(microsecond=0) - dt.timedelta(seconds=30)
    payload = json.dumps({"metric": "lel_percent", "time": now.isoformat(), "value": 30.0}).encode()
    ingest([(f"citysafe/v1/devices/{device.external_id}/readings", payload)], "mqtt")
    # htmx polls every 5 s: the row arrives without a reload
    expect(page.get_by_test_id("active-warnings")).to_have_attribute("data-count", "1", timeout=15000)
    expect(page.get_by_test_id("active-warnings")).to_contain_text("解放碑燃气监测点")
    expect(page.locator("#warning-map")).to_have_attribute("data-count", "1", timeout=15000)
    page.get_by_test_id("active-warnings").get_by_role("link").first.click()
    expect(page.get_by_test_id("warning-events").locator("[data-kind=raised]")).to_have_count(1)
