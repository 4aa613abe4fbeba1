"""Scorecards: weights validation, hand-computed scores, no-data renormalisation, ranking with ties, scoping."""

import datetime as dt

import pytest

from citysafe.evaluation import scorecards as sc
from citysafe.workplans.errors import PermissionDenied, WorkplanError

from .test_scorecards_world import TODAY, world  # noqa: F401

Q1 = sc.Period(2026, 1)


def rows_by_name(rows):
    return {r.organization.name: r for r in rows}


def counts(row):
    return {k: (c.numerator, c.denominator) for k, c in row.components.items()}


def test_periods():
    assert (Q1.start.isoformat(), Q1.end.isoformat(), Q1.code) == ("2026-01-01", "2026-03-31", "2026Q1")
    assert sc.parse_period("2026q4").end.isoformat() == "2026-12-31"
    year = sc.parse_period("2026")
    assert (year.kind, year.start.isoformat(), len(year.quarters())) == ("year", "2026-01-01", 4)
    for bad in ("2026Q5", "abc", "2026Q", "1900", "2026Q0"):
        with pytest.raises(WorkplanError):
            sc.parse_period(bad)


def test_validate_weights():
    assert sc.validate_weights(sc.DEFAULT_WEIGHTS) == sc.DEFAULT_WEIGHTS
    assert sc.validate_weights({k: str(v) for k, v in sc.DEFAULT_WEIGHTS.items()}) == sc.DEFAULT_WEIGHTS
    for bad in ({**sc.DEFAULT_WEIGHTS, "targets_met": 39},          # sums to 99
                {**sc.DEFAULT_WEIGHTS, "targets_met": 70, "reports_on_time": -15},
                {**sc.DEFAULT_WEIGHTS, "targets_met": "四十"},
                {**sc.DEFAULT_WEIGHTS, "targets_met": 40.5, "reports_on_time": 14.5},
                {k: v for k, v in sc.DEFAULT_WEIGHTS.items() if k != "hazards_rectified"}):
        with pytest.raises(WorkplanError):
            sc.validate_weights(bad)


@pytest.mark.django_db
def test_components_and_scores_hand_computed(world):  # noqa: F811
    rows = rows_by_name(sc.compute("district", Q1, TODAY))
    yz, wz = rows["渝中区政府"], rows["万州区政府"]
    assert counts(yz) == {"targets_met": (1, 2), "reports_on_time": (1, 3), "supervision_on_time": (1, 3),
                          "hazards_rectified": (1, 2), "warnings_acknowledged": (0, 0)}
    # no data → left out, weights renormalised over 85
    assert not yz.components["warnings_acknowledged"].has_data
    assert yz.score == pytest.approx(37.5 / 85 * 100)
    assert wz.score == pytest.approx(40 / 55 * 100)
    assert (wz.rank, yz.rank, wz.of) == (1, 2, 2)
    assert rows["江津区政府"].score is None and rows["江津区政府"].rank is None


@pytest.mark.django_db
def test_reports_not_yet_due_are_not_expected(world):  # noqa: F811
    # On 2026-04-08 the Q1 reports are still within the grace: only the one already on time counts.
    yz = rows_by_name(sc.compute("district", Q1, dt.date(2026, 4, 8)))["渝中区政府"]
    assert counts(yz)["reports_on_time"] == (1, 1)


