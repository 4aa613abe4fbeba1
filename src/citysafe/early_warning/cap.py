"""CAP 1.2 messages (OASIS) with GB/T 35965.1-2018 identifiers: build, validate, parse.  Pure: no ORM.

The mapping follows ``reference/standards-warnings.md`` §8:

- ``identifier`` = ``ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N`` (31 characters; 14-digit issuer code = 6-digit GB/T 2260
  code + 3-digit GB/T 4657 organisation code + 3-digit internal code + 2-digit extension; entry time in Beijing
  time; N = 0..9 for the same issuer and second), see :func:`make_identifier`;
- ``sender`` is the 14-digit issuer code, ``senderName`` the issuing authority;
- all times carry ``+08:00`` and no fractional seconds (the XSD pattern
  ``\\d\\d\\d\\d-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d[-,+]\\d\\d:\\d\\d``);
- level -> severity: blue Minor, yellow Moderate, orange Severe, red Extreme (§8.2 marks the code values
  UNCONFIRMED; red -> Extreme is inferred), plus a ``level`` parameter carrying the colour itself;
- meteorological hazards carry the CMA signal type code as ``eventCode`` (valueName ``CMA``, §0);
- the area carries ``areaDesc``, polygons ("lat,lon lat,lon ...", closed) converted from GeoJSON (lon, lat), and a
  ``geocode`` with valueName ``GB/T 2260``;
- Update and Cancel carry ``references`` ("sender,identifier,sent" entries separated by spaces), linking to the
  first message (DB45/T 2427 §4.4).

:func:`validate` is strict: the vendored XSD (``schema/CAP-v1.2.xsd``, no network) plus the rules the XSD cannot
express.  :func:`parse` is tolerant (no namespace, CAP 1.0/1.1 namespaces, BOM, surrounding whitespace, several
``info`` blocks) and :func:`normalize` rewrites such input into strict CAP 1.2 so it can be validated.

Parsing is safe for untrusted input: no DTDs, no entity expansion, no network access, no huge trees.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from django.core.exceptions import ImproperlyConfigured
from lxml import etree

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
OLDER_CAP_NS = ("urn:oasis:names:tc:emergency:cap:1.1", "urn:oasis:names:tc:emergency:cap:1.0",
                "http://www.incident.com/cap/1.0")
SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "CAP-v1.2.xsd"
BEIJING = dt.timezone(dt.timedelta(hours=8), "UTC+08:00")  # Beijing time (no DST since 1991)

DEFAULT_ISSUER_CODE = "50000000000000"  # 500000 Chongqing + 000 + 000 + 00 (§8.2 test vector)
DEFAULT_SENDER_NAME = "城市安全风险监测预警平台"
GEOCODE_NAME = "GB/T 2260"
CMA_CODE_NAME = "CMA"
LEVEL_PARAMETER = "level"
MAX_XML_BYTES = 2 * 1024 * 1024

IDENTIFIER_RE = re.compile(r"^(\d{14})_(\d{14})_(\d)$")
ISSUER_CODE_RE = re.compile(r"^\d{14}$")

LEVELS = ("blue", "yellow", "orange", "red")
SEVERITY_BY_LEVEL = {"blue": "Minor", "yellow": "Moderate", "orange": "Severe", "red": "Extreme"}
LEVEL_BY_SEVERITY = {v: k for k, v in SEVERITY_BY_LEVEL.items()}
LEVEL_NAMES_ZH = {"blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色"}
LEVEL_ORDER = {"none": 0, "blue": 1, "yellow": 2, "orange": 3, "red": 4}

# Hazard types: the values of ``early_warning.models.HazardType`` (kept here so this module needs no ORM; a test
# checks the two agree).  Chinese names are the event names used in CAP ``info/event``.
HAZARD_NAMES_ZH = {
    "rainstorm": "暴雨", "flood": "洪水", "flash_flood": "山洪", "landslide": "地质灾害", "gas_leak": "燃气泄漏",
    "toxic_gas": "有毒气体", "waterlogging": "城市内涝", "high_temperature": "高温", "gale": "大风",
    "earthquake": "地震", "forest_fire": "森林火险", "elevator": "电梯困人", "other": "其他",
}
# CMA Order 16 signal type codes (§0) for the hazard types that are meteorological signals.
CMA_CODE_BY_HAZARD = {"rainstorm": "02", "gale": "05", "high_temperature": "07", "forest_fire": "15"}
HAZARD_BY_CMA_CODE = {"02": "rainstorm", "05": "gale", "07": "high_temperature", "15": "forest_fire",
                      "16": "gale"}  # 16 雷雨大风 (thunderstorm gale) is a gale for our purposes
CMA_LEVEL_CODES = {"01": "blue", "02": "yellow", "03": "orange", "04": "red"}
# CAP category (CAP 1.2 §3.2.2: Met includes floods; Geo includes landslides).
CATEGORY_BY_HAZARD = {
    "rainstorm": "Met", "flood": "Met", "flash_flood": "Met", "waterlogging": "Met", "high_temperature": "Met",
    "gale": "Met", "landslide": "Geo", "earthquake": "Geo", "gas_leak": "Safety", "toxic_gas": "Safety",
    "forest_fire": "Fire", "elevator": "Safety", "other": "Other",
}
# Words in event / headline -> hazard type; the first match wins, so the more specific words come first.
HAZARD_WORDS = (
    ("雷雨大风", "gale"), ("山洪", "flash_flood"), ("内涝", "waterlogging"), ("渍涝", "waterlogging"),
    ("积水", "waterlogging"), ("地质灾害", "landslide"), ("滑坡", "landslide"), ("泥石流", "landslide"),
    ("崩塌", "landslide"), ("森林火", "forest_fire"), ("火险", "forest_fire"), ("燃气", "gas_leak"),
    ("有毒", "toxic_gas"), ("中毒", "toxic_gas"), ("地震", "earthquake"), ("电梯", "elevator"),
    ("暴雨", "rainstorm"), ("高温", "high_temperature"), ("大风", "gale"), ("洪水", "flood"), ("洪涝", "flood"),
    ("flash flood", "flash_flood"), ("landslide", "landslide"), ("rainstorm", "rainstorm"),
    ("heavy rain", "rainstorm"), ("high temperature", "high_temperature"), ("heat", "high_temperature"),
    ("gale", "gale"), ("wind", "gale"), ("flood", "flood"), ("earthquake", "earthquake"),
)
LEVEL_WORDS = (("红色", "red"), ("橙色", "orange"), ("黄色", "yellow"), ("蓝色", "blue"),
               ("Ⅰ级", "red"), ("Ⅱ级", "orange"), ("Ⅲ级", "yellow"), ("Ⅳ级", "blue"),
               ("IV级", "blue"), ("III级", "yellow"), ("II级", "orange"), ("I级", "red"))
LEVEL_VALUES = {"blue": "blue", "yellow": "yellow", "orange": "orange", "red": "red", "蓝色": "blue",
                "黄色": "yellow", "橙色": "orange", "红色": "red", "蓝": "blue", "黄": "yellow", "橙": "orange",
                "红": "red", "iv": "blue", "iii": "yellow", "ii": "orange", "i": "red", "4": "blue", "3": "yellow",
                "2": "orange", "1": "red", "Ⅳ": "blue", "Ⅲ": "yellow", "Ⅱ": "orange", "Ⅰ": "red"}
LEVEL_PARAMETER_NAMES = {"level", "colour", "color", "预警级别", "级别", "预警等级", "signallevel", "alertlevel"}
GEOCODE_NAMES = {"GBT2260", "GB2260", "ADCODE", "行政区划代码"}

DEFAULT_INSTRUCTION = "请有关单位和人员密切关注预警信息,按照应急预案做好防范应对工作。"


def _(text: str) -> str:
    """gettext when Django is configured (messages are UI text); the text itself otherwise (pure use)."""
    try:
        from django.conf import settings

        if settings.configured:
            from django.utils.translation import gettext

            return gettext(text)
    except (ImportError, ImproperlyConfigured):  # used without Django (replay): keep the Chinese text
        return text
    return text


class CapError(ValueError):
    """A message cannot be built or read."""


class CapReference(NamedTuple):
    sender: str
    identifier: str
    sent: str

    def __str__(self) -> str:
        return f"{self.sender},{self.identifier},{self.sent}"


# --- identifiers and times -------------------------------------------------------------------------------------

def beijing(when: dt.datetime) -> dt.datetime:
    """``when`` in Beijing time, whole seconds; a naive datetime is taken to be Beijing time already."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=BEIJING)
    return when.astimezone(BEIJING).replace(microsecond=0)


