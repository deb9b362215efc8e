# The two commands of the README. Everything they need, they install.
#   make run    set up, then serve the product (web + worker + beat + Stripe sandbox, demo data)
#   make test   set up, then run the whole test suite (browser tests included)

PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test setup lint format lock messages bench clean test-packages gettext vendor npm

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Installs exactly requirements.lock (versions and hashes; `make lock` writes it from pyproject.toml),
# then the project itself without resolving anything (its build backend, setuptools, is in the lock).
$(STAMP): requirements.lock pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# Re-resolve requirements.lock after editing the dependencies in pyproject.toml; pins already in the
# lock are kept unless asked: `make lock LOCK_ARGS=--upgrade` (everything) or
# `LOCK_ARGS="--upgrade-package stripe"` (one).
# requirements-prod.lock (the Docker image: no dev tools) is the same resolution without the dev
# extras, constrained by requirements.lock so both pin the same versions.
UV_COMPILE := $(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
	--no-config --quiet --custom-compile-command "make lock"

lock: $(STAMP)
	$(UV_COMPILE) --extra dev -o requirements.lock $(LOCK_ARGS)
	$(UV_COMPILE) -c requirements.lock -o requirements-prod.lock
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements.lock

# Debian's chromium for the browser tests (Playwright cannot download browsers here), and
# poppler-utils' pdftotext, which the receipt and report tests read the PDFs with.
TEST_PACKAGES := chromium:/usr/bin/chromium poppler-utils:/usr/bin/pdftotext
test-packages:
	@missing=""; for entry in $(TEST_PACKAGES); do \
		[ -x "$${entry#*:}" ] || missing="$$missing $${entry%%:*}"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "note: missing Debian packages for the tests:$$missing (browser and PDF tests need them)"; \
		fi; \
	fi

# gettext's msgfmt compiles the translation catalogues.
gettext:
	@if ! command -v msgfmt >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; \
		else \
			echo "gettext (msgfmt) is required: install the 'gettext' package"; exit 1; \
		fi; \
	fi

# Browser libraries (DESIGN.md: from npm, no CDN): exactly package-lock.json's versions, install
# scripts never run, then the built files the pages load copied into static/vendor/ (git-ignored;
# STATICFILES_DIRS serves it). Stamped on the lock, so a second `make setup` does nothing.
VENDOR_STAMP := static/vendor/.installed

npm:
	@if ! command -v npm >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
		else \
			echo "npm is required for the browser libraries: install the 'npm' package"; exit 1; \
		fi; \
	fi

$(VENDOR_STAMP): package.json package-lock.json
	@$(MAKE) --no-print-directory npm
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	rm -rf static/vendor && mkdir -p static/vendor/signature_pad static/vendor/trix
	cp node_modules/signature_pad/dist/signature_pad.umd.min.js node_modules/signature_pad/LICENSE static/vendor/signature_pad/
	cp node_modules/trix/dist/trix.umd.min.js node_modules/trix/dist/trix.css node_modules/trix/LICENSE static/vendor/trix/
	@touch $@

vendor: $(VENDOR_STAMP)

setup: $(STAMP) gettext vendor
	$(PY) manage.py compilemessages -v 0 --ignore=.venv

run: setup
	$(PY) -m studio.launcher run

# Two workers: the machines have two cores; each worker gets its own test database.
TEST_WORKERS ?= 2

# The formatter's check first: a second, cheaper than the suite, and CI runs this same target.
test: setup test-packages
	$(VENV)/bin/ruff format --check --quiet .
	$(PY) -m studio.launcher test -n $(TEST_WORKERS) $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

# Formats the tree (line length 110, pyproject.toml); `make lint` and `make test` check it.
format: $(STAMP)
	$(VENV)/bin/ruff format .

messages: $(STAMP)
	$(PY) manage.py makemessages -l fr -l en --ignore=.venv --ignore=node_modules --ignore=stripe_sandbox --ignore=bench --ignore=tests --ignore="*/tests/*" --no-obsolete  # never fuzzy: studio/management/commands/makemessages.py
	# English is the source language: its catalogue is the identity.
	msgen --force-po -o locale/en/LC_MESSAGES/django.po locale/en/LC_MESSAGES/django.po
	msgattrib --clear-fuzzy -o locale/en/LC_MESSAGES/django.po locale/en/LC_MESSAGES/django.po

bench: setup
	$(PY) -m studio.launcher bench $(ARGS)

clean:
	rm -rf .data $(VENV) node_modules static/vendor
