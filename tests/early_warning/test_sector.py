"""Sector-and-weather (行业+气象): the pure STRtree join on 100,000 synthetic points, and the targeted children."""

import datetime as dt

import numpy as np
import pytest
import shapely

from citysafe.early_warning import sector

# a district-sized, non-convex polygon (about 0.5° x 0.4°, with a notch) in WGS84 lon/lat
AREA = {"type": "Polygon", "coordinates": [[[106.3, 29.3], [106.8, 29.3], [106.8, 29.7], [106.55, 29.5],
                                            [106.3, 29.7], [106.3, 29.3]]]}


def synthetic(n=100_000, seed=20260701):
    rng = np.random.default_rng(seed)
    lon = rng.uniform(105.3, 110.2, n)  # Chongqing's extent
    lat = rng.uniform(28.1, 32.2, n)
    ids = rng.permutation(n).astype(np.int64) + 1
    return lon, lat, ids


def test_join_on_100k_points_matches_brute_force():
    lon, lat, ids = synthetic()
    points = sector.PointSet(lon, lat, ids)
    polygon = shapely.geometry.shape(AREA)
    expected_contains = np.sort(ids[shapely.contains_xy(polygon, lon, lat)])
    expected_intersects = np.sort(ids[shapely.intersects_xy(polygon, lon, lat)])
    got = sector.join(AREA, points, predicate="contains")
    assert len(got) > 500  # a real share of the points (the area is ~0.8 % of the extent), not a trivial answer
    assert np.array_equal(got, expected_contains)
    assert np.array_equal(sector.join(AREA, points), expected_intersects)
    # the tree is kept: a second query gives the same answer
    assert np.array_equal(sector.join({"type": "Feature", "geometry": AREA}, points), expected_intersects)


def test_join_edge_cases():
    points = sector.PointSet([106.5, 106.55, 107.5], [29.4, 29.3, 29.4], [1, 2, 3])
    assert sector.join(AREA, points).tolist() == [1, 2]  # 2 lies on the boundary: intersects, not contains
    assert sector.join(AREA, points, predicate="contains").tolist() == [1]
    multi = {"type": "MultiPolygon", "coordinates": [AREA["coordinates"],
                                                      [[[107.4, 29.3], [107.6, 29.3], [107.6, 29.5], [107.4, 29.3]]]]}
    assert sector.join(multi, points).tolist() == [1, 2, 3]
    assert sector.join(AREA, sector.PointSet([], [], [])).tolist() == []
    bowtie = {"type": "Polygon", "coordinates": [[[106.4, 29.35], [106.6, 29.45], [106.6, 29.35], [106.4, 29.45],
                                                  [106.4, 29.35]]]}
    assert sector.join(bowtie, points).tolist() == [1]  # self-intersecting input is repaired, not an error
    with pytest.raises(sector.SectorError):
        sector.join({"type": "Point", "coordinates": [106.5, 29.4]}, points)
    with pytest.raises(sector.SectorError):
        sector.join({"type": "Polygon", "coordinates": "nonsense"}, points)
    with pytest.raises(sector.SectorError):
        sector.PointSet([1, 2], [1], [1, 2])


def test_sector_kinds_are_configurable(settings):
    assert "construction_site" in sector.sector_kinds()["gale"]
    settings.CITYSAFE_SECTOR_KINDS = {"gale": ["scenic_spot"]}
    assert sector.sector_kinds()["gale"] == ("scenic_spot",)
    assert sector.sector_kinds()["rainstorm"] == sector.DEFAULT_SECTOR_KINDS["rainstorm"]


# --- ORM ------------------------------------------------------------------------------------------------------------

T0 = dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def points(reference):
    """Risk points in and around AREA: kinds concerned and not, inside and outside; one with a responsible unit."""
    from citysafe.core.models import Organization, Person, Region
    from citysafe.hazards.models import ResponsibilityAssignment, RiskPoint

    region = Region.objects.get(adcode="500103")
    unit = Organization.objects.create(name="测试建筑施工单位", kind="enterprise", region=region)
    site_manager = Person.objects.create(name="工地负责人", organization=unit)
    village = Person.objects.create(name="村包保")
    made = {}
    for code, kind, lon, lat in [("IN-SLIDE", "landslide", 106.4, 29.4), ("IN-SITE", "construction_site", 106.7, 29.4),
                                 ("IN-GAS", "gas_pipeline", 106.5, 29.4), ("OUT-SLIDE", "landslide", 107.5, 29.4),
                                 ("NOTCH-SLIDE", "landslide", 106.55, 29.65)]:
        made[code] = RiskPoint.objects.create(code=code, name=f"点{code}", kind=kind, region=region, lon=lon, lat=lat,
                                              responsible_unit=unit if kind == "construction_site" else None)
    ResponsibilityAssignment.objects.create(risk_point=made["IN-SLIDE"], level="village", person=village)
    return {"region": region, "unit": unit, "site_manager": site_manager, "village": village, **made}


def _weather(points, level="orange", hazard="rainstorm", **kw):
    from citysafe.early_warning.models import EarlyWarning

    return EarlyWarning.objects.create(source_key=f"cap:test:{hazard}", hazard_type=hazard, level=level,
                                       headline=f"暴雨{level}预警", region=points["region"], polygon=AREA,
                                       onset=T0, raised_at=T0, updated_at=T0, is_public=True, **kw)


def _loop(changes, capture):
    from citysafe.early_warning.hooks import after_warning_changes

    with capture(execute=True):
        after_warning_changes(changes)


