"""Pipe tables in normalised text, and what their columns mean.

Every reader renders tables as pipe rows, so the structure parser only meets two shapes:

* one row per line: ``| 序号 | 名称 | 2026年目标 | 责任单位 |`` (HTML, DOCX, pasted Markdown);
* the *broken* web-scrape shape of the seed, one cell per line::

      |                     <- a lone "|" opens a row
      序号 |                <- every cell line ends with "|"
      名 称 |
      |                     <- next row
      1 |
      重特大生产安全事故起数 |

  Lines without a trailing "|" continue the current cell. The first row fixes the column count; once a
  row is complete, a line that is not "|" ends the table.

Column headers are matched after removing spaces ("名 称" -> "名称"), see ``_COLUMN_PATTERNS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SEPARATOR_ROW = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")

# Column role -> header regex (matched against the header cell with spaces removed). Order matters: the
# first role that matches a header wins, so "任务" columns are tried before "内容".
_COLUMN_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("number", re.compile(r"^(?:序号|编号|序)$")),
    ("deadline", re.compile(r"(?:完成时限|时限|完成时间|时间节点|截止时间|进度安排|完成期限)")),
    ("lead", re.compile(r"^(?:牵头(?:责任)?(?:单位|部门)|牵头)$")),
    ("support", re.compile(r"^(?:(?:配合|协同|参与|协作)(?:责任)?(?:单位|部门))$")),
    ("units", re.compile(r"(?:责任单位|责任部门|责任主体|责任分工|负责单位)")),
    ("task", re.compile(r"^(?:重点|主要|具体|工作|年度)?(?:任务|工作任务|任务内容|工作内容|工作措施|措施|重点工作)(?:内容|名称)?$")),
    ("target", re.compile(r"目标|指标值|目标值")),
    ("name", re.compile(r"^(?:名称|指标名称|指标|领域|行业领域|项目名称|项目|平台|平台名称|应用|应用名称|场景|事项|类别)$")),
    ("target", re.compile(r"内容")),
]


@dataclass(frozen=True)
class Table:
    """Rows of cells; ``columns`` maps a column role to its index once a header row is found."""

    rows: tuple[tuple[str, ...], ...]

    def header(self) -> tuple[int, dict[str, int]] | None:
        """(row index, role -> column) of the first row that looks like a header, or None."""
        for index, row in enumerate(self.rows[:5]):
            columns = classify_header(row)
            if len(columns) >= 2 and ({"units", "lead", "deadline", "target"} & columns.keys()):
                return index, columns
        return None

    @property
    def kind(self) -> str | None:
        """"task" (rows are tasks), "annex" (rows are KPI/domain/platform items) or None (not ours)."""
        found = self.header()
        if not found:
            return None
        columns = found[1]
        if "task" in columns and "name" not in columns:
            return "task"
        if "name" in columns or "target" in columns:
            return "annex"
        return None


def classify_header(row: tuple[str, ...]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(row):
        label = re.sub(r"\s+", "", cell)
        label = re.sub(r"^\d{4}年", "", label)  # "2026年目标" -> "目标"
        label = re.sub(r"\(.*?\)$", "", label) or label  # "2026年目标(内容)" -> "目标"
        for role, pattern in _COLUMN_PATTERNS:
            if role not in columns and pattern.search(label):
                columns[role] = index
                break
    return columns


def split_pipe_row(line: str) -> tuple[str, ...]:
    """"| a | b |" -> ("a", "b"); empty cells are kept so columns stay aligned."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") else body
    return tuple(cell.strip() for cell in body.split("|"))


def _read_broken(lines: list[str], start: int) -> tuple[list[tuple[str, ...]], int]:
    """Parse the one-cell-per-line shape starting at a lone "|"; returns (rows, next line index)."""
    rows: list[tuple[str, ...]] = []
    row: list[str] | None = None
    pending: list[str] = []
    width: int | None = None
    i = start
    while i < len(lines):
        line = lines[i]
        if line == "|":
            if row:
                rows.append(tuple(row))
                width = width or len(row)
            row, pending = [], []
            i += 1
            continue
        if line.endswith("|") and not line.startswith("|"):
            row.append(" ".join(pending + [line[:-1].strip()]))
            pending = []
            i += 1
            continue
        if line.startswith("|") or (width is not None and len(row) >= width) or (width is None and row):
            break  # a one-line row or text after a complete row: the table is over
        pending.append(line)
        i += 1
    if row:
        rows.append(tuple(row))
    return rows, i - len(pending)


def iter_blocks(lines: list[str]):
    """Yield ("line", str) and ("table", Table) blocks in document order."""
    i = 0
    while i < len(lines):
        line = lines[i]
        if line == "|":
            rows, i = _read_broken(lines, i)
            if rows:
                yield "table", Table(tuple(rows))
            continue
        if line.startswith("|") and line.endswith("|") and len(line) > 1:
            rows = []
            while i < len(lines) and lines[i].startswith("|") and lines[i].endswith("|") and lines[i] != "|":
                if not _SEPARATOR_ROW.match(lines[i]):
                    rows.append(split_pipe_row(lines[i]))
                i += 1
            yield "table", Table(tuple(rows))
            continue
        yield "line", line
        i += 1
