"""Staff by decree (#19 item 1): who may invite and appoint whom where (the permission matrix extended
to admins of the right agency, of a parent and of a sibling), the decree records in the audit trail,
the single-use invitation link that starts the second factor, and deactivation."""

import datetime as dt
import io
import re

import pikepdf
import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from agencies import staffing
from agencies.models import Appointment, Invitation, Membership, Role
from lapor import audit

DECREE = {"number": "800/123/BKPSDM/2026", "date": dt.date(2026, 1, 2)}


def _pdf() -> bytes:
    out = io.BytesIO()
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(out)
    return out.getvalue()


@pytest.fixture
def person(db):
    return User.objects.create_user("pegawai@example.test", "lapor-test", full_name="Pegawai Baru")


# (who, agency, role) → allowed? The admin of the right agency, of its parent, of a sibling, others.
MATRIX = [
    ("agency_admin", "dinkes", Role.UNIT_ADMIN, True),
    ("agency_admin", "dinkes", Role.LIAISON_OFFICER, True),
    ("agency_admin", "unit", Role.HEAD, True),
    ("agency_admin", "badung", Role.DEVELOPER, True),
    ("agency_admin", "dinkes", Role.AGENCY_ADMIN, True),  # an OPD's admin, not above their own role
    ("agency_admin", "dinkes", Role.NATIONAL_ADMIN, False),  # above their own role
    ("agency_admin", "dinkes", Role.SUPERVISOR, False),
    ("agency_admin", "bali", Role.UNIT_ADMIN, False),  # above their subtree
    ("agency_admin", "sleman", Role.UNIT_ADMIN, False),
    ("parent_admin", "dinkes", Role.UNIT_ADMIN, True),  # the province's admin reaches the regency's OPDs
    ("parent_admin", "badung", Role.AGENCY_ADMIN, True),
    ("parent_admin", "sleman", Role.UNIT_ADMIN, False),
    ("sibling_admin", "dinkes", Role.UNIT_ADMIN, False),
    ("sibling_admin", "badung", Role.HEAD, False),
    ("unit_admin", "unit", Role.UNIT_ADMIN, False),  # unit admins manage nobody
    ("liaison", "dinkes", Role.HEAD, False),
    ("head", "badung", Role.HEAD, False),
    ("national_admin", "sleman", Role.AGENCY_ADMIN, True),
    ("national_admin", "national", Role.SUPERVISOR, True),
]


@pytest.mark.parametrize(("who", "where", "role", "allowed"), MATRIX)
def test_the_appointment_matrix(request, tree, person, who, where, role, allowed):
    actor = request.getfixturevalue(who)
    if allowed:
        staffing.grant(actor, person, tree[where], role, DECREE)
        assert Membership.objects.filter(user=person, agency=tree[where], role=role).exists()
        assert User.objects.get(pk=person.pk).is_staff
    else:
        with pytest.raises(staffing.StaffingError):
            staffing.grant(actor, person, tree[where], role, DECREE)
        with pytest.raises(staffing.StaffingError):
            staffing.invite(actor, "baru@example.test", tree[where], role, DECREE)
        assert not Membership.objects.filter(user=person).exists() and not Appointment.objects.exists()


def test_changing_or_revoking_a_role_needs_reach_over_the_role_held(tree, agency_admin, sibling_admin, supervisor):
    head = Membership.objects.create(
        user=User.objects.create_user("x@example.test", "p"), agency=tree["dinkes"], role=Role.HEAD
    )
    with pytest.raises(staffing.StaffingError):
        staffing.change_role(sibling_admin, head, Role.UNIT_ADMIN, DECREE)
    staffing.change_role(agency_admin, head, Role.UNIT_ADMIN, DECREE)
    assert Membership.objects.get(pk=head.pk).role == Role.UNIT_ADMIN
    national_role = Membership.objects.get(user=supervisor)
    with pytest.raises(staffing.StaffingError):  # a supervisor's role is above an agency admin's
        staffing.revoke(agency_admin, national_role, DECREE)
    staffing.revoke(agency_admin, head, DECREE)
    assert not Membership.objects.filter(pk=head.pk).exists()
    steps = list(Appointment.objects.order_by("pk").values_list("action", "role", "previous_role"))
    assert steps == [("change", Role.UNIT_ADMIN, Role.HEAD), ("revoke", "", Role.UNIT_ADMIN)]


def test_every_appointment_records_its_decree_in_the_audit_chain(tree, agency_admin, person):
    staffing.grant(agency_admin, person, tree["dinkes"], Role.LIAISON_OFFICER, DECREE)
    membership = Membership.objects.get(user=person)
    staffing.change_role(agency_admin, membership, Role.UNIT_ADMIN, {**DECREE, "number": "800/124"})
    record = Appointment.objects.order_by("pk").first()
    assert (record.decree_number, record.decree_date, record.by, record.user) == (
        DECREE["number"], DECREE["date"], agency_admin, person,
    )  # fmt: skip
    assert record.chain_hash and audit.verify(audit.STAFF_CHAIN).ok
    Appointment.objects.filter(pk=record.pk).update(decree_number="800/999")  # a decree rewritten afterwards
    result = audit.verify(audit.STAFF_CHAIN)
    assert not result.ok and f"#{record.pk}" in result.errors[0]


