"""Units and their reports (#19 item 4): a unit holding open reports is not retired (the message says
how many and links to them) until they are moved — forwarded through the workflow to another unit
of the same agency, with events and clocks; a retired unit leaves routing, dispatch and the pickers
but keeps its history; moving a unit to another parent keeps every report's events and clocks, and
its reports follow the tree (seen by the new ancestors, no longer by the old ones)."""

import pytest
from django.urls import reverse

from accounts.models import User
from agencies import units
from agencies.models import Agency, Membership, Role
from complaints import access, forms, routing, unit_reports, workflow
from complaints.admin_forms import handling_agencies
from complaints.models import Action, ClockKind, Event, Report, RoutingRule, Status
from lapor import audit

URL = reverse("staff:units")


def _admin_of(agency, email):
    user = User.objects.create_user(email, "lapor-test", full_name=email.split("@")[0], is_staff=True)
    Membership.objects.create(user=user, agency=agency, role=Role.AGENCY_ADMIN)
    return user


def _at(make_report, national_admin, unit, n=1):
    """Reports verified and dispatched straight to `unit` by a national admin."""
    reports = []
    for _ in range(n):
        report = make_report()
        workflow.verify(report, by=national_admin)
        workflow.dispatch(report, by=national_admin, to_agency=unit)
        reports.append(report)
    return reports


def _clocks(report):
    return sorted(report.clocks.values_list("pk", "kind", "agency_id", "started_at", "due_at", "stopped_at"))


@pytest.fixture
def two_units(tree, agency_admin):
    return (
        units.add_unit(agency_admin, tree["dinkes"], "UPT Lama"),
        units.add_unit(agency_admin, tree["dinkes"], "UPT Baru"),
    )


def test_a_unit_holding_open_reports_is_not_retired_until_they_are_moved(
    client, tree, national_admin, agency_admin, two_units, make_report
):
    old, new = two_units
    moving = _at(make_report, national_admin, old, 2)
    answered = _at(make_report, national_admin, old)[0]
    workflow.respond(answered, by=agency_admin, note="Sudah kami perbaiki.")  # waiting for the citizen
    before = {r.pk: {c[1]: c for c in _clocks(r)} for r in moving}

    client.force_login(agency_admin)
    response = client.post(URL, {"kind": "retire", "instansi": "dinkes-badung", "unit": old.code})
    page = response.content.decode()
    assert response.status_code == 409
    assert "masih memegang 3 laporan terbuka" in page
    assert f"{reverse('admin:complaints_report_changelist')}?instansi={old.pk}" in page  # the link to them
    assert Agency.objects.get(pk=old.pk).is_active

    response = client.post(
        URL, {"kind": "move_reports", "instansi": "dinkes-badung", "unit": old.code, "to": new.code}, follow=True
    )
    assert "2 laporan diteruskan ke UPT Baru; 1 laporan terbuka masih dipegang UPT Lama" in response.content.decode()
    for report in moving:
        report.refresh_from_db()
        assert (report.agency_id, report.status) == (new.pk, Status.DISPATCHED)
        step = report.events.order_by("pk").last()
        assert (step.action, step.actor_id, step.agency_id, step.target_agency_id) == (
            Action.FORWARD,
            agency_admin.pk,
            new.pk,
            new.pk,
        )
        after = {c[1]: c for c in _clocks(report)}
        # The resolution clock runs on untouched; the first follow-up starts again at the new unit.
        assert after[ClockKind.RESOLUTION] == before[report.pk][ClockKind.RESOLUTION]
        open_ffu = report.clocks.get(kind=ClockKind.FIRST_FOLLOW_UP, stopped_at__isnull=True)
        assert open_ffu.agency_id == new.pk
        assert report.bounce_count == 0  # not a bounce: the same agency's work moved between its units
    assert audit.verify(audit.EVENT_CHAIN).ok

    with pytest.raises(units.HoldsOpenReports) as refused:
        units.retire(agency_admin, old)
    assert refused.value.count == 1
    workflow.accept(answered, by=answered.reporter, rating=5)
    units.retire(agency_admin, old)
    assert not Agency.objects.get(pk=old.pk).is_active


