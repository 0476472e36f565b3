"""Routing suggestions learned from how verifiers routed (#16 items 5-7).

A report's text suggests its category: TF-IDF over Indonesian word stems (Sastrawi) and a linear
classifier (scikit-learn's SGDClassifier with logistic loss, so each category has a probability).
The agency comes from history: how often reports of each category in each regency were first
dispatched to each agency. An agency's confidence is the sum over the likely categories of
P(category | text) × P(agency | category, regency); without history for that pair, the routing
rules' agency (complaints.routing.route) stands in for it.

`train` reads the most recent dispatched reports (at most TRAIN_MAX, so memory and time stay bounded
at any history size; reports whose id ends in 0 are held out for `accuracy`), and stores the model as
a new RoutingModel row (a joblib artifact, versioned). Each worker loads the newest model once and
looks for a newer one at most every RELOAD_SECONDS (without one, every NO_MODEL_SECONDS). Nothing
here uses the network. Without a model, `suggest` returns None and the verify form works as before.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import re
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Mod
from django.utils import timezone

from .models import Action, Category, Event, Report, RoutingModel, RoutingSuggestion

log = logging.getLogger(__name__)

TRAIN_MAX = 200_000  # the most recent dispatched reports a model learns from
HOLD_OUT = 10  # reports with pk % HOLD_OUT == 0 are never trained on (routing_accuracy measures on them)
PRESELECT_THRESHOLD = 0.5  # the verify form pre-selects a suggestion at least this confident
TOP = 3
RELOAD_SECONDS = 300
NO_MODEL_SECONDS = 30  # without a (readable) model, look for one again after this long
CHUNK = 5000
N_FEATURES = 2**17  # hashed columns for words and word pairs (complaints.routing_model.fit)

WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)


@functools.cache
def _stemmer():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


@functools.lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer().stem(word) or word


def tokens(text: str) -> list[str]:
    """Lower-case Indonesian word stems ("perbaikan jalan berlubang" → baik, jalan, lubang)."""
    return [_stem(w) for w in WORD.findall((text or "").lower())]


def _text(title: str, body: str) -> str:
    return f"{title} {title} {body}"  # the title says most: counted twice


@dataclass
class Suggestion:
    version: int
    categories: list[tuple[int, float]]  # (category id, confidence), best first
    agencies: list[tuple[int, float]]  # (agency id, confidence), best first

    @property
    def preselect_category(self) -> int | None:
        if self.categories and self.categories[0][1] >= PRESELECT_THRESHOLD:
            return self.categories[0][0]
        return None

    @property
    def preselect_agency(self) -> int | None:
        if self.agencies and self.agencies[0][1] >= PRESELECT_THRESHOLD:
            return self.agencies[0][0]
        return None


# --- Training ---


def training_rows(limit: int = TRAIN_MAX, *, held_out: bool = False):
    """(title, body, regency id, category id, agency id) of the most recent dispatched reports, with
    the agency each was first dispatched to; streamed in chunks."""
    first_dispatch = (
        Event.objects.filter(report=OuterRef("pk"), action=Action.DISPATCH)
        .order_by("created_at", "pk")
        .values("target_agency")[:1]
    )
    qs = Report.objects.filter(dispatched_at__isnull=False).annotate(bucket=Mod("pk", HOLD_OUT))
    qs = qs.filter(bucket=0) if held_out else qs.exclude(bucket=0)
    qs = qs.annotate(first_agency=Subquery(first_dispatch)).order_by("-dispatched_at", "-pk")[:limit]
    for row in qs.values_list("title", "body", "regency_id", "category_id", "first_agency").iterator(CHUNK):
        if row[4] is not None:
            yield row


def train(limit: int = TRAIN_MAX, *, min_reports: int = 20) -> RoutingModel | None:
    """Learn a new model from history and store it as the newest version (None: too little history)."""
    import joblib

    started = time.monotonic()
    texts, labels = [], []
    routes: dict[tuple[int, str], Counter] = defaultdict(Counter)
    for title, body, regency_id, category_id, agency_id in training_rows(limit):
        texts.append(_text(title, body))
        labels.append(category_id)
        routes[(category_id, regency_id)][agency_id] += 1
    if len(texts) < min_reports or len(set(labels)) < 2:
        log.info("Routing model not trained: %s dispatched reports", len(texts))
        return None
    vectorizer, classifier = fit(texts, labels)
    del texts
    bundle = {
        "vectorizer": vectorizer,
        "classifier": classifier,
        # (category, regency) → [(agency, share)], most frequent first (at most five).
        "routes": {key: _shares(counter) for key, counter in routes.items()},
    }
    buffer = io.BytesIO()
    joblib.dump(bundle, buffer, compress=3)
    artifact = buffer.getvalue()
    model = RoutingModel.objects.create(
        trained_on=len(labels),
        categories=len(classifier.classes_),
        seconds=round(time.monotonic() - started, 1),
        sha256=hashlib.sha256(artifact).hexdigest(),
        artifact=artifact,
    )
    log.info("Routing model v%s trained on %s reports in %.0f s", model.pk, len(labels), model.seconds)
    forget()  # this process uses the new model from its next suggestion on
    return model


def fit(texts: list[str], labels: list[int]):
    """The category model: TF-IDF over stems and word pairs, and a logistic-loss linear classifier.

    Words are hashed into N_FEATURES columns instead of kept in a vocabulary, so memory does not grow
    with the number of distinct words and pairs in the history (a vocabulary of word pairs from
    200,000 citizens' texts runs into millions of entries), and the stored model carries no
    vocabulary."""
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import make_pipeline

    vectorizer = make_pipeline(
        HashingVectorizer(
            tokenizer=tokens, lowercase=False, token_pattern=None, ngram_range=(1, 2), n_features=N_FEATURES,
            alternate_sign=False, norm=None, dtype=_float32(),
        ),
        TfidfTransformer(sublinear_tf=True),
    )  # fmt: skip
    features = vectorizer.fit_transform(texts)
    classifier = SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=20, tol=1e-4, random_state=0)
    classifier.fit(features, labels)
    classifier.coef_ = classifier.coef_.astype(_float32())
    # Only the hashed columns the history used have weights: kept sparse in each worker's memory, by
    # column (CSC), so that the coef_.T a prediction multiplies by is row-major at no cost (a CSR
    # coef_ is converted at every prediction: 0.6 s instead of milliseconds, measured).
    classifier.sparsify()
    classifier.coef_ = classifier.coef_.tocsc()
    return vectorizer, classifier


def _float32():
    import numpy

    return numpy.float32


def _shares(counter: Counter) -> list[tuple[int, float]]:
    total = sum(counter.values())
    return [(agency, n / total) for agency, n in counter.most_common(5)]


# --- Loading (once per worker) and suggesting ---

_lock = threading.Lock()
_loaded: dict = {"version": None, "bundle": None, "checked": None}


def loaded() -> tuple[int | None, dict | None]:
    """The newest model (version, bundle), loaded once per process and looked for again every
    RELOAD_SECONDS; (None, None) without a trained model or if it cannot be read. That answer is kept
    for NO_MODEL_SECONDS too (the verify page and every arriving report ask: without it each asked the
    database), so a model trained by another process is picked up within that time; one trained in
    this process at once (`train` calls `forget`)."""
    now = time.monotonic()
    checked = _loaded["checked"]
    wait = RELOAD_SECONDS if _loaded["bundle"] is not None else NO_MODEL_SECONDS
    if checked is not None and now - checked < wait:
        return _loaded["version"], _loaded["bundle"]
    with _lock:
        _loaded["checked"] = now
        newest = RoutingModel.objects.order_by("-pk").values_list("pk", flat=True).first()
        if newest is None:
            _loaded.update(version=None, bundle=None)
        elif newest != _loaded["version"]:
            try:
                import joblib

                artifact = RoutingModel.objects.values_list("artifact", flat=True).get(pk=newest)
                _loaded.update(version=newest, bundle=joblib.load(io.BytesIO(bytes(artifact))))
            except Exception:
                log.exception("Routing model v%s could not be loaded; suggestions are off", newest)
                _loaded.update(version=None, bundle=None)
    return _loaded["version"], _loaded["bundle"]


def forget() -> None:
    """Drop the loaded model and the "no model" answer (tests, and after training in this process)."""
    _loaded.update(version=None, bundle=None, checked=None)


def predict(bundle: dict, version: int, *, title: str, body: str, regency, province) -> Suggestion:
    probabilities = bundle["classifier"].predict_proba(bundle["vectorizer"].transform([_text(title, body)]))[0]
    classes = bundle["classifier"].classes_
    ranked = sorted(zip(classes, probabilities), key=lambda pair: -pair[1])
    categories = [(int(c), float(p)) for c, p in ranked[:TOP]]
    regency_id = getattr(regency, "pk", regency)
    scores: Counter = Counter()
    for category_id, probability in ranked[:5]:
        shares = bundle["routes"].get((int(category_id), regency_id))
        if shares is None:
            shares = _rule_share(int(category_id), regency, province)
        for agency_id, share in shares:
            scores[agency_id] += float(probability) * share
    agencies = [(int(a), round(s, 4)) for a, s in scores.most_common(TOP)]
    return Suggestion(version, [(c, round(p, 4)) for c, p in categories], agencies)


@functools.lru_cache(maxsize=4096)
def _rule_agency(category_id: int, regency_code: str, province_code: str) -> int | None:
    from agencies.models import Region

    from . import routing

    category = Category.objects.filter(pk=category_id).first()
    regency = Region.objects.filter(pk=regency_code).first()
    province = Region.objects.filter(pk=province_code).first()
    if category is None or regency is None or province is None:
        return None
    agency, _reason = routing.route(category, province, regency)
    return agency.pk if agency else None


def _rule_share(category_id: int, regency, province) -> list[tuple[int, float]]:
    regency_code, province_code = getattr(regency, "pk", regency), getattr(province, "pk", province)
    agency = _rule_agency(category_id, regency_code, province_code)
    return [(agency, 1.0)] if agency else []


def suggest(report: Report) -> Suggestion | None:
    """The suggestion for a report being verified, stored once per model version (None: no model)."""
    version, bundle = loaded()
    if bundle is None:
        return None
    stored = RoutingSuggestion.objects.filter(report=report, model_id=version).first()
    if stored is not None:
        return Suggestion(version, [tuple(x) for x in stored.categories], [tuple(x) for x in stored.agencies])
    try:
        suggestion = predict(
            bundle,
            version,
            title=report.title,
            body=report.body,
            regency=report.regency_id,
            province=report.province_id,
        )
    except Exception:
        log.exception("Routing suggestion failed for %s", report.tracking_no)
        return None
    RoutingSuggestion.objects.update_or_create(
        report=report,
        defaults={"model_id": version, "categories": suggestion.categories, "agencies": suggestion.agencies},
    )
    return suggestion


def suggest_on_arrival(report_id: int) -> bool:
    """Compute and store the suggestion of a report that has just arrived (queued by workflow.submit
    after its commit), so the verify page reads one stored row instead of predicting (#16 item 9).
    False: the report is gone or there is no model."""
    report = Report.objects.filter(pk=report_id).first()
    return report is not None and suggest(report) is not None


def record_decision(report: Report, *, category_id: int | None = None, agency_id: int | None = None) -> None:
    """What the verifier did with the suggestion: the category chosen at verification, the agency of
    the first dispatch. Each is recorded once; reports without a suggestion are left alone."""
    stored = RoutingSuggestion.objects.filter(report=report).first()
    if stored is None:
        return
    changed = []
    if category_id is not None and stored.category_accepted is None and stored.categories:
        stored.category_accepted = stored.categories[0][0] == category_id
        changed.append("category_accepted")
    if agency_id is not None and stored.agency_accepted is None and stored.agencies:
        stored.agency_accepted = stored.agencies[0][0] == agency_id
        changed.append("agency_accepted")
    if changed:
        stored.decided_at = timezone.now()
        stored.save(update_fields=[*changed, "decided_at"])


# --- Measuring ---


def accuracy(limit: int = 20_000) -> dict:
    """Top-1 and top-3 accuracy of the newest model on held-out history (category and agency), and
    the verifiers' acceptance rate of the suggestions they were shown."""
    version, bundle = loaded()
    result = {"version": version, "held_out": 0}
    if bundle is not None:
        hits = Counter()
        for title, body, regency_id, category_id, agency_id in training_rows(limit, held_out=True):
            province_id = regency_id.split(".")[0]
            s = predict(bundle, version, title=title, body=body, regency=regency_id, province=province_id)
            cats, ags = [c for c, _p in s.categories], [a for a, _p in s.agencies]
            hits["n"] += 1
            hits["category_top1"] += cats[:1] == [category_id]
            hits["category_top3"] += category_id in cats
            hits["agency_top1"] += ags[:1] == [agency_id]
            hits["agency_top3"] += agency_id in ags
        n = hits.pop("n", 0)
        result["held_out"] = n
        result.update({key: (hits[key] / n if n else None) for key in ACCURACY_KEYS})
    for field in ("category_accepted", "agency_accepted"):
        decided = RoutingSuggestion.objects.filter(**{f"{field}__isnull": False})
        total = decided.count()
        result[f"{field}_rate"] = decided.filter(**{field: True}).count() / total if total else None
        result[f"{field}_decisions"] = total
    return result


ACCURACY_KEYS = ["category_top1", "category_top3", "agency_top1", "agency_top3"]
