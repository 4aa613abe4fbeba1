"""Excel import of the resources registry (全量入库): all or nothing, errors by row and column.

Workbook (``template_workbook()`` gives an empty one with notes):

* sheet 1 (any name) — one resource per row, headers ``RESOURCE_HEADERS`` (first variant is the template's);
* optional sheet "储备物资" — stock lines: depot name (a depot in this file or an existing one in scope), item,
  quantity, unit, expiry date, minimum level.

Every row is checked first; each problem is a ``RowError(row, column, message)`` with the row as Excel numbers it
and the header as written (sheet-qualified for the stock sheet).  Only when there is no error are all rows written
in one ``transaction.atomic`` (history rows attributed to the importing user).  Owner defaults to the importer's
organisation; the district defaults to the one containing the point.
"""

import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from simple_history.utils import bulk_create_with_history

from citysafe.core.audit import acting_as
from citysafe.core.geo import valid_lon_lat
from citysafe.core.models import Organization, Region
from citysafe.core.roles import can_write, is_municipal
from citysafe.core.scoping import organization_in_scope
from citysafe.workplans.excel import RowError

from .errors import PermissionDenied, ResourceError
from .models import MAX_COUNT, MAX_STOCK, Resource, ResourceKind, ResourceStatus, StockItem
from .selectors import can_manage, resources_for
from .services import locate, text_errors

STOCK_SHEET = "储备物资"
RESOURCE_HEADERS: dict[str, list[str]] = {
    "kind": ["类型", "资源类型"],
    "name": ["名称", "资源名称"],
    "code": ["编号", "资源编号"],
    "region": ["区县", "所在区县", "区划代码"],
    "organization": ["所属单位", "管理单位", "单位"],
    "lon": ["经度", "lon", "lng"],
    "lat": ["纬度", "lat"],
    "address": ["地址", "详细地址"],
    "status": ["状态"],
    "specialty": ["专业类别", "队伍类型", "装备类别"],
    "headcount": ["人数", "队伍人数"],
    "equipment": ["主要装备", "装备"],
    "quantity": ["数量"],
    "capacity": ["容量", "容纳人数", "床位"],
    "occupancy": ["已安置", "已安置人数"],
    "contact_name": ["联系人"],
    "contact_phone": ["联系电话", "电话"],
    "notes": ["备注"],
}
RESOURCE_REQUIRED = ["kind", "name", "lon", "lat"]
STOCK_HEADERS: dict[str, list[str]] = {
    "depot": ["储备库", "储备库名称"],
    "item": ["物资名称", "物资"],
    "quantity": ["数量"],
    "unit": ["单位"],
    "expires_on": ["有效期至", "有效期"],
    "minimum": ["最低储备量", "最低库存"],
}
STOCK_REQUIRED = ["depot", "item", "quantity"]
INT_FIELDS = {"headcount", "quantity", "capacity", "occupancy", "minimum"}
KIND_WORDS = {k.value: {k.value, str(k.label)} for k in ResourceKind} | {
    "team": {"team", "救援队伍", "队伍", "救援队"}, "depot": {"depot", "物资储备库", "储备库", "仓库"},
    "shelter": {"shelter", "应急避难场所", "避难场所"}, "helipad": {"helipad", "直升机起降点", "起降点"},
    "medical": {"medical", "医疗救护点", "医疗点", "医院"}, "equipment": {"equipment", "救援装备", "装备"}}
STATUS_WORDS = {"available": {"available", "可用", "在岗", "正常"}, "unavailable": {"unavailable", "不可用", "维修", "停用"}}
# "已调派" is set only by dispatch (``dispatch.py``); an imported resource is available or not.
DISPATCHED_WORDS = {"dispatched", "已调派", "执行任务"}


def _norm(text) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or ""))).strip("*").lower()


def _lookup(words: dict[str, set[str]]) -> dict[str, str]:
    return {_norm(w): key for key, variants in words.items() for w in variants}


