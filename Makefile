# The two commands: `make run` (the whole product on embedded defaults) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/inbox
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15

.PHONY: install run test lint format check-postgres check-clients check-chromium oidc-provider

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The whole product on embedded defaults: SQLite and a filesystem Celery broker under var/,
# web + worker + beat + the engine simulators under honcho (Procfile). Ctrl-C or SIGTERM stops
# them all within 10 s: honcho stops each, the worker cancels a running task after
# CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT (it runs again later), and scripts/orphan_guard.py stops any
# that honcho could not (tests/test_make_run_shutdown.py). Each start reseeds both the simulated
# engines (in memory, from their seed) and the embedded database (demo_reset), so the two agree
# (tests/test_make_run_seeding.py).
run: install
	DEBUG=true $(PY) manage.py demo_reset
	DEBUG=true $(PY) manage.py migrate --no-input
	DEBUG=true $(PY) manage.py seed_demo
	DEBUG=true $(PY) manage.py demo_sources
	DEBUG=true PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start -f Procfile

check-postgres: install
	@DATABASE_URL='$(DATABASE_URL)' $(PY) scripts/check_postgres.py

# The browser tests drive Debian's chromium (never a downloaded browser).
check-chromium:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y chromium; \
	  else echo "Debian's chromium is missing; the browser tests need it. Run as root:"; \
	       echo "  apt-get update && apt-get install -y chromium"; exit 1; fi; }

# The real OpenID Provider the SSO tests sign in through (npm oidc-provider; needs Node).
OIDC_PROVIDER_DIR := tests/accounts/oidc_provider
oidc-provider: $(OIDC_PROVIDER_DIR)/node_modules/.installed-stamp

$(OIDC_PROVIDER_DIR)/node_modules/.installed-stamp: $(OIDC_PROVIDER_DIR)/package.json
	cd $(OIDC_PROVIDER_DIR) && npm install --no-audit --no-fund --silent
	@touch $@

test: install check-postgres check-chromium oidc-provider
	DATABASE_URL='$(DATABASE_URL)' CELERY_BROKER_URL='$(TEST_BROKER_URL)' SECRET_KEY=test-only-secret \
	  $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The official UiPath, DocuSign and Cloudflare npm clients against the simulators (needs Node).
check-clients: install
	cd simulators/clients_check && npm install --no-audit --no-fund --silent
	DEBUG=true $(VENV)/bin/pytest -p no:cacheprovider simulators/clients_check/test_npm_clients.py
