from django.core.management.base import BaseCommand

from citysafe.workplans.services import propose_supervisions, refresh_statuses


class Command(BaseCommand):
    help = "Re-evaluate every target's status and propose supervision items for lagging targets."

    def handle(self, *args, **options):
        count = refresh_statuses()
        proposed = propose_supervisions()
        self.stdout.write(f"evaluated {count} targets; proposed {len(proposed)} supervision items")
