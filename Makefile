# The two commands: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
# make mail: the local SMTP sink's port; `make run MAIL=1` sends the portal's mail to it.
MAIL_PORT ?= 1025
# The app refuses to start without BASE_URL outside debug/testing: links in mail go to the local server, and it
# answers only to the host $(HOST) (TRUSTED_HOSTS is BASE_URL's host).
FLASK  := PORTAL_BASE_URL=http://$(HOST):$(PORT) $(if $(MAIL),PORTAL_MAIL_SERVER=127.0.0.1 PORTAL_MAIL_PORT=$(MAIL_PORT) )$(BIN)/flask --app portal
# uv installs the versions pinned in uv.lock; this release of it is installed into .venv with pip.
UV_VERSION := 0.13.9
UV     := $(BIN)/uv

.PHONY: run test quick lint docs lock mail serve migrate demo clean screenshots bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.uv-$(UV_VERSION): | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	touch $@

# Install exactly what uv.lock pins (the project itself editable); again only when pyproject.toml or uv.lock
# changes, so a second `make run` starts in seconds. --locked stops when uv.lock no longer matches pyproject.toml
# (then `make lock`); --inexact leaves alone what else is in .venv (uv itself, the dev tools under make run).
LOCK_HINT := { echo "(When uv.lock is out of date: make lock, then commit uv.lock; see docs/dev/setup.md.)" >&2; exit 1; }
$(VENV)/.installed: pyproject.toml uv.lock $(VENV)/.uv-$(UV_VERSION)
	$(UV) sync --locked --inexact || $(LOCK_HINT)
	touch $@

$(VENV)/.installed-dev: pyproject.toml uv.lock $(VENV)/.uv-$(UV_VERSION)
	$(UV) sync --locked --inexact --extra dev || $(LOCK_HINT)
	touch $@ $(VENV)/.installed

# make lock: pin the dependencies again after editing them in pyproject.toml; commit uv.lock with it.
# `make lock UPGRADE=1` moves every pin to the newest release the ranges allow.
lock: $(VENV)/.uv-$(UV_VERSION)
	$(UV) lock $(if $(UPGRADE),--upgrade)

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
# is everywhere else). `make run MAIL=1`: mail goes to `make mail`'s sink.
run: demo
	PORTAL_SESSION_COOKIE_SECURE=false $(FLASK) run --host $(HOST) --port $(PORT)

# make mail: a local SMTP sink on 127.0.0.1:$(MAIL_PORT) that prints every message, decoded (scripts/mailsink.py,
# on aiosmtpd from the dev dependencies); start the portal with `make run MAIL=1` in another terminal.
mail: $(VENV)/.installed-dev
	$(BIN)/python scripts/mailsink.py --port $(MAIL_PORT)

# ruff (style, bugs, its port of bandit's rules), ruff format (the formatter owns the layout: --check fails on a
# file it would change; `.venv/bin/ruff format .` fixes it), bandit over the product code (a finding that is not a
# defect carries `# nosec <id>` beside the reason, see docs/dev/testing.md), and import-linter (the layer order of
# docs/dev/architecture.md, from pyproject.toml: an import pointing up fails).
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -r portal
	$(BIN)/lint-imports

# The documentation site (mkdocs.yml, docs/) into .site/; --strict fails on a broken link or anchor. No --quiet:
# it hides the warnings --strict counts, and a broken link would then pass.
# NO_MKDOCS_2_WARNING: Material's banner about its end of life (5 May 2027), printed on every build.
docs: $(VENV)/.installed-dev
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir .site

# make test: dev dependencies, lint, the docs build, then unit, view and browser tests (on PostgreSQL too when
# PORTAL_TEST_DATABASE_URL is set), on one pytest-xdist worker per CPU: 5 min 53 s on this 2-core machine, quiet, at
# 3,412 tests; at 3,993 a fresh clone took 11 min 54 s to 14 min before the bytecode cache below, the garbage
# collector's threshold and the long tests first (tests/unit: 117 s -> 71 s; docs/dev/testing.md).
# `make test PYTEST_WORKERS=0` runs them in one process.
# --dist loadgroup: tests marked xdist_group(name) run on one worker; the rest go wherever a worker is free.
# Every interpreter a run starts (the two workers, flask in a new interpreter, the PDF checker server, the affinity
# helper, gunicorn, RQ) keeps the modules it compiled in $(PYCACHE): where PYTHONDONTWRITEBYTECODE is set (this
# machine, many containers) and uv installed no .pyc, each compiled every module it imported again, 4 s a start.
PYCACHE := $(CURDIR)/$(VENV)/pycache
test quick: export PYTHONDONTWRITEBYTECODE :=
test quick: export PYTHONPYCACHEPREFIX := $(PYCACHE)
PYTEST_WORKERS ?= auto
test: lint docs
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

# make quick: the inner loop, about 1.5 min on two idle cores (157 s of CPU, 2,900 tests; 118 s on the shared machine,
# 7 Dec 2026; docs/dev/testing.md): SQLite only, without the slow, browser and fuzz tests
# (tests/markers.py), on one worker per CPU; each area keeps its quick tests. make test runs everything.
quick: $(VENV)/.installed-dev
	PORTAL_TEST_DATABASE_URL= $(BIN)/pytest -n auto --dist loadgroup -m "not slow and not browser and not fuzz"

# make screenshots: the README's pictures (docs/screenshots/), taken in Debian's Chromium against the demo.
screenshots: $(VENV)/.installed-dev
	$(BIN)/python scripts/screenshots.py

# make bench: the performance figures on generated data (NeurIPS-size assignment and console, the deadline
# rush, public pages against a bare Flask app, PDF checks, letters and mail); prints a table and writes
# bench/results.json. Needs PostgreSQL; not part of make test.
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .site *.egg-info
