"""Web hardening: a strict Content-Security-Policy on every page (no inline script or style in any
template), Permissions-Policy, HTTPS settings from the environment, and `check --deploy` clean."""

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from complaints.tests.portal import published

ROOT = Path(__file__).resolve().parents[2]

PROD = {
    "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/lapor",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DJANGO_SECRET_KEY": "kq8v7Zr2-0cT1bWm3xN9yPa4LsE6dHf5Gj_RuVwXoQiKzYtBnMe41",
    "DJANGO_ALLOWED_HOSTS": "lapor.go.id",
}


def _run(args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "DJANGO_", "SQLITE_"))}
    base.update(env, DJANGO_SETTINGS_MODULE="lapor.settings")
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=base, capture_output=True, text=True)


def test_check_deploy_is_clean_in_production_mode():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PROD)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


PROBE = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD)"
)


def test_https_settings_default_on_in_production_and_come_from_the_environment():
    assert _run(["-c", PROBE], **PROD).stdout.split() == ["True", "31536000", "True", "True"]
    relaxed = {
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_HSTS_SECONDS": "3600",
        "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "0",
        "DJANGO_SECURE_HSTS_PRELOAD": "0",
    }
    assert _run(["-c", PROBE], **PROD, **relaxed).stdout.split() == ["False", "3600", "False", "False"]


def test_embedded_mode_neither_redirects_nor_pins_https(tmp_path):
    result = _run(["-c", PROBE], SQLITE_PATH=str(tmp_path / "db.sqlite3"))
    assert result.stdout.split()[:2] == ["False", "0"], result.stderr


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
def test_html_pages_carry_a_strict_csp_and_permissions_policy(client, national_admin, make_report):
    report = published(make_report, national_admin)
    pages = ["/", reverse("complaints:list"), reverse("complaints:detail", args=[report.tracking_no])]
    client.force_login(national_admin)
    pages += ["/admin/", reverse("admin:complaints_report_change", args=[report.pk])]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        policy = _policy(response)
        assert policy["script-src"] == ["'self'"], url  # no 'unsafe-inline', no other origin
        assert policy["style-src"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"], url
        assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]


class _InlineFinder(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block: inline scripts and styles, on*
    handlers, style attributes, javascript: links."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        data_block = attrs.get("type") == "application/json"  # json_script: data, never run
        if tag == "script" and "src" not in attrs and "nonce" not in attrs and not data_block:
            self.found.append(f"inline <script> at line {self.getpos()[0]}")
        if tag == "style" and "nonce" not in attrs:
            self.found.append(f"<style> at line {self.getpos()[0]}")
        for name, value in attrs.items():
            if name.startswith("on") or name == "style":
                self.found.append(f'{name}="…" on <{tag}> at line {self.getpos()[0]}')
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"javascript: URL on <{tag}> at line {self.getpos()[0]}")


def _templates():
    dirs = [ROOT / "templates", *(ROOT / app / "templates" for app in ("accounts", "agencies", "complaints", "api"))]
    dirs += [ROOT / "dashboards" / "templates"]
    return [p for d in dirs if d.is_dir() for p in d.rglob("*.html")]


def test_no_template_has_inline_script_style_or_handlers():
    offenders = []
    for path in _templates():
        # Template tags stand in for text; the markup around them is what the browser gets.
        finder = _InlineFinder()
        finder.feed(re.sub(r"{%.*?%}|{{.*?}}", "x", path.read_text()))
        offenders += [f"{path.relative_to(ROOT)}: {what}" for what in finder.found]
    assert not offenders, "\n".join(offenders)


@pytest.mark.django_db
def test_rendered_pages_have_no_inline_script_or_handlers(client, national_admin, citizen, make_report):
    report = published(make_report, national_admin)
    public = ["/", reverse("complaints:list"), reverse("complaints:submit"), reverse("accounts:login")]
    public.append(reverse("complaints:detail", args=[report.tracking_no]))
    staff = ["/admin/", reverse("admin:complaints_report_changelist"), reverse("dashboards:dashboard")]
    staff.append(reverse("admin:complaints_report_change", args=[report.pk]))
    staff += [reverse("admin:complaints_report_action", args=[report.pk, "dispatch"])]
    staff += [reverse("admin:complaints_report_entry")]
    for user, urls in ((None, public), (national_admin, staff)):
        if user:
            client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            finder = _InlineFinder()
            finder.feed(response.content.decode())
            assert not finder.found, f"{url}: {finder.found}"


def test_the_policy_allows_nothing_inline():
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert "'unsafe-inline'" not in directives["script-src"] + directives["style-src"]
    assert "'unsafe-eval'" not in directives["script-src"]


def _csp_headers(middleware_class, nonce, **own):
    from django.http import HttpResponse
    from django.test import RequestFactory

    request = RequestFactory().get("/laporan/")
    middleware = middleware_class(lambda request: HttpResponse("x"))
    middleware.process_request(request)
    if nonce:
        request._csp_nonce = nonce
    response = HttpResponse("x")
    for name, value in own.items():
        setattr(response, name, value)
    response = middleware.process_response(request, response)
    return response.get("Content-Security-Policy"), response.get("Content-Security-Policy-Report-Only")


@pytest.mark.parametrize(
    "own",
    [{}, {"_csp_update": {"img-src": ["https://x.test"]}}, {"_csp_exempt": True}, {"_csp_replace": {"img-src": None}}],
)
@pytest.mark.parametrize("nonce", [None, "bm9uY2Utb25l", "dHdvLW5vbmNl"])
def test_the_kept_policy_is_django_csps_own(own, nonce, settings):
    """lapor.csp_header builds the policy once per process: each response's header is the one django-csp
    builds for it, with that request's nonce, a response's own policy, and after a setting changes."""
    from csp.middleware import CSPMiddleware as DjangoCSP

    from lapor.csp_header import CSPMiddleware

    assert _csp_headers(CSPMiddleware, nonce, **own) == _csp_headers(DjangoCSP, nonce, **own)
    if not own:
        policy = _csp_headers(CSPMiddleware, nonce)[0]
        assert f"'nonce-{nonce}'" in policy if nonce else "nonce" not in policy
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {**directives, "img-src": ["'self'", "https://tiles.test"]}}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'self'"]}}
    assert _csp_headers(CSPMiddleware, nonce, **own) == _csp_headers(DjangoCSP, nonce, **own)


def test_the_kept_policy_carries_each_responses_own_nonce():
    """lapor.csp_header keeps one policy text per process: responses after the first must carry their own
    request's nonce, never one kept from an earlier response (a nonce reused across pages could be read
    from one page and used to run a script injected into another), and a response without a nonce none."""
    from lapor.csp_header import CSPMiddleware

    for nonce in ("Zmlyc3Qtbm9uY2U=", "c2Vjb25kLW5vbmNl", None, "dGhpcmQtbm9uY2U="):
        policy = _csp_headers(CSPMiddleware, nonce)[0]
        assert re.findall(r"'nonce-([^']*)'", policy) == ([nonce] if nonce else [])
