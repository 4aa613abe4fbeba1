"""Excel import of hazard ledgers (隐患台账) and of risk points with their responsibility chain (包保责任人).

Both imports work like ``citysafe.workplans.excel.import_progress``: all or nothing.

1. *Check*: every row is read and checked; each problem becomes a ``RowError(row, column, message)`` with the row
   as Excel numbers it and the column header as the file spells it (unknown district, coordinates out of range,
   unknown sector or unit, a date or grade that cannot be read, a code repeated in the file or already stored, a
   missing required value, a row outside the importer's region scope …).
2. *Save*: only when no row has an error, everything is written in one ``transaction.atomic`` with ``bulk_create``
   in batches of ``BATCH_SIZE``, through ``simple_history.utils.bulk_create_with_history`` so the audit trail has
   every row, attributed to the importing user.

Columns are found through a mapping header -> field.  The defaults recognise the usual Chinese headers and their
variants (``HAZARD_HEADERS``, ``RISK_POINT_HEADERS``); a caller may pass an explicit mapping (e.g. from JSON) for
other headers, whose values are field names or default headers.  Lookups (regions, sectors, organisations,
existing codes, people) are loaded once per import in bulk, and points are located in districts with vectorised
shapely calls, so a 10,000-row ledger costs a handful of queries before the inserts.

Hazards are routed as ``services.route`` does (region by location or enterprise, supervising department by sector,
responsible unit = enterprise or district government); unroutable open hazards wait in triage.  An enterprise name
that is not yet known is created as an organisation flagged ``created_by_import`` (as the work-plan import does for
units), placed in the hazard's district.  Each hazard gets one ``HazardTransition`` ("import"); open major hazards
are listed for supervision (``services.list_for_supervision``) after the insert.

``progress(done, total)`` is called while checking and while saving: ``total`` is twice the number of data rows
(each row is counted once when checked and once when saved).
"""

import datetime as dt
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from shapely.geometry import shape
from simple_history.utils import bulk_create_with_history

from citysafe.core.audit import acting_as
from citysafe.core.geo import valid_lon_lat
from citysafe.core.models import Organization, OrganizationAlias, OrganizationKind, Person, Region, RegionLevel
from citysafe.core.roles import can_write
from citysafe.core.scoping import organization_in_scope, scope_region_paths
from citysafe.core.services import FUNCTIONAL_ZONES, normalize_org_name
from citysafe.workplans.excel import RowError

from . import services
from .errors import HazardError, PermissionDenied
from .models import (
    OPEN_STATUSES,
    Hazard,
    HazardGrade,
    HazardSource,
    HazardStatus,
    HazardTransition,
    ImportJob,
    Industry,
    ResponsibilityAssignment,
    ResponsibilityLevel,
    RiskPoint,
    RiskPointKind,
)

__all__ = ["BATCH_SIZE", "HAZARD_HEADERS", "RISK_POINT_HEADERS", "ImportOutcome", "RowError", "import_file",
           "import_hazards", "import_risk_points", "parse_mapping", "run_job", "template_workbook"]

BATCH_SIZE = 1000
PROGRESS_EVERY = 100  # rows between two progress callbacks
QUERY_CHUNK = 500  # names per ``__in`` query

Progress = Callable[[int, int], None] | None

# --- column headers ------------------------------------------------------------------------------------------------
# field -> recognised headers; the first one is the default header (template, messages about missing columns).

HAZARD_HEADERS: dict[str, list[str]] = {
    "title": ["隐患名称", "隐患内容", "隐患简述", "隐患问题", "名称"],
    "description": ["隐患描述", "隐患情况", "问题描述", "隐患详情", "具体描述"],
    "region": ["所在区县", "区县", "所属区县", "区县名称", "区县代码", "区划代码", "行政区划", "所在区县(名称或代码)"],
    "lon": ["经度", "经度(WGS84)", "东经", "lon", "lng", "longitude"],
    "lat": ["纬度", "纬度(WGS84)", "北纬", "lat", "latitude"],
    "address": ["地址", "详细地址", "隐患地址", "隐患位置", "位置", "地点"],
    "enterprise": ["企业名称", "单位名称", "企业(单位)名称", "生产经营单位", "企业", "生产经营单位名称"],
    "site": ["场所", "隐患部位", "部位", "所在场所"],
    "industry": ["行业领域", "行业", "所属行业", "所属领域", "领域", "行业类别"],
    "gbt4754_code": ["国民经济行业代码", "行业代码", "国民经济行业分类代码"],
    "source": ["来源", "隐患来源", "发现方式", "排查方式"],
    "grade": ["隐患等级", "等级", "隐患级别", "级别", "隐患类别"],
    "basis": ["判定依据", "依据", "判定标准"],
    "found_at": ["发现时间", "发现日期", "排查时间", "排查日期", "检查时间", "检查日期"],
    "found_by": ["发现人", "排查人", "检查人"],
    "deadline": ["整改期限", "整改时限", "整改完成时限", "整改完成期限"],
    "responsible_unit": ["整改责任单位", "责任单位", "整改单位"],
    "supervising_department": ["监管部门", "行业监管部门", "主管部门", "行业主管部门"],
    "status": ["状态", "整改状态", "整改情况", "隐患状态"],
    "rectification_measures": ["整改措施"],
    "closed_at": ["销号时间", "销号日期", "整改完成时间", "验收时间"],
    "code": ["隐患编号"],
}
HAZARD_REQUIRED = ["title"]

LEVEL_PREFIXES = [(ResponsibilityLevel.DISTRICT, "区县级", "区县"), (ResponsibilityLevel.TOWNSHIP, "乡镇级", "乡镇"),
                  (ResponsibilityLevel.VILLAGE, "村级", "村")]


def _chain_headers() -> dict[str, list[str]]:
    headers = {}
    for level, prefix, short in LEVEL_PREFIXES:
        headers[f"{level}_person"] = [f"{prefix}包保责任人", f"{prefix}责任人", f"{prefix}包保人",
                                      f"{short}包保责任人", f"{short}责任人"]
        headers[f"{level}_phone"] = [f"{prefix}包保责任人电话", f"{prefix}电话", f"{prefix}联系电话",
                                     f"{prefix}责任人电话", f"{prefix}包保责任人联系电话", f"{short}包保责任人电话",
                                     f"{short}责任人电话"]
        headers[f"{level}_deputy"] = [f"{prefix}AB角", f"{prefix}B角", f"{prefix}AB角(替补)", f"{prefix}替补",
                                      f"{short}AB角"]
        headers[f"{level}_deputy_phone"] = [f"{prefix}AB角电话", f"{prefix}B角电话", f"{prefix}AB角联系电话",
                                            f"{prefix}替补电话", f"{short}AB角电话"]
    return headers


