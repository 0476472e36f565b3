# LAPOR developer entry points.
#
#   make run      venv + deps, migrate, reference data, demo data, then serve
#                 http://127.0.0.1:8000 with the deadline clock running beside it
#   make otp      the demo staff accounts' current second-factor code
#   make test     make lint's hooks, migrations check, pytest
#                 (extra pytest arguments: make test PYTEST_ARGS="-k sla -x")
#   make lint     the pre-commit hooks over every file (.pre-commit-config.yaml: ruff,
#                 ruff format, djhtml, django-upgrade; all from .venv, nothing downloaded)
#   make fmt      ruff format + ruff check --fix + djhtml (rewrites files)
#   make messages makemessages/compilemessages for id and en (needs gettext;
#                 dev-only: the compiled .mo files are committed)
#   make clean    caches and collected static files; make distclean also
#                 removes .venv, db.sqlite3 and media/
#
# A fresh machine needs only Python 3.11 and make. Without DATABASE_URL the
# project runs on SQLite with no Redis.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
STAMP   := $(VENV)/.installed
PY      := $(VENV)/bin/python
MANAGE  := $(PY) manage.py
RUFF    := $(VENV)/bin/ruff
PYTHON  ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)

PYTEST_ARGS ?=
ALLOW_NO_TESTS ?=

.PHONY: help install run otp test lint fmt messages clean distclean

help:
	@echo "Targets: run otp test lint fmt messages clean distclean install"

# --- virtualenv and dependencies -------------------------------------------

$(PY):
	@test -n "$(PYTHON)" || { echo "error: python3.11 (or python3) not found" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when requirements.txt is newer than the stamp.
$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	@touch $@

install: $(STAMP)

# --- run -------------------------------------------------------------------

run: export DJANGO_DEBUG := 1
run: $(STAMP)
	$(MANAGE) migrate --noinput
	$(MANAGE) load_reference
	$(MANAGE) seed_demo
	$(MANAGE) rebuild_stats --days 400
	@echo ""
	@echo "LAPOR demo is starting on http://127.0.0.1:8000"
	@echo "Demo logins (password for all: lapor-demo):"
	@echo "  admin@lapor.test            national admin"
	@echo "  badung@lapor.test           agency admin, Pemerintah Kabupaten Badung"
	@echo "  dinkes.badung@lapor.test    unit admin, Dinas Kesehatan Kabupaten Badung"
	@echo "  pimpinan.badung@lapor.test  head, Pemerintah Kabupaten Badung"
	@echo "  warga@lapor.test            citizen"
	@echo "Staff accounts then ask for a second-factor code: the demo's TOTP secret is"
	@echo "  LAPO RDEM OLAP ORDE MOLA PORD EMOL APOR   (add it to an authenticator app),"
	@echo "  or print the current code with: make otp"
	@echo ""
	@# The deadline clock runs in the background and is stopped when the
	@# server exits (Ctrl-C, error or normal exit).
	@$(MANAGE) run_clocks --loop 60 & clocks=$$!; \
	trap 'kill $$clocks 2>/dev/null; wait $$clocks 2>/dev/null' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM; \
	$(MANAGE) runserver 127.0.0.1:8000

# The demo staff accounts' current second-factor code (published demo secret; see README).
otp: $(STAMP)
	@$(MANAGE) demo_otp

# --- checks ----------------------------------------------------------------

# Production settings (DATABASE_URL set) demand these; defaults are for tests only.
test: export DJANGO_SECRET_KEY ?= insecure-test-key-only-for-tests
test: export DJANGO_ALLOWED_HOSTS ?= localhost,127.0.0.1,testserver
test: $(STAMP)
	$(VENV)/bin/pre-commit run --all-files
	$(MANAGE) makemigrations --check --dry-run
	@# pytest exits 5 when it collects no tests; CI passes ALLOW_NO_TESTS=1.
	$(PY) -m pytest $(PYTEST_ARGS) || { rc=$$?; \
	  if [ $$rc -eq 5 ] && [ -n "$(ALLOW_NO_TESTS)" ]; then echo "note: pytest collected no tests"; \
	  else exit $$rc; fi; }

lint: $(STAMP)
	$(VENV)/bin/pre-commit run --all-files

fmt: $(STAMP)
	$(RUFF) format .
	$(RUFF) check --fix .
	$(VENV)/bin/djhtml templates

messages: $(STAMP)
	@command -v msgfmt >/dev/null || { echo "error: gettext is not installed (apt-get install gettext)" >&2; exit 1; }
	$(MANAGE) makemessages -l id -l en --ignore=.venv --ignore=staticfiles --ignore=static/vendor
	$(MANAGE) compilemessages -l id -l en --ignore=.venv --ignore=staticfiles

# --- cleanup ---------------------------------------------------------------

clean:
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache staticfiles

distclean: clean
	rm -rf $(VENV) db.sqlite3 media
