"""Excel import: template round trip, row/column errors, all or nothing, duplicates."""

import io

from openpyxl import Workbook, load_workbook

from citysafe.records import importing
from citysafe.records.models import AccidentRecord, DisasterReport


def _xlsx(columns, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append([h for h, _f in columns])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _row(**changes):
    base = {"category": "生产安全事故", "title": "高处坠落", "occurred_on": "2026-03-01", "region": "渝中区",
            "industry": "建设施工暨既有房屋领域", "organization": "", "grade": "一般", "deaths": 1, "missing": 0,
            "serious_injuries": 0, "injuries": 0, "direct_loss_yuan": 1500000, "is_secondary": "否",
            "burned_forest_ha": "", "note": ""}
    base.update(changes)
    return [base[f] for _h, f in importing.RECORD_COLUMNS]


def test_template_has_the_columns():
    sheet = load_workbook(io.BytesIO(importing.records_template())).active
    assert [c.value for c in sheet[1]] == [h for h, _f in importing.RECORD_COLUMNS]
    sheet = load_workbook(io.BytesIO(importing.disaster_template())).active
    assert [c.value for c in sheet[1]] == [h for h, _f in importing.DISASTER_COLUMNS]


def test_import_records(admin_user):
    data = _xlsx(importing.RECORD_COLUMNS, [
        _row(), _row(title="森林火灾", category="森林火灾", burned_forest_ha=2.5, deaths=0, industry="", grade=""),
        _row(title="停电", category="blackout", region="500101", deaths=0)])
    result = importing.import_records(admin_user, data)
    assert result.ok and result.created == 3
    fire = AccidentRecord.objects.get(title="森林火灾")
    assert fire.category == "forest_fire" and fire.burned_forest_ha == 2.5 and fire.source == "import"
    # the same file again: every row is a duplicate, nothing new, no error
    again = importing.import_records(admin_user, data)
    assert again.ok and again.created == 0 and [d["row"] for d in again.duplicates] == [2, 3, 4]
    assert AccidentRecord.objects.count() == 3


def test_errors_name_row_and_column_and_nothing_is_saved(admin_user):
    data = _xlsx(importing.RECORD_COLUMNS, [
        _row(title="好的一行"), _row(title="坏日期", occurred_on="2026-13-01"), _row(title="负数", deaths=-2),
        _row(title="未知区县", region="火星区"), _row(title="好的一行")])
    result = importing.import_records(admin_user, data)
    assert not result.ok and result.created == 0
    assert [(e["row"], e["column"]) for e in result.errors] == [
        (3, "发生日期"), (4, "死亡"), (5, "区县"), (6, "名称")]
    assert not AccidentRecord.objects.exists()


def test_scope_in_import(yuzhong):
    result = importing.import_records(yuzhong, _xlsx(importing.RECORD_COLUMNS, [_row(region="万州区")]))
    assert not result.ok and result.errors[0]["row"] == 2
    assert not AccidentRecord.objects.exists()


def test_bad_files(admin_user):
    assert importing.import_records(admin_user, b"not a workbook").errors
    book = Workbook()
    book.active.append(["名称"])
    out = io.BytesIO()
    book.save(out)
    result = importing.import_records(admin_user, out.getvalue())
    assert "缺少列" in result.errors[0]["message"]


def _disaster_row(**changes):
    base = {f: 0 for _h, f in importing.DISASTER_COLUMNS} | {"region": "万州区", "stage": "初报",
                                                             "reported_at": "2026-01-02 10:00", "note": ""}
    base.update(changes)
    return [base[f] for _h, f in importing.DISASTER_COLUMNS]


def test_import_disaster_reports(admin_user, event):
    start = event.start_date.isoformat()
    rows = [_disaster_row(reported_at=f"{start} 10:00", affected_population=100),
            _disaster_row(stage="续报", reported_at=f"{start} 20:00", affected_population=200),
            _disaster_row(stage="核报", reported_at=f"{start} 23:00", affected_population=210,
                          crop_affected_ha=10, crop_disaster_ha=5, crop_failed_ha=1)]
    result = importing.import_disaster_reports(admin_user, event, _xlsx(importing.DISASTER_COLUMNS, rows))
    assert result.ok and result.created == 3
    assert DisasterReport.objects.filter(event=event).count() == 3


def test_disaster_import_is_all_or_nothing(admin_user, event):
    start = event.start_date.isoformat()
    rows = [_disaster_row(reported_at=f"{start} 10:00", affected_population=100),
            _disaster_row(stage="续报", reported_at=f"{start} 20:00", crop_affected_ha=1, crop_disaster_ha=2),
            _disaster_row(stage="终报", reported_at=f"{start} 21:00")]
    result = importing.import_disaster_reports(admin_user, event, _xlsx(importing.DISASTER_COLUMNS, rows))
    assert result.created == 0 and not DisasterReport.objects.exists()
    assert [(e["row"], e["column"]) for e in result.errors] == [(3, "农作物成灾面积(公顷)"), (4, "报送阶段")]
