# The commands of the README: `make run`, `make run-machina` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run run-machina test lint format bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(STAMP)

# Migrates, loads the demo data, then serves with gunicorn + a Celery worker and beat
# (scripts/run_dev.py); Ctrl-C stops it all, the embedded Redis included.
run: install
	$(PY) scripts/run_dev.py

# The same for the django-machina example site (examples/machina_site): its own SQLite
# file, cache keys and task queue, so it may run beside `make run`.
run-machina: install
	$(PY) scripts/run_dev.py --site machina

# Two pytest runs: the bundled forum's site, then the django-machina site (tests/machina,
# its own settings: both forums' apps are labelled "forum"). Fails if either fails.
test: install
	@bash scripts/ensure_chromium.sh
	@status=0; \
	$(PY) -m pytest $(PYTEST_ARGS) || status=1; \
	$(PY) -m pytest --ds=tests.machina.settings tests/machina $(PYTEST_ARGS) || status=1; \
	exit $$status

# Benchmarks against DATABASE_URL's PostgreSQL server (its own database cc_bench, created and
# dropped) and REDIS_URL; writes bench/RESULTS.md. See bench/README.md.
bench: install
	DATABASE_URL="$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" \
	REDIS_URL="$${REDIS_URL:-redis://127.0.0.1:6379/0}" \
	  $(PY) -m bench.run $(BENCH_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