@pytest.mark.django_db
def test_weights_change_scores_and_ranking(world, admin_user):  # noqa: F811
    weights = {"targets_met": 10, "reports_on_time": 60, "supervision_on_time": 10, "hazards_rectified": 10,
               "warnings_acknowledged": 10}
    row = sc.update_weights(user=admin_user, period_type="quarter", values=weights)
    assert row.history.count() == 2 and row.history.first().history_user == admin_user
    # Q1 is past on TODAY: the weights in force on 2026-03-31 count, so date the versions before that day
    row.history.update(history_date=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    rows = rows_by_name(sc.compute("district", Q1, TODAY))
    yz, wz = rows["渝中区政府"], rows["万州区政府"]
    assert yz.score == pytest.approx((10 * 0.5 + 60 / 3 + 10 / 3 + 10 * 0.5) / 90 * 100)  # 37.04
    assert wz.score == pytest.approx(10 / 70 * 100)  # 14.29
    assert (yz.rank, wz.rank) == (1, 2)
    # the year keeps its own (default) weights
    assert sc.get_weights("year").as_dict() == sc.DEFAULT_WEIGHTS


@pytest.mark.django_db
def test_update_weights_rejects(world, admin_user, yuzhong):  # noqa: F811
    with pytest.raises(PermissionDenied):
        sc.update_weights(user=yuzhong, period_type="quarter", values=sc.DEFAULT_WEIGHTS)
    with pytest.raises(WorkplanError):
        sc.update_weights(user=admin_user, period_type="quarter", values={**sc.DEFAULT_WEIGHTS, "targets_met": 41})
    with pytest.raises(WorkplanError):
        sc.update_weights(user=admin_user, period_type="month", values=sc.DEFAULT_WEIGHTS)
    with pytest.raises(WorkplanError):
        sc.update_weights(user=admin_user, period_type="quarter", values=sc.DEFAULT_WEIGHTS, grace_days=400)
    assert sc.get_weights("quarter").as_dict() == sc.DEFAULT_WEIGHTS


def test_ties_share_rank():
    from citysafe.core.models import Organization

    def row(name, num, den):
        r = sc.ScoreRow(Organization(name=name), "district")
        r.components["targets_met"] = sc.Component("targets_met", num, den, weight=100)
        return r

    ranked = sc.rank_rows([row("丙", 1, 2), row("甲", 2, 4), row("乙", 3, 4), row("丁", 0, 0), row("戊", 0, 4)])
    assert [(r.organization.name, r.rank) for r in ranked] == [
        ("乙", 1), ("丙", 2), ("甲", 2), ("戊", 4), ("丁", None)]
    assert ranked[0].of == 4


@pytest.mark.django_db
def test_warnings_component_sums_the_district_subtree(world, monkeypatch):  # noqa: F811
    from citysafe.core.models import Region
    from citysafe.early_warning import metrics

    yz_region = Region.objects.get(adcode="500103")
    town = Region.objects.create(adcode="500103001", name="测试街道", level="township", parent=yz_region)
    fake = [metrics.AckRow(town.pk, town.name, town.adcode, "blue", called=4, acknowledged=3),
            metrics.AckRow(yz_region.pk, "渝中区", "500103", "yellow", called=1, acknowledged=0)]
    monkeypatch.setattr(metrics, "acknowledgement_rows", lambda warnings, start, end: fake)
    yz = rows_by_name(sc.compute("district", Q1, TODAY))["渝中区政府"]
    assert counts(yz)["warnings_acknowledged"] == (3, 5)
    assert yz.score == pytest.approx((37.5 + 15 * 0.6) / 100 * 100)


@pytest.mark.django_db
def test_scoping(world, yuzhong, admin_user, fire_dept):  # noqa: F811
    rows = sc.scorecard(yuzhong, "district", Q1, TODAY)
    assert [(r.organization.name, r.rank, r.of) for r in rows] == [("渝中区政府", 2, 2)]
    assert len(sc.scorecard(admin_user, "district", Q1, TODAY)) > 30
    assert sc.scorecard(fire_dept, "district", Q1, TODAY) == []
    assert [r.organization.name for r in sc.scorecard(fire_dept, "department", Q1, TODAY)] == ["市消防救援局"]
    from citysafe.core.models import Organization

    with pytest.raises(Organization.DoesNotExist):
        sc.unit_row(yuzhong, world["wz"].pk, Q1, TODAY)
    assert sc.unit_row(admin_user, world["wz"].pk, Q1, TODAY).rank == 1


@pytest.mark.django_db
def test_targets_led_through_a_group_count_for_each_member(world):  # noqa: F811
    from citysafe.core.models import Organization
    from citysafe.workplans.models import ResponsibleUnit, Target, Task

    group = Organization.objects.create(name="测试区县集合", kind="group")
    group.members.add(world["yz"], world["wz"])
    task = Task.objects.create(plan=world["plan"], index=3, number="3", title="集合任务", text="…")
    ResponsibleUnit.objects.create(task=task, organization=group, role="lead", position=0)
    group_target = Target.objects.create(task=task, index=1, text="…", metric="集合指标", comparator=">=", value=1,
                                         status="on_track")
    # a member's report counts for a group-led target: half done a quarter into the year → on track on 03-31
    from citysafe.workplans.models import ProgressReport

    ProgressReport.objects.create(target=group_target, reporting_unit=world["wz"], as_of=dt.date(2026, 3, 10),
                                  value=0.5)
    rows = rows_by_name(sc.compute("district", Q1, TODAY))
    assert counts(rows["渝中区政府"])["targets_met"] == (2, 3)
    assert counts(rows["万州区政府"])["targets_met"] == (2, 2)
    assert counts(rows["江津区政府"])["targets_met"] == (0, 0)
