"""On a phone-sized screen (375x667) a district operator who is the village 包保责任人 of a risk point under an
active red warning opens the notification list, acknowledges, and reports an evacuation with a photo; the
warning's timeline then shows the acknowledgement and the report."""

import struct
import zlib

import pytest
from playwright.sync_api import expect

from citysafe.core.models import Person, Region
from citysafe.early_warning import calls, hooks
from citysafe.early_warning.models import (
    Acknowledgement,
    CallPlan,
    EarlyWarning,
    ExecutionPhoto,
    ResponseAction,
    WarningEvent,
)
from citysafe.hazards.models import ResponsibilityAssignment, RiskPoint
from tests.conftest import make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def tiny_png() -> bytes:
    """A valid 1x1 red PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 667}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def red_warning(reference):
    region = Region.objects.get(adcode="500103")
    user = make_user("cunzhang", "district_operator", "渝中区政府", "500103")
    person = Person.objects.create(name="李村长", user=user)
    point = RiskPoint.objects.create(code="FX-E2E-ACK", name="枣子岚垭滑坡点", kind="landslide", region=region,
                                     lon=106.57, lat=29.55, threatened_people=37)
    ResponsibilityAssignment.objects.create(risk_point=point, level="village", person=person)
    CallPlan.objects.create(name="滑坡红(测试)", level="red", hazard_type="landslide", tiers=[
        {"targets": "village", "channels": ["in_app"], "ack_deadline_s": 300, "retries": 0, "retry_interval_s": 0}])
    warning = EarlyWarning.objects.create(source_key="manual:e2e-ack", hazard_type="landslide", level="red",
                                          headline="枣子岚垭滑坡红色预警", region=region, risk_point=point,
                                          instruction="立即组织受威胁群众转移避险")
    WarningEvent.objects.create(warning=warning, kind="raised", level="red")
    hooks.after_warning_changes([(warning.pk, "raised")])
    calls.tick()  # the in-app calls are sent
    return warning


def test_district_operator_acknowledges_and_reports_an_evacuation_on_a_phone(phone, live_server, red_warning,
                                                                             tmp_path):
    page = phone
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", "cunzhang")
    page.fill("#id_password", "pw-cunzhang")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")

    # the notification list
    page.goto(live_server.url + "/early-warning/my/")
    calls_list = page.get_by_test_id("my-calls")
    expect(calls_list).to_contain_text("枣子岚垭滑坡红色预警")
    calls_list.get_by_role("link", name="枣子岚垭滑坡红色预警").click()

    # the acknowledgement page: big banner and one big button
    expect(page.get_by_test_id("ack-banner")).to_contain_text("红色")
    expect(page.get_by_test_id("ack-page")).to_contain_text("立即组织受威胁群众转移避险")
    button = page.get_by_test_id("ack-button")
    box = button.bounding_box()
    assert box["width"] >= 300 and box["height"] >= 48  # a thumb-sized target on a 375 px screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    button.click()
    expect(page.get_by_test_id("ack-done")).to_be_visible()
    assert Acknowledgement.objects.filter(warning=red_warning, person__name="李村长", channel="in_app").exists()

    # report the evacuation with a photo
    action = ResponseAction.objects.get(warning=red_warning, kind="evacuate")
    card = page.get_by_test_id(f"action-{action.pk}")
    card.get_by_label("转移人数").fill("37")
    card.get_by_label("情况说明").fill("已转移至村小学安置点")
    photo = tmp_path / "现场.png"
    photo.write_bytes(tiny_png())
    card.locator("input[type=file]").set_input_files(str(photo))
    page.get_by_test_id(f"report-{action.pk}").click()
    expect(page.locator(".alert-success").first).to_contain_text("已反馈")
    expect(page.get_by_test_id(f"action-{action.pk}")).to_have_count(0)  # no longer open
    action.refresh_from_db()
    assert action.status == "reported" and action.reports.get().evacuated == 37
    assert ExecutionPhoto.objects.filter(report__action=action).count() == 1

    # the warning's timeline shows the acknowledgement and the report
    page.goto(live_server.url + f"/early-warning/{red_warning.pk}/")
    events = page.get_by_test_id("warning-events")
    expect(events.locator("[data-kind=ack]")).to_have_count(1)
    expect(events.locator("[data-kind=ack]")).to_contain_text("李村长")
    report = events.locator("[data-kind=report]")
    expect(report).to_contain_text("转移 37 人")
    expect(report.locator("img")).to_have_count(1)
    expect(page.get_by_test_id("count-acknowledged")).to_contain_text("1")