RISK_POINT_HEADERS: dict[str, list[str]] = {
    "code": ["编号", "风险点编号", "隐患点编号", "点位编号", "统一编号"],
    "name": ["名称", "风险点名称", "隐患点名称", "点位名称"],
    "kind": ["类型", "风险点类型", "灾害类型", "灾种", "点位类型"],
    "industry": ["行业领域", "行业", "所属行业", "所属领域", "领域"],
    "lon": ["经度", "经度(WGS84)", "东经", "lon", "lng", "longitude"],
    "lat": ["纬度", "纬度(WGS84)", "北纬", "lat", "latitude"],
    "region": ["区县", "所在区县", "所属区县", "区县名称", "区县代码", "区划代码"],
    "township": ["乡镇", "乡镇(街道)", "街道", "乡镇街道", "所在乡镇"],
    "village": ["村", "村(社区)", "社区", "村社区", "村(居)", "所在村"],
    "risk_grade": ["风险等级", "等级", "风险级别"],
    "threatened_people": ["威胁人数", "威胁人口", "受威胁人数"],
    "threatened_households": ["威胁户数", "受威胁户数"],
    "responsible_unit": ["责任单位", "主管单位"],
    **_chain_headers(),
}
RISK_POINT_REQUIRED = ["code", "name", "kind", "lon", "lat"]

# --- value vocabularies ----------------------------------------------------------------------------------------------

SOURCE_WORDS = {
    HazardSource.SELF_INSPECTION: ["企业自查", "自查", "自查自报"],
    HazardSource.GOVERNMENT_INSPECTION: ["政府检查", "执法检查", "监督检查", "检查", "督查", "排查", "专项检查"],
    HazardSource.TIP_OFF: ["群众举报", "举报", "投诉举报"],
    HazardSource.SENSOR: ["监测预警", "监测", "预警"],
    HazardSource.GRID_PATROL: ["网格巡查", "巡查", "网格员巡查"],
}
# No ledger column says where a row came from more often than not; a ledger compiled by a department is the record
# of inspections, so that is the default when the column is missing or empty.
DEFAULT_SOURCE = HazardSource.GOVERNMENT_INSPECTION

GRADE_WORDS = {
    HazardGrade.GENERAL: ["一般", "一般隐患", "一般事故隐患", "一般安全隐患"],
    HazardGrade.MAJOR: ["重大", "重大隐患", "重大事故隐患", "重大安全隐患"],
}

STATUS_WORDS = {
    HazardStatus.TRIAGE: ["待分派"],
    HazardStatus.REPORTED: ["已登记", "待整改", "未整改", "待交办", "登记", "新发现"],
    HazardStatus.ASSIGNED: ["已交办", "已分派", "交办"],
    HazardStatus.RECTIFYING: ["整改中", "正在整改", "限期整改", "未完成整改"],
    HazardStatus.SUBMITTED: ["待验收", "已提交", "已申请验收", "整改完成待验收"],
    HazardStatus.ACCEPTED: ["已整改", "已验收", "已销号", "已验收销号", "已完成", "已完成整改", "整改完成", "销号",
                            "已闭环"],
}

KIND_WORDS = {
    RiskPointKind.LANDSLIDE: ["滑坡", "滑坡隐患点"],
    RiskPointKind.GEOLOGICAL: ["地质灾害", "地质灾害隐患点", "崩塌", "危岩", "危岩崩塌", "泥石流", "地面塌陷",
                               "不稳定斜坡", "其他地质灾害隐患点"],
    RiskPointKind.PONDING: ["积水点", "积水内涝点", "内涝点", "易涝点", "积水", "内涝"],
    RiskPointKind.FLASH_FLOOD_GULLY: ["山洪沟", "山洪", "山洪灾害"],
    RiskPointKind.GAS_PIPELINE: ["燃气管道", "燃气管线", "燃气管网"],
    RiskPointKind.MAJOR_HAZARD_INSTALLATION: ["重大危险源", "危险化学品重大危险源"],
    RiskPointKind.SCENIC_SPOT: ["景区景点", "景区", "景点", "旅游景区"],
    RiskPointKind.CONSTRUCTION_SITE: ["在建工地", "工地", "建筑工地", "施工工地"],
    RiskPointKind.MINE: ["矿山", "非煤矿山", "煤矿", "尾矿库"],
}

RISK_GRADE_WORDS = {
    "red": ["红", "红色", "重大风险", "重大", "一级"],
    "orange": ["橙", "橙色", "较大风险", "较大", "二级"],
    "yellow": ["黄", "黄色", "一般风险", "一般", "三级"],
    "blue": ["蓝", "蓝色", "低风险", "低", "四级"],
}


def _norm(text) -> str:
    """Matching key: NFKC (full-width to half-width), no whitespace, lower case, no required-column stars."""
    value = unicodedata.normalize("NFKC", str(text or ""))
    return re.sub(r"\s+", "", value).strip("*").lower()


def _vocabulary(words: dict, choices) -> dict[str, str]:
    table = {}
    for value, label in choices:
        table[_norm(value)] = value
        table[_norm(label)] = value
    for value, synonyms in words.items():
        for word in synonyms:
            table.setdefault(_norm(word), value)
    return table


SOURCES = _vocabulary(SOURCE_WORDS, HazardSource.choices)
GRADES = _vocabulary(GRADE_WORDS, HazardGrade.choices)
STATUSES = _vocabulary(STATUS_WORDS, HazardStatus.choices)
KINDS = _vocabulary(KIND_WORDS, RiskPointKind.choices)
RISK_GRADES = _vocabulary(RISK_GRADE_WORDS, RiskPoint._meta.get_field("risk_grade").choices)

HEADERS = {ImportJob.Kind.HAZARDS: HAZARD_HEADERS, ImportJob.Kind.RISK_POINTS: RISK_POINT_HEADERS}
REQUIRED = {ImportJob.Kind.HAZARDS: HAZARD_REQUIRED, ImportJob.Kind.RISK_POINTS: RISK_POINT_REQUIRED}


