"""The workflow table, tested over every (status, action, role) combination.

EXPECTED is written out by hand from DESIGN.md, independent of workflow.TRANSITIONS: for each
status, the actions that may happen, who may take them and where they lead. Every other
combination must be refused and change nothing.
"""

import pytest
from django.utils import translation

from agencies.models import Agency
from complaints import workflow
from complaints.models import Action, Clock, Event, Notification, ReportAgency, Status
from complaints.workflow import WorkflowError

ALL_ROLES = [
    "national",
    "agency",
    "parent",
    "sibling",
    "unit",
    "liaison",
    "head",
    "supervisor",
    "reporter",
    "other",
    "system",
]

# status → action → (target status, roles allowed). The report is addressed to Pemkab Badung
# ("agency"; "parent" is Pemprov Bali) and, once dispatched, handled by Dinas Kesehatan Badung
# ("unit" and "liaison"), whose answers need the liaison officer's approval.
STAFF = "national agency parent"
EXPECTED = {
    "submitted": {
        "merge": ("merged", STAFF),
        "verify": ("verified", STAFF),
        "hold": ("on_hold", STAFF),
        "archive": ("archived", STAFF),
        "remove": ("removed", "national"),
        "note": ("submitted", STAFF),
    },
    "on_hold": {
        "merge": ("merged", STAFF),
        "provide_info": ("submitted", "reporter"),
        "expire_info": ("archived", "system"),
        "archive": ("archived", STAFF),
        "remove": ("removed", "national"),
        "note": ("on_hold", STAFF),
    },
    "verified": {
        "merge": ("merged", STAFF),
        "dispatch": ("dispatched", STAFF),
        "hold": ("on_hold", STAFF),
        "archive": ("archived", STAFF),
        "remove": ("removed", "national"),
        "note": ("verified", STAFF),
    },
    "dispatched": {
        "merge": ("merged", STAFF),
        "forward": ("dispatched", "national agency parent unit"),
        "return": ("returned", "agency parent unit"),
        "transfer": ("dispatched", STAFF),
        "follow_up": ("in_progress", "national agency parent unit liaison"),
        "draft_response": ("dispatched", "agency parent unit liaison"),
        "approve_response": ("responded", "agency parent liaison"),
        "respond": ("responded", "national agency parent liaison"),
        "hold": ("on_hold", "national agency parent unit"),
        "archive": ("archived", STAFF),
        "note": ("dispatched", "national agency parent unit liaison"),
    },
    "in_progress": {
        "merge": ("merged", STAFF),
        "forward": ("dispatched", "national agency parent unit"),
        "return": ("returned", "agency parent unit"),
        "transfer": ("dispatched", STAFF),
        "follow_up": ("in_progress", "national agency parent unit liaison"),
        "draft_response": ("in_progress", "agency parent unit liaison"),
        "approve_response": ("responded", "agency parent liaison"),
        "respond": ("responded", "national agency parent liaison"),
        "hold": ("on_hold", "national agency parent unit"),
        "archive": ("archived", STAFF),
        "note": ("in_progress", "national agency parent unit liaison"),
    },
    "returned": {
        "merge": ("merged", STAFF),
        "dispatch": ("dispatched", STAFF),
        "archive": ("archived", STAFF),
        "remove": ("removed", "national"),
        "note": ("returned", STAFF),
    },
    "responded": {
        "merge": ("merged", STAFF),
        "reply": ("in_progress", "reporter"),
        "accept": ("completed", "reporter"),
        "auto_complete": ("completed", "system"),
        "respond": ("responded", "national agency parent liaison"),
        "note": ("responded", "national agency parent unit liaison"),
    },
    "completed": {
        "reopen": ("in_progress", "reporter"),
        "note": ("completed", "national agency parent unit liaison"),
    },
    "archived": {"note": ("archived", STAFF)},
    "removed": {},
    # Merged from a submitted report: unmerge restores that status.
    "merged": {"unmerge": ("submitted", STAFF), "note": ("merged", STAFF)},
}


