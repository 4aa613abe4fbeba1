"""Rows of every records table for CSV / XLSX export (``citysafe.core.exports.table_response``); pages and the
API share them so that a download shows what the list shows.  Shapes: ``(headers, rows)``."""

from django.utils import timezone
from django.utils.translation import gettext as _

from .services import INDICATORS


def _label(model, name):
    return str(model._meta.get_field(name).verbose_name)


def records_table(qs):
    from .models import AccidentRecord as M

    names = ["category", "title", "occurred_on", "region", "industry", "organization", "grade", "deaths", "missing",
             "serious_injuries", "injuries", "direct_loss_yuan", "is_secondary", "burned_forest_ha", "source"]
    headers = [_("编号")] + [_label(M, n) for n in names]
    rows = [[r.pk, r.get_category_display(), r.title, r.occurred_on, str(r.region or ""), str(r.industry or ""),
             str(r.organization or ""), r.grade, r.deaths, r.missing, r.serious_injuries, r.injuries,
             float(r.direct_loss_yuan), _("是") if r.is_secondary else _("否"), r.burned_forest_ha,
             r.get_source_display()] for r in qs]
    return headers, rows


def reports_table(reports):
    from .models import DisasterReport as M

    headers = [_("灾害过程"), _label(M, "region"), _label(M, "stage"), _label(M, "reported_at")] + \
        [_label(M, n) for n in INDICATORS] + [_label(M, "note")]
    rows = [[r.event.title, r.region.name, r.get_stage_display(),
             timezone.localtime(r.reported_at).strftime("%Y-%m-%d %H:%M")] +
            [float(getattr(r, n)) for n in INDICATORS] + [r.note] for r in reports]
    return headers, rows


def events_table(events):
    from .models import DisasterEvent as M

    headers = [_("编号")] + [_label(M, n) for n in ("title", "hazard_type", "start_date", "end_date",
                                                  "is_mass_casualty_responsibility")]
    rows = [[e.pk, e.title, e.hazard_type, e.start_date, e.end_date,
             _("是") if e.is_mass_casualty_responsibility else _("否")] for e in events]
    return headers, rows


def statistics_table(stats):
    from .models import DisasterReport as M

    headers = [_("区县"), _("区划代码"), _("灾害过程数")] + [_label(M, n) for n in INDICATORS]
    rows = [[r["region"], r["adcode"], r["events"]] + [float(r[n]) for n in INDICATORS] for r in stats["rows"]]
    rows.append([_("合计"), "", stats["total"]["events"]] + [float(stats["total"][n]) for n in INDICATORS])
    return headers, rows


def figures_table(figures):
    from .models import SourceFigure as M

    headers = [_label(M, n) for n in ("subject", "metric", "source_kind", "source_organization", "value",
                                      "reported_at", "note")]
    rows = [[f.subject, f.metric, f.get_source_kind_display(), str(f.source_organization or ""), f.value,
             timezone.localtime(f.reported_at).strftime("%Y-%m-%d %H:%M"), f.note] for f in figures]
    return headers, rows


def discrepancies_table(items):
    from .models import Discrepancy as M

    headers = [_("编号")] + [_label(M, n) for n in ("subject", "metric", "region", "values", "spread", "tolerance",
                                                  "status", "resolved_value", "resolution", "resolved_at")]
    rows = [[d.pk, d.subject, d.metric, str(d.region or ""),
             "；".join(f"{v['source_kind']}{(' ' + v['organization']) if v.get('organization') else ''}="
                      f"{v['value']:g}" for v in d.values),
             d.spread, d.tolerance, d.get_status_display(), d.resolved_value, d.resolution,
             timezone.localtime(d.resolved_at).strftime("%Y-%m-%d %H:%M") if d.resolved_at else ""] for d in items]
    return headers, rows
