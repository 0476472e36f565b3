"""Issue #15's goals judged from one bench/run_bench.py run, and its flat-in-N comparison of two runs.

Pure functions over run_bench's summary (the dict it writes with --json), no Django: tested in
lapor/tests/test_bench_goals.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

SIGNED_IN = "_citizen"  # key suffix of a citizen's page requested by the signed-in bench citizen


def _ms(value) -> float | None:
    """wrk's latency ("12.3ms", "1.2s", "850us") in milliseconds."""
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", str(value))
    if not m:
        return None
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[m.group(2)]


def _judged(entry: dict) -> float:
    """The ratio to the ceiling a goal is judged by: unrounded (run_bench's `ratio_exact`), so 0.2499, printed
    "0.250", misses 0.25; a run written before it was kept is judged by its printed ratio; none: 0."""
    if entry.get("ratio_exact") is not None:
        return float(entry["ratio_exact"])
    return float(entry["ratio"]) if entry.get("ratio", "?") != "?" else 0.0


def goals_table(summary) -> list[str]:
    """Issue #15's goals that one run can judge, each with the figure it is judged by and its ratio to
    the ceiling.

    A citizen's page has two costs: an anonymous visitor's is answered from the page cache (kept: the
    cache's cost, while the entry lives) and a signed-in citizen's is always rendered. A goal about a
    citizen's page is judged by the rendered figure, the signed-in citizen's (`*_citizen`), which no
    cache setting changes; the anonymous figure is shown beside it — kept when this run had the page
    cache on, rendered when it ran with LAPOR_PAGE_CACHE_SECONDS=0."""
    p, sub = summary["pages"], summary["submit"]

    def ok(flag):
        return "met" if flag else "**missed**"

    for page in p.values():  # a page that did not answer (2xx, or the tracking lookup's 302) meets nothing
        if page["status"] >= 400:
            page["ratio"], page["ratio_exact"] = "0", 0.0

    def r(key):
        return _judged(p[key])

    def anonymous(key):
        how = "kept" if p[key].get("kept") else "rendered"
        return f"anonymous ({how}): {p[key]['ratio']}, CPU {p[key]['app_ms']} + {p[key]['db_ms']} ms"

    def signed_in(key):
        s = p[key + SIGNED_IN]
        return f"**{s['ratio']}**, CPU {s['app_ms']} + {s['db_ms']} ms, {s['queries']} queries"

    rows = [
        "| goal | the goal's figure | beside it | verdict (on the goal's figure) |",
        "|---|---|---|---|",
        f"| 1. submission ≥ 0.15 of the ceiling, ≤ 12 queries | **{sub['ratio']}** of the ceiling, {sub['queries']} "
        f"queries, CPU {sub['app_ms']} + {sub['db_ms']} ms | — | "
        f"{ok(_judged(sub) >= 0.15 and sub['queries'] <= 12)} |",
    ]
    for key, label in (
        ("form", "report form GET"),
        ("feed", "public feed"),
        ("report", "report page"),
        ("track", "tracking lookup"),
    ):
        cold = max(p[k].get("cold_bytes", p[k]["bytes"]) for k in (key, key + SIGNED_IN))
        rows.append(
            f"| 2. {label} ≥ 0.25 of the ceiling, < 30 KB compressed on a cold cache (HTML + CSS + JS) | "
            f"signed-in citizen (rendered): {signed_in(key)}; {cold / 1024:.1f} KB cold (HTML "
            f"{p[key + SIGNED_IN]['bytes'] / 1024:.1f} KB {p[key + SIGNED_IN]['encoding'] or 'plain'}) | "
            f"{anonymous(key)} | {ok(r(key + SIGNED_IN) >= 0.25 and cold < 30 * 1024)} |"
        )
    search = p["search" + SIGNED_IN]
    rows.append(
        f"| 3. search ≥ 0.1 of the ceiling (DB cost: goal 5's comparison) | signed-in citizen (rendered): "
        f"{signed_in('search')}; db {search['db_ms_inprocess']} ms in-process | {anonymous('search')} | "
        f"{ok(r('search' + SIGNED_IN) >= 0.1)} |"
    )
    national, progress = _ms(p["queue_national"]["p99"]), _ms(p["queue_progress"]["p99"])
    rows.append(
        f"| 4. national queue p99 < 150 ms, in-progress queue p99 < 100 ms (light load) | "
        f"{p['queue_national']['p99']}, {p['queue_progress']['p99']} | cost at two sizes: `--compare` | "
        f"{ok(national is not None and national < 150 and progress is not None and progress < 100)} |"
    )
    html = [k for k, v in p.items() if v["status"] == 200]  # (a redirect has no body to compress)
    compressed = all(p[k]["encoding"] == "gzip" for k in html)
    public = {"feed", "feed_filter", "search", "report"}
    personal = ("mine", "queue_agency", "queue_national", "dashboard", "form", *(k for k in p if k.endswith(SIGNED_IN)))
    cached = all("max-age" in p[k]["cache_control"] for k in public) and all(
        "no-store" in p[k]["cache_control"] for k in personal if p[k]["status"] == 200
    )
    rows.append(
        "| 6. compressed, caching headers on public pages only | "
        f"gzip on {sum(p[k]['encoding'] == 'gzip' for k in html)}"
        f" of {len(html)} pages; anonymous public pages cacheable, personal ones no-store: {cached} | — | "
        f"{ok(compressed and cached)} |"
    )
    return rows


