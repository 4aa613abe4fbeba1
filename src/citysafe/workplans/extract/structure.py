"""Document structure: header metadata, sections, tasks and annex tables.

Grammar of a work plan (one element per normalised line; see tables.py for pipe tables)::

    plan      := header body [annex]
    header    := any lines before the first section or task marker; metadata is searched here
    body      := (section | task | task-table | text)*
    section   := "一、" title                       (Chinese numeral + "、"; not inside the annex)
    task      := marker text continuation*          marker is the highest level present in the body:
                 "(一)"  >  "1." / "1、"  >  "(1)"  (lower levels stay inside the task text)
    annex     := "附件" [N] alone on a line (or, if there is none, a "附件:…" line after the body)
                 then ("一、" group-heading | annex-table | text)*

Tables whose header has a task column (任务/工作任务/工作内容…) become tasks; tables with 名称/指标 and a
目标 or 责任单位 column become annex items. Annex groups come from the nearest heading: …指标 -> kpis,
…平台/应用/场景/系统 -> platforms, anything else -> domains.

A task's text runs until the next marker, heading, "附件" line or signature date, so text wrapped over
several lines (PDF) is joined back ("" between Chinese characters, a space between Latin words).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from .deadlines import parse_deadlines
from .errors import ExtractionError
from .model import AnnexItem, DeadlineRef, ExtractOptions, Plan, Section, Task
from .numerals import cn_to_int
from .tables import Table, iter_blocks
from .targets import parse_targets
from .units import parse_unit_list, strip_annotations, units_in_text

_CN = "[一二三四五六七八九十]{1,3}"
SECTION = re.compile(rf"^(?P<num>{_CN})、\s*(?P<title>\S.*)$")
# Task markers, highest level first.
TASK_MARKERS: list[tuple[str, re.Pattern]] = [
    ("cn_paren", re.compile(rf"^\((?P<num>{_CN})\)\s*(?P<rest>\S.*)$")),
    ("arabic", re.compile(r"^(?P<num>\d{1,3})(?:\.|、)(?!\d)\s*(?P<rest>\S.*)$")),
    ("arabic_paren", re.compile(r"^\((?P<num>\d{1,3})\)\s*(?P<rest>\S.*)$")),
]
ANNEX_START = re.compile(r"^附(?:件|表)\s*\d{0,2}\s*:?$")
ANNEX_LISTING = re.compile(r"^附(?:件|表)\s*\d{0,2}\s*:\s*\S")
# Lines that end a task without belonging to it: signature date, "(此件公开发布)", page numbers "— 3 —".
TASK_END = re.compile(r"^(?:\d{4}年\d{1,2}月\d{1,2}日|\(此件[^)]*\)|[-—–]+\s*\d{1,4}\s*[-—–]+|抄送:.*|扫一扫.*)$")

_HEADER_LINES = 200
_NOTICE = re.compile(
    r"(?m)^(?:\|?\s*标\s*题\s*:?\s*\|\s*)?(?P<issuer>[^\n|:]{2,40}?)\s*(?P<rest>关于(?:印发|转发|下达)[^|]{0,200}?的通知)"
)
_QUOTED_TITLE = re.compile(r"《([^《》]{2,120})》")
_PLAN_TITLE_LINE = re.compile(r"^[^|:]{2,80}(?:工作要点|工作方案|实施方案|工作计划|行动方案|任务分工|重点任务|工作安排|实施意见)$")
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}\s*[〔\[【(]\s*(?:19|20)\d{2}\s*[〕\]】)]\s*\d{1,4}\s*号")
_META_DATE = re.compile(r"(?P<label>成文日期|发布日期)\s*:?\s*\|?\s*(?P<y>\d{4})[-年/.](?P<m>\d{1,2})[-月/.](?P<d>\d{1,2})")
_DATE_LINE = re.compile(r"^(?P<y>\d{4}|[〇○零一二三四五六七八九]{4})年(?P<m>\d{1,2}|[一二三四五六七八九十]{1,3})月(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})日$")
_META_ISSUER = re.compile(r"发布机构\s*:?\s*\|\s*(?P<issuer>[^|:\s]{2,40})\s*\|")
_ORG_LINE = re.compile(r"^[\u4e00-\u9fff()]{2,30}(?:政府|办公厅|办公室|委员会|安委会|减灾委|指挥部|局|厅|委|部)$")
_TITLE_YEAR = re.compile(r"((?:19|20)\d{2})年")
_SUBITEM_FAMILIES = [
    # The leading look-aheads make the scan skip impossible positions quickly on very long tasks.
    re.compile(r"(?=[一二三四五六七八九十])(?:^|(?<=[。;:,!?\s]))(?P<num>[一二三四五六七八九十]{1,2})是"),
    re.compile(r"(?=\()(?:^|(?<=[。;:,!?\s]))\((?P<num>\d{1,2})\)"),
    re.compile(r"(?=\d)(?:^|(?<=[。;:!?\s]))(?P<num>\d{1,2})[.、](?!\d)"),
]
_CJK_OR_PUNCT = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’《》、。,;:()!?%‰—]")


@dataclass
class _Header:
    title: str | None = None
    notice_title: str | None = None
    doc_number: str | None = None
    issuer: str | None = None
    date: date | None = None


@dataclass
class _TaskDraft:
    section: Section | None
    number: str
    index: int
    lines: list[str] = field(default_factory=list)


def _join_lines(lines: list[str]) -> str:
    """Join wrapped lines: no space between Chinese characters, one space between Latin words."""
    out = ""
    for line in lines:
        if out and not (_CJK_OR_PUNCT.match(out[-1]) or _CJK_OR_PUNCT.match(line[0])):
            out += " "
        out += line
    return out


def _safe_date(y: str, m: str, d: str) -> date | None:
    try:
        return date(cn_to_int(y) or 0, cn_to_int(m) or 0, cn_to_int(d) or 0)
    except ValueError:
        return None


def _parse_header(header_lines: list[str], all_lines: list[str]) -> _Header:
    """Title, notice title, document number, issuer and date from the lines before the body."""
    text = "\n".join(header_lines)
    header = _Header()
    if match := _NOTICE.search(text):
        header.notice_title = (match["issuer"] + match["rest"]).replace("\n", "").strip()
        header.issuer = match["issuer"].strip()
        if quoted := _QUOTED_TITLE.search(match["rest"].replace("\n", "")):
            header.title = quoted[1]
    if not header.title:
        header.title = next((ln for ln in header_lines if _PLAN_TITLE_LINE.match(ln)), None)
    if not header.title:
        header.title = next((ln[:100] for ln in header_lines if not ln.startswith("|")), None)
    if match := _DOC_NUMBER.search(text):
        header.doc_number = re.sub(r"\s+", "", match[0])
    if not header.issuer and (match := _META_ISSUER.search(text)):
        header.issuer = match["issuer"]
    header.date = _find_date(text, header_lines, all_lines)
    if not header.issuer:
        header.issuer = _signature_issuer(header_lines) or _signature_issuer(all_lines[-60:])
    return header


def _find_date(text: str, header_lines: list[str], all_lines: list[str]) -> date | None:
    """成文日期 from a metadata table, else a date alone on a line (signature), else 发布日期."""
    meta = {m["label"]: _safe_date(m["y"], m["m"], m["d"]) for m in _META_DATE.finditer(text)}
    if meta.get("成文日期"):
        return meta["成文日期"]
    for line in header_lines + all_lines[-60:]:
        if (match := _DATE_LINE.match(line)) and (found := _safe_date(match["y"], match["m"], match["d"])):
            return found
    return meta.get("发布日期")


def _signature_issuer(lines: list[str]) -> str | None:
    """The organisation line just above a standalone date line (the signature block)."""
    for before, line in zip(lines, lines[1:]):
        if _DATE_LINE.match(line) and _ORG_LINE.match(before):
            return before
    return None


def _detect_year(header: _Header, options: ExtractOptions) -> int:
    if options.year is not None:
        return int(options.year)
    for source in (header.title, header.notice_title):
        if source and (match := _TITLE_YEAR.search(source)):
            return int(match[1])
    if header.date:
        return header.date.year
    if header.doc_number and (match := re.search(r"(?:19|20)\d{2}", header.doc_number)):
        return int(match[0])
    raise ExtractionError("could not determine the plan year from the title or date; give the year explicitly",
                          "no_year", {"title": header.title})


def _task_level(lines: list[str]) -> str | None:
    """The highest task marker family used in the body, or None."""
    present = {name for line in lines for name, pattern in TASK_MARKERS if pattern.match(line)}
    return next((name for name, _ in TASK_MARKERS if name in present), None)


def _annex_start(lines: list[str]) -> int:
    """Index of the line that opens the annex (len(lines) when there is none)."""
    for i, line in enumerate(lines):
        if ANNEX_START.match(line):
            return i
    body_seen = False
    for i, line in enumerate(lines):
        if SECTION.match(line) or any(p.match(line) for _, p in TASK_MARKERS):
            body_seen = True
        elif body_seen and ANNEX_LISTING.match(line):
            return i
    return len(lines)


def short_title(lines: list[str], text: str) -> str:
    """First sentence up to "。" (or a ":" within 25 chars); a short first line without "。" is the title."""
    first = strip_annotations(lines[0]) if lines else ""
    for candidate in (first, strip_annotations(text)):
        cut = re.search(r"[。!?]", candidate)
        colon = candidate.find(":")
        if 0 < colon <= 25 and (not cut or colon < cut.start()):
            return candidate[:colon].strip()
        if cut:
            return candidate[: cut.start()].strip()
        if candidate is first and len(lines) > 1 and 0 < len(first) <= 40:
            return first.strip(" ;,")
    return strip_annotations(text)[:80].strip()


def split_items(text: str) -> tuple[str, ...]:
    """Sub-items "一是…二是…", "(1)…(2)…" or "1.…2.…" when at least two appear in sequence."""
    for family in _SUBITEM_FAMILIES:
        starts, expected = [], 1
        for match in family.finditer(text):
            if cn_to_int(match["num"]) == expected:
                starts.append(match.start())
                expected += 1
        if len(starts) >= 2:
            ends = starts[1:] + [len(text)]
            return tuple(text[s:e].strip() for s, e in zip(starts, ends))
    return ()


class _PlanBuilder:
    """Walks the blocks of the body and annex and collects sections, tasks and annex items."""

    def __init__(self, year: int, options: ExtractOptions, task_level: str | None) -> None:
        self.year = year
        self.options = options
        self.task_pattern = dict(TASK_MARKERS).get(task_level) if task_level else None
        self.sections: list[Section] = []
        self.tasks: list[Task] = []
        self.annex: dict[str, list[AnnexItem]] = {"kpis": [], "domains": [], "platforms": []}
        self.draft: _TaskDraft | None = None
        self.section: Section | None = None
        self.annex_heading: str | None = None

    # --- body -----------------------------------------------------------------------------------------
    def body_line(self, line: str) -> None:
        if match := SECTION.match(line):
            self.close_task()
            index = cn_to_int(match["num"]) or len(self.sections) + 1
            self.section = Section(match["num"], index, match["title"].strip())
            self.sections.append(self.section)
        elif self.task_pattern and (match := self.task_pattern.match(line)):
            self.close_task()
            index = cn_to_int(match["num"]) or len(self.tasks) + 1
            self.draft = _TaskDraft(self.section, match["num"], index, [match["rest"]])
        elif TASK_END.match(line) or ANNEX_LISTING.match(line):
            self.close_task()
        elif self.draft:
            self.draft.lines.append(line)

    def close_task(self) -> None:
        if self.draft:
            text = _join_lines(self.draft.lines)
            self.tasks.append(self._task(self.draft.section, self.draft.number, self.draft.index, self.draft.lines, text))
        self.draft = None

    def _task(self, section, number, index, lines, text, units=(), extra_deadlines=(), default_deadline=None) -> Task:
        deadlines = _merge_deadlines(tuple(extra_deadlines) + parse_deadlines(text, self.year, self.options))
        return Task(
            section=section,
            number=str(number),
            index=index,
            title=short_title(lines, text),
            text=text,
            targets=parse_targets(text, self.year, self.options, default_deadline=default_deadline),
            units=tuple(units) or units_in_text(text),
            deadlines=deadlines,
            items=split_items(text),
        )

    # --- tables ---------------------------------------------------------------------------------------
    def table(self, table: Table, in_annex: bool) -> None:
        kind = table.kind
        if kind == "task" and not in_annex:
            self.close_task()
            self._task_table(table)
        elif kind in ("task", "annex"):
            self.close_task()
            self._annex_table(table, in_annex)

    def _rows(self, table: Table):
        header_index, columns = table.header()
        header = table.rows[header_index]
        for row in table.rows[header_index + 1 :]:
            if row == header or not any(cell.strip() for cell in row):
                continue  # repeated header (page break) or empty row
            row = row + ("",) * (len(header) - len(row))
            yield columns, row

    def _units_of_row(self, columns: dict[str, int], row: tuple[str, ...]):
        units = ()
        if "units" in columns:
            units += parse_unit_list(row[columns["units"]])
        if "lead" in columns:
            units += parse_unit_list(row[columns["lead"]], all_lead=True)
        if "support" in columns:
            units += parse_unit_list(row[columns["support"]], all_support=True)
        return units

    def _task_table(self, table: Table) -> None:
        for position, (columns, row) in enumerate(self._rows(table), start=1):
            text = row[columns["task"]].strip()
            if not text:
                continue
            number = row[columns["number"]].strip() if "number" in columns else ""
            index = cn_to_int(number) or position
            column_deadlines = self._column_deadlines(columns, row)
            default = column_deadlines[-1].date if column_deadlines else None
            units = self._units_of_row(columns, row)
            self.tasks.append(
                self._task(self.section, number or str(index), index, [text], text, units, column_deadlines, default)
            )

    def _column_deadlines(self, columns: dict[str, int], row: tuple[str, ...]) -> tuple[DeadlineRef, ...]:
        if "deadline" not in columns:
            return ()
        cell = row[columns["deadline"]]
        return parse_deadlines(cell, self.year, self.options) or ((DeadlineRef(cell, None),) if cell else ())

    def _annex_table(self, table: Table, in_annex: bool) -> None:
        header_index, columns = table.header()
        hint = self.annex_heading if in_annex else (self.section.title if self.section else None)
        group = _annex_group(hint, table.rows[header_index], columns)
        items = self.annex[group]
        for position, (columns, row) in enumerate(self._rows(table), start=1):
            name = row[columns["name"]].strip() if "name" in columns else ""
            text_column = columns.get("target", columns.get("task"))
            text = row[text_column].strip() if text_column is not None else ""
            number_cell = row[columns["number"]].strip() if "number" in columns else ""
            number = cn_to_int(number_cell) or position
            column_deadlines = self._column_deadlines(columns, row)
            default = column_deadlines[-1].date if column_deadlines else None
            targets = parse_targets(
                text,
                self.year,
                self.options,
                metric=name if group == "kpis" and name else None,
                default_deadline=default,
                whole_cell=True,
            )
            deadlines = _merge_deadlines(column_deadlines + parse_deadlines(text, self.year, self.options))
            items.append(AnnexItem(group, number, name, text, targets, self._units_of_row(columns, row), deadlines))

    def annex_line(self, line: str) -> None:
        if match := SECTION.match(line):
            self.annex_heading = match["title"]


def _merge_deadlines(refs: tuple[DeadlineRef, ...]) -> tuple[DeadlineRef, ...]:
    seen, out = set(), []
    for ref in refs:
        if (ref.text, ref.date) not in seen:
            seen.add((ref.text, ref.date))
            out.append(ref)
    return tuple(out)


def _annex_group(hint: str | None, header: tuple[str, ...], columns: dict[str, int]) -> str:
    """kpis / platforms / domains from the heading above the table, else from the name column header."""
    hint = hint or ""
    if "指标" in hint:
        return "kpis"
    if re.search(r"平台|应用|场景|系统", hint):
        return "platforms"
    if hint:
        return "domains"
    name_header = header[columns["name"]] if "name" in columns else ""
    return "kpis" if "指标" in name_header else "domains"


def _not_a_plan(lines: list[str], sections: int = 0) -> None:
    first = lines[0][:60]
    if sections:
        message = (f"not a work plan: found {sections} section heading(s) (一、) but no numbered tasks ((一)) "
                   f"or annex items; first line was {first!r}")
    else:
        message = f"not a work plan: found no section headings (一、) or numbered tasks ((一)); first line was {first!r}"
    raise ExtractionError(message, "not_a_plan", {"first_line": first, "sections": sections})


def parse_plan(text: str, options: ExtractOptions, source_format: str = "txt") -> Plan:
    """Parse normalised text into a Plan with at least one task or annex item.

    Raises ExtractionError ``empty`` / ``not_a_plan`` / ``no_year`` when it is not a usable work plan.
    """
    lines = text.split("\n") if text else []
    if not lines:
        raise ExtractionError("empty document: no text found", "empty")
    annex_at = _annex_start(lines)
    # Metadata lives before the first heading or task; the walk below still starts at line 0 because
    # preamble lines that are not markers are ignored and a plan may be a bare task table.
    body_start = next(
        (i for i, ln in enumerate(lines[:annex_at]) if SECTION.match(ln) or any(p.match(ln) for _, p in TASK_MARKERS)),
        min(annex_at, _HEADER_LINES),
    )
    if body_start >= annex_at and not any(ln.startswith("|") for ln in lines):
        _not_a_plan(lines)  # checked before the year so the message names the real problem
    header = _parse_header(lines[: min(body_start, _HEADER_LINES)], lines)
    year = _detect_year(header, options)
    builder = _PlanBuilder(year, options, _task_level(lines[:annex_at]))
    for kind, block in iter_blocks(lines[:annex_at]):
        builder.body_line(block) if kind == "line" else builder.table(block, in_annex=False)
    builder.close_task()
    for kind, block in iter_blocks(lines[annex_at:]):
        builder.annex_line(block) if kind == "line" else builder.table(block, in_annex=True)
    if not (builder.tasks or any(builder.annex.values())):
        _not_a_plan(lines, len(builder.sections))  # headings alone are no plan (services refuses it too)
    return Plan(
        title=header.title,
        year=year,
        notice_title=header.notice_title,
        doc_number=header.doc_number,
        issuer=header.issuer,
        date=header.date,
        source_format=source_format,
        sections=tuple(builder.sections),
        tasks=tuple(builder.tasks),
        annex={group: tuple(items) for group, items in builder.annex.items()},
    )
