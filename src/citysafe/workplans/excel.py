"""Excel in and out for the work plan (openpyxl).

* ``responsibility_matrix(plan, user)``: tasks × units with 牵头/配合, plus a sheet of targets.
* ``progress_workbook(plan, user)``: the progress sheet of every target in scope, pre-filled with the latest
  report, which units fill in and send back.
* ``import_progress(plan, user, data)``: reads that sheet; every row is checked first, and errors are reported by
  row and column; only when no row has an error are all rows saved, in one transaction, through
  ``services.submit_progress_report`` (same permission checks as the web form).  Rows identical to an existing
  report are skipped (``unchanged``), so uploading the downloaded sheet again saves nothing twice.
"""

import datetime as dt
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from citysafe.core.roles import can_write
from citysafe.core.services import find_organization

from . import selectors, services
from .errors import PermissionDenied, WorkplanError
from .models import ResponsibleUnit, UnitRole, WorkPlan

PROGRESS_HEADERS = ["目标编号", "指标", "目标", "报送单位", "截至日期", "完成值", "进展情况"]
HEADER_FILL = PatternFill("solid", fgColor="0B3D6B")
HEADER_FONT = Font(color="FFFFFF", bold=True)


def _header(ws, headers: list[str], widths: list[int]) -> None:
    ws.append(headers)
    for col, width in enumerate(widths, start=1):
        cell = ws.cell(row=1, column=col)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A2"


def _to_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def responsibility_matrix(plan: WorkPlan, user) -> bytes:
    """XLSX: sheet 责任矩阵 (task rows × unit columns: 牵头 / 配合), sheet 目标 (one row per target)."""
    tasks = list(selectors.tasks_for(user, plan).order_by("kind", "index"))
    units = list(ResponsibleUnit.objects.filter(task__in=tasks).select_related("organization"))
    orgs: dict[int, tuple[str, int]] = {}
    for unit in units:
        name, leads = orgs.get(unit.organization_id, (unit.organization.name, 0))
        orgs[unit.organization_id] = (name, leads + (unit.role == UnitRole.LEAD))
    columns = sorted(orgs, key=lambda oid: (-orgs[oid][1], orgs[oid][0]))
    cells = {(u.task_id, u.organization_id): ("牵头" if u.role == UnitRole.LEAD else "配合") for u in units}
    wb = Workbook()
    ws = wb.active
    ws.title = "责任矩阵"
    _header(ws, ["编号", "类别", "任务"] + [orgs[oid][0] for oid in columns], [8, 14, 40] + [6] * len(columns))
    for col in range(4, 4 + len(columns)):
        ws.cell(row=1, column=col).alignment = Alignment(text_rotation=90, horizontal="center")
    for task in tasks:
        ws.append([task.code, task.get_kind_display(), task.title] + [cells.get((task.pk, oid), "") for oid in columns])
    targets = wb.create_sheet("目标")
    _header(targets, ["目标编号", "任务", "指标", "比较", "目标值", "单位", "范围", "完成时限", "状态", "牵头单位"],
            [10, 30, 30, 8, 10, 6, 12, 12, 10, 20])
    for t in selectors.targets_for(user, plan).select_related("task"):
        targets.append([t.code, t.task.title, t.metric, t.comparator, t.value, t.unit, t.scope,
                        t.deadline, t.get_status_display(), str(t.task.lead_unit or "")])
    return _to_bytes(wb)


def progress_workbook(plan: WorkPlan, user) -> bytes:
    """XLSX progress sheet for the targets in the user's scope, with the latest report of each pre-filled."""
    wb = Workbook()
    ws = wb.active
    ws.title = "进展填报"
    _header(ws, PROGRESS_HEADERS, [10, 30, 14, 24, 12, 10, 50])
    reports = {}
    for report in selectors.reports_for(user).filter(target__task__plan=plan).order_by("as_of", "created_at"):
        reports[report.target_id] = report
    profile = getattr(user, "profile", None)
    default_unit = profile.organization.name if profile and profile.organization else ""
    for target in selectors.targets_for(user, plan).select_related("task"):
        last = reports.get(target.pk)
        ws.append([target.code, target.metric + (f"({target.scope})" if target.scope else ""), target.describe(),
                   last.reporting_unit.name if last else default_unit, last.as_of if last else None,
                   last.value if last else None, last.narrative if last else ""])
    return _to_bytes(wb)


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return _("第 %(row)s 行「%(column)s」: %(message)s") % {"row": self.row, "column": self.column,
                                                             "message": self.message}


