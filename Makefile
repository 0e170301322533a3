# tilbolig — the two commands are `make run` and `make test`; everything else is a step of them.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := FLASK_APP=engine $(VENV)/bin/flask
STAMP  := $(VENV)/.installed

.PHONY: install assets browser secret migrate run test test-only lint bench bench-15 screenshots clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# bpmn-js and the diagram linter come from npm and are served locally (nothing from the internet).
assets:
	@if [ -f package.json ]; then \
	  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then npm ci --no-audit --no-fund --loglevel=error; fi; \
	  if [ -f tools/copy-assets.sh ]; then sh tools/copy-assets.sh; fi; \
	fi
	@if [ -f tools/bpmn-check/package.json ] && [ ! -d tools/bpmn-check/node_modules ]; then \
	  cd tools/bpmn-check && npm ci --no-audit --no-fund --loglevel=error; fi

# Debian's Chromium for the browser tests; installed when missing and we may (root), else they skip.
browser:
	@if ! command -v chromium >/dev/null 2>&1 && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian chromium for the browser tests"; \
	  (apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1)) \
	    || echo "could not install chromium: browser tests will be skipped"; \
	fi

# The session-signing key: random, made once, kept in instance/ (never committed).  The app refuses to
# start outside debug/tests without one (TILBOLIG_SECRET_KEY or this file).
secret:
	@mkdir -p instance
	@test -s instance/secret_key || (umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_hex(32))' > instance/secret_key \
	  && echo "wrote a new random instance/secret_key")

migrate: install secret
	$(FLASK) db upgrade

run: install assets secret migrate
	$(FLASK) seed
	TILBOLIG_SCHEDULER_ENABLED=true $(FLASK) run --host 127.0.0.1 --port 5000 --no-reload

test: install assets browser lint test-only

# Style, import order and types of the service's own packages (ruff + mypy, configured in pyproject.toml).
lint: install
	$(VENV)/bin/ruff check engine webhooks
	$(VENV)/bin/mypy

# Two processes by default (pytest-xdist; each has its own database — tests/conftest.py); whole files stay
# together so a module's fixtures are built once.  TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= 2
test-only:
	$(PY) -m pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile) -rs

# Refresh the README's screenshots (the tests themselves write only to the git-ignored instance/screenshots).
screenshots: install assets browser
	TILBOLIG_SCREENSHOTS=$(CURDIR)/docs/screenshots $(PY) -m pytest tests/browser tests/ops/test_browser.py tests/modeler/test_browser.py

bench: install
	$(PY) bench/run.py

# Issue 15's rows only, ROUNDS times in one run, with median (range) and the goal beside each.
ROUNDS ?= 3
bench-15: install
	$(PY) -m bench.issue15 $(ROUNDS)

clean:
	rm -rf $(VENV) node_modules instance
