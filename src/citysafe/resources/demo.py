"""Demo resources for ``citysafe demo``: per district a rescue team, a depot with stock (some lines below minimum or
expiring, to show the flags), a shelter and a medical point; a few city helipads and equipment.  All ``is_demo``.

Points are random (seeded) inside each district boundary; names are fictitious.
"""

import datetime as dt
import random

from django.db import transaction
from shapely.geometry import Point, shape

from citysafe.core.audit import acting_as
from citysafe.core.models import Organization, Region, RegionLevel

from .models import Resource, ResourceKind, StockItem
from .services import region_of_point

STOCK = [("帐篷", "顶", 200, 100), ("折叠床", "张", 300, 150), ("棉被", "床", 500, 300), ("饮用水", "箱", 400, 200),
         ("方便食品", "箱", 300, 200), ("发电机", "台", 6, 4), ("冲锋舟", "艘", 4, 2)]


def _point_in(geometry, rng):
    minx, miny, maxx, maxy = geometry.bounds
    for _ in range(200):
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if geometry.contains(p):
            return round(p.x, 6), round(p.y, 6)
    p = geometry.representative_point()
    return round(p.x, 6), round(p.y, 6)


def _phone(rng) -> str:
    return "139" + "".join(str(rng.randint(0, 9)) for _ in range(8))


@transaction.atomic
def prepare(admin) -> dict:
    """Create the demo resources once (a second call changes nothing); returns counts."""
    if Resource.objects.filter(is_demo=True).exists():
        return {"resources": 0, "stock": 0}
    rng = random.Random(2026)
    today = dt.date.today()
    resources, stock = [], []
    districts = [r for r in Region.objects.filter(level=RegionLevel.DISTRICT).exclude(boundary=None)
                 if r.is_valid_on(today)]
    with acting_as(admin):
        for region in districts:
            geometry = shape(region.boundary)
            owner = Organization.objects.filter(name=f"{region.name}政府").first()
            common = {"region": region, "organization": owner, "is_demo": True}
            for kind, name, extra in [
                (ResourceKind.TEAM, f"{region.name}综合应急救援队", {"specialty": "综合", "headcount": rng.randint(20, 80),
                                                                    "equipment": "破拆工具、生命探测仪、照明车"}),
                (ResourceKind.DEPOT, f"{region.name}应急物资储备库", {}),
                (ResourceKind.SHELTER, f"{region.name}中心避难场所", {"capacity": rng.randint(5, 40) * 100,
                                                                     "occupancy": 0}),
                (ResourceKind.MEDICAL, f"{region.name}人民医院急救站", {"capacity": rng.randint(20, 120)}),
            ]:
                lon, lat = _point_in(geometry, rng)
                resource = Resource.objects.create(kind=kind, name=name, lon=lon, lat=lat, contact_name="值班室",
                                                   contact_phone=_phone(rng), **common, **extra)
                resources.append(resource)
                if kind == ResourceKind.DEPOT:
                    for item, unit, base, minimum in STOCK:
                        quantity = int(base * rng.uniform(0.4, 1.6))
                        expires = today + dt.timedelta(days=rng.choice([20, 200, 700])) if item in {
                            "饮用水", "方便食品"} else None
                        stock.append(StockItem.objects.create(depot=resource, item=item, unit=unit, quantity=quantity,
                                                              minimum=minimum, expires_on=expires))
        city = Organization.objects.filter(name="市应急管理局").first()
        for name, lon, lat in [("江北机场直升机起降点", 106.6417, 29.7192), ("万州五桥直升机起降点", 108.4300, 30.7500),
                               ("黔江舟白直升机起降点", 108.8700, 29.5300)]:
            # City-owned but located in a district: the district sees it (and asks the city to send it).
            resources.append(Resource.objects.create(kind=ResourceKind.HELIPAD, name=name, lon=lon, lat=lat,
                                                     region=region_of_point(lon, lat), organization=city, is_demo=True))
        for name, quantity in [("大功率排水车", 6), ("应急通信保障车", 3), ("无人机", 12)]:
            resources.append(Resource.objects.create(kind=ResourceKind.EQUIPMENT, name=f"市级{name}", lon=106.55,
                                                     lat=29.57, region=region_of_point(106.55, 29.57), quantity=quantity,
                                                     organization=city, is_demo=True))
    return {"resources": len(resources), "stock": len(stock)}
