"""Train a new version of the routing model from the history of dispatched reports.

python manage.py train_routing [--limit 200000]
"""

from django.core.management.base import BaseCommand

from complaints import routing_model


class Command(BaseCommand):
    help = "Melatih model saran disposisi dari riwayat laporan yang sudah didisposisikan."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=routing_model.TRAIN_MAX, help="laporan terbaru yang dipakai")

    def handle(self, *args, **opts):
        model = routing_model.train(opts["limit"])
        if model is None:
            self.stdout.write(self.style.WARNING("Riwayat disposisi belum cukup; model tidak dilatih."))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Model v{model.pk}: {model.trained_on} laporan, {model.categories} kategori, "
                f"{len(model.artifact) / 1e6:.1f} MB, {model.seconds:.0f} s"
            )
        )
