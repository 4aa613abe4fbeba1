"""Writes to the reference data: loading regions and organisations, resolving organisation names.

Every function is idempotent, so ``citysafe setup`` can run on every start.
"""

import csv
import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from django.db import transaction

from .models import Organization, OrganizationAlias, OrganizationKind, Region, RegionLevel
from .roles import ensure_role_groups

CITY_ADCODE = "500000"
# GB/T 2260 change of 2025-11-07 (渝府发〔2025〕15号): 江北区 and 渝北区 abolished, 两江新区 500157 created.
ABOLISHED_2025 = {"500105": dt.date(2025, 11, 7), "500112": dt.date(2025, 11, 7)}
LIANGJIANG = ("500157", "两江新区", "Liangjiang New Area", dt.date(2025, 11, 7))
# Work documents count these management zones as 区县 although they have no GB/T 2260 code of their own
# (渝府发〔2025〕1号: "区县(自治县,含两江新区、西部科学城重庆高新区、万盛经开区)"); synthetic codes mark them.
FUNCTIONAL_ZONES = [("Z-GXQ", "重庆高新区", "Chongqing High-tech Zone", ["西部科学城重庆高新区"]),
                    ("Z-WSJK", "万盛经开区", "Wansheng Economic Development Zone", ["万盛经济技术开发区"])]

# Collective names used by work documents, and whom they stand for.
DISTRICT_GROUPS = ["各区县政府", "有关区县政府", "各区县(自治县)人民政府", "各区县"]
DEPARTMENT_GROUPS = ["市安委会各成员单位", "市防减救灾委各成员单位", "市安委会、市防减救灾委各成员单位",
                     "市电力安全专委会各重点成员单位", "市政府各部门"]


def data_file(name: str) -> Path:
    """Path of a file shipped in ``citysafe/core/data``."""
    return Path(str(resources.files("citysafe.core") / "data" / name))


def normalize_org_name(name: str) -> str:
    """Canonical form for matching: NFKC (full-width to half-width), no spaces, Chinese brackets unified."""
    text = unicodedata.normalize("NFKC", name or "")
    text = re.sub(r"\s+", "", text)
    return text.replace("(", "(").replace(")", ")").strip(",、;:。")


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0


@transaction.atomic
def load_regions(divisions_csv: Path | None = None, boundaries: Path | None = None) -> LoadReport:
    """Load Chongqing's county-level divisions (facts CSV) and their WGS84 boundaries (shipped GeoJSON).

    CSV columns: ``adcode,name_zh,name_en,type,stats_group,center_lon_gcj02,center_lat_gcj02``.  The centres are
    GCJ-02; the boundary's representative point (WGS84) is stored as the centre instead when a boundary exists.
    """
    from shapely.geometry import shape

    divisions_csv = divisions_csv or data_file("chongqing_divisions.csv")
    boundaries = boundaries or data_file("chongqing_boundaries.geojson")
    shapes = {}
    if boundaries.exists():
        for feature in json.loads(boundaries.read_text(encoding="utf-8"))["features"]:
            shapes[str(feature["properties"]["adcode"])] = feature["geometry"]
    report = LoadReport()

    def upsert(adcode, valid_from=None, **fields) -> Region:
        geometry = shapes.get(adcode)
        if geometry is not None:
            point = shape(geometry).representative_point()
            fields.update(boundary=geometry, center_lon=round(point.x, 6), center_lat=round(point.y, 6))
        region, created = Region.objects.update_or_create(adcode=adcode, valid_from=valid_from, defaults=fields)
        report.created += created
        report.updated += not created
        return region

    city = upsert(CITY_ADCODE, name="重庆市", name_en="Chongqing", level=RegionLevel.PROVINCE, kind="直辖市")
    with divisions_csv.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            upsert(row["adcode"], name=row["name_zh"], name_en=row["name_en"], level=RegionLevel.DISTRICT,
                   kind=row["type"], parent=city, valid_to=ABOLISHED_2025.get(row["adcode"]))
    code, name, name_en, since = LIANGJIANG
    upsert(code, valid_from=since, name=name, name_en=name_en, level=RegionLevel.DISTRICT, kind="区", parent=city)
    for code, name, name_en, _aliases in FUNCTIONAL_ZONES:
        upsert(code, name=name, name_en=name_en, level=RegionLevel.ZONE, kind="功能区", parent=city)
    return report


def district_regions(on: dt.date | None = None):
    """County-level regions (districts, counties and functional zones) in force on ``on`` (default: today)."""
    on = on or dt.date.today()
    return [r for r in Region.objects.filter(level__in=[RegionLevel.DISTRICT, RegionLevel.ZONE]).order_by("adcode")
            if r.is_valid_on(on)]


def add_alias(org: Organization, alias: str) -> None:
    alias = normalize_org_name(alias)
    if alias and alias != org.name and not Organization.objects.filter(name=alias).exists():
        OrganizationAlias.objects.get_or_create(name=alias, defaults={"organization": org})


