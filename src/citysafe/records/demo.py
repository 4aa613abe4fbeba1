"""Demo records for ``citysafe demo`` — invented, marked ``is_demo`` (region figures say 演示数据 in their source).

Played through the real services.  Deaths are chosen so that the year-on-year KPI has something to show: last year
60 deaths in all, this year to date 50 (counting the accident records already synced from the demo incidents, so
run this after ``incidents.demo``).  Also: large accidents (较大, 3–9 deaths), one secondary accident (次生衍生),
forest fires with burned area, one large-scale blackout, elevator entrapments, forest area and elevators in service
per district, a flood with 初报/续报/核报 in two districts (deaths at monitored points 0), and two source figures
that disagree (one open discrepancy).
"""

import datetime as dt
import random

from django.db.models import Sum
from django.utils import timezone

from citysafe.core.models import Region
from citysafe.hazards.models import Industry
from citysafe.incidents.grading import grade_accident

from . import crosscheck, services
from .models import AccidentRecord, DisasterEvent, RecordCategory

LAST_YEAR_DEATHS = 60
THIS_YEAR_DEATHS = 50
INDUSTRIES = ["construction_housing", "road_traffic", "transport", "industry", "hazardous_chemicals", "fire",
              "non_coal_mines", "commerce"]
SOURCE_NOTE = "演示数据（非官方统计）"


def _districts():
    today = timezone.localdate()
    return [r for r in Region.objects.filter(level="district").order_by("adcode") if r.is_valid_on(today)]


def _date_in(rng, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(max(1, (end - start).days + 1)))


def _accidents(admin, rng, year: int, end: dt.date, deaths_total: int, large: list[int], districts) -> int:
    """Ordinary accidents of 1–2 deaths (plus ``large`` ones) adding up to ``deaths_total``; returns the count."""
    industries = [i for i in Industry.objects.filter(code__in=INDUSTRIES)]
    start = dt.date(year, 1, 1)
    plan = list(large)
    remaining = deaths_total - sum(large)
    while remaining > 0:
        deaths = min(remaining, rng.choice([1, 1, 1, 2]))
        plan.append(deaths)
        remaining -= deaths
    for number, deaths in enumerate(plan, start=1):
        industry = rng.choice(industries) if industries else None
        loss = rng.randrange(300_000, 2_500_000) * (3 if deaths >= 3 else 1)
        serious = rng.choice([0, 0, 1, 2])
        services.create_record(
            user=admin, title=f"{industry.name if industry else ''}事故{year}-{number:03d}（演示）",
            occurred_on=_date_in(rng, start, end), region=rng.choice(districts), industry=industry,
            grade=grade_accident(deaths, serious, loss).grade, deaths=deaths, serious_injuries=serious,
            injuries=serious + rng.choice([0, 1, 3]), direct_loss_yuan=loss, is_demo=True)
    return len(plan)


