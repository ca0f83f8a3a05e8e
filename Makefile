# Routine commands. `make run` and `make test` are the README's quick start.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# Hashed pins from pyproject.toml; refresh both with `make lock` (scripts/lock).
LOCK := requirements.lock
TEST_LOCK := requirements-test.lock
# The suite on every core (pytest-xdist), a test file's tests on one worker (some modules build
# on one migrated database step by step); `make test PYTEST_WORKERS=` runs it in one process.
PYTEST_WORKERS ?= -n auto --dist loadfile

.PHONY: run test lint lock migrate seed worker beat web translations clean

$(BIN)/python:
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed (set PY=python3.11)"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(TEST_STAMP): pyproject.toml $(TEST_LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r $(TEST_LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(STAMP)

translations: $(STAMP)
	@if ls referral/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(BIN)/pybabel compile -f -d referral/translations >/dev/null; fi

## Set up and run web + Celery worker + beat with demo data on http://127.0.0.1:5000
run: $(STAMP) translations
	$(BIN)/python -m referral.devserver

## Set up and run ruff and the whole test suite (SQLite; add TEST_DATABASE_URL / TEST_REDIS_URL)
test: $(TEST_STAMP) translations
	bash scripts/ensure-chromium
	$(BIN)/ruff check .
	$(BIN)/pytest -q $(PYTEST_WORKERS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .

## Refresh requirements.lock and requirements-test.lock after changing dependencies
lock:
	scripts/lock

migrate: $(STAMP)
	FLASK_APP=referral $(BIN)/flask db upgrade

seed: migrate
	FLASK_APP=referral $(BIN)/flask seed-demo

## One process each, e.g. in three terminals (`make run` starts all three together)
web: migrate translations
	$(BIN)/flask --app referral run --host 127.0.0.1 --port 5000

worker: $(STAMP)
	$(BIN)/celery -A workers.make_celery worker --loglevel=INFO

beat: $(STAMP)
	mkdir -p instance
	$(BIN)/celery -A workers.make_celery beat --loglevel=INFO --schedule instance/celerybeat-schedule

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
