# One command to run the stack, one to run every check.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install lint types layers schema schema-check pytest bench clean-local

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## make run: the API and admin on :8000, a Celery worker and beat, demo data (embedded servers
## when DATABASE_URL / REDIS_URL are unset).
run: $(STAMP)
	$(PY) -m config.stack

## make test: lint, types, layering, then the whole pytest suite.
test: lint types layers schema-check pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

## make schema: regenerate the committed OpenAPI schema (docs/openapi.yaml) from the code.
schema: $(STAMP)
	$(PY) manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml

# The committed schema must be the one the code generates.
schema-check: $(STAMP)
	$(PY) manage.py spectacular --validate --fail-on-warn --file $(VENV)/openapi.generated.yaml
	@diff -u docs/openapi.yaml $(VENV)/openapi.generated.yaml \
	  || { echo "docs/openapi.yaml is stale: run 'make schema' and commit it"; exit 1; }

types: $(STAMP)
	$(VENV)/bin/mypy .

layers: $(STAMP)
	$(VENV)/bin/lint-imports

pytest: $(STAMP)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) bench/ledger.py

clean-local:
	rm -rf .local
