"""CSV / XLSX export of any table through django-import-export (tablib): one helper for every list and API.

``table_response(headers, rows, name, fmt)`` exports computed rows (KPIs, scorecards); ``queryset_response(resource,
queryset, name, fmt)`` exports model rows through an ``import_export.resources.ModelResource``.  ``fmt`` is "csv" or
"xlsx"; anything else raises ``ValueError`` (callers turn it into a 400).  CSV is UTF-8 with a BOM so that Excel
opens Chinese text correctly.
"""

import tablib
from django.http import HttpResponse
from django.utils.http import content_disposition_header

# Cells starting with these are formulas to Excel / LibreOffice: prefix a quote so user text is never executed
# (OWASP "CSV Injection" guidance).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _check(fmt: str) -> str:
    fmt = (fmt or "csv").lower()
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"unsupported export format: {fmt} (csv or xlsx)")
    return fmt


def neutralise(value):
    """A text cell that a spreadsheet would read as a formula, quoted; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _safe(dataset: tablib.Dataset) -> tablib.Dataset:
    safe = tablib.Dataset(*[[neutralise(v) for v in row] for row in dataset], headers=dataset.headers,
                          title=dataset.title)
    return safe


def _response(dataset: tablib.Dataset, name: str, fmt: str) -> HttpResponse:
    fmt = _check(fmt)
    dataset = _safe(dataset)
    body = dataset.export(fmt)
    if fmt == "csv":
        body = "\ufeff" + body
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    # RFC 6266 header via Django: quotes/escapes the name and adds filename*= for non-ASCII (Chinese) names.
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.{fmt}")
    return response


# Excel refuses worksheet titles longer than 31 characters (openpyxl raises on them).
SHEET_TITLE_MAX = 31


def table_response(headers: list[str], rows: list[list], name: str, fmt: str = "csv") -> HttpResponse:
    """Rows of plain values (str, int, float, date, None) as a CSV or XLSX download."""
    dataset = tablib.Dataset(*[list(r) for r in rows], headers=[str(h) for h in headers], title=name[:SHEET_TITLE_MAX])
    return _response(dataset, name, fmt)


def queryset_response(resource, queryset, name: str, fmt: str = "csv") -> HttpResponse:
    """Model rows through an import-export ``ModelResource`` (its fields and verbose names) as CSV or XLSX."""
    dataset = resource.export(queryset=queryset)
    dataset.title = name[:SHEET_TITLE_MAX]
    return _response(dataset, name, fmt)
