"""Each client's budget of slow search time (complaints/search_budget.py): a client over it is refused
any heavy search with 429 until its window ends; the cheap path is never refused and never reads it;
slow searches are charged (a timed-out one its whole timeout); Redis down, searches run as before."""

import ipaddress
import re
import secrets

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints import filters, search_budget
from complaints.tests.portal import published
from lapor import ratelimit

URL = "/laporan/"
NOW = 60 * 30_000_000 + 10  # 10 s into a window of 60 s: 50 s left
REFUSED = "Terlalu banyak pencarian berat datang dari alamat Anda. Coba lagi dalam {} detik."
REFUSED_EN = "Too many heavy searches came from your address. Try again in {} seconds."
HEAVY = {"q": "jalan", "status": "verified"}  # a search with a filter: the filter set's path, never the cheap one

needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)")


def _address() -> str:
    """A client address of the test's own (documentation range): the counters live in the shared Redis
    for their window, across tests and reruns."""
    return str(ipaddress.IPv6Address((0x20010DB8 << 96) | secrets.randbits(64)))


@pytest.fixture
def address():
    return _address()


@pytest.fixture(autouse=True)
def _budget(settings, monkeypatch):
    settings.LAPOR_SEARCH_SLOW_MS = 250
    settings.LAPOR_SEARCH_BUDGET_MS = 10_000
    settings.LAPOR_SEARCH_BUDGET_WINDOW_SECONDS = 60
    monkeypatch.setattr(search_budget, "wall_clock", lambda: float(NOW))  # no window ends within a test


class Clock:
    """search_budget.clock in a test: each read `step` seconds after the one before."""

    def __init__(self, step: float):
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


class CountingCache:
    """The cache as lapor.ratelimit sees it, every operation it asks for recorded."""

    def __init__(self, inner):
        self.inner, self.calls = inner, []

    def __getattr__(self, name):
        self.calls.append(name)
        return getattr(self.inner, name)


def _titles(response):
    return [r.title for r in response.context["page"]]


def test_over_its_budget_a_client_gets_429_for_a_heavy_search_saying_when_to_try_again(
    client, make_report, national_admin, address
):
    published(make_report, national_admin, title="Jalan rusak")
    search_budget.charge(address, 10_001)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, HEAVY, REMOTE_ADDR=address)
    assert response.status_code == 429
    assert response["Retry-After"] == "50"
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert REFUSED.format(50) in html
    assert re.search(r'<input type="search" name="q"[^>]*value="jalan"', html)  # what they typed, kept
    assert re.search(r'<option value="verified" selected>', html)
    assert not list(response.context["page"])
    assert not [q["sql"] for q in ctx.captured_queries if "complaints_report" in q["sql"]]  # nothing searched

    response = client.get("/en" + URL, HEAVY, REMOTE_ADDR=address)
    assert response.status_code == 429 and response["Retry-After"] == "50"
    html = response.content.decode()
    assert REFUSED_EN.format(50) in html
    assert re.search(r'<input type="search" name="q"[^>]*value="jalan"', html)

    # Never kept by the page cache: the next client gets the search.
    response = client.get(URL, HEAVY, REMOTE_ADDR=_address())
    assert response.status_code == 200 and _titles(response) == ["Jalan rusak"]
    assert REFUSED.format(50) not in response.content.decode()
    # Nor refused a page it asked for: the refusal keeps the page number.
    response = client.get(URL, {**HEAVY, "page": 3}, REMOTE_ADDR=address)
    assert response.status_code == 429 and response.context["page"].number == 3


