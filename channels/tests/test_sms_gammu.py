"""SMS end to end through Gammu SMSD's SQL tables, created from the schema Debian's gammu-smsd ships;
and, where gammu-smsd is installed, with the real daemon on its dummy phone driver."""

import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from channels import delivery
from channels.models import Message
from channels.tests.staff import verify_and_answer_in_admin
from complaints import workflow
from complaints.models import Channel, Report, Status

SCHEMA = Path("/usr/share/doc/gammu-smsd/examples/sqlite.sql")
CITIZEN = "+6281234500002"
# CI (.ci/run installs gammu-smsd and its schema, and runs on PostgreSQL) never skips: a missing
# piece fails there instead.
IN_CI = os.environ.get("CI") == "true"
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not SCHEMA.exists() and not IN_CI, reason="Gammu's SQL schema is missing (apt-get install gammu-smsd)"
    ),
]


@pytest.fixture
def gammu(settings, tmp_path):
    db = tmp_path / "smsd.db"
    conn = sqlite3.connect(db)
    conn.executescript(SCHEMA.read_text())
    conn.close()
    settings.LAPOR_SMS_BACKEND = "gammu"
    settings.LAPOR_SMS_GAMMU_DATABASE_URL = f"sqlite:///{db}"
    return Phone(db)


class Phone:
    """What Gammu SMSD does with its tables: a received SMS lands in inbox; an outbox row is sent and
    moves to sentitems with its delivery report."""

    def __init__(self, db):
        self.db = db
        self.seen = 0

    def sql(self, query, params=()):
        conn = sqlite3.connect(self.db)
        try:
            rows = conn.execute(query, params).fetchall()
            conn.commit()
            return rows
        finally:
            conn.close()

    def receive(self, text, sender=CITIZEN, udh=""):
        self.sql(
            "INSERT INTO inbox (SenderNumber, TextDecoded, Text, UDH, RecipientID, Coding) "
            "VALUES (?, ?, '', ?, 'lapor', ?)",
            (sender, text, udh, "Default_No_Compression"),
        )

    def outbox(self):
        """(ID, number, whole text, CreatorID) per outbox message, a multipart one's parts joined."""
        rows = []
        for row_id, number, text, creator in self.sql(
            'SELECT "ID", "DestinationNumber", "TextDecoded", "CreatorID" FROM outbox ORDER BY "ID"'
        ):
            rest = self.sql(
                'SELECT "TextDecoded" FROM outbox_multipart WHERE "ID" = ? ORDER BY "SequencePosition"', (row_id,)
            )
            rows.append((row_id, number, text + "".join(r[0] for r in rest), creator))
        return rows

    def deliver_outbox(self, status="DeliveryOK"):
        """Gammu sent every outbox message: each part moves to sentitems with its status; returns the texts."""
        rows = self.outbox()
        for row_id, number, _text, creator in rows:
            parts = self.sql('SELECT 1, "TextDecoded", "UDH" FROM outbox WHERE "ID" = ?', (row_id,)) + self.sql(
                'SELECT "SequencePosition", "TextDecoded", "UDH" FROM outbox_multipart WHERE "ID" = ?', (row_id,)
            )
            for position, text, udh in parts:
                self.sql(
                    "INSERT INTO sentitems (ID, SequencePosition, DestinationNumber, TextDecoded, Text, UDH, "
                    "SenderID, CreatorID, Status) VALUES (?, ?, ?, ?, '', ?, 'modem', ?, ?)",
                    (row_id, position, number, text, udh or "", creator, status),
                )
            self.sql('DELETE FROM outbox_multipart WHERE "ID" = ?', (row_id,))
            self.sql('DELETE FROM outbox WHERE "ID" = ?', (row_id,))
        return [text for _id, _n, text, _c in rows]


def cycle(committed):
    """One beat: poll Gammu's inbox, process, send into Gammu's outbox, read delivery reports."""
    return committed(delivery.run_once)