@dataclass
class ImportOutcome:
    errors: list[RowError] = field(default_factory=list)
    resources: int = 0
    stock: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _columns(header_row, headers) -> dict[str, tuple[int, str]]:
    by_header = {_norm(h): name for name, variants in headers.items() for h in variants}
    found = {}
    for index, value in enumerate(header_row):
        name = by_header.get(_norm(value))
        if name and name not in found:
            found[name] = (index, str(value).strip())
    return found


def _rows(ws, headers, required, sheet_prefix, errors):
    """Yield (excel row number, {field: (value, header)}) for non-empty rows; missing columns become errors."""
    rows = list(ws.iter_rows(values_only=True))
    if not rows:
        return
    columns = _columns(rows[0], headers)
    missing = [f for f in required if f not in columns]
    for name in missing:
        errors.append(RowError(1, sheet_prefix + headers[name][0], _("缺少必填列")))
    if missing:
        return
    for number, values in enumerate(rows[1:], start=2):
        if all(v in (None, "") for v in values):
            continue
        yield number, {name: (values[i] if i < len(values) else None, sheet_prefix + header)
                       for name, (i, header) in columns.items()}


def _int(value, limit=MAX_COUNT):
    """A whole number in 0..limit, None for a blank cell; ValueError otherwise (also inf, nan, 1e20)."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueError
    try:
        number = float(value)
        if number != int(number) or not 0 <= number <= limit:
            raise ValueError
    except OverflowError:  # int(inf)
        raise ValueError from None
    return int(number)


def _int_message(limit) -> str:
    return _("应为 0 到 %(n)s 之间的整数") % {"n": f"{limit:,}"}


DATE_RE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")


def _date(value):
    """A date cell, or text such as 2026-12-31, 2027/1/1, 2027.1.1 or 2027年1月1日; ValueError otherwise."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    match = DATE_RE.fullmatch(str(value).strip())
    if not match:
        raise ValueError
    return dt.date(*map(int, match.groups()))


def _check_resource(number, row, user, ctx, errors) -> Resource | None:
    before = len(errors)

    def error(name, message):
        errors.append(RowError(number, row[name][1] if name in row else RESOURCE_HEADERS[name][0], message))

    def text(name):
        value = row.get(name, (None, ""))[0]
        return "" if value is None else str(value).strip()

    fields = {}
    for name in RESOURCE_REQUIRED:
        if not text(name):
            error(name, _("必填"))
    kind = ctx["kinds"].get(_norm(text("kind"))) if text("kind") else None
    if text("kind") and kind is None:
        error("kind", _("未知类型: %(v)s") % {"v": text("kind")})
    status = ResourceStatus.AVAILABLE
    if text("status"):
        status = ctx["statuses"].get(_norm(text("status")))
        if _norm(text("status")) in ctx["dispatched"]:
            error("status", _("“已调派”状态只能由调度设置，请填写“可用”或“不可用”"))
        elif status is None:
            error("status", _("未知状态: %(v)s") % {"v": text("status")})
    strings = {k: text(k) for k in ("code", "address", "specialty", "equipment", "contact_name", "contact_phone",
                                    "notes") if k in row}
    for name, message in text_errors({**strings, "name": text("name")}):
        error(name, message)
    try:
        lon = float(text("lon")) if text("lon") else None
        lat = float(text("lat")) if text("lat") else None
        if lon is not None and lat is not None and not valid_lon_lat(lon, lat):
            raise ValueError
    except ValueError:
        error("lon", _("经纬度无效"))
        lon = lat = None
    located = None
    if lon is not None and lat is not None:
        try:
            located = locate(lon, lat)
        except ResourceError as exc:
            error("lon", str(exc))
    for name in sorted(INT_FIELDS & set(row) - {"minimum"}):
        try:
            fields[name] = _int(row[name][0])
        except (TypeError, ValueError):
            error(name, _int_message(MAX_COUNT))
    # The API's rule: only when both are given.
    if fields.get("occupancy") is not None and fields.get("capacity") is not None \
            and fields["occupancy"] > fields["capacity"]:
        error("occupancy", _("已安置人数超过容量"))
    if text("region"):
        region = ctx["regions"].get(text("region"))
        if region is None:
            error("region", _("未知区县: %(v)s") % {"v": text("region")})
        elif located is not None and region.adcode != located.adcode:
            error("region", _("所在区县与经纬度不符：该点位于%(r)s") % {"r": located.name})
    owner = ctx["default_owner"]
    if text("organization"):
        owner = ctx["orgs"].get(text("organization"))
        if owner is None:
            error("organization", _("未知单位: %(v)s") % {"v": text("organization")})
    if owner is not None and not is_municipal(user) and not organization_in_scope(user, owner.pk):
        error("organization", _("不能为本单位范围以外的单位登记资源"))
    if owner is None and not is_municipal(user) and not text("organization"):
        error("organization", _("必填"))
    name = text("name")
    if kind and name and (kind, name) in ctx["existing"]:
        error("name", _("已登记同类型同名资源"))
    elif kind and name and (kind, name) in ctx["in_file"]:
        error("name", _("与第 %(row)s 行重复（同类型同名资源）") % {"row": ctx["in_file"][kind, name]})
    elif kind and name:
        ctx["in_file"][kind, name] = number
    if kind == ResourceKind.DEPOT and name:
        ctx["depots_in_file"].add(name)  # a repeated depot name is reported just above
    if len(errors) > before:
        return None
    return Resource(kind=kind, name=name, lon=lon, lat=lat, status=status, region=located, organization=owner,
                    **strings, **{k: v for k, v in fields.items() if v is not None})


