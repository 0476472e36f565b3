"""Routing suggestions (#16 items 5-7): a model trained on a small deterministic history of
dispatched reports suggests category and agency with a confidence; the verify form shows the top
three, pre-selects the first above the threshold and records whether the verifier took it; the
measuring command reports accuracy on held-out reports and the acceptance rate."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from agencies.models import Agency
from complaints import routing_model, workflow
from complaints.models import Category, Report, RoutingModel, RoutingSuggestion, Status

HEALTH = [
    ("Antrean puskesmas sangat panjang", "Pasien menunggu dokter sejak pagi, obat sering habis."),
    ("Dokter puskesmas jarang datang", "Pelayanan kesehatan lambat, pasien pulang tanpa diperiksa."),
    ("Obat di puskesmas habis", "Pasien diminta membeli obat sendiri di apotek, dokter tidak ada."),
    ("Pelayanan puskesmas buruk", "Perawat kasar kepada pasien lansia yang antre berobat."),
]
ROADS = [
    ("Jalan berlubang di depan pasar", "Aspal rusak dan lubang besar membahayakan pengendara motor."),
    ("Perbaikan jalan tidak selesai", "Proyek aspal jalan kabupaten terbengkalai, lubang makin lebar."),
    ("Jalan rusak parah", "Pengendara jatuh karena lubang di jalan, aspal mengelupas."),
    ("Lubang jalan belum ditambal", "Jalan berlubang di dekat sekolah, pengendara harus menghindar."),
]


@pytest.fixture(autouse=True)
def _fresh_model():
    routing_model.forget()
    yield
    routing_model.forget()


@pytest.fixture
def categories():
    return Category.objects.get(code="kesehatan-puskesmas"), Category.objects.get(code="infrastruktur-jalan")


@pytest.fixture
def agencies(tree):
    return tree["dinkes"], Agency.objects.get(code="dinas-pupr-badung")


@pytest.fixture
def history(make_report, national_admin, categories, agencies):
    """Forty dispatched reports: health ones to Dinas Kesehatan, road ones to Dinas PUPR Badung."""
    made = []
    for round_ in range(5):
        for stories, category, agency in ((HEALTH, categories[0], agencies[0]), (ROADS, categories[1], agencies[1])):
            for title, body in stories:
                report = make_report(title=f"{title} {round_}", body=body, category=category)
                workflow.verify(report, by=national_admin)
                workflow.dispatch(report, by=national_admin, to_agency=agency)
                made.append(report)
    return made


def _new(make_report, title, body, categories):
    # Filed under the other topic's category: the suggestion must come from the words, not the field.
    return make_report(title=title, body=body, category=categories[1])


def test_trained_model_suggests_category_and_agency_with_confidence(history, make_report, categories, agencies):
    model = routing_model.train(min_reports=10)
    assert model.pk and model.trained_on == len([r for r in history if r.pk % routing_model.HOLD_OUT])
    report = _new(make_report, "Antrean pasien di puskesmas", "Dokter tidak ada, obat habis.", categories)
    suggestion = routing_model.suggest(report)
    assert suggestion.categories[0][0] == categories[0].pk
    assert suggestion.agencies[0][0] == agencies[0].pk
    assert suggestion.categories[0][1] >= routing_model.PRESELECT_THRESHOLD
    assert len(suggestion.categories) <= 3 and len(suggestion.agencies) <= 3
    stored = RoutingSuggestion.objects.get(report=report)
    assert stored.model_id == model.pk
    # Deterministic: the same history trains the same model, which suggests the same.
    routing_model.forget()
    RoutingSuggestion.objects.all().delete()
    routing_model.train(min_reports=10)
    again = routing_model.suggest(report)
    assert again.categories == suggestion.categories and again.agencies == suggestion.agencies


def test_model_is_loaded_once_per_worker(history, make_report, categories, monkeypatch):
    routing_model.train(min_reports=10)
    import joblib

    loads = []
    real = joblib.load
    monkeypatch.setattr(joblib, "load", lambda *a, **k: loads.append(1) or real(*a, **k))
    for title, body in ROADS:
        routing_model.suggest(_new(make_report, title, body, categories))
    assert len(loads) == 1


def test_without_a_model_the_database_is_asked_once_in_a_while(history, django_assert_num_queries):
    """No model: the answer is kept for NO_MODEL_SECONDS (each verify page and each arriving report
    asked the database), yet a model trained by another process is picked up after that time, and
    one trained in this process at once."""
    assert routing_model.loaded() == (None, None)
    with django_assert_num_queries(0):
        for _ in range(3):
            assert routing_model.loaded() == (None, None)
    kept = dict(routing_model._loaded)
    model = routing_model.train(min_reports=10)
    assert routing_model.loaded()[0] == model.pk  # trained here: used at once
    routing_model._loaded.update(kept)  # as another worker, which still holds "no model"
    with django_assert_num_queries(0):
        assert routing_model.loaded() == (None, None)
    routing_model._loaded["checked"] -= routing_model.NO_MODEL_SECONDS  # that long later
    assert routing_model.loaded()[0] == model.pk
    with django_assert_num_queries(0):
        assert routing_model.loaded()[0] == model.pk


def test_verify_form_preselects_records_acceptance_and_dispatches(
    client, history, make_report, categories, agencies, national_admin
):
    routing_model.train(min_reports=10)
    report = _new(make_report, "Obat puskesmas habis lagi", "Pasien antre dokter sejak pagi.", categories)
    client.force_login(national_admin)
    url = reverse("admin:complaints_report_action", args=[report.pk, "verify"])
    page = client.get(url)
    form = page.context["form"]
    assert form.initial["category"] == categories[0].pk  # pre-selected over the citizen's choice
    assert form.initial["route_to"] == agencies[0].pk
    html = page.content.decode()
    assert "Saran model" in html and "%" in html
    data = {
        "title": report.title,
        "classification": "complaint",
        "complaint_kind": "normative",
        "category": categories[0].pk,
        "route_to": agencies[0].pk,
        "seen_event": form.initial["seen_event"],
        "once": form.initial["once"],
    }
    assert client.post(url, data).status_code == 302
    report.refresh_from_db()
    assert (report.status, report.agency) == (Status.DISPATCHED, agencies[0])
    stored = RoutingSuggestion.objects.get(report=report)
    assert (stored.category_accepted, stored.agency_accepted) == (True, True)


def test_a_verifier_who_routes_elsewhere_is_recorded_as_not_accepting(
    history, make_report, categories, agencies, national_admin, tree
):
    routing_model.train(min_reports=10)
    report = _new(make_report, "Antrean puskesmas", "Pasien menunggu dokter.", categories)
    routing_model.suggest(report)
    workflow.verify(report, by=national_admin, category=categories[1])
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    workflow.return_report(report, by=_admin_of_badung(tree), reason="Bukan wewenang.")
    workflow.dispatch(report, by=national_admin, to_agency=agencies[0])  # a later dispatch changes nothing
    stored = RoutingSuggestion.objects.get(report=report)
    assert (stored.category_accepted, stored.agency_accepted) == (False, False)


def _admin_of_badung(tree):
    from accounts.models import User
    from agencies.models import Membership

    user = User.objects.create_user("admin.badung2@example.test", "x", is_staff=True)
    Membership.objects.create(user=user, agency=tree["badung"], role=Membership.Role.AGENCY_ADMIN)
    return user


def test_without_a_model_the_verify_form_is_as_before(client, make_report, national_admin):
    report = make_report()
    client.force_login(national_admin)
    page = client.get(reverse("admin:complaints_report_action", args=[report.pk, "verify"]))
    assert page.status_code == 200
    assert "route_to" not in page.context["form"].fields
    assert page.context["form"].initial["category"] == report.category_id
    assert not RoutingSuggestion.objects.exists()


def test_an_unreadable_model_turns_suggestions_off(make_report):
    RoutingModel.objects.create(trained_on=1, categories=2, sha256="x", artifact=b"not a model")
    assert routing_model.suggest(make_report()) is None


def test_too_little_history_trains_nothing(make_report):
    out = io.StringIO()
    call_command("train_routing", stdout=out)
    assert "belum cukup" in out.getvalue() and not RoutingModel.objects.exists()


def test_commands_train_and_measure(history, make_report, categories, national_admin, eager_celery):
    from complaints.tasks import train_routing_model

    version = train_routing_model.delay().get()
    assert RoutingModel.objects.filter(pk=version).exists()  # the periodic task trains through the same function
    out = io.StringIO()
    call_command("train_routing", stdout=out)
    assert "Model v" in out.getvalue()
    report = _new(make_report, "Jalan berlubang lagi", "Aspal rusak, pengendara jatuh.", categories)
    routing_model.suggest(report)
    workflow.verify(report, by=national_admin, category=categories[1])
    out = io.StringIO()
    call_command("routing_accuracy", stdout=out)
    text = out.getvalue()
    held_out = sum(1 for r in history if r.pk % routing_model.HOLD_OUT == 0)
    assert f"held-out reports: {held_out}" in text
    assert "category: top-1" in text and "agency:   top-1" in text
    assert "accepted by verifiers: category 100.0% of 1" in text
    result = routing_model.accuracy()
    if held_out:
        assert result["category_top1"] == 1.0 and result["agency_top3"] == 1.0


# --- #16 item 9: the suggestion is computed when the report arrives, not on the verify page ---


def test_a_report_arriving_has_its_suggestion_stored_by_the_worker(
    history, make_report, categories, eager_celery, django_capture_on_commit_callbacks
):
    model = routing_model.train(min_reports=10)
    with django_capture_on_commit_callbacks(execute=True):
        report = _new(make_report, "Antrean pasien di puskesmas", "Dokter tidak ada, obat habis.", categories)
    stored = RoutingSuggestion.objects.get(report=report)
    assert stored.model_id == model.pk
    assert stored.categories[0][0] == categories[0].pk


def test_the_verify_page_reads_the_stored_suggestion_without_predicting(
    client,
    history,
    make_report,
    categories,
    agencies,
    national_admin,
    eager_celery,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    routing_model.train(min_reports=10)
    with django_capture_on_commit_callbacks(execute=True):
        report = _new(make_report, "Obat puskesmas habis lagi", "Pasien antre dokter sejak pagi.", categories)
    predictions = []
    real = routing_model.predict
    monkeypatch.setattr(routing_model, "predict", lambda *a, **k: predictions.append(1) or real(*a, **k))
    client.force_login(national_admin)
    url = reverse("admin:complaints_report_action", args=[report.pk, "verify"])
    routing_model.loaded()  # the worker has its model loaded already
    with django_capture_on_commit_callbacks(execute=False) as queued:
        page = client.get(url)
    assert predictions == [] and queued == []
    assert page.context["form"].initial["category"] == categories[0].pk
    assert page.context["form"].initial["route_to"] == agencies[0].pk
    assert RoutingSuggestion.objects.filter(report=report).count() == 1


def test_a_stored_suggestion_adds_two_queries_to_the_verify_page(
    client, history, make_report, categories, agencies, national_admin, monkeypatch
):
    """#16 item 9: with the suggestion stored on arrival the verify page adds its read and one read
    of the agencies offered (the categories' names come from the reference data in memory)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    routing_model.train(min_reports=10)
    report = _new(make_report, "Obat puskesmas habis lagi", "Pasien antre dokter sejak pagi.", categories)
    routing_model.suggest(report)  # as the arrival task does
    client.force_login(national_admin)
    url = reverse("admin:complaints_report_action", args=[report.pk, "verify"])
    client.get(url)  # warm: the session, the reference data

    def page(model):
        with CaptureQueriesContext(connection) as queries:
            if model:
                response = client.get(url)
            else:
                with monkeypatch.context() as off:
                    off.setattr(routing_model, "loaded", lambda: (None, None))
                    response = client.get(url)
        return response, len(queries.captured_queries)

    without, before = page(model=False)
    stored, after = page(model=True)
    assert "Saran model" in stored.content.decode() and "Saran model" not in without.content.decode()
    assert after - before == 2, (before, after)
    assert stored.context["form"].initial["route_to"] == agencies[0].pk
    html = stored.content.decode()
    assert f'value="{agencies[0].pk}"' in html and f"{agencies[0].name} (" in html


def test_without_a_stored_suggestion_the_verify_page_computes_it(
    client, history, make_report, categories, national_admin, monkeypatch
):
    routing_model.train(min_reports=10)
    report = _new(make_report, "Obat puskesmas habis lagi", "Pasien antre dokter sejak pagi.", categories)
    assert not RoutingSuggestion.objects.filter(report=report).exists()  # nothing ran after the commit
    client.force_login(national_admin)
    page = client.get(reverse("admin:complaints_report_action", args=[report.pk, "verify"]))
    assert page.context["form"].initial["category"] == categories[0].pk
    assert RoutingSuggestion.objects.filter(report=report).exists()


def test_a_broker_outage_never_fails_the_citizens_submission(
    client, citizen, history, categories, broker_down, caplog, django_capture_on_commit_callbacks
):
    routing_model.train(min_reports=10)
    client.force_login(citizen)
    data = {
        "classification": "complaint",
        "title": "Antrean puskesmas sangat lama",
        "body": "Saya menunggu lima jam di Puskesmas Kuta tanpa kejelasan.",
        "event_date": "2026-01-05",
        "province": "51",
        "regency": "51.03",
        "category": str(categories[0].pk),
        "submission_key": "outage",
    }
    with caplog.at_level("WARNING", logger="lapor.queue"), django_capture_on_commit_callbacks(execute=True):
        response = client.post("/laporan/baru/", data)
    assert response.status_code == 302
    report = Report.objects.get(reporter=citizen, title=data["title"])
    assert f"Could not queue complaints.tasks.report_arrived({report.pk}, [" in caplog.text
    assert not RoutingSuggestion.objects.filter(report=report).exists()  # the verify page will compute it
