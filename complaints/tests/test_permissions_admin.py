"""The admin permission matrix: every admin URL against every role.

Outcomes: "200" the page, "404" outside the role's reach (never a hint that it exists), "login" the
admin login (no is_staff), "back" a redirect to the report page with a message (in scope, but the
action is not available to this role now). An unauthorised POST changes nothing.
"""

import pytest
from django.urls import reverse

from complaints import workflow
from complaints.models import Category, Event, ResponseTemplate

pytestmark = pytest.mark.django_db

ROLES = [
    "national_admin",
    "agency_admin",
    "parent_admin",
    "sibling_admin",
    "unit_admin",
    "liaison",
    "head",
    "supervisor",
    "citizen",
    "anonymous",
]
# Who sees a report held by Pemkab Badung / by Dinas Kesehatan Badung (below Badung).
SEES_BADUNG = {"national_admin", "agency_admin", "parent_admin", "head", "supervisor"}
SEES_DINKES = SEES_BADUNG | {"unit_admin", "liaison"}
NOT_STAFF = {"citizen", "anonymous"}
STAFF = set(ROLES) - NOT_STAFF


def outcome(response, report=None):
    if response.status_code in (200, 404):
        return str(response.status_code)
    if response.status_code == 302:
        location = response["Location"]
        if "/admin/login/" in location:
            return "login"
        if report is not None and location.endswith(reverse("admin:complaints_report_change", args=[report.pk])):
            return "back"
        return f"302 {location}"
    return str(response.status_code)


@pytest.fixture
def as_role(request, client):
    def login(role):
        if role != "anonymous":
            client.force_login(request.getfixturevalue(role))
        return client

    return login


@pytest.fixture
def cast(national_admin, agency_admin, parent_admin, sibling_admin, unit_admin, liaison, head, supervisor, citizen):
    """Everybody exists in every test, so scoping is tested against a full cast."""


def expected_for_scope(role, sees):
    if role in NOT_STAFF:
        return "login"
    return "200" if role in sees else "404"


# --- Pages ---


@pytest.mark.parametrize("role", ROLES)
def test_report_changelist(cast, as_role, make_report, role):
    make_report()
    response = as_role(role).get(reverse("admin:complaints_report_changelist"))
    assert outcome(response) == ("login" if role in NOT_STAFF else "200")


@pytest.mark.parametrize("role", ROLES)
def test_report_change_page(cast, as_role, make_report, role):
    report = make_report()
    response = as_role(role).get(reverse("admin:complaints_report_change", args=[report.pk]))
    assert outcome(response) == expected_for_scope(role, SEES_BADUNG)


@pytest.mark.parametrize("role", ROLES)
def test_report_change_page_post_is_never_a_write(cast, as_role, make_report, role):
    report = make_report()
    response = as_role(role).post(
        reverse("admin:complaints_report_change", args=[report.pk]), {"title": "Diubah", "status": "completed"}
    )
    assert response.status_code in (302, 403, 404)
    report.refresh_from_db()
    assert (report.title, report.status) == ("Jalan berlubang di depan puskesmas", "submitted")


@pytest.mark.parametrize("role", ROLES)
def test_report_history_page(cast, as_role, make_report, role):
    report = make_report()
    response = as_role(role).get(reverse("admin:complaints_report_history", args=[report.pk]))
    assert outcome(response) == expected_for_scope(role, SEES_BADUNG)


@pytest.mark.parametrize("role", ROLES)
def test_attachment_download(cast, as_role, make_report, role):
    from complaints.uploads import check_upload

    from .portal import close_response, pdf_upload

    report = make_report(attachments=[check_upload(pdf_upload())])
    url = reverse("admin:complaints_report_attachment", args=[report.pk, report.attachments.get().pk])
    response = as_role(role).get(url)
    close_response(response)  # a FileResponse holds the file open until closed
    assert outcome(response) == expected_for_scope(role, SEES_BADUNG)


@pytest.mark.parametrize("role", ROLES)
def test_missing_report_id_is_404_for_staff(cast, as_role, role):
    response = as_role(role).get(reverse("admin:complaints_report_change", args=[999999]))
    assert outcome(response) == ("login" if role in NOT_STAFF else "404")


@pytest.mark.parametrize("role", ROLES)
def test_report_export(cast, as_role, make_report, role):
    report = make_report()
    response = as_role(role).get(reverse("admin:complaints_report_export"))
    assert outcome(response) == ("login" if role in NOT_STAFF else "200")
    if response.status_code == 200:
        body = b"".join(response.streaming_content).decode()
        assert (report.tracking_no in body) == (role in SEES_BADUNG)


@pytest.mark.parametrize("role", ROLES)
def test_staff_entry_page(cast, as_role, role):
    response = as_role(role).get(reverse("admin:complaints_report_entry"))
    may_enter = {"national_admin", "agency_admin", "parent_admin", "sibling_admin", "unit_admin"}
    expected = "login" if role in NOT_STAFF else ("200" if role in may_enter else "404")
    assert outcome(response) == expected


