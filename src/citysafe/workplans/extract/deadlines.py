"""Deadline phrases and the dates they resolve to in the plan year.

Grammar (text is already NFKC-normalised; ``Y`` is an optional explicit "2027年" that overrides the plan year;
``M`` / ``D`` are Arabic or Chinese numerals):

=======================================  ==========================  =========================
phrase                                   example                     resolves to
=======================================  ==========================  =========================
``Y M月D日`` + 前/之前/以前/止/为止        "1月20日前", "6月30日前"    that day
``Y M月`` + 底/末/份 (+前)               "11月底前", "4月底前"        last day of M
``Y M月`` + 上旬/中旬/下旬 (+前)         "5月中旬前"                  10th / 20th / last day
``Y年底``/年末/年内 (+前)                "年底前", "2027年底前"       12-31
上半年 / 下半年                          "上半年"                     06-30 / 12-31
(第)一..四季度 (+末/底/前)               "一季度", "第一季度末"       last day of that quarter
主汛期前 / 汛期前 / 入汛前 / 汛前        "主汛期前"                   year + flood_season_deadline
=======================================  ==========================  =========================

One combined regex is scanned left to right so phrases never overlap. Impossible dates ("2月30日前",
"13月底前") are skipped rather than guessed.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from .model import DeadlineRef, ExtractOptions
from .numerals import cn_to_int

_NUM = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
_YEAR = r"(?:(?P<{0}>\d{{4}})年)?"

# The leading look-ahead lets the engine skip, in one test, the positions where no phrase can start
# (most characters); without it a 10 MB text takes seconds.
_DEADLINE = re.compile(
    r"(?=[\d一二三四五六七八九十上下第主汛入年])(?:"
    + "|".join(
        [
            # "6月30日前" (a bare date needs a "before" word so dates in references are not deadlines)
            rf"(?P<day>{_YEAR.format('y1')}(?P<m1>{_NUM})月(?P<d1>{_NUM})日(?:前|之前|以前|止|为止))",
            # "11月底前", "6月份"
            rf"(?P<mend>{_YEAR.format('y2')}(?P<m2>{_NUM})月(?:底|末|份)(?:前|之前|以前)?)",
            # "5月中旬前"
            rf"(?P<xun>{_YEAR.format('y3')}(?P<m3>{_NUM})月(?P<x3>上|中|下)旬(?:前|之前|以前)?)",
            # "年底前", "2027年底前"; "3年内" is a duration, not a deadline
            r"(?P<yend>(?:(?P<y4>\d{4})年(?:底|末|内)|(?<![\d一二三四五六七八九十两])年(?:底|末|内))(?:前|之前|以前)?)",
            rf"(?P<half>{_YEAR.format('y5')}(?P<h5>上|下)半年)",
            rf"(?P<quarter>{_YEAR.format('y6')}第?(?P<q6>[一二三四1-4])季度(?:末|底)?(?:前|之前|以前)?)",
            r"(?P<flood>(?:主汛期|汛期|入汛)(?:前|之前|以前)|(?<![入主])汛前)",
        ]
    )
    + ")"
)

_XUN_DAY = {"上": 10, "中": 20}


@dataclass(frozen=True)
class DeadlineMatch:
    """A deadline phrase with its position in the searched text (targets use the positions)."""

    text: str
    date: date
    start: int
    end: int

    def ref(self) -> DeadlineRef:
        return DeadlineRef(self.text, self.date)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _resolve(match: re.Match, year: int, options: ExtractOptions) -> date:
    """Date for one regex match; raises ValueError for impossible dates."""
    kind = match.lastgroup
    explicit = next((match[g] for g in ("y1", "y2", "y3", "y4", "y5", "y6") if match[g]), None)
    year = int(explicit) if explicit else year
    if kind == "day":
        return date(year, cn_to_int(match["m1"]) or 0, cn_to_int(match["d1"]) or 0)
    if kind == "mend":
        return _month_end(year, cn_to_int(match["m2"]) or 0)
    if kind == "xun":
        month = cn_to_int(match["m3"]) or 0
        if match["x3"] == "下":
            return _month_end(year, month)
        return date(year, month, _XUN_DAY[match["x3"]])
    if kind == "yend":
        return date(year, 12, 31)
    if kind == "half":
        return date(year, 6, 30) if match["h5"] == "上" else date(year, 12, 31)
    if kind == "quarter":
        quarter = cn_to_int(match["q6"]) or 0
        return _month_end(year, quarter * 3)
    return options.flood_date(year)


def find_deadlines(text: str, year: int, options: ExtractOptions | None = None) -> list[DeadlineMatch]:
    """All deadline phrases in ``text`` in order, resolved in ``year``."""
    return list(_find_deadlines(text, year, options or ExtractOptions()))


@lru_cache(maxsize=256)  # a task's text is scanned for its deadline list and again for its targets
def _find_deadlines(text: str, year: int, options: ExtractOptions) -> tuple[DeadlineMatch, ...]:
    found = []
    for match in _DEADLINE.finditer(text):
        try:
            resolved = _resolve(match, year, options)
        except ValueError:
            continue  # "2月30日前", "13月底前": not a real date
        found.append(DeadlineMatch(match[0], resolved, match.start(), match.end()))
    return tuple(found)


def parse_deadlines(text: str, year: int, options: ExtractOptions | None = None) -> tuple[DeadlineRef, ...]:
    """Deadline references of ``text`` (duplicates by text and date removed, order kept)."""
    seen, refs = set(), []
    for found in find_deadlines(text, year, options):
        key = (found.text, found.date)
        if key not in seen:
            seen.add(key)
            refs.append(found.ref())
    return tuple(refs)
