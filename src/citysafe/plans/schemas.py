"""API schemas of plans, cards, drills and findings."""

import datetime as dt
from typing import Literal

from ninja import Field, Schema

PlanLevelIn = Literal["city", "district", "township", "enterprise"]
PlanStatusIn = Literal["draft", "active", "superseded"]
KindIn = Literal["accident", "natural_disaster", "other", ""]
DrillKindIn = Literal["tabletop", "functional", "full_scale"]
FindingKindIn = Literal["hazard", "plan_change"]


class PlanIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    code: str = Field(..., min_length=1, max_length=60)
    level: PlanLevelIn
    owner_id: int
    region_adcode: str | None = Field(None, max_length=20)
    incident_kind: KindIn = ""
    hazard_codes: list[str] = Field(default_factory=list, max_length=30)
    version: str = Field("1.0", max_length=30)
    effective_date: dt.date | None = None
    status: PlanStatusIn = "draft"
    summary: str = Field("", max_length=20000)


class LevelOut(Schema):
    level: int
    grades: list[str]
    activation_criteria: str


class PlanOut(Schema):
    id: int
    name: str
    code: str
    level: str
    owner: str = Field(..., alias="owner.name")
    region: str = Field(..., alias="region.name")
    incident_kind: str
    hazard_codes: list[str]
    version: str
    effective_date: dt.date | None
    status: str


class PlanDetailOut(PlanOut):
    summary: str
    response_levels: list[LevelOut]


class LevelIn(Schema):
    level: int = Field(..., ge=1, le=4)
    grades: list[str] = Field(default_factory=list, max_length=8)
    activation_criteria: str = Field("", max_length=5000)


class StepIn(Schema):
    title: str = Field(..., min_length=1, max_length=100)
    detail: str = Field("", max_length=500)
    time_limit_min: int | None = Field(None, ge=0, le=10080)
    icon: str = Field("", max_length=4)


class ContactIn(Schema):
    name: str = Field(..., min_length=1, max_length=50)
    title: str = Field("", max_length=50)
    phone: str = Field("", max_length=30, pattern=r"^[0-9+\-() ]{3,30}$|^$")
    public: bool = False  # 值班电话/公开: never masked


class CardIn(Schema):
    role: str = Field(..., min_length=1, max_length=60)
    level: int | None = Field(None, ge=1, le=4)
    order: int = Field(0, ge=0, le=1000)
    steps: list[StepIn] = Field(..., min_length=1, max_length=30)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=20)
    prohibitions: str = Field("", max_length=5000)
    reminders: str = Field("", max_length=5000)


class StepOut(Schema):
    no: int
    title: str
    detail: str
    time_limit_min: int | None
    time_limit_label: str
    icon: str


class ContactOut(Schema):
    name: str
    title: str
    phone: str
    public: bool = False


class CardOut(Schema):
    id: int
    plan: str
    plan_code: str
    role: str
    level: int | None
    level_label: str
    steps: list[StepOut]
    contacts: list[ContactOut]
    prohibitions: list[str]
    reminders: list[str]


class MatchOut(Schema):
    incident_id: int
    plan: PlanOut | None
    level: int | None
    cards: list[CardOut]
    reasons: list[str]


class RevisionOut(Schema):
    id: int
    plan_id: int
    description: str
    status: str
    done_at: dt.datetime | None


class DrillIn(Schema):
    plan_id: int
    title: str = Field(..., min_length=1, max_length=200)
    kind: DrillKindIn
    planned_date: dt.date
    organiser_id: int | None = None
    scenario: str = Field("", max_length=20000)
    participant_units: str = Field("", max_length=5000)


class FindingIn(Schema):
    description: str = Field(..., min_length=1, max_length=2000)
    kind: FindingKindIn
    region_adcode: str | None = Field(None, max_length=20, description="隐患所在区县（市级预案的演练必填）")


class HoldIn(Schema):
    held_at: dt.datetime | None = None
    participants_count: int = Field(0, ge=0, le=1_000_000)
    participant_units: str | None = Field(None, max_length=5000)
    summary: str = Field("", max_length=20000)
    findings: list[FindingIn] = Field(default_factory=list, max_length=100)


class FindingOut(Schema):
    id: int
    description: str
    kind: str
    hazard_id: int | None
    hazard_code: str | None = Field(None, alias="hazard.code")
    revision_id: int | None


class DrillOut(Schema):
    id: int
    plan_id: int
    title: str
    kind: str
    planned_date: dt.date
    held_at: dt.datetime | None
    scenario: str
    participants_count: int
    participant_units: str
    organiser: str = Field(..., alias="organiser.name")
    status: str
    findings: list[FindingOut]

    @staticmethod
    def resolve_findings(obj):
        return list(obj.findings.select_related("hazard"))
