"""CAP messages in and out of the database: publish a warning as CAP 1.2, import a received CAP message.

Every write runs in one transaction and is audited (``@audited``: history rows name the acting ``user``).  The pure
building, parsing and validation live in :mod:`citysafe.early_warning.cap`.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citysafe.core.audit import audited
from citysafe.core.models import Region

from . import cap
from .models import LEVEL_ORDER, CapMessage, EarlyWarning, WarningEvent, WarningStatus

MAX_AREA_POINTS = 100
MSG_TYPES = ("Alert", "Update", "Cancel")


def issuer_code() -> str:
    """Our 14-digit GB/T 35965.1 issuer code (``CITYSAFE_CAP_ISSUER_CODE``, default 50000000000000)."""
    return getattr(settings, "CITYSAFE_CAP_ISSUER_CODE", cap.DEFAULT_ISSUER_CODE)


def sender_name() -> str:
    return getattr(settings, "CITYSAFE_CAP_SENDER_NAME", cap.DEFAULT_SENDER_NAME)


# --- area ------------------------------------------------------------------------------------------------------

def simplified_polygon(geometry: dict | None, max_points: int = MAX_AREA_POINTS) -> dict | None:
    """A valid GeoJSON Polygon for a CAP area: the outer ring of the largest part, at most ``max_points`` points
    (closing point included), simplified with a growing tolerance.  None if there is no usable area."""
    if not geometry:
        return None
    from shapely.geometry import MultiPolygon, Polygon, shape
    from shapely.validation import make_valid

    if geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
    try:
        geom = shape(geometry)
    except Exception:  # noqa: BLE001 - malformed GeoJSON: no area rather than no message
        return None
    if not geom.is_valid:
        geom = make_valid(geom)
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, (Polygon, MultiPolygon))]
    polygons = [p for part in parts for p in getattr(part, "geoms", [part]) if not p.is_empty]
    if not polygons:
        return None
    outer = Polygon(max(polygons, key=lambda p: p.area).exterior)
    tolerance = 0.0
    candidate = outer
    while len(candidate.exterior.coords) > max_points:
        tolerance = tolerance * 2 if tolerance else 0.0005
        candidate = outer.simplify(tolerance, preserve_topology=True)
        if tolerance > 1:  # pragma: no cover - a county is far smaller than a degree
            break
    if not candidate.is_valid or candidate.is_empty or len(candidate.exterior.coords) < 4:
        candidate = outer.convex_hull.simplify(tolerance or 0.0005)
    coords = [[round(x, 6), round(y, 6)] for x, y in candidate.exterior.coords]
    return {"type": "Polygon", "coordinates": [coords]}


def _region_for_codes(codes: list[str], on: dt.date | None) -> Region | None:
    day = on or timezone.localdate()
    for code in codes:
        candidates = list(Region.objects.filter(adcode=code))
        valid = [r for r in candidates if r.is_valid_on(day)]
        if valid or candidates:
            return (valid or candidates)[0]
    return None


# --- outgoing --------------------------------------------------------------------------------------------------

def _next_identifier(code: str, when: dt.datetime) -> tuple[str, dt.datetime]:
    """The first free identifier for ``code`` at ``when`` (sequence 0..9, then the next second)."""
    when = cap.beijing(when)
    for _second in range(60):
        prefix = f"{code}_{when:%Y%m%d%H%M%S}_"
        used = set(CapMessage.objects.filter(identifier__startswith=prefix, sender=code)
                   .values_list("identifier", flat=True))
        for sequence in range(10):
            identifier = cap.make_identifier(code, when, sequence)
            if identifier not in used:
                return identifier, when
        when += dt.timedelta(seconds=1)
    raise cap.CapError(_("一分钟内已发出过多报文"))  # pragma: no cover


@audited
@transaction.atomic
def warning_to_cap(warning: EarlyWarning, msg_type: str = "Alert", *, user=None,
                   now: dt.datetime | None = None) -> CapMessage:
    """Publish ``warning`` as a CAP 1.2 ``msg_type`` message and store it (direction ``out``).

    Update and Cancel reference every earlier outgoing message of the warning (first message first); they need at
    least one.  The area is the warning's polygon, else its region's boundary simplified to one valid polygon
    (outer ring of the largest part, <= 100 points); the geocode is the region's GB/T 2260 code.  The XML is
    validated before it is stored: an invalid message raises :class:`cap.CapError` with the reasons and stores
    nothing.
    """
    if msg_type not in MSG_TYPES:
        raise cap.CapError(_("不支持的报文类型: %(type)s") % {"type": msg_type})
    if warning.level not in cap.SEVERITY_BY_LEVEL:
        raise cap.CapError(_("预警没有有效级别"))
    code = issuer_code()
    identifier, sent = _next_identifier(code, now or timezone.now())
    earlier = list(CapMessage.objects.filter(warning=warning, direction=CapMessage.Direction.OUT, is_valid=True)
                   .order_by("sent", "pk"))
    references = [cap.CapReference(m.sender, m.identifier, cap.cap_time(m.sent)) for m in earlier]
    if msg_type in ("Update", "Cancel") and not references:
        raise cap.CapError(_("该预警尚未发出过 CAP 报文,不能发送 %(type)s;请先发送 Alert") % {"type": msg_type})

    region = warning.region
    polygon = warning.polygon or simplified_polygon(region.boundary if region else None)
    try:
        cap.polygons_to_cap(polygon)
    except cap.CapError:
        polygon = simplified_polygon(polygon)  # a self-intersecting or over-long stored polygon
    area_desc = warning.area_desc or (region.name if region else "")
    issuer = warning.issuer.name if warning.issuer_id else ""
    xml = cap.build_alert(
        identifier=identifier, sender=code, sent=sent, msg_type=msg_type, references=references if msg_type != "Alert" else (),
        level=warning.level, hazard_type=warning.hazard_type,
        urgency="Past" if msg_type == "Cancel" else "Expected",
        certainty="Observed" if warning.device_id else "Likely",
        onset=warning.onset, effective=warning.raised_at, expires=warning.expires,
        sender_name=warning.sender_name or issuer or sender_name(), headline=warning.headline,
        description=warning.description or warning.headline,
        instruction=warning.instruction or cap.DEFAULT_INSTRUCTION,
        parameters={"source": warning.source_key}, area_desc=area_desc, polygon=polygon,
        geocodes=[region.adcode] if region else [])
    errors = cap.validate(xml, own_senders={code})
    if errors:
        raise cap.CapError("; ".join(errors))
    message = CapMessage.objects.create(
        direction=CapMessage.Direction.OUT, identifier=identifier, sender=code, sent=sent, msg_type=msg_type,
        references=cap.format_references(references) if msg_type != "Alert" else "", xml=xml, is_valid=True,
        warning=warning)
    if not warning.cap_identifier:
        warning.cap_identifier = identifier
        warning.save(update_fields=["cap_identifier"])
    return message


def latest_cap(warning: EarlyWarning) -> CapMessage | None:
    """The latest valid outgoing message of the warning; for a warning received as CAP, the latest valid received
    message (we re-serve the issuer's own text)."""
    valid = CapMessage.objects.filter(warning=warning, is_valid=True).order_by("-sent", "-pk")
    return (valid.filter(direction=CapMessage.Direction.OUT).first()
            or valid.filter(direction=CapMessage.Direction.IN).first())


# --- incoming --------------------------------------------------------------------------------------------------

def source_key_for(sender: str, identifier: str) -> str:
    """``cap:<sender>:<identifier>``; hashed when longer than the column (120)."""
    key = f"cap:{sender}:{identifier}"
    if len(key) <= 120:
        return key
    return "cap:sha256:" + hashlib.sha256(key.encode()).hexdigest()[:48]


def _decode(xml_bytes: bytes | str) -> str:
    if isinstance(xml_bytes, str):
        return xml_bytes
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return xml_bytes.decode(encoding)
        except UnicodeDecodeError:
            continue
    return xml_bytes.decode("utf-8", errors="replace")  # pragma: no cover - gb18030 decodes any byte string


def _store(*, xml: str, parsed: cap.ParsedAlert | None, errors: list[str], warning=None,
           is_valid: bool = True) -> CapMessage:
    return CapMessage.objects.create(
        direction=CapMessage.Direction.IN, identifier=(parsed.identifier if parsed else "")[:120],
        sender=(parsed.sender if parsed else "")[:200], sent=parsed.sent if parsed else None,
        msg_type=(parsed.msg_type if parsed else "")[:10],
        references=" ".join(str(r) for r in parsed.references) if parsed else "", xml=xml,
        is_valid=is_valid, errors="\n".join(errors), warning=warning)


def _referenced_warning(parsed: cap.ParsedAlert) -> EarlyWarning | None:
    """The warning a received Update/Cancel refers to: through the received messages it references (latest
    first), else the warning raised from the first referenced message's source key."""
    for ref in reversed(parsed.references):
        message = (CapMessage.objects.filter(direction=CapMessage.Direction.IN, sender=ref.sender,
                                             identifier=ref.identifier, warning__isnull=False)
                   .select_related("warning").order_by("-pk").first())
        if message:
            return message.warning
    keys = [source_key_for(ref.sender, ref.identifier) for ref in parsed.references]
    return EarlyWarning.objects.filter(source_key__in=keys).order_by("-pk").first()


def _warning_fields(parsed: cap.ParsedAlert) -> dict:
    fields = {
        "headline": (parsed.headline or parsed.event)[:300], "description": parsed.description,
        "instruction": parsed.instruction, "area_desc": parsed.area_desc[:300],
        "sender_name": (parsed.sender_name or parsed.sender)[:200],
    }
    if parsed.geometry:
        fields["polygon"] = parsed.geometry
    start = parsed.onset or parsed.effective
    region = _region_for_codes(parsed.adcodes, start.date() if start else None)
    if region:
        fields["region"] = region
    if start:
        fields["onset"] = start
    if parsed.expires:
        fields["expires"] = parsed.expires
    return fields


def _raise_warning(parsed: cap.ParsedAlert, *, user, now, source_key: str, note: str) -> EarlyWarning:
    fields = _warning_fields(parsed)
    expired = parsed.expires is not None and parsed.expires <= now
    warning = EarlyWarning.objects.create(
        source_key=source_key, hazard_type=parsed.hazard_type, level=parsed.level,
        status=WarningStatus.EXPIRED if expired else WarningStatus.ACTIVE, is_public=parsed.scope == "Public",
        raised_at=now, updated_at=now, ended_at=parsed.expires if expired else None,
        cap_identifier=parsed.identifier[:80], created_by=user, **fields)
    WarningEvent.objects.create(warning=warning, kind="raised", level=parsed.level, at=now, note=note[:300])
    if expired:
        WarningEvent.objects.create(warning=warning, kind="expired", previous_level=parsed.level, at=now,
                                    note=note[:300])
    else:
        _calls_on_commit(warning.pk, "raised")
    return warning


def _calls_on_commit(pk: int, kind: str) -> None:
    """叫应 for a received warning, after the import committed (same entry to the loop as engine warnings)."""
    from .services import _calls_after

    transaction.on_commit(lambda: _calls_after([(pk, kind)]))


def _update_warning(warning: EarlyWarning, parsed: cap.ParsedAlert, *, now, note: str) -> None:
    previous = warning.level
    for name, value in _warning_fields(parsed).items():
        setattr(warning, name, value)
    warning.level = parsed.level  # the hazard type stays: it is part of the one-active-warning key
    warning.updated_at = now
    warning.save()
    if LEVEL_ORDER[parsed.level] > LEVEL_ORDER[previous]:
        kind = "upgraded"
    elif LEVEL_ORDER[parsed.level] < LEVEL_ORDER[previous]:
        kind = "downgraded"
    else:
        kind = "updated"
    WarningEvent.objects.create(warning=warning, kind=kind, level=parsed.level, previous_level=previous, at=now,
                                note=note[:300])
    _calls_on_commit(warning.pk, kind)


def _cancel_warning(warning: EarlyWarning, parsed: cap.ParsedAlert, *, now, note: str) -> None:
    warning.status = WarningStatus.CANCELLED
    warning.ended_at = parsed.sent or now
    warning.updated_at = now
    warning.save(update_fields=["status", "ended_at", "updated_at"])
    WarningEvent.objects.create(warning=warning, kind="cancelled", previous_level=warning.level, at=now,
                                note=note[:300])
    _calls_on_commit(warning.pk, "cancelled")


def _duplicate(parsed: cap.ParsedAlert, xml: str) -> CapMessage | None:
    """An earlier received copy: a valid one, or an invalid one with exactly the same text."""
    if not (parsed.sender and parsed.identifier):
        return None
    earlier = CapMessage.objects.filter(direction=CapMessage.Direction.IN, sender=parsed.sender[:200],
                                        identifier=parsed.identifier[:120]).order_by("pk")
    return earlier.filter(is_valid=True).first() or earlier.filter(xml=xml).first()


@audited
@transaction.atomic
def import_cap(xml_bytes: bytes | str, *, user=None, now: dt.datetime | None = None) -> CapMessage:
    """Receive a CAP message: tolerant parse, strict validation, store, act.  Returns the stored ``CapMessage``.

    - Malformed or invalid messages are stored with ``is_valid=False`` and the reasons in ``errors``; no warning.
    - The same sender + identifier again returns the earlier message unchanged (idempotent).
    - A valid Actual Alert raises an ``EarlyWarning`` (source ``cap:<sender>:<identifier>``, public when the scope
      is Public, region from a GB/T 2260 geocode, polygon from the area) with a ``raised`` event.
    - An Update changes the warning its references lead to (``upgraded`` / ``downgraded`` / ``updated`` event); if
      that warning was never received, the Update raises it (keyed by the first reference, the original alert).
    - A Cancel cancels the referenced warning (``ended_at`` = the message's sent time).
    - Messages that are valid but cause no change (status other than Actual, Ack/Error, an unknown or already ended
      warning) are stored valid, with the reason in ``errors``.
    """
    now = now or timezone.now()
    xml = _decode(xml_bytes)
    try:
        parsed = cap.parse(xml)
    except cap.CapError as exc:
        earlier = CapMessage.objects.filter(direction=CapMessage.Direction.IN, identifier="", is_valid=False, xml=xml)
        return earlier.order_by("pk").first() or _store(xml=xml, parsed=None, errors=[str(exc)], is_valid=False)

    existing = _duplicate(parsed, xml)
    if existing is not None:
        return existing

    errors = cap.validate(cap.normalize(xml))
    if len(parsed.identifier) > 120 or len(parsed.sender) > 200:
        errors.append(_("标识或发送方过长"))
    if errors:
        return _store(xml=xml, parsed=parsed, errors=errors, is_valid=False)

    note = f"CAP {parsed.msg_type} {parsed.identifier}"
    if parsed.status != "Actual":
        return _store(xml=xml, parsed=parsed, errors=[_("状态为 %(status)s(非正式发布),不生成预警")
                                                        % {"status": parsed.status}])
    if parsed.msg_type == "Alert":
        try:
            with transaction.atomic():
                warning = _raise_warning(parsed, user=user, now=now,
                                         source_key=source_key_for(parsed.sender, parsed.identifier), note=note)
        except IntegrityError:  # a concurrent import of the same message won the race
            existing = _duplicate(parsed, xml)
            if existing is not None:
                return existing
            raise
        return _store(xml=xml, parsed=parsed, errors=[], warning=warning)

    if parsed.msg_type in ("Update", "Cancel"):
        warning = _referenced_warning(parsed)
        if warning is not None:
            warning = EarlyWarning.objects.select_for_update().get(pk=warning.pk)
        if warning is None and parsed.msg_type == "Update":
            first = parsed.references[0]
            warning = _raise_warning(parsed, user=user, now=now, source_key=source_key_for(first.sender, first.identifier),
                                     note=note + " " + _("(首发报文未收到,按新预警接收)"))
            return _store(xml=xml, parsed=parsed, errors=[], warning=warning)
        if warning is None:
            return _store(xml=xml, parsed=parsed, errors=[_("未找到被撤销的预警,已记录报文")])
        if warning.status != WarningStatus.ACTIVE:
            return _store(xml=xml, parsed=parsed, warning=warning,
                          errors=[_("预警已结束(%(status)s),未作更改") % {"status": warning.get_status_display()}])
        if parsed.msg_type == "Update":
            _update_warning(warning, parsed, now=now, note=note)
        else:
            _cancel_warning(warning, parsed, now=now, note=note)
        return _store(xml=xml, parsed=parsed, errors=[], warning=warning)

    return _store(xml=xml, parsed=parsed, errors=[_("%(type)s 报文不生成预警") % {"type": parsed.msg_type}])
