"""How production serves LAPOR, read from the checkout, so bench/run_bench.py's server is the same (no Django).

Tested in lapor/tests/test_bench_goals.py.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

GUNICORN_CONF = "lapor.gunicorn_conf"  # production's gunicorn configuration (its worker hooks)


def gunicorn_conf() -> str:
    """The configuration module production's gunicorn runs with, when the checkout has one."""
    return GUNICORN_CONF if (ROOT / (GUNICORN_CONF.replace(".", "/") + ".py")).exists() else ""


def production_workers() -> int:
    """The number of workers production runs: the web service's `--workers`, else the README's command."""
    for path in (ROOT / "deploy" / "lapor-web.service", ROOT / "README.md"):
        if path.exists():
            m = re.search(r"gunicorn\b.*?--workers[= ](\d+)", path.read_text())
            if m:
                return int(m.group(1))
    return 2
