# Greenlight: `make run` serves the demo, `make test` runs the suite.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
PIP     := $(VENV)/bin/pip
HOST    ?= 127.0.0.1:8000

.PHONY: run test install lock lint reliability browser-deps bench clean

$(VENV)/.installed: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.lock
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST)

# Debian's Chromium for the Playwright tests; Playwright's own browser download cannot work here.
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "chromium could not be installed: browser tests skip (and fail in CI)"; \
	  else echo "chromium missing and not root: browser tests skip (and fail in CI)"; fi; \
	fi

test: install browser-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest

reliability: install
	$(VENV)/bin/pytest -m "reliability or security" -rA

bench: install
	$(PY) bench/run.py

lock:
	$(PYTHON) -m venv /tmp/greenlight-lock
	/tmp/greenlight-lock/bin/pip install --quiet pip-tools
	/tmp/greenlight-lock/bin/pip-compile --quiet --extra dev --strip-extras \
	  --no-emit-find-links --no-emit-index-url --no-emit-trusted-host \
	  -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) db.sqlite3
