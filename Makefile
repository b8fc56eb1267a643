# shequn — two commands do everything: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
MANAGE := $(BIN)/python manage.py
PYTEST_WORKERS ?= 2

.PHONY: run test install dev-install assets messages messages-update lint typecheck migrations-check translations-check pytest pytest-sqlite pytest-postgres bench bench-scale clean

## make run: set up everything and serve the web app and the job consumer on SQLite.
run: install assets messages
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput -v 0
	$(MANAGE) load_demo --if-empty --print-logins --url http://$(HOST):$(PORT)/
	$(MANAGE) serve --host $(HOST) --port $(PORT)

## make test: install what tests need and run lint, types, migrations, translations, the suite.
test: dev-install assets messages lint typecheck migrations-check translations-check pytest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed
dev-install: $(VENV)/.dev-installed

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

static/vendor/.fetched: node_modules/.package-lock.json
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/echarts/dist/echarts.min.js static/vendor/echarts.min.js
	@touch $@

assets: static/vendor/.fetched

messages:
	@command -v msgfmt >/dev/null || { echo "Installing gettext (msgfmt)…"; apt-get install -y -qq gettext >/dev/null || { apt-get update -qq && apt-get install -y -qq gettext; }; }
	$(MANAGE) compilemessages -v 0 --ignore=.venv --ignore=node_modules

messages-update:
	$(MANAGE) makemessages -l zh_Hans --no-obsolete $(foreach p,.venv node_modules var static/vendor bench docs,--ignore='$(p)/*')

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy .

migrations-check:
	$(MANAGE) makemigrations --check --dry-run

translations-check:
	$(MANAGE) check_translations

pytest: pytest-sqlite pytest-postgres

pytest-sqlite:
	@echo "== pytest on SQLite =="
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest -n $(PYTEST_WORKERS) -q

pytest-postgres:
	@case "$$DATABASE_URL" in \
	  postgres*) echo "== pytest on PostgreSQL ($$DATABASE_URL) =="; \
	    $(BIN)/pytest -n $(PYTEST_WORKERS) -q -m "not browser";; \
	  *) echo "== PostgreSQL run skipped: DATABASE_URL does not point at PostgreSQL ==";; \
	esac

bench: install
	$(BIN)/python bench/run.py

## make bench-scale: every console and API list at 300, 10,000 and 100,000 members (SQLite, and
## PostgreSQL when one answers at BENCH_POSTGRES_URL); see bench/README.md. Takes ~15 minutes.
bench-scale: install
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) node_modules static/vendor var/staticfiles
