import datetime as dt
import itertools

from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency
from complaints import own_reports, workflow
from complaints.models import Report, Status
from complaints.tests.portal import answered, published

URL = reverse("complaints:mine")


def test_my_reports_needs_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "masuk" in response["Location"]


def test_my_reports_lists_only_my_reports_in_tabs(
    client, citizen, other_citizen, make_report, national_admin, agency_admin, tree
):
    make_report(title="Menunggu verifikasi")
    answered(make_report, national_admin, agency_admin, tree, title="Sudah dijawab")
    done = published(make_report, national_admin, title="Diarsipkan")
    workflow.archive(done, by=national_admin, reason="out_of_scope")
    make_report(title="Punya orang lain", by=other_citizen)
    client.force_login(citizen)

    def titles(tab):
        return [r.title for r in client.get(URL, {"tab": tab}).context["page"]]

    assert titles("semua") == ["Diarsipkan", "Sudah dijawab", "Menunggu verifikasi"]
    assert titles("menunggu") == ["Menunggu verifikasi"]
    assert titles("diproses") == ["Sudah dijawab"]
    assert titles("selesai") == ["Diarsipkan"]
    tabs = {slug: count for slug, _label, count in client.get(URL).context["tabs"]}
    assert tabs == {"semua": 3, "menunggu": 1, "diproses": 1, "selesai": 1}


def test_my_reports_shows_latest_events_agency_and_countdown(
    client, citizen, make_report, national_admin, agency_admin, tree
):
    answered(make_report, national_admin, agency_admin, tree)
    client.force_login(citizen)
    response = client.get(URL, {"tab": "diproses"})
    report = response.context["page"].object_list[0]
    assert [e.action for e in report.latest_events] == ["respond", "dispatch", "verify"]
    html = response.content.decode()
    assert tree["badung"].name in html and "Jalan sudah ditambal." in html
    step = report.latest_events[0]  # each step names the agency that took it
    assert step.agency_id and f"({Agency.objects.get(pk=step.agency_id).name})" in html
    assert "lagi" in html  # the reply window's countdown


def test_my_reports_shows_my_own_confidential_and_anonymous_reports(client, citizen, make_report):
    make_report(title="Rahasia saya", is_confidential=True, is_anonymous=True)
    client.force_login(citizen)
    html = client.get(URL).content.decode()
    assert "Rahasia saya" in html


# --- The tabs read for one page (complaints/own_reports.py) ---

STATUS_CYCLE = [
    Status.SUBMITTED,
    Status.IN_PROGRESS,
    Status.COMPLETED,
    Status.ON_HOLD,
    Status.RESPONDED,
    Status.ARCHIVED,
    Status.DISPATCHED,
    Status.VERIFIED,
    Status.RETURNED,
    Status.REMOVED,
]


_numbers = itertools.count()


def _copies(report, n, statuses, when):
    """n more reports of `report`'s reporter, statuses from `statuses` in turn, created at when(i)."""
    made = []
    for i in range(n):
        report.pk = None
        report._state.adding = True
        report.tracking_no = f"T{next(_numbers):07d}"
        report.submission_key = None
        report.status = statuses[i % len(statuses)]
        report.save()
        made.append(report.pk)
    for i, pk in enumerate(made):
        Report.objects.filter(pk=pk).update(created_at=when(i))
    return made


def test_my_reports_tabs_pages_and_counts_match_the_plain_definition(client, citizen, other_citizen, make_report):
    """Every tab's pages give the rows, order and counts of the plain query (the citizen's reports of the
    tab's statuses, newest first, ties by id), ties in created_at included; nobody else's report appears."""
    base = timezone.now() - dt.timedelta(days=30)
    own = make_report(title="Saya")
    _copies(own, 61, STATUS_CYCLE, lambda i: base + dt.timedelta(hours=i // 3))  # ties
    _copies(own, 40, [Status.SUBMITTED], lambda i: base + dt.timedelta(hours=i // 2, minutes=30))  # pages of one status
    _copies(make_report(title="Orang lain", by=other_citizen), 12, STATUS_CYCLE, lambda i: base + dt.timedelta(hours=i))
    client.force_login(citizen)
    for tab, (_label, statuses) in own_reports.TABS.items():
        plain = Report.objects.filter(reporter=citizen).order_by("-created_at", "-pk")
        if statuses:
            plain = plain.filter(status__in=statuses)
        expected = list(plain.values_list("pk", flat=True))
        shown, number = [], 1
        while True:
            page = client.get(URL, {"tab": tab, "page": number}).context["page"]
            shown += [r.pk for r in page]
            assert all(r.reporter_id == citizen.pk for r in page)
            if not page.has_next or number > len(expected) // 25 + 1:
                break
            number += 1
        assert shown == expected, tab
        assert number == max(1, -(-len(expected) // 25)), tab  # no empty page after the last
    tabs = {slug: count for slug, _label, count in client.get(URL).context["tabs"]}
    mine = Report.objects.filter(reporter=citizen)
    assert tabs == {
        slug: mine.filter(status__in=statuses).count() if statuses else mine.count()
        for slug, (_label, statuses) in own_reports.TABS.items()
    }


def test_my_reports_tabs_split_every_status_once():
    """ "Semua" is counted as the sum of the other tabs: they must hold every status exactly once."""
    listed = [s for _label, statuses in own_reports.TABS.values() if statuses for s in statuses]
    assert sorted(listed) == sorted(Status.values)


def test_my_reports_counts_a_tab_up_to_its_cap(client, citizen, make_report, settings):
    report = make_report()
    _copies(report, own_reports.COUNTED - 2, [Status.SUBMITTED], lambda i: timezone.now())
    _copies(report, 3, [Status.COMPLETED], lambda i: timezone.now())
    client.force_login(citizen)

    def tabs():
        return {slug: count for slug, _label, count in client.get(URL).context["tabs"]}

    assert tabs() == {
        "semua": own_reports.COUNTED + 2,
        "menunggu": own_reports.COUNTED - 1,
        "diproses": 0,
        "selesai": 3,
    }
    _copies(report, 1, [Status.SUBMITTED], lambda i: timezone.now())
    assert tabs() == {"semua": "99+", "menunggu": "99+", "diproses": 0, "selesai": 3}
    html = client.get(URL).content.decode()
    assert '<span class="badge bg-secondary">99+</span>' in html


def test_my_reports_never_lists_another_citizens_reports(client, citizen, other_citizen, make_report):
    make_report(title="Milik saya")
    theirs = make_report(title="Milik orang lain", by=other_citizen, is_confidential=True)
    client.force_login(citizen)
    for tab in [*own_reports.TABS, "bogus"]:
        response = client.get(URL, {"tab": tab})
        assert theirs.pk not in [r.pk for r in response.context["page"]]
        assert (
            "Milik orang lain" not in response.content.decode() and theirs.tracking_no not in response.content.decode()
        )
    client.force_login(other_citizen)
    assert [r.title for r in client.get(URL).context["page"]] == ["Milik orang lain"]