def cap_time(when: dt.datetime) -> str:
    """CAP date-time: ``2026-07-01T12:00:00+08:00`` (no fractional seconds, as the XSD pattern requires)."""
    return beijing(when).isoformat()


def parse_time(text: str | None) -> dt.datetime | None:
    """A CAP (ISO 8601) or GB/T 35965.1 extended ("YYYY-MM-DD hh:mm:ss+08:00") / basic time, aware; None if bad."""
    if not text:
        return None
    text = text.strip()
    if re.fullmatch(r"\d{14}", text):
        try:
            return dt.datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=BEIJING)
        except ValueError:
            return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        value = dt.datetime.fromisoformat(text)
        value = value if value.tzinfo else value.replace(tzinfo=BEIJING)
        value.astimezone(dt.UTC)  # 9999-12-31T23:59:59-23:59 parses but overflows every later comparison
    except (ValueError, OverflowError):
        return None
    return value


def is_issuer_code(code: str) -> bool:
    return bool(ISSUER_CODE_RE.fullmatch(code or ""))


def make_identifier(issuer_code: str, when: dt.datetime, sequence: int) -> str:
    """GB/T 35965.1 Appendix A identifier ``ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N`` (31 characters).

    ``issuer_code`` is 14 digits (6-digit GB/T 2260 code, 3-digit GB/T 4657 organisation code, 3-digit internal
    code, 2-digit extension); ``when`` is converted to Beijing time (naive = Beijing time); ``sequence`` is 0..9.
    """
    if not is_issuer_code(issuer_code):
        raise CapError(_("发布单位编码必须是 14 位数字(6 位行政区划代码 + 3 + 3 + 2): %(code)r") % {"code": issuer_code})
    if isinstance(sequence, bool) or not isinstance(sequence, int) or not 0 <= sequence <= 9:
        raise CapError(_("同一秒内的序号必须是 0 到 9: %(n)r") % {"n": sequence})
    identifier = f"{issuer_code}_{beijing(when):%Y%m%d%H%M%S}_{sequence}"
    if len(identifier) != 31:  # pragma: no cover - years outside 1000..9999 only
        raise CapError(_("标识长度必须是 31 个字符: %(id)s") % {"id": identifier})
    return identifier


