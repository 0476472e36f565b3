"""E-mail end to end against a real IMAP server: Debian's dovecot-imapd, started on a free loopback
port by this test (skipped with the reason where dovecot is not installed). Answers leave through
Django's mail settings (the test's locmem backend)."""

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from django.core import mail

from channels import delivery
from channels.models import Message, MessageFile
from channels.tests.staff import verify_and_answer_in_admin
from complaints.models import Channel, Report, Status

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
CITIZEN = "ketut@example.test"
# CI (.ci/run installs dovecot-imapd) never skips: a missing server fails there instead.
IN_CI = os.environ.get("CI") == "true"
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        DOVECOT is None and not IN_CI, reason="dovecot is not installed (apt-get install dovecot-imapd)"
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def imap_server():
    """A throwaway dovecot with one mailbox (lapor / secret), stopped after the module. Its folder is
    outside pytest's private temp dir: dovecot's own processes must be able to read it."""
    root = Path(tempfile.mkdtemp(prefix="lapor-dovecot-"))
    root.chmod(0o755)
    port = free_port()
    if os.geteuid() == 0:
        owner = pwd.getpwnam("dovecot")  # mail is never accessed as root
        users = ""
    else:
        owner = pwd.getpwuid(os.geteuid())
        users = f"default_internal_user = {owner.pw_name}\ndefault_login_user = {owner.pw_name}\n"
    (root / "mail").mkdir()
    os.chown(root / "mail", owner.pw_uid, owner.pw_gid)
    (root / "users").write_text("lapor:{PLAIN}secret::::::\n")
    (root / "dovecot.conf").write_text(
        f"""protocols = imap
listen = 127.0.0.1
base_dir = {root}/run/
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = {owner.pw_uid}
{users}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""
    )
    server = subprocess.Popen([DOVECOT, "-F", "-c", str(root / "dovecot.conf")])
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                    pytest.fail(f"dovecot did not start: {log[-2000:]}")
                time.sleep(0.2)
        yield {"url": f"imap://lapor:secret@127.0.0.1:{port}/INBOX", "port": port}
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def mailbox(imap_server, settings):
    settings.LAPOR_EMAIL_IMAP_URL = imap_server["url"]
    settings.LAPOR_EMAIL_ADDRESS = "LAPOR <lapor@lapor.test>"
    box = Mailbox(imap_server["port"])
    box.clear()
    return box


class Mailbox:
    def __init__(self, port):
        self.port = port

    def _conn(self):
        conn = imaplib.IMAP4("127.0.0.1", self.port)
        conn.login("lapor", "secret")
        conn.select("INBOX")
        return conn

    def clear(self):
        conn = self._conn()
        conn.store("1:*", "+FLAGS", "\\Deleted") if conn.search(None, "ALL")[1][0] else None
        conn.expunge()
        conn.logout()

    def deliver(self, text, subject="Laporan", sender=CITIZEN, headers=None, message_id=None, attachments=()) -> str:
        msg = EmailMessage()
        msg["From"] = f"Ketut <{sender}>"
        msg["To"] = "lapor@lapor.test"
        msg["Subject"] = subject
        msg["Message-ID"] = message_id or make_msgid(domain="example.test")
        for name, value in (headers or {}).items():
            msg[name] = value
        msg.set_content(text)
        for filename, content_type, content in attachments:
            maintype, subtype = content_type.split("/")
            msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
        conn = self._conn()
        conn.append("INBOX", "", imaplib.Time2Internaldate(time.time()), msg.as_bytes())
        conn.logout()
        return msg["Message-ID"]

    def unseen(self) -> int:
        conn = self._conn()
        found = conn.search(None, "UNSEEN")[1][0].split()
        conn.logout()
        return len(found)


def cycle(committed):
    return committed(delivery.run_once)


def sent_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def test_citizen_files_by_email_and_accepts_by_reply(mailbox, committed, client, tree, national_admin, agency_admin):
    first = mailbox.deliver("Saluran air di depan rumah kami tersumbat sejak hujan minggu lalu.", subject="Saluran air")
    cycle(committed)
    assert mailbox.unseen() == 0 and not Report.objects.exists()
    question = sent_to(CITIZEN)[-1]
    assert "kabupaten/kota mana" in question.body
    assert question.extra_headers["In-Reply-To"] == first
    assert question.extra_headers["Auto-Submitted"] == "auto-replied"

    # The citizen answers LAPOR's question by replying to it (threaded by In-Reply-To).
    mailbox.deliver(
        "Kota Denpasar\n\n> Terima kasih. Di kabupaten/kota mana",
        subject="Re: Saluran air",
        headers={"In-Reply-To": question.extra_headers["Message-ID"]},
    )
    cycle(committed)
    report = Report.objects.get()
    assert report.channel == Channel.EMAIL and report.regency.name == "Kota Denpasar"
    assert report.title == "Saluran air" and "tersumbat" in report.body
    filed = sent_to(CITIZEN)[-1]
    assert report.tracking_no in filed.body and report.tracking_no in filed.subject

    # The same mail fetched again (flag lost): stored once, nothing filed twice.
    mailbox.deliver(
        "Saluran air di depan rumah kami tersumbat sejak hujan minggu lalu.", subject="Saluran air", message_id=first
    )
    count = len(mail.outbox)
    cycle(committed)
    assert Report.objects.count() == 1 and len(mail.outbox) == count

    # Staff verify and answer in the admin; the answer goes out by e-mail.
    verify_and_answer_in_admin(
        client, committed, report, tree, national_admin, agency_admin, "Petugas sudah membersihkan saluran."
    )
    answer = sent_to(CITIZEN)[-1]
    assert "Petugas sudah membersihkan saluran." in answer.body
    assert answer.extra_headers["Auto-Submitted"] == "auto-generated"

    # A reply found by the tracking number in the subject.
    mailbox.deliver(
        "TERIMA 5\n\nOn Mon, LAPOR wrote:\n> Jawaban", subject=f"Re: [LAPOR {report.tracking_no}] Laporan Anda"
    )
    cycle(committed)
    report.refresh_from_db()
    assert report.status == Status.COMPLETED and report.rating == 5


def test_auto_replies_and_bounces_are_never_answered(mailbox, committed, tree):
    mailbox.deliver("I am out of office until Monday.", headers={"Auto-Submitted": "auto-replied"})
    mailbox.deliver("Delivery failed for the message.", sender="MAILER-DAEMON@mx.example.test")
    mailbox.deliver("Saya sedang cuti.", headers={"Precedence": "bulk"})
    cycle(committed)
    assert mail.outbox == []
    assert list(Message.objects.values_list("state", flat=True)) == ["ignored"] * 3


def test_unknown_keyword_is_answered_with_help(mailbox, committed, tree):
    mailbox.deliver("DAFTAR")
    cycle(committed)
    assert "STATUS, TERIMA 1-5, BELUM" in sent_to(CITIZEN)[-1].body
    assert not Report.objects.exists()


def test_mailbox_down_loses_nothing(mailbox, committed, settings, tree):
    mailbox.deliver("Trotoar di Kabupaten Badung rusak dan membahayakan pejalan kaki.")
    good = settings.LAPOR_EMAIL_IMAP_URL
    settings.LAPOR_EMAIL_IMAP_URL = "imap://lapor:secret@127.0.0.1:1/INBOX"  # nothing listens there
    assert "error" in str(cycle(committed)["polled"]["email"])
    assert mailbox.unseen() == 1
    settings.LAPOR_EMAIL_IMAP_URL = good
    cycle(committed)
    assert Report.objects.count() == 1 and mailbox.unseen() == 0


def test_wrong_password_is_logged_and_retried(mailbox, committed, settings, imap_server):
    mailbox.deliver("Pasar Kabupaten Badung becek dan kotor setiap hari.")
    settings.LAPOR_EMAIL_IMAP_URL = imap_server["url"].replace(":secret@", ":wrong@")
    assert "error" in str(cycle(committed)["polled"]["email"])  # and no connection left open (filterwarnings)
    assert mailbox.unseen() == 1 and not Message.objects.exists()


def test_emailed_photo_is_cleaned_like_a_web_upload(mailbox, committed, tree):
    """An e-mailed photo becomes an attachment through the web form's checks: an Anonim reporter's
    photo loses all metadata, an ordinary report's public copy loses its location; the channel's own
    copy of the file (still with EXIF) is not kept."""
    from complaints.tests.test_attachment_metadata import assert_clean, has_gps, photo_bytes

    mailbox.deliver(
        "ANONIM Pungli di kantor kelurahan Kabupaten Badung, foto terlampir.",
        attachments=[("foto-budi.jpg", "image/jpeg", photo_bytes())],
    )
    mailbox.deliver(
        "Jalan berlubang di Kabupaten Sleman, fotonya saya lampirkan.",
        sender="wayan@example.test",
        attachments=[("jalan.jpg", "image/jpeg", photo_bytes())],
    )
    cycle(committed)
    anonymous = Report.objects.get(is_anonymous=True)
    attachment = anonymous.attachments.get()
    assert attachment.content_type == "image/jpeg" and attachment.is_clean
    assert "budi" not in attachment.original_name
    with attachment.file.open("rb") as fh:
        assert_clean(fh.read(), "image/jpeg")

    ordinary = Report.objects.get(is_anonymous=False)
    attachment = ordinary.attachments.get()
    with attachment.public_file.open("rb") as fh:
        assert not has_gps(fh.read())  # everyone but the handling staff downloads this copy
    # The mail's copies are spent once the report holds the files.
    assert all(not row.file for row in MessageFile.objects.all()) and MessageFile.objects.count() == 2


def test_refused_attachment_gets_a_clear_reply_and_the_report_is_filed(mailbox, committed, settings, tree):
    from complaints.tests.test_attachment_metadata import photo_bytes

    settings.LAPOR_IMAGE_MAX_PIXELS = 1000  # the photo has 40×30 pixels
    mailbox.deliver(
        "Lampu jalan di Kota Denpasar mati sejak seminggu, foto dan berkas terlampir.",
        attachments=[
            ("besar.png", "image/png", photo_bytes("PNG")),
            ("pesan.html", "text/html", b"<script>alert(1)</script>"),
        ],
    )
    cycle(committed)
    report = Report.objects.get()  # the message itself is not lost
    assert report.attachments.count() == 0
    bodies = [m.body for m in sent_to(CITIZEN)]
    refused = next(b for b in bodies if "tidak dapat kami terima" in b)
    assert "besar.png" in refused and "megapiksel" in refused and "pesan.html" in refused
    assert report.tracking_no in bodies[-1]
