"""An anonymous reporter's name, e-mail, phone and NIK appear nowhere in the admin for agency roles:
not in lists, search results, change pages, action forms or exports. National admins see them."""

import re
from urllib.parse import quote, quote_plus

import pytest
from django.urls import reverse

from complaints import workflow
from complaints.models import Comment

pytestmark = pytest.mark.django_db

# The citizen fixture: Made Warga, warga@example.test, 081234567890, NIK 5103012345678901.
SECRETS = [b"Made Warga", b"warga@example.test", b"81234567890", b"5103012345678901", b"Made"]
WALK_IN_SECRETS = [b"Ketut Rahasia", b"0361-555-777"]
AGENCY_ROLES = ["agency_admin", "parent_admin", "head", "unit_admin", "liaison"]


@pytest.fixture
def anonymous_reports(make_report, citizen, national_admin, agency_admin, tree):
    """An anonymous report from an account, forwarded to Dinkes (so unit roles see it too), with the
    reporter's own comment; and an anonymous walk-in report recorded by staff."""
    online = make_report(is_anonymous=True, title="Pungli di puskesmas")
    workflow.verify(online, by=national_admin, complaint_kind="normative")
    workflow.dispatch(online, by=national_admin, to_agency=tree["badung"])
    workflow.forward(online, by=agency_admin, to_agency=tree["dinkes"])
    Comment.objects.create(report=online, author=citizen, body="Saya pelapornya")
    walk_in = make_report(
        by=agency_admin,
        is_anonymous=True,
        title="Antrean KTP lama",
        channel="walk_in",
        reporter_name="Ketut Rahasia",
        reporter_contact="0361-555-777",
        suggested_agency=tree["dinkes"],
    )
    return online, walk_in


def _pages(client, reports):
    """Every admin page that shows these reports, as bytes (a search page without its echoed term),
    each with what it must show: a page that shows nothing would pass every absence check."""
    changelist = reverse("admin:complaints_report_changelist")
    yield client.get(changelist).content, reports[0].title.encode()
    for term in ("warga@example.test", "081234567890", "6281234567890", "Made Warga", "0361-555-777", "Ketut"):
        content = client.get(changelist, {"q": term}).content
        assert b"Pungli di puskesmas" not in content and b"Antrean KTP lama" not in content, term
        for echoed in (term, quote_plus(term), quote(term)):
            content = content.replace(echoed.encode(), b"")
        yield content, b'id="changelist"'
    export = b"".join(client.get(reverse("admin:complaints_report_export")).streaming_content)
    yield export, reports[0].tracking_no.encode()
    for report in reports:
        for name in ("admin:complaints_report_change", "admin:complaints_report_history"):
            response = client.get(reverse(name, args=[report.pk]))
            assert response.status_code == 200, (name, report.title)
            yield response.content, report.title.encode()
        for action in workflow.allowed_actions(report, client.user):
            response = client.get(reverse("admin:complaints_report_action", args=[report.pk, action]))
            if response.status_code == 200:
                yield response.content, report.tracking_no.encode()


# Random values a page carries (CSRF token, a form's one-time key, the CSP nonce): drawn from letters and
# digits, one in ~15 million four-letter windows spells "Made" — blanked before the identity is looked for.
RANDOM_VALUES = re.compile(rb'((?:name="(?:csrfmiddlewaretoken|once)" value|nonce)=")[^"]*"')


def _assert_identity_absent_from_every_page(client, reports, role):
    seen = 0
    for content, shown in _pages(client, reports):
        seen += 1
        content = RANDOM_VALUES.sub(rb'\1"', content)
        assert shown in content, (role, shown)
        for secret in SECRETS + WALK_IN_SECRETS:
            assert secret not in content, (role, secret)
    assert seen > 8


