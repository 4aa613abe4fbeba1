"""API schemas of the work plan."""

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, FilterLookup, FilterSchema, Schema


class PlanOut(Schema):
    id: int
    title: str
    doc_number: str
    issuer: str
    issued_on: dt.date | None
    year: int
    version: int
    is_current: bool
    counts: dict

    @staticmethod
    def resolve_counts(obj):
        from .services import plan_counts

        return plan_counts(obj)


class UnitOut(Schema):
    organization_id: int
    name: str
    role: str
    via_group: str | None

    @staticmethod
    def resolve_name(obj):
        return obj.organization.name

    @staticmethod
    def resolve_via_group(obj):
        return obj.via_group.name if obj.via_group_id else None


class TaskOut(Schema):
    id: int
    code: str
    kind: str
    index: int
    number: str
    title: str
    text: str
    deadlines: list
    units: list[UnitOut]

    @staticmethod
    def resolve_units(obj):
        return list(obj.responsible_units.select_related("organization", "via_group"))


class TargetOut(Schema):
    id: int
    code: str
    task_id: int
    task_title: str
    text: str
    metric: str
    comparator: str
    value: float
    unit: str
    scope: str
    deadline: dt.date | None
    baseline: float | None
    status: str
    status_reason: str

    @staticmethod
    def resolve_task_title(obj):
        return obj.task.title


class TargetFilter(FilterSchema):
    plan: Annotated[int | None, FilterLookup(q="task__plan_id")] = None
    kind: Annotated[Literal["task", "kpi", "domain", "platform"] | None, FilterLookup(q="task__kind")] = None
    status: Literal["achieved", "on_track", "at_risk", "off_track", "overdue", "no_data"] | None = None
    unit: Annotated[int | None, FilterLookup(q="task__responsible_units__organization_id")] = None
    domain: Annotated[str | None, FilterLookup(q="task__title__icontains")] = None
    deadline_before: Annotated[dt.date | None, FilterLookup(q="deadline__lte")] = None
    deadline_after: Annotated[dt.date | None, FilterLookup(q="deadline__gte")] = None
    q: Annotated[str | None, FilterLookup(q=["metric__icontains", "text__icontains"])] = None


class ReportIn(Schema):
    reporting_unit_id: int
    as_of: dt.date
    value: float | None = None
    narrative: str = Field("", max_length=20000)


class ReportOut(Schema):
    id: int
    target_id: int
    reporting_unit_id: int
    reporting_unit: str
    as_of: dt.date
    value: float | None
    narrative: str
    created_at: dt.datetime

    @staticmethod
    def resolve_reporting_unit(obj):
        return obj.reporting_unit.name


class SupervisionIn(Schema):
    owner_id: int
    title: str = Field(..., min_length=1, max_length=300)
    deadline: dt.date
    target_id: int | None = None
    description: str = Field("", max_length=5000)
    reason: str = Field("", max_length=300)


class SupervisionOut(Schema):
    id: int
    title: str
    owner_id: int
    owner: str
    target_id: int | None
    deadline: dt.date
    status: str
    reason: str
    response: str
    closure_note: str
    is_overdue: bool

    @staticmethod
    def resolve_owner(obj):
        return obj.owner.name


class TransitionIn(Schema):
    """``accept``/``dismiss`` a proposal, ``respond`` (owner), ``reject`` a response, ``close`` (municipal)."""

    action: Literal["accept", "dismiss", "respond", "reject", "close"]
    note: str = Field("", max_length=5000)


class ScorecardRow(Schema):
    organization_id: int
    organization: str
    targets_led: int
    targets_supported: int
    status: dict
    reports: int
    supervision_open: int
    supervision_overdue: int


class ImportOut(Schema):
    plan_id: int
    unchanged: bool
    new_version: bool
    created_organizations: list[str]
    counts: dict
