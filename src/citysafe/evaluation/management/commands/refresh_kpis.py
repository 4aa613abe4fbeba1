import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from citysafe.evaluation import kpi_services
from citysafe.workplans.errors import WorkplanError


class Command(BaseCommand):
    help = "Compute the linked KPIs from the records and record them against the current plans' targets."

    def add_arguments(self, parser):
        parser.add_argument("--date", default=None, help="as-of date YYYY-MM-DD (default today)")
        parser.add_argument("--link", action="store_true", help="first link unlinked KPI targets by metric text")

    def handle(self, *args, **options):
        try:
            today = kpi_services.parse_as_of(options["date"]) if options["date"] else None
            if options["link"]:
                from citysafe.workplans.models import WorkPlan

                year = (today or dt.date.today()).year
                for plan in WorkPlan.objects.filter(is_current=True, year=year):
                    kpi_services.link_plan_kpis(plan)
            count = kpi_services.refresh_current_plans(today)
        except WorkplanError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"refreshed {count} KPI targets")
