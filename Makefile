# The two commands of the README. Everything they need, they install.
#   make run    set up, then serve the product (web + worker + beat + Stripe sandbox, demo data)
#   make test   set up, then run the whole test suite (browser tests included)

PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test setup lint messages bench clean chromium gettext

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

# Debian's chromium for the browser tests (Playwright cannot download browsers here).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "note: /usr/bin/chromium is missing; browser tests will be skipped (install the 'chromium' package)"; \
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

setup: $(STAMP) gettext
	$(PY) manage.py compilemessages -v 0 --ignore=.venv

run: setup
	$(PY) -m studio.launcher run

# Two workers: the machines have two cores; each worker gets its own test database.
TEST_WORKERS ?= 2

test: setup chromium
	$(PY) -m studio.launcher test -n $(TEST_WORKERS) $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

messages: $(STAMP)
	$(PY) manage.py makemessages -l fr -l en --ignore=.venv --ignore=stripe_sandbox --ignore=bench --ignore=tests --ignore="*/tests/*" --no-obsolete --no-fuzzy-matching
	# English is the source language: its catalogue is the identity.
	msgen --force-po -o locale/en/LC_MESSAGES/django.po locale/en/LC_MESSAGES/django.po

bench: setup
	$(PY) -m studio.launcher bench $(ARGS)

clean:
	rm -rf .data $(VENV)
