"""Reporting deadlines (493 Art. 9-11, 13; 续报 rhythm; natural-disaster 初报) with exact boundaries."""

import datetime as dt
from zoneinfo import ZoneInfo

from citysafe.incidents import deadlines as d
from citysafe.incidents.grading import LARGE, MAJOR, ORDINARY

T0 = dt.datetime(2026, 5, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
H = dt.timedelta(hours=1)


def by_key(items):
    return {i.key: i for i in items}


def test_county_report_exactly_at_one_hour_is_on_time():
    items = by_key(d.escalation_deadlines(T0, ORDINARY, [d.ReportStamp(T0 + H, "county", "first")], T0 + 2 * H))
    assert items["report_county"].status == d.MET


def test_county_report_one_second_late():
    late = T0 + H + dt.timedelta(seconds=1)
    items = by_key(d.escalation_deadlines(T0, ORDINARY, [d.ReportStamp(late, "county", "first")], T0 + 2 * H))
    assert items["report_county"].status == d.LATE


def test_ordinary_goes_to_city_only_and_clock_starts_at_county_report():
    items = d.escalation_deadlines(T0, ORDINARY, [d.ReportStamp(T0 + H / 2, "county", "first")], T0 + H)
    assert [i.key for i in items] == ["report_county", "report_city"]
    assert items[1].due == T0 + H / 2 + 2 * H and items[1].status == d.PENDING


def test_overdue_when_not_reported_up():
    now = T0 + 4 * H
    items = by_key(d.escalation_deadlines(T0, LARGE, [d.ReportStamp(T0 + H / 2, "county", "first")], now))
    assert items["report_city"].status == d.OVERDUE
    assert items["report_province"].due == T0 + H / 2 + 4 * H and items["report_province"].status == d.PENDING
    assert d.any_overdue(list(items.values()))


def test_major_goes_to_state_and_higher_report_covers_lower_levels():
    reports = [d.ReportStamp(T0 + H, "county", "first"), d.ReportStamp(T0 + 2 * H, "state", "follow_up")]
    items = by_key(d.escalation_deadlines(T0, MAJOR, reports, T0 + 10 * H))
    assert set(items) == {"report_county", "report_city", "report_province", "report_state"}
    assert all(i.status == d.MET for i in items.values())


def test_unreported_county_clock_runs_from_due_time():
    items = d.escalation_deadlines(T0, ORDINARY, [], T0 + 3 * H + dt.timedelta(seconds=1))
    assert [i.status for i in items] == [d.OVERDUE, d.OVERDUE]
    assert items[1].due == T0 + 3 * H


def test_supplement_window_30_days_and_7_for_road_and_fire():
    assert d.supplement_window_end(T0, "industry") == dt.datetime(2026, 6, 1, tzinfo=T0.tzinfo)
    assert d.supplement_window_end(T0, "road_traffic") == dt.datetime(2026, 5, 9, tzinfo=T0.tzinfo)
    assert d.in_supplement_window(T0, "fire", dt.datetime(2026, 5, 8, 23, 59, tzinfo=T0.tzinfo))
    assert not d.in_supplement_window(T0, "fire", dt.datetime(2026, 5, 9, tzinfo=T0.tzinfo))
    assert d.in_supplement_window(T0, None, dt.datetime(2026, 5, 31, 23, 59, tzinfo=T0.tzinfo))


def test_follow_up_rhythm_and_final_report_stops_it():
    reports = [d.ReportStamp(T0, "county", "first")]
    assert d.follow_up_deadline(ORDINARY, reports, T0).due == T0 + 24 * H
    assert d.follow_up_deadline(MAJOR, reports, T0).due == T0 + 12 * H
    assert d.follow_up_deadline(MAJOR, reports, T0 + 12 * H).status == d.PENDING
    assert d.follow_up_deadline(MAJOR, reports, T0 + 12 * H + dt.timedelta(seconds=1)).status == d.OVERDUE
    assert d.follow_up_deadline(MAJOR, reports + [d.ReportStamp(T0 + H, "city", "final")], T0 + 99 * H) is None


def test_natural_disaster_initial_report_two_hours():
    on_time = by_key(d.deadlines_for("natural_disaster", "", T0, [d.ReportStamp(T0 + 2 * H, "city", "first")],
                                     T0 + 3 * H))
    assert on_time["initial_report"].status == d.MET
    missing = by_key(d.deadlines_for("natural_disaster", "", T0, [d.ReportStamp(T0, "county", "first")],
                                     T0 + 2 * H + dt.timedelta(seconds=1)))
    assert missing["initial_report"].status == d.OVERDUE
