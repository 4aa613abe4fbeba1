"""Automatic grading of incidents: pure functions, no ORM.

Production-safety accidents: 《生产安全事故报告和调查处理条例》 (国务院令第493号) 第三条.  "以上" includes the
stated number and "以下" excludes it (第三条第三款), and any single criterion is enough ("或者"), so the grade is
the **highest** one triggered by deaths, serious injuries (incl. acute industrial poisoning) or direct loss.

Missing persons (project decision, documented here and tested): the death criterion counts **deaths + missing**.
第十二条 requires reports to give casualties "包括下落不明的人数", and accident statistics record "死亡(含失踪)";
a missing person is therefore graded as a death until found.  Pass ``count_missing=False`` for the strict reading.

Natural disasters: 《国家自然灾害救助应急预案》 (国办函〔2024〕11号) response levels 一级..四级, from
standards-safety.md §2.2.  一级 thresholds are CONFIRMED for the 2024 text; 二级–四级 are CONFIRMED for the 2016
plan (国办函〔2016〕25号) and UNCONFIRMED for the 2024 text (assumed numerically equal).  Collapsed + severely
damaged houses are counted in rooms (间); the 户 alternative is not graded here.  Drought criteria are not
implemented (they need the agricultural population).

较大涉险事故 (原安监总局令第21号 第二十六条): not a grade, a flag.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _  # lazy: no settings needed until displayed

# Accident grades (493 Art. 3), lowest first; the order is used for comparison.
ORDINARY = "ordinary"              # 一般事故
LARGE = "large"                    # 较大事故
MAJOR = "major"                    # 重大事故
ESPECIALLY_MAJOR = "especially_major"  # 特别重大事故
ACCIDENT_GRADES = [ORDINARY, LARGE, MAJOR, ESPECIALLY_MAJOR]

# Natural-disaster relief response levels (国办函〔2024〕11号), lowest first; "" = below 四级.
LEVEL_4, LEVEL_3, LEVEL_2, LEVEL_1 = "level_4", "level_3", "level_2", "level_1"
DISASTER_LEVELS = [LEVEL_4, LEVEL_3, LEVEL_2, LEVEL_1]

GRADE_LABELS = {ORDINARY: _("一般事故"), LARGE: _("较大事故"), MAJOR: _("重大事故"), ESPECIALLY_MAJOR: _("特别重大事故"),
                LEVEL_4: _("四级响应"), LEVEL_3: _("三级响应"), LEVEL_2: _("二级响应"), LEVEL_1: _("一级响应")}

# (grade, deaths ≥, serious injuries ≥, direct loss ≥ yuan), highest first.  493 Art. 3, CONFIRMED [S1a][S1c].
ACCIDENT_THRESHOLDS = [
    (ESPECIALLY_MAJOR, 30, 100, Decimal("100000000")),
    (MAJOR, 10, 50, Decimal("50000000")),
    (LARGE, 3, 10, Decimal("10000000")),
]

# (level, deaths+missing ≥, relocated+aid ≥, collapsed+severely damaged rooms ≥), highest first.  §2.2.
DISASTER_THRESHOLDS = [
    (LEVEL_1, 200, 2_000_000, 300_000),   # CONFIRMED (2024 text) [S4b]
    (LEVEL_2, 100, 1_000_000, 200_000),   # CONFIRMED 2016 [S4c][S4d]; 2024 UNCONFIRMED
    (LEVEL_3, 50, 500_000, 100_000),      # CONFIRMED 2016; 2024 UNCONFIRMED
    (LEVEL_4, 20, 100_000, 10_000),       # CONFIRMED 2016; 2024 UNCONFIRMED
]

# Who receives the report (493 Art. 10) and who investigates (Art. 19), by accident grade.
REPORT_LEVEL = {ORDINARY: "city", LARGE: "province", MAJOR: "state", ESPECIALLY_MAJOR: "state"}
INVESTIGATING_LEVEL = {ORDINARY: "county", LARGE: "city", MAJOR: "province", ESPECIALLY_MAJOR: "state"}
LEVEL_ORDER = ["county", "city", "province", "state"]


@dataclass(frozen=True)
class Grading:
    """A grade with the criteria that triggered it (e.g. ["deaths", "serious_injuries"])."""

    grade: str
    triggered_by: tuple[str, ...]


def _check_non_negative(**values) -> None:
    for name, value in values.items():
        if value is None or value < 0:
            raise ValueError(f"{name} must be a non-negative number, got {value!r}")


def grade_accident(deaths: int = 0, serious_injuries: int = 0, direct_loss_yuan=0, missing: int = 0,
                   count_missing: bool = True) -> Grading:
    """Grade of a production-safety accident (493 Art. 3).

    ``direct_loss_yuan`` in CNY (int, Decimal or float).  Returns the highest grade any criterion reaches; an accident
    below every 较大 threshold is 一般.  Raises ValueError on negative or missing figures.
    """
    _check_non_negative(deaths=deaths, serious_injuries=serious_injuries, direct_loss_yuan=direct_loss_yuan,
                        missing=missing)
    dead = deaths + (missing if count_missing else 0)
    loss = Decimal(str(direct_loss_yuan))
    for grade, min_deaths, min_injuries, min_loss in ACCIDENT_THRESHOLDS:
        hits = tuple(name for name, reached in (("deaths", dead >= min_deaths),
                                                 ("serious_injuries", serious_injuries >= min_injuries),
                                                 ("direct_loss", loss >= min_loss)) if reached)
        if hits:
            return Grading(grade, hits)
    return Grading(ORDINARY, ())


def grade_natural_disaster(deaths: int = 0, missing: int = 0, relocated: int = 0,
                           houses_collapsed_damaged: int = 0) -> Grading:
    """National relief response level (国办函〔2024〕11号, within one province); grade "" when below 四级.

    ``relocated``: emergency-relocated + needing emergency living aid (人次); ``houses_collapsed_damaged``: collapsed +
    severely damaged rooms (间).  Raises ValueError on negative figures.
    """
    _check_non_negative(deaths=deaths, missing=missing, relocated=relocated,
                        houses_collapsed_damaged=houses_collapsed_damaged)
    people = deaths + missing  # 2024 wording: "死亡和失踪"
    for level, min_people, min_relocated, min_rooms in DISASTER_THRESHOLDS:
        hits = tuple(name for name, reached in (("deaths_missing", people >= min_people),
                                                 ("relocated", relocated >= min_relocated),
                                                 ("houses", houses_collapsed_damaged >= min_rooms)) if reached)
        if hits:
            return Grading(level, hits)
    return Grading("", ())


def is_large_risk_event(at_risk: int = 0, trapped_or_missing: int = 0, evacuated: int = 0) -> bool:
    """较大涉险事故 (总局令第21号 第二十六条, CONFIRMED [S2]): ≥10 涉险, or ≥3 trapped or missing, or ≥500 evacuated.

    Criteria 4–6 (pollution, threats to key facilities, other) need judgement and are not automated.
    """
    return at_risk >= 10 or trapped_or_missing >= 3 or evacuated >= 500


def grade_rank(grade: str) -> int:
    """Comparable rank of an accident grade or a disaster level; -1 for "" or unknown."""
    for scale in (ACCIDENT_GRADES, DISASTER_LEVELS):
        if grade in scale:
            return scale.index(grade)
    return -1


def raises_jurisdiction(old: str, new: str) -> bool:
    """True when an accident regrade moves the investigation to a higher government (493 Art. 19; Art. 20 第二十条
    lets the higher government take the investigation over, 提级调查).  Disaster levels: any upgrade counts, because a higher level means a wider response."""
    if old in INVESTIGATING_LEVEL and new in INVESTIGATING_LEVEL:
        return LEVEL_ORDER.index(INVESTIGATING_LEVEL[new]) > LEVEL_ORDER.index(INVESTIGATING_LEVEL[old])
    return grade_rank(new) > grade_rank(old)
