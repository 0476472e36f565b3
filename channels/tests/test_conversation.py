"""The conversation rules, channel-independent: reading a message, the region, flags, limits,
the notification hand-over and the outages (provider, broker)."""

import pytest
from django.core import mail
from django.core.management import call_command

from accounts.models import User
from agencies.models import Region
from channels import conversation, delivery, text
from channels.conversation import Inbound
from channels.models import Contact, Message
from complaints import workflow
from complaints.models import Notification, Report, Status

pytestmark = pytest.mark.django_db
NUMBER = "6281234500009"


def regions():
    return (
        list(Region.objects.filter(level="regency").only("code", "name", "parent")),
        list(Region.objects.filter(level="province").only("code", "name")),
    )


def test_region_names_are_found_in_free_text():
    regencies, provinces = regions()

    def names(t):
        match = text.find_region(t, regencies, provinces)
        return sorted(r.name for r in match.regencies), match.province and match.province.name

    assert names("jalan rusak di badung dekat pasar") == (["Kabupaten Badung"], None)
    assert names("Sampah di Kab. Bandung Barat menumpuk") == (["Kabupaten Bandung Barat"], None)
    assert names("banjir di kota bogor") == (["Kota Bogor"], None)
    assert names("banjir di bogor") == (["Kabupaten Bogor", "Kota Bogor"], None)  # asked which
    assert names("jalan di Bali rusak") == ([], "Bali")  # the regency is asked within Bali
    assert names("batu besar menutup jalan") == ([], None)  # an everyday word is no city
    assert names("Kota Batu macet") == (["Kota Batu"], None)


def test_parse_commands_flags_and_unknown_keywords():
    parsed = text.parse("ANONIM RAHASIA Pungli di kantor desa")
    assert parsed.flags == {"anonymous", "confidential"} and parsed.body == "Pungli di kantor desa"
    assert text.parse("terima 5 mantap").command == "accept"
    assert text.parse("Terima kasih, jalan di Badung sudah rusak").command == ""
    assert text.parse("Bantuan sosial tidak sampai").command == ""
    assert text.parse("BANTUAN").command == "help"
    assert text.rating_of("5 mantap") == 5 and text.rating_of("9") is None
    assert text.parse("DAFTAR").unknown_keyword == "DAFTAR"
    assert text.language_of("The road is broken and there is no light") == "en"
    assert text.language_of("Jalan rusak dan tidak ada lampu") == "id"


def test_long_answers_are_split_to_the_channel_length():
    long = "kata " * 100
    parts = text.split(long, 160)
    assert len(parts) > 1 and all(len(p) <= 160 for p in parts)
    assert parts[0].startswith(f"(1/{len(parts)}) ")
    assert text.split("pendek", 160) == ["pendek"]


def receive(committed, body, provider_id, sender=NUMBER, **kwargs):
    return committed(
        conversation.store, Inbound(channel="sms", address=sender, text=body, provider_id=provider_id, **kwargs)
    )


def outbound_texts(sender=NUMBER):
    return list(Message.objects.filter(direction="out", address=sender).values_list("text", flat=True))


def test_one_message_naming_the_region_files_at_once_with_flags(committed, tree):
    receive(committed, "RAHASIA Guru sering tidak masuk di SD negeri Kabupaten Sleman", "p1")
    report = Report.objects.get()
    assert report.is_confidential and not report.is_anonymous
    assert report.body == "Guru sering tidak masuk di SD negeri Kabupaten Sleman"
    assert report.tracking_no in " ".join(outbound_texts())


def test_ambiguous_region_is_asked_with_numbered_options(committed, tree):
    receive(committed, "Banjir setinggi lutut di perumahan Bogor sejak pagi", "p1")
    assert "1. Kabupaten Bogor" in outbound_texts()[-1]
    receive(committed, "2", "p2")
    assert Report.objects.get().regency.name == "Kota Bogor"


def test_province_only_is_narrowed_to_a_regency(committed, tree):
    receive(committed, "Jalan provinsi di Bali rusak berat sudah sebulan", "p1")
    assert "Provinsi Bali" in outbound_texts()[-1] or "Bali" in outbound_texts()[-1]
    receive(committed, "Badung", "p2")
    assert Report.objects.get().regency.name == "Kabupaten Badung"


def test_cancel_while_collecting(committed, tree):
    receive(committed, "Lampu jalan mati sudah lama sekali", "p1")
    receive(committed, "BATAL", "p2")
    receive(committed, "Badung", "p3")  # a new conversation: too short to be a report, help is sent
    assert not Report.objects.exists()
    assert "STATUS" in outbound_texts()[-1]


