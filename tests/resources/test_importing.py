"""Excel import: errors by row and column, nothing half-imported, stock sheet, template, scoping."""

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from citysafe.resources.errors import PermissionDenied
from citysafe.resources.importing import STOCK_SHEET, import_resources, template_workbook
from citysafe.resources.models import Resource, StockItem

HEADER = ["类型*", "名称*", "经度*", "纬度*", "区县", "所属单位", "人数", "容量", "已安置", "联系电话", "状态"]


def workbook(rows, stock=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    if stock is not None:
        sheet = wb.create_sheet(STOCK_SHEET)
        sheet.append(["储备库", "物资名称", "数量", "单位", "有效期至", "最低储备量"])
        for row in stock:
            sheet.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


GOOD = [
    ["救援队伍", "渝中区消防救援站", 106.57, 29.55, "渝中区", None, 40, None, None, "13812345678", "可用"],
    ["物资储备库", "渝中区物资库", 106.58, 29.56, "500103", None, None, None, None, None, None],
    ["应急避难场所", "人民广场避难场所", 106.55, 29.56, None, None, None, 2000, 100, None, None],
]


@pytest.mark.django_db
def test_import_all_good(yuzhong):
    outcome = import_resources(workbook(GOOD, stock=[["渝中区物资库", "帐篷", 120, "顶", dt.date(2030, 1, 1), 50]]),
                               user=yuzhong)
    assert outcome.ok, outcome.errors
    assert (outcome.resources, outcome.stock) == (3, 1)
    team = Resource.objects.get(name="渝中区消防救援站")
    assert team.organization.name == "渝中区政府" and team.region.adcode == "500103" and team.headcount == 40
    assert team.history.first().history_user == yuzhong
    assert Resource.objects.get(name="人民广场避难场所").region.adcode == "500103"  # located by point
    assert StockItem.objects.get(item="帐篷").quantity == 120
    again = import_resources(workbook(GOOD), user=yuzhong)
    assert {(e.row, e.column) for e in again.errors} == {(2, "名称*"), (3, "名称*"), (4, "名称*")}
    assert Resource.objects.count() == 3


@pytest.mark.django_db
def test_import_errors_by_row_and_column_nothing_saved(yuzhong):
    rows = GOOD + [
        ["火箭", "未知类型", 106.5, 29.5, None, None, None, None, None, None, None],           # row 5
        ["救援队伍", "坏坐标", 206.5, 29.5, None, None, None, None, None, None, None],         # row 6
        ["救援队伍", "负人数", 106.5, 29.5, None, None, -3, None, None, None, None],           # row 7
        ["应急避难场所", "超员", 106.5, 29.5, None, None, None, 10, 20, None, None],           # row 8
        ["救援队伍", "别区单位", 106.5, 29.5, None, "万州区政府", None, None, None, None, None],  # row 9
        ["救援队伍", None, 106.5, 29.5, "火星区", None, None, None, None, None, "坏了"],       # row 10
    ]
    stock = [["不存在的库", "帐篷", 1, "顶", None, None], ["渝中区物资库", "水", "很多", "箱", "明年", None]]
    outcome = import_resources(workbook(rows, stock=stock), user=yuzhong)
    got = {(e.row, e.column) for e in outcome.errors}
    assert got == {(5, "类型*"), (6, "经度*"), (7, "人数"), (8, "已安置"), (9, "所属单位"), (10, "名称*"),
                   (10, "区县"), (10, "状态"), (2, f"{STOCK_SHEET}!储备库"), (3, f"{STOCK_SHEET}!数量"),
                   (3, f"{STOCK_SHEET}!有效期至")}
    assert "第 5 行" in str(outcome.errors[0])
    assert not Resource.objects.exists() and not StockItem.objects.exists()


@pytest.mark.django_db
def test_missing_column_and_bad_file(yuzhong, viewer):
    wb = Workbook()
    wb.active.append(["名称", "经度"])
    buffer = io.BytesIO()
    wb.save(buffer)
    outcome = import_resources(buffer.getvalue(), user=yuzhong)
    assert {(e.row, e.column) for e in outcome.errors} == {(1, "类型"), (1, "纬度")}
    from citysafe.resources.errors import ResourceError

    with pytest.raises(ResourceError):
        import_resources(b"not excel", user=yuzhong)
    with pytest.raises(PermissionDenied):
        import_resources(workbook(GOOD), user=viewer)


@pytest.mark.django_db
def test_template_round_trip(yuzhong):
    wb = load_workbook(io.BytesIO(template_workbook()))
    assert wb.sheetnames[:2] == ["应急资源", STOCK_SHEET]
    assert wb.active["A1"].value == "类型*"
    outcome = import_resources(template_workbook(), user=yuzhong)
    assert outcome.ok and outcome.resources == 0


@pytest.mark.django_db
def test_stock_of_existing_depot_only_by_its_managers(yuzhong, wanzhou, make_resource):
    depot = make_resource("渝中区物资库", kind="depot")
    StockItem.objects.create(depot=depot, item="帐篷", quantity=10)
    outcome = import_resources(workbook([], stock=[["渝中区物资库", "帐篷", 99, "顶", None, None]]), user=wanzhou)
    assert [(e.row, e.column) for e in outcome.errors] == [(2, f"{STOCK_SHEET}!储备库")]
    assert StockItem.objects.get().quantity == 10
    outcome = import_resources(workbook([], stock=[["渝中区物资库", "帐篷", 99, "顶", None, None]]), user=yuzhong)
    assert outcome.ok and StockItem.objects.get().quantity == 99
