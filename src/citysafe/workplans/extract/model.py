"""Plain dataclasses for an extracted work plan and their JSON form (``to_dict``).

The objects are frozen (tuples instead of lists) so a parsed plan can be shared and cached safely.
Dates are :class:`datetime.date` in Python and ISO strings (``"2026-11-30"``) in ``to_dict``.
See docs/extract.md for the JSON schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .errors import ExtractionError

# Comparators a TargetSpec may carry; kept here so tests and docs share one list.
COMPARATORS = (
    ">=",
    "<=",
    "=",
    "<",
    ">",
    "decrease_by_at_least",
    "decrease_by",
    "increase_by_at_least",
    "increase_by",
    "complete_count",
)

# The three annex groups of the seed's annex table ("核心绩效指标", "重点整治", "重点应用/平台").
ANNEX_GROUPS = ("kpis", "domains", "platforms")

_MMDD = re.compile(r"^(\d{2})-(\d{2})$")


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class ExtractOptions:
    """Caller knobs.

    year: plan year used to resolve "11月底前" etc.; None means detect it from the document.
    flood_season_deadline: "MM-DD" that "主汛期前" resolves to in the plan year.
    max_bytes: larger inputs are refused before any parsing.
    simplify: convert traditional to simplified Chinese (OpenCC t2s) when OpenCC is installed.
    """

    year: int | None = None
    flood_season_deadline: str = "05-31"
    max_bytes: int = 20 * 1024 * 1024
    simplify: bool = True

    def __post_init__(self) -> None:
        # Every bad value raises ExtractionError(code="bad_option", details={"option", "value"}).
        if self.year is not None:
            try:
                year = int(self.year)
            except (TypeError, ValueError, OverflowError):
                year = None
            if year is None or isinstance(self.year, bool) or not 1900 <= year <= 2100:
                raise _bad_option("year", self.year, f"year {self.year!r} is out of range 1900..2100")
        if not isinstance(self.flood_season_deadline, str) or not (match := _MMDD.match(self.flood_season_deadline)):
            raise _bad_option("flood_season_deadline", self.flood_season_deadline,
                              f"flood_season_deadline must be 'MM-DD', got {self.flood_season_deadline!r}")
        try:
            date(2024, int(match[1]), int(match[2]))  # leap year so 02-29 is accepted
        except ValueError as exc:
            raise _bad_option("flood_season_deadline", self.flood_season_deadline,
                              f"flood_season_deadline {self.flood_season_deadline!r} is not a date") from exc
        if isinstance(self.max_bytes, bool) or not isinstance(self.max_bytes, int) or self.max_bytes <= 0:
            raise _bad_option("max_bytes", self.max_bytes, f"max_bytes must be a positive int, got {self.max_bytes!r}")

    def flood_date(self, year: int) -> date:
        """The flood-season deadline in ``year`` (02-29 falls back to 02-28 in common years)."""
        month, day = (int(x) for x in self.flood_season_deadline.split("-"))
        try:
            return date(year, month, day)
        except ValueError:
            return date(year, month, day - 1)


def _bad_option(option: str, value: Any, message: str) -> ExtractionError:
    return ExtractionError(message, "bad_option", {"option": option, "value": repr(value)[:100]})


@dataclass(frozen=True)
class UnitRef:
    """A responsible unit; ``group`` marks collective names such as "各区县政府"."""

    name: str
    role: str  # "lead" | "support"
    group: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "group": self.group}


@dataclass(frozen=True)
class DeadlineRef:
    """A deadline phrase as written ("11月底前") and the date it resolves to."""

    text: str
    date: date | None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "date": _iso(self.date)}


@dataclass(frozen=True)
class TargetSpec:
    """One measurable target: ``metric comparator value unit`` for ``scope`` by ``deadline``."""

    text: str
    metric: str | None
    comparator: str
    value: int | float
    unit: str | None
    scope: str | None = None
    deadline: date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "metric": self.metric,
            "comparator": self.comparator,
            "value": self.value,
            "unit": self.unit,
            "scope": self.scope,
            "deadline": _iso(self.deadline),
        }


@dataclass(frozen=True)
class Section:
    """A top-level heading "一、…"."""

    number: str
    index: int
    title: str

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "index": self.index, "title": self.title}


@dataclass(frozen=True)
class Task:
    """A numbered task "(一)…" (or "1." / a task-table row) with what was found in its text."""

    section: Section | None
    number: str
    index: int
    title: str
    text: str
    targets: tuple[TargetSpec, ...] = ()
    units: tuple[UnitRef, ...] = ()
    deadlines: tuple[DeadlineRef, ...] = ()
    items: tuple[str, ...] = ()  # "一是…二是…" / "(1)…(2)…" sub-items, when present

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": {"number": self.section.number, "title": self.section.title} if self.section else None,
            "number": self.number,
            "index": self.index,
            "title": self.title,
            "text": self.text,
            "targets": [t.to_dict() for t in self.targets],
            "units": [u.to_dict() for u in self.units],
            "deadlines": [d.to_dict() for d in self.deadlines],
            "items": list(self.items),
        }


@dataclass(frozen=True)
class AnnexItem:
    """A row of an annex table (KPI, rectification domain or platform)."""

    group: str  # one of ANNEX_GROUPS
    number: int
    name: str
    text: str
    targets: tuple[TargetSpec, ...] = ()
    units: tuple[UnitRef, ...] = ()
    deadlines: tuple[DeadlineRef, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "name": self.name,
            "text": self.text,
            "targets": [t.to_dict() for t in self.targets],
            "units": [u.to_dict() for u in self.units],
            "deadlines": [d.to_dict() for d in self.deadlines],
        }


@dataclass(frozen=True)
class Plan:
    """A whole work plan."""

    title: str | None
    year: int
    notice_title: str | None = None
    doc_number: str | None = None
    issuer: str | None = None
    date: date | None = None
    source_format: str = "txt"
    sections: tuple[Section, ...] = ()
    tasks: tuple[Task, ...] = ()
    annex: dict[str, tuple[AnnexItem, ...]] = field(default_factory=dict)

    def annex_group(self, group: str) -> tuple[AnnexItem, ...]:
        return self.annex.get(group, ())

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "notice_title": self.notice_title,
            "doc_number": self.doc_number,
            "issuer": self.issuer,
            "date": _iso(self.date),
            "year": self.year,
            # source_format is deliberately not here: the same plan as TXT or DOCX gives the same dict.
            "sections": [s.to_dict() for s in self.sections],
            "tasks": [t.to_dict() for t in self.tasks],
            "annex": {g: [i.to_dict() for i in self.annex_group(g)] for g in ANNEX_GROUPS},
        }
