"""Each KPI on hand-computed fixtures (pure functions, no database)."""

import datetime as dt

import pytest

from citysafe.evaluation import kpis

D = dt.date
YZ, WZ = "500000/500103/", "500000/500101/"
P26 = kpis.year_to_date(D(2026, 6, 30))


def acc(day, category="accident", grade="ordinary", deaths=0, missing=0, secondary=False, burned=None, path=YZ):
    return {"category": category, "occurred_on": day, "grade": grade, "deaths": deaths, "missing": missing,
            "is_secondary": secondary, "burned_forest_ha": burned, "region_path": path}


ROWS = [
    acc(D(2026, 1, 5), grade="major", deaths=12),
    acc(D(2026, 2, 5), grade="especially_major", deaths=31, path=WZ),
    acc(D(2026, 3, 5), grade="large", deaths=3, missing=1),
    acc(D(2026, 7, 5), grade="large", deaths=4),            # after the period end
    acc(D(2025, 3, 5), grade="large", deaths=5, path=WZ),   # last year
    acc(D(2026, 4, 1), category="blackout"),
    acc(D(2026, 4, 2), category="forest_fire", burned=1.5, path=WZ, secondary=True, deaths=2),
    acc(D(2026, 4, 3), category="elevator_entrapment"),
    acc(D(2026, 4, 4), category="elevator_entrapment", path=WZ),
]


def test_periods():
    assert P26 == kpis.Period(D(2026, 1, 1), D(2026, 6, 30))
    assert kpis.same_period_last_year(P26) == kpis.Period(D(2025, 1, 1), D(2025, 6, 30))
    assert kpis.same_period_last_year(kpis.Period(D(2024, 1, 1), D(2024, 2, 29))).end == D(2023, 2, 28)


def test_serious_and_large_accidents_with_scope():
    assert kpis.serious_accidents(ROWS, P26) == 2
    assert kpis.serious_accidents(ROWS, P26, YZ) == 1
    assert kpis.large_accidents(ROWS, P26) == 1          # the July one is outside
    assert kpis.large_accidents(ROWS, kpis.same_period_last_year(P26)) == 1
    assert kpis.large_accidents(ROWS, kpis.same_period_last_year(P26), YZ) == 0


def test_accident_deaths_include_missing_and_only_accidents():
    assert kpis.accident_deaths(ROWS, P26) == 12 + 31 + 3 + 1   # forest-fire deaths are not 生产安全事故
    assert kpis.accident_deaths(ROWS, P26, WZ) == 31


def test_change_and_decrease_target():
    assert kpis.change_pct(95, 100) == pytest.approx(-5.0)
    assert kpis.deaths_decrease_met(95, 100) is True
    assert kpis.deaths_decrease_met(96, 100) is False
    assert kpis.deaths_decrease_met(120, 100) is False


def test_zero_baseline():
    assert kpis.change_pct(3, 0) is None
    assert kpis.deaths_decrease_met(0, 0) is True
    assert kpis.deaths_decrease_met(1, 0) is False


def test_secondary_deaths_and_blackouts():
    assert kpis.secondary_deaths(ROWS, P26) == 2
    assert kpis.secondary_deaths(ROWS, P26, YZ) == 0
    assert kpis.blackouts(ROWS, P26) == 1


def test_mass_casualty_events():
    events = [{"id": 1, "start_date": D(2026, 5, 1), "is_mass_casualty_responsibility": True, "region_paths": [WZ]},
              {"id": 2, "start_date": D(2026, 5, 2), "is_mass_casualty_responsibility": False, "region_paths": [YZ]},
              {"id": 3, "start_date": D(2025, 5, 2), "is_mass_casualty_responsibility": True, "region_paths": [YZ]}]
    assert kpis.mass_casualty_events(events, P26) == 1
    assert kpis.mass_casualty_events(events, P26, YZ) == 0
    assert kpis.mass_casualty_events(events, P26, WZ) == 1


def test_monitored_point_deaths_use_latest_versions():
    t = dt.datetime
    reports = [
        {"event_id": 1, "region_id": 4, "region_path": YZ, "stage": "initial", "reported_at": t(2026, 5, 1),
         "event_start": D(2026, 5, 1), "deaths_at_monitored_points": 5},
        {"event_id": 1, "region_id": 4, "region_path": YZ, "stage": "final", "reported_at": t(2026, 5, 9),
         "event_start": D(2026, 5, 1), "deaths_at_monitored_points": 2},
        {"event_id": 1, "region_id": 2, "region_path": WZ, "stage": "follow_up", "reported_at": t(2026, 5, 3),
         "event_start": D(2026, 5, 1), "deaths_at_monitored_points": 1},
        {"event_id": 1, "region_id": 2, "region_path": WZ, "stage": "follow_up", "reported_at": t(2026, 5, 4),
         "event_start": D(2026, 5, 1), "deaths_at_monitored_points": 3},
    ]
    assert kpis.monitored_point_deaths(reports, P26) == 2 + 3
    assert kpis.monitored_point_deaths(reports, P26, YZ) == 2


def test_forest_fire_rate_per_mille():
    figures = [{"region_path": WZ, "year": 2026, "metric": "forest_area_ha", "value": 10000.0},
               {"region_path": YZ, "year": 2026, "metric": "forest_area_ha", "value": 5000.0}]
    # 1.5 ha burned of 10 000 ha = 0.15 ‰ in 万州; city-wide 1.5 / 15 000 × 1000 = 0.1 ‰
    assert kpis.forest_fire_rate(ROWS, figures, P26, WZ) == pytest.approx(0.15)
    assert kpis.forest_fire_rate(ROWS, figures, P26) == pytest.approx(0.1)
    assert kpis.forest_fire_rate(ROWS, figures, P26, YZ) == pytest.approx(0.0)
    # the city's own figure wins over the sum of the districts
    city = figures + [{"region_path": "500000/", "year": 2026, "metric": "forest_area_ha", "value": 30000.0}]
    assert kpis.forest_fire_rate(ROWS, city, P26, None, "500000/") == pytest.approx(0.05)


def test_rates_without_denominator_are_none_not_zero():
    assert kpis.forest_fire_rate(ROWS, [], P26) is None
    assert kpis.elevator_entrapment_rate(ROWS, [], P26) is None


def test_elevator_entrapment_rate():
    figures = [{"region_path": YZ, "year": 2026, "metric": "elevators_in_service", "value": 400.0}]
    assert kpis.elevator_entrapment_rate(ROWS, figures, P26, YZ) == pytest.approx(0.25)   # 1 / 400 × 100
    assert kpis.elevator_entrapment_rate(ROWS, figures, P26, WZ) is None


def test_compute_all_shapes():
    values = {v.code: v for v in kpis.compute_all(kpis.Data(accidents=ROWS), D(2026, 6, 30))}
    assert set(values) == {c for c, _ in kpis.KPI_CHOICES}
    deaths = values["accident_deaths"]
    assert (deaths.value, deaths.previous) == (47, 5)
    assert deaths.change_pct == pytest.approx(840.0)
    assert deaths.extra["decrease_met"] is False
    assert values["forest_fire_rate"].value is None
    with pytest.raises(KeyError):
        kpis.compute("nope", kpis.Data(), P26)
