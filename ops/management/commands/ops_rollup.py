"""Backfill the dashboard's daily rollups (the beat job keeps only today and yesterday fresh)."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from ops.rollup import refresh_open_snapshot, rollup_day, today


class Command(BaseCommand):
    help = "Recompute the dashboard's daily rollups for the last N days and the open-task counts."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=90, help="How many days back (default 90).")

    def handle(self, *args, days, **options):
        if not 1 <= days <= 3660:
            raise CommandError("--days must be from 1 to 3660")
        end = today()
        for offset in range(days - 1, -1, -1):
            rollup_day(end - timedelta(days=offset))
        rows = refresh_open_snapshot()
        self.stdout.write(f"Rolled up {days} day(s) up to {end}; {rows} open-count row(s).")