def test_slow_searches_are_charged_to_their_client_until_it_is_refused(
    client, make_report, national_admin, address, settings, monkeypatch
):
    published(make_report, national_admin, title="Jalan rusak")
    settings.LAPOR_PAGE_CACHE_SECONDS = 0  # every request searches
    settings.LAPOR_SEARCH_BUDGET_MS = 2_500
    monkeypatch.setattr(search_budget, "clock", Clock(step=0.2))  # 200 ms: not slow
    assert client.get(URL, HEAVY, REMOTE_ADDR=address).status_code == 200
    assert search_budget.spent(address) == 0
    monkeypatch.setattr(search_budget, "clock", Clock(step=1))  # every search takes a second
    for spent in (1_000, 2_000, 3_000):
        response = client.get(URL, HEAVY, REMOTE_ADDR=address)
        assert response.status_code == 200 and _titles(response) == ["Jalan rusak"]
        assert search_budget.spent(address) == spent
    assert client.get(URL, HEAVY, REMOTE_ADDR=address).status_code == 429
    assert client.get(URL, HEAVY, REMOTE_ADDR=_address()).status_code == 200  # its own budget


def test_behind_a_trusted_proxy_the_forwarded_client_is_charged(
    client, make_report, national_admin, address, settings, monkeypatch
):
    published(make_report, national_admin, title="Jalan rusak")
    settings.LAPOR_TRUSTED_PROXIES = ["127.0.0.1"]
    monkeypatch.setattr(search_budget, "clock", Clock(step=1))
    proxy = "127.0.0.1"
    client.get(URL, HEAVY, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=f"198.51.100.1, {address}")
    assert search_budget.spent(address) == 1_000
    assert search_budget.spent(proxy) == 0


def test_the_budget_holds_for_its_window_and_retry_after_is_the_rest_of_it(address, monkeypatch):
    search_budget.charge(address, 10_000)
    assert search_budget.retry_after(address) is None  # at the budget, not over it
    search_budget.charge(address, 0.5)  # (whole milliseconds, rounded up)
    assert search_budget.spent(address) == 10_001
    assert search_budget.retry_after(address) == 50
    if hasattr(cache, "run_script"):  # Redis: the counter expires when its window ends
        raw = cache._cache.get_client(write=True)
        key = cache.make_and_validate_key(f"lapor:rl:{search_budget.SCOPE}:{address}:{NOW // 60}")
        assert 0 < raw.ttl(key) <= 50
    monkeypatch.setattr(search_budget, "wall_clock", lambda: NOW + 49.5)
    assert search_budget.retry_after(address) == 1
    monkeypatch.setattr(search_budget, "wall_clock", lambda: float(NOW + 50))  # the next window
    assert search_budget.retry_after(address) is None and search_budget.spent(address) == 0


def test_with_redis_down_searches_run_as_before(client, make_report, national_admin, address, settings, monkeypatch):
    published(make_report, national_admin, title="Jalan rusak")
    settings.CACHES = {
        "default": {
            "BACKEND": "lapor.cache.FailSafeRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"DOWN_SECONDS": 0},
        }
    }
    monkeypatch.setattr(search_budget, "clock", Clock(step=6))  # slow: charged, were Redis up (2 × 6 s > 10 s)
    for _ in range(3):
        response = client.get(URL, HEAVY, REMOTE_ADDR=address)
        assert response.status_code == 200 and _titles(response) == ["Jalan rusak"]
    assert search_budget.retry_after(address) is None
    assert ratelimit.add(search_budget.SCOPE, address, 5, 60) == 0


def test_no_budget_when_it_is_zero(client, make_report, national_admin, address, settings, monkeypatch):
    published(make_report, national_admin, title="Jalan rusak")
    search_budget.charge(address, 10**6)
    settings.LAPOR_SEARCH_BUDGET_MS = 0
    counting = CountingCache(ratelimit.cache)
    monkeypatch.setattr(ratelimit, "cache", counting)
    monkeypatch.setattr(search_budget, "clock", Clock(step=1))
    assert client.get(URL, HEAVY, REMOTE_ADDR=address).status_code == 200
    assert counting.calls == []


# --- The cheap path (PostgreSQL) ---


BOUNDED = "'UTC') >= "  # the statement reading the newest reports' matches (filters._recent_matches)


