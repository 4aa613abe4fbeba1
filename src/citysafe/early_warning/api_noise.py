"""``/api/v1/warnings``: silences (静默) and subscriptions (预警订阅).  Thin: rules and checks are in ``noise.py``.

Errors: unknown region / bad input → 400 with ``detail``; not allowed → 403; not visible → 404.
"""

import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from citysafe.core.models import Person, Region
from citysafe.workplans.errors import WorkplanError

from . import noise

router = Router(tags=["early-warning"])


class SilenceIn(Schema):
    reason: str = Field(..., max_length=300)
    ends_at: dt.datetime = Field(..., description="到期时间；不带时区的按北京时间")
    starts_at: dt.datetime | None = None
    region_adcode: str = Field("", description="GB/T 2260 区划代码；空 = 全市（仅市级管理员）")
    hazard_type: str = ""
    max_level: str = "blue"
    window_start: dt.time | None = Field(None, description="每日开始（北京时间；带时区偏移的换算为北京时间；不能与结束相同）")
    window_end: dt.time | None = Field(None, description="每日结束（北京时间，可跨午夜）")
    weekdays: str = Field("", max_length=7, description="1=周一 … 7=周日；空 = 每天")


class SilenceOut(Schema):
    id: int
    region_adcode: str | None = None
    hazard_type: str
    max_level: str
    reason: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    window_start: dt.time | None
    window_end: dt.time | None
    weekdays: str
    created_by: str | None = None
    created_at: dt.datetime
    active: bool

    @staticmethod
    def resolve_region_adcode(obj) -> str | None:
        return obj.region.adcode if obj.region_id else None

    @staticmethod
    def resolve_created_by(obj) -> str | None:
        return obj.created_by.get_username() if obj.created_by_id else None

    @staticmethod
    def resolve_active(obj) -> bool:
        return noise.silence_active(obj, timezone.now())


class SubscriptionIn(Schema):
    region_adcode: str = Field("", description="空 = 全市（仅市级管理员）")
    hazard_type: str = ""
    min_level: str = "blue"
    channels: list[str] = Field(default_factory=lambda: ["in_app"])
    person_id: int | None = Field(None, description="仅市级管理员可为他人订阅")


class SubscriptionOut(Schema):
    id: int
    person_id: int
    person_name: str
    region_adcode: str | None = None
    hazard_type: str
    min_level: str
    channels: list[str]
    is_active: bool

    @staticmethod
    def resolve_person_name(obj) -> str:
        return obj.person.name

    @staticmethod
    def resolve_region_adcode(obj) -> str | None:
        return obj.region.adcode if obj.region_id else None


def _region(adcode: str):
    if not adcode:
        return None
    region = Region.objects.filter(adcode=adcode).order_by("-valid_from").first()
    if region is None:
        raise WorkplanError(_("未知区划代码：%(code)s") % {"code": adcode})
    return region


@router.get("/silences", response=list[SilenceOut])
def list_silences(request, active: bool | None = None):
    items = list(noise.silences_for(request.user)[:500])
    if active is not None:
        now = timezone.now()
        items = [s for s in items if noise.silence_active(s, now) == active]
    return items


@router.post("/silences", response={201: SilenceOut})
def create_silence(request, payload: SilenceIn):
    data = payload.dict()
    silence = noise.create_silence(user=request.user, region=_region(data.pop("region_adcode")), **data)
    return Status(201, silence)


@router.post("/silences/{silence_id}/end", response=SilenceOut)
def end_silence(request, silence_id: int):
    silence = get_object_or_404(noise.silences_for(request.user), pk=silence_id)
    return noise.end_silence(user=request.user, silence=silence)


@router.get("/subscriptions", response=list[SubscriptionOut])
def list_subscriptions(request):
    return noise.subscriptions_for(request.user)[:1000]


@router.post("/subscriptions", response={201: SubscriptionOut})
def create_subscription(request, payload: SubscriptionIn):
    data = payload.dict()
    person = None
    if data["person_id"] is not None:
        person = Person.objects.filter(pk=data["person_id"]).first()
        if person is None:
            raise WorkplanError(_("未知人员"))
    subscription = noise.create_subscription(
        user=request.user, person=person, region=_region(data["region_adcode"]), hazard_type=data["hazard_type"],
        min_level=data["min_level"], channels=data["channels"])
    return Status(201, subscription)


@router.delete("/subscriptions/{subscription_id}", response={204: None})
def delete_subscription(request, subscription_id: int):
    subscription = get_object_or_404(noise.subscriptions_for(request.user), pk=subscription_id)
    noise.delete_subscription(user=request.user, subscription=subscription)
    return Status(204, None)
