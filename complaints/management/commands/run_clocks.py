"""manage.py run_clocks [--now ISO] [--loop SECONDS]: the deadline sweep without Celery beat."""

import datetime as dt
import logging
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from complaints import escalation, notifications

log = logging.getLogger(__name__)


def sweep_outboxes() -> dict:
    """Embedded mode's stand-in for the beat's outbox sweeps: the notification mails and the
    webhook deliveries (with their retries, after a growing pause) leave from this loop, never from
    the request that wrote them. A failure is logged and left for the next pass."""
    from api import webhooks

    result = {}
    for name, sweep in (("mails", notifications.deliver_pending), ("webhooks", webhooks.embedded_sweep)):
        try:
            result[name] = sweep()
        except Exception:
            log.warning("The %s outbox sweep failed; the next pass tries again", name, exc_info=True)
            result[name] = "failed"
    return result


class Command(BaseCommand):
    help = "Sweep due deadline clocks: reminders, escalations, auto-complete and expiry (exactly once each)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Pretend it is this moment (ISO 8601, e.g. 2026-03-02T09:00+08:00).")
        parser.add_argument("--loop", type=float, metavar="SECONDS", help="Repeat every SECONDS until stopped.")
        parser.add_argument("--digests", action="store_true", help="Also send the daily digests.")

    def handle(self, *args, now=None, loop=None, digests=False, **options):
        moment = None
        if now:
            moment = parse_datetime(now)
            if moment is None:
                raise CommandError(f"--now: not an ISO date-time: {now!r}")
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        if loop is not None and loop <= 0:
            raise CommandError("--loop must be a positive number of seconds")
        while True:
            summary = escalation.run_clocks(moment)
            line = f"{timezone.now():%Y-%m-%d %H:%M:%S} run_clocks {summary.as_dict()}"
            if digests:
                line += f" digests={escalation.send_daily_digests(moment)}"
            if loop is not None:
                # Embedded mode has no beat: the messaging channels are polled and swept here too.
                from channels import delivery

                line += f" channels={delivery.run_once()} outboxes={sweep_outboxes()}"
            self.stdout.write(line)
            if loop is None:
                return
            try:
                time.sleep(loop)
            except KeyboardInterrupt:
                return
            if moment is not None:
                moment += dt.timedelta(seconds=loop)