@pytest.fixture
def cast(
    national_admin,
    agency_admin,
    parent_admin,
    sibling_admin,
    unit_admin,
    liaison,
    head,
    supervisor,
    citizen,
    other_citizen,
):
    return {
        "national": national_admin,
        "agency": agency_admin,
        "parent": parent_admin,
        "sibling": sibling_admin,
        "unit": unit_admin,
        "liaison": liaison,
        "head": head,
        "supervisor": supervisor,
        "reporter": citizen,
        "other": other_citizen,
        "system": None,
    }


@pytest.fixture
def build(make_report, cast, tree):
    """build(status) → a report driven through the workflow into that status."""

    def in_status(status):
        r = make_report()
        nat, adm, unit = cast["national"], cast["agency"], cast["unit"]
        if status == "submitted":
            return r
        if status == "on_hold":
            workflow.hold(r, by=nat, note="Mohon lampirkan foto lokasi.")
            return r
        if status == "merged":
            workflow.merge(r, by=nat, into=make_report())
            return r
        if status in ("archived", "removed"):
            if status == "archived":
                workflow.archive(r, by=nat, reason="out_of_scope")
            else:
                workflow.remove(r, by=nat, reason="spam")
            return r
        workflow.verify(r, by=nat)
        if status == "verified":
            return r
        workflow.dispatch(r, by=adm, to_agency=tree["dinkes"])
        workflow.draft_response(r, by=unit, note="Draf: sudah kami jadwalkan perbaikan.")
        if status == "dispatched":
            return r
        if status == "in_progress":
            workflow.follow_up(r, by=unit, note="Tim sudah meninjau lokasi.")
            return r
        if status == "returned":
            workflow.return_report(r, by=unit, reason="Jalan kabupaten, bukan kewenangan dinas kesehatan.")
            return r
        workflow.respond(r, by=adm, note="Perbaikan selesai pada 12 Januari.")
        if status == "responded":
            return r
        workflow.accept(r, by=cast["reporter"], rating=4)
        assert status == "completed"
        return r

    return in_status


def _args(action, tree):
    note = {"note": "Catatan uji."}
    return {
        "verify": {},
        "hold": note,
        "provide_info": note,
        "dispatch": {"to_agency": tree["dinkes"]},
        "forward": {"to_agency": tree["unit"]},
        "return": {"reason": "Bukan kewenangan kami."},
        "transfer": {"to_agency": tree["sleman"], "note": "Lokasi di Sleman."},
        "follow_up": note,
        "draft_response": note,
        "approve_response": {},
        "respond": note,
        "reply": note,
        "accept": {"rating": 5},
        "reopen": {"reason": "Jalan berlubang lagi."},
        "archive": {"reason": "out_of_scope"},
        "remove": {"reason": "spam"},
        "note": note,
    }.get(action, {})


def _main_report(report):
    """Another report about the same problem, for merge."""
    return workflow.submit(
        by=report.reporter,
        classification=report.classification,
        title=report.title,
        body=report.body,
        event_date=report.event_date,
        province=report.province,
        regency=report.regency,
        category=report.category,
        suggested_agency=report.suggested_agency,
    )


def _perform(report, action, user, tree):
    fn = workflow.ACTION_FUNCTIONS[action]
    if action == "merge":
        return fn(report, by=user, into=_main_report(report))
    if user is None:
        return (
            fn(report, **_args(action, tree))
            if action in ("auto_complete", "expire_info")
            else fn(report, by=None, **_args(action, tree))
        )
    if action in ("auto_complete", "expire_info"):
        raise WorkflowError("system-only action called by a user")  # these functions take no actor
    kwargs = _args(action, tree)
    if action == "respond" and report.status == "responded":
        kwargs["again"] = True  # a further answer is asked for deliberately (test_answer_again_is_deliberate)
    return fn(report, by=user, **kwargs)


