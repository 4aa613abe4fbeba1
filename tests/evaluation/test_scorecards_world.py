"""A small hand-computed world for the scorecard tests (not the seed plan: every number below is checkable).

Period 2026Q1, evaluated on 2026-05-01, default weights 40/15/15/15/15:

渝中区政府 leads T1 with three targets (achieved, off_track, no_data):
  targets_met          1/2   (no_data excluded)
  reports_on_time      1/3   (t1 on time: created 04-05 ≤ 03-31+10; t2 late: 04-20; t3 none)
  supervision_on_time  1/3   (closed early; closed late; open past deadline; proposed and Q2 items ignored)
  hazards_rectified    1/2   (accepted before deadline; open past deadline)
  warnings_acknowledged no data → weights renormalised over 85
  score = (40·½ + 15·⅓ + 15·⅓ + 15·½) / 85 · 100 = 37.5 / 85 · 100 = 44.1176…
万州区政府 leads T2 with one achieved target and filed no report on time (its only report, as of 03-30, was filed
on 04-20, after the grace; it still makes the target achieved as of the period end):
  targets_met 1/1, reports_on_time 0/1, rest no data → (40·1 + 15·0) / 55 · 100 = 72.7272…
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

TODAY = dt.date(2026, 5, 1)
TZ = ZoneInfo("Asia/Shanghai")


def at(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12), tzinfo=TZ)


@pytest.fixture
def world(reference):
    from citysafe.core.models import Organization, Region
    from citysafe.hazards.models import Hazard, HazardStatus
    from citysafe.workplans.models import (
        ProgressReport,
        ResponsibleUnit,
        Supervision,
        SupervisionStatus,
        Target,
        Task,
        WorkPlan,
    )

    yz = Organization.objects.get(name="渝中区政府")
    wz = Organization.objects.get(name="万州区政府")
    plan = WorkPlan.objects.create(title="测试工作要点", year=2026, source_sha256="x")

    def task(index, org):
        t = Task.objects.create(plan=plan, index=index, number=str(index), title=f"任务{index}", text="…")
        ResponsibleUnit.objects.create(task=t, organization=org, role="lead", position=0)
        return t

    t1, t2 = task(1, yz), task(2, wz)
    targets = {}
    for i, status in enumerate(["achieved", "off_track", "no_data"], start=1):
        targets[f"t{i}"] = Target.objects.create(task=t1, index=i, text="…", metric=f"指标{i}", comparator=">=",
                                                 value=1, status=status)
    targets["w1"] = Target.objects.create(task=t2, index=1, text="…", metric="万州指标", comparator=">=", value=1,
                                          status="achieved")
    r1 = ProgressReport.objects.create(target=targets["t1"], reporting_unit=yz, as_of=dt.date(2026, 3, 20), value=1)
    r2 = ProgressReport.objects.create(target=targets["t2"], reporting_unit=yz, as_of=dt.date(2026, 3, 25), value=0)
    r3 = ProgressReport.objects.create(target=targets["w1"], reporting_unit=wz, as_of=dt.date(2026, 3, 30), value=1)
    ProgressReport.objects.filter(pk=r1.pk).update(created_at=at("2026-04-05"))
    ProgressReport.objects.filter(pk=r2.pk).update(created_at=at("2026-04-20"))
    ProgressReport.objects.filter(pk=r3.pk).update(created_at=at("2026-04-20"))

    def item(title, deadline, status, closed=None):
        Supervision.objects.create(title=title, owner=yz, deadline=dt.date.fromisoformat(deadline), status=status,
                                   closed_at=at(closed) if closed else None)

    item("按期办结", "2026-02-15", SupervisionStatus.CLOSED, "2026-02-10")
    item("逾期办结", "2026-03-01", SupervisionStatus.CLOSED, "2026-03-05")
    item("逾期未办结", "2026-03-10", SupervisionStatus.OPEN)
    item("建议督办", "2026-03-10", SupervisionStatus.PROPOSED)
    item("二季度", "2026-04-10", SupervisionStatus.OPEN)
    region = Region.objects.get(adcode="500103")
    Hazard.objects.create(code="H-T-1", title="已整改", region=region, source="self_inspection",
                          deadline=dt.date(2026, 3, 1), status=HazardStatus.ACCEPTED, closed_at=at("2026-02-20"))
    Hazard.objects.create(code="H-T-2", title="逾期", region=region, source="self_inspection",
                          deadline=dt.date(2026, 3, 15), status=HazardStatus.RECTIFYING)
    return {"yz": yz, "wz": wz, "plan": plan, **targets}
