import pytest
from django.urls import reverse

from complaints import workflow
from complaints.models import Comment, Report, Support
from complaints.tests.portal import published
from complaints.workflow import ActionNotAllowed


@pytest.fixture
def report(make_report, national_admin):
    return published(make_report, national_admin)


def test_citizen_supports_a_report_once(client, other_citizen, report):
    client.force_login(other_citizen)
    url = reverse("complaints:support", args=[report.tracking_no])
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302
    assert Support.objects.filter(report=report).count() == 1
    assert Report.objects.get(pk=report.pk).support_count == 1
    assert "Anda mendukung" in client.get(reverse("complaints:detail", args=[report.tracking_no])).content.decode()


def test_support_needs_login_and_a_public_report(client, other_citizen, make_report):
    unverified = make_report()
    url = reverse("complaints:support", args=[unverified.tracking_no])
    assert client.post(url).status_code == 302  # to the login page
    client.force_login(other_citizen)
    assert client.post(url).status_code == 404
    assert not Support.objects.exists()


def test_comment_is_added_and_counted(client, other_citizen, report):
    client.force_login(other_citizen)
    response = client.post(reverse("complaints:comment", args=[report.tracking_no]), {"comment-body": "Saya juga."})
    assert response.status_code == 302
    assert Report.objects.get(pk=report.pk).comment_count == 1
    html = client.get(reverse("complaints:detail", args=[report.tracking_no])).content.decode()
    assert "Saya juga." in html and "Siti" in html


def test_empty_comment_is_refused_next_to_the_field(client, other_citizen, report):
    client.force_login(other_citizen)
    response = client.post(reverse("complaints:comment", args=[report.tracking_no]), {"comment-body": ""})
    assert response.status_code == 400
    assert response.context["forms"]["comment"].errors["body"]
    assert not Comment.objects.exists()


def test_too_long_comment_keeps_the_text(client, other_citizen, report):
    client.force_login(other_citizen)
    text = "panjang " * 300
    response = client.post(reverse("complaints:comment", args=[report.tracking_no]), {"comment-body": text})
    assert response.status_code == 400 and response.context["forms"]["comment"].errors["body"]
    assert text.strip()[:100] in response.content.decode()


def test_hidden_comments_are_not_shown(client, other_citizen, report, national_admin):
    shown = Comment.objects.create(report=report, author=other_citizen, body="Komentar sopan")
    hidden = Comment.objects.create(report=report, author=other_citizen, body="Komentar kasar")
    Report.objects.filter(pk=report.pk).update(comment_count=2)
    workflow.set_comment_hidden(hidden, True, by=national_admin)
    html = client.get(reverse("complaints:detail", args=[report.tracking_no])).content.decode()
    assert shown.body in html and hidden.body not in html
    assert Report.objects.get(pk=report.pk).comment_count == 1


def test_handling_agency_admin_may_hide_a_comment(other_citizen, report, agency_admin):
    comment = Comment.objects.create(report=report, author=other_citizen, body="x")
    workflow.set_comment_hidden(comment, True, by=agency_admin)
    comment.refresh_from_db()
    assert comment.is_hidden and comment.hidden_by == agency_admin


def test_hiding_twice_counts_once(other_citizen, report, national_admin):
    comment = Comment.objects.create(report=report, author=other_citizen, body="x")
    Report.objects.filter(pk=report.pk).update(comment_count=2)  # this comment and another, visible one
    workflow.set_comment_hidden(comment, True, by=national_admin)
    workflow.set_comment_hidden(comment, True, by=national_admin)
    assert Report.objects.get(pk=report.pk).comment_count == 1


@pytest.mark.parametrize("who", ["other_citizen", "citizen", "sibling_admin", "head"])
def test_others_may_not_hide_comments(request, who, report, other_citizen):
    comment = Comment.objects.create(report=report, author=other_citizen, body="x")
    with pytest.raises(ActionNotAllowed):
        workflow.set_comment_hidden(comment, True, by=request.getfixturevalue(who))
    comment.refresh_from_db()
    assert not comment.is_hidden


def test_anonymous_reporter_commenting_on_own_report_stays_anonymous(client, citizen, make_report, national_admin):
    report = published(make_report, national_admin, is_anonymous=True)
    client.force_login(citizen)
    client.post(reverse("complaints:comment", args=[report.tracking_no]), {"comment-body": "Tambahan dari saya"})
    client.logout()
    html = client.get(reverse("complaints:detail", args=[report.tracking_no])).content.decode()
    assert "Tambahan dari saya" in html and "Anonim (pelapor)" in html and "Made" not in html
