"""Every change is audited with who and when, and a history page shows it."""


from citysafe.core.models import Organization
from citysafe.workplans import services
from citysafe.workplans.models import Target


def test_report_and_status_change_are_in_the_history(client, plan, fire_dept):
    target = Target.objects.get(task__plan=plan, task__kind="domain", task__index=3, scope="中心城区")
    client.force_login(fire_dept)
    response = client.post(f"/workplans/targets/{target.pk}/", {
        "reporting_unit": Organization.objects.get(name="市消防救援局").pk, "as_of": "2026-06-30", "value": "100",
        "narrative": "中心城区已全部接入"})
    assert response.status_code == 302
    report = target.reports.get()
    created = report.history.get()
    assert created.history_type == "+" and created.history_user == fire_dept
    target.refresh_from_db()
    assert target.status == "achieved"
    change = target.history.first()
    assert change.history_user == fire_dept
    assert [c.field for c in change.diff_against(change.prev_record).changes] == ["status", "status_reason"] or \
        "status" in [c.field for c in change.diff_against(change.prev_record).changes]
    page = client.get(f"/history/workplans.Target/{target.pk}/").content.decode()
    assert "fire" in page and "已完成" in page


def test_baseline_change_is_audited_outside_a_request(plan, admin_user):
    target = Target.objects.get(task__plan=plan, task__kind="kpi", task__index=4)
    services.set_baseline(user=admin_user, target=target, baseline=100)
    record = target.history.first()
    assert record.baseline == 100
    assert record.history_user == admin_user