@pytest.mark.parametrize("role", ROLES)
def test_agency_autocomplete_is_scoped(cast, as_role, tree, role):
    url = reverse("admin:autocomplete")
    params = {"app_label": "complaints", "model_name": "report", "field_name": "agency", "term": "Badung"}
    response = as_role(role).get(url, params)
    if role in NOT_STAFF:
        assert outcome(response) == "login"
        return
    assert response.status_code == 200
    ids = {int(r["id"]) for r in response.json()["results"]}
    sees_badung = role in {"national_admin", "agency_admin", "parent_admin", "head", "supervisor"}
    assert (tree["badung"].pk in ids) == sees_badung
    if role == "sibling_admin":
        assert ids == set()


def test_transfer_autocomplete_offers_agencies_outside_the_subtree(cast, as_role, tree):
    params = {"app_label": "complaints", "model_name": "report", "field_name": "suggested_agency", "term": "Sleman"}
    response = as_role("agency_admin").get(reverse("admin:autocomplete"), params)
    assert tree["sleman"].pk in {int(r["id"]) for r in response.json()["results"]}


@pytest.mark.parametrize("role", ROLES)
def test_user_autocomplete_only_for_national_admins(cast, as_role, role):
    params = {"app_label": "agencies", "model_name": "membership", "field_name": "user", "term": "warga"}
    response = as_role(role).get(reverse("admin:autocomplete"), params)
    if role in NOT_STAFF:
        assert outcome(response) == "login"
    elif role == "national_admin":
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert b"warga@example.test" not in response.content


@pytest.mark.parametrize("role", ROLES)
def test_response_templates(cast, as_role, tree, role):
    template = ResponseTemplate.objects.create(agency=tree["badung"], title="Salam", body="Terima kasih")
    client = as_role(role)
    listing = client.get(reverse("admin:complaints_responsetemplate_changelist"))
    assert outcome(listing) == ("login" if role in NOT_STAFF else "200")
    if listing.status_code == 200:
        assert (b"Salam" in listing.content) == (role in SEES_BADUNG)
    page = client.get(reverse("admin:complaints_responsetemplate_change", args=[template.pk]))
    assert outcome(page) == expected_for_scope(role, SEES_BADUNG)


@pytest.mark.parametrize("role", ROLES)
def test_agency_admin_pages(cast, as_role, tree, role):
    client = as_role(role)
    page = client.get(reverse("admin:agencies_agency_change", args=[tree["badung"].pk]))
    assert outcome(page) == expected_for_scope(role, SEES_BADUNG)
    listing = client.get(reverse("admin:agencies_agency_changelist"))
    assert outcome(listing) == ("login" if role in NOT_STAFF else "200")


@pytest.mark.parametrize("role", ROLES)
def test_user_admin_only_for_national_admins(cast, as_role, citizen, role):
    response = as_role(role).get(reverse("admin:accounts_user_change", args=[citizen.pk]))
    expected = "login" if role in NOT_STAFF else ("200" if role == "national_admin" else "404")
    assert outcome(response) == expected


# --- Action URLs: GET and POST, for every action and role ---


def _submitted(make_report, **kw):
    return make_report(**kw)


def _verified(make_report, national_admin):
    report = make_report()
    workflow.verify(report, by=national_admin, complaint_kind="normative")
    return report


def _dispatched(make_report, national_admin, tree, to="badung"):
    report = _verified(make_report, national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree[to])
    return report


def _drafted(make_report, national_admin, tree, unit_admin):
    report = _dispatched(make_report, national_admin, tree, to="dinkes")
    workflow.draft_response(report, by=unit_admin, note="Draf jawaban")
    return report


def post_data(action, tree):
    category = Category.objects.filter(parent__isnull=False).order_by("pk").first()
    return {
        "verify": {
            "title": "Ringkasan",
            "classification": "complaint",
            "complaint_kind": "normative",
            "category": category.pk,
        },
        "hold": {"note": "Mohon lampirkan foto lokasi."},
        "archive": {"reason": "out_of_scope"},
        "remove": {"reason": "spam"},
        "note": {"note": "Sudah dicek lapangan."},
        "dispatch": {"to_agency": tree["dinkes"].pk},
        "forward": {"to_agency": tree["dinkes"].pk},
        "return": {"reason": "Bukan wewenang kami."},
        "transfer": {"to_agency": tree["sleman"].pk, "note": "Lokasi di Sleman."},
        "follow_up": {"note": "Petugas sudah ke lokasi."},
        "respond": {"note": "Jalan sudah diperbaiki."},
        "draft_response": {"note": "Draf: jalan sudah diperbaiki."},
        "approve_response": {"note": ""},
    }[action]


