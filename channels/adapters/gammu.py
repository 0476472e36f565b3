"""SMS through Gammu SMSD's SQL backend (the gateway Indonesian agencies run with a GSM modem).

LAPOR reads Gammu's `inbox` table (rows with Processed = 'false', stored once as "gammu:<ID>",
then marked processed), writes answers into its `outbox` (CreatorID "lapor:<message id>", so a
retried send finds its own row instead of sending twice) and reads delivery reports back from
`sentitems`. The tables are Gammu's own schema (Debian's gammu-smsd ships it under
/usr/share/doc/gammu-smsd/examples/); SQLite and PostgreSQL databases are supported."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit

from django.conf import settings

from complaints.models import Channel

from .. import sms
from ..conversation import Inbound, store

# Parts of a concatenated SMS still missing after this long (seconds) are given up: the rest is read.
MULTIPART_WAIT = 600

# sentitems.Status → our delivery state
STATUSES = {
    "SendingOK": "sent",
    "SendingOKNoReport": "sent",
    "DeliveryPending": "sent",
    "DeliveryUnknown": "sent",
    "DeliveryOK": "delivered",
    "SendingError": "failed",
    "DeliveryFailed": "failed",
    "Error": "failed",
}


class GammuAdapter:
    channel = Channel.SMS

    def __init__(self, url: str | None = None):
        self.url = url or settings.LAPOR_SMS_GAMMU_DATABASE_URL
        self.parts = urlsplit(self.url)

    @contextmanager
    def connect(self):
        """A short connection to Gammu's database; yields (connection, placeholder)."""
        if self.parts.scheme == "sqlite":
            path = self.url.split("://", 1)[1]
            path = path[1:] if path.startswith("//") else path
            conn = sqlite3.connect(path, timeout=settings.LAPOR_CHANNEL_TIMEOUT)
            mark = "?"
        else:
            import psycopg2

            conn = psycopg2.connect(
                host=self.parts.hostname,
                port=self.parts.port or 5432,
                user=unquote(self.parts.username or ""),
                password=unquote(self.parts.password or ""),
                dbname=self.parts.path.lstrip("/"),
                connect_timeout=settings.LAPOR_CHANNEL_TIMEOUT,
            )
            mark = "%s"
        try:
            yield conn, mark
            conn.commit()
        finally:
            conn.close()

    def poll(self) -> int:
        """Store every unprocessed inbox SMS once, then mark Gammu's rows processed. The parts of a
        concatenated SMS (one row each, joined by their UDH) become one message when all have come,
        or after MULTIPART_WAIT with a gap marked where a part is still missing."""
        new = 0
        with self.connect() as (conn, q):
            cur = conn.cursor()
            cur.execute(
                f'SELECT "ID", "SenderNumber", "TextDecoded", "UDH", "ReceivingDateTime" <= {self.stale_before()} '
                'FROM inbox WHERE "Processed" = \'false\' ORDER BY "ID"'
            )
            for ids, sender, text in joined(cur.fetchall()):
                inbound = Inbound(
                    channel=Channel.SMS,
                    address=sender,
                    text=text,
                    provider_id=f"gammu:{ids[0]}",
                    data={"gateway": "gammu", "parts": len(ids)} if len(ids) > 1 else {"gateway": "gammu"},
                )
                if store(inbound) is not None:
                    new += 1
                # Stored (or stored before): Gammu's rows are done. A crash before this line only
                # means the next poll meets them again and the redelivery is dropped.
                marks = ", ".join([q] * len(ids))
                cur.execute(f'UPDATE inbox SET "Processed" = \'true\' WHERE "ID" IN ({marks})', ids)
                conn.commit()
        return new

    def stale_before(self) -> str:
        """SQL for "MULTIPART_WAIT ago" on the Gammu database's own clock (its timestamps are its own)."""
        if self.parts.scheme == "sqlite":
            return f"datetime('now', '-{MULTIPART_WAIT} seconds')"
        return f"LOCALTIMESTAMP - interval '{MULTIPART_WAIT} seconds'"

    def send(self, message) -> str:
        """One outbox row per message; a text longer than one SMS goes as Gammu's multipart message
        (the first part in outbox, the others in outbox_multipart, each with its concatenation
        header), which the citizen's phone shows as one message."""
        creator = f"lapor:{message.pk}"
        with self.connect() as (conn, q):
            cur = conn.cursor()
            for table in ("outbox", "sentitems"):
                cur.execute(f'SELECT "ID" FROM {table} WHERE "CreatorID" = {q}', (creator,))
                row = cur.fetchone()
                if row is not None:
                    return f"gammu:{row[0]}"  # written by an earlier attempt that died before recording it
            kind, parts = sms.segments(message.text)
            coding = sms.CODING[kind]
            total = len(parts)
            udh = [sms.concat_udh(message.pk, total, n) for n in range(1, total + 1)] if total > 1 else [""]
            cur.execute(
                'INSERT INTO outbox ("DestinationNumber", "TextDecoded", "Coding", "UDH", "MultiPart", "CreatorID", '
                f"\"DeliveryReport\") VALUES ({q}, {q}, {q}, {q}, {q}, {q}, 'yes')",
                (self.number(message.address), parts[0], coding, udh[0], "true" if total > 1 else "false", creator),
            )
            cur.execute(f'SELECT "ID" FROM outbox WHERE "CreatorID" = {q}', (creator,))
            outbox_id = cur.fetchone()[0]
            for position in range(2, total + 1):
                cur.execute(
                    'INSERT INTO outbox_multipart ("ID", "SequencePosition", "TextDecoded", "Coding", "UDH") '
                    f"VALUES ({q}, {q}, {q}, {q}, {q})",
                    (outbox_id, position, parts[position - 1], coding, udh[position - 1]),
                )
            return f"gammu:{outbox_id}"

    def number(self, address: str) -> str:
        return "+" + address if address and not address.startswith("+") else address

    def refresh_statuses(self) -> int:
        """Delivery reports: sentitems rows of our messages still waiting for one."""
        from ..delivery import record_status
        from ..models import Message

        waiting = dict(
            Message.objects.filter(
                channel=Channel.SMS,
                direction=Message.Direction.OUT,
                state=Message.State.SENT,
                provider_id__startswith="gammu:",
            ).values_list("provider_id", "pk")[:500]
        )
        if not waiting:
            return 0
        ids = [int(p.split(":", 1)[1]) for p in waiting]
        changed = 0
        with self.connect() as (conn, q):
            cur = conn.cursor()
            marks = ", ".join([q] * len(ids))
            cur.execute(f'SELECT "ID", "Status" FROM sentitems WHERE "ID" IN ({marks})', ids)
            for row_id, status in cur.fetchall():
                state = STATUSES.get(status)
                if state and state != "sent":
                    changed += record_status(Channel.SMS, f"gammu:{row_id}", state, error=status)
        return changed


def joined(rows) -> list[tuple[list[int], str, str]]:
    """Gammu's inbox rows (ID, sender, text, UDH, stale) as messages: (row ids, sender, text). A
    single SMS is one message; the parts of a concatenated one are joined in their order once all
    have come, or once the oldest is stale (a part lost on the network must not hold the rest
    forever: the gap is marked "[…]"); until then they wait in Gammu's inbox."""
    messages, groups = [], {}
    for row_id, sender, text, udh, stale in rows:
        header = sms.parse_udh(udh)
        if header is None:
            messages.append(([row_id], sender, text or ""))
            continue
        reference, total, sequence = header
        group = groups.setdefault((sender, reference, total), {"parts": {}, "ids": [], "stale": False})
        group["parts"].setdefault(sequence, text or "")
        group["ids"].append(row_id)
        group["stale"] = group["stale"] or bool(stale)
    for (sender, _reference, total), group in groups.items():
        complete = all(n in group["parts"] for n in range(1, total + 1))
        if not (complete or group["stale"]):
            continue
        text = "".join(group["parts"].get(n, " […] ") for n in range(1, total + 1))
        messages.append((sorted(group["ids"]), sender, text.strip()))
    return sorted(messages, key=lambda m: m[0][0])