@transaction.atomic
def load_organizations(orgs_csv: Path | None = None) -> LoadReport:
    """Load municipal departments (with aliases), district governments and the collective groups.

    District governments are named "<district>政府" with the alias "<district>人民政府".  Group organisations are
    linked to their default members (all district governments; all municipal departments and committees) so that
    a duty of "各区县政府" is visible to each district; administrators refine the member lists.
    """
    orgs_csv = orgs_csv or data_file("organizations.csv")
    report = LoadReport()
    city_region = Region.objects.filter(adcode=CITY_ADCODE).first()
    with orgs_csv.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            org, created = Organization.objects.update_or_create(
                name=row["name"], defaults={"kind": row["kind"], "region": city_region})
            report.created += created
            for alias in filter(None, (row.get("aliases") or "").split("|")):
                add_alias(org, alias)
    city_gov = Organization.objects.get(name="重庆市人民政府")
    governments = []
    for region in Region.objects.filter(level__in=[RegionLevel.DISTRICT, RegionLevel.ZONE]):
        suffix = "管委会" if region.level == RegionLevel.ZONE or region.adcode == LIANGJIANG[0] else "政府"
        org, created = Organization.objects.update_or_create(
            name=f"{region.name}{suffix}",
            defaults={"kind": OrganizationKind.GOVERNMENT, "region": region, "parent": city_gov})
        report.created += created
        add_alias(org, f"{region.name}人民政府" if suffix == "政府" else f"{region.name}政府")
        if region.is_valid_on(dt.date.today()):
            governments.append(org)
    for _code, name, _en, aliases in FUNCTIONAL_ZONES:
        org = Organization.objects.get(name=f"{name}管委会")
        for alias in aliases:
            add_alias(org, f"{alias}管委会")
    departments = list(Organization.objects.filter(kind__in=[OrganizationKind.DEPARTMENT, OrganizationKind.COMMITTEE],
                                                    region=city_region))
    for name in DISTRICT_GROUPS + DEPARTMENT_GROUPS:
        group, created = Organization.objects.get_or_create(name=name, defaults={"kind": OrganizationKind.GROUP})
        report.created += created
        group.members.add(*(governments if name in DISTRICT_GROUPS else departments))
    return report


def find_organization(name: str) -> Organization | None:
    """Find an organisation by exact name or alias after normalisation."""
    key = normalize_org_name(name)
    org = Organization.objects.filter(name=key).first()
    if org is None:
        alias = OrganizationAlias.objects.select_related("organization").filter(name=key).first()
        org = alias.organization if alias else None
    return org


def resolve_organization(name: str, *, is_group: bool = False, create: bool = True) -> tuple[Organization | None, bool]:
    """Return (organisation, created) for a name found in a document; create a flagged one when unknown.

    A created organisation gets ``created_by_import=True`` so an administrator can merge it into an existing one.
    """
    org = find_organization(name)
    if org is not None or not create:
        return org, False
    key = normalize_org_name(name)
    kind = OrganizationKind.GROUP if is_group else _guess_kind(key)
    region = _guess_region(key)
    org = Organization.objects.create(name=key, kind=kind, region=region, created_by_import=True)
    return org, True


def _guess_kind(name: str) -> str:
    if name.endswith(("安委会", "减救灾委", "专委会", "指挥部")):
        return OrganizationKind.COMMITTEE
    if name.endswith(("政府", "管委会")):
        return OrganizationKind.GOVERNMENT
    if name.endswith(("局", "委", "办", "厅", "院", "社")):
        return OrganizationKind.DEPARTMENT
    if name.endswith(("公司", "集团")):
        return OrganizationKind.ENTERPRISE
    return OrganizationKind.OTHER


def _guess_region(name: str) -> Region | None:
    """A district's organisation ("渝中区应急局") is placed in that district; others at city level."""
    for region in Region.objects.filter(level__in=[RegionLevel.DISTRICT, RegionLevel.ZONE]):
        if name.startswith(region.name):
            return region
    return Region.objects.filter(adcode=CITY_ADCODE).first()


# Other apps add their own reference data (sectors, determination packs …) here from their AppConfig.ready().
REFERENCE_LOADERS: list = []


def register_reference_loader(name: str, loader) -> None:
    if name not in {n for n, _f in REFERENCE_LOADERS}:
        REFERENCE_LOADERS.append((name, loader))


def migrate_all(verbosity: int = 0) -> None:
    """Migrate every configured database (the main one and, on SQLite, the readings file)."""
    from django.conf import settings
    from django.core.management import call_command

    for alias in settings.DATABASES:
        call_command("migrate", database=alias, interactive=False, verbosity=verbosity)


def setup_reference_data() -> dict:
    """Roles, regions and organisations, then every app's reference data: all a fresh database needs (idempotent)."""
    ensure_role_groups()
    regions = load_regions()
    orgs = load_organizations()
    result = {"regions": regions.created + regions.updated, "organizations_created": orgs.created}
    for name, loader in REFERENCE_LOADERS:
        result[name] = loader()
    return result
