from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from citysafe.workplans.errors import WorkplanError
from citysafe.workplans.services import import_plan


class Command(BaseCommand):
    help = "Import a work-points document (text, HTML, DOCX, PDF) as a work plan; re-importing never duplicates."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--year", type=int, default=None)
        parser.add_argument("--expand-groups", action="store_true",
                            help="replace groups such as 各区县政府 by their member organisations")
        parser.add_argument("--user", default=None, help="username recorded as the importer")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no such user: {options['user']}")
        bar = tqdm(total=0, unit="task", desc="import", disable=options["verbosity"] == 0, file=self.stderr._out)

        def progress(done, total):
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            result = import_plan(path.read_bytes(), path.name, year=options["year"], user=user,
                                 expand_groups=options["expand_groups"], progress=progress)
        except WorkplanError as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()
        plan = result.plan
        if result.unchanged:
            self.stdout.write(f"unchanged: {plan} (id {plan.pk}) was already imported from the same file")
        else:
            kind = "new version" if result.new_version else "imported"
            self.stdout.write(self.style.SUCCESS(f"{kind}: {plan} v{plan.version} (id {plan.pk})"))
        self.stdout.write("counts: " + ", ".join(f"{k}={v}" for k, v in result.counts.items()))
        if result.created_organizations:
            self.stdout.write(self.style.WARNING("created organisations (check and merge): " +
                                                 "、".join(result.created_organizations)))