def test_citizen_files_by_sms_and_accepts_by_reply(gammu, committed, client, tree, national_admin, agency_admin):
    gammu.receive("Puskesmas tutup terus padahal jam buka, warga tidak bisa berobat")
    cycle(committed)
    assert not Report.objects.exists()
    asked = gammu.deliver_outbox()
    assert any("kabupaten/kota mana" in t for t in asked)
    parts = gammu.sql('SELECT "TextDecoded" FROM sentitems')
    assert all(len(t) <= 160 for (t,) in parts)  # one SMS each: long answers are concatenated SMS

    gammu.receive("Kabupaten Badung")
    cycle(committed)
    report = Report.objects.get()
    assert report.channel == Channel.SMS and report.regency.name == "Kabupaten Badung"
    texts = " ".join(gammu.deliver_outbox())
    assert report.tracking_no in texts
    cycle(committed)  # the delivery reports come back
    assert set(Message.objects.filter(direction="out").values_list("state", flat=True)) == {"delivered"}

    # Gammu hands the same inbox row again (Processed reset): nothing is filed or answered twice.
    gammu.sql("UPDATE inbox SET Processed = 'false'")
    cycle(committed)
    assert Report.objects.count() == 1 and gammu.outbox() == []

    # Staff verify and answer in the admin; the answer goes out by SMS.
    verify_and_answer_in_admin(
        client, committed, report, tree, national_admin, agency_admin, "Jadwal jaga sudah dibenahi mulai Senin."
    )
    cycle(committed)
    texts = " ".join(gammu.deliver_outbox())
    assert "Jadwal jaga sudah dibenahi" in texts and "TERIMA" in texts

    gammu.receive(f"TERIMA 4 {report.tracking_no}")
    cycle(committed)
    report.refresh_from_db()
    assert report.status == Status.COMPLETED and report.rating == 4
    assert "penilaian 4" in " ".join(gammu.deliver_outbox())

    # BELUM reopens the completed report within the window.
    gammu.receive("BELUM masih tutup hari ini")
    cycle(committed)
    report.refresh_from_db()
    assert report.status == Status.IN_PROGRESS and report.reopen_count == 1


def test_anonymous_sms_report_shows_no_number_to_the_agency(
    gammu, committed, client, tree, national_admin, agency_admin
):
    gammu.receive("ANONIM Pungutan liar di kantor kelurahan Kabupaten Badung saat mengurus KTP")
    cycle(committed)
    report = Report.objects.get()
    assert report.is_anonymous and report.reporter_contact == "6281234500002"
    committed(workflow.verify, report, by=national_admin)
    committed(workflow.dispatch, report, by=national_admin, to_agency=tree["badung"])

    client.force_login(agency_admin)
    page = client.get(reverse("admin:complaints_report_change", args=[report.pk])).content.decode()
    assert "channel-conversation" in page and "Pungutan liar" in page
    assert "6281234500002" not in page and "81234500002" not in page
    listing = client.get(reverse("admin:complaints_report_changelist")).content.decode()
    assert "81234500002" not in listing

    # National admins too see the number only through the justified, logged look (break-glass).
    client.force_login(national_admin)
    page = client.get(reverse("admin:complaints_report_change", args=[report.pk])).content.decode()
    assert "channel-conversation" in page and "6281234500002" not in page


def test_gateway_down_keeps_messages(gammu, committed, settings, tree):
    gammu.receive("Jembatan di Kabupaten Sleman retak parah dan berbahaya")
    real = settings.LAPOR_SMS_GAMMU_DATABASE_URL
    settings.LAPOR_SMS_GAMMU_DATABASE_URL = "sqlite:////nonexistent-dir/smsd.db"
    assert "error" in str(cycle(committed)["polled"]["sms"])
    settings.LAPOR_SMS_GAMMU_DATABASE_URL = real
    cycle(committed)
    report = Report.objects.get()
    # The answer was queued while Gammu's database was unreachable: it is sent once it is back.
    settings.LAPOR_SMS_GAMMU_DATABASE_URL = "sqlite:////nonexistent-dir/smsd.db"
    Message.objects.filter(direction="out").update(state="queued", next_attempt_at=None)
    cycle(committed)
    outs = Message.objects.filter(direction="out")
    assert all(m.state == "queued" and m.attempts >= 1 and m.next_attempt_at is not None for m in outs)
    settings.LAPOR_SMS_GAMMU_DATABASE_URL = real
    outs.update(next_attempt_at=None)
    cycle(committed)
    assert report.tracking_no in " ".join(gammu.deliver_outbox())


