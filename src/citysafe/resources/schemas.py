"""API shapes.  Phones are always masked (``core.privacy``); coordinates are WGS84 degrees."""

import datetime as dt

from ninja import Field, Schema

from citysafe.core.privacy import mask_phone

from .models import MAX_COUNT, MAX_STOCK, MAX_TEXT, Resource, StockItem

MAX_ID = 2**63 - 1  # database bigint


def _len(name: str, model=Resource) -> int:
    return model._meta.get_field(name).max_length or MAX_TEXT


class ResourceIn(Schema):
    kind: str
    name: str = Field(..., max_length=_len("name"))
    lon: float
    lat: float
    code: str = Field("", max_length=_len("code"))
    region_adcode: str | None = Field(None, max_length=20)
    organization_id: int | None = Field(None, ge=1, le=MAX_ID)
    address: str = Field("", max_length=_len("address"))
    status: str = "available"
    specialty: str = Field("", max_length=_len("specialty"))
    headcount: int | None = Field(None, ge=0, le=MAX_COUNT)
    equipment: str = Field("", max_length=_len("equipment"))
    quantity: int | None = Field(None, ge=0, le=MAX_COUNT)
    capacity: int | None = Field(None, ge=0, le=MAX_COUNT)
    occupancy: int | None = Field(None, ge=0, le=MAX_COUNT)
    contact_name: str = Field("", max_length=_len("contact_name"))
    contact_phone: str = Field("", max_length=_len("contact_phone"))
    notes: str = Field("", max_length=_len("notes"))


class ResourcePatch(Schema):
    name: str | None = Field(None, max_length=_len("name"))
    lon: float | None = None
    lat: float | None = None
    address: str | None = Field(None, max_length=_len("address"))
    status: str | None = None
    specialty: str | None = Field(None, max_length=_len("specialty"))
    headcount: int | None = Field(None, ge=0, le=MAX_COUNT)
    equipment: str | None = Field(None, max_length=_len("equipment"))
    quantity: int | None = Field(None, ge=0, le=MAX_COUNT)
    capacity: int | None = Field(None, ge=0, le=MAX_COUNT)
    occupancy: int | None = Field(None, ge=0, le=MAX_COUNT)
    contact_name: str | None = Field(None, max_length=_len("contact_name"))
    contact_phone: str | None = Field(None, max_length=_len("contact_phone"))
    notes: str | None = Field(None, max_length=_len("notes"))


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
    item: str = Field(..., max_length=_len("item", StockItem))
    quantity: int = Field(..., ge=0, le=MAX_STOCK)
    unit: str = Field("", max_length=_len("unit", StockItem))
    expires_on: dt.date | None = None
    minimum: int = Field(0, ge=0, le=MAX_STOCK)


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
    stock_id: int = Field(..., ge=1, le=MAX_ID)
    quantity: int = Field(..., gt=0, le=MAX_STOCK)


class DispatchIn(Schema):
    incident_id: int = Field(..., ge=1, le=MAX_ID)
    team_id: int | None = Field(None, ge=1, le=MAX_ID)
    items: list[DispatchItemIn] = Field([], max_length=200)
    note: str = Field("", max_length=MAX_TEXT)


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