def _check_stock(number, row, depots, errors) -> tuple[str, dict] | None:
    before = len(errors)
    values = {name: value for name, (value, _header) in row.items()}

    def error(name, message):
        errors.append(RowError(number, row[name][1] if name in row else STOCK_SHEET + "!" + STOCK_HEADERS[name][0],
                               message))

    depot = str(values.get("depot") or "").strip()
    item = str(values.get("item") or "").strip()
    if not depot:
        error("depot", _("必填"))
    elif depot not in depots:
        error("depot", _("未知储备库或无权修改: %(v)s") % {"v": depot})
    if not item:
        error("item", _("必填"))
    unit = str(values.get("unit") or "").strip()
    for name, value in (("item", item), ("unit", unit)):
        limit = StockItem._meta.get_field(name).max_length
        if len(value) > limit:
            error(name, _("%(field)s 不能超过 %(n)s 个字符")
                  % {"field": StockItem._meta.get_field(name).verbose_name, "n": limit})
    parsed = {}
    for name in ("quantity", "minimum"):
        try:
            parsed[name] = _int(values.get(name), MAX_STOCK) or 0
        except (TypeError, ValueError):
            error(name, _int_message(MAX_STOCK))
    if values.get("quantity") in (None, ""):
        error("quantity", _("必填"))
    try:
        parsed["expires_on"] = _date(values.get("expires_on"))
    except (TypeError, ValueError):
        error("expires_on", _("日期无效，应为 2026-12-31 或 2026/12/31"))
    if len(errors) > before:
        return None
    return depot, {"item": item, "unit": unit, **parsed}


def _context(user) -> dict:
    regions = {}
    for region in Region.objects.order_by("valid_from"):  # the newest version of a code wins
        regions[region.name], regions[region.adcode] = region, region
    return {"kinds": _lookup(KIND_WORDS), "statuses": _lookup(STATUS_WORDS), "regions": regions,
            "dispatched": {_norm(w) for w in DISPATCHED_WORDS}, "in_file": {},
            "orgs": {o.name: o for o in Organization.objects.all()}, "depots_in_file": set(),
            # Re-importing the same ledger must not double the registry: (kind, name) already visible is an error.
            "existing": set(resources_for(user).values_list("kind", "name")),
            "default_owner": getattr(getattr(user, "profile", None), "organization", None)}


