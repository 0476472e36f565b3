"""How good the routing model is: top-1/top-3 accuracy on held-out history, and acceptance.

python manage.py routing_accuracy [--limit 20000]
"""

from django.core.management.base import BaseCommand

from complaints import routing_model


def _pct(value) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


class Command(BaseCommand):
    help = "Mengukur ketepatan model saran disposisi (top-1/top-3) dan tingkat penerimaan verifikator."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=20_000, help="laporan uji (disisihkan dari pelatihan)")

    def handle(self, *args, **opts):
        result = routing_model.accuracy(opts["limit"])
        if result["version"] is None:
            self.stdout.write(self.style.WARNING("Belum ada model; jalankan `manage.py train_routing`."))
        else:
            self.stdout.write(f"model v{result['version']}, held-out reports: {result['held_out']}")
            self.stdout.write(f"category: top-1 {_pct(result['category_top1'])}, top-3 {_pct(result['category_top3'])}")
            self.stdout.write(f"agency:   top-1 {_pct(result['agency_top1'])}, top-3 {_pct(result['agency_top3'])}")
        self.stdout.write(
            f"accepted by verifiers: category {_pct(result['category_accepted_rate'])} "
            f"of {result['category_accepted_decisions']}, agency {_pct(result['agency_accepted_rate'])} "
            f"of {result['agency_accepted_decisions']}"
        )