def _expected_roles(status, action):
    target, roles = EXPECTED[status].get(action, (None, ""))
    return target, set(roles.split())


def test_expected_table_matches_workflow_table():
    """Same (status, action) pairs as the hand-written spec: nothing added or lost unnoticed."""
    spec = {(s, a) for s, actions in EXPECTED.items() for a in actions}
    assert set(workflow.TRANSITIONS) == spec


@pytest.mark.parametrize("status", list(EXPECTED))
def test_who_may_do_what_in_each_status(status, build, cast):
    report = build(status)
    assert report.status == status
    for action in Action:
        if action == Action.SUBMIT:
            continue
        _, roles = _expected_roles(status, action)
        for role in ALL_ROLES:
            assert workflow.allowed(report, action, cast[role]) == (role in roles), (status, action, role)


@pytest.mark.parametrize("status", list(EXPECTED))
def test_the_actions_offered_are_the_actions_the_table_allows(status, build, cast):
    """allowed_actions (the report page's buttons) asks the table's cheap questions first: the same answer."""
    report = build(status)
    for role in ALL_ROLES:
        expected = [a for a in Action if a != Action.SUBMIT and role in _expected_roles(status, a)[1]]
        assert workflow.allowed_actions(report, cast[role]) == expected, (status, role)


def test_offering_actions_builds_no_refusal_for_what_the_table_rules_out(
    make_report, citizen, other_citizen, monkeypatch
):
    report = make_report()
    checked = []
    real = workflow._check
    monkeypatch.setattr(workflow, "_check", lambda r, action, roles: checked.append(action) or real(r, action, roles))
    assert workflow.allowed_actions(report, other_citizen) == [] and checked == []  # no role: nothing asked
    workflow.allowed_actions(report, citizen)  # the reporter of a submitted report: the table allows nothing
    assert checked == []


@pytest.mark.parametrize("status", list(EXPECTED))
def test_refused_actions_raise_and_change_nothing(status, build, cast, tree):
    report = build(status)
    before = (
        report.status,
        report.agency_id,
        Event.objects.filter(report=report).count(),
        Clock.objects.filter(report=report).count(),
    )
    for action in Action:
        if action == Action.SUBMIT:
            continue
        _, roles = _expected_roles(status, action)
        for role in set(ALL_ROLES) - roles:
            with pytest.raises(WorkflowError):
                _perform(report, action, cast[role], tree)
            report.refresh_from_db()
            after = (
                report.status,
                report.agency_id,
                Event.objects.filter(report=report).count(),
                Clock.objects.filter(report=report).count(),
            )
            assert after == before, (status, action, role)


ALLOWED = [
    (s, a, role) for s, actions in EXPECTED.items() for a, (_t, roles) in actions.items() for role in roles.split()
]


@pytest.mark.parametrize("status, action, role", ALLOWED)
def test_allowed_action_moves_the_report_and_writes_one_event(status, action, role, build, cast, tree):
    report = build(status)
    events_before = Event.objects.filter(report=report).count()
    event = _perform(report, action, cast[role], tree)
    report.refresh_from_db()
    target, _ = _expected_roles(status, action)
    if action == "provide_info":
        target = "submitted"  # back to where it was held from
    assert report.status == target
    assert Event.objects.filter(report=report).count() == events_before + 1
    assert (event.action, event.from_status, event.to_status) == (action, status, target)
    assert event.actor == cast[role]


def test_submit_records_event_clock_and_handler(make_report, tree):
    report = make_report()
    assert report.status == Status.SUBMITTED
    assert report.agency == tree["badung"]
    assert list(report.events.values_list("action", flat=True)) == ["submit"]
    clock = report.clocks.get()
    assert (clock.kind, clock.state, clock.limit_days) == ("verification", "running", 3)
    assert report.due_at == clock.due_at
    assert ReportAgency.objects.filter(report=report, agency=tree["badung"]).exists()


def test_same_submission_key_creates_one_report(make_report):
    first = make_report(submission_key="form-abc")
    second = make_report(submission_key="form-abc")
    assert first.pk == second.pk


