"""The warning loop of ``citysafe demo``: yesterday's scripted loop and the live responders."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from citysafe.core.models import Person, Region
from citysafe.early_warning import calls, demo, services
from citysafe.early_warning.models import Acknowledgement, CallAttempt, CallStatus, EarlyWarning, WarningStatus
from citysafe.hazards.models import ResponsibilityAssignment, RiskPoint
from citysafe.monitoring.models import Device


@pytest.fixture
def demo_city(reference, admin_user):
    """Two demo devices at two 渝中 risk points with village (+deputy) and township 包保责任人, and the operator."""
    region = Region.objects.get(adcode="500103")
    people = [Person.objects.create(name=f"演示人员{n:03d}") for n in range(1, 7)]
    for n in (1, 2):
        point = RiskPoint.objects.create(code=f"DEMO-500103-{n:04d}", name=f"演示滑坡{n}号", kind="landslide",
                                         region=region, lon=106.57, lat=29.55, threatened_people=40, is_demo=True)
        ResponsibilityAssignment.objects.create(risk_point=point, level="village", person=people[3 * n - 3],
                                                deputy=people[3 * n - 2])
        ResponsibilityAssignment.objects.create(risk_point=point, level="township", person=people[3 * n - 1])
        Device.objects.create(external_id=f"DEMO-500103-{n}", name=f"雨量站{n}", kind="rain_gauge", region=region,
                              risk_point=point, lon=106.57, lat=29.55, is_demo=True)
    get_user_model().objects.create_user("yuzhong", password="pw-yuzhong")
    return {"region": region, "people": people, "admin": admin_user}


def test_past_loop_escalates_to_the_deputy_who_acknowledges_and_the_warning_is_cleared(demo_city):
    warning = demo.past_loop(demo_city["admin"])
    assert warning is not None
    warning.refresh_from_db()
    assert warning.status == WarningStatus.CLEARED
    kinds = list(warning.events.values_list("kind", flat=True))
    assert kinds[:2] == ["raised", "upgraded"] and "cleared" in kinds
    village, deputy = demo_city["people"][3], demo_city["people"][4]
    assert CallAttempt.objects.filter(warning=warning, person=village, status=CallStatus.ESCALATED).exists()
    assert CallAttempt.objects.filter(warning=warning, person=deputy, escalated_from=village).exists()
    ack = Acknowledgement.objects.get(warning=warning)
    assert ack.person == deputy and ack.level == "red"
    assert not CallAttempt.objects.filter(warning=warning, status=CallStatus.PENDING).exists()
    evacuation = warning.actions.get(kind="evacuate", level="red")
    assert evacuation.reports.get().evacuated == 23 and evacuation.on_time
    assert warning.closed_at is not None and "closed" in kinds
    assert demo.past_loop(demo_city["admin"]) is None  # idempotent


def test_link_operator_makes_the_operator_a_village_responsible_person(demo_city):
    person = demo.link_operator("yuzhong")
    assert person.user.username == "yuzhong"
    point = Device.objects.get(external_id="DEMO-500103-1").risk_point
    assert ResponsibilityAssignment.objects.get(risk_point=point, level="village").person == person
    assert demo.link_operator("yuzhong") == person


def test_responder_acknowledges_some_and_leaves_the_operator_and_the_silent_ones(demo_city, monkeypatch):
    operator = demo.link_operator("yuzhong")
    now = timezone.now()
    warnings = []
    for n in (1, 2):
        device = Device.objects.get(external_id=f"DEMO-500103-{n}")
        warnings.append(services.set_device_level(device, "rainstorm", "red", at=now, value=120).warning)
        calls.plan_calls(warnings[-1].pk, now=now)
    calls.tick(now=now)
    later = now + dt.timedelta(seconds=200)
    answered = demo.DemoResponder().respond(now=later)
    acked = set(Acknowledgement.objects.values_list("person_id", flat=True))
    assert operator.pk not in acked  # the human answers for themself
    expected = {a.person_id for a in CallAttempt.objects.filter(status__in=[CallStatus.ACKNOWLEDGED])}
    assert acked == expected and answered == len(acked)
    silent = {a.person_id for a in CallAttempt.objects.filter(status=CallStatus.SENT, person__user__isnull=True)}
    assert all((pid * 7 + w) % 10 >= demo.ACK_SHARE for pid, w in CallAttempt.objects.filter(
        person_id__in=silent, status=CallStatus.SENT).values_list("person_id", "warning_id"))
    assert EarlyWarning.objects.filter(status=WarningStatus.ACTIVE).count() == 2
    monkeypatch.setattr(demo, "ACK_SHARE", 10)  # everybody answers: all but the operator are acknowledged
    demo.DemoResponder().respond(now=later)
    called = set(CallAttempt.objects.filter(informational=False).values_list("person_id", flat=True))
    assert set(Acknowledgement.objects.values_list("person_id", flat=True)) == called - {operator.pk}