def is_valid_identifier(identifier: str) -> bool:
    """True for a 31-character GB/T 35965.1 identifier with a real date-time."""
    match = IDENTIFIER_RE.fullmatch(identifier or "")
    if not match or len(identifier) != 31:
        return False
    try:
        dt.datetime.strptime(match.group(2), "%Y%m%d%H%M%S")
    except ValueError:
        return False
    return True


# --- geometry --------------------------------------------------------------------------------------------------

def _num(value: float) -> str:
    text = f"{float(value):.6f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _rings(geometry: Any) -> list[list]:
    """Outer rings (lists of [lon, lat]) of a GeoJSON Polygon / MultiPolygon / Feature, or a bare ring."""
    if geometry is None:
        return []
    if isinstance(geometry, Mapping):
        kind = geometry.get("type")
        if kind == "Feature":
            return _rings(geometry.get("geometry"))
        if kind == "FeatureCollection":
            return [ring for feature in geometry.get("features") or [] for ring in _rings(feature)]
        if kind == "Polygon":
            return [geometry["coordinates"][0]] if geometry.get("coordinates") else []
        if kind == "MultiPolygon":
            return [polygon[0] for polygon in geometry.get("coordinates") or [] if polygon]
        if kind == "GeometryCollection":
            return [ring for part in geometry.get("geometries") or [] for ring in _rings(part)]
        raise CapError(_("不支持的范围几何类型: %(type)s") % {"type": kind})
    if isinstance(geometry, (list, tuple)) and geometry and isinstance(geometry[0], (list, tuple)):
        return [list(geometry)]
    raise CapError(_("无法识别的范围几何"))


