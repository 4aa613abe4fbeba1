"""Demo hook (``citysafe demo``): link the seed plan's KPI targets and compute them from the demo records.

Run after ``records.demo.prepare`` so the records exist.  Idempotent: links are kept, the day's system report is
updated in place.
"""

from django.utils import timezone

from citysafe.workplans.models import WorkPlan

from . import kpi_services


def prepare(admin) -> dict:
    """Link and refresh the KPI targets of the current plan of this year (or the latest current plan)."""
    today = timezone.localdate()
    plan = (WorkPlan.objects.filter(is_current=True, year=today.year).first()
            or WorkPlan.objects.filter(is_current=True).order_by("-year").first())
    if plan is None:
        return {"linked KPI targets": 0, "refreshed": 0}
    links = kpi_services.link_plan_kpis(plan, user=admin)
    # A plan of a later year has no records yet; a past plan is computed as of its 31 December.
    done = kpi_services.refresh_kpi_targets(plan, today, user=admin) if plan.year <= today.year else []
    return {"linked KPI targets": len(links), "refreshed": len(done)}