def dashboard_first_view_paths(today, n: int = 12) -> list[str]:
    """`n` (≤ 12) addresses of the head's dashboard, each a period no earlier request of the run asked for:
    starting 30, 31 or 32 days back (the default period starts 29 days back) and ending today or 1–3 days
    before, the first three ending today. Each request computes the period's figures (kept per period under the
    rebuilds' generation, which run_bench bumps first) and its funnel (kept per period under the holders'
    version), as the first view of a period after beat's rebuild (every 10 minutes) or a workflow event in
    the scope does; the scope's other live counts, kept per scope, were counted by the kept page's window
    (dashboards/figures.py cached_figures). Every day they read, today−32 … today, has its day rows in the
    bench databases. Twelve, not three (until #15's eleventh session): run_bench counts CPU in 10 ms ticks, so
    three requests resolved 3.3 ms a request, and the tenth session's 2M "growth" of 10.0 → 13.3 ms was one
    tick."""
    import datetime as dt

    periods = [(30 + k, j) for j in range(4) for k in range(3)][:n]
    return [
        f"/dasbor/?start={today - dt.timedelta(days=back)}&end={today - dt.timedelta(days=j)}" for back, j in periods
    ]


def ceiling_of(windows: list[dict]) -> dict:
    """The run's one-INSERT ceiling from its windows (run_bench measures one right after the warm-up and one
    after the submissions): req/s and CPU a request are the means of the windows that answered, the ratios
    divide by that mean, and each window is kept with the spread between them (largest ÷ smallest req/s), so
    a machine that changed pace during the run shows in the run's own figures rather than in one window
    taken at its end. A window whose wrk printed no rate is left out; none left: "?" (no ratio)."""
    answered = [w for w in windows if w.get("rps", "?") != "?" and float(w["rps"]) > 0]
    if not answered:
        return {"rps": "?", "app_ms": 0.0, "db_ms": 0.0, "p50": "?", "p99": "?", "windows": windows, "spread": "?"}
    rates = [float(w["rps"]) for w in answered]
    return {
        "rps": f"{sum(rates) / len(rates):.2f}",
        "queries": 1,
        "app_ms": round(sum(w["app_ms"] for w in answered) / len(answered), 1),
        "db_ms": round(sum(w["db_ms"] for w in answered) / len(answered), 1),
        "p50": answered[-1]["p50"],
        "p99": max((w["p99"] for w in answered), key=lambda v: _ms(v) or 0.0),
        "errors": str(sum(int(w.get("errors", 0) or 0) for w in answered)),
        "load": max(w.get("load", 0) for w in answered),
        "other_cores": max(w.get("other_cores", 0) for w in answered),
        "windows": windows,
        "spread": f"{max(rates) / min(rates):.2f}",
    }


