from datetime import timedelta

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from accounts.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print it (it is stored hashed and shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="A label to recognise the token by.")
        parser.add_argument(
            "--scope", choices=["full", "read", "create"], default="full", help="What it may do."
        )
        parser.add_argument(
            "--group", action="append", default=[], help="Where a create token may create."
        )
        parser.add_argument("--expires-days", type=int, default=None, help="Expire after N days.")

    def handle(self, *args, username, name, scope, group, expires_days, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}") from None
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive")
        groups = list(Group.objects.filter(name__in=group))
        missing = set(group) - {g.name for g in groups}
        if missing:
            raise CommandError(f"No such group: {', '.join(sorted(missing))}")
        if scope == "create" and not groups:
            raise CommandError("A create token needs at least one --group")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        _, raw = api_token_create(
            user=user, name=name, scope=scope, groups=groups, expires_at=expires_at
        )
        self.stdout.write(raw)
