"""The shared CSV/XLSX export helper."""

import io

import pytest
from openpyxl import load_workbook

from citysafe.core.exports import table_response


def test_csv_has_a_bom_and_the_rows():
    response = table_response(["区县", "数值"], [["渝中区", 3], ["万州区", 0.5]], "kpi", "csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff区县,数值") and "渝中区,3" in text
    assert response["Content-Disposition"] == 'attachment; filename="kpi.csv"'


def test_xlsx_opens_with_openpyxl():
    response = table_response(["区县", "数值"], [["渝中区", 3]], "kpi", "xlsx")
    ws = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in ws[1]] == ["区县", "数值"] and ws["A2"].value == "渝中区" and ws["B2"].value == 3


def test_unknown_format_is_refused():
    with pytest.raises(ValueError):
        table_response(["a"], [[1]], "x", "pdf")


def test_formulas_in_text_are_neutralised_in_both_formats():
    rows = [['=HYPERLINK("http://evil.example","点我")', -3, "@SUM(A1)", "正常"]]
    text = table_response(["a", "b", "c", "d"], rows, "x", "csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM" in text and ",-3," in text
    ws = load_workbook(io.BytesIO(table_response(["a", "b", "c", "d"], rows, "x", "xlsx").content)).active
    assert ws["A2"].data_type == "s" and ws["A2"].value.startswith("'=") and ws["B2"].value == -3
