# KetaCare: two commands for a newcomer.
#   make demo   set up, seed the demo clinics and serve on http://127.0.0.1:$(PORT)
#   make test   set up, lint, type-check and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: demo test lint typecheck check pytest test-shifted serve browser pango faketime lock clean

$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "KetaCare needs Python 3.11 or later")'
	$(PYTHON) -m venv $(VENV)
	@touch $@

$(VENV)/.runtime: requirements.lock pyproject.toml | $(VENV)/.python-ok
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(VENV)/.dev: requirements-dev.lock $(VENV)/.runtime
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	@touch $@

demo: $(VENV)/.runtime pango
	$(BIN)/ketacare demo --port $(PORT)

serve: $(VENV)/.runtime
	$(BIN)/ketacare serve

# Browser tests drive Debian's chromium; install it where it is missing, never a
# browser download of Playwright's own.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# WeasyPrint (the REMS form as PDF) renders text with Pango; install Debian's where
# it is missing.
pango:
	@[ -e /usr/lib/$$(uname -m)-linux-gnu/libpango-1.0.so.0 ] && \
	  [ -e /usr/lib/$$(uname -m)-linux-gnu/libpangoft2-1.0.so.0 ] || { \
	  echo "Installing Debian's Pango for WeasyPrint"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    $$SUDO apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0; }

# The shifted-clock pass runs the whole process under Debian's libfaketime; install it
# where it is missing.
faketime:
	@command -v faketime >/dev/null 2>&1 || { \
	  echo "Installing Debian's faketime for the shifted-clock tests"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq faketime; }

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev
	$(BIN)/mypy ketacare tests benchmarks

# The locked dependencies agree with each other, and no model change lacks a migration.
check: $(VENV)/.dev
	$(BIN)/pip check
	$(BIN)/python manage.py makemigrations --check --dry-run

pytest: $(VENV)/.dev browser pango
	$(BIN)/pytest

# The non-browser suite on SQLite with the whole process clock shifted (libfaketime) to
# AT (UTC), by default the date CI picks for the commit checked out (tests/shifted_clock.py).
test-shifted: $(VENV)/.dev pango faketime
	@at="$${AT:-$$($(BIN)/python -m tests.shifted_clock)}"; \
	  echo "Shifted clock: $$at UTC; again with: make test-shifted AT='$$at'"; \
	  env -u KETACARE_TEST_DATABASE_URL TZ=UTC faketime -m "$$at" $(BIN)/pytest -m "not e2e and not fixed_world and not clock_free"

test: lint typecheck check pytest

# Re-pin the lock files after changing pyproject.toml (needs pip-tools).
lock:
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --no-header -o requirements.lock pyproject.toml
	$(BIN)/pip-compile --quiet --strip-extras --no-header --extra dev -o requirements-dev.lock pyproject.toml
	sed -i '/^--/d' requirements.lock requirements-dev.lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