# Goal 5's check in `compare`: a page is flat in N when its queries do not grow and its CPU a request at the
# larger size, in all (app + db) and its database's alone, stays within FLAT_LIMIT of the smaller size's, or
# grew by less than FLAT_FLOOR_MS (a page of 1 ms that reads 1.3 is a window's rounding, not a cost). The
# database's own line catches what the sum hides: the eighth session's 2M search went parallel, 2.8 → 465 ms
# of database CPU, and a page whose app CPU fell could keep its sum within the limit while its database grew.
FLAT_LIMIT = 1.3  # goal 4's line for the queues, held for every page
FLAT_FLOOR_MS = 1.0
# The database's wall time of the one request run_bench makes in process for each page (page_facts, always
# rendered): the only database figure of a page the page cache answers in its window (the eighth session's
# anonymous search: kept at both sizes, 3 → 258 ms in process). One request, timed to the millisecond:
# a larger floor.
FLAT_FLOOR_INPROCESS_MS = 5.0


def not_flat(a, b) -> list[str]:
    """What grew with N between two measurements of one page (run_bench's JSON entries), [] when flat."""
    grew = []
    if isinstance(a.get("queries"), int) and isinstance(b.get("queries"), int) and b["queries"] > a["queries"]:
        grew.append(f"queries {a['queries']} → {b['queries']}")
    measures = [
        ("CPU", a["app_ms"] + a["db_ms"], b["app_ms"] + b["db_ms"], FLAT_FLOOR_MS),
        ("db CPU", a["db_ms"], b["db_ms"], FLAT_FLOOR_MS),
    ]
    inprocess = a.get("db_ms_inprocess"), b.get("db_ms_inprocess")
    if all(isinstance(x, int | float) for x in inprocess):
        measures.append(("db in process", *inprocess, FLAT_FLOOR_INPROCESS_MS))
    for what, small, large, floor in measures:
        if large - small > floor and large > FLAT_LIMIT * small:
            grew.append(f"{what} {small:.1f} → {large:.1f} ms" + (f" ×{large / small:.2f}" if small else ""))
    return grew


def compare(small_path, large_path) -> str:
    """Goal 5 (and 3, 4): each page's queries and CPU per request at two sizes, the ratio large ÷ small, and
    whether it stayed flat (`not_flat`); a closing line names every page that did not."""
    small, large = (json.loads(Path(x).read_text()) for x in (small_path, large_path))
    lines = [
        f"Per request at {small['reports']:,} and {large['reports']:,} reports "
        "(app + db CPU ms; ratio large ÷ small):\n",
        "| page | queries | CPU ms small | CPU ms large | ratio | db CPU ms small → large "
        f"| db ms in-process small → large | flat (≤ {FLAT_LIMIT}× or + ≤ {FLAT_FLOOR_MS:.0f} ms) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    entries = [(k, small["pages"][k], large["pages"].get(k)) for k in small["pages"]]
    entries.append(("submit", small["submit"], large["submit"]))
    entries.append(("dashboard, first view of a period", small.get("dashboard_first"), large.get("dashboard_first")))
    # The one-INSERT view beside them: the same code at both sizes, so its ratio is the machine's pace
    # between the two runs (a page's ratio is read against it; it is no page, so not judged).
    pace = ("ceiling (one INSERT)", small.get("ceiling"), large.get("ceiling"))
    grown = []
    for key, a, b in [*entries, pace]:
        if a is None or b is None:
            continue
        cost_a, cost_b = a["app_ms"] + a["db_ms"], b["app_ms"] + b["db_ms"]
        grew = not_flat(a, b) if key != pace[0] else None
        if grew:
            grown.append(f"{key} ({', '.join(grew)})")
        flat = "—" if grew is None else f"**no**: {', '.join(grew)}" if grew else "yes"
        lines.append(
            f"| {key} | {a.get('queries', '—')} → {b.get('queries', '—')} | {cost_a:.1f} | {cost_b:.1f} | "
            f"{cost_b / cost_a if cost_a else 0:.2f} | {a['db_ms']} → {b['db_ms']} | "
            f"{a.get('db_ms_inprocess', '—')} → {b.get('db_ms_inprocess', '—')} | {flat} |"
        )
    lines.append("")
    lines.append(
        f"Goal 5, flat in N: **missed** by {len(grown)} — {'; '.join(grown)}" if grown else "Goal 5, flat in N: met"
    )
    return "\n".join(lines)