def ring_to_cap(ring: Iterable) -> str:
    """A ring of (lon, lat) as a closed CAP polygon "lat,lon lat,lon ..." (first == last, at least 4 pairs)."""
    points = []
    for point in ring:
        lon, lat = float(point[0]), float(point[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise CapError(_("坐标超出范围: %(lon)s, %(lat)s") % {"lon": lon, "lat": lat})
        pair = f"{_num(lat)},{_num(lon)}"
        if not points or points[-1] != pair:
            points.append(pair)
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    if len(set(points)) < 3:
        raise CapError(_("多边形至少需要 3 个不同的顶点"))
    points.append(points[0])
    return " ".join(points)


def polygons_to_cap(geometry: Any) -> list[str]:
    """CAP polygon strings for the outer rings of a GeoJSON geometry (CAP polygons have no holes)."""
    return [ring_to_cap(ring) for ring in _rings(geometry)]


def cap_polygon_pairs(text: str) -> list[tuple[float, float]]:
    """(lat, lon) pairs of a CAP polygon string; raises CapError on a malformed pair."""
    pairs = []
    for token in (text or "").split():
        parts = token.split(",")
        if len(parts) != 2:
            raise CapError(_("多边形坐标格式错误: %(pair)s") % {"pair": token})
        try:
            pairs.append((float(parts[0]), float(parts[1])))
        except ValueError:
            raise CapError(_("多边形坐标格式错误: %(pair)s") % {"pair": token}) from None
    return pairs


def cap_polygon_to_geojson(text: str) -> dict:
    """A CAP polygon as a GeoJSON Polygon (lon, lat); closes it if the sender did not."""
    pairs = cap_polygon_pairs(text)
    ring = [[lon, lat] for lat, lon in pairs]
    if ring and ring[0] != ring[-1]:
        ring.append(list(ring[0]))
    return {"type": "Polygon", "coordinates": [ring]}


def polygon_errors(text: str) -> list[str]:
    """Rules of CAP 1.2 §3.2.4 the XSD leaves out: >= 4 pairs, first == last, coordinates in range."""
    try:
        pairs = cap_polygon_pairs(text)
    except CapError as exc:
        return [str(exc)]
    errors = []
    if len(pairs) < 4:
        errors.append(_("多边形至少需要 4 对坐标(首尾相同),实际 %(n)s 对") % {"n": len(pairs)})
    if pairs and pairs[0] != pairs[-1]:
        errors.append(_("多边形未闭合: 第一对坐标与最后一对不同"))
    bad = [f"{lat},{lon}" for lat, lon in pairs if not (-90 <= lat <= 90 and -180 <= lon <= 180)]
    if bad:
        errors.append(_("多边形坐标超出范围: %(pairs)s") % {"pairs": " ".join(bad[:3])})
    return errors


# --- building --------------------------------------------------------------------------------------------------

def _sub(parent, name: str, text: Any = None):
    element = etree.SubElement(parent, f"{{{CAP_NS}}}{name}")
    if text is not None:
        element.text = str(text)
    return element


def _pair(parent, name: str, value_name: str, value: Any) -> None:
    element = _sub(parent, name)
    _sub(element, "valueName", value_name)
    _sub(element, "value", value)


def format_references(references: Iterable) -> str:
    """CAP ``references``: "sender,identifier,sent" entries separated by spaces.

    Each item is a :class:`CapReference`, a (sender, identifier, sent) tuple (sent a datetime or CAP time text) or
    an already formatted string.
    """
    entries = []
    for item in references or ():
        if isinstance(item, str):
            entry = item.strip()
        else:
            sender, identifier, sent = item
            sent_text = cap_time(sent) if isinstance(sent, dt.datetime) else str(sent)
            entry = f"{sender},{identifier},{sent_text}"
        if any(ch.isspace() for ch in entry) or entry.count(",") != 2:
            raise CapError(_("引用格式应为 sender,identifier,sent 且不含空格: %(ref)s") % {"ref": entry})
        entries.append(entry)
    return " ".join(entries)


def build_alert(*, identifier: str, sender: str, sent: dt.datetime, msg_type: str = "Alert",
                status: str = "Actual", scope: str = "Public", references: Iterable = (), note: str = "",
                level: str, hazard_type: str | None = None, event: str | None = None,
                event_code: str | None = None, category: str | None = None, urgency: str = "Expected",
                certainty: str = "Likely", language: str = "zh-CN", effective: dt.datetime | None = None,
                onset: dt.datetime | None = None, expires: dt.datetime | None = None, sender_name: str = "",
                headline: str = "", description: str = "", instruction: str = "", web: str = "",
                contact: str = "", parameters: Mapping[str, Any] | None = None, area_desc: str = "",
                polygon: Any = None, geocodes: Iterable[str] = ()) -> str:
    """A CAP 1.2 alert with one ``info`` block, as UTF-8 XML text (with declaration).

    ``level`` is blue/yellow/orange/red (severity and a ``level`` parameter); ``hazard_type`` a HazardType value,
    giving the default Chinese ``event``, CMA ``eventCode`` and ``category``; ``polygon`` a GeoJSON geometry in
    (lon, lat) or a bare ring; ``geocodes`` GB/T 2260 codes.  The result is not validated: call :func:`validate`.
    """
    if level not in SEVERITY_BY_LEVEL:
        raise CapError(_("未知的预警级别: %(level)r") % {"level": level})
    hazard = hazard_type or "other"
    event = event or HAZARD_NAMES_ZH.get(hazard, HAZARD_NAMES_ZH["other"])
    if event_code is None:
        event_code = CMA_CODE_BY_HAZARD.get(hazard)
    category = category or CATEGORY_BY_HAZARD.get(hazard, "Other")

    alert = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    _sub(alert, "identifier", identifier)
    _sub(alert, "sender", sender)
    _sub(alert, "sent", cap_time(sent))
    _sub(alert, "status", status)
    _sub(alert, "msgType", msg_type)
    _sub(alert, "scope", scope)
    if note:
        _sub(alert, "note", note)
    refs = format_references(references)
    if refs:
        _sub(alert, "references", refs)

    info = _sub(alert, "info")
    _sub(info, "language", language)
    _sub(info, "category", category)
    _sub(info, "event", event)
    _sub(info, "urgency", urgency)
    _sub(info, "severity", SEVERITY_BY_LEVEL[level])
    _sub(info, "certainty", certainty)
    if event_code:
        _pair(info, "eventCode", CMA_CODE_NAME, event_code)
    for name, value in (("effective", effective), ("onset", onset), ("expires", expires)):
        if value is not None:
            _sub(info, name, cap_time(value))
    for name, value in (("senderName", sender_name), ("headline", headline), ("description", description),
                        ("instruction", instruction), ("web", web), ("contact", contact)):
        if value:
            _sub(info, name, value)
    _pair(info, "parameter", LEVEL_PARAMETER, level)
    for name, value in (parameters or {}).items():
        if value not in (None, ""):
            _pair(info, "parameter", name, value)
    polygons = polygons_to_cap(polygon)
    codes = [code for code in geocodes or () if code]
    if area_desc or polygons or codes:
        area = _sub(info, "area")
        _sub(area, "areaDesc", area_desc or event)
        for text in polygons:
            _sub(area, "polygon", text)
        for code in codes:
            _pair(area, "geocode", GEOCODE_NAME, code)
    return etree.tostring(alert, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode("utf-8")


# --- reading ---------------------------------------------------------------------------------------------------

def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


def _to_bytes(xml: str | bytes) -> bytes:
    """UTF-8 (or declared-encoding) bytes without BOM and without whitespace before the declaration."""
    if isinstance(xml, str):
        text = xml.lstrip("\ufeff \t\r\n")
        text = re.sub(r"^(<\?xml[^>]*?)\s+encoding\s*=\s*(['\"])[^'\"]*\2", r"\1", text, count=1)
        return text.encode("utf-8")
    data = bytes(xml)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.lstrip(b" \t\r\n")


def load(xml: str | bytes) -> etree._Element:
    """The root element of ``xml`` parsed safely; CapError on malformed XML or a DOCTYPE."""
    data = _to_bytes(xml)
    if not data:
        raise CapError(_("报文为空"))
    if len(data) > MAX_XML_BYTES:
        raise CapError(_("报文过大(上限 %(n)s 字节)") % {"n": MAX_XML_BYTES})
    try:
        root = etree.fromstring(data, parser=_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise CapError(_("XML 无法解析: %(error)s") % {"error": exc}) from None
    if root.getroottree().docinfo.doctype:
        raise CapError(_("不接受带 DOCTYPE 的报文"))
    return root


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def normalize(xml: str | bytes) -> bytes:
    """Strict CAP 1.2 bytes from tolerant input: elements without a namespace or in a CAP 1.0/1.1 namespace are
    moved to the CAP 1.2 namespace (XML signatures are kept), and leaf text is stripped of surrounding whitespace.
    Raises CapError if the input is not XML."""
    root = load(xml)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        qname = etree.QName(element)
        if qname.namespace in (None, *OLDER_CAP_NS):
            element.tag = f"{{{CAP_NS}}}{qname.localname}"
        if len(element) == 0 and element.text is not None:
            element.text = element.text.strip()
        elif len(element):
            element.text = None if not (element.text or "").strip() else element.text
            for child in element:
                if child.tail is not None and not child.tail.strip():
                    child.tail = None
    etree.cleanup_namespaces(root, top_nsmap={None: CAP_NS})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _children(element, name: str) -> list:
    return [child for child in element if _local(child.tag) == name]


def _text(element, name: str) -> str:
    found = _children(element, name) if element is not None else []
    return (found[0].text or "").strip() if found else ""


def _pairs(element, name: str) -> list[tuple[str, str]]:
    return [(_text(item, "valueName"), _text(item, "value")) for item in _children(element, name)]


def _key(name: str) -> str:
    return re.sub(r"[\s/_\-.]", "", name or "").upper()


def _level_value(value: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    found = LEVEL_VALUES.get(value.lower()) or LEVEL_VALUES.get(value)
    if found:
        return found
    value = value.removesuffix("级").removesuffix("预警")
    found = LEVEL_VALUES.get(value.lower()) or LEVEL_VALUES.get(value)
    return found or _level_from_words(value)


def _level_from_words(text: str) -> str | None:
    for word, level in LEVEL_WORDS:
        if word in (text or ""):
            return level
    return None


def guess_hazard_type(event: str = "", event_codes: Iterable[tuple[str, str]] = (), headline: str = "") -> str:
    """HazardType value from a CMA ``eventCode`` (2-digit type or 4-digit type+level), else from words in the
    event or headline (暴雨 -> rainstorm, 大风 -> gale, 高温 -> high_temperature, 地质灾害 -> landslide,
    洪水 -> flood ...); ``other`` when nothing matches."""
    for name, value in event_codes:
        if _key(name) in {"CMA", "CMASIGNAL", "CMACODE"} and value and value.strip().isdigit():
            code = value.strip()[:2] if len(value.strip()) == 4 else value.strip().zfill(2)
            if code in HAZARD_BY_CMA_CODE:
                return HAZARD_BY_CMA_CODE[code]
    for text in (event, headline):
        lowered = (text or "").lower()
        for word, hazard in HAZARD_WORDS:
            if word in lowered:
                return hazard
    return "other"


def level_from_info(severity: str = "", parameters: Iterable[tuple[str, str]] = (),
                    event_codes: Iterable[tuple[str, str]] = (), texts: Iterable[str] = ()) -> str | None:
    """blue/yellow/orange/red: an explicit colour parameter first (it names the colour itself), then the CAP
    severity (unless Unknown), then a 4-digit CMA event code's level, then colour words in event/headline."""
    for name, value in parameters:
        if _key(name).lower() in LEVEL_PARAMETER_NAMES or name.strip() in LEVEL_PARAMETER_NAMES:
            level = _level_value(value)
            if level:
                return level
    if severity in LEVEL_BY_SEVERITY:
        return LEVEL_BY_SEVERITY[severity]
    for name, value in event_codes:
        value = (value or "").strip()
        if _key(name) == "CMA" and len(value) == 4 and value[2:] in CMA_LEVEL_CODES:
            return CMA_LEVEL_CODES[value[2:]]
    for text in texts:
        level = _level_from_words(text)
        if level:
            return level
    return None


@dataclass
class ParsedAlert:
    """The fields of a CAP alert the platform uses, from the preferred (zh-CN) ``info`` block."""

    identifier: str = ""
    sender: str = ""
    sent: dt.datetime | None = None
    sent_text: str = ""
    status: str = ""
    msg_type: str = ""
    scope: str = ""
    note: str = ""
    references: list[CapReference] = field(default_factory=list)
    namespace: str | None = None
    info_count: int = 0
    language: str = ""
    categories: list[str] = field(default_factory=list)
    event: str = ""
    event_codes: list[tuple[str, str]] = field(default_factory=list)
    hazard_type: str = "other"
    urgency: str = ""
    severity: str = ""
    certainty: str = ""
    level: str | None = None
    effective: dt.datetime | None = None
    onset: dt.datetime | None = None
    expires: dt.datetime | None = None
    sender_name: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""
    parameters: list[tuple[str, str]] = field(default_factory=list)
    area_count: int = 0
    area_desc: str = ""
    polygons: list[dict] = field(default_factory=list)
    polygon_texts: list[str] = field(default_factory=list)
    circles: list[str] = field(default_factory=list)
    geocodes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def adcodes(self) -> list[str]:
        """Geocode values named GB/T 2260 (or GB2260, ADCODE, 行政区划代码) that are administrative codes."""
        return [value for name, value in self.geocodes if _key(name) in GEOCODE_NAMES and re.fullmatch(r"\d{6,12}", value)]

    @property
    def geometry(self) -> dict | None:
        """One GeoJSON geometry for all polygons: a Polygon, a MultiPolygon, or None."""
        if not self.polygons:
            return None
        if len(self.polygons) == 1:
            return self.polygons[0]
        return {"type": "MultiPolygon", "coordinates": [p["coordinates"] for p in self.polygons]}


def _preferred_info(infos: list):
    def language(info) -> str:
        return _text(info, "language").lower().replace("_", "-")

    for wanted in (lambda lang: lang == "zh-cn", lambda lang: lang in {"zh", "zh-hans", "zh-hans-cn"},
                   lambda lang: lang.startswith("zh")):
        for info in infos:
            if wanted(language(info)):
                return info
    return infos[0] if infos else None


def parse_references(text: str) -> list[CapReference]:
    """Entries "sender,identifier,sent" separated by whitespace; a malformed entry keeps what it has."""
    refs = []
    for entry in (text or "").split():
        parts = entry.split(",")
        if len(parts) >= 3:
            refs.append(CapReference(parts[0], parts[1], ",".join(parts[2:])))
        else:
            refs.append(CapReference(*(parts + ["", ""])[:3]))
    return refs


def parse(xml: str | bytes) -> ParsedAlert:
    """Read an alert tolerantly (namespace-less, CAP 1.0/1.1, BOM, whitespace, several info blocks -> zh-CN).

    Raises CapError only when the input is not XML or its root is not ``alert``.
    """
    root = load(xml)
    if _local(root.tag) != "alert":
        raise CapError(_("根元素不是 alert: %(tag)s") % {"tag": _local(root.tag)})
    infos = _children(root, "info")
    info = _preferred_info(infos)
    sent_text = _text(root, "sent")
    result = ParsedAlert(
        identifier=_text(root, "identifier"), sender=_text(root, "sender"), sent=parse_time(sent_text),
        sent_text=sent_text, status=_text(root, "status"), msg_type=_text(root, "msgType"),
        scope=_text(root, "scope"), note=_text(root, "note"), references=parse_references(_text(root, "references")),
        namespace=etree.QName(root).namespace, info_count=len(infos))
    if info is None:
        return result
    result.language = _text(info, "language")
    result.categories = [(c.text or "").strip() for c in _children(info, "category")]
    result.event = _text(info, "event")
    result.event_codes = _pairs(info, "eventCode")
    result.urgency = _text(info, "urgency")
    result.severity = _text(info, "severity")
    result.certainty = _text(info, "certainty")
    for name in ("effective", "onset", "expires"):
        setattr(result, name, parse_time(_text(info, name)))
    result.sender_name = _text(info, "senderName")
    result.headline = _text(info, "headline")
    result.description = _text(info, "description")
    result.instruction = _text(info, "instruction")
    result.parameters = _pairs(info, "parameter")
    result.hazard_type = guess_hazard_type(result.event, result.event_codes, result.headline)
    result.level = level_from_info(result.severity, result.parameters, result.event_codes,
                                   (result.event, result.headline))
    areas = _children(info, "area")
    result.area_count = len(areas)
    result.area_desc = "、".join(d for d in (_text(area, "areaDesc") for area in areas) if d)
    for area in areas:
        for polygon in _children(area, "polygon"):
            text = " ".join((polygon.text or "").split())
            result.polygon_texts.append(text)
            try:
                result.polygons.append(cap_polygon_to_geojson(text))
            except CapError:
                pass  # validate() reports it
        result.circles += [" ".join((c.text or "").split()) for c in _children(area, "circle")]
        result.geocodes += _pairs(area, "geocode")
    return result


# --- validation ------------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH), parser=_parser()))


def own_issuer_codes() -> set[str]:
    """Issuer codes that are ours: ``CITYSAFE_CAP_ISSUER_CODE`` (default 50000000000000)."""
    codes = {DEFAULT_ISSUER_CODE}
    try:
        from django.conf import settings

        if settings.configured:
            codes = {getattr(settings, "CITYSAFE_CAP_ISSUER_CODE", DEFAULT_ISSUER_CODE)}
    except (ImportError, ImproperlyConfigured):  # used without Django (replay): the default code only
        return codes
    return codes


def validate(xml: str | bytes, *, own_senders: Iterable[str] | None = None) -> list[str]:
    """Reasons the message is not an acceptable CAP 1.2 warning; empty when it is.

    Strict: the vendored XSD (input must be in the CAP 1.2 namespace; use :func:`normalize` first for tolerant
    input), then the rules it cannot express:

    - every polygon has >= 4 pairs, is closed (first == last) and its coordinates are in range;
    - Update and Cancel carry ``references``, each "sender,identifier,sent" with a valid time;
    - when the sender is ours (``own_senders``, default :func:`own_issuer_codes`) the identifier is a 31-character
      GB/T 35965.1 identifier beginning with the sender's issuer code;
    - Alert and Update messages carry the seven required elements of §8.1: type (event), level (severity other
      than Unknown, or a colour), start time (onset or effective), area, warning matters (description), measures
      (instruction) and issuer (senderName or sender).  A Cancel only lifts a warning and needs its references.
    """
    try:
        root = load(xml)
    except CapError as exc:
        return [str(exc)]
    schema = _schema()
    if not schema.validate(root):
        errors = []
        for entry in schema.error_log:
            message = entry.message.replace(f"{{{CAP_NS}}}", "")
            errors.append(_("XSD 第 %(line)s 行: %(message)s") % {"line": entry.line, "message": message})
        return errors[:20]

    parsed = parse(xml)
    errors: list[str] = []
    own = set(own_issuer_codes() if own_senders is None else own_senders)
    if parsed.sender in own:
        if not is_valid_identifier(parsed.identifier):
            errors.append(_("标识不符合 GB/T 35965.1(发布单位编码_YYYYMMDDhhmmss_N,31 个字符): %(id)s")
                          % {"id": parsed.identifier})
        elif not parsed.identifier.startswith(parsed.sender + "_"):
            errors.append(_("标识中的发布单位编码与发送方不一致: %(id)s") % {"id": parsed.identifier})

    if parsed.msg_type in {"Update", "Cancel"}:
        if not parsed.references:
            errors.append(_("%(type)s 报文必须有 references(引用首发报文)") % {"type": parsed.msg_type})
        for ref in parsed.references:
            if not (ref.sender and ref.identifier and parse_time(ref.sent)):
                errors.append(_("引用格式应为 sender,identifier,sent: %(ref)s") % {"ref": str(ref)})

    root_infos = _children(root, "info")
    for info in root_infos:
        for area in _children(info, "area"):
            for polygon in _children(area, "polygon"):
                errors += polygon_errors(" ".join((polygon.text or "").split()))

    if parsed.msg_type in {"Alert", "Update"}:
        if not root_infos:
            errors.append(_("缺少 info(预警内容)"))
        else:
            missing = []
            if not parsed.event:
                missing.append(_("预警类别(event)"))
            if not parsed.level:
                missing.append(_("预警级别(severity 或级别参数)"))
            if not (parsed.onset or parsed.effective):
                missing.append(_("起始时间(onset 或 effective)"))
            if not parsed.area_count:
                missing.append(_("影响范围(area)"))
            if not parsed.description:
                missing.append(_("警示事项(description)"))
            if not parsed.instruction:
                missing.append(_("应采取的措施(instruction)"))
            if not (parsed.sender_name or parsed.sender):
                missing.append(_("发布机关(senderName)"))
            if missing:
                errors.append(_("缺少预警必备要素: %(fields)s") % {"fields": "、".join(missing)})
    return errors


# --- replay ----------------------------------------------------------------------------------------------------

def change_msg_type(level: str | None, previous_level: str | None) -> str:
    """Alert when a level appears after none, Cancel when it goes to none, Update otherwise."""
    level = level or "none"
    previous = previous_level or "none"
    if level == "none":
        return "Cancel"
    if previous == "none":
        return "Alert"
    return "Update"


def change_to_cap(change: Mapping[str, Any], *, sequence: int, issuer_code: str = DEFAULT_ISSUER_CODE,
                  references: Iterable = (), sender_name: str = DEFAULT_SENDER_NAME) -> str:
    """A CAP message for one level change of the engine (the replay command).

    ``change`` = {"time", "device", "kind", "hazard", "level", "previous_level", "rule", "value"}.  The message
    type follows :func:`change_msg_type`: level "none" -> Cancel, a level after none -> Alert, other changes ->
    Update.  This function keeps no state: the caller keeps the (device, hazard) -> first message mapping and
    passes ``references`` ((sender, identifier, sent) of the earlier messages).  Without them an Update or Cancel
    is produced *without* references, which :func:`validate` rejects — acceptable for a replay printout, not for
    release.  A Cancel keeps the previous level as its severity.
    """
    when = change.get("time")
    if isinstance(when, str):
        when = parse_time(when)
    if not isinstance(when, dt.datetime):
        raise CapError(_("变化缺少有效的时间"))
    level = change.get("level") or "none"
    previous = change.get("previous_level") or "none"
    msg_type = change_msg_type(level, previous)
    shown = previous if level == "none" else level
    if shown not in SEVERITY_BY_LEVEL:
        raise CapError(_("未知的预警级别: %(level)r") % {"level": shown})
    hazard = change.get("hazard") or "other"
    hazard_name = HAZARD_NAMES_ZH.get(hazard, str(hazard))
    device = change.get("device")
    rule = change.get("rule") or ""
    value = change.get("value")
    colour = LEVEL_NAMES_ZH[shown]
    if msg_type == "Cancel":
        headline = f"解除{hazard_name}{colour}预警(设备 {device})"
    else:
        headline = f"{hazard_name}{colour}预警(设备 {device})"
    description = f"设备 {device} 规则 {rule} 触发{hazard_name}{colour}预警" + (f",数值 {value}" if value is not None else "")
    if msg_type == "Cancel":
        description = f"设备 {device} 的{hazard_name}预警已解除(原级别{colour})。"
    parameters = {"rule": rule, "value": value, "kind": change.get("kind"), "previous_level": previous}
    return build_alert(
        identifier=make_identifier(issuer_code, when, sequence), sender=issuer_code, sent=when, msg_type=msg_type,
        references=references, level=shown, hazard_type=hazard, urgency="Past" if msg_type == "Cancel" else "Immediate",
        certainty="Observed", onset=when, effective=when, sender_name=sender_name, headline=headline,
        description=description, instruction=DEFAULT_INSTRUCTION, parameters=parameters,
        area_desc=f"监测设备 {device}")