def test_derive_filters_kinds_and_area_and_is_idempotent(points, django_capture_on_commit_callbacks):
    from citysafe.early_warning.models import CallAttempt

    parent = _weather(points)
    _loop([(parent.pk, "raised")], django_capture_on_commit_callbacks)
    children = {c.risk_point.code: c for c in parent.children.select_related("risk_point")}
    assert set(children) == {"IN-SLIDE", "IN-SITE"}  # gas pipeline: not a rainstorm kind; others outside
    child = children["IN-SLIDE"]
    assert (child.level, child.hazard_type, child.region, child.status) == ("orange", "rainstorm", points["region"],
                                                                           "active")
    assert child.source_key == f"sector:{parent.pk}:{points['IN-SLIDE'].pk}" and child.headline.endswith("(行业+气象)")
    assert child.events.filter(kind="derived").exists() and not child.is_public
    # the loop ran for the children: the 包保责任人 and the responsible unit are called
    assert CallAttempt.objects.filter(warning=child, person=points["village"]).exists()
    assert CallAttempt.objects.filter(warning=children["IN-SITE"], person=points["site_manager"],
                                      target="unit").exists()
    # idempotent: the same change again creates nothing
    assert sector.derive_targeted_warnings(parent) == []
    _loop([(parent.pk, "updated")], django_capture_on_commit_callbacks)
    assert parent.children.count() == 2


def test_parent_upgrade_and_end_propagate(points, django_capture_on_commit_callbacks):
    from citysafe.early_warning import services
    from citysafe.early_warning.models import CallAttempt, EarlyWarning

    parent = _weather(points, level="yellow")
    _loop([(parent.pk, "raised")], django_capture_on_commit_callbacks)
    child = parent.children.get(risk_point=points["IN-SLIDE"])
    EarlyWarning.objects.filter(pk=parent.pk).update(level="red")
    _loop([(parent.pk, "upgraded")], django_capture_on_commit_callbacks)
    child.refresh_from_db()
    assert child.level == "red" and child.events.filter(kind="upgraded", level="red").exists()
    assert CallAttempt.objects.filter(warning=child, level="red", status="pending").exists()  # called again at red
    with django_capture_on_commit_callbacks(execute=True):
        services.end_warning(user=None, warning=EarlyWarning.objects.get(pk=parent.pk), kind="cancelled")
    child.refresh_from_db()
    assert child.status == "cancelled" and child.events.filter(kind="cancelled").exists()
    assert not CallAttempt.objects.filter(warning=child, status="pending").exists()
    assert set(parent.children.values_list("status", flat=True)) == {"cancelled"}


def test_an_update_moving_the_area_ends_children_outside(points, django_capture_on_commit_callbacks):
    from citysafe.early_warning.models import EarlyWarning

    parent = _weather(points)
    _loop([(parent.pk, "raised")], django_capture_on_commit_callbacks)
    west = {"type": "Polygon", "coordinates": [[[106.3, 29.3], [106.5, 29.3], [106.5, 29.5], [106.3, 29.5],
                                                [106.3, 29.3]]]}
    EarlyWarning.objects.filter(pk=parent.pk).update(polygon=west)
    _loop([(parent.pk, "updated")], django_capture_on_commit_callbacks)
    states = dict(parent.children.values_list("risk_point__code", "status"))
    assert states == {"IN-SLIDE": "active", "IN-SITE": "cancelled"}


def test_region_boundary_is_the_area_without_a_polygon(points, django_capture_on_commit_callbacks):
    region = points["region"]
    region.boundary = AREA
    region.save()
    from citysafe.early_warning.models import EarlyWarning

    parent = EarlyWarning.objects.create(source_key="manual:gale", hazard_type="gale", level="blue",
                                         headline="大风蓝色预警", region=region, onset=T0, raised_at=T0, updated_at=T0)
    _loop([(parent.pk, "raised")], django_capture_on_commit_callbacks)
    assert list(parent.children.values_list("risk_point__code", flat=True)) == ["IN-SITE"]  # gale: sites, spots


def test_not_a_parent_no_children(points, django_capture_on_commit_callbacks):
    from citysafe.early_warning.models import EarlyWarning

    with_point = EarlyWarning.objects.create(source_key="device:1", hazard_type="rainstorm", level="red",
                                             headline="雨量计预警", region=points["region"], polygon=AREA,
                                             risk_point=points["IN-SLIDE"], onset=T0)
    gas = EarlyWarning.objects.create(source_key="manual:gas", hazard_type="gas_leak", level="red",
                                      headline="燃气", region=points["region"], polygon=AREA, onset=T0)
    gauge = EarlyWarning.objects.create(source_key="device:2", hazard_type="rainstorm", level="red", device_id=2,
                                        headline="雨量计区域预警", region=points["region"], polygon=AREA, onset=T0)
    _loop([(with_point.pk, "raised"), (gas.pk, "raised"), (gauge.pk, "raised")], django_capture_on_commit_callbacks)
    assert not EarlyWarning.objects.filter(parent__isnull=False).exists()


def test_children_are_listed_on_the_parent_page_only_where_visible(points, client, yuzhong, wanzhou,
                                                                    django_capture_on_commit_callbacks):
    parent = _weather(points)
    _loop([(parent.pk, "raised")], django_capture_on_commit_callbacks)
    client.force_login(yuzhong)
    page = client.get(f"/early-warning/{parent.pk}/noise/").content.decode()
    assert 'data-testid="noise-children"' in page and "点IN-SLIDE" in page
    client.force_login(wanzhou)  # sees the public parent, not the targeted children in 渝中区
    page = client.get(f"/early-warning/{parent.pk}/noise/").content.decode()
    assert "点IN-SLIDE" not in page and "noise-children" not in page
    detail = client.get(f"/early-warning/{parent.pk}/").content.decode()
    assert f"/early-warning/{parent.pk}/noise/" in detail  # the panel is loaded by htmx
