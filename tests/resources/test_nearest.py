"""Nearest resources: straight-line order, road-graph travel-time order (which differs), filters, graph formats."""

import json

import pytest

from citysafe.resources.errors import ResourceError
from citysafe.resources.nearest import graph_from_csv, graph_from_geojson, haversine_km, load_graph, nearest

# Incident at the origin of a small grid (lon, lat in degrees; 0.01° lat ≈ 1.11 km).
INCIDENT = (106.50, 29.50)
NEAR = (106.51, 29.50)  # ~0.97 km east, but only reachable by a slow track (5 km/h)
FAR = (106.50, 29.53)   # ~3.3 km north, on an expressway (100 km/h)

ROADS = {
    "type": "FeatureCollection",
    "features": [
        {"type": "Feature", "properties": {"speed_kmh": 5},
         "geometry": {"type": "LineString", "coordinates": [list(INCIDENT), list(NEAR)]}},
        {"type": "Feature", "properties": {"speed_kmh": 100},
         "geometry": {"type": "LineString", "coordinates": [list(INCIDENT), [106.50, 29.515], list(FAR)]}},
    ],
}


def test_haversine_known_distance():
    # One degree of latitude on the 6371.0088 km sphere is 111.195 km.
    assert haversine_km(106.0, 29.0, 106.0, 30.0) == pytest.approx(111.195, abs=0.01)
    assert haversine_km(106.5, 29.5, 106.5, 29.5) == 0


def test_graph_travel_minutes():
    graph = graph_from_geojson(ROADS)
    near_min, far_min = graph.minutes_to(*INCIDENT, [NEAR, FAR])
    assert near_min == pytest.approx(0.968 / 5 * 60, rel=0.01)  # ~11.6 min
    assert far_min == pytest.approx(3.336 / 100 * 60, rel=0.01)  # ~2 min


def test_csv_graph_same_as_geojson(tmp_path):
    path = tmp_path / "roads.csv"
    path.write_text("from_lon,from_lat,to_lon,to_lat,speed_kmh,length_km\n"
                    f"{INCIDENT[0]},{INCIDENT[1]},{NEAR[0]},{NEAR[1]},5,\n"
                    f"{INCIDENT[0]},{INCIDENT[1]},{FAR[0]},{FAR[1]},100,3.336\n", encoding="utf-8")
    near_min, far_min = load_graph(path).minutes_to(*INCIDENT, [NEAR, FAR])
    assert near_min > far_min


def test_oneway_and_bad_graph():
    graph = graph_from_csv(["from_lon,from_lat,to_lon,to_lat,speed_kmh,oneway",
                            f"{INCIDENT[0]},{INCIDENT[1]},{NEAR[0]},{NEAR[1]},50,1"])
    assert graph.minutes_to(*INCIDENT, [NEAR]) == [None]  # the only road leads away from the incident
    with pytest.raises(ResourceError):
        graph_from_csv(["from_lon,from_lat,to_lon,to_lat,speed_kmh", "1,2,3,4,0"])


@pytest.mark.django_db
def test_nearest_orders_filters(make_resource):
    from citysafe.resources.models import Resource

    near = make_resource("近队", lon=NEAR[0], lat=NEAR[1])
    far = make_resource("远队", lon=FAR[0], lat=FAR[1])
    make_resource("不可用队", lon=106.501, lat=29.5, status="unavailable")
    shelter = make_resource("避难场所", kind="shelter", lon=106.502, lat=29.5)
    qs = Resource.objects.all()

    by_line = nearest(*INCIDENT, qs, kinds=["team"])
    assert [n.resource for n in by_line] == [near, far]
    assert by_line[0].distance_km == pytest.approx(0.968, abs=0.01)
    assert by_line[0].travel_min is None

    by_time = nearest(*INCIDENT, qs, kinds=["team"], graph=graph_from_geojson(ROADS))
    assert [n.resource for n in by_time] == [far, near]
    by_line_with_graph = nearest(*INCIDENT, qs, kinds=["team"], graph=graph_from_geojson(ROADS), order="distance")
    assert [n.resource for n in by_line_with_graph] == [near, far]

    assert [n.resource.name for n in nearest(*INCIDENT, qs, available_only=False, limit=2)] == ["不可用队", "避难场所"]
    assert nearest(*INCIDENT, qs, kinds=["shelter"])[0].resource == shelter
    with pytest.raises(ResourceError):
        nearest(*INCIDENT, qs, order="time")
    with pytest.raises(ResourceError):
        nearest(200, 29, qs)


def test_configured_graph(tmp_path, settings):
    from citysafe.resources.nearest import configured_graph

    settings.CITYSAFE_ROAD_GRAPH = None
    assert configured_graph() is None
    path = tmp_path / "roads.geojson"
    path.write_text(json.dumps(ROADS), encoding="utf-8")
    settings.CITYSAFE_ROAD_GRAPH = str(path)
    assert configured_graph().graph.number_of_nodes() == 4
