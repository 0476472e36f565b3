"""Unread notifications by user: a partial btree on (user) of the notifications not yet read, from which
the navigation's unread badge is counted (accounts/request_user.py, up to its cap) without visiting every
notification the user ever got.

On PostgreSQL it is built CONCURRENTLY (notifications go on being written while it is built), so this
migration is not atomic (lapor/indexes.py)."""

from django.conf import settings
from django.db import migrations, models

from lapor.indexes import AddIndexConcurrently

INDEX = models.Index(condition=models.Q(read_at__isnull=True), fields=["user"], name="notification_unread")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("complaints", "0030_reportagency_due_at_practice"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently("complaints", "notification", INDEX),
    ]
