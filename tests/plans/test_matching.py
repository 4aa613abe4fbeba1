"""matching_plan: most local plan first (enterprise, district, city), kind/hazard match, grade → response level."""

import pytest

from citysafe.core.models import Organization, Region
from citysafe.hazards.models import Industry
from citysafe.plans import selectors, services

YUZHONG = {"lon": 106.57, "lat": 29.555}
WANZHOU = {"lon": 108.40, "lat": 30.80}


def test_district_plan_before_city_plan(demo, make_incident, admin_user):
    # A city flood plan exists too: the 渝中 district plan still wins for a flood in 渝中.
    services.create_plan(user=admin_user, name="市防汛预案", code="T-CQ-FX", level="city",
                         owner=Organization.objects.get(name="市水利局"), region=Region.objects.get(adcode="500000"),
                         incident_kind="natural_disaster", hazard_codes=["flood"], status="active")
    incident = make_incident(kind="natural_disaster", disaster_type="flood", relocated=150_000, **YUZHONG)
    assert incident.grade == "level_4"
    match = selectors.matching_plan(incident)
    assert match.plan == demo["DEMO-YZ-FX"]
    assert match.level.level == 4
    assert {c.role for c in match.cards} == {"值班员"}  # the only card for every level; none is Ⅳ-specific
    wz = selectors.matching_plan(make_incident(kind="natural_disaster", disaster_type="flood", **WANZHOU))
    assert wz.plan.code == "T-CQ-FX"


def test_city_plan_when_no_district_plan_and_hazard_must_match(demo, make_incident):
    landslide = make_incident(kind="natural_disaster", disaster_type="landslide", deaths=120, **YUZHONG)
    match = selectors.matching_plan(landslide)
    assert match.plan == demo["DEMO-CQ-DZZH"] and match.level.level == 2
    assert "救援队长" in {c.role for c in match.cards}
    drought = make_incident(kind="natural_disaster", disaster_type="drought", **WANZHOU)
    assert selectors.matching_plan(drought).plan is None
    assert selectors.matching_plan(drought).reasons == ["no_plan"]


@pytest.mark.parametrize("deaths,level", [(0, 3), (3, 2), (10, 1), (30, 1)])
def test_accident_grade_to_level(demo, make_incident, deaths, level):
    incident = make_incident(kind="accident", industry=Industry.objects.get(code="hazardous_chemicals"),
                             deaths=deaths, **WANZHOU)
    match = selectors.matching_plan(incident)
    assert match.plan == demo["DEMO-CQ-WHP"]
    assert match.level.level == level  # 一般 → Ⅲ (the higher of Ⅲ/Ⅳ), 较大 → Ⅱ, 重大/特别重大 → Ⅰ


def test_enterprise_plan_of_the_incident_organisation_first(demo, make_incident):
    enterprise = Organization.objects.get(name="渝中区演示机械制造有限公司")
    incident = make_incident(kind="accident", industry=Industry.objects.get(code="hazardous_chemicals"),
                             organization=enterprise, serious_injuries=1, **YUZHONG)
    match = selectors.matching_plan(incident)
    assert match.plan == demo["DEMO-QY-JX"] and match.level.level == 2
    other = make_incident(kind="accident", industry=Industry.objects.get(code="fire"), **YUZHONG)
    assert selectors.matching_plan(other).plan is None  # another unit's accident: no enterprise plan applies


def test_draft_and_superseded_plans_never_match(demo, make_incident, admin_user):
    services.update_plan(user=admin_user, plan=demo["DEMO-YZ-FX"], status="superseded")
    incident = make_incident(kind="natural_disaster", disaster_type="flood", **YUZHONG)
    assert selectors.matching_plan(incident).plan is None


def test_level_for_grade_without_grade_takes_lowest_level(demo):
    plan = demo["DEMO-CQ-DZZH"]
    assert selectors.level_for_grade(plan, "").level == 4
    assert selectors.level_for_grade(plan, "major") is None


def test_for_incident_page(client, yuzhong, wanzhou, demo, make_incident):
    incident = make_incident(kind="natural_disaster", disaster_type="landslide", deaths=25, **YUZHONG)
    client.force_login(yuzhong)
    page = client.get(f"/plans/for-incident/{incident.pk}/").content.decode()
    assert "重庆市地质灾害应急预案(演示)" in page and 'data-testid="matched-level"' in page and "Ⅳ级" in page
    assert page.count('data-testid="card"') == 2
    none = make_incident(kind="other", **YUZHONG)
    assert 'data-testid="no-plan"' in client.get(f"/plans/for-incident/{none.pk}/").content.decode()
    client.force_login(wanzhou)
    assert client.get(f"/plans/for-incident/{incident.pk}/").status_code == 404
