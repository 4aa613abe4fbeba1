"""CSV / XLSX export of any table through django-import-export (tablib): one helper for every list and API.

``table_response(headers, rows, name, fmt)`` exports computed rows (KPIs, scorecards); ``queryset_response(resource,
queryset, name, fmt)`` exports model rows through an ``import_export.resources.ModelResource``.  ``fmt`` is "csv" or
"xlsx"; anything else raises ``ValueError`` (callers turn it into a 400).  CSV is UTF-8 with a BOM so that Excel
opens Chinese text correctly.
"""

import tablib
from django.http import HttpResponse

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _check(fmt: str) -> str:
    fmt = (fmt or "csv").lower()
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"unsupported export format: {fmt} (csv or xlsx)")
    return fmt


def _response(dataset: tablib.Dataset, name: str, fmt: str) -> HttpResponse:
    fmt = _check(fmt)
    body = dataset.export(fmt)
    if fmt == "csv":
        body = "\ufeff" + body
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f"attachment; filename=\"{name}.{fmt}\""
    return response


def table_response(headers: list[str], rows: list[list], name: str, fmt: str = "csv") -> HttpResponse:
    """Rows of plain values (str, int, float, date, None) as a CSV or XLSX download."""
    dataset = tablib.Dataset(*[list(r) for r in rows], headers=[str(h) for h in headers], title=name[:31])
    return _response(dataset, name, fmt)


def queryset_response(resource, queryset, name: str, fmt: str = "csv") -> HttpResponse:
    """Model rows through an import-export ``ModelResource`` (its fields and verbose names) as CSV or XLSX."""
    dataset = resource.export(queryset=queryset)
    dataset.title = name[:31]
    return _response(dataset, name, fmt)
