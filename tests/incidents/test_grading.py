"""Grading at every boundary of 493 Art. 3 and the relief plan levels (standards-safety.md §1.1, §2.2)."""

from decimal import Decimal

import pytest

from citysafe.incidents import grading as g


@pytest.mark.parametrize(("deaths", "grade"), [
    (0, g.ORDINARY), (2, g.ORDINARY), (3, g.LARGE), (9, g.LARGE), (10, g.MAJOR), (29, g.MAJOR),
    (30, g.ESPECIALLY_MAJOR), (31, g.ESPECIALLY_MAJOR)])
def test_deaths_boundaries(deaths, grade):
    assert g.grade_accident(deaths=deaths).grade == grade


@pytest.mark.parametrize(("injuries", "grade"), [
    (9, g.ORDINARY), (10, g.LARGE), (49, g.LARGE), (50, g.MAJOR), (99, g.MAJOR), (100, g.ESPECIALLY_MAJOR)])
def test_serious_injury_boundaries(injuries, grade):
    assert g.grade_accident(serious_injuries=injuries).grade == grade


@pytest.mark.parametrize(("loss", "grade"), [
    (9_999_999, g.ORDINARY), (Decimal("9999999.99"), g.ORDINARY), (10_000_000, g.LARGE), (49_999_999, g.LARGE),
    (50_000_000, g.MAJOR), (99_999_999, g.MAJOR), (100_000_000, g.ESPECIALLY_MAJOR)])
def test_direct_loss_boundaries(loss, grade):
    assert g.grade_accident(direct_loss_yuan=loss).grade == grade


def test_highest_criterion_wins():
    result = g.grade_accident(deaths=1, serious_injuries=60, direct_loss_yuan=0)
    assert result.grade == g.MAJOR and result.triggered_by == ("serious_injuries",)
    assert g.grade_accident(deaths=3, serious_injuries=10, direct_loss_yuan=10_000_000).triggered_by == (
        "deaths", "serious_injuries", "direct_loss")


def test_missing_count_as_deaths_by_default():
    assert g.grade_accident(deaths=2, missing=1).grade == g.LARGE
    assert g.grade_accident(deaths=2, missing=1, count_missing=False).grade == g.ORDINARY
    assert g.grade_accident(deaths=0, missing=30).grade == g.ESPECIALLY_MAJOR


def test_negative_figures_rejected():
    with pytest.raises(ValueError):
        g.grade_accident(deaths=-1)
    with pytest.raises(ValueError):
        g.grade_natural_disaster(relocated=-5)


@pytest.mark.parametrize(("people", "level"), [
    (19, ""), (20, g.LEVEL_4), (49, g.LEVEL_4), (50, g.LEVEL_3), (99, g.LEVEL_3), (100, g.LEVEL_2),
    (199, g.LEVEL_2), (200, g.LEVEL_1)])
def test_disaster_deaths_and_missing(people, level):
    assert g.grade_natural_disaster(deaths=people - people // 2, missing=people // 2).grade == level


@pytest.mark.parametrize(("relocated", "level"), [
    (99_999, ""), (100_000, g.LEVEL_4), (499_999, g.LEVEL_4), (500_000, g.LEVEL_3), (1_000_000, g.LEVEL_2),
    (1_999_999, g.LEVEL_2), (2_000_000, g.LEVEL_1)])
def test_disaster_relocated(relocated, level):
    assert g.grade_natural_disaster(relocated=relocated).grade == level


@pytest.mark.parametrize(("rooms", "level"), [
    (9_999, ""), (10_000, g.LEVEL_4), (99_999, g.LEVEL_4), (100_000, g.LEVEL_3), (200_000, g.LEVEL_2),
    (299_999, g.LEVEL_2), (300_000, g.LEVEL_1)])
def test_disaster_houses(rooms, level):
    assert g.grade_natural_disaster(houses_collapsed_damaged=rooms).grade == level


@pytest.mark.parametrize(("kwargs", "flag"), [
    ({}, False), ({"at_risk": 9}, False), ({"at_risk": 10}, True), ({"trapped_or_missing": 2}, False),
    ({"trapped_or_missing": 3}, True), ({"evacuated": 499}, False), ({"evacuated": 500}, True)])
def test_large_risk_event(kwargs, flag):
    assert g.is_large_risk_event(**kwargs) is flag


@pytest.mark.parametrize(("old", "new", "raised"), [
    (g.ORDINARY, g.LARGE, True), (g.LARGE, g.MAJOR, True), (g.MAJOR, g.ESPECIALLY_MAJOR, True),
    (g.LARGE, g.LARGE, False), (g.MAJOR, g.LARGE, False), ("", g.LEVEL_4, True), (g.LEVEL_3, g.LEVEL_4, False)])
def test_jurisdiction_change(old, new, raised):
    assert g.raises_jurisdiction(old, new) is raised
