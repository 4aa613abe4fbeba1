"""Drills: plan, hold with findings; a finding becomes a hazard (linked) or a plan revision note."""

import datetime as dt

import pytest
from django.utils import timezone

from citysafe.hazards.models import Hazard
from citysafe.plans import services
from citysafe.plans.errors import PermissionDenied, PlanError
from citysafe.plans.models import DrillFinding, PlanRevision


@pytest.fixture
def drill(demo, yuzhong):
    return services.create_drill(user=yuzhong, plan=demo["DEMO-YZ-FX"], title="防汛桌面推演", kind="tabletop",
                                 planned_date=timezone.localdate())


def test_demo_has_one_held_drill_with_hazard_and_plan_change(demo):
    finding_kinds = set(DrillFinding.objects.filter(drill__is_demo=True).values_list("kind", flat=True))
    assert finding_kinds == {"hazard", "plan_change"}
    hazard = DrillFinding.objects.get(kind="hazard").hazard
    assert hazard.is_demo and hazard.region.adcode == "500103"


def test_hold_with_findings_creates_hazard_and_revision(drill, yuzhong):
    services.hold_drill(user=yuzhong, drill=drill, participants_count=40, held_at=timezone.now(),
                        findings=[{"description": "泵站备用电源未接入", "kind": "hazard"},
                                  {"description": "更新安置点联系人", "kind": "plan_change"}])
    drill.refresh_from_db()
    assert drill.status == "held" and drill.participants_count == 40
    hazard_finding = drill.findings.get(kind="hazard")
    assert isinstance(hazard_finding.hazard, Hazard)
    assert hazard_finding.hazard.title == "泵站备用电源未接入" and hazard_finding.hazard.region.adcode == "500103"
    revision = drill.findings.get(kind="plan_change").revision
    assert revision.plan == drill.plan and revision.status == PlanRevision.Status.OPEN
    services.close_revision(user=yuzhong, revision=revision)
    revision.refresh_from_db()
    assert revision.status == "done" and revision.done_at


def test_enterprise_finding_is_registered_for_the_enterprise(demo, admin_user):
    plan = demo["DEMO-QY-JX"]
    d = services.create_drill(user=admin_user, plan=plan, title="车间演练", kind="functional",
                              planned_date=timezone.localdate())
    services.hold_drill(user=admin_user, drill=d, participants_count=20)
    finding = services.add_finding(user=admin_user, drill=d, description="急救箱过期", kind="hazard")
    assert finding.hazard.enterprise == plan.owner and finding.hazard.source == "self_inspection"


def test_drill_rules(drill, yuzhong, wanzhou):
    with pytest.raises(PlanError):
        services.add_finding(user=yuzhong, drill=drill, description="x", kind="hazard")  # not held yet
    with pytest.raises(PermissionDenied):
        services.hold_drill(user=wanzhou, drill=drill, participants_count=1)
    with pytest.raises(PlanError):
        services.hold_drill(user=yuzhong, drill=drill, held_at=timezone.now() + dt.timedelta(days=1))
    services.hold_drill(user=yuzhong, drill=drill, participants_count=1)
    with pytest.raises(PlanError):
        services.hold_drill(user=yuzhong, drill=drill, participants_count=1)  # twice
    with pytest.raises(PlanError):
        services.add_finding(user=yuzhong, drill=drill, description="x", kind="other")
    with pytest.raises(PlanError):
        services.cancel_drill(user=yuzhong, drill=drill)


def test_drill_pages(client, yuzhong, wanzhou, drill):
    client.force_login(yuzhong)
    assert "防汛桌面推演" in client.get("/plans/drills/").content.decode()
    response = client.post(f"/plans/drills/{drill.pk}/hold/", {
        "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "participants_count": 12,
        "hazard_findings": "沙袋储备不足\n", "plan_findings": "补充夜间转移路线"})
    assert response.status_code == 302
    page = client.get(f"/plans/drills/{drill.pk}/").content.decode()
    assert "沙袋储备不足" in page and "补充夜间转移路线" in page and "YH" in page
    created = client.post(f"/plans/{drill.plan_id}/drills/new/", {
        "title": "第二次演练", "kind": "functional", "planned_date": "2026-12-01"})
    assert created.status_code == 302
    client.force_login(wanzhou)
    assert client.get(f"/plans/drills/{drill.pk}/").status_code == 404
    assert client.get(f"/plans/drills/{drill.pk}/hold/").status_code == 404
    assert "防汛桌面推演" not in client.get("/plans/drills/").content.decode()
