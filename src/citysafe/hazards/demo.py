"""Demo hazards and risk points for ``citysafe demo`` — generated, and marked ``is_demo`` everywhere.

Points are drawn uniformly inside each district's boundary (shapely), so routing by location works as in real
use.  Landslide points of the five districts in ``data/chongqing_geohazard_points_partial.csv`` follow the published
counts scaled down by ``GEOHAZARD_SCALE``; everything else is invented.
"""

import csv
import datetime as dt
import random
from importlib import resources
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from shapely.geometry import Point, shape
from simple_history.utils import bulk_create_with_history

from citysafe.core.models import Organization, OrganizationKind, Person, Region, RegionLevel

from . import services
from .models import (
    Hazard,
    HazardGrade,
    HazardSource,
    Industry,
    ResponsibilityAssignment,
    ResponsibilityLevel,
    RiskPoint,
    RiskPointKind,
)

GEOHAZARD_SCALE = 0.1
HAZARD_COUNT = 240
RISK_POINTS_PER_DISTRICT = 25
TITLES = {
    "industry": ["粉尘涉爆企业除尘系统未设置泄爆装置", "有限空间作业未执行先通风再检测后作业", "液氨制冷车间人员超过9人"],
    "hazardous_chemicals": ["储罐区紧急切断阀未投用", "可燃气体报警器失效", "装卸作业未使用万向管道充装系统"],
    "fire": ["高层住宅消防通道堵塞", "商场疏散指示标志损坏", "消防控制室无人值班"],
    "construction_housing": ["深基坑未按方案支护", "塔吊限位装置失效", "脚手架连墙件缺失"],
    "urban_gas": ["餐饮场所未安装燃气泄漏报警装置", "燃气管道被占压", "液化气瓶超期未检"],
    "road_traffic": ["急弯路段缺少防护栏", "临水临崖路段未设警示标志"],
    "special_equipment": ["电梯维保记录缺失", "锅炉安全阀超期未校验"],
    "geological_hazards": ["滑坡体前缘出现新裂缝", "危岩带下方有居民居住"],
}


def _points_in(geometry, n, rng):
    minx, miny, maxx, maxy = geometry.bounds
    found = []
    while len(found) < n:
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if geometry.contains(p):
            found.append((round(p.x, 6), round(p.y, 6)))
    return found


def _districts():
    today = dt.date.today()
    return [(r, shape(r.boundary)) for r in Region.objects.filter(level=RegionLevel.DISTRICT).exclude(boundary=None)
            if r.is_valid_on(today)]


def _geohazard_counts() -> dict[str, int]:
    path = Path(str(resources.files("citysafe.hazards") / "data" / "chongqing_geohazard_points_partial.csv"))
    with path.open(encoding="utf-8") as fh:
        return {row["adcode"]: int(int(row["landslide"] or 0) * GEOHAZARD_SCALE) for row in csv.DictReader(fh)}


