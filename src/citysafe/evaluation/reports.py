"""The quarterly duty report (述职报告) and the year's evaluation (年度考核评价) of one unit, as DOCX and XLSX.

Seed 一(四): "季度述职、年度考评".  ``unit_report`` gathers the figures (scorecard row with rank, components, the
unit's led targets with status, its open supervision items); ``docx_bytes`` and ``xlsx_bytes`` render them.

The DOCX chart is a native table bar (one row per component, 20 cells of 5 % each, shaded up to the rate) so the
report needs no plotting library and stays editable in Word/WPS; the XLSX carries a real openpyxl ``BarChart``.
Scope: ``scorecards.unit_row`` answers "not found" for a unit outside the user's scope (a district downloads only
its own reports; municipal users all).
"""

import datetime as dt
import io
from dataclasses import dataclass

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from .scorecards import COMPONENT_LABELS, Period, ScoreRow, led_targets, unit_row, with_period_status

BAR_CELLS = 20  # 5 % per cell
BAR_COLOR = "2F6EBA"
MAX_ROWS = 500  # targets / items listed in a report (a unit leads far fewer; bounds the file size)


@dataclass
class UnitReport:
    row: ScoreRow
    period: Period
    targets: list
    supervisions: list
    generated_on: dt.date
    kpis: list | None = None  # districts: the district's own KPI tiles (kpi_services.tiles) on the period end
    figures: list | None = None  # districts: [label, YTD, same period last year, unit] accident/disaster rows

    @property
    def title(self) -> str:
        if self.period.quarter:
            return f"{self.row.organization.name}{self.period.label}{_('述职报告')}"
        return f"{self.row.organization.name}{self.period.year}{_('年度考核评价')}"


def unit_report(user, org_id: int, period: Period, today: dt.date | None = None) -> UnitReport:
    """Figures of one unit; ``Organization.DoesNotExist`` (→ 404) outside the user's scope."""
    from citysafe.workplans.models import Supervision, SupervisionStatus

    today = today or timezone.localdate()
    row = unit_row(user, org_id, period, today)
    org = row.organization
    targets = sorted(led_targets([org], period.year)[org.pk].values(),
                     key=lambda t: (t.task.kind, t.task.index, t.index))[:MAX_ROWS]
    targets = with_period_status(targets, period, today)  # status as of the period end for a past period
    supervisions = list(Supervision.objects.filter(
        owner=org, status__in=[SupervisionStatus.OPEN, SupervisionStatus.RESPONDED]).order_by("deadline")[:MAX_ROWS])
    report = UnitReport(row, period, targets, supervisions, today)
    if row.kind == "district" and org.region_id:
        report.kpis, report.figures = district_figures(org.region.path, min(period.end, today))
    return report


def district_figures(path: str, as_of: dt.date) -> tuple[list, list]:
    """The district's own KPI tiles and accident/disaster counts, YTD on ``as_of`` vs the same period last year."""
    from citysafe.records.models import DisasterEvent

    from . import kpi_services, kpis

    tiles = kpi_services.tiles(as_of, path)
    data = kpi_services.load_data(*kpi_services._window(as_of), scope=path)
    this = kpis.year_to_date(as_of)
    last = kpis.same_period_last_year(this)
    figures = [[_("生产安全事故起数"), kpis.accident_count(data.accidents, this, path),
                kpis.accident_count(data.accidents, last, path), "起"],
               [_("生产安全事故亡人数(含失踪)"), kpis.accident_deaths(data.accidents, this, path),
                kpis.accident_deaths(data.accidents, last, path), "人"]]
    events = (DisasterEvent.objects.filter(reports__region__path__startswith=path).exclude(status="withdrawn")
              .distinct())
    figures.append([_("自然灾害事件数"), events.filter(start_date__range=(this.start, this.end)).count(),
                    events.filter(start_date__range=(last.start, last.end)).count(), "起"])
    return tiles, figures


def kpi_table(report: UnitReport) -> list[list]:
    """Districts: header + one row per KPI (own figure YTD, same period last year, change, city target, status)."""
    rows = [[_("指标"), _("本年累计"), _("上年同期"), _("同比"), _("单位"), _("全市目标(参考)"), _("状态")]]
    for t in report.kpis or []:
        name = t["name"] + (f"({t['reference_label']})" if t.get("reference_label") else "")
        change = "—" if t["change_pct"] is None else f"{t['change_pct']:+.1f}%"
        rows.append([name, "—" if t["value"] is None else f"{t['value']:g}",
                     "—" if t["previous"] is None else f"{t['previous']:g}", change, t["unit"], t["target"] or "—",
                     t["status_label"] or "—"])
    return rows


def figure_table(report: UnitReport) -> list[list]:
    rows = [[_("项目"), _("本年累计"), _("上年同期"), _("单位")]]
    rows += [list(r) for r in report.figures or []]
    return rows


def _rate_text(comp) -> str:
    return f"{comp.rate:.1%}" if comp.has_data else _("暂无数据")


def _score_text(row: ScoreRow) -> str:
    return "—" if row.score is None else f"{row.score:.2f}"


def _rank_text(row: ScoreRow) -> str:
    return "—" if row.rank is None else f"{row.rank} / {row.of}"


def score_table(report: UnitReport) -> list[list[str]]:
    return [[_("单位"), report.row.organization.name], [_("考核周期"), report.period.label],
            [_("综合得分"), _score_text(report.row)], [_("排名"), _rank_text(report.row)],
            [_("生成日期"), report.generated_on.isoformat()]]