@dataclass
class ImportOutcome:
    """``saved``: rows written as new reports; ``unchanged``: rows identical to an existing report (or to an
    earlier row of the same file) that were skipped.  Both are 0 when there are errors (nothing is saved)."""

    saved: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


# Comparators for which a rate in % (‰) cannot exceed 100 (1000); "下降/增长 …%" targets are relative changes.
_RATE_COMPARATORS = {">=", ">", "<=", "<", "="}
_RATE_LIMITS = {"%": 100, "％": 100, "‰": 1000}
_READ_COLUMNS = ("目标编号", "报送单位", "截至日期", "完成值", "进展情况")


def _as_date(value):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        return dt.date.fromisoformat(value.strip().replace("/", "-"))
    raise ValueError


def _as_number(value):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = float(str(value).strip().rstrip("%‰"))
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError
    return number


def _cell_values(cells) -> list:
    """Cell values as shown in Excel: a number formatted as a percentage (0.5 shown as 50%) is read as 50, the
    way the sheet's 完成值 column is meant (targets in % compare against 50, not 0.5)."""
    values = []
    for cell in cells:
        value = getattr(cell, "value", None)
        fmt = getattr(cell, "number_format", "") or ""
        if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in fmt:
            value = round(value * 100, 10)
        values.append(value)
    return values