def prepare(admin) -> dict:
    """Create the demo records once (does nothing when demo records made here exist)."""
    if AccidentRecord.objects.filter(is_demo=True, source="manual").exists():
        return {"records": 0}
    rng = random.Random(20260101)
    today = timezone.localdate()
    this_year, last_year = today.year, today.year - 1
    districts = _districts()
    synced = (AccidentRecord.objects.filter(is_demo=True, category=RecordCategory.ACCIDENT,
                                            occurred_on__year=this_year).aggregate(n=Sum("deaths"))["n"] or 0)
    count = _accidents(admin, rng, last_year, dt.date(last_year, 12, 31), LAST_YEAR_DEATHS, [3], districts)
    count += _accidents(admin, rng, this_year, today, max(0, THIS_YEAR_DEATHS - synced), [3, 4], districts)
    # 次生衍生责任事故: a gas explosion after a landslide (counted among this year's deaths too).
    secondary = services.create_record(
        user=admin, title="滑坡致燃气管道破裂爆炸（次生，演示）", occurred_on=_date_in(rng, dt.date(this_year, 1, 1), today),
        region=districts[0], industry=Industry.objects.filter(code="urban_gas").first(), grade="ordinary",
        deaths=0, injuries=2, direct_loss_yuan=800_000, is_secondary=True, is_demo=True)
    for number, burned in enumerate([1.6, 0.4, 3.2], start=1):
        services.create_record(
            user=admin, category=RecordCategory.FOREST_FIRE, title=f"森林火灾{this_year}-{number}（演示）",
            occurred_on=_date_in(rng, dt.date(this_year, 1, 1), today), region=rng.choice(districts),
            industry=Industry.objects.filter(code="forest_grassland_fire").first(), burned_forest_ha=burned,
            is_demo=True)
    services.create_record(
        user=admin, category=RecordCategory.FOREST_FIRE, title=f"森林火灾{last_year}-1（演示）",
        occurred_on=dt.date(last_year, 3, 18), region=rng.choice(districts), burned_forest_ha=2.1, is_demo=True)
    services.create_record(
        user=admin, category=RecordCategory.BLACKOUT, title="城区大面积停电（演示）",
        occurred_on=_date_in(rng, dt.date(this_year, 1, 1), today), region=districts[2],
        industry=Industry.objects.filter(code="electric_power").first(), is_demo=True)
    for number in range(1, 13):
        services.create_record(
            user=admin, category=RecordCategory.ELEVATOR_ENTRAPMENT, title=f"电梯困人{this_year}-{number:02d}（演示）",
            occurred_on=_date_in(rng, dt.date(this_year, 1, 1), today), region=rng.choice(districts),
            industry=Industry.objects.filter(code="special_equipment").first(), is_demo=True)
    figures = 0
    for region in districts:
        # Plausible, invented: the central urban district has almost no forest.
        forest = 150.0 if region.adcode == "500103" else float(rng.randrange(8_000, 220_000))
        elevators = float(rng.randrange(2_000, 30_000))
        for year in (last_year, this_year):
            services.set_region_figure(user=admin, region=region, year=year, metric="forest_area_ha", value=forest,
                                       source=SOURCE_NOTE)
            services.set_region_figure(user=admin, region=region, year=year, metric="elevators_in_service",
                                       value=elevators, source=SOURCE_NOTE)
            figures += 2
    event = _disaster(admin, today)
    _disagreement(admin)
    return {"records": count + 17, "secondary": 1 if secondary else 0, "region figures": figures,
            "disaster events": 1 if event else 0, "discrepancies": 1}


def _disaster(admin, today: dt.date):
    """A flood with 初报 → 续报 → 核报 in 万州区 and 开州区; figures rise over the process; no deaths at monitored points."""
    start = dt.date(today.year, 6, 20) if today >= dt.date(today.year, 7, 1) else dt.date(today.year - 1, 6, 20)
    if DisasterEvent.objects.filter(is_demo=True).exists():
        return None
    event = services.create_event(user=admin, title=f"{start.year}年6月20日强降雨洪涝过程（演示）", hazard_type="洪涝",
                                  start_date=start, end_date=start + dt.timedelta(days=3), is_demo=True)
    base = timezone.make_aware(dt.datetime(start.year, start.month, start.day, 10))
    stages = [("initial", 0, 0.5), ("follow_up", 24, 0.8), ("final", 24 * 10, 1.0)]
    district_totals = {"500101": dict(affected_population=18_000, deaths=2, missing=1, relocated=3_200,
                                      needing_aid=900, collapsed_rooms=14, severely_damaged_rooms=40,
                                      generally_damaged_rooms=160, crop_affected_ha=1_250.0, crop_disaster_ha=610.0,
                                      crop_failed_ha=95.0, direct_loss_10k_yuan=8_600),
                       "500154": dict(affected_population=9_500, deaths=1, missing=0, relocated=1_400,
                                      needing_aid=300, collapsed_rooms=6, severely_damaged_rooms=22,
                                      generally_damaged_rooms=75, crop_affected_ha=820.0, crop_disaster_ha=300.0,
                                      crop_failed_ha=40.0, direct_loss_10k_yuan=3_100)}
    for adcode, final in district_totals.items():
        region = Region.objects.filter(adcode=adcode).order_by("-valid_from").first()
        for stage, hours, share in stages:
            values = {k: (round(v * share) if isinstance(v, int) else round(v * share, 1)) for k, v in final.items()}
            values["deaths_at_monitored_points"] = 0
            services.add_disaster_report(user=admin, event=event, region=region, stage=stage,
                                         reported_at=base + dt.timedelta(hours=hours), note="演示", **values)
    return event


def _disagreement(admin) -> None:
    """The department and the police disagree on the deaths of a large accident → one open discrepancy."""
    record = AccidentRecord.objects.filter(is_demo=True, source="manual", grade="large").order_by("-occurred_on").first()
    if record is None:
        return
    subject = f"accident:{record.pk}"
    crosscheck.add_source_figure(user=admin, subject=subject, metric="deaths", source_kind="department",
                                 value=record.deaths, note="行业部门报送（演示）")
    crosscheck.add_source_figure(user=admin, subject=subject, metric="deaths", source_kind="police",
                                 value=record.deaths + 1, note="公安机关通报（演示）")
