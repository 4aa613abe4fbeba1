"""Measurable targets in Chinese plan text.

A target is a *quantity* -- ``NUM [万|亿] UNIT`` -- read together with the words right before it (prefix) and
right after it (suffix). Quantities without a unit are ignored (they are years, codes, "141" platform names),
except when a whole table cell is just a number ("0" for a KPI, read as ``= 0``).

Comparator decision (prefix = words just before the number, suffix = words just after the unit):

====================================  ===================  ================================================
prefix                                suffix               comparator
====================================  ===================  ================================================
下降/降低/减少/压减                   以上                 ``decrease_by_at_least`` ("下降5%以上")
下降/降低/减少/压减                   (none)               ``decrease_by`` ("下降10%")
增长/提高/提升/增加                   以上 / (none)        ``increase_by_at_least`` / ``increase_by``
不高于/不超过/不大于/降至/控制在       any                  ``<=`` ("不高于1%", "控制在18起以内")
不低于/不少于/至少(+2-char verb)       any                  ``>=`` ("不低于50%", "至少开展1次")
高于/超过/大于                        any                  ``>`` ("高于95%")
低于/少于/小于                        any                  ``<`` ("低于0.5%")
达/达到/保持在/维持在/提高到/实现/none 以上                 ``>=`` ("80%以上", "维持在99.5%以上")
达/达到/… or none                     以内/以下/之内        ``<=`` ("10起以内", "0.3‰以内")
达/达到/… or none, unit % or ‰        (none)               ``>=`` ("达100%"; a bare "率100%" too)
none, count unit (艘, 个, 户, 公里…)   (none)               ``complete_count`` ("拆解老旧营运船舶200艘")
====================================  ===================  ================================================

Ranges "5%—10%" / "5%至10%" / "5%~10%" give *two* targets: ``>= 5`` and ``<= 10`` (under 下降/增长 the
lower bound becomes ``*_by_at_least`` and the upper ``*_by``).

Metric: the clause before the number (from the last "," ";" ":" or the previous target / deadline phrase),
with comparator words, deadline phrases and scope removed; if a scope word ("中心城区") is in the clause the
metric is what follows it ("中心城区接入率达100%" -> scope 中心城区, metric 接入率). For counts the words after
the unit are appended ("新增接入1万台物联感知电梯" -> "新增接入物联感知电梯"). An empty metric inherits the
previous target's metric in the same sentence ("…标准化建设达95%,远郊区县达85%"). "A率、B率达98%" gives one
target per "…率".

Deadline: the last deadline phrase before the target in the same sentence (sentences end at "。" "!" "?" ";" or a
line break); otherwise the caller's default (a table's 完成时限 column) or None.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from .deadlines import DeadlineMatch, find_deadlines
from .model import ExtractOptions, TargetSpec

# Longest units first; negative look-aheads stop "3部门", "2处置", "1次生", "5项目" being read as quantities.
_UNIT = (
    r"个百分点|百分点|公里|千米|平方米|%|‰|"
    r"起(?!草|步|来|诉|始)|人(?!民|员|工|口|群|大)|艘|个|户(?!外|籍)|座(?!谈)|处(?!置|理|罚|室|长|于)|台(?!账|风|站|阶)|"
    r"套(?!餐)|部(?!门|署|分|位|队|长)|条(?!例|件|款|线)|家(?!庭|属|长)|所(?!属|在|有|以)|次(?!生|要|日|年|月)|"
    r"名(?!单|称|录)|辆|项(?!目)|栋|架(?!构)|吨|支(?!持|付|撑)|批(?!次|准|复)"
)
_QUANTITY = re.compile(
    rf"(?<![\d.])(?P<num>\d{{1,12}}(?:\.\d{{1,6}})?)(?![\d])\s*(?P<mult>万|亿)?\s*(?P<unit>{_UNIT})?(?P<pct>以上|及以上|以内|以下|之内|及以下)?"
)
_RANGE_JOIN = re.compile(r"\s*(?:—+|–|-|~|至|到)\s*")
_WHOLE_NUMBER = re.compile(rf"^\s*(?P<num>\d{{1,12}}(?:\.\d{{1,6}})?)\s*(?P<unit>{_UNIT})?\s*$")
_SENTENCE = re.compile(r"[^。!?;\n]+[。!?;]?")
_CLAUSE_SEPARATORS = ",;:"

_PREFIXES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"(?:不高于|不超过|不大于|不多于|最多|至多|降至|降到|下降到|下降至|降低到|降低至|减少到|减少至|压减至|压减到|控制在|控制到)$"), "<="),
    (re.compile(r"(?:不低于|不少于|不小于|至少|最少)[\u4e00-\u9fff]{0,2}$"), ">="),
    (re.compile(r"(?:下降|降低|减少|压减|压降)了?$"), "decrease"),
    (re.compile(r"(?:提高到|提高至|提升到|提升至|增加到|增加至|增至|增长到|增长至|上升到|上升至)$"), "soft"),
    (re.compile(r"(?:增长|提高|提升|增加|上升)了?$"), "increase"),
    (re.compile(r"(?<!不)(?:高于|超过|大于|多于)$"), ">"),
    (re.compile(r"(?<!不)(?:低于|少于|小于)$"), "<"),
    (re.compile(r"(?:达到|达|保持在|保持|维持在|维持|稳定在|实现|为)$"), "soft"),
]
# Words removed from the end of a metric clause (they belong to the comparator).
_METRIC_TAIL = re.compile(
    r"(?:不高于|不超过|不大于|不低于|不少于|不小于|至少|高于|超过|大于|低于|少于|小于|下降|降低|减少|增长|提高|提升|增加|"
    r"达到|达|保持在|维持在|稳定在|控制在|降至|提高到|提升至|提高至|均|都|要|应|为|分别|同比|和|及|与|并|至少[\u4e00-\u9fff]{0,2})+$"
)
_METRIC_HEAD = re.compile(r"^(?:[、,;:和及与并且]|其中|确保|实现|推动|力争|全面|持续|年度内|全年|要|使|将)+")
_SCOPE = re.compile(r"中心城区|主城都市区|主城新区|主城区|远郊区县|其他区县|其余区县|涉农区县|重点区县|渝西地区|渝东北[\u4e00-\u9fff]{0,4}?区|渝东南[\u4e00-\u9fff]{0,4}?区")
_COUNT_AFTER = re.compile(r"[^,;:。、()!?\n\d]{0,30}")
_RATE_LIST_SPLIT = re.compile(r"[、和及与]")
_MAX_CLAUSE = 80


class _Deadlines(list):
    """Deadline matches in text order plus their start offsets, for bisecting per sentence."""

    def __init__(self, matches: list[DeadlineMatch]) -> None:
        super().__init__(matches)
        self.starts = [m.start for m in matches]


@dataclass
class _Found:
    """A quantity with its comparator, before metric/scope/deadline are attached."""

    start: int  # start of the number
    end: int  # end of unit and suffix
    comparator: str
    value: int | float
    unit: str | None
    describes_after: bool = False  # counts and bare "100%采用…": the words after the unit name the thing


def _number(num: str, mult: str | None) -> int | float:
    value = float(num) * (10000 if mult == "万" else 100000000 if mult == "亿" else 1)
    return int(value) if value.is_integer() and abs(value) < 1e15 else round(value, 6)


def _prefix_kind(before: str) -> str | None:
    tail = before[-8:].rstrip()
    for pattern, kind in _PREFIXES:
        if pattern.search(tail):
            return kind
    return None


def _comparator(prefix: str | None, suffix: str | None, unit: str | None) -> str:
    """Apply the decision table of the module docstring."""
    at_least = suffix in ("以上", "及以上")
    at_most = suffix in ("以内", "以下", "之内", "及以下")
    if prefix == "decrease":
        return "decrease_by_at_least" if at_least else "decrease_by"
    if prefix == "increase":
        return "increase_by_at_least" if at_least else "increase_by"
    if prefix in ("<=", ">=", "<", ">"):
        return prefix
    if at_least:
        return ">="
    if at_most:
        return "<="
    if unit in ("%", "‰") or prefix == "soft":
        return ">="
    return "complete_count"


def _range_pair(prefix: str | None) -> tuple[str, str]:
    if prefix == "decrease":
        return "decrease_by_at_least", "decrease_by"
    if prefix == "increase":
        return "increase_by_at_least", "increase_by"
    return ">=", "<="


def _quantities(sentence: str) -> list[_Found]:
    """Quantities of one sentence with comparators; unit-less numbers are skipped."""
    found: list[_Found] = []
    pos = 0
    while match := _QUANTITY.search(sentence, pos):
        pos = match.end() if match.end() > match.start() else match.start() + 1
        if sentence[max(0, match.start() - 1) : match.start()] in ("第", ":", "/", "-"):
            continue  # ordinals, ratios "1:10000", codes
        prefix = _prefix_kind(sentence[max(0, match.start() - 12) : match.start()])
        joiner = _RANGE_JOIN.match(sentence, match.end())
        upper = _QUANTITY.match(sentence, joiner.end()) if joiner and not match["pct"] else None
        if upper and (upper["unit"] or match["unit"]):
            unit = upper["unit"] or match["unit"]
            low_cmp, high_cmp = _range_pair(prefix)
            found.append(_Found(match.start(), upper.end(), low_cmp, _number(match["num"], match["mult"]), unit))
            found.append(_Found(match.start(), upper.end(), high_cmp, _number(upper["num"], upper["mult"]), unit))
            pos = upper.end()
            continue
        if not match["unit"]:
            continue
        comparator = _comparator(prefix, match["pct"], match["unit"])
        describes_after = match["unit"] not in ("%", "‰") or (prefix is None and not match["pct"])
        value = _number(match["num"], match["mult"])
        found.append(_Found(match.start(), match.end(), comparator, value, match["unit"], describes_after))
    return found


def _clause_start(sentence: str, pos: int, floor: int) -> int:
    # Capped at _MAX_CLAUSE characters so a 10 MB paragraph without commas stays linear.
    floor = max(floor, pos - _MAX_CLAUSE)
    cut = max(sentence.rfind(sep, floor, pos) for sep in _CLAUSE_SEPARATORS)
    return max(floor, cut + 1)


def _clean_metric(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        text = _METRIC_HEAD.sub("", text.strip(" 、,;:()")).strip()
        text = _METRIC_TAIL.sub("", text).strip()
    return text.strip("的 ")


def _metric_and_scope(clause: str, deadlines: list[DeadlineMatch], offset: int) -> tuple[str, str | None]:
    """Split a clause (text before the number) into (metric, scope)."""
    for found in reversed(deadlines):  # blank out deadline phrases, keep positions stable
        s, e = found.start - offset, found.end - offset
        if 0 <= s and e <= len(clause):
            clause = clause[:s] + " " * (e - s) + clause[e:]
    scope = None
    scopes = list(_SCOPE.finditer(clause))
    if scopes:
        last = scopes[-1]
        scope = last[0]
        after = _clean_metric(clause[last.end() :])
        metric = after if after else _clean_metric(clause[: last.start()])
        return metric, scope
    return _clean_metric(clause.replace(" ", "")), scope


def _split_rate_list(metric: str) -> list[str]:
    """"巡查率、在线安全监管率" -> two metrics; anything else stays whole."""
    parts = [p for p in _RATE_LIST_SPLIT.split(metric) if p]
    if len(parts) > 1 and all(p.endswith("率") for p in parts):
        return parts
    return [metric]


def _sentence_targets(
    sentence: str,
    offset: int,
    deadlines: list[DeadlineMatch],
    default_deadline: date | None,
) -> list[TargetSpec]:
    targets: list[TargetSpec] = []
    floor = 0
    last_metric = None
    previous: tuple[int, int, str | None, str | None] | None = None  # (number start, clause start, metric, scope)
    sentence_end = offset + len(sentence)
    starts = [d.start for d in deadlines] if not isinstance(deadlines, _Deadlines) else deadlines.starts
    lo, hi = bisect.bisect_left(starts, offset), bisect.bisect_left(starts, sentence_end)
    sentence_deadlines = [d for d in deadlines[lo:hi] if d.end <= sentence_end]
    deadline_ends = [d.end - offset for d in sentence_deadlines]
    for found in _quantities(sentence):
        count_before = bisect.bisect_right(deadline_ends, found.start)
        preceding = sentence_deadlines[count_before - 1 : count_before] if count_before else []
        if previous and previous[0] == found.start:
            # Upper bound of a range: same clause, metric and scope as the lower bound.
            _, start, metric, scope = previous
        else:
            if preceding:
                floor = max(floor, preceding[-1].end - offset)
            start = _clause_start(sentence, found.start, floor)
            near = sentence_deadlines[max(0, count_before - 3) : count_before]  # only these can overlap the clause
            metric, scope = _metric_and_scope(sentence[start : found.start], near, offset + start)
        end = found.end
        if found.describes_after:
            after = _COUNT_AFTER.match(sentence, found.end)[0].rstrip()
            if after and not after.startswith(("以", "之")):
                metric = metric + after.removeprefix("的").strip(" 、")
                end += len(after)
        metric = metric or last_metric
        last_metric = metric
        previous = (found.start, start, metric, scope)
        deadline = preceding[-1].date if preceding else default_deadline
        text = sentence[start:end].strip(" 、,;:")
        for one_metric in _split_rate_list(metric) if metric else [None]:
            targets.append(TargetSpec(text, one_metric or None, found.comparator, found.value, found.unit, scope, deadline))
        floor = max(floor, end)
    return targets


def parse_targets(
    text: str,
    year: int,
    options: ExtractOptions | None = None,
    *,
    metric: str | None = None,
    default_deadline: date | None = None,
    whole_cell: bool = False,
) -> tuple[TargetSpec, ...]:
    """Targets found in ``text`` (a task paragraph or an annex cell).

    metric: force every target's metric (annex KPIs use the KPI name).
    default_deadline: deadline for targets with no deadline phrase before them (a table's 完成时限).
    whole_cell: ``text`` is a table cell, so a bare number ("0") is a target ``= 0``.
    """
    text = unicodedata.normalize("NFKC", text)  # callers may pass raw fragments ("100％", "（…）")
    if whole_cell and (bare := _WHOLE_NUMBER.match(text)):
        unit = bare["unit"] or _unit_from_metric(metric)
        return (TargetSpec(text.strip(), metric, "=", _number(bare["num"], None), unit, None, default_deadline),)
    deadlines = _Deadlines(find_deadlines(text, year, options))
    targets: list[TargetSpec] = []
    for match in _SENTENCE.finditer(text):
        targets.extend(_sentence_targets(match[0], match.start(), deadlines, default_deadline))
    if metric:
        targets = [TargetSpec(t.text, metric, t.comparator, t.value, t.unit, t.scope, t.deadline) for t in targets]
    return tuple(targets)


def _unit_from_metric(metric: str | None) -> str | None:
    """"…起数" counts 起, "…人数" counts 人; "0" on such KPIs gets that unit."""
    if metric and metric.endswith("起数"):
        return "起"
    if metric and metric.endswith("人数"):
        return "人"
    return None
