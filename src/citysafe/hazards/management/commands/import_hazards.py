import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from citysafe.hazards.errors import HazardError, PermissionDenied
from citysafe.hazards.importing import import_file
from citysafe.hazards.models import ImportJob


class Command(BaseCommand):
    help = ("Import an Excel hazard ledger or risk-point list; every row is checked first and nothing is saved "
            "when any row has an error.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--kind", choices=[k.value for k in ImportJob.Kind], default=ImportJob.Kind.HAZARDS)
        parser.add_argument("--mapping", default=None,
                            help='JSON file {"header in the file": "field or default header"} for other headers')
        parser.add_argument("--user", default=None, help="username recorded as the importer (scope and audit)")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        mapping = None
        if options["mapping"]:
            try:
                mapping = json.loads(Path(options["mapping"]).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(f"cannot read mapping {options['mapping']}: {exc}") from None
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no such user: {options['user']}")
        bar = tqdm(total=0, unit="row", desc="import", disable=options["verbosity"] == 0, file=self.stderr._out)

        def progress(done, total):
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            outcome = import_file(options["kind"], path.read_bytes(), user=user, mapping=mapping, progress=progress,
                                  filename=path.name)
        except (HazardError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()
        if outcome.errors:
            for error in outcome.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(outcome.errors)} error(s); nothing was saved")
        self.stdout.write(self.style.SUCCESS(f"imported {outcome.saved} {options['kind']}"))
        self.stdout.write("counts: " + ", ".join(f"{k}={v}" for k, v in outcome.counts.items()))
