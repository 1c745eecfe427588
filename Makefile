# Two commands for a fresh clone (README): `make demo` and `make test`. Needs python3 (>= 3.11) and make.
# uv comes from PATH, else it is installed once into .tools/ from PyPI.
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
DEMO_DAYS := 2024-11-14 2025-05-27
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/daily_ai_insights
TEST_BROKER_URL ?= redis://127.0.0.1:6379/0

.PHONY: demo test lint setup bench bench-pages

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

setup: $(UV)
	$(UV) sync --frozen
	mkdir -p var/static

# Migrate an SQLite database under var/, import the reference product's reports
# (data/reference-reports/ and the 12 recovered from its git history, history/) as published days but for the bundled days, build those offline
# (after the import, so that papers the reports share with them keep one category), serve it all.
# Running it again changes no row count (tests/config/test_demo_import.py).
demo: setup
	DEBUG=1 $(UV) run python manage.py migrate --noinput
	DEBUG=1 $(UV) run python manage.py import_report data/reference-reports/ data/reference-reports/history/ --except $(DEMO_DAYS)
	@for day in $(DEMO_DAYS); do \
		DEBUG=1 $(UV) run python manage.py build_digest $$day --unless-published || exit 1; done
	@echo "Serving the digest at http://127.0.0.1:8000/ (Ctrl-C stops)"
	DEBUG=1 $(UV) run python manage.py runserver 127.0.0.1:8000

# The test suite against PostgreSQL and Redis on 127.0.0.1 (override with TEST_DATABASE_URL).
test: setup
	DEBUG=1 DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) \
		$(UV) run pytest

# Every bench/ script against PostgreSQL and Redis, written up in docs/benchmarks.md
# (bench/run_all.py; ~7 minutes). QUICK=1: a month of days for the pages instead of a year.
bench: setup
	DEBUG=1 DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) \
		$(UV) run python bench/run_all.py $(if $(QUICK),--quick)

# The reader's pages under gunicorn with a year of generated days (bench/pages.py; a few minutes).
bench-pages: setup
	$(UV) run python bench/pages.py --gc-freeze

# Style, formatting, the layers contract (pyproject.toml [tool.importlinter]) and migrations.
lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run lint-imports
	DEBUG=1 $(UV) run python manage.py makemigrations --check --dry-run
