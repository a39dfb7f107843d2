# Greenlight: `make run` serves the demo, `make test` runs the suite.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
PIP     := $(VENV)/bin/pip
HOST    ?= 127.0.0.1:8000

.PHONY: run test e2e install lock lint reliability browser-deps bench bench-full serve load mutate clean

$(VENV)/.installed: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.lock
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py seed_demo
	SITE_URL=$${SITE_URL:-http://$(HOST)} $(PY) manage.py runserver $(HOST)

# Debian's Chromium for the Playwright tests; Playwright's own browser download cannot work here.
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "chromium could not be installed: browser tests skip (and fail in CI)"; \
	  else echo "chromium missing and not root: browser tests skip (and fail in CI)"; fi; \
	fi

# The suite runs in TEST_WORKERS processes (pytest-xdist; each has its own test database).
TEST_WORKERS ?= auto
test: install browser-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest -n $(TEST_WORKERS)

# The browser journeys alone (one per company size, axe-core over every page they open), in
# Debian's Chromium; screenshots at desktop and phone width go to E2E_ARTIFACTS.
E2E_ARTIFACTS ?= artifacts/e2e
e2e: install browser-deps
	E2E_ARTIFACTS=$(E2E_ARTIFACTS) $(VENV)/bin/pytest -m browser -rA tests/browser

# The production shape on this machine: gunicorn, Celery workers and one beat on PostgreSQL and
# Redis, supervised by honcho (config/serve, config/Procfile). Ctrl-C or SIGTERM stops it.
serve: install
	VENV=$(VENV) HOST=$(HOST) config/serve

# locust against `make serve` (in another terminal): 50 people for 60 s, two workers killed,
# then the after-checks; writes load/results/latest.json.
load: install
	VENV=$(VENV) config/serve env $(PY) load/run.py

reliability: install
	$(VENV)/bin/pytest -m "reliability or security" -rA

# Mutation testing, not part of `make test`: mutmut changes apps/org/policy.py,
# workflows/services.py and apps/audit/verify.py one mutant at a time and runs the tests that
# reach the changed code. Bounded by MUTATE_SECONDS; prints the mutants that survived (and those
# no test reached); `mutmut show NAME` shows one.
MUTATE_SECONDS ?= 300
MUTATE_DB := /tmp/greenlight-mutants.sqlite3
mutate: install
	rm -f $(MUTATE_DB)
	DJANGO_SETTINGS_MODULE=tests.mutation_settings $(PY) manage.py migrate --noinput -v0
	DJANGO_SETTINGS_MODULE=tests.mutation_settings $(PY) -c "import django; django.setup(); \
	  from tests.factories import world_build; world_build()"
	-GREENLIGHT_EXISTING_TEST_DB=$(MUTATE_DB) timeout --signal=INT --kill-after=30 \
	  $(MUTATE_SECONDS) $(VENV)/bin/mutmut run --max-children 1
	$(VENV)/bin/mutmut results

# Benchmarks (not tests): a lifecycle against bare viewflow and the floor, and the read paths
# at 10,000 plans; SQLite by default, PostgreSQL with DATABASE_URL. bench-full adds 100,000
# plans and the export of 1,000,000 events. Both write bench/results/latest.json.
bench: install
	$(PY) bench/run.py

bench-full: install
	$(PY) bench/run.py --full

lock:
	$(PYTHON) -m venv /tmp/greenlight-lock
	/tmp/greenlight-lock/bin/pip install --quiet pip-tools
	/tmp/greenlight-lock/bin/pip-compile --quiet --extra dev --strip-extras \
	  --no-emit-find-links --no-emit-index-url --no-emit-trusted-host \
	  -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) db.sqlite3 mutants /tmp/greenlight-mutants.sqlite3