def test_concatenated_sms_parts_are_joined_into_one_message(gammu, committed, tree):
    """A long SMS arrives as one inbox row per part (UDH: reference, total, sequence), in any order:
    LAPOR waits for every part and files one report with the whole text."""
    text = (
        "Jalan utama menuju puskesmas di Kabupaten Badung rusak berat sejak musim hujan, banyak lubang "
        "dalam dan genangan air, ambulans harus memutar jauh dan warga lanjut usia kesulitan berobat setiap "
        "minggu, mohon segera diperbaiki."
    )
    first, second = text[:153], text[153:]
    gammu.receive(second, udh="0500032A0202")  # the second part comes first
    cycle(committed)
    assert not Message.objects.exists()  # the first part is still on its way
    assert gammu.sql("SELECT COUNT(*) FROM inbox WHERE Processed = 'false'") == [(1,)]

    gammu.receive(first, udh="0500032A0201")
    cycle(committed)
    message = Message.objects.get(direction="in")
    assert message.text == text and message.data["parts"] == 2
    report = Report.objects.get()
    assert report.body == text and report.regency.name == "Kabupaten Badung"
    assert gammu.sql("SELECT COUNT(*) FROM inbox WHERE Processed = 'false'") == [(0,)]

    # Gammu hands both parts again: nothing is stored or filed twice.
    gammu.sql("UPDATE inbox SET Processed = 'false'")
    cycle(committed)
    assert Message.objects.filter(direction="in").count() == 1 and Report.objects.count() == 1


def test_a_part_lost_on_the_network_does_not_hold_the_rest(gammu, committed, tree):
    """16-bit reference; part 2 of 3 never comes: after the wait the rest is read with the gap marked."""
    gammu.receive("Pungutan liar saat mengurus KTP di kantor kecamatan ", udh="060804BEEF0301")
    gammu.receive("Kota Denpasar, mohon ditindak.", udh="060804BEEF0303")
    cycle(committed)
    assert not Message.objects.exists()
    gammu.sql("UPDATE inbox SET ReceivingDateTime = datetime('now', '-11 minutes')")
    cycle(committed)
    message = Message.objects.get(direction="in")
    assert message.text == "Pungutan liar saat mengurus KTP di kantor kecamatan  […] Kota Denpasar, mohon ditindak."
    assert Report.objects.get().regency.name == "Kota Denpasar"


def test_long_answer_goes_as_one_gammu_multipart_message(gammu, committed, tree, national_admin, agency_admin):
    gammu.receive("Lampu jalan di Kabupaten Badung mati sejak seminggu lalu")
    cycle(committed)
    report = Report.objects.get()
    gammu.deliver_outbox()
    committed(workflow.verify, report, by=national_admin)
    committed(workflow.dispatch, report, by=national_admin, to_agency=tree["badung"])
    gammu.deliver_outbox()
    answer = "Petugas Dinas Perhubungan sudah memeriksa lokasi. " * 6  # ~300 characters
    committed(workflow.respond, report, by=agency_admin, note=answer.strip())
    cycle(committed)
    head = gammu.sql('SELECT "ID", "MultiPart", "UDH", "Coding", "TextDecoded" FROM outbox')
    assert len(head) == 1  # one message: the phone joins its parts
    outbox_id, multipart, udh, coding, first = head[0]
    parts = gammu.sql(
        'SELECT "SequencePosition", "UDH", "TextDecoded" FROM outbox_multipart WHERE "ID" = ? '
        'ORDER BY "SequencePosition"',
        (outbox_id,),
    )
    total = len(parts) + 1
    assert multipart == "true" and coding == "Default_No_Compression" and total >= 3
    assert udh == f"050003{udh[6:8]}{total:02X}01"
    assert [p[0] for p in parts] == list(range(2, total + 1))
    assert all(u == f"050003{udh[6:8]}{total:02X}{n:02X}" for n, u, _t in parts)
    assert all(len(t) <= 153 for t in [first] + [p[2] for p in parts])
    whole = first + "".join(p[2] for p in parts)
    assert answer.strip() in whole and "TERIMA" in whole and "“" not in whole  # plain quotes: GSM-7

    # Past LAPOR_SMS_MAX_PARTS the answer becomes numbered messages, each one multipart SMS at most.
    gammu.deliver_outbox()
    more = ("Tambahan keterangan petugas. " * 40).strip()
    committed(workflow.respond, report, by=agency_admin, note=more, again=True)
    cycle(committed)
    texts = [t for _id, _n, t, _c in gammu.outbox()]
    assert len(texts) >= 2 and texts[0].startswith("(1/") and all(len(t) <= 4 * 153 for t in texts)


GAMMU_SMSD = shutil.which("gammu-smsd")
PG_SCHEMA = SCHEMA.with_name("pgsql.sql")
DATABASE_URL = os.environ.get("DATABASE_URL", "")


def backup_file(sender: str, text: str) -> str:
    """An incoming SMS in Gammu's backup format, as its dummy phone driver reads it from a folder."""
    hexed = text.encode("utf-16-be").hex()
    return (
        f'[SMSBackup000]\nSMSC = "+6281100000"\nState = UnRead\nNumber = "{sender}"\nPDU = Deliver\n'
        f"DateTime = 20260105T090000\nCoding = Default\nFolder = 1\nText00 = {hexed}\n"
    )


