"""Warning-loop metrics on a hand-computed fixture (all times fixed; nothing depends on the clock).

Period: July 2026 (Asia/Shanghai).  T0 = 2026-07-01 10:00 +08:00.

=====  =====================  ===========================================================================
 A     渝中区 red, risk point   p1 sent T0, ack +60 s; p2 due T0 sent +30 s, ack +210 s (=180 s); p3 silent
       P1 (120 people)         on two channels -> escalated to deputy p4, sent +300 s, ack +400 s (=100 s);
                               p5 subscriber (informational, not counted).  Cleared in July, closed.
 B     渝中区 yellow, public    region-wide, nobody called.  Active.
 C     万州区 orange, risk      q1 sent T0, ack +30 s; q2 sent, silent.  Public.  Cancelled in July, not closed.
       point P2 (300 people)
 D     渝中区 blue              raised and called 2026-06-30 23:30 +08:00 (June!), ack 00:10 July 1.
 X     万州区 red draft         public, never issued: must count nowhere.
=====  =====================  ===========================================================================

Hand results, city scope: 万州 orange called 2 / ack 1 (0.5, median 30 s); 渝中 red called 4 / ack 3 (0.75,
median of 60, 180, 100 = 100 s, 1 escalation); 渝中 yellow 1 warning, nobody called.  Totals 4 / 6, median of
30, 60, 100, 180 = 80 s.  Actions of A: on time 1, late 1, open overdue 1, open 1 -> 1/3.  Closing: A closed, C not
-> 1/2.  Coverage: 渝中 600,000 (B covers the district; P1 is not added again), 万州 300 of 1,500,000, 涪陵 0 of
1,000,000; others unknown -> 600,300 / 3,100,000.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from citysafe.core.models import Person, Region
from citysafe.early_warning import metrics
from citysafe.early_warning.models import (
    Acknowledgement,
    CallAttempt,
    EarlyWarning,
    ResponseAction,
    WarningEvent,
)
from citysafe.hazards.models import RiskPoint

CST = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 7, 1, 10, 0, tzinfo=CST)
JULY = (dt.date(2026, 7, 1), dt.date(2026, 7, 31))
NOW = dt.datetime(2026, 7, 2, 10, 0, tzinfo=CST)


def s(seconds):
    return T0 + dt.timedelta(seconds=seconds)


def _warning(key, adcode, level, raised_at=T0, **kw):
    warning = EarlyWarning.objects.create(source_key=key, hazard_type="rainstorm", level=level, headline=key,
                                          region=Region.objects.get(adcode=adcode), raised_at=raised_at,
                                          onset=raised_at, updated_at=raised_at, call_round=1, **kw)
    WarningEvent.objects.create(warning=warning, kind="raised", level=level, at=raised_at)
    return warning


def _attempt(warning, person, due, sent=None, status="sent", channel="in_app", attempt_no=1, **kw):
    return CallAttempt.objects.create(warning=warning, person=person, call_round=1, level=warning.level, tier=0,
                                      channel=channel, attempt_no=attempt_no, due_at=due,
                                      escalate_at=due + dt.timedelta(minutes=5), status=status, sent_at=sent, **kw)


def _ack(warning, person, at):
    Acknowledgement.objects.create(warning=warning, person=person, call_round=1, at=at, level=warning.level)


@pytest.fixture
def loop(reference):
    Region.objects.filter(adcode="500103").update(population=600_000)
    Region.objects.filter(adcode="500101").update(population=1_500_000)
    Region.objects.filter(adcode="500102").update(population=1_000_000)
    people = {name: Person.objects.create(name=name) for name in ("p1", "p2", "p3", "p4", "p5", "q1", "q2", "d1")}
    p1 = RiskPoint.objects.create(code="FX-M-1", name="渝中滑坡点", kind="landslide", threatened_people=120,
                                  region=Region.objects.get(adcode="500103"), lon=106.57, lat=29.55)
    p2 = RiskPoint.objects.create(code="FX-M-2", name="万州滑坡点", kind="landslide", threatened_people=300,
                                  region=Region.objects.get(adcode="500101"), lon=108.38, lat=30.8)
    a = _warning("A", "500103", "red", risk_point=p1, status="cleared", ended_at=s(7200), closed_at=s(9000))
    _attempt(a, people["p1"], T0, sent=T0, status="acknowledged")
    _ack(a, people["p1"], s(60))
    _attempt(a, people["p2"], T0, sent=s(30), status="acknowledged")
    _attempt(a, people["p2"], s(120), status="cancelled", attempt_no=2)
    _ack(a, people["p2"], s(210))
    _attempt(a, people["p3"], T0, sent=T0, status="escalated")
    _attempt(a, people["p3"], T0, sent=T0, status="escalated", channel="email")
    _attempt(a, people["p4"], s(300), sent=s(300), status="acknowledged", escalated_from=people["p3"])
    _ack(a, people["p4"], s(400))
    _attempt(a, people["p5"], T0, sent=T0, informational=True)
    _ack(a, people["p5"], s(10))
    _warning("B", "500103", "yellow", is_public=True)
    c = _warning("C", "500101", "orange", risk_point=p2, is_public=True, status="cancelled", ended_at=s(3600))
    _attempt(c, people["q1"], T0, sent=T0, status="acknowledged")
    _ack(c, people["q1"], s(30))
    _attempt(c, people["q2"], T0, sent=T0)
    d_at = dt.datetime(2026, 6, 30, 23, 30, tzinfo=CST)
    d = _warning("D", "500103", "blue", raised_at=d_at)
    _attempt(d, people["d1"], d_at, sent=d_at, status="acknowledged")
    _ack(d, people["d1"], dt.datetime(2026, 7, 1, 0, 10, tzinfo=CST))
    _warning("X", "500101", "red", status="draft", is_public=True)
    hour = dt.timedelta(hours=1)
    for title, deadline, reported, extra in [
            ("on time", s(3600), s(1800), {}), ("late", s(3600), s(7200), {}), ("open overdue", s(3600), None, {}),
            ("open", NOW + hour, None, {}), ("optional", s(3600), None, {"required": False}),
            ("cancelled", s(3600), None, {"status": "cancelled"}),
            ("June", dt.datetime(2026, 6, 30, 23, 0, tzinfo=CST), None, {})]:
        ResponseAction.objects.create(warning=a, level="red", kind="patrol", title=title, deadline=deadline,
                                      reported_at=reported, **({"status": "reported"} if reported else {}), **extra)
    return {"A": a, "C": c, "D": d}


def _rows(rows):
    return [(r.region, r.level, r.warnings, r.called, r.acknowledged, r.ack_rate, r.median_ack_s, r.escalations)
            for r in rows]


@pytest.mark.django_db
def test_acknowledgement_per_region_and_level(loop, admin_user):
    warnings, _regions = metrics.scope_for(admin_user)
    rows = metrics.acknowledgement_rows(warnings, *JULY)
    assert _rows(rows) == [("万州区", "orange", 1, 2, 1, 0.5, 30.0, 0),
                           ("渝中区", "red", 1, 4, 3, 0.75, 100.0, 1),
                           ("渝中区", "yellow", 1, 0, 0, None, None, 0)]
    totals = metrics.acknowledgement_totals(rows)
    assert totals == {"warnings": 3, "called": 6, "acknowledged": 4, "ack_rate": 4 / 6, "median_ack_s": 80.0,
                      "median_ack_label": "1分20秒", "escalations": 1}


@pytest.mark.django_db
def test_days_are_read_in_asia_shanghai(loop, admin_user):
    warnings, _regions = metrics.scope_for(admin_user)
    june = metrics.acknowledgement_rows(warnings, dt.date(2026, 6, 30), dt.date(2026, 6, 30))
    assert _rows(june) == [("渝中区", "blue", 1, 1, 1, 1.0, 2400.0, 0)]  # 23:30 -> 00:10 next day


@pytest.mark.django_db
def test_actions_on_time(loop, admin_user):
    warnings, _regions = metrics.scope_for(admin_user)
    assert metrics.actions_on_time(warnings, *JULY, now=NOW) == {
        "on_time": 1, "late": 1, "open_overdue": 1, "open": 1, "total": 4, "rate": 1 / 3}


@pytest.mark.django_db
def test_closed_with_feedback(loop, admin_user):
    warnings, _regions = metrics.scope_for(admin_user)
    assert metrics.closed_with_feedback(warnings, *JULY) == {"ended": 2, "closed": 1, "rate": 0.5}
    assert metrics.closed_with_feedback(warnings, dt.date(2026, 8, 1), dt.date(2026, 8, 31))["rate"] is None


@pytest.mark.django_db
def test_coverage_leaves_regions_without_population_out(loop, admin_user):
    warnings, regions = metrics.scope_for(admin_user)
    result = metrics.coverage(warnings, regions, *JULY)
    assert [(r["region"], r["population"], r["reached"]) for r in result["rows"]] == [
        ("万州区", 1_500_000, 300), ("涪陵区", 1_000_000, 0), ("渝中区", 600_000, 600_000)]
    assert (result["reached"], result["population"]) == (600_300, 3_100_000)
    assert result["rate"] == pytest.approx(600_300 / 3_100_000)
    assert "江北区" in result["unknown"] and "渝中区" not in result["unknown"]


@pytest.mark.django_db
def test_coverage_of_a_city_wide_public_warning(loop, admin_user):
    _warning("CITY", "500000", "blue", is_public=True)
    warnings, regions = metrics.scope_for(admin_user)
    result = metrics.coverage(warnings, regions, *JULY)
    assert (result["reached"], result["population"], result["rate"]) == (3_100_000, 3_100_000, 1.0)


@pytest.mark.django_db
def test_a_district_sees_only_its_own_figures(loop, yuzhong):
    warnings, regions = metrics.scope_for(yuzhong)
    data = metrics.summary(warnings, regions, *JULY, now=NOW)
    assert {r["region"] for r in data["acknowledgement"]["rows"]} == {"渝中区"}  # C is public, but not theirs
    assert data["acknowledgement"]["totals"]["called"] == 4
    assert data["closing"] == {"ended": 1, "closed": 1, "rate": 1.0}
    assert data["coverage"]["rows"] == [{"region": "渝中区", "adcode": "500103", "population": 600_000,
                                         "reached": 600_000, "rate": 1.0}]
    assert data["coverage"]["unknown"] == []


@pytest.mark.django_db
def test_api_metrics(loop, yuzhong, admin_user, api_client, token_for):
    api = api_client(token_for(yuzhong))
    response = api.get("/warnings/metrics", start="2026-07-01", end="2026-07-31")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [(r["region"], r["level"], r["called"]) for r in body["acknowledgement"]["rows"]] == [
        ("渝中区", "red", 4), ("渝中区", "yellow", 0)]
    assert body["coverage"]["rate"] == 1.0
    assert api.get("/warnings/metrics", start="2026-07-31", end="2026-07-01").status_code == 400
    assert api.get("/warnings/metrics", start="July").status_code in (400, 422)
    city = api_client(token_for(admin_user)).get("/warnings/metrics", start="2026-07-01", end="2026-07-31").json()
    assert city["acknowledgement"]["totals"]["called"] == 6


@pytest.mark.django_db
def test_metrics_page(loop, client, admin_user, yuzhong):
    client.force_login(admin_user)
    page = client.get(reverse("early_warning:metrics"), {"start": "2026-07-01", "end": "2026-07-31"})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="ack-table"' in html and "万州区" in html
    assert 'data-testid="coverage-unknown"' in html and "metrics-chart" in html
    client.force_login(yuzhong)
    html = client.get(reverse("early_warning:metrics"), {"start": "2026-07-01", "end": "2026-07-31"}).content.decode()
    assert "万州区" not in html.split('data-testid="ack-table"')[1]
    bad = client.get(reverse("early_warning:metrics"), {"start": "2026-07-31", "end": "2026-07-01"})
    assert bad.status_code == 200 and 'data-testid="period-errors"' in bad.content.decode()
    assert client.get(reverse("early_warning:metrics")).status_code == 200  # default: this year
