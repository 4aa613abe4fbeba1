from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from citysafe.core.models import ApiToken


class Command(BaseCommand):
    help = "Issue an API token for a user and print its secret once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no such user: {options['username']}")
        token, raw = ApiToken.objects.issue(user, options["name"], options["days"])
        self.stdout.write(raw)
