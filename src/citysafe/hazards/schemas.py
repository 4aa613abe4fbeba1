"""API schemas of hazards and risk points."""

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, FilterLookup, FilterSchema, Schema

Source = Literal["self_inspection", "government_inspection", "tip_off", "sensor", "grid_patrol"]
Grade = Literal["general", "major"]
Action = Literal["route", "assign", "start", "submit", "accept", "reject"]
RiskPointKindName = Literal["landslide", "geological", "ponding", "flash_flood_gully", "gas_pipeline",
                            "major_hazard_installation", "scenic_spot", "construction_site", "mine"]


class HazardIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    source: Source
    description: str = Field("", max_length=20000)
    grade: Grade = "general"
    basis: str = Field("", max_length=300)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    address: str = Field("", max_length=300)
    region_adcode: str | None = None
    industry_code: str | None = None
    gbt4754_code: str = Field("", max_length=10)
    enterprise_id: int | None = None
    site: str = Field("", max_length=200)
    found_by: str = Field("", max_length=100)
    deadline: dt.date | None = None


class HazardPatch(Schema):
    title: str | None = Field(None, max_length=200)
    description: str | None = None
    address: str | None = Field(None, max_length=300)
    site: str | None = Field(None, max_length=200)
    basis: str | None = Field(None, max_length=300)


class HazardOut(Schema):
    id: int
    code: str
    title: str
    description: str
    lon: float | None
    lat: float | None
    address: str
    region: str | None
    industry: str | None
    source: str
    grade: str
    basis: str
    status: str
    found_at: dt.datetime
    deadline: dt.date | None
    is_overdue: bool
    responsible_unit: str | None
    supervising_department: str | None
    supervision_id: int | None
    triage_reason: str

    @staticmethod
    def resolve_region(obj):
        return obj.region.adcode if obj.region_id else None

    @staticmethod
    def resolve_industry(obj):
        return obj.industry.code if obj.industry_id else None

    @staticmethod
    def resolve_responsible_unit(obj):
        return obj.responsible_unit.name if obj.responsible_unit_id else None

    @staticmethod
    def resolve_supervising_department(obj):
        return obj.supervising_department.name if obj.supervising_department_id else None


class HazardFilterSchema(FilterSchema):
    region: Annotated[str | None, FilterLookup(q="region__adcode")] = None
    industry: Annotated[str | None, FilterLookup(q="industry__code")] = None
    grade: Grade | None = None
    status: Literal["triage", "reported", "assigned", "rectifying", "submitted", "accepted"] | None = None
    source: Source | None = None
    q: Annotated[str | None, FilterLookup(q=["title__icontains", "code__icontains"])] = None


class TransitionIn(Schema):
    """``route`` (triage), ``assign``, ``start``, ``submit``, ``accept`` or ``reject`` (see the workflow)."""

    action: Action
    comment: str = Field("", max_length=5000)
    deadline: dt.date | None = None
    responsible_unit_id: int | None = None
    region_adcode: str | None = None
    industry_code: str | None = None
    measures: str = Field("", max_length=20000)


class ExtensionIn(Schema):
    new_deadline: dt.date
    reason: str = Field(..., min_length=1, max_length=2000)


class TransitionOut(Schema):
    action: str
    from_status: str
    to_status: str
    comment: str
    by: str | None
    at: dt.datetime

    @staticmethod
    def resolve_by(obj):
        return obj.by.get_username() if obj.by_id else None


class RiskPointIn(Schema):
    code: str = Field(..., min_length=1, max_length=40)
    name: str = Field(..., min_length=1, max_length=200)
    kind: RiskPointKindName
    lon: float = Field(..., ge=-180, le=180)
    lat: float = Field(..., ge=-90, le=90)
    industry_code: str | None = None
    township: str = Field("", max_length=100)
    village: str = Field("", max_length=100)
    risk_grade: Literal["", "red", "orange", "yellow", "blue"] = ""
    threatened_people: int = Field(0, ge=0)
    threatened_households: int = Field(0, ge=0)


class RiskPointPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    township: str | None = Field(None, max_length=100)
    village: str | None = Field(None, max_length=100)
    risk_grade: Literal["", "red", "orange", "yellow", "blue"] | None = None
    threatened_people: int | None = Field(None, ge=0)
    threatened_households: int | None = Field(None, ge=0)


class AssignmentOut(Schema):
    level: str
    person: str
    phone: str
    deputy: str | None
    deputy_phone: str | None

    @staticmethod
    def resolve_person(obj):
        return obj.person.name

    @staticmethod
    def resolve_phone(obj):
        from citysafe.core.privacy import mask_phone

        return mask_phone(obj.person.phone)

    @staticmethod
    def resolve_deputy(obj):
        return obj.deputy.name if obj.deputy_id else None

    @staticmethod
    def resolve_deputy_phone(obj):
        from citysafe.core.privacy import mask_phone

        return mask_phone(obj.deputy.phone) if obj.deputy_id else None


class RiskPointOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    lon: float
    lat: float
    region: str | None
    township: str
    village: str
    risk_grade: str
    threatened_people: int
    threatened_households: int
    assignments: list[AssignmentOut]

    @staticmethod
    def resolve_region(obj):
        return obj.region.adcode if obj.region_id else None

    @staticmethod
    def resolve_assignments(obj):
        return list(obj.assignments.select_related("person", "deputy").order_by("level"))


class IndustryOut(Schema):
    code: str
    name: str
    gbt4754_codes: str
    supervising_department: str | None

    @staticmethod
    def resolve_supervising_department(obj):
        return obj.supervising_department.name if obj.supervising_department_id else None
