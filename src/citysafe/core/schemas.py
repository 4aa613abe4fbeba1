"""API schemas of the reference data."""

from ninja import Schema


class RegionOut(Schema):
    id: int
    adcode: str
    name: str
    name_en: str
    level: str
    parent_id: int | None
    population: int | None
    valid_from: str | None = None
    valid_to: str | None = None

    @staticmethod
    def resolve_valid_from(obj):
        return obj.valid_from.isoformat() if obj.valid_from else None

    @staticmethod
    def resolve_valid_to(obj):
        return obj.valid_to.isoformat() if obj.valid_to else None


class OrganizationOut(Schema):
    id: int
    name: str
    kind: str
    region_id: int | None
    parent_id: int | None
    aliases: list[str]

    @staticmethod
    def resolve_aliases(obj):
        return [a.name for a in obj.aliases.all()]


class MeOut(Schema):
    username: str
    roles: list[str]
    organization: str | None
    region: str | None


class ErrorOut(Schema):
    detail: str
