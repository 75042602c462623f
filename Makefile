# mbc-connect: every target sets up what it needs, so `make run` and `make test`
# work on a fresh machine. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Lambda's runtime is the Python that runs chalice: we target python3.12.
PYTHON_BOOT ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) $(shell command -v python3.12 2>/dev/null))
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
ARGS ?=

.PHONY: help setup browser run test test-shifted test-shifted-back e2e lint typecheck pytest cli bench package clean screenshots mutate

help:
	@echo "make run    - start DynamoDB Local + API on http://127.0.0.1:$(PORT) (sets everything up)"
	@echo "make test   - lint, type-check and run the whole test suite (sets everything up)"
	@echo "make cli ARGS='organizers list' - the admin CLI against the local data"
	@echo "make package - build the Lambda deployment package into out/"
	@echo "make mutate - mutation testing of five modules (not part of make test; MODULES='wording planner')"

$(VENV)/.stamp: requirements.txt requirements-dev.txt
	@test -n "$(PYTHON_BOOT)" || { echo "python3.12 not found (pyenv or PATH)"; exit 1; }
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.stamp node_modules/.stamp

# Browser tests drive Debian's chromium (Playwright's own browser download cannot work here).
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

browser: $(CHROMIUM)

run: setup
	$(PY) -m devtools.run_local --port $(PORT)

cli: setup
	$(PY) -m devtools.local_env $(PY) -m chalicelib.cli $(ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy

# The unit and integration tiers on both cores (each worker has its own DynamoDB Local engine and
# tables); the e2e tier's live stacks and browser one at a time.
pytest: setup browser
	$(VENV)/bin/pytest -n 2 tests/unit tests/integration
	$(VENV)/bin/pytest tests/e2e

e2e: setup browser
	$(VENV)/bin/pytest tests/e2e

# Proof that no test reads today's date: the clock-sensitive tier (unit and moto tests) again under a
# real wall clock shifted ten years ahead (tests that would expire), and the unit tests five years
# back (logic that assumes "now" is after some date) (time-machine; tests/conftest.py). The whole
# tier five years back as well: `make test-shifted-back` (about 3 more minutes; not in `make test`,
# which must stay well under 15 minutes on a clean clone).
SHIFT_AHEAD_DAYS ?= 3653
SHIFT_BACK_DAYS ?= -1826
# The per-route cold-import test serves each route in a child process on the real clock, with member
# tokens minted by the shifted parent: it runs in the normal tier only.
COLD_CHILD = --deselect tests/unit/test_cold_imports.py::test_a_cold_public_request_loads_only_its_own_modules
test-shifted: setup
	$(VENV)/bin/pytest -q -n 2 tests/unit tests/integration -m "not ddblocal" $(COLD_CHILD) --shift-wall-clock=$(SHIFT_AHEAD_DAYS)
	$(VENV)/bin/pytest -q -n 2 tests/unit -m "not ddblocal" $(COLD_CHILD) --shift-wall-clock=$(SHIFT_BACK_DAYS)

test-shifted-back: setup
	$(VENV)/bin/pytest -q -n 2 tests/unit tests/integration -m "not ddblocal" $(COLD_CHILD) --shift-wall-clock=$(SHIFT_BACK_DAYS)

# The whole suite. Steps that share no state run side by side on the two cores, each one's output
# printed whole when it ends: the checks (ruff, mypy, the infra synth and its tests), then, after the
# benchmark smoke run (timed: alone) and the unit and integration tiers, the e2e tier (mostly waiting
# on its browser and live stack) beside the shifted-clock tiers (moto only, no ports).
test: setup browser
	$(MAKE) -j2 --output-sync=target lint typecheck infra-test
	$(MAKE) bench-smoke
	$(VENV)/bin/pytest -n 2 tests/unit tests/integration
	$(MAKE) -j2 --output-sync=target e2e test-shifted

# The website's and the console's screenshots, then the email gallery (docs/emails.md and
# docs/screenshots/email-*.png; devtools/email_gallery.py).
screenshots: setup browser
	UPDATE_SCREENSHOTS=1 $(VENV)/bin/pytest -q tests/e2e/test_browser.py tests/e2e/test_console_browser.py tests/e2e/test_website_embeds.py
	$(PY) -m devtools.email_gallery

# Mutation testing (docs/mutation.md): not part of `make test`. One worker, one module at a time.
MODULES ?=
$(VENV)/.stamp-mutate: $(VENV)/.stamp requirements-mutate.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-mutate.txt
	touch $@

mutate: $(VENV)/.stamp-mutate
	$(PY) -m devtools.mutate $(MODULES)

package: setup
	$(PY) -m devtools.package --stage prod --out out
	@ls -l out/deployment.zip

clean:
	rm -rf $(VENV) node_modules out chalice.out .pytest_cache .mypy_cache .ruff_cache .mutate
include infra/infra.mk
include bench/bench.mk
