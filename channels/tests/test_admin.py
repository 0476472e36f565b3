"""The staff's lists of channel contacts and messages: the permission matrix (every role, every
page), scoping to the reports the staff may see, Anonim senders redacted, failed deliveries retried."""

import pytest
from django.urls import reverse

from channels.models import Contact, Conversation, Message
from complaints import workflow
from complaints.tests import test_permissions_admin as matrix
from complaints.tests.test_permissions_admin import NOT_STAFF, ROLES, SEES_BADUNG, expected_for_scope, outcome

# The admin permission matrix's fixtures: a full cast of roles, a client logged in as one of them.
as_role, cast = matrix.as_role, matrix.cast

pytestmark = pytest.mark.django_db
NAMED, HIDDEN = "6281200000001", "6281200000002"


def conversation_for(report, address, *, failed=False):
    from accounts.models import User

    user = User.objects.create_user(f"sms-{address}@kanal.lapor.invalid", None)
    contact = Contact.objects.create(channel="sms", address=address, user=user)
    conversation = Conversation.objects.create(contact=contact, channel="sms", report=report, state="filed")
    Message.objects.create(
        conversation=conversation,
        channel="sms",
        direction="in",
        address=address,
        text="Laporan masuk",
        state="processed",
    )
    out = Message.objects.create(
        conversation=conversation,
        channel="sms",
        direction="out",
        address=address,
        text=f"Nomor laporan {report.tracking_no}",
        state="failed" if failed else "sent",
        attempts=10 if failed else 1,
        error="URLError: gateway down" if failed else "",
    )
    return contact, out


@pytest.fixture
def channel_reports(make_report, national_admin, tree):
    """An SMS report (named) and an Anonim one, both held by Pemkab Badung, each with a conversation."""
    named = make_report(title="Lampu mati", channel="sms", submission_key="a")
    hidden = make_report(title="Pungli", channel="sms", is_anonymous=True, submission_key="b")
    for report in (named, hidden):
        workflow.verify(report, by=national_admin, complaint_kind="normative")
    return {"named": conversation_for(named, NAMED, failed=True), "hidden": conversation_for(hidden, HIDDEN)}


@pytest.mark.parametrize("role", ROLES)
def test_message_list_and_page(cast, as_role, channel_reports, role):
    client = as_role(role)
    listing = client.get(reverse("admin:channels_message_changelist"))
    assert outcome(listing) == ("login" if role in NOT_STAFF else "200")
    _contact, failed = channel_reports["named"]
    page = client.get(reverse("admin:channels_message_change", args=[failed.pk]))
    assert outcome(page) == expected_for_scope(role, SEES_BADUNG)
    if listing.status_code == 200:
        html = listing.content.decode()
        sees = role in SEES_BADUNG
        assert (failed.text in html) == sees
        assert HIDDEN not in html  # an Anonim sender's number: nobody, national admins included
        assert (NAMED in html) == sees
    if page.status_code == 200:
        assert "gateway down" in page.content.decode() and NAMED in page.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_contact_list_and_page(cast, as_role, channel_reports, role):
    client = as_role(role)
    listing = client.get(reverse("admin:channels_contact_changelist"))
    assert outcome(listing) == ("login" if role in NOT_STAFF else "200")
    hidden_contact, _out = channel_reports["hidden"]
    page = client.get(reverse("admin:channels_contact_change", args=[hidden_contact.pk]))
    assert outcome(page) == expected_for_scope(role, SEES_BADUNG)
    if listing.status_code == 200:
        html = listing.content.decode()
        assert HIDDEN not in html
        assert (NAMED in html) == (role in SEES_BADUNG)
    if page.status_code == 200:
        assert HIDDEN not in page.content.decode() and "Anonim" in page.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_retry_of_a_failed_delivery(cast, as_role, channel_reports, role, django_capture_on_commit_callbacks):
    """Acting staff over the report (and national admins) put a failed message back in the outbox;
    read-only roles and outsiders change nothing."""
    _contact, failed = channel_reports["named"]
    client = as_role(role)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(
            reverse("admin:channels_message_changelist"),
            {"action": "retry", "_selected_action": [failed.pk]},
        )
    failed.refresh_from_db()
    may_retry = {"national_admin", "agency_admin", "parent_admin"}
    if role in may_retry:
        assert (failed.state, failed.attempts, failed.error) == ("queued", 0, "")
    else:
        assert failed.state == "failed"


def test_message_list_is_flat_in_queries(
    client, national_admin, channel_reports, make_report, django_assert_max_num_queries
):
    client.force_login(national_admin)
    client.get(reverse("admin:channels_message_changelist"))
    for n in range(5):
        conversation_for(make_report(title=f"Lagi {n}", channel="sms", submission_key=f"n{n}"), f"62812999000{n}")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:channels_message_changelist"))
    assert response.status_code == 200 and response.content.decode().count("field-report_link") == 14