@pytest.fixture
def gammu_pg(settings):
    """A PostgreSQL database of Gammu's own schema (pgsql.sql as Debian ships it), dropped afterwards."""
    import psycopg2
    from psycopg2.extensions import ISOLATION_LEVEL_AUTOCOMMIT

    parts = urlsplit(DATABASE_URL)
    name = f"test_gammu_{os.getpid()}"
    admin = psycopg2.connect(DATABASE_URL)
    admin.set_isolation_level(ISOLATION_LEVEL_AUTOCOMMIT)
    admin.cursor().execute(f"DROP DATABASE IF EXISTS {name}")
    admin.cursor().execute(f"CREATE DATABASE {name}")
    url = parts._replace(path=f"/{name}").geturl()
    try:
        conn = psycopg2.connect(url)
        schema = "\n".join(line for line in PG_SCHEMA.read_text().splitlines() if "CREATE LANGUAGE" not in line)
        conn.cursor().execute(schema)
        conn.commit()
        conn.close()
        settings.LAPOR_SMS_BACKEND = "gammu"
        settings.LAPOR_SMS_GAMMU_DATABASE_URL = url
        yield parts._replace(path=f"/{name}")
    finally:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


@pytest.mark.skipif(GAMMU_SMSD is None and not IN_CI, reason="gammu-smsd is not installed (apt-get install gammu-smsd)")
@pytest.mark.skipif(
    not DATABASE_URL.startswith("postgres") and not IN_CI,
    reason="the real gammu-smsd runs on PostgreSQL (native_pgsql driver): set DATABASE_URL",
)
def test_real_gammu_smsd_on_its_dummy_phone(gammu_pg, committed, tmp_path, tree):
    """The real daemon with its dummy phone (a folder of SMS files) and its native PostgreSQL driver:
    an SMS arriving on the phone is filed, the tracking number leaves through the phone."""
    dummy = tmp_path / "dummy"
    for folder in range(1, 6):
        (dummy / "sms" / str(folder)).mkdir(parents=True)
    config = tmp_path / "smsdrc"
    config.write_text(
        f"[gammu]\nmodel = dummy\nconnection = none\nport = {dummy}\n\n"
        f"[smsd]\nservice = sql\ndriver = native_pgsql\nhost = {gammu_pg.hostname}\nuser = {gammu_pg.username}\n"
        f"password = {gammu_pg.password}\ndatabase = {gammu_pg.path.lstrip('/')}\nlogfile = {tmp_path}/smsd.log\n"
        "debuglevel = 1\ncommtimeout = 1\nreceivefrequency = 1\nsendtimeout = 5\nloopsleep = 1\n"
        "checksecurity = 0\ncheckbattery = 0\ncheckSignal = 0\n"
    )
    (dummy / "sms" / "1" / "1").write_text(backup_file(CITIZEN, "Lampu jalan mati di Kabupaten Badung sejak sepekan"))
    smsd = subprocess.Popen([GAMMU_SMSD, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not Report.objects.exists():
            cycle(committed)
            time.sleep(0.5)
        report = Report.objects.get()
        assert report.channel == Channel.SMS and report.reporter_contact == CITIZEN.lstrip("+")
        deadline = time.monotonic() + 40
        sent = []
        while time.monotonic() < deadline and not sent:
            time.sleep(0.5)
            sent = sql_pg(
                gammu_pg.geturl(),
                'SELECT "DestinationNumber", "TextDecoded", "Status", "SequencePosition", "UDH" FROM sentitems '
                'ORDER BY "ID", "SequencePosition"',
            )
        assert sent, (tmp_path / "smsd.log").read_text()[-2000:]
        # The confirmation is longer than one SMS: the daemon sent LAPOR's multipart outbox as the
        # parts of one concatenated SMS, each with its header.
        assert [row[3] for row in sent] == list(range(1, len(sent) + 1)) and len(sent) >= 2, sent
        assert all(row[4].upper().startswith("050003") for row in sent)
        assert report.tracking_no in "".join(row[1] for row in sent)
        assert CITIZEN.lstrip("+") in sent[0][0]
    finally:
        smsd.terminate()
        smsd.wait(timeout=10)


def sql_pg(url, query):
    import psycopg2

    conn = psycopg2.connect(url)
    try:
        cur = conn.cursor()
        cur.execute(query)
        return cur.fetchall()
    finally:
        conn.close()