@transaction.atomic
def create_demo_risk_points(rng: random.Random) -> int:
    """Risk points with a three-level responsibility chain (persons are fictitious, phones 1380000xxxx)."""
    if RiskPoint.objects.filter(is_demo=True).exists():
        return 0
    geo = _geohazard_counts()
    industries = {i.code: i for i in Industry.objects.all()}
    kind_industry = {"landslide": "geological_hazards", "geological": "geological_hazards",
                     "ponding": "drainage_waterlogging", "flash_flood_gully": "flood_drought",
                     "gas_pipeline": "urban_gas", "major_hazard_installation": "hazardous_chemicals",
                     "scenic_spot": "culture_tourism_sports", "construction_site": "construction_housing",
                     "mine": "non_coal_mines"}
    points, people = [], []
    for region, geometry in _districts():
        n = RISK_POINTS_PER_DISTRICT + geo.get(region.adcode, 0)
        for i, (lon, lat) in enumerate(_points_in(geometry, n, rng)):
            kind = "landslide" if i < geo.get(region.adcode, 0) else rng.choice(RiskPointKind.values)
            households = rng.randint(0, 60)
            points.append(RiskPoint(
                code=f"DEMO-{region.adcode}-{i + 1:04d}", name=f"{region.name}{RiskPointKind(kind).label}{i + 1}号",
                kind=kind, industry=industries.get(kind_industry[kind]), lon=lon, lat=lat, region=region,
                township=f"{region.name[:2]}镇", village=f"第{rng.randint(1, 12)}村",
                risk_grade=rng.choice(["red", "orange", "yellow", "blue"]), threatened_households=households,
                threatened_people=households * rng.randint(2, 4), is_demo=True))
    bulk_create_with_history(points, RiskPoint, batch_size=1000)
    saved = {p.code: p for p in RiskPoint.objects.filter(is_demo=True)}
    for n in range(300):
        people.append(Person(name=f"演示人员{n + 1:03d}", phone=f"1380000{n:04d}", title="包保责任人"))
    bulk_create_with_history(people, Person, batch_size=1000)
    persons = list(Person.objects.filter(name__startswith="演示人员"))
    assignments = []
    for point in saved.values():
        for level in ResponsibilityLevel.values:
            person, deputy = rng.sample(persons, 2)
            assignments.append(ResponsibilityAssignment(risk_point=point, level=level, person=person, deputy=deputy))
    bulk_create_with_history(assignments, ResponsibilityAssignment, batch_size=2000)
    return len(points)


def create_demo_hazards(admin, rng: random.Random) -> int:
    """Hazards in every state of the closed loop, some major and listed for supervision, some overdue."""
    if Hazard.objects.filter(is_demo=True).exists():
        return 0
    districts = _districts()
    industries = {i.code: i for i in Industry.objects.all()}
    enterprises = _demo_enterprises(districts, rng)
    today = timezone.localdate()
    for _n in range(HAZARD_COUNT):
        code = rng.choice(list(TITLES))
        region, geometry = rng.choice(districts)
        (lon, lat), = _points_in(geometry, 1, rng)
        found = today - dt.timedelta(days=rng.randint(1, 300))
        grade = HazardGrade.MAJOR if rng.random() < 0.12 else HazardGrade.GENERAL
        hazard = services.create_hazard(
            user=admin, title=rng.choice(TITLES[code]), source=rng.choice(HazardSource.values), lon=lon, lat=lat,
            industry=industries.get(code), grade=grade, enterprise=rng.choice(enterprises[region.pk]),
            basis="工贸企业重大事故隐患判定标准(应急管理部令第10号) 第十一条" if grade == HazardGrade.MAJOR else "",
            found_at=timezone.make_aware(dt.datetime.combine(found, dt.time(10))),
            deadline=found + dt.timedelta(days=rng.choice([7, 15, 30, 60])), found_by="演示检查组",
            description="【演示数据】系统生成的隐患记录。", is_demo=True)
        _advance(hazard, admin, rng)
    return HAZARD_COUNT


def _demo_enterprises(districts, rng):
    by_region = {}
    for region, _geometry in districts:
        orgs = []
        for suffix in ("机械制造有限公司", "化工有限公司", "建设工程有限公司"):
            org, _ = Organization.objects.get_or_create(
                name=f"{region.name}演示{suffix}", defaults={"kind": OrganizationKind.ENTERPRISE, "region": region})
            orgs.append(org)
        by_region[region.pk] = orgs
    return by_region


def _advance(hazard, admin, rng):
    """Walk the hazard a random number of steps along the loop (with a rejection now and then)."""
    steps = rng.choice([0, 1, 2, 3, 4, 5, 5, 5])
    plan = ["assign", "start", "submit", "accept"][:max(0, steps - 1)] if hazard.status == "reported" else []
    for action in plan:
        if action == "accept" and rng.random() < 0.15:
            services.transition_hazard(user=admin, hazard=hazard, action="reject", comment="整改不到位(演示)")
            services.transition_hazard(user=admin, hazard=hazard, action="submit", comment="再次提交(演示)")
        hazard = services.transition_hazard(user=admin, hazard=hazard, action=action, comment="演示")


def prepare(admin) -> dict:
    rng = random.Random(2026)
    return {"risk_points": create_demo_risk_points(rng), "hazards": create_demo_hazards(admin, rng)}
