"""Views that exist only for bench/run_bench.py (mounted when LAPOR_BENCH_VIEWS=1)."""

from django.db import connection
from django.http import HttpResponse
from django.views.decorators.http import require_POST


@require_POST
def bench_insert(request):
    """The ceiling for submission throughput: one INSERT and nothing else, under the same server."""
    with connection.cursor() as cur:
        cur.execute("INSERT INTO bench_insert (at) VALUES (now())")
    return HttpResponse("ok")