def test_only_an_admin_above_the_unit_forwards_sideways(
    tree, national_admin, agency_admin, unit_admin, sibling_admin, two_units, make_report
):
    old, new = two_units
    report = _at(make_report, national_admin, old)[0]
    for outsider in (unit_admin, sibling_admin):
        with pytest.raises(workflow.WorkflowError):
            workflow.forward(report, by=outsider, to_agency=new)
    with pytest.raises(workflow.WorkflowError):  # not another unit of the same agency
        workflow.forward(report, by=agency_admin, to_agency=tree["sleman"])
    workflow.forward(report, by=agency_admin, to_agency=new)
    assert Report.objects.get(pk=report.pk).agency_id == new.pk
    moved = unit_reports.move_open_reports(unit_admin, new, old)
    assert moved.moved == 0 and len(moved.errors) == 1 and moved.left == 1


def test_a_retired_unit_leaves_routing_dispatch_and_the_pickers(tree, national_admin, agency_admin, make_report):
    unit = units.add_unit(agency_admin, tree["badung"], "Dinas Lama Sekali")
    report = make_report()
    rule, _ = RoutingRule.objects.update_or_create(
        category=report.category, region=report.regency, defaults={"agency": unit}
    )
    assert routing.route(report.category, report.province, report.regency)[0] == unit
    units.retire(agency_admin, unit)
    assert routing.route(report.category, report.province, report.regency)[0] != unit
    assert unit not in forms.search_agencies("Lama Sekali")
    assert not forms.ReportForm().fields["agency"].queryset.filter(pk=unit.pk).exists()
    assert not handling_agencies(agency_admin).filter(pk=unit.pk).exists()
    workflow.verify(report, by=national_admin)
    with pytest.raises(workflow.WorkflowError, match="tidak aktif"):
        workflow.dispatch(report, by=national_admin, to_agency=unit)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    with pytest.raises(workflow.WorkflowError, match="tidak aktif"):
        workflow.forward(report, by=agency_admin, to_agency=unit)
    assert rule.agency == unit


def test_moving_a_unit_keeps_its_reports_history_and_clocks(tree, national_admin, agency_admin, make_report):
    dinkes_admin = _admin_of(tree["dinkes"], "admin.dinkes@example.test")
    sosial = units.add_unit(agency_admin, tree["badung"], "Dinas Sosial")
    sosial_admin = _admin_of(sosial, "admin.sosial@example.test")
    upt = units.add_unit(agency_admin, tree["dinkes"], "UPT Rehabilitasi")
    below = units.add_unit(agency_admin, upt, "Seksi Layanan")
    report, deeper = _at(make_report, national_admin, upt)[0], _at(make_report, national_admin, below)[0]
    workflow.follow_up(report, by=agency_admin, note="Petugas sudah ke lokasi.")
    events = {
        r.pk: list(r.events.order_by("pk").values_list("pk", "action", "agency_id", "chain_hash"))
        for r in (report, deeper)
    }
    clocks = {r.pk: _clocks(r) for r in (report, deeper)}
    due = {r.pk: Report.objects.get(pk=r.pk).due_at for r in (report, deeper)}
    for r in (report, deeper):
        assert access.staff_reports(dinkes_admin).filter(pk=r.pk).exists()
        assert not access.staff_reports(sosial_admin).filter(pk=r.pk).exists()

    units.move(agency_admin, upt, sosial)

    upt.refresh_from_db()
    below.refresh_from_db()
    assert upt.path.startswith(sosial.path) and below.path.startswith(upt.path) and below.depth == upt.depth + 1
    for r in (report, deeper):
        fresh = Report.objects.get(pk=r.pk)
        assert list(fresh.events.order_by("pk").values_list("pk", "action", "agency_id", "chain_hash")) == events[r.pk]
        assert _clocks(fresh) == clocks[r.pk] and fresh.due_at == due[r.pk]
        assert access.staff_reports(sosial_admin).filter(pk=r.pk).exists()  # the new ancestors work on it
        assert not access.staff_reports(dinkes_admin).filter(pk=r.pk).exists()  # the old ones no longer
        assert access.staff_reports(agency_admin).filter(pk=r.pk).exists()  # Badung, above both
        assert Event.objects.filter(report=fresh).count() == len(events[r.pk])
    assert audit.verify(audit.EVENT_CHAIN).ok and audit.verify(audit.AGENCY_CHAIN).ok
    workflow.respond(Report.objects.get(pk=report.pk), by=sosial_admin, note="Selesai ditangani.")