@pytest.mark.parametrize("role", AGENCY_ROLES)
def test_anonymous_identity_is_absent_for_agency_roles(request, client, anonymous_reports, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    client.user = user
    _assert_identity_absent_from_every_page(client, anonymous_reports, role)
    # The reports themselves are on the list: the scope is right, only the identity is hidden.
    listing = client.get(reverse("admin:complaints_report_changelist")).content
    assert b"Pungli di puskesmas" in listing
    assert b"Anonim" in client.get(reverse("admin:complaints_report_change", args=[anonymous_reports[0].pk])).content


def test_search_by_email_does_not_find_anonymous_reports_for_agency_roles(client, anonymous_reports, agency_admin):
    client.force_login(agency_admin)
    response = client.get(reverse("admin:complaints_report_changelist"), {"q": "warga@example.test"})
    assert b"Pungli di puskesmas" not in response.content


def test_search_by_email_finds_named_reports_for_agency_roles(client, make_report, agency_admin):
    make_report(title="Lampu jalan mati")
    client.force_login(agency_admin)
    response = client.get(reverse("admin:complaints_report_changelist"), {"q": "warga@example.test"})
    assert b"Lampu jalan mati" in response.content


@pytest.mark.parametrize("role", ["national_admin", "supervisor"])
def test_national_roles_see_an_anonymous_identity_only_through_break_glass(request, client, anonymous_reports, role):
    """Issue #21 tightens DESIGN.md: national admins too see an Anonim reporter only after giving a reason."""
    online, walk_in = anonymous_reports
    client.force_login(request.getfixturevalue(role))
    client.user = request.getfixturevalue(role)
    _assert_identity_absent_from_every_page(client, anonymous_reports, role)
    page = client.get(reverse("admin:complaints_report_change", args=[online.pk])).content.decode()
    assert reverse("staff:identity", args=[online.tracking_no]) in page  # the way in, with a reason
    for lookup in ("reporter_contact__startswith=0361", "reporter_name__icontains=Ketut"):
        listing = client.get(reverse("admin:complaints_report_changelist") + "?" + lookup).content
        assert b"Antrean KTP lama" not in listing, lookup


def test_agency_roles_see_named_reporters_of_their_reports(client, make_report, agency_admin):
    report = make_report(title="Lampu jalan mati")
    client.force_login(agency_admin)
    page = client.get(reverse("admin:complaints_report_change", args=[report.pk])).content
    assert b"Made Warga" in page and b"warga@example.test" in page


@pytest.mark.parametrize("role", AGENCY_ROLES)
@pytest.mark.parametrize(
    "lookup",
    ["reporter_contact__startswith=0361", "reporter_name__icontains=Ketut", "reporter__email=warga@example.test"],
)
def test_agency_roles_cannot_filter_the_list_by_reporter_identity(request, client, anonymous_reports, role, lookup):
    """Narrowing an address filter letter by letter would reveal an anonymous reporter's contact."""
    client.force_login(request.getfixturevalue(role))
    for name in ("admin:complaints_report_changelist", "admin:complaints_report_export"):
        assert client.get(reverse(name) + "?" + lookup).status_code == 400
    if not lookup.startswith("reporter__"):  # related fields are not filterable for anybody
        client.force_login(request.getfixturevalue("national_admin"))
        assert client.get(reverse("admin:complaints_report_changelist") + "?" + lookup).status_code == 200


def test_an_anonymous_reporters_file_names_reach_nobody(client, make_report, agency_admin, national_admin, citizen):
    """A file name like KTP_Made_Warga.png names the person: it is replaced for anonymous reports,
    also when staff mark the report anonymous at verification. Staff files keep their names."""
    from complaints.tests.portal import png_upload
    from complaints.uploads import check_upload

    secret = make_report(is_anonymous=True, attachments=[check_upload(png_upload("KTP_Made_Warga.png"))])
    later = make_report(attachments=[check_upload(png_upload("Surat_Made_Warga.png"))])
    workflow.verify(later, by=national_admin, complaint_kind="normative", is_anonymous=True)
    workflow.dispatch(later, by=national_admin, to_agency=later.suggested_agency)
    workflow.follow_up(later, by=agency_admin, note="Ditinjau.", attachments=[check_upload(png_upload("bukti.png"))])
    client.force_login(agency_admin)
    for report in (secret, later):
        page = client.get(reverse("admin:complaints_report_change", args=[report.pk])).content.decode()
        assert "Made_Warga" not in page and "lampiran-" in page
    assert set(later.attachments.values_list("original_name", flat=True)) == {
        f"lampiran-{later.attachments.order_by('pk').first().pk}.png",
        "bukti.png",
    }
