# One command to run the stack, one to run every check.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install lint types layers schema schema-check openapi-lint pytest bench clean-local

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
test: lint types layers schema-check openapi-lint pytest

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

# The OpenAPI linters, pinned in package.json and package-lock.json (npm ci when the lock changes).
NODE_STAMP := node_modules/.package-lock.json
REDOCLY := REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true node_modules/.bin/redocly
REDOCLY_TOTALS := const t = JSON.parse(require("fs").readFileSync(0, "utf8")).totals; \
  if (t.errors + t.warnings > 0) { \
    console.error(`redocly: $${t.errors} error(s), $${t.warnings} warning(s)`); process.exit(1); }

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

## make openapi-lint: Redocly's recommended rules and Spectral's spectral:oas on docs/openapi.yaml;
## any error or warning fails (redocly exits 0 on warnings, so its JSON totals decide).
openapi-lint: $(NODE_STAMP)
	$(REDOCLY) lint --config redocly.yaml --format stylish docs/openapi.yaml
	@$(REDOCLY) lint --config redocly.yaml --format json docs/openapi.yaml 2>/dev/null \
	  | node -e '$(REDOCLY_TOTALS)'
	node_modules/.bin/spectral lint --ruleset .spectral.yaml --fail-severity hint docs/openapi.yaml

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
