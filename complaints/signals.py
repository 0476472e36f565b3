"""Signals the domain sends for other apps (it imports none of them)."""

from django.dispatch import Signal

# Sent after the action that changed them is committed, with `report`: the report's statistical
# dimensions (classification, category, confidentiality) changed, so figures already counted by the
# old ones are stale (dashboards rebuilds the days concerned).
report_dimensions_changed = Signal()