def test_the_staff_page_invites_by_email_with_a_decree_pdf_and_the_link_works_once(
    client, tree, agency_admin, django_capture_on_commit_callbacks
):
    client.force_login(agency_admin)
    page = client.get(reverse("staff:agency_staff"))
    assert page.status_code == 200
    pdf = io.BytesIO(_pdf())
    pdf.name = "sk.pdf"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("staff:agency_staff"),
            {
                "action": "invite",
                "email": "Penghubung.Baru@example.test",
                "agency": "dinkes-badung",
                "role": Role.LIAISON_OFFICER,
                "decree_number": "800/55/2026",
                "decree_date": "2026-02-01",
                "decree_file": pdf,
            },
        )
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.action == "invite" and appointment.decree_file.name.endswith(".pdf")
    assert appointment.email == "penghubung.baru@example.test"
    link = re.search(r"/akun/undangan/[\w-]+/", mail.outbox[-1].body).group(0)
    client.logout()
    form = client.get(link)
    assert form.status_code == 200 and "Pejabat Penghubung" in form.content.decode()
    done = client.post(
        link, {"full_name": "Ni Luh Baru", "password1": "Rahasia-Kuat-2026", "password2": "Rahasia-Kuat-2026"}
    )
    assert done.status_code == 302 and done["Location"] == reverse("accounts:otp_enrol")  # the second factor next
    user = User.objects.get(email="penghubung.baru@example.test")
    assert user.is_staff and user.check_password("Rahasia-Kuat-2026")
    assert Membership.objects.filter(user=user, agency=tree["dinkes"], role=Role.LIAISON_OFFICER).exists()
    assert client.get(reverse("admin:index")).status_code == 302  # nothing before the second factor
    client.logout()
    assert client.get(link).status_code == 410  # single use
    assert Invitation.objects.get().accepted_at is not None


def test_a_decree_that_is_not_a_clean_pdf_is_refused_and_nothing_is_appointed(client, tree, agency_admin, person):
    client.force_login(agency_admin)
    fake = io.BytesIO(b"<html>not a pdf</html>")
    fake.name = "sk.pdf"
    response = client.post(
        reverse("staff:agency_staff"),
        {
            "action": "grant",
            "email": person.email,
            "agency": "dinkes-badung",
            "role": Role.UNIT_ADMIN,
            "decree_number": "800/1",
            "decree_date": "2026-02-01",
            "decree_file": fake,
        },
    )
    assert response.status_code == 400 and "bukan gambar" in response.content.decode()
    assert not Membership.objects.filter(user=person).exists() and not Appointment.objects.exists()


def test_the_staff_page_refuses_outsiders_and_scopes_its_list(
    client, tree, agency_admin, sibling_admin, unit_admin, citizen
):
    for outsider in (unit_admin, citizen):
        client.force_login(outsider)
        assert client.get(reverse("staff:agency_staff")).status_code == 404
    client.force_login(sibling_admin)
    page = client.get(reverse("staff:agency_staff")).content.decode()
    assert "sleman@example.test" in page and "badung@example.test" not in page
    membership = Membership.objects.get(user=agency_admin)
    response = client.post(
        reverse("staff:agency_staff"),
        {"action": "revoke", "membership": membership.pk, "decree_number": "1", "decree_date": "2026-01-01"},
    )
    assert response.status_code == 400 and Membership.objects.filter(pk=membership.pk).exists()


def test_deactivation_only_of_accounts_wholly_in_reach(client, tree, agency_admin, parent_admin, person):
    staffing.grant(parent_admin, person, tree["dinkes"], Role.UNIT_ADMIN, DECREE)
    staffing.grant(parent_admin, person, tree["bali"], Role.HEAD, DECREE)
    with pytest.raises(staffing.StaffingError):  # also Bali's head: not Badung's to switch off
        staffing.deactivate(agency_admin, person, tree["dinkes"], DECREE)
    staffing.deactivate(parent_admin, person, tree["dinkes"], DECREE)
    assert not User.objects.get(pk=person.pk).is_active
    assert client.login(username=person.email, password="lapor-test") is False
    with pytest.raises(staffing.StaffingError):
        staffing.deactivate(agency_admin, agency_admin, tree["badung"], DECREE)


def test_a_decree_pdf_opens_only_for_those_who_manage_the_agency_and_the_appointee(
    client, tree, agency_admin, parent_admin, sibling_admin, unit_admin, supervisor, citizen, person
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from complaints.tests.portal import close_response
    from complaints.uploads import check_upload

    upload = SimpleUploadedFile("sk.pdf", _pdf(), content_type="application/pdf")
    staffing.grant(agency_admin, person, tree["dinkes"], Role.UNIT_ADMIN, {**DECREE, "file": check_upload(upload)})
    appointment = Appointment.objects.get()
    url = reverse("staff:decree", args=[appointment.pk])
    client.force_login(agency_admin)
    assert f'href="{url}"' in client.get(reverse("staff:agency_staff")).content.decode()  # linked from the page
    for who, allowed in (
        (agency_admin, True),  # the right agency's admin
        (parent_admin, True),  # the province above it
        (supervisor, True),
        (person, True),  # the appointee's own decree
        (sibling_admin, False),  # Sleman's admin
        (unit_admin, False),  # Dinkes' unit admin manages nobody
        (citizen, False),
    ):
        client.force_login(who)
        response = client.get(url)
        assert response.status_code == (200 if allowed else 404), who
        if allowed:
            assert b"".join(response.streaming_content).startswith(b"%PDF")
            close_response(response)
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