def test_tracking_numbers_are_short_and_not_sequential(make_report):
    numbers = [make_report().tracking_no for _ in range(8)]
    assert len(set(numbers)) == 8
    assert all(len(n) == 8 and n.isalnum() and n.isupper() for n in numbers)
    # Neither rising nor falling in filing order (random numbers: either happens once in 20,160 runs).
    assert sorted(numbers) != numbers and sorted(numbers, reverse=True) != numbers


def test_regency_outside_province_is_refused(make_report):
    from agencies.models import Region

    with pytest.raises(WorkflowError, match="tidak berada di provinsi"):
        make_report(province=Region.objects.get(code="34"))


def test_citizen_flags_cannot_be_cleared_at_verification(make_report, national_admin):
    report = make_report(is_anonymous=True)
    with pytest.raises(WorkflowError, match="Anonim"):
        workflow.verify(report, by=national_admin, is_anonymous=False)
    report.refresh_from_db()
    assert report.is_anonymous and report.status == Status.SUBMITTED


def test_admin_may_set_confidential_at_verification(make_report, national_admin):
    report = make_report()
    workflow.verify(report, by=national_admin, is_confidential=True, title="Ringkasan: jalan rusak")
    report.refresh_from_db()
    assert report.is_confidential and report.title == "Ringkasan: jalan rusak"
    assert report.original_title == "Jalan berlubang di depan puskesmas"


def test_return_goes_back_to_the_agency_that_routed_it(build, cast, tree):
    report = build("returned")
    assert report.agency == tree["badung"]  # the Badung admin dispatched it
    assert report.bounce_count == 1


def test_return_after_national_dispatch_goes_to_national_queue(make_report, national_admin, unit_admin, tree):
    report = make_report(suggested_agency=None)
    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["dinkes"])
    workflow.return_report(report, by=unit_admin, reason="Bukan wewenang.")
    assert report.agency is None and report.status == Status.RETURNED


def test_bounces_are_capped(make_report, national_admin, unit_admin, tree, settings):
    settings.LAPOR_MAX_BOUNCES = 1
    report = make_report(suggested_agency=None)
    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["dinkes"])
    workflow.return_report(report, by=unit_admin, reason="Bukan wewenang.")
    workflow.dispatch(report, by=national_admin, to_agency=tree["dinkes"])
    with pytest.raises(WorkflowError, match="sudah 1 kali"):
        workflow.return_report(report, by=unit_admin, reason="Tetap bukan wewenang.")
    report.refresh_from_db()
    assert report.status == Status.DISPATCHED


def test_agency_admin_cannot_dispatch_outside_their_subtree(build, cast, tree):
    report = build("verified")
    with pytest.raises(WorkflowError, match="di bawah kewenangannya"):
        workflow.dispatch(report, by=cast["agency"], to_agency=tree["sleman"])
    report.refresh_from_db()
    assert report.status == Status.VERIFIED


def test_forward_only_goes_down_the_subtree(build, cast, tree):
    report = build("dispatched")
    with pytest.raises(WorkflowError, match="di bawah instansi penangan"):
        workflow.forward(report, by=cast["unit"], to_agency=tree["sleman"])


def test_unit_answer_needs_approval_then_publishes_the_draft(build, cast):
    report = build("dispatched")
    with pytest.raises(WorkflowError, match="Pejabat Penghubung"):
        workflow.respond(report, by=cast["unit"], note="Jawaban langsung")
    event = workflow.approve_response(report, by=cast["liaison"])
    assert event.public_note == "Draf: sudah kami jadwalkan perbaikan."
    assert report.status == Status.RESPONDED