# action → (state setup, roles allowed to act in that state)
ACTION_MATRIX = {
    "verify": ("submitted", {"national_admin", "agency_admin", "parent_admin"}),
    "hold": ("submitted", {"national_admin", "agency_admin", "parent_admin"}),
    "archive": ("submitted", {"national_admin", "agency_admin", "parent_admin"}),
    "remove": ("submitted", {"national_admin"}),
    "note": ("submitted", {"national_admin", "agency_admin", "parent_admin"}),
    "dispatch": ("verified", {"national_admin", "agency_admin", "parent_admin"}),
    "forward": ("dispatched", {"national_admin", "agency_admin", "parent_admin"}),
    "return": ("dispatched", {"agency_admin", "parent_admin"}),
    "transfer": ("dispatched", {"national_admin", "agency_admin", "parent_admin"}),
    "follow_up": ("dispatched", {"national_admin", "agency_admin", "parent_admin"}),
    "respond": ("dispatched", {"national_admin", "agency_admin", "parent_admin"}),
    "draft_response": ("dispatched", {"agency_admin", "parent_admin"}),
    "approve_response": ("drafted", {"agency_admin", "parent_admin", "liaison"}),
}


@pytest.fixture
def report_in_state(make_report, national_admin, tree, unit_admin):
    def make(state):
        if state == "submitted":
            return _submitted(make_report)
        if state == "verified":
            return _verified(make_report, national_admin)
        if state == "dispatched":
            return _dispatched(make_report, national_admin, tree)
        return _drafted(make_report, national_admin, tree, unit_admin)

    return make


def expected_action(action, role):
    state, allowed = ACTION_MATRIX[action]
    if role in NOT_STAFF:
        return "login"
    sees = SEES_DINKES if state == "drafted" else SEES_BADUNG
    if role not in sees:
        return "404"
    return "200" if role in allowed else "back"


CELLS = [(action, role) for action in ACTION_MATRIX for role in ROLES]


@pytest.mark.parametrize(("action", "role"), CELLS)
def test_action_page_get(cast, as_role, report_in_state, action, role):
    report = report_in_state(ACTION_MATRIX[action][0])
    response = as_role(role).get(reverse("admin:complaints_report_action", args=[report.pk, action]))
    assert outcome(response, report) == expected_action(action, role)


@pytest.mark.parametrize(("action", "role"), CELLS)
def test_action_post(cast, as_role, report_in_state, tree, action, role):
    report = report_in_state(ACTION_MATRIX[action][0])
    before_status, before_events = report.status, Event.objects.filter(report=report).count()
    url = reverse("admin:complaints_report_action", args=[report.pk, action])
    response = as_role(role).post(url, post_data(action, tree))
    expected = expected_action(action, role)
    report.refresh_from_db()
    if expected == "200":
        # Allowed: the workflow ran, exactly one event of this action, back to the report.
        assert outcome(response, report) == "back", response.content.decode()[:2000]
        new = Event.objects.filter(report=report).order_by("pk")[before_events:]
        assert [e.action for e in new] == [action]
    else:
        assert outcome(response, report) == expected
        assert Event.objects.filter(report=report).count() == before_events
        assert report.status == before_status


@pytest.mark.parametrize("role", ROLES)
def test_unknown_action_is_404(cast, as_role, make_report, role):
    report = make_report()
    response = as_role(role).get(reverse("admin:complaints_report_action", args=[report.pk, "accept"]))
    assert outcome(response) == ("login" if role in NOT_STAFF else "404")


# --- Bulk action ---


@pytest.mark.parametrize("role", ROLES)
def test_bulk_verify_and_dispatch(cast, as_role, make_report, tree, role):
    report = make_report()
    before = Event.objects.filter(report=report).count()
    response = as_role(role).post(
        reverse("admin:complaints_report_changelist"),
        {
            "action": "verify_and_dispatch",
            "_selected_action": [report.pk],
            "apply": "1",
            "to_agency": tree["dinkes"].pk,
        },
    )
    report.refresh_from_db()
    if role in NOT_STAFF:
        assert outcome(response) == "login"
    elif role in {"national_admin", "agency_admin", "parent_admin", "sibling_admin"}:
        assert response.status_code == 302  # done, or (sibling) nothing of theirs was selected
    else:
        assert response.status_code == 200  # the action is not offered: the list again
    if role in {"national_admin", "agency_admin", "parent_admin"}:
        assert (report.status, report.agency_id) == ("dispatched", tree["dinkes"].pk)
    else:
        assert report.status == "submitted"
        assert Event.objects.filter(report=report).count() == before


# --- Comment moderation ---


@pytest.mark.parametrize("role", ROLES)
def test_hide_comment(cast, as_role, make_report, other_citizen, role):
    from complaints.models import Comment

    report = make_report()
    comment = Comment.objects.create(report=report, author=other_citizen, body="Komentar kasar")
    response = as_role(role).post(reverse("admin:complaints_report_hide_comment", args=[report.pk, comment.pk]))
    comment.refresh_from_db()
    may_moderate = {"national_admin", "agency_admin", "parent_admin"}
    if role in NOT_STAFF:
        assert outcome(response) == "login"
    elif role in may_moderate:
        assert outcome(response, report) == "back"
    else:
        assert outcome(response) == "404"
    assert comment.is_hidden == (role in may_moderate)