# --- outcome ---------------------------------------------------------------------------------------------------------

@dataclass
class ImportOutcome:
    saved: int = 0
    errors: list[RowError] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def errors_as_dicts(self) -> list[dict]:
        return [{"row": e.row, "column": e.column, "message": e.message} for e in self.errors]


# --- mapping -----------------------------------------------------------------------------------------------------------

def parse_mapping(mapping, kind: str) -> dict[str, str]:
    """Validate an explicit mapping (dict or JSON text) header -> field; return it with normalised headers.

    A value may be a field name (``title``) or one of the default headers (``隐患名称``).  An empty value ignores the
    column.  Raises HazardError naming the first value that is neither.
    """
    if mapping in (None, "", {}):
        return {}
    if isinstance(mapping, (str, bytes)):
        try:
            mapping = json.loads(mapping)
        except ValueError as exc:
            raise HazardError(_("列对应不是有效的 JSON: %(error)s") % {"error": exc}) from None
    if not isinstance(mapping, dict):
        raise HazardError(_("列对应应为 {\"表头\": \"字段\"} 形式的 JSON 对象"))
    headers = HEADERS[kind]
    by_header = {_norm(h): name for name, variants in headers.items() for h in variants}
    result = {}
    for header, target in mapping.items():
        if target in (None, ""):
            result[_norm(header)] = ""
            continue
        target = str(target).strip()
        name = target if target in headers else by_header.get(_norm(target))
        if name is None:
            raise HazardError(_("列对应「%(header)s」: 未知字段 %(field)r(可用字段: %(fields)s)") % {
                "header": header, "field": target, "fields": ", ".join(headers)})
        result[_norm(header)] = name
    return result


def _match_header(header: str, explicit: dict[str, str], defaults: dict[str, str]) -> tuple[str | None, bool]:
    """(field, given by the explicit mapping) for a header; (None, …) for a column to ignore."""
    key = _norm(header)
    bare = re.sub(r"\([^()]*\)$", "", key)  # "所在区县(名称或代码)" -> "所在区县"
    for candidate in (key, bare):
        if candidate in explicit:
            return explicit[candidate] or None, True
    return defaults.get(key) or defaults.get(bare), False


# --- reading -----------------------------------------------------------------------------------------------------------

@dataclass
class _Sheet:
    header_row: int
    columns: dict[str, tuple[int, str, bool]]  # field -> (index, header as written, explicitly mapped)
    rows: list[tuple[int, tuple]]  # (Excel row number, values)


def _read(data: bytes, kind: str, explicit: dict[str, str]) -> tuple[_Sheet | None, list[RowError]]:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise HazardError(_("无法读取 Excel 文件: %(error)s") % {"error": exc.__class__.__name__}) from None
    try:
        all_rows = list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()
    headers, required = HEADERS[kind], REQUIRED[kind]
    defaults = {_norm(h): name for name, variants in headers.items() for h in reversed(variants)}
    # The header row is the first of the top ten rows naming the first required column (a ledger often starts with
    # a title row such as "XX区隐患排查台账"); otherwise the first non-empty row.
    header_index = None
    for index, values in enumerate(all_rows[:10]):
        if any(v is not None and _match_header(str(v), explicit, defaults)[0] == required[0] for v in values):
            header_index = index
            break
    if header_index is None:
        header_index = next((i for i, values in enumerate(all_rows) if any(v not in (None, "") for v in values)), 0)
    header_values = all_rows[header_index] if all_rows else ()
    errors, columns = [], {}
    matches = [(index, str(value).strip(), *_match_header(str(value), explicit, defaults))
               for index, value in enumerate(header_values) if value is not None and str(value).strip()]
    # An explicit mapping wins over a default header naming the same field.
    for index, text, name, is_explicit in sorted(matches, key=lambda m: (not m[3], m[0])):
        if name is None:
            continue
        if name in columns:
            if is_explicit or not columns[name][2]:
                errors.append(RowError(header_index + 1, text,
                                       _("与「%(other)s」列重复") % {"other": columns[name][1]}))
            continue
        columns[name] = (index, text, is_explicit)
    explicit_header = {v: k for k, v in explicit.items() if v}
    for name in required:
        if name not in columns:
            errors.append(RowError(header_index + 1, explicit_header.get(name, headers[name][0]), _("缺少必填列")))
    rows = [(number, values) for number, values in enumerate(all_rows[header_index + 1:], start=header_index + 2)
            if any(v is not None and (not isinstance(v, str) or v.strip()) for v in values)]
    return _Sheet(header_index + 1, columns, rows), errors


class _Row:
    """One data row: typed access by field, errors collected against the column header as written."""

    def __init__(self, number: int, values: tuple, sheet: _Sheet, errors: list[RowError], headers: dict):
        self.number, self.values, self.sheet, self.errors, self.headers = number, values, sheet, errors, headers
        self.ok = True

    def header(self, name: str) -> str:
        return self.sheet.columns[name][1] if name in self.sheet.columns else self.headers[name][0]

    def raw(self, name: str):
        column = self.sheet.columns.get(name)
        if column is None or column[0] >= len(self.values):
            return None
        return self.values[column[0]]

    def text(self, name: str) -> str:
        return _text(self.raw(name))

    def error(self, name: str, message: str) -> None:
        self.ok = False
        self.errors.append(RowError(self.number, self.header(name), message))

    def limited(self, name: str, max_length: int, required: bool = False) -> str:
        value = self.text(name)
        if required and not value:
            self.error(name, _("不能为空"))
        elif len(value) > max_length:
            self.error(name, _("超过 %(n)s 个字符") % {"n": max_length})
            return value[:max_length]
        return value


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


def _number(value) -> float | None:
    """A finite number, None for an empty cell; ValueError otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError
    number = float(unicodedata.normalize("NFKC", str(value)).strip().rstrip("°"))
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError
    return number


def _count(value) -> int:
    number = _number(value)
    if number is None:
        return 0
    if number < 0 or not number.is_integer() or number > 2_147_483_647:
        raise ValueError
    return int(number)


_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T](\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2}))?秒?)?$")


def _datetime(value) -> dt.datetime | None:
    """Naive local datetime from a cell (datetime, date, Excel serial number or text); None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value <= 80000:  # an Excel serial date stored as a number (1954 .. 2119)
            return dt.datetime(1899, 12, 30) + dt.timedelta(days=float(value))
        raise ValueError
    match = _DATE_RE.match(unicodedata.normalize("NFKC", str(value)).strip())
    if not match:
        raise ValueError
    parts = [int(p) if p else 0 for p in match.groups()]
    return dt.datetime(*parts)


