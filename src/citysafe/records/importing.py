"""Excel import of accident records and of disaster reports (openpyxl), all or nothing.

Shape: ``import_records(user, data: bytes) -> ImportResult`` and ``import_disaster_reports(user, event, data)``.
Every row is checked first; any error (reported with its row number and column header) means nothing is saved.
Accident records that already exist (same category, name, date and district) are *duplicates*: reported and
skipped, not errors; a row repeated inside the file is an error.  Templates: ``records_template(user)`` /
``disaster_template(user)`` return .xlsx bytes: the first sheet (the one imported) has only the header row; the
example row — in the user's own district — is on a second sheet "示例", which the importer never reads.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from citysafe.core.models import Organization, Region
from citysafe.hazards.models import Industry

from . import services
from .errors import PermissionDenied, RecordError
from .models import RecordCategory, RecordSource, ReportStage

MAX_ROWS = 10_000
MAX_BYTES = 20 * 1024 * 1024
CATEGORY_LABELS = {str(label): value for value, label in RecordCategory.choices} | {
    value: value for value in RecordCategory.values}
STAGE_LABELS = {str(label): value for value, label in ReportStage.choices} | {v: v for v in ReportStage.values}
GRADE_LABELS = {"一般": "ordinary", "较大": "large", "重大": "major", "特别重大": "especially_major",
                **{g: g for g in services.GRADES}}
YES = {"是", "y", "yes", "true", "1", "√"}

# (header, field) in template order.
RECORD_COLUMNS = [
    ("类别", "category"), ("名称", "title"), ("发生日期", "occurred_on"), ("区县", "region"),
    ("行业领域", "industry"), ("事发单位", "organization"), ("等级", "grade"), ("死亡", "deaths"),
    ("失踪", "missing"), ("重伤", "serious_injuries"), ("受伤(含重伤)", "injuries"),
    ("直接经济损失(元)", "direct_loss_yuan"), ("次生衍生责任事故", "is_secondary"),
    ("受害森林面积(公顷)", "burned_forest_ha"), ("说明", "note")]
DISASTER_COLUMNS = [
    ("区县", "region"), ("报送阶段", "stage"), ("报送时间", "reported_at"),
    ("受灾人口(人次)", "affected_population"), ("因灾死亡人口", "deaths"), ("因灾失踪人口", "missing"),
    ("已落实监测措施的灾害点死亡人数", "deaths_at_monitored_points"), ("紧急转移安置人口(人次)", "relocated"),
    ("需紧急生活救助人口(人次)", "needing_aid"), ("倒塌房屋(间)", "collapsed_rooms"),
    ("严重损坏房屋(间)", "severely_damaged_rooms"), ("一般损坏房屋(间)", "generally_damaged_rooms"),
    ("农作物受灾面积(公顷)", "crop_affected_ha"), ("农作物成灾面积(公顷)", "crop_disaster_ha"),
    ("农作物绝收面积(公顷)", "crop_failed_ha"), ("直接经济损失(万元)", "direct_loss_10k_yuan"), ("说明", "note")]


@dataclass
class ImportResult:
    created: int = 0
    duplicates: list[dict] = field(default_factory=list)   # [{"row", "title"}]
    errors: list[dict] = field(default_factory=list)       # [{"row", "column", "message"}]

    @property
    def ok(self) -> bool:
        return not self.errors


def _template(columns, example) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = str(_("填报"))
    sample = book.create_sheet(str(_("示例")))
    for target in (sheet, sample):
        target.append([header for header, _f in columns])
        for cell in target[1]:
            target.column_dimensions[cell.column_letter].width = max(10, len(str(cell.value)) * 2)
    sample.append(example)
    sample.append([str(_("（示例行，仅供参考，不会被导入；请在第一个工作表“填报”中填写。）"))])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _example_district(user) -> str:
    """The name of a district the user may report for (their own), for the example row."""
    regions = services.writable_regions(user) if user is not None else None
    profile = getattr(user, "profile", None)
    if profile is not None and profile.region_id and profile.region.level in ("district", "zone"):
        return profile.region.name
    if regions is not None:
        org = profile.organization if profile is not None and profile.organization_id else None
        if org is not None and org.region_id and org.region.level in ("district", "zone"):
            return org.region.name
        first = regions.first()
        if first is not None:
            return first.name
    return "渝中区"


def records_template(user=None) -> bytes:
    return _template(RECORD_COLUMNS, ["生产安全事故", "示例：某工地高处坠落", "2026-03-01", _example_district(user),
                                      "建设施工暨既有房屋领域", "", "一般", 1, 0, 0, 0, 1500000, "否", "", ""])


def disaster_template(user=None) -> bytes:
    return _template(DISASTER_COLUMNS, [_example_district(user), "初报", "2026-06-20 10:00", 1200, 0, 0, 0, 300,
                                        100, 2, 5, 20, 80.5, 30, 5, 120.5, ""])


def _rows(data: bytes, columns):
    """(header map, iterator of (row number, {field: value})); raises RecordError for an unreadable file."""
    if len(data) > MAX_BYTES:
        raise RecordError(_("文件过大（不超过 20 MB）。"))
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError):
        raise RecordError(_("无法读取 Excel 文件（请使用 .xlsx 模板）。")) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(v).strip() if v is not None else "" for v in next(rows, ())]
    known = {h: f for h, f in columns}
    missing = [h for h, f in columns if h not in header and f not in ("note",)]
    if missing:
        raise RecordError(_("缺少列：%(c)s") % {"c": "、".join(missing)})
    index = {known[h]: i for i, h in enumerate(header) if h in known}

    def generate():
        for number, values in enumerate(rows, start=2):
            if number - 1 > MAX_ROWS:
                raise RecordError(_("行数超过 %(n)s。") % {"n": MAX_ROWS})
            if values is None or all(v is None or str(v).strip() == "" for v in values):
                continue
            yield number, {f: (values[i] if i < len(values) else None) for f, i in index.items()}
    return generate()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _region(value) -> Region:
    text = _text(value)
    region = (Region.objects.filter(adcode=text).order_by("-valid_from").first()
              or Region.objects.filter(name=text).order_by("-valid_from").first())
    if region is None:
        raise RecordError(_("未知区县：%(v)s") % {"v": text}, "region")
    return region


def _record_fields(raw: dict) -> dict:
    fields = {}
    category = _text(raw.get("category")) or RecordCategory.ACCIDENT
    if category not in CATEGORY_LABELS:
        raise RecordError(_("未知类别：%(v)s") % {"v": category}, "category")
    fields["category"] = CATEGORY_LABELS[category]
    fields["title"] = _text(raw.get("title"))
    fields["occurred_on"] = raw.get("occurred_on") if isinstance(raw.get("occurred_on"), (dt.date, dt.datetime)) \
        else _text(raw.get("occurred_on"))
    if _text(raw.get("region")):
        fields["region"] = _region(raw["region"])
    industry = _text(raw.get("industry"))
    if industry:
        found = Industry.objects.filter(name=industry).first() or Industry.objects.filter(code=industry).first()
        if found is None:
            raise RecordError(_("未知行业领域：%(v)s") % {"v": industry}, "industry")
        fields["industry"] = found
    org = _text(raw.get("organization"))
    if org:
        found = Organization.objects.filter(name=org).first()
        if found is None:
            raise RecordError(_("未知单位：%(v)s（请先登记单位）") % {"v": org}, "organization")
        fields["organization"] = found
    grade = _text(raw.get("grade"))
    if grade and grade not in GRADE_LABELS:
        raise RecordError(_("未知等级：%(v)s") % {"v": grade}, "grade")
    fields["grade"] = GRADE_LABELS.get(grade, "")
    for name in ("deaths", "missing", "serious_injuries", "injuries", "direct_loss_yuan", "burned_forest_ha",
                 "note"):
        if raw.get(name) not in (None, ""):
            fields[name] = raw[name] if name != "note" else _text(raw[name])
    fields["is_secondary"] = _text(raw.get("is_secondary")).lower() in YES
    return fields


def import_records(user, data: bytes) -> ImportResult:
    """Import accident records (source "import"); see the module docstring for errors and duplicates."""
    result = ImportResult()
    header = dict((f, h) for h, f in RECORD_COLUMNS)
    try:
        rows = list(_rows(data, RECORD_COLUMNS))
    except RecordError as exc:
        result.errors.append({"row": 1, "column": "", "message": str(exc)})
        return result
    if len(rows) > MAX_ROWS:
        result.errors.append({"row": 1, "column": "", "message": _("行数超过 %(n)s。") % {"n": MAX_ROWS}})
        return result
    planned, seen = [], {}
    for number, raw in rows:
        try:
            fields = _record_fields(raw)
            if not fields["title"]:
                raise RecordError(_("请填写名称。"), "title")
            if not fields["occurred_on"]:
                raise RecordError(_("请填写发生日期。"), "occurred_on")
            cleaned = services.clean_record_fields(services.apply_record_defaults(user, fields))
            probe = services.AccidentRecord(**cleaned)
            services.check_write_scope(user, probe)
        except RecordError as exc:
            result.errors.append({"row": number, "column": header.get(exc.field or "", ""), "message": str(exc)})
            continue
        except PermissionDenied as exc:
            column = header.get(getattr(exc, "field", None) or "region", header["region"])
            result.errors.append({"row": number, "column": column, "message": str(exc)})
            continue
        key = (cleaned["category"], cleaned["title"], cleaned["occurred_on"], cleaned.get("region"))
        if key in seen:
            result.errors.append({"row": number, "column": header["title"],
                                  "message": _("与第 %(r)s 行重复。") % {"r": seen[key]}})
            continue
        seen[key] = number
        if services.find_duplicate(*key):
            result.duplicates.append({"row": number, "title": cleaned["title"]})
            continue
        planned.append(cleaned)
    if result.errors:
        return result
    with transaction.atomic():
        for cleaned in planned:
            services.create_record(user=user, source=RecordSource.IMPORT, check_duplicate=False, **cleaned)
    result.created = len(planned)
    return result


def import_disaster_reports(user, event, data: bytes) -> ImportResult:
    """Import report versions of ``event`` in file order (each checked by ``services.add_disaster_report``, inside
    one transaction: the first error rolls everything back, and every row's error is still listed)."""
    result = ImportResult()
    header = dict((f, h) for h, f in DISASTER_COLUMNS)
    try:
        rows = list(_rows(data, DISASTER_COLUMNS))
    except RecordError as exc:
        result.errors.append({"row": 1, "column": "", "message": str(exc)})
        return result

    class _Rollback(Exception):
        """Undoes the whole import after every row's error has been listed."""

    try:
        with transaction.atomic():
            for number, raw in rows:
                try:
                    stage = _text(raw.get("stage"))
                    if stage not in STAGE_LABELS:
                        raise RecordError(_("报送阶段只能是初报、续报或核报。"), "stage")
                    at = raw.get("reported_at")
                    if at not in (None, "") and not isinstance(at, dt.datetime):
                        try:
                            at = dt.datetime.fromisoformat(_text(at))
                        except ValueError:
                            raise RecordError(_("报送时间格式无效（应为 YYYY-MM-DD HH:MM）。"), "reported_at") from None
                    indicators = {f: raw.get(f) for f in services.INDICATORS}
                    with transaction.atomic():
                        services.add_disaster_report(user=user, event=event, region=_region(raw.get("region")),
                                                     stage=STAGE_LABELS[stage], reported_at=at or None,
                                                     note=_text(raw.get("note")), **indicators)
                    result.created += 1
                except (RecordError, PermissionDenied) as exc:
                    result.errors.append({"row": number, "column": header.get(getattr(exc, "field", None) or "",
                                                                               header["region"]),
                                          "message": str(exc)})
            if result.errors:
                raise _Rollback
    except _Rollback:
        result.created = 0
    return result
