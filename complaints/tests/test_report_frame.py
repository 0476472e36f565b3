"""The report page's frame kept per worker for its shape (complaints/report_parts.py kept_page): every page
drawn from it is the page the template draws in full, with each visitor's own values; a page with
messages, actions or a posted form is drawn in full."""

import re

import pytest
from django.middleware.csrf import _unmask_cipher_token
from django.urls import reverse

from complaints import report_parts
from complaints.models import Report, Support
from complaints.tests.portal import answered, published

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _get(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return response


def _without_tokens(html: str) -> str:
    return TOKEN.sub('name="csrfmiddlewaretoken" value="-"', html)


@pytest.fixture
def drawn_in_full(monkeypatch):
    """Pages drawn by the template in full, as before the frame was kept."""

    def full():
        monkeypatch.setattr(report_parts, "kept_page", lambda request, context: None)

    return full


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_pages_from_the_frame_are_the_pages_drawn_in_full(
    client,
    citizen,
    other_citizen,
    make_report,
    national_admin,
    agency_admin,
    tree,
    drawn_in_full,
    prefix,
    settings,
    monkeypatch,
):
    settings.LAPOR_PAGE_CACHE_SECONDS = 0  # anonymous pages rendered too
    public = published(make_report, national_admin, title="Lampu jalan padam")
    supported = published(make_report, national_admin, title="Trotoar rusak")
    Support.add(supported, other_citizen)
    confidential = make_report(title="Laporan rahasia", is_confidential=True)
    from complaints import workflow

    handled = published(make_report, national_admin, title="Got mampet", is_anonymous=True)
    workflow.dispatch(handled, by=national_admin, to_agency=tree["badung"])
    visitors = [
        (None, [public, supported, handled]),
        (other_citizen, [public, supported, handled]),
        (citizen, [public, confidential, handled]),
        (agency_admin, [public, handled]),  # staff: their own navigation; the Anonim reporter's identity hidden
    ]
    seen, framed = {}, []
    kept_page = report_parts.kept_page

    def spy(request, context):
        html = kept_page(request, context)
        framed.append((request.user.pk, html is not None))
        return html

    monkeypatch.setattr(report_parts, "kept_page", spy)
    for full in (False, True):
        if full:
            drawn_in_full()
        for visitor, reports in visitors:
            client.logout()
            if visitor is not None:
                client.force_login(visitor)
            for report in reports:
                response = _get(client, f"{prefix}/laporan/{report.tracking_no}/")
                headers = sorted(
                    (k, v) for k, v in response.items() if k.lower() not in ("content-security-policy", "expires")
                )
                page = (_without_tokens(response.content.decode()), headers, sorted(response.cookies))
                seen.setdefault((visitor, report.pk), []).append(page)
    assert len(seen) == 11
    for visitor in (None, other_citizen, citizen):  # each had pages from the frame
        assert (getattr(visitor, "pk", None), True) in framed, visitor
    assert (agency_admin.pk, False) in framed  # staff are offered actions (a note at least): drawn in full
    for (visitor, report_pk), (kept, drawn) in seen.items():
        assert kept == drawn, (visitor, report_pk)
    supporting = seen[other_citizen, supported.pk][0][0]
    assert ("Anda mendukung" if not prefix else "You support") in supporting
    assert "<span>1 " in supporting and "Laporan rahasia" in seen[citizen, confidential.pk][0][0]


def test_each_visitor_gets_their_own_name_token_and_support_in_the_frame(
    client, citizen, other_citizen, make_report, national_admin
):
    report = published(make_report, national_admin, title="Lampu jalan padam")
    Support.add(report, other_citizen)
    path = reverse("complaints:detail", args=[report.tracking_no])
    client.force_login(other_citizen)
    profile = reverse("accounts:profile")
    first = _get(client, path).content.decode()
    assert f'href="{profile}">Siti</a>' in first and "Anda mendukung" in first and "1 dukungan" in first
    secret = client.cookies["csrftoken"].value
    assert {_unmask_cipher_token(token) for token in TOKEN.findall(first)} == {secret}
    client.logout()
    client.force_login(citizen)  # the reporter: no support button, their own name and token
    own = _get(client, path).content.decode()
    assert f'href="{profile}">Made</a>' in own and ">Siti</a>" not in own
    assert "Anda mendukung" not in own and reverse("complaints:support", args=[report.tracking_no]) not in own
    assert secret not in {_unmask_cipher_token(token) for token in TOKEN.findall(own)}
    client.logout()
    anonymous = _get(client, path).content.decode()
    assert profile not in anonymous and ">Siti</a>" not in anonymous
    assert f'?next={path}"' in anonymous


def test_the_support_count_is_each_reports_own_in_the_visitors_words(
    client, citizen, other_citizen, make_report, national_admin
):
    one = published(make_report, national_admin, title="Lampu jalan padam")
    two = published(make_report, national_admin, title="Trotoar rusak")
    Support.add(one, other_citizen)
    Report.objects.filter(pk=two.pk).update(support_count=2)
    client.force_login(other_citizen)
    assert "<span>1 supporter</span>" in _get(client, f"/en/laporan/{one.tracking_no}/").content.decode()
    assert "<span>2 supporters</span>" in _get(client, f"/en/laporan/{two.tracking_no}/").content.decode()
    assert "<span>2 dukungan</span>" in _get(client, f"/laporan/{two.tracking_no}/").content.decode()


def test_a_page_with_messages_or_actions_is_drawn_in_full(
    client, citizen, other_citizen, make_report, national_admin, agency_admin, tree
):
    report = published(make_report, national_admin, title="Lampu jalan padam")
    path = reverse("complaints:detail", args=[report.tracking_no])
    client.force_login(other_citizen)
    _get(client, path)
    page = client.post(reverse("complaints:support", args=[report.tracking_no]), follow=True).content.decode()
    assert "Anda mendukung" in page and 'role="alert"' in page  # the message of the support just given
    assert 'role="alert"' not in _get(client, path).content.decode()  # shown once
    answered_report = answered(make_report, national_admin, agency_admin, tree, note="Jalan sudah ditambal.")
    client.logout()
    client.force_login(citizen)  # the reporter: the answer to accept, and the forms of their actions
    page = _get(client, reverse("complaints:detail", args=[answered_report.tracking_no])).content.decode()
    assert 'id="answer-title"' in page and 'id="form-accept"' in page and "Jalan sudah ditambal." in page
