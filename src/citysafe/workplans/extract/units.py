"""Responsible units: splitting unit lists and reading responsibility annotations in task text.

Unit lists ("市应急管理局、市公安局,各区县政府") are split on "、" "," ";" and whitespace. The first unit is the
lead, the rest support. One exception keeps a committee list together: "市安委会、市防减救灾委各成员单位" means
"the members of both committees" and stays a single group unit; a piece is merged with the next one when it
names a committee (…安委会/…委员会/…减灾委/…专委会/…指挥部) and the next piece names its 成员单位.

Annotations recognised in task text (after NFKC, so brackets and colons are half-width):

* ``(责任单位:A、B)`` / ``(责任部门:A、B)``         -> A lead, B support
* ``(牵头单位:A;配合单位:B、C)`` / ``(牵头责任单位:A,协同责任单位:B)``
                                                    -> every unit before the second label is lead, the rest support
* ``(A牵头,B、C落实)`` / ``(A牵头,B、C配合)`` / ``(A、B牵头,C参与)``
                                                    -> units before 牵头 are lead, the rest support

A unit is a *group* when it names a collective: it starts with 各/有关, or contains 各…(政府|单位|部门|…),
有关…(政府|单位|部门) or 成员单位 ("各区县政府", "有关区县政府", "市电力安全专委会各重点成员单位").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from .model import UnitRef
from .normalize import normalize_inline

_SPLIT = re.compile(r"[、,;/\s]+")
_COMMITTEE_END = re.compile(r"(?:安委会|委员会|减灾委|防减救灾委|专委会|指挥部)$")
_GROUP = re.compile(r"^(?:各|有关)|各[\u4e00-\u9fff()]*?(?:政府|单位|部门|区县|企业|乡镇|街道)|有关[\u4e00-\u9fff]*?(?:政府|单位|部门)|成员单位")
# Words that trail a unit list but are not units: "市公安局等", "…按职责分工负责".
_TRAILER = re.compile(r"(?:按职责分工)?(?:共同)?(?:负责|落实|配合|参与|协同|分别负责|抓好落实)$|等$")
# A unit name ends like an organisation (guards the "X牵头" reading against ordinary parentheses).
_ORG_END = re.compile(
    r"(?:局|委|办|厅|府|部|会|室|司|院|中心|单位|部门|公司|集团|政府|队|站|社|所|行|团|区|县|市|处|科|组|馆|台|署|电力)$"
)

_PAREN = re.compile(r"\(([^()]{2,400})\)")
_LABELLED_PAIR = re.compile(
    r"牵头(?:责任)?(?:单位|部门)\s*:\s*(?P<lead>.+?)\s*[,;]\s*(?:协同|配合|参与|协作)(?:责任)?(?:单位|部门)\s*:\s*(?P<support>.+)$"
)
_LABELLED_LIST = re.compile(r"^(?:牵头)?(?:责任|牵头)(?:单位|部门|主体)\s*:\s*(?P<units>.+)$")
_LEAD_WORD = re.compile(r"^(?P<lead>[^,;:]+?)牵头(?:负责)?\s*(?:[,;、]\s*(?P<support>.*))?$")


def is_group(name: str) -> bool:
    """True for collective names such as "各区县政府" or "市安委会各成员单位"."""
    return bool(_GROUP.search(name))


def _clean_name(name: str) -> str:
    name = name.strip(" .。:()")
    previous = None
    while previous != name:
        previous, name = name, _TRAILER.sub("", name).strip()
    return name


def split_unit_names(text: str) -> list[str]:
    """Split a unit list into names, keeping "市安委会、市防减救灾委各成员单位" whole."""
    pieces = [_clean_name(p) for p in _SPLIT.split(normalize_inline(text))]
    pieces = [p for p in pieces if p]
    merged: list[str] = []
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        # Join "A委会" + "B委各成员单位" runs; the run may be longer than two committees.
        j = i
        while j + 1 < len(pieces) and _COMMITTEE_END.search(pieces[j]) and "成员单位" not in pieces[j]:
            if not any("成员单位" in p for p in pieces[j + 1 : j + 3]):
                break
            j += 1
        if j > i and "成员单位" in pieces[j]:
            piece = "、".join(pieces[i : j + 1])
            i = j
        merged.append(piece)
        i += 1
    return merged


def _dedupe(units: Iterable[UnitRef]) -> tuple[UnitRef, ...]:
    seen, out = set(), []
    for unit in units:
        if unit.name not in seen:
            seen.add(unit.name)
            out.append(unit)
    return tuple(out)


def parse_unit_list(text: str, all_lead: bool = False, all_support: bool = False) -> tuple[UnitRef, ...]:
    """Units of a list: first lead, rest support (or all lead / all support for labelled columns)."""
    units = []
    for position, name in enumerate(split_unit_names(text)):
        lead = all_lead or (position == 0 and not all_support)
        units.append(UnitRef(name=name, role="lead" if lead else "support", group=is_group(name)))
    return _dedupe(units)


def _looks_like_units(names: list[str]) -> bool:
    return bool(names) and all(_ORG_END.search(n) or is_group(n) for n in names)


@lru_cache(maxsize=4096)  # the same annotation recurs across tasks and is read again for titles
def parse_annotation(body: str) -> tuple[UnitRef, ...]:
    """Units of one parenthesised annotation body, or () when it is not a responsibility annotation."""
    body = normalize_inline(body).replace(":", ":")
    if match := _LABELLED_PAIR.search(body):
        return _dedupe(parse_unit_list(match["lead"], all_lead=True) + parse_unit_list(match["support"], all_support=True))
    if match := _LABELLED_LIST.search(body):
        return parse_unit_list(match["units"])
    if match := _LEAD_WORD.search(body):
        leads = split_unit_names(match["lead"])
        supports = split_unit_names(match["support"] or "")
        if _looks_like_units(leads) and (not supports or _looks_like_units(supports)):
            return _dedupe(
                [UnitRef(n, "lead", is_group(n)) for n in leads] + [UnitRef(n, "support", is_group(n)) for n in supports]
            )
    return ()


def units_in_text(text: str) -> tuple[UnitRef, ...]:
    """Every responsibility annotation in ``text``, merged in order (a unit keeps its first role)."""
    units: list[UnitRef] = []
    for match in _PAREN.finditer(normalize_inline(text)):
        units.extend(parse_annotation(match[1]))
    return _dedupe(units)


def strip_annotations(text: str) -> str:
    """``text`` without its responsibility annotations (used for short titles)."""
    return _PAREN.sub(lambda m: "" if parse_annotation(m[1]) else m[0], text).strip()
