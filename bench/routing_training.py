"""Time training the routing model on TRAIN_MAX reports' worth of text, without a database.

    python manage.py shell -c "exec(open('bench/routing_training.py').read())"

The rows are made by seed_scale's own story() (text that fits each category), so this times exactly
what routing_model.train does after reading its rows: TF-IDF over Sastrawi stems and the classifier
(routing_model.fit), with the process's peak memory. Reading the rows is timed by bench/duplicates.py.
"""

import random
import resource
import time

from complaints import routing_model
from complaints.management.commands.seed_scale import story
from complaints.models import Category

rng = random.Random(9)
categories = list(Category.objects.filter(parent__isnull=False).values_list("pk", "name", "parent__code"))
rows = routing_model.TRAIN_MAX
texts, labels = [], []
for _ in range(rows):
    pk, name, topic = rng.choice(categories)
    title, body = story(rng, name, topic)
    texts.append(routing_model._text(title, body))
    labels.append(pk)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
vectorizer, classifier = routing_model.fit(texts, labels)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(
    f"fit on {rows:,} rows: {seconds:.0f} s, {len(vectorizer.vocabulary_):,} features, "
    f"{len(classifier.classes_)} categories, peak RSS {peak / 1024:.0f} MB "
    f"(after generating the rows {before / 1024:.0f} MB)"
)
