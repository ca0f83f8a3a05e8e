# Routine commands. `make run` and `make test` are the README's quick start.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint migrate seed worker beat web translations clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel compile -f -q -d referral/translations 2>/dev/null || true

## Set up and run web + Celery worker + beat with demo data on http://127.0.0.1:5000
run: $(STAMP) translations
	$(BIN)/python -m referral.devserver

## Set up and run ruff and the whole test suite (SQLite; add TEST_DATABASE_URL / TEST_REDIS_URL)
test: $(TEST_STAMP) translations
	bash scripts/ensure-chromium
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: $(TEST_STAMP)
	$(BIN)/ruff check .

migrate: $(STAMP)
	FLASK_APP=referral $(BIN)/flask db upgrade

seed: migrate
	FLASK_APP=referral $(BIN)/flask seed-demo

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
