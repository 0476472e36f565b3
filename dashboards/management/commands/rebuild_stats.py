import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from dashboards import aggregation


class Command(BaseCommand):
    help = "Rebuild the dashboard figures (DailyStat) of the last N days, or of --from/--to (dates, WIB)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=2, help="how many days up to today (default 2)")
        parser.add_argument("--from", dest="first", type=dt.date.fromisoformat, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="last", type=dt.date.fromisoformat, help="last day, YYYY-MM-DD")

    def handle(self, *args, days, first, last, **options):
        if first or last:
            last = last or aggregation.stats_date(dt.datetime.now(dt.UTC))
            first = first or last
            if first > last:
                raise CommandError("--from must not be after --to")
            rows = aggregation.rebuild_range(first, last)
        else:
            if days < 1:
                raise CommandError("--days must be at least 1")
            rows = aggregation.rebuild_recent(days=days)
        if options["verbosity"]:
            self.stdout.write(f"{rows} baris statistik ditulis.")
