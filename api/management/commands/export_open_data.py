from django.core.management.base import BaseCommand

from api import opendata


class Command(BaseCommand):
    help = "Write today's open-data files (CSV and JSON) into OPEN_DATA_ROOT; the beat task does the same daily."

    def handle(self, *args, **options):
        path = opendata.export()
        self.stdout.write(f"{path} {path.with_suffix('.json')}")
