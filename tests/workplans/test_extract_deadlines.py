"""Deadline phrases resolved in the plan year."""

from datetime import date

import pytest

from citysafe.workplans.extract import ExtractionError, ExtractOptions  # noqa: E402
from citysafe.workplans.extract.deadlines import find_deadlines, parse_deadlines  # noqa: E402


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11月底前", date(2026, 11, 30)),
        ("4月底前", date(2026, 4, 30)),
        ("2月底前", date(2026, 2, 28)),
        ("年底前", date(2026, 12, 31)),
        ("年内", date(2026, 12, 31)),
        ("1月20日前", date(2026, 1, 20)),
        ("6月30日前", date(2026, 6, 30)),
        ("上半年", date(2026, 6, 30)),
        ("下半年", date(2026, 12, 31)),
        ("一季度", date(2026, 3, 31)),
        ("第一季度末", date(2026, 3, 31)),
        ("三季度末", date(2026, 9, 30)),
        ("第4季度", date(2026, 12, 31)),
        ("主汛期前", date(2026, 5, 31)),
        ("汛期前", date(2026, 5, 31)),
        ("十一月底前", date(2026, 11, 30)),
        ("5月中旬前", date(2026, 5, 20)),
        ("2027年底前", date(2027, 12, 31)),
        ("2027年6月底前", date(2027, 6, 30)),
        ("2026年12月底前", date(2026, 12, 31)),
    ],
)
def test_phrase(text, expected):
    found = find_deadlines("确保" + text + "完成", 2026)
    assert [(d.text, d.date) for d in found] == [(text, expected)]


def test_flood_season_option():
    options = ExtractOptions(flood_season_deadline="06-20")
    assert find_deadlines("主汛期前完工", 2027, options)[0].date == date(2027, 6, 20)


@pytest.mark.parametrize("bad", ["5-31", "13-01", "02-30", "", "abc"])
def test_bad_flood_option(bad):
    with pytest.raises(ExtractionError):
        ExtractOptions(flood_season_deadline=bad)


@pytest.mark.parametrize("text", ["2月30日前", "13月底前", "三年内", "每季度至少开展1次", "2026年2月6日", "年度考核"])
def test_not_deadlines(text):
    assert find_deadlines(text, 2026) == []


def test_positions_and_order():
    text = "4月底前完成排查,年底前完成整治"
    found = find_deadlines(text, 2026)
    assert [text[d.start : d.end] for d in found] == ["4月底前", "年底前"]


def test_parse_deadlines_dedupes():
    refs = parse_deadlines("年底前完成A。年底前完成B。主汛期前完成C。", 2026)
    assert [r.to_dict() for r in refs] == [
        {"text": "年底前", "date": "2026-12-31"},
        {"text": "主汛期前", "date": "2026-05-31"},
    ]
