# The two commands: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
# The app refuses to start without BASE_URL outside debug/testing: links in mail go to the local server, and it
# answers only to the host $(HOST) (TRUSTED_HOSTS is BASE_URL's host).
FLASK  := PORTAL_BASE_URL=http://$(HOST):$(PORT) $(BIN)/flask --app portal

.PHONY: run test lint serve migrate demo clean screenshots bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changes, so a second `make run` starts in seconds.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@ $(VENV)/.installed

# A secret key generated once, readable only by its owner; instance/ is ignored by git.
instance/config.py: | $(BIN)/python
	mkdir -p instance
	umask 077 && $(BIN)/python -c 'import secrets; print(f"SECRET_KEY = {secrets.token_hex(32)!r}")' > $@
	@echo "Generated a secret key in $@"

migrate: $(VENV)/.installed instance/config.py
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo --if-empty

# make run: install, migrate, load the demo workshop into an empty database, serve on http://$(HOST):$(PORT)
# (PORTAL_BASE_URL, set in FLASK above). Plain http on loopback, so the session cookie may not be Secure here (it
# is everywhere else).
run: demo
	PORTAL_SESSION_COOKIE_SECURE=false $(FLASK) run --host $(HOST) --port $(PORT)

# ruff (style, bugs, its port of bandit's rules) and bandit itself over the product code; a finding that is
# not a defect carries `# nosec <id>` beside the reason (see README, Tests).
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/bandit -q -r portal

# make test: dev dependencies, lint, then unit, view and browser tests (on PostgreSQL too when
# PORTAL_TEST_DATABASE_URL is set).
test: lint
	$(BIN)/pytest

# make screenshots: the README's pictures (docs/screenshots/), taken in Debian's Chromium against the demo.
screenshots: $(VENV)/.installed-dev
	$(BIN)/python scripts/screenshots.py

# make bench: the performance figures on generated data (NeurIPS-size assignment and console, the deadline
# rush, public pages against a bare Flask app, PDF checks, letters and mail); prints a table and writes
# bench/results.json. Needs PostgreSQL; not part of make test.
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info