def import_resources(data: bytes, *, user) -> ImportOutcome:
    """Check then save a registry workbook (see module doc).  ``PermissionDenied`` for read-only users."""
    if not can_write(user):
        raise PermissionDenied(_("只读用户不能导入"))
    outcome = ImportOutcome()
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable upload is the same answer
        raise ResourceError(_("无法读取 Excel 文件(.xlsx)")) from None
    ctx = _context(user)
    sheets = [ws for ws in wb.worksheets if ws.title != STOCK_SHEET]
    new = []
    if sheets:
        for number, row in _rows(sheets[0], RESOURCE_HEADERS, RESOURCE_REQUIRED, "", outcome.errors):
            resource = _check_resource(number, row, user, ctx, outcome.errors)
            if resource is not None:
                new.append(resource)
    stock_rows = []
    if STOCK_SHEET in wb.sheetnames:
        # Stock of an existing depot is a stock-take: only its managers may overwrite it.
        existing = {d.name: d for d in resources_for(user, ResourceKind.DEPOT) if can_manage(user, d)}
        depots = set(existing) | ctx["depots_in_file"]
        seen = set()
        for number, row in _rows(wb[STOCK_SHEET], STOCK_HEADERS, STOCK_REQUIRED, STOCK_SHEET + "!", outcome.errors):
            checked = _check_stock(number, row, depots, outcome.errors)
            if checked:
                if (checked[0], checked[1]["item"]) in seen:
                    # row[...][1] is already sheet-qualified.
                    outcome.errors.append(RowError(number, row["item"][1], _("物资在文件中重复")))
                    continue
                seen.add((checked[0], checked[1]["item"]))
                stock_rows.append(checked)
    wb.close()
    if outcome.errors:
        return outcome
    with acting_as(user), transaction.atomic():
        created = bulk_create_with_history(new, Resource, default_user=user)
        by_name = existing if STOCK_SHEET in wb.sheetnames else {}
        by_name = {**by_name, **{r.name: r for r in created if r.kind == ResourceKind.DEPOT}}
        for depot_name, values in stock_rows:
            StockItem.objects.update_or_create(depot=by_name[depot_name], item=values.pop("item"), defaults=values)
    outcome.resources, outcome.stock = len(created), len(stock_rows)
    return outcome


def template_workbook() -> bytes:
    """An empty registry workbook: the resources sheet, the stock sheet and notes on allowed values."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("应急资源")
    bold = Font(bold=True)
    ws.append([v[0] + ("*" if k in RESOURCE_REQUIRED else "") for k, v in RESOURCE_HEADERS.items()])
    stock = wb.create_sheet(STOCK_SHEET)
    stock.append([v[0] + ("*" if k in STOCK_REQUIRED else "") for k, v in STOCK_HEADERS.items()])
    notes = wb.create_sheet(_("填写说明"))
    notes.append([_("列"), _("可填的值")])
    notes.append([_("类型"), ";".join("、".join(sorted(v)) for v in KIND_WORDS.values())])
    notes.append([_("状态"), ";".join("、".join(sorted(v)) for v in STATUS_WORDS.values())])
    notes.append([_("区县"), _("区县名称或区划代码；为空时按经纬度确定，填写时须与经纬度所在区县一致；经纬度须在本市范围内")])
    notes.append([_("所属单位"), _("为空时为导入人所在单位")])
    notes.append([_("经度/纬度"), _("WGS84")])
    notes.append([STOCK_SHEET, _("储备库填写本文件或已登记的储备库名称；有效期至如 2026-12-31 或 2026/12/31")])
    for sheet in (ws, stock, notes):
        for cell in sheet[1]:
            cell.font = bold
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
