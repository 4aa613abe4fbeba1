"""``/api/v1/evaluation`` scorecard endpoints (router added by ``evaluation/api.py``).

GET  /scorecards?kind=district|department&period=2026Q1|2026[&format=csv|xlsx]  ranked, scoped rows
GET  /scorecards/{org_id}?period=…                                             one unit
GET  /weights                                                                   both period types
PUT  /weights/{period_type}                                                     municipal administrators only
GET  /reports/{org_id}.{fmt}?period=…                                           duty report / evaluation, docx|xlsx
Units outside the user's scope answer 404.
"""

from typing import Any

from ninja import Router, Schema

from citysafe.core.exports import table_response
from citysafe.workplans.errors import WorkplanError

from . import reports, scorecards
from .models import PeriodType

router = Router(tags=["evaluation"])


class ComponentOut(Schema):
    key: str
    label: str
    numerator: int
    denominator: int
    rate: float | None
    weight: int
    has_data: bool


class ScoreOut(Schema):
    organization_id: int
    organization: str
    kind: str
    score: float | None
    rank: int | None
    of: int
    components: list[ComponentOut]


class WeightsIn(Schema):
    """Loosely typed on purpose: ``scorecards.validate_weights``/``validate_grace`` check the values strictly
    (integers only: ``true``, ``40.0`` and ``"²"`` are a 400 with a Chinese message, not coerced)."""

    targets_met: Any = None
    reports_on_time: Any = None
    supervision_on_time: Any = None
    hazards_rectified: Any = None
    warnings_acknowledged: Any = None
    report_grace_days: Any = None


class WeightsOut(Schema):
    period_type: str
    targets_met: int
    reports_on_time: int
    supervision_on_time: int
    hazards_rectified: int
    warnings_acknowledged: int
    report_grace_days: int


def _weights_out(row) -> dict:
    return {"period_type": row.period_type, "report_grace_days": row.report_grace_days, **row.as_dict()}


@router.get("/scorecards", response=list[ScoreOut])
def list_scorecards(request, kind: str = "district", period: str | None = None, format: str | None = None):
    rows = scorecards.scorecard(request.user, kind, scorecards.parse_period(period))
    if format:
        headers, body = scorecards.export_rows(rows)
        try:
            return table_response(headers, body, f"scorecard-{kind}-{scorecards.parse_period(period).code}", format)
        except ValueError:
            raise WorkplanError("导出格式应为 csv 或 xlsx。") from None
    return [r.as_dict() for r in rows]


@router.get("/scorecards/{org_id}", response=ScoreOut)
def unit_scorecard(request, org_id: int, period: str | None = None):
    return scorecards.unit_row(request.user, org_id, scorecards.parse_period(period)).as_dict()


@router.get("/weights", response=list[WeightsOut])
def list_weights(request):
    return [_weights_out(scorecards.get_weights(p)) for p in PeriodType.values]


@router.put("/weights/{period_type}", response=WeightsOut)
def update_weights(request, period_type: str, payload: WeightsIn):
    values = payload.dict()
    grace = values.pop("report_grace_days")
    row = scorecards.update_weights(user=request.user, period_type=period_type, values=values, grace_days=grace)
    return _weights_out(row)


@router.get("/reports/{org_id}.{fmt}")
def download_report(request, org_id: int, fmt: str, period: str | None = None):
    if fmt not in reports.CONTENT_TYPES:
        raise WorkplanError("报告格式应为 docx 或 xlsx。")
    report = reports.unit_report(request.user, org_id, scorecards.parse_period(period))
    return reports.response(report, fmt)
