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

from ..conversation import Inbound, store

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
        new = 0
        with self.connect() as (conn, q):
            cur = conn.cursor()
            cur.execute(
                'SELECT "ID", "SenderNumber", "TextDecoded" FROM inbox WHERE "Processed" = \'false\' ORDER BY "ID"'
            )
            for row_id, sender, decoded in cur.fetchall():
                inbound = Inbound(
                    channel=Channel.SMS,
                    address=sender,
                    text=decoded or "",
                    provider_id=f"gammu:{row_id}",
                    data={"gateway": "gammu"},
                )
                if store(inbound) is not None:
                    new += 1
                # Stored (or stored before): Gammu's row is done. A crash before this line only
                # means the next poll meets it again and the redelivery is dropped.
                cur.execute(f'UPDATE inbox SET "Processed" = \'true\' WHERE "ID" = {q}', (row_id,))
                conn.commit()
        return new

    def send(self, message) -> str:
        creator = f"lapor:{message.pk}"
        with self.connect() as (conn, q):
            cur = conn.cursor()
            for table in ("outbox", "sentitems"):
                cur.execute(f'SELECT "ID" FROM {table} WHERE "CreatorID" = {q}', (creator,))
                row = cur.fetchone()
                if row is not None:
                    return f"gammu:{row[0]}"  # written by an earlier attempt that died before recording it
            cur.execute(
                f'INSERT INTO outbox ("DestinationNumber", "TextDecoded", "Coding", "CreatorID", "DeliveryReport") '
                f"VALUES ({q}, {q}, {q}, {q}, 'yes')",
                (self.number(message.address), message.text, coding(message.text), creator),
            )
            cur.execute(f'SELECT "ID" FROM outbox WHERE "CreatorID" = {q}', (creator,))
            return f"gammu:{cur.fetchone()[0]}"

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


def coding(text: str) -> str:
    """GSM-7 where the text allows it, else UCS-2 (Gammu's Unicode coding)."""
    try:
        text.encode("ascii")
    except UnicodeEncodeError:
        return "Unicode_No_Compression"
    return "Default_No_Compression"
