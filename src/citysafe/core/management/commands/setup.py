from django.core.management.base import BaseCommand

from citysafe.core.services import migrate_all, setup_reference_data


class Command(BaseCommand):
    help = "Migrate the database and load the reference data (roles, regions, organisations). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args, **options):
        if not options["no_migrate"]:
            migrate_all()
        result = setup_reference_data()
        self.stdout.write(self.style.SUCCESS(f"reference data ready: {result}"))
