import pytest

from complaints import filters


@pytest.fixture
def search_plans_chosen_by_tests(monkeypatch):
    """A test database has no statistics: every word is estimated as an unknown one (tests choose the
    plan by filters.RARE_MATCHES), and no span of newest reports is estimated (a common term is walked
    unless a test gives its span). Nothing estimated is kept from one test to the next."""
    monkeypatch.setattr(filters, "unknown_word_estimate", lambda: -1)
    monkeypatch.setattr(filters, "recent_span", lambda text, stop: None)
    filters._estimates.clear()
    filters._bounds.clear()
    yield
    filters._estimates.clear()
    filters._bounds.clear()