def component_table(report: UnitReport) -> list[list]:
    """Header + one row per component: label, numerator, denominator, rate, weight, used in the score."""
    rows = [[_("考核项目"), _("达标数"), _("应考核数"), _("完成率"), _("权重"), _("计入得分")]]
    for comp in report.row.components.values():
        rows.append([str(COMPONENT_LABELS[comp.key]), comp.numerator, comp.denominator, _rate_text(comp),
                     comp.weight, _("是") if comp.has_data else _("否(无数据,权重按比例分配)")])
    return rows


def target_table(report: UnitReport) -> list[list[str]]:
    rows = [[_("编号"), _("指标"), _("目标"), _("完成时限"), _("状态")]]
    for t in report.targets:
        rows.append([t.code, t.metric, t.describe(), t.effective_deadline.isoformat(), str(t.get_status_display())])
    return rows


def supervision_table(report: UnitReport) -> list[list[str]]:
    rows = [[_("督办事项"), _("办理时限"), _("状态")]]
    for s in report.supervisions:
        rows.append([s.title, s.deadline.isoformat(), str(s.get_status_display())])
    return rows


# --- DOCX ---------------------------------------------------------------------------------------------------------

def _shade(cell, color: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), color)
    cell._tc.get_or_add_tcPr().append(shading)


def _docx_table(doc, rows: list[list]):
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = "" if value is None else str(value)
    return table


def _docx_bar_chart(doc, report: UnitReport):
    """Native bar chart: label | 20 cells shaded up to the rate | rate text."""
    comps = list(report.row.components.values())
    table = doc.add_table(rows=len(comps), cols=BAR_CELLS + 2)
    table.style = "Table Grid"
    for r, comp in enumerate(comps):
        table.cell(r, 0).text = str(COMPONENT_LABELS[comp.key])
        filled = round((comp.rate or 0) * BAR_CELLS)
        for c in range(filled):
            _shade(table.cell(r, c + 1), BAR_COLOR)
        table.cell(r, BAR_CELLS + 1).text = _rate_text(comp)
    return table


def docx_bytes(report: UnitReport) -> bytes:
    """The report as a DOCX: title, unit and period, score table, components table, bar chart, targets, items."""
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    doc.add_heading(report.title, level=0)
    doc.add_paragraph(f"{_('单位')}:{report.row.organization.name}  {_('考核周期')}:{report.period.label}"
                      f"({report.period.start.isoformat()} 至 {report.period.end.isoformat()})")
    doc.add_heading(_("一、综合得分"), level=1)
    _docx_table(doc, score_table(report))
    doc.add_heading(_("二、分项考核"), level=1)
    _docx_table(doc, component_table(report))
    doc.add_paragraph(_("无数据的项目不计入得分,其权重按其余项目的权重比例分配。"))
    doc.add_heading(_("三、分项完成率图"), level=1)
    _docx_bar_chart(doc, report)
    doc.add_heading(_("四、牵头目标完成情况"), level=1)
    _docx_table(doc, target_table(report))
    doc.add_heading(_("五、未办结督办事项"), level=1)
    _docx_table(doc, supervision_table(report))
    if report.kpis is not None:
        doc.add_heading(_("六、本区县事故灾害与指标情况"), level=1)
        doc.add_paragraph(_("截至 %(day)s 本年累计与上年同期对比；状态为本区县数值对照全市目标，仅供参考。")
                          % {"day": min(report.period.end, report.generated_on).isoformat()})
        _docx_table(doc, figure_table(report))
        _docx_table(doc, kpi_table(report))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- XLSX ---------------------------------------------------------------------------------------------------------

def xlsx_bytes(report: UnitReport) -> bytes:
    """The report as an XLSX: sheets 得分, 分项 (with a bar chart of the rates), 目标, 督办."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("得分")
    ws.append([report.title])
    ws["A1"].font = Font(bold=True, size=14)
    for values in score_table(report):
        ws.append(values)
    comps = wb.create_sheet(_("分项"))
    header = component_table(report)[0] + [_("完成率(数值)")]
    comps.append(header)
    for comp, values in zip(report.row.components.values(), component_table(report)[1:], strict=True):
        comps.append(values + [round(comp.rate, 4) if comp.has_data else None])
    chart = BarChart()
    chart.type = "bar"
    chart.title = _("分项完成率")
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
    n = len(report.row.components)
    chart.add_data(Reference(comps, min_col=len(header), min_row=1, max_row=n + 1), titles_from_data=True)
    chart.set_categories(Reference(comps, min_col=1, min_row=2, max_row=n + 1))
    comps.add_chart(chart, "A9")
    tables = [(_("目标"), target_table(report)), (_("督办"), supervision_table(report))]
    if report.kpis is not None:
        tables.append((_("区县指标"), figure_table(report) + [[]] + kpi_table(report)))
    for name, table in tables:
        sheet = wb.create_sheet(name)
        for values in table:
            sheet.append(values)
    for sheet in wb.worksheets:
        sheet.column_dimensions["A"].width = 18
        sheet.column_dimensions["B"].width = 40
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


CONTENT_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def render(report: UnitReport, fmt: str) -> bytes:
    """``fmt`` "docx" or "xlsx"; ``ValueError`` otherwise."""
    if fmt == "docx":
        return docx_bytes(report)
    if fmt == "xlsx":
        return xlsx_bytes(report)
    raise ValueError(fmt)


def filename(report: UnitReport, fmt: str) -> str:
    return f"{report.title}.{fmt}"


def response(report: UnitReport, fmt: str) -> HttpResponse:
    """The report as a download (one place for the page and the API; Django writes the RFC 6266 header)."""
    out = HttpResponse(render(report, fmt), content_type=CONTENT_TYPES[fmt])
    out["Content-Disposition"] = content_disposition_header(True, filename(report, fmt))
    return out