@pytest.mark.parametrize("plan", ["rare", "newest"])
@pytest.mark.usefixtures("search_plans_chosen_by_tests")
@pytest.mark.postgres
@needs_postgres
def test_a_cheap_first_page_is_never_refused_and_never_reads_the_budget(
    client, make_report, national_admin, address, settings, monkeypatch, plan
):
    for i in range(30):
        published(make_report, national_admin, title=f"Jalan rusak {i}")
    if plan == "rare":  # its matches fetched through the index
        monkeypatch.setattr(filters, "RARE_MATCHES", 10**9)
    else:  # the 28 newest reports hold its first page
        monkeypatch.setattr(filters, "RARE_MATCHES", -1)
        monkeypatch.setattr(filters, "recent_span", lambda text, stop: 28)
    settings.LAPOR_PAGE_CACHE_SECONDS = 0  # every request searches
    monkeypatch.setattr(search_budget, "clock", Clock(step=0))  # not slow (a real one may be, on a busy machine)
    search_budget.charge(address, 10**6)  # far over its budget
    counting = CountingCache(ratelimit.cache)
    monkeypatch.setattr(ratelimit, "cache", counting)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, {"q": "jalan rusak"}, REMOTE_ADDR=address)
    assert response.status_code == 200 and len(response.context["page"]) == 25
    if plan == "newest":
        assert any(BOUNDED in q["sql"] for q in ctx.captured_queries)
    for _ in range(199):
        response = client.get(URL, {"q": "jalan rusak"}, REMOTE_ADDR=address)
        assert response.status_code == 200 and len(response.context["page"]) == 25
    assert counting.calls == []
    # Off the cheap path the same client is refused: a later page (one read of the budget).
    response = client.get(URL, {"q": "jalan rusak", "page": filters.SEARCH_PAGES_PREPARED + 1}, REMOTE_ADDR=address)
    assert response.status_code == 429
    assert counting.calls == ["get"]


@pytest.mark.usefixtures("search_plans_chosen_by_tests")
@pytest.mark.postgres
@needs_postgres
def test_a_first_page_the_newest_reports_do_not_hold_is_checked(
    client, make_report, national_admin, address, monkeypatch, settings
):
    """Words that never meet: the newest reports hold none of their matches, and the walk beyond them may
    read the whole table; a client over its budget is refused it, one under it is not."""
    for i in range(30):
        published(make_report, national_admin, title=f"Jalan rusak {i}")
    published(make_report, national_admin, title="Kucing hilang")
    monkeypatch.setattr(filters, "RARE_MATCHES", -1)
    monkeypatch.setattr(filters, "recent_span", lambda text, stop: 28)
    settings.LAPOR_PAGE_CACHE_SECONDS = 0  # (the first answer is not kept for the second)
    response = client.get(URL, {"q": "jalan kucing"}, REMOTE_ADDR=_address())
    assert response.status_code == 200 and _titles(response) == []
    search_budget.charge(address, 10_001)
    response = client.get(URL, {"q": "jalan kucing"}, REMOTE_ADDR=address)
    assert response.status_code == 429 and REFUSED.format(50) in response.content.decode()


def _slow_searches(execute, sql, params, many, context):
    """Every search statement made to sleep first (as in test_search_postgres: this wrapper runs outside
    the search's own, which puts its statement_timeout before it)."""
    if "complaints_report" in sql and "to_tsvector" in sql and not sql.startswith("EXPLAIN"):
        sql = f"SELECT pg_sleep(0.5); {sql}"
    return execute(sql, params, many, context)


@pytest.mark.usefixtures("search_plans_chosen_by_tests")
@pytest.mark.parametrize("params", [{"q": '"jalan rusak"', "page": 12}, HEAVY])
@pytest.mark.postgres
@needs_postgres
def test_a_search_past_its_time_is_charged_its_whole_timeout(
    client, make_report, national_admin, address, settings, monkeypatch, params
):
    published(make_report, national_admin, title="Jalan rusak")
    settings.LAPOR_SEARCH_TIMEOUT_MS = 100
    settings.LAPOR_SEARCH_SLOW_MS = 50
    monkeypatch.setattr(search_budget, "clock", Clock(step=0))  # no time by the clock: the timeout counts
    with connection.execute_wrapper(_slow_searches):
        response = client.get(URL, params, REMOTE_ADDR=address)
    assert response.status_code == 200 and response.context["page"].timed_out
    assert search_budget.spent(address) == 100
