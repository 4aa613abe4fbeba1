"""API shapes.  Phones are always masked (``core.privacy``); coordinates are WGS84 degrees."""

import datetime as dt

from ninja import Field, Schema

from citysafe.core.privacy import mask_phone


class ResourceIn(Schema):
    kind: str
    name: str = Field(..., max_length=200)
    lon: float
    lat: float
    code: str = ""
    region_adcode: str | None = None
    organization_id: int | None = None
    address: str = ""
    status: str = "available"
    specialty: str = ""
    headcount: int | None = Field(None, ge=0)
    equipment: str = ""
    quantity: int | None = Field(None, ge=0)
    capacity: int | None = Field(None, ge=0)
    occupancy: int | None = Field(None, ge=0)
    contact_name: str = ""
    contact_phone: str = ""
    notes: str = ""


class ResourcePatch(Schema):
    name: str | None = None
    lon: float | None = None
    lat: float | None = None
    address: str | None = None
    status: str | None = None
    specialty: str | None = None
    headcount: int | None = Field(None, ge=0)
    equipment: str | None = None
    quantity: int | None = Field(None, ge=0)
    capacity: int | None = Field(None, ge=0)
    occupancy: int | None = Field(None, ge=0)
    contact_name: str | None = None
    contact_phone: str | None = None
    notes: str | None = None


class ResourceOut(Schema):
    id: int
    kind: str
    name: str
    code: str
    region: str | None
    organization: str | None
    lon: float
    lat: float
    address: str
    status: str
    specialty: str
    headcount: int | None
    equipment: str
    quantity: int | None
    capacity: int | None
    occupancy: int | None
    contact_name: str
    contact_phone: str

    @staticmethod
    def resolve_region(obj):
        return obj.region.name if obj.region_id else None

    @staticmethod
    def resolve_organization(obj):
        return obj.organization.name if obj.organization_id else None

    @staticmethod
    def resolve_contact_phone(obj):
        return mask_phone(obj.contact_phone)


class StockIn(Schema):
    item: str = Field(..., max_length=100)
    quantity: int = Field(..., ge=0)
    unit: str = ""
    expires_on: dt.date | None = None
    minimum: int = Field(0, ge=0)


class StockOut(Schema):
    id: int
    depot_id: int
    depot: str
    item: str
    quantity: int
    unit: str
    expires_on: dt.date | None
    minimum: int
    below_minimum: bool
    expiring: bool

    @staticmethod
    def resolve_depot(obj):
        return obj.depot.name

    @staticmethod
    def resolve_expiring(obj):
        return obj.is_expiring


class NearbyOut(Schema):
    resource: ResourceOut
    distance_km: float
    travel_min: float | None


class DispatchItemIn(Schema):
    stock_id: int
    quantity: int = Field(..., gt=0)


class DispatchIn(Schema):
    incident_id: int
    team_id: int | None = None
    items: list[DispatchItemIn] = []
    note: str = ""


class AdvanceIn(Schema):
    to: str
    returned: dict[int, int] = {}


class DispatchItemOut(Schema):
    id: int
    stock_id: int
    item: str
    unit: str
    quantity: int
    returned: int

    @staticmethod
    def resolve_item(obj):
        return obj.stock.item

    @staticmethod
    def resolve_unit(obj):
        return obj.stock.unit


class DispatchOut(Schema):
    id: int
    incident_id: int
    team_id: int | None
    team: str | None
    status: str
    note: str
    requested_at: dt.datetime
    dispatched_at: dt.datetime | None
    arrived_at: dt.datetime | None
    returned_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    items: list[DispatchItemOut]

    @staticmethod
    def resolve_team(obj):
        return obj.team.name if obj.team_id else None

    @staticmethod
    def resolve_items(obj):
        return list(obj.items.all())


class TimelineEventOut(Schema):
    at: dt.datetime
    kind: str
    label: str
    detail: str


class ImportErrorOut(Schema):
    row: int
    column: str
    message: str


class ImportOut(Schema):
    ok: bool
    resources: int
    stock: int
    errors: list[ImportErrorOut]