def test_a_published_draft_cannot_be_approved_again_after_the_citizen_replies(build, cast):
    report = build("dispatched")
    workflow.approve_response(report, by=cast["liaison"])
    workflow.reply(report, by=cast["reporter"], note="Belum beres.")
    assert "approve_response" not in workflow.allowed_actions(report, cast["liaison"])
    with pytest.raises(WorkflowError, match="Belum ada draf"):
        workflow.approve_response(report, by=cast["liaison"])
    workflow.draft_response(report, by=cast["unit"], note="Jawaban kedua.")
    assert workflow.approve_response(report, by=cast["liaison"]).public_note == "Jawaban kedua."


def test_dispatch_with_copies_gives_the_copied_agency_sight(build, cast, tree):
    report = build("verified")
    workflow.dispatch(report, by=cast["national"], to_agency=tree["dinkes"], copies=[tree["sleman"]])
    assert ReportAgency.objects.filter(report=report, agency=tree["sleman"], kind="copy").exists()


def test_reopen_is_limited(build, cast, settings):
    settings.LAPOR_MAX_REOPENS = 1
    report = build("completed")
    workflow.reopen(report, by=cast["reporter"], reason="Masih rusak.")
    workflow.respond(report, by=cast["agency"], note="Sudah diperbaiki lagi.")
    workflow.accept(report, by=cast["reporter"], rating=3)
    with pytest.raises(WorkflowError, match="batas maksimalnya"):
        workflow.reopen(report, by=cast["reporter"], reason="Rusak lagi.")


def test_rating_must_be_one_to_five(build, cast):
    report = build("responded")
    for bad in (0, 6, "x"):
        with pytest.raises(WorkflowError, match="1 sampai 5"):
            workflow.accept(report, by=cast["reporter"], rating=bad)
    report.refresh_from_db()
    assert report.status == Status.RESPONDED and report.rating is None


def test_events_are_append_only(make_report):
    event = make_report().events.get()
    event.public_note = "diubah"
    with pytest.raises(ValueError):
        event.save()


def test_inactive_agency_cannot_receive_a_dispatch(build, cast, tree):
    report = build("verified")
    Agency.objects.filter(pk=tree["dinkes"].pk).update(is_active=False)
    tree["dinkes"].refresh_from_db()
    with pytest.raises(WorkflowError, match="tidak aktif"):
        workflow.dispatch(report, by=cast["national"], to_agency=tree["dinkes"])


@pytest.mark.parametrize(
    "title",
    [
        "Jalan rusak",
        "x" * 60,
        "x" * 61,
        "Antrean puskesmas sangat lama di Kuta, sudah lima jam tanpa kejelasan dari petugas",
        "Cafe\u0301 " * 12,  # 72 code points, 60 once composed (NFC)
        "Cafe\u0301 " * 13,
        "\u0344" * 70,  # decomposed by NFC into combining marks Truncator does not count
        "  spasi   di   tepi  ",
    ],
)
def test_a_notifications_title_is_cut_as_truncator_cuts_it(title):
    from django.utils.text import Truncator

    from complaints.notifications import _title_in_60

    assert _title_in_60(title) == Truncator(title).chars(60)


def test_a_new_report_reaches_its_staff_or_the_nearest_admins_above_in_their_language(
    make_report, tree, citizen, national_admin, parent_admin, unit_admin
):
    parent_admin.language = "en"
    parent_admin.save()
    told = Notification.objects.exclude(user=citizen)
    report = make_report()  # Badung has no admin of its own: Bali's admins verify, not the national ones
    assert list(told.filter(report=report).values_list("user", flat=True)) == [parent_admin.pk]
    with translation.override("en"):
        english = str(Action.SUBMIT.label)
    assert english != str(Action.SUBMIT.label) and english in told.get(report=report).subject
    report = make_report(suggested_agency=tree["dinkes"])  # the unit's admin, and Bali's above it
    assert set(told.filter(report=report).values_list("user", flat=True)) == {unit_admin.pk, parent_admin.pk}
    unit_admin.is_active = False
    unit_admin.save()
    report = make_report(suggested_agency=tree["dinkes"])
    assert set(told.filter(report=report).values_list("user", flat=True)) == {parent_admin.pk}
