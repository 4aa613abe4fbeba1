"""A district operator sees and changes only their district's records, in the UI and the API."""

import datetime as dt

import pytest

from citysafe.core.models import Organization
from citysafe.workplans import selectors, services
from citysafe.workplans.errors import PermissionDenied
from citysafe.workplans.models import ProgressReport, Target

AS_OF = dt.date(2026, 3, 31)


@pytest.fixture
def fire_target(plan):
    """Domain 3 (消防领域) target for 其他区县: led by 市消防救援局, supported by 各区县政府."""
    return Target.objects.get(task__plan=plan, task__kind="domain", task__index=3, scope="其他区县")


@pytest.fixture
def wanzhou_report(fire_target, wanzhou):
    return services.submit_progress_report(user=wanzhou, target=fire_target,
                                           reporting_unit=Organization.objects.get(name="万州区政府"),
                                           as_of=AS_OF, value=40, narrative="万州进展")


def test_group_duty_makes_targets_visible_to_each_district(fire_target, yuzhong, wanzhou):
    assert fire_target in selectors.targets_for(yuzhong)
    assert fire_target in selectors.targets_for(wanzhou)


def test_platform_target_of_one_department_is_invisible_to_districts(plan, yuzhong, fire_dept):
    # platform 3 (渝悦·农房智管) is the housing commission's alone
    target = Target.objects.get(task__plan=plan, task__kind="platform", task__index=3)
    assert target not in selectors.targets_for(yuzhong)
    assert target not in selectors.targets_for(fire_dept)


def test_district_cannot_read_another_districts_report(wanzhou_report, yuzhong, wanzhou, fire_dept, admin_user):
    assert wanzhou_report in selectors.reports_for(wanzhou)
    assert wanzhou_report not in selectors.reports_for(yuzhong)
    assert wanzhou_report in selectors.reports_for(fire_dept)  # the lead department sees reports on its target
    assert wanzhou_report in selectors.reports_for(admin_user)


def test_district_cannot_report_for_another_district(fire_target, yuzhong):
    with pytest.raises(PermissionDenied):
        services.submit_progress_report(user=yuzhong, target=fire_target,
                                        reporting_unit=Organization.objects.get(name="万州区政府"),
                                        as_of=AS_OF, value=99)
    assert not ProgressReport.objects.exists()


def test_viewer_cannot_write(fire_target, viewer):
    with pytest.raises(PermissionDenied):
        services.submit_progress_report(user=viewer, target=fire_target,
                                        reporting_unit=Organization.objects.get(name="渝中区政府"),
                                        as_of=AS_OF, value=1)


def test_api_hides_and_refuses_other_districts_data(api_client, token_for, wanzhou_report, fire_target, yuzhong):
    api = api_client(token_for(yuzhong))
    reports = api.get(f"/workplans/targets/{fire_target.pk}/reports").json()
    assert reports == []
    response = api.post(f"/workplans/targets/{fire_target.pk}/reports",
                        {"reporting_unit_id": Organization.objects.get(name="万州区政府").pk,
                         "as_of": AS_OF.isoformat(), "value": 1})
    assert response.status_code == 403
    assert "detail" in response.json()
    own = api.post(f"/workplans/targets/{fire_target.pk}/reports",
                   {"reporting_unit_id": Organization.objects.get(name="渝中区政府").pk,
                    "as_of": AS_OF.isoformat(), "value": 50, "narrative": "渝中"})
    assert own.status_code == 201
    assert ProgressReport.objects.filter(reporting_unit__name="渝中区政府").count() == 1


def test_api_target_outside_scope_is_404(api_client, token_for, plan, yuzhong):
    target = Target.objects.get(task__plan=plan, task__kind="platform", task__index=3)
    assert api_client(token_for(yuzhong)).get(f"/workplans/targets/{target.pk}").status_code == 404
    listed = {t["id"] for t in api_client(token_for(yuzhong)).get("/workplans/targets").json()}
    assert target.pk not in listed and listed


def test_ui_hides_other_districts_report_and_history(client, wanzhou_report, fire_target, yuzhong):
    client.force_login(yuzhong)
    page = client.get(f"/workplans/targets/{fire_target.pk}/")
    assert page.status_code == 200
    assert "万州进展" not in page.content.decode()
    assert client.get(f"/history/workplans.ProgressReport/{wanzhou_report.pk}/").status_code == 404


def test_ui_refuses_to_post_for_another_district(client, fire_target, yuzhong):
    client.force_login(yuzhong)
    response = client.post(f"/workplans/targets/{fire_target.pk}/", {
        "reporting_unit": Organization.objects.get(name="万州区政府").pk, "as_of": AS_OF.isoformat(), "value": "9"})
    assert response.status_code == 200  # the form is shown again with the error
    assert not ProgressReport.objects.exists()


def test_ui_target_outside_scope_is_404(client, plan, yuzhong):
    client.force_login(yuzhong)
    target = Target.objects.get(task__plan=plan, task__kind="platform", task__index=3)
    assert client.get(f"/workplans/targets/{target.pk}/").status_code == 404


def test_anonymous_is_sent_to_login(client, plan):
    response = client.get("/workplans/targets/")
    assert response.status_code == 302 and "/login/" in response["Location"]