def _normalize_text(text: str) -> str:
    """Narratives compare equal across a download and upload (XML turns CR LF into LF; the import strips)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _report_key(target_id, unit_id, as_of, value, narrative) -> tuple:
    return target_id, unit_id, as_of, None if value is None else float(value), _normalize_text(narrative or "")


def _open_sheet(data: bytes, *, data_only: bool):
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=data_only).worksheets[0]
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise WorkplanError(_("无法读取 Excel 文件: %(error)s") % {"error": exc.__class__.__name__}) from None


def import_progress(plan: WorkPlan, user, data: bytes) -> ImportOutcome:
    """Validate every row of a progress sheet, then save all of them or none.

    Rows with neither a value nor a narrative are skipped (the sheet lists every target).  A row identical to a
    report the user can already see (same target, reporting unit, as-of date, value and narrative), such as the
    pre-filled latest report of the downloaded sheet, is skipped and counted as ``unchanged``, so uploading the
    same sheet twice saves nothing the second time.  Errors name the row (as Excel numbers it) and the column
    header.  A formula cell without a cached result (a file written by a program, never opened in Excel) is an
    error rather than an empty cell.
    """
    if user is not None and not can_write(user):
        raise PermissionDenied(_("只读用户不能填报进展"))
    ws = _open_sheet(data, data_only=True)
    # The same sheet with formulas as text: a cell that is None above but a formula here has no cached result.
    formulas = _open_sheet(data, data_only=False)
    rows = (_cell_values(cells) for cells in ws.iter_rows())
    raw_rows = formulas.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
    next(raw_rows, None)
    missing = [h for h in _READ_COLUMNS if h not in header]
    if missing:
        raise WorkplanError(_("缺少列: %(columns)s") % {"columns": "、".join(missing)})
    col = {name: header.index(name) for name in header if name}
    checked = [(name, col[name]) for name in _READ_COLUMNS]
    context = _RowContext(
        plan=plan,
        targets={t.code: t for t in selectors.targets_for(user, plan).select_related("task__plan")},
        existing={_report_key(*r) for r in selectors.reports_for(user).filter(target__task__plan=plan).order_by()
                  .values_list("target_id", "reporting_unit_id", "as_of", "value", "narrative")},
        today=timezone.localdate())
    outcome, pending = ImportOutcome(), []
    for number, values in enumerate(rows, start=2):
        raw = next(raw_rows, None) or ()
        values = list(values) + [None] * (len(header) - len(values))
        uncached = [name for name, index in checked
                    if values[index] is None and index < len(raw) and raw[index] is not None]
        if uncached:
            outcome.errors += [RowError(number, name, _("公式没有计算结果,请在 Excel 中打开并保存后再上传"))
                               for name in uncached]
            continue
        parsed = _parse_row(number, values, col, context, outcome.errors)
        if parsed is None:
            continue
        kwargs = parsed[1]
        key = _report_key(kwargs["target"].pk, kwargs["reporting_unit"].pk, kwargs["as_of"], kwargs["value"],
                          kwargs["narrative"])
        if key in context.existing:
            outcome.unchanged += 1
            continue
        context.existing.add(key)  # the same row twice in one file is saved once
        pending.append(parsed)
    if outcome.errors:
        outcome.unchanged = 0
        return outcome
    try:
        with transaction.atomic():
            for number, kwargs in pending:
                try:
                    services.submit_progress_report(user=user, **kwargs)
                except PermissionDenied as exc:
                    outcome.errors.append(RowError(number, "报送单位", str(exc)))
                except WorkplanError as exc:
                    outcome.errors.append(RowError(number, "目标编号", str(exc)))
            if outcome.errors:
                raise _Rollback
    except _Rollback:
        outcome.unchanged = 0
        return outcome
    outcome.saved = len(pending)
    return outcome


class _Rollback(Exception):
    """Raised inside the import transaction to undo every row when any row was refused."""


@dataclass
class _RowContext:
    plan: WorkPlan
    targets: dict
    existing: set
    today: dt.date
    units: dict = field(default_factory=dict)

    def unit(self, name: str):
        if name not in self.units:
            self.units[name] = find_organization(name)
        return self.units[name]


def _value_error(value: float, target) -> str | None:
    """Why ``value`` cannot be a result of ``target`` (None when it can)."""
    if value < 0:
        return _("完成值必须是非负数")
    limit = _RATE_LIMITS.get(target.unit.strip())
    if limit is not None and target.comparator in _RATE_COMPARATORS and value > limit:
        return _("完成值不能超过 %(limit)s%(unit)s") % {"limit": limit, "unit": target.unit.strip()}
    return None


def _date_error(as_of: dt.date, context: _RowContext) -> str | None:
    if as_of > context.today:
        return _("截至日期不能晚于今天")
    if as_of.year != context.plan.year:
        return _("截至日期应在 %(year)s 年内") % {"year": context.plan.year}
    return None


def _parse_row(number, values, col, context, errors):
    code = str(values[col["目标编号"]] or "").strip()
    value_cell, narrative = values[col["完成值"]], str(values[col["进展情况"]] or "").strip()
    if not code and value_cell is None and not narrative:
        return None
    try:
        value = _as_number(value_cell)
    except (TypeError, ValueError):
        errors.append(RowError(number, "完成值", _("不是数字: %(value)r") % {"value": value_cell}))
        return None
    if value is None and not narrative:
        return None  # a listed target nobody reported on this time
    target = context.targets.get(code)
    if target is None:
        errors.append(RowError(number, "目标编号", _("未找到或无权填报: %(code)r") % {"code": code}))
        return None
    if value is not None and (message := _value_error(value, target)):
        errors.append(RowError(number, "完成值", message))
        return None
    unit = context.unit(str(values[col["报送单位"]] or ""))
    if unit is None:
        errors.append(RowError(number, "报送单位", _("未知单位: %(unit)r") % {"unit": values[col["报送单位"]]}))
        return None
    try:
        as_of = _as_date(values[col["截至日期"]])
    except (TypeError, ValueError):
        errors.append(RowError(number, "截至日期", _("不是日期: %(value)r") % {"value": values[col["截至日期"]]}))
        return None
    if message := _date_error(as_of, context):
        errors.append(RowError(number, "截至日期", message))
        return None
    return number, {"target": target, "reporting_unit": unit, "as_of": as_of, "value": value, "narrative": narrative}