def _aware(moment: dt.datetime) -> dt.datetime:
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


_PHONE_RE = re.compile(r"^\+?[\d\-() ]{5,30}$")


# --- lookups --------------------------------------------------------------------------------------------------------

def _chunks(items: list, size: int = QUERY_CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class _Lookups:
    """Everything a row is checked against, loaded once per import."""

    def __init__(self, user):
        self.user = user
        self.paths = scope_region_paths(user) if user is not None else None
        self.today = timezone.localdate()
        county_levels = [RegionLevel.DISTRICT, RegionLevel.ZONE]
        regions = sorted(Region.objects.filter(level__in=county_levels),
                         key=lambda r: (not r.is_valid_on(self.today), r.adcode))
        self.regions: dict[str, Region] = {}
        shorts: dict[str, list[Region]] = {}
        for region in regions:  # regions in force first: their names win over abolished ones
            for key in (region.adcode, region.name, region.name_en):
                if key:
                    self.regions.setdefault(_norm(key), region)
            short = re.sub(r"(土家族苗族自治县|苗族土家族自治县|自治县|新区|区|县)$", "", region.name)
            if len(short) >= 2 and region.is_valid_on(self.today):
                shorts.setdefault(_norm(short), []).append(region)
        for key, found in shorts.items():
            if len(found) == 1:
                self.regions.setdefault(key, found[0])
        for _code, name, _en, aliases in FUNCTIONAL_ZONES:
            for alias in aliases:
                if _norm(name) in self.regions:
                    self.regions.setdefault(_norm(alias), self.regions[_norm(name)])
        self.shapes = []
        for region in regions:
            if region.boundary and region.is_valid_on(self.today):
                geometry = shape(region.boundary)
                shapely.prepare(geometry)
                self.shapes.append((region, geometry))
        self.industries: dict[str, Industry] = {}
        self.prefixes: list[tuple[str, Industry]] = []
        for industry in Industry.objects.select_related("supervising_department"):
            for key in (industry.code, industry.name, industry.name.removesuffix("领域")):
                self.industries.setdefault(_norm(key), industry)
            for prefix in (p.strip().upper() for p in industry.gbt4754_codes.split(",")):
                if prefix:
                    self.prefixes.append((prefix, industry))
        self.prefixes.sort(key=lambda item: -len(item[0]))  # longest prefix wins
        self.governments: dict[int, Organization] = {}
        for org in Organization.objects.filter(kind=OrganizationKind.GOVERNMENT, region__level__in=county_levels) \
                .select_related("region").order_by("-pk"):
            self.governments[org.region_id] = org  # lowest pk last, as services.district_government picks it
        self.organizations: dict[str, Organization] = {}
        self.new_organizations: dict[str, Organization] = {}
        # the triage reasons of services.route, translated once
        self.no_region, self.no_department = _("无法根据位置确定所在区县"), _("无法根据行业确定监管部门")

    # regions

    def region(self, text: str) -> Region | None:
        key = _norm(text)
        if key.startswith("重庆市") and len(key) > 3:
            key = key[3:]
        return self.regions.get(key)

    def locate(self, points: list[tuple[float, float]]) -> list[Region | None]:
        """The county-level region containing each (lon, lat), vectorised per district."""
        found: list[Region | None] = [None] * len(points)
        if not points:
            return found
        xs = np.array([p[0] for p in points], dtype=float)
        ys = np.array([p[1] for p in points], dtype=float)
        pending = np.ones(len(points), dtype=bool)
        for region, geometry in self.shapes:
            minx, miny, maxx, maxy = geometry.bounds
            candidates = pending & (xs >= minx) & (xs <= maxx) & (ys >= miny) & (ys <= maxy)
            if not candidates.any():
                continue
            indices = np.nonzero(candidates)[0]
            inside = shapely.contains_xy(geometry, xs[indices], ys[indices])
            for index in indices[inside]:
                found[index] = region
            pending[indices[inside]] = False
        return found

    def in_scope(self, region: Region | None, *organizations: Organization | None) -> bool:
        """Inside the importer's region subtree, or for an organisation the importer acts for."""
        if self.paths is None:
            return True
        if region is not None and any(region.path.startswith(p) for p in self.paths):
            return True
        return any(org is not None and org.pk and organization_in_scope(self.user, org.pk) for org in organizations)

    # sectors

    def industry(self, text: str) -> Industry | None:
        return self.industries.get(_norm(text))

    def industry_for_code(self, code: str) -> Industry | None:
        code = code.strip().upper()
        return next((industry for prefix, industry in self.prefixes if code and code.startswith(prefix)), None)

    # organisations

    def preload_organizations(self, names: Iterable[str]) -> None:
        keys = sorted({normalize_org_name(n) for n in names if n} - set(self.organizations))
        for chunk in _chunks(keys):
            for org in Organization.objects.filter(name__in=chunk).select_related("region"):
                self.organizations[org.name] = org
            missing = [k for k in chunk if k not in self.organizations]
            for alias in OrganizationAlias.objects.filter(name__in=missing).select_related("organization__region"):
                self.organizations[alias.name] = alias.organization

    def organization(self, name: str) -> Organization | None:
        key = normalize_org_name(name)
        return self.organizations.get(key) or self.new_organizations.get(key)

    def new_enterprise(self, name: str, region: Region | None) -> Organization:
        key = normalize_org_name(name)
        if key not in self.new_organizations:
            self.new_organizations[key] = Organization(name=key, kind=OrganizationKind.ENTERPRISE, region=region,
                                                       created_by_import=True)
        return self.new_organizations[key]


class _Counter:
    """Calls ``progress(done, total)`` every ``PROGRESS_EVERY`` steps and at the end."""

    def __init__(self, progress: Progress, total: int):
        self.progress, self.total, self.done, self.last = progress, total, 0, 0

    def step(self, n: int = 1) -> None:
        self.done += n
        if self.done - self.last >= PROGRESS_EVERY or self.done >= self.total:
            self.flush()

    def flush(self) -> None:
        """Report now (end of a pass)."""
        if self.progress and self.done != self.last:
            self.progress(self.done, self.total)
        self.last = self.done


def _check_user(user) -> None:
    if user is not None and not can_write(user):
        raise PermissionDenied(_("只读用户不能导入"))


# --- hazards ---------------------------------------------------------------------------------------------------------

def import_hazards(data: bytes, *, user=None, mapping=None, progress: Progress = None,
                   filename: str = "") -> ImportOutcome:
    """Check every row of a hazard ledger, then save all hazards or none (see the module docstring)."""
    _check_user(user)
    explicit = parse_mapping(mapping, ImportJob.Kind.HAZARDS)
    sheet, errors = _read(data, ImportJob.Kind.HAZARDS, explicit)
    outcome = ImportOutcome(errors=errors)
    if errors:
        return outcome
    counter = _Counter(progress, 2 * len(sheet.rows))
    lookups = _Lookups(user)
    texts = {name: [_text(values[sheet.columns[name][0]]) if name in sheet.columns and
                    sheet.columns[name][0] < len(values) else "" for _n, values in sheet.rows]
             for name in ("enterprise", "responsible_unit", "supervising_department", "code")}
    lookups.preload_organizations(texts["enterprise"] + texts["responsible_unit"] + texts["supervising_department"])
    given_codes = [c for c in texts["code"] if c]
    taken = set()
    for chunk in _chunks(sorted(set(given_codes))):
        taken.update(Hazard.objects.filter(code__in=chunk).values_list("code", flat=True))

    now = timezone.now()
    parsed, seen_codes = [], {}
    for number, values in sheet.rows:
        row = _Row(number, values, sheet, outcome.errors, HAZARD_HEADERS)
        item = _parse_hazard(row, lookups, now, seen_codes, taken)
        if row.ok:
            parsed.append(item)
        counter.step()
    counter.flush()
    # Locate every row without a district (one vectorised pass), then route and check the scope.
    unplaced = [item for item in parsed if item["region"] is None and item["lon"] is not None]
    for item, region in zip(unplaced, lookups.locate([(i["lon"], i["lat"]) for i in unplaced]), strict=True):
        item["region"] = region
    hazards, rows = [], []
    for item in parsed:
        hazard = _build_hazard(item, lookups, user, now)
        if hazard is not None:
            hazards.append(hazard)
            rows.append(item["row"].number)
    if outcome.errors:
        outcome.errors.sort(key=lambda e: e.row)
        return outcome

    _assign_codes(hazards)
    with transaction.atomic(), acting_as(user):
        history_user = user if getattr(user, "pk", None) else None
        new_orgs = list(lookups.new_organizations.values())
        if new_orgs:
            bulk_create_with_history(new_orgs, Organization, batch_size=BATCH_SIZE, default_user=history_user,
                                     default_change_reason="import")
        for start in range(0, len(hazards), BATCH_SIZE):
            batch = hazards[start:start + BATCH_SIZE]
            bulk_create_with_history(batch, Hazard, batch_size=BATCH_SIZE, default_user=history_user,
                                     default_change_reason="import")
            HazardTransition.objects.bulk_create(
                [HazardTransition(hazard=h, action="import", from_status="", to_status=h.status, by=history_user,
                                  at=now, comment=_import_comment(number, filename, h.triage_reason))
                 for h, number in zip(batch, rows[start:start + BATCH_SIZE], strict=True)],
                batch_size=BATCH_SIZE)
            counter.step(len(batch))
        listed = 0
        for hazard in hazards:
            if hazard.grade == HazardGrade.MAJOR and hazard.status in OPEN_STATUSES:
                listed += services.list_for_supervision(hazard, history_user) is not None
    outcome.saved = len(hazards)
    outcome.counts = {"hazards": len(hazards),
                      "major": sum(h.grade == HazardGrade.MAJOR for h in hazards),
                      "listed_for_supervision": listed,
                      "triage": sum(h.status == HazardStatus.TRIAGE for h in hazards),
                      "accepted": sum(h.status == HazardStatus.ACCEPTED for h in hazards),
                      "created_organizations": len(lookups.new_organizations)}
    return outcome


def _import_comment(number: int, filename: str, reason: str) -> str:
    text = _("Excel 导入 %(file)s 第 %(row)s 行") % {"file": filename, "row": number}
    return f"{' '.join(text.split())}; {reason}" if reason else " ".join(text.split())


def _parse_hazard(row: _Row, lookups: _Lookups, now, seen_codes: dict, taken: set) -> dict:
    """Check one ledger row; returns the values (row.ok says whether it can be saved)."""
    item = {"row": row, "region": None, "lon": None, "lat": None}
    limit = {f.name: f.max_length for f in Hazard._meta.concrete_fields if getattr(f, "max_length", None)}
    code = row.limited("code", limit["code"])
    if code:
        if code in taken:
            row.error("code", _("编号已存在: %(code)s") % {"code": code})
        elif code in seen_codes:
            row.error("code", _("与第 %(row)s 行编号重复") % {"row": seen_codes[code]})
        else:
            seen_codes[code] = row.number
    item["code"] = code
    title = row.text("title")
    if not title:
        row.error("title", _("隐患名称不能为空"))
    item["title"] = title[:limit["title"]]
    item["description"] = row.text("description")
    for name in ("address", "site", "gbt4754_code", "basis", "found_by"):
        item[name] = row.limited(name, limit[name])
    item["rectification_measures"] = row.text("rectification_measures")
    # location
    region_text = row.text("region")
    if region_text:
        item["region"] = lookups.region(region_text)
        if item["region"] is None:
            row.error("region", _("未知区县: %(value)s") % {"value": region_text})
    _coordinates(row, item)
    # sector and units
    item["industry"] = None
    industry_text = row.text("industry")
    if industry_text:
        item["industry"] = lookups.industry(industry_text)
        if item["industry"] is None:
            row.error("industry", _("未知行业领域: %(value)s") % {"value": industry_text})
    item["enterprise_name"] = row.limited("enterprise", Organization._meta.get_field("name").max_length)
    item["enterprise"] = lookups.organization(item["enterprise_name"]) if item["enterprise_name"] else None
    for name in ("responsible_unit", "supervising_department"):
        value = row.text(name)
        item[name] = lookups.organization(value) if value else None
        if value and item[name] is None and not (name == "responsible_unit" and
                                                 normalize_org_name(value) ==
                                                 normalize_org_name(item["enterprise_name"])):
            row.error(name, _("未知单位: %(value)s") % {"value": value})
        item[name + "_name"] = value
    # vocabularies
    item["source"] = _choice(row, "source", SOURCES, DEFAULT_SOURCE, _("未知来源: %(value)s"))
    item["grade"] = _choice(row, "grade", GRADES, HazardGrade.GENERAL, _("隐患等级应为 一般 或 重大: %(value)s"))
    item["status"] = _choice(row, "status", STATUSES, "", _("未知状态: %(value)s"))
    # dates
    item["found_at"] = _date_cell(row, "found_at", now)
    if item["found_at"] is not None and timezone.localdate(item["found_at"]) > lookups.today:
        row.error("found_at", _("发现时间晚于今天"))
    deadline = _date_cell(row, "deadline", None)
    item["deadline"] = deadline.date() if deadline else None
    found_on = timezone.localdate(item["found_at"]) if item["found_at"] else lookups.today
    if item["deadline"] and item["deadline"] < found_on:
        row.error("deadline", _("整改期限不能早于发现时间"))
    item["closed_at"] = _date_cell(row, "closed_at", None)
    if item["closed_at"] is not None and item["found_at"] is not None and item["closed_at"] < item["found_at"]:
        row.error("closed_at", _("销号时间不能早于发现时间"))
    return item


def _coordinates(row: _Row, item: dict) -> bool:
    """Fill item lon/lat from the row; False when an error was reported."""
    lon_raw, lat_raw = row.raw("lon"), row.raw("lat")
    try:
        lon = _number(lon_raw)
    except (TypeError, ValueError):
        row.error("lon", _("经度不是数字: %(value)s") % {"value": _text(lon_raw)})
        return False
    try:
        lat = _number(lat_raw)
    except (TypeError, ValueError):
        row.error("lat", _("纬度不是数字: %(value)s") % {"value": _text(lat_raw)})
        return False
    if (lon is None) != (lat is None):
        row.error("lat" if lat is None else "lon", _("经度和纬度须同时填写"))
        return False
    if lon is not None and not -180 <= lon <= 180:
        row.error("lon", _("经度超出范围: %(value)s") % {"value": _text(lon_raw)})
        return False
    if lat is not None and not -90 <= lat <= 90:
        row.error("lat", _("纬度超出范围: %(value)s") % {"value": _text(lat_raw)})
        return False
    if valid_lon_lat(lon, lat):
        item["lon"], item["lat"] = lon, lat
    return True


def _choice(row: _Row, name: str, table: dict, default, message: str):
    value = row.text(name)
    if not value:
        return default
    choice = table.get(_norm(value))
    if choice is None:
        row.error(name, message % {"value": value})
        return default
    return choice


def _date_cell(row: _Row, name: str, default):
    raw = row.raw(name)
    try:
        moment = _datetime(raw)
    except (TypeError, ValueError, OverflowError):
        row.error(name, _("不是日期: %(value)s") % {"value": _text(raw)})
        return None
    return _aware(moment) if moment is not None else default


def _build_hazard(item: dict, lookups: _Lookups, user, now) -> Hazard | None:
    """Route a checked row in memory (as ``services.route`` does) and check the importer's scope."""
    row, region = item["row"], item["region"]
    enterprise = item["enterprise"]
    if region is None and enterprise is not None and enterprise.region_id and \
            enterprise.region.level != RegionLevel.PROVINCE:
        region = enterprise.region
    if enterprise is None and item["enterprise_name"]:
        enterprise = lookups.new_enterprise(item["enterprise_name"], region)
    reasons = []
    if region is None:
        reasons.append(lookups.no_region)
    industry = item["industry"]
    if industry is None and item["gbt4754_code"]:
        industry = lookups.industry_for_code(item["gbt4754_code"])
    department = item["supervising_department"] or (industry.supervising_department if industry else None)
    if department is None:
        reasons.append(lookups.no_department)
    responsible = item["responsible_unit"]
    if responsible is None and item["responsible_unit_name"]:  # the enterprise of the row, created by this import
        responsible = enterprise
    responsible = responsible or enterprise or (lookups.governments.get(region.pk) if region else None)
    if not lookups.in_scope(region, enterprise, department):
        column = "lon" if "region" not in row.sheet.columns and "lon" in row.sheet.columns else "region"
        row.error(column, _("不在您的管辖范围内: %(region)s") % {"region": region or _("未知区县")})
        return None
    status = item["status"]
    if status != HazardStatus.ACCEPTED:
        status = HazardStatus.TRIAGE if reasons else (status or HazardStatus.REPORTED)
    found_on = timezone.localdate(item["found_at"])
    deadline = item["deadline"]
    if item["grade"] == HazardGrade.MAJOR and deadline is None and status != HazardStatus.ACCEPTED:
        deadline = found_on + dt.timedelta(days=services.DEFAULT_MAJOR_DEADLINE_DAYS)
    return Hazard(
        code=item["code"], title=item["title"], description=item["description"], lon=item["lon"], lat=item["lat"],
        address=item["address"], region=region, enterprise=enterprise, site=item["site"], industry=industry,
        gbt4754_code=item["gbt4754_code"], source=item["source"], grade=item["grade"], basis=item["basis"],
        found_at=item["found_at"], found_by=item["found_by"], deadline=deadline, responsible_unit=responsible,
        supervising_department=department, status=status,
        triage_reason="; ".join(reasons) if status == HazardStatus.TRIAGE else "",
        rectification_measures=item["rectification_measures"],
        closed_at=(item["closed_at"] or now) if status == HazardStatus.ACCEPTED else None,
        created_by=user if getattr(user, "pk", None) else None)


def _assign_codes(hazards: list[Hazard]) -> None:
    """Codes like ``services.new_code()`` for rows without one, unique among today's stored codes and the file's."""
    sample = services.new_code()
    prefix = sample[:sample.rindex("-") + 1]
    used = set(Hazard.objects.filter(code__startswith=prefix).values_list("code", flat=True))
    used.update(h.code for h in hazards if h.code)
    for hazard in hazards:
        if hazard.code:
            continue
        code = services.new_code()
        while code in used:
            code = services.new_code()
        used.add(code)
        hazard.code = code


# --- risk points ---------------------------------------------------------------------------------------------------

def import_risk_points(data: bytes, *, user=None, mapping=None, progress: Progress = None,
                       filename: str = "") -> ImportOutcome:
    """Check every row of a risk-point list with its responsibility chain, then save all or none.

    A person is identified by (name, phone): the same pair in several rows or levels is one ``Person``, and a pair
    already stored (with a phone) is reused.
    """
    _check_user(user)
    explicit = parse_mapping(mapping, ImportJob.Kind.RISK_POINTS)
    sheet, errors = _read(data, ImportJob.Kind.RISK_POINTS, explicit)
    outcome = ImportOutcome(errors=errors)
    if errors:
        return outcome
    counter = _Counter(progress, 2 * len(sheet.rows))
    lookups = _Lookups(user)

    def column(name):
        if name not in sheet.columns:
            return []
        index = sheet.columns[name][0]
        return [_text(values[index]) if index < len(values) else "" for _n, values in sheet.rows]

    lookups.preload_organizations(column("responsible_unit"))
    taken = set()
    for chunk in _chunks(sorted(set(filter(None, column("code"))))):
        taken.update(RiskPoint.objects.filter(code__in=chunk).values_list("code", flat=True))
    names = set()
    for level, _prefix, _short in LEVEL_PREFIXES:
        names.update(column(f"{level}_person") + column(f"{level}_deputy"))
    people: dict[tuple[str, str], Person] = {}
    for chunk in _chunks(sorted(names - {""})):
        for person in Person.objects.filter(name__in=chunk).exclude(phone="").order_by("-pk"):
            people[(person.name, person.phone)] = person  # the oldest one wins

    parsed, seen_codes = [], {}
    for number, values in sheet.rows:
        row = _Row(number, values, sheet, outcome.errors, RISK_POINT_HEADERS)
        item = _parse_risk_point(row, lookups, seen_codes, taken, people)
        if row.ok:
            parsed.append(item)
        counter.step()
    counter.flush()
    unplaced = [item for item in parsed if item["point"].region is None]
    for item, region in zip(unplaced, lookups.locate([(i["point"].lon, i["point"].lat) for i in unplaced]),
                            strict=True):
        item["point"].region = region
    points, assignments = [], []
    for item in parsed:
        point, row = item["point"], item["row"]
        if point.region is None:
            row.error("lon", _("坐标不在本市任何区县内,请填写区县或核对经纬度"))
            continue
        department = point.industry.supervising_department if point.industry else None
        if not lookups.in_scope(point.region, point.responsible_unit, department):
            row.error("region" if "region" in sheet.columns else "lon",
                      _("不在您的管辖范围内: %(region)s") % {"region": point.region})
            continue
        points.append(point)
        assignments.extend(ResponsibilityAssignment(risk_point=point, level=level, person=person, deputy=deputy)
                           for level, person, deputy in item["chain"])
    if outcome.errors:
        outcome.errors.sort(key=lambda e: e.row)
        return outcome

    used_people = {id(a.person): a.person for a in assignments}
    used_people.update({id(a.deputy): a.deputy for a in assignments if a.deputy is not None})
    new_people = [p for p in used_people.values() if p.pk is None]
    with transaction.atomic(), acting_as(user):
        history_user = user if getattr(user, "pk", None) else None
        if new_people:
            bulk_create_with_history(new_people, Person, batch_size=BATCH_SIZE, default_user=history_user,
                                     default_change_reason="import")
        for start in range(0, len(points), BATCH_SIZE):
            batch = points[start:start + BATCH_SIZE]
            bulk_create_with_history(batch, RiskPoint, batch_size=BATCH_SIZE, default_user=history_user,
                                     default_change_reason="import")
            counter.step(len(batch))
        if assignments:
            bulk_create_with_history(assignments, ResponsibilityAssignment, batch_size=BATCH_SIZE,
                                     default_user=history_user, default_change_reason="import")
    outcome.saved = len(points)
    outcome.counts = {"risk_points": len(points), "assignments": len(assignments),
                      "with_deputy": sum(a.deputy is not None for a in assignments),
                      "people_created": len(new_people),
                      "people_reused": len(used_people) - len(new_people)}
    return outcome


def _parse_risk_point(row: _Row, lookups: _Lookups, seen_codes: dict, taken: set, people: dict) -> dict:
    limit = {f.name: f.max_length for f in RiskPoint._meta.concrete_fields if getattr(f, "max_length", None)}
    code = row.limited("code", limit["code"], required=True)
    if code in taken:
        row.error("code", _("编号已存在: %(code)s") % {"code": code})
    elif code and code in seen_codes:
        row.error("code", _("与第 %(row)s 行编号重复") % {"row": seen_codes[code]})
    elif code:
        seen_codes[code] = row.number
    name = row.limited("name", limit["name"], required=True)
    kind_text = row.text("kind")
    kind = KINDS.get(_norm(kind_text)) if kind_text else None
    if not kind_text:
        row.error("kind", _("不能为空"))
    elif kind is None:
        row.error("kind", _("未知类型: %(value)s") % {"value": kind_text})
    industry = None
    industry_text = row.text("industry")
    if industry_text:
        industry = lookups.industry(industry_text)
        if industry is None:
            row.error("industry", _("未知行业领域: %(value)s") % {"value": industry_text})
    item = {"row": row, "lon": None, "lat": None}
    if _coordinates(row, item) and item["lon"] is None:
        row.error("lon", _("经纬度不能为空"))
    region = None
    region_text = row.text("region")
    if region_text:
        region = lookups.region(region_text)
        if region is None:
            row.error("region", _("未知区县: %(value)s") % {"value": region_text})
    grade = _choice(row, "risk_grade", RISK_GRADES, "", _("风险等级应为 红/橙/黄/蓝: %(value)s"))
    counts = {}
    for field_name in ("threatened_people", "threatened_households"):
        try:
            counts[field_name] = _count(row.raw(field_name))
        except (TypeError, ValueError):
            row.error(field_name, _("应为非负整数: %(value)s") % {"value": _text(row.raw(field_name))})
            counts[field_name] = 0
    unit = None
    unit_text = row.text("responsible_unit")
    if unit_text:
        unit = lookups.organization(unit_text)
        if unit is None:
            row.error("responsible_unit", _("未知单位: %(value)s") % {"value": unit_text})
    item["chain"] = []
    for level, _prefix, _short in LEVEL_PREFIXES:
        person = _person(row, f"{level}_person", f"{level}_phone", people)
        deputy = _person(row, f"{level}_deputy", f"{level}_deputy_phone", people)
        if deputy is not None and person is None:
            row.error(f"{level}_person", _("填写了AB角但没有包保责任人"))
        elif person is not None and deputy is person:
            row.error(f"{level}_deputy", _("AB角不能与包保责任人是同一人"))
        elif person is not None:
            item["chain"].append((level, person, deputy))
    item["point"] = RiskPoint(code=code, name=name, kind=kind or "", industry=industry, lon=item["lon"] or 0.0,
                              lat=item["lat"] or 0.0, region=region, township=row.limited("township", limit["township"]),
                              village=row.limited("village", limit["village"]), risk_grade=grade,
                              responsible_unit=unit, **counts)
    return item


def _person(row: _Row, name_field: str, phone_field: str, people: dict) -> Person | None:
    name = row.limited(name_field, Person._meta.get_field("name").max_length)
    phone = unicodedata.normalize("NFKC", row.text(phone_field))
    if phone and not _PHONE_RE.match(phone):
        row.error(phone_field, _("电话号码无效: %(value)s") % {"value": phone})
    if not name:
        if phone:
            row.error(name_field, _("填写了电话但没有姓名"))
        return None
    key = (name, phone)
    if key not in people:
        people[key] = Person(name=name, phone=phone)
    return people[key]


# --- entry points ---------------------------------------------------------------------------------------------------

def import_file(kind: str, data: bytes, **kwargs) -> ImportOutcome:
    """Dispatch on ``ImportJob.Kind``."""
    if kind == ImportJob.Kind.HAZARDS:
        return import_hazards(data, **kwargs)
    if kind == ImportJob.Kind.RISK_POINTS:
        return import_risk_points(data, **kwargs)
    raise HazardError(_("未知导入类型: %(kind)s") % {"kind": kind})


JOB_PROGRESS_EVERY = 200


def run_job(job_id: int) -> ImportJob | None:
    """Run a pending ``ImportJob``: pending -> running -> done | failed, with progress written as it goes.

    Progress is written with queryset ``update()`` calls every ``JOB_PROGRESS_EVERY`` steps.  Those of the checking
    pass are visible at once; those of the saving pass are inside the import's transaction, so other connections
    see them when it commits.  A job that is not pending is left alone (a task delivered twice runs once).
    """
    claimed = ImportJob.objects.filter(pk=job_id, state=ImportJob.State.PENDING).update(state=ImportJob.State.RUNNING)
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if not claimed or job is None:
        return job
    last = [-JOB_PROGRESS_EVERY]

    def progress(done, total):
        if done - last[0] >= JOB_PROGRESS_EVERY or done >= total:
            last[0] = done
            ImportJob.objects.filter(pk=job_id).update(done=done, total=total)

    errors, saved = [], 0
    try:
        with job.file.open("rb") as fh:
            data = fh.read()
        outcome = import_file(job.kind, data, user=job.created_by, mapping=job.mapping or None, progress=progress,
                              filename=_("导入任务 #%(id)s") % {"id": job.pk})
        errors, saved = outcome.errors_as_dicts(), outcome.saved
    except (HazardError, PermissionDenied) as exc:
        errors = [{"row": None, "column": "", "message": str(exc)}]
    except Exception as exc:  # noqa: BLE001 - the job must end in a state the user can see
        import logging

        logging.getLogger(__name__).exception("import job %s failed", job_id)
        errors = [{"row": None, "column": "", "message": _("导入失败: %(error)s") % {"error": exc.__class__.__name__}}]
    state = ImportJob.State.FAILED if errors else ImportJob.State.DONE
    ImportJob.objects.filter(pk=job_id).update(state=state, errors=errors, saved=saved, finished_at=timezone.now())
    job.refresh_from_db()
    return job


# --- template -------------------------------------------------------------------------------------------------------

HEADER_FILL = PatternFill("solid", fgColor="0B3D6B")
HEADER_FONT = Font(color="FFFFFF", bold=True)
TEMPLATE_FIELDS = {
    ImportJob.Kind.HAZARDS: ["title", "description", "region", "lon", "lat", "address", "enterprise", "site",
                             "industry", "gbt4754_code", "source", "grade", "basis", "found_at", "found_by", "deadline",
                             "responsible_unit", "supervising_department", "status", "rectification_measures",
                             "closed_at"],
    ImportJob.Kind.RISK_POINTS: list(RISK_POINT_HEADERS),
}


def template_workbook(kind: str) -> bytes:
    """An empty workbook with the default headers of ``kind`` (required ones marked *) and a sheet of notes."""
    if kind not in HEADERS:
        raise HazardError(_("未知导入类型: %(kind)s") % {"kind": kind})
    headers, required = HEADERS[kind], REQUIRED[kind]
    wb = Workbook()
    ws = wb.active
    ws.title = str(ImportJob.Kind(kind).label)
    for col, name in enumerate(TEMPLATE_FIELDS[kind], start=1):
        cell = ws.cell(row=1, column=col, value=headers[name][0] + ("*" if name in required else ""))
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        ws.column_dimensions[get_column_letter(col)].width = max(10, 2 * len(headers[name][0]) + 4)
    ws.freeze_panes = "A2"
    notes = wb.create_sheet(_("填写说明"))
    notes.append([_("列"), _("也可写作"), _("可填的值")])
    values = {"grade": GRADE_WORDS, "source": SOURCE_WORDS, "status": STATUS_WORDS, "kind": KIND_WORDS,
              "risk_grade": RISK_GRADE_WORDS}
    hints = {"region": _("区县名称或区划代码,如 渝中区 或 500103;为空时按经纬度确定"),
             "lon": _("WGS84 经度"), "lat": _("WGS84 纬度"),
             "industry": "、".join(Industry.objects.values_list("name", flat=True)),
             "found_at": _("日期,如 2025-03-01"), "deadline": _("日期"), "closed_at": _("日期")}
    for name in TEMPLATE_FIELDS[kind]:
        if name in values:
            hint = ";".join("、".join(words) for words in values[name].values())
        else:
            hint = hints.get(name, "")
        notes.append([headers[name][0], "、".join(headers[name][1:]), hint])
    notes.column_dimensions["A"].width, notes.column_dimensions["B"].width = 22, 40
    notes.column_dimensions["C"].width = 80
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