@pytest.mark.parametrize(
    ("who", "status"),
    [("agency_admin", 200), ("parent_admin", 200), ("national_admin", 200), ("unit_admin", 404), ("citizen", 404)],
)
def test_who_opens_the_units_page(request, client, tree, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL, {"instansi": "dinkes-badung"}).status_code == status


def test_the_page_refuses_what_is_out_of_reach(client, tree, sibling_admin, agency_admin):
    client.force_login(sibling_admin)
    for data in (
        {"kind": "rename", "unit": "dinkes-badung", "name": "Diambil Alih"},
        {"kind": "retire", "unit": "dinkes-badung"},
        {"kind": "move", "unit": "dinkes-badung", "parent": "pemkab-sleman"},
    ):
        response = client.post(URL, {"instansi": "pemkab-sleman", **data}, follow=True)
        assert "tidak berada di bawah instansi yang Anda kelola" in response.content.decode()
    dinkes = Agency.objects.get(code="dinkes-badung")
    assert dinkes.name == tree["dinkes"].name and dinkes.is_active and dinkes.parent_id == tree["badung"].pk

    client.force_login(agency_admin)
    client.post(URL, {"kind": "add", "instansi": "dinkes-badung", "name": "UPT Baru Sekali", "unit_kind": "unit"})
    client.post(URL, {"kind": "propose", "instansi": "dinkes-badung", "name": "Badan Baru", "top_kind": "ministry"})
    page = client.get(URL, {"instansi": "dinkes-badung"}).content.decode()
    assert "UPT Baru Sekali" in page and "Usulan instansi menunggu persetujuan" not in page
    assert Agency.objects.get(name="Badan Baru").approval == "pending"


def test_the_national_admin_decides_on_the_page(client, tree, national_admin, agency_admin):
    proposed = units.propose_top_level(agency_admin, "Badan Usulan", Agency.Kind.MINISTRY)
    client.force_login(national_admin)
    page = client.get(URL).content.decode()
    assert "Badan Usulan" in page
    client.post(URL, {"kind": "approve", "unit": proposed.code})
    assert Agency.objects.get(pk=proposed.pk).is_active
    client.force_login(agency_admin)
    assert "Usulan instansi menunggu" not in client.get(URL).content.decode()


def test_the_units_page_is_paged_in_constant_queries(client, tree, agency_admin, django_assert_max_num_queries):
    client.force_login(agency_admin)
    client.get(URL, {"instansi": "dinkes-badung"})
    with django_assert_max_num_queries(12) as few:
        client.get(URL, {"instansi": "dinkes-badung"})
    for i in range(55):
        Agency.objects.create(code=f"sd-{i:02d}", name=f"SD Negeri {i:02d}", kind="unit", parent=tree["dinkes"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        first = client.get(URL, {"instansi": "dinkes-badung"}).content.decode()
    assert "SD Negeri 00" in first and "SD Negeri 54" not in first and "page=2" in first
    assert "SD Negeri 54" in client.get(URL, {"instansi": "dinkes-badung", "page": 2}).content.decode()