def test_rate_limit_stores_but_does_not_answer(committed, tree, settings):
    settings.LAPOR_CHANNEL_RATE = 3
    for i in range(5):
        receive(committed, "halo", f"r{i}")
    states = list(Message.objects.filter(direction="in").order_by("pk").values_list("state", flat=True))
    assert states == ["processed"] * 3 + ["limited"] * 2
    answered = {m.data["answers"] for m in Message.objects.filter(direction="out")}
    assert len(answered) == 3


def test_channel_account_is_never_a_web_account(committed, tree, citizen):
    receive(committed, "Air PDAM mati tiga hari di Kabupaten Badung", "p1", sender=citizen.phone)
    report = Report.objects.get()
    assert report.reporter_id != citizen.pk
    contact = Contact.objects.get()
    assert contact.user.email.endswith(".invalid") and not contact.user.has_usable_password()
    assert User.objects.filter(phone=citizen.phone).count() == 1


def test_filing_on_a_channel_writes_no_mail_to_the_channel_account(committed, tree):
    receive(committed, "Pelayanan KTP lambat sekali di Kabupaten Badung", "p1")
    report = Report.objects.get()
    assert report.events.get().action == "submit"
    assert not Notification.objects.filter(user=report.reporter).exists()  # told on the channel


def test_reporter_hears_on_the_channel_only(committed, tree, national_admin):
    receive(committed, "Pelayanan KTP lambat sekali di Kabupaten Badung", "p1")
    report = Report.objects.get()
    mail.outbox.clear()
    committed(workflow.verify, report, by=national_admin)
    assert not Notification.objects.filter(user=report.reporter).exists()
    assert mail.outbox == []
    assert "diverifikasi" in outbound_texts()[-1]


def test_on_hold_answer_provides_the_details(committed, tree, national_admin):
    receive(committed, "Bantuan sosial tidak sampai ke warga Kabupaten Badung", "p1")
    report = Report.objects.get()
    committed(workflow.hold, report, by=national_admin, note="Sebutkan nama desanya.")
    assert "Sebutkan nama desanya." in outbound_texts()[-1]
    receive(committed, "Desa Mengwi, banjar Gambang", "p2")
    report.refresh_from_db()
    assert report.status == Status.SUBMITTED
    assert report.events.filter(action="provide_info", public_note="Desa Mengwi, banjar Gambang").exists()


def test_provider_down_keeps_the_answer_queued(committed, tree, whatsapp):
    whatsapp.down = True
    committed(
        conversation.store,
        Inbound(channel="whatsapp", address=NUMBER, text="Sekolah rusak di Kabupaten Badung", provider_id="w1"),
    )
    out = Message.objects.get(direction="out")
    assert out.state == "queued" and out.attempts == 1 and "503" in out.error
    whatsapp.down = False
    Message.objects.filter(pk=out.pk).update(next_attempt_at=None)
    delivery.send_pending(older_than=delivery.dt.timedelta(0))
    out.refresh_from_db()
    assert out.state == "sent" and Report.objects.get().tracking_no in whatsapp.texts(NUMBER)[-1]


def test_broker_down_loses_nothing(committed, tree, monkeypatch):
    from kombu.exceptions import OperationalError

    from channels import tasks

    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.process_message, "delay", down)
    monkeypatch.setattr(tasks.send_message, "delay", down)
    receive(committed, "Jalan desa di Kabupaten Badung longsor", "b1")
    assert Message.objects.get().state == "pending" and not Report.objects.exists()
    delivery.process_pending(older_than=delivery.dt.timedelta(0))  # the beat's sweep once Redis is back
    assert Report.objects.count() == 1
    outs = Message.objects.filter(direction="out")
    assert outs and {m.state for m in outs} == {"queued"}  # SMS is not configured here: they wait


def test_channel_simulate_plays_the_citizen(tree, capsys):
    call_command("channel_simulate", "Lampu jalan mati sudah seminggu di depan balai desa", "Kabupaten Badung")
    out = capsys.readouterr().out
    report = Report.objects.get()
    assert "kabupaten/kota mana" in out and report.tracking_no in out
    assert report.channel == "whatsapp"


def test_statistics_count_reports_and_satisfaction_by_channel(committed, tree, national_admin):
    from django.utils import timezone

    from dashboards.aggregation import rebuild_range
    from dashboards.figures import Scope, compute

    receive(committed, "Pelayanan puskesmas di Kabupaten Badung lambat", "p1")
    report = Report.objects.get()
    committed(workflow.verify, report, by=national_admin)
    committed(workflow.dispatch, report, by=national_admin, to_agency=tree["badung"])
    committed(workflow.respond, report, by=national_admin, note="Sudah dibenahi.")
    receive(committed, "TERIMA 4", "p2")
    today = timezone.localdate()
    rebuild_range(today, today)
    rows = {r["label"]: r for r in compute(Scope(), today, today)["by_channel"]}
    assert rows["SMS"]["received"] == 1 and rows["SMS"]["rating_mean"] == 4
