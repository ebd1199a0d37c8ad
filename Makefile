# One command to run the stack, one to run every check.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Two stamps: `make run` needs only the runtime lock; the checks need the development one.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run manage stop test install lint types layers deploy-check schema schema-check openapi-lint pytest bench clean-local lock

# Every target here is a development machine's (the settings refuse to start without their
# secrets otherwise; see .env.example). Production runs manage.py and its servers itself.
export DEVELOPMENT ?= true

$(PY):
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements.lock | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	touch $@

# requirements-dev.lock holds the runtime pins too (it is compiled with -c requirements.lock).
$(DEV_STAMP): requirements.lock requirements-dev.lock | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@ $(RUN_STAMP)

install: $(DEV_STAMP)

## make lock: regenerate both lock files from pyproject.toml (with hashes). Pins that still
## satisfy pyproject.toml are kept; `make lock UPGRADE=1` moves every pin to the newest release.
LOCK_FLAGS := --python-version 3.11 --generate-hashes --quiet $(if $(UPGRADE),--upgrade)
lock: $(DEV_STAMP)
	$(VENV)/bin/uv pip compile pyproject.toml $(LOCK_FLAGS) -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev -c requirements.lock $(LOCK_FLAGS) \
	  -o requirements-dev.lock

## make run: the API and admin on :8000, a Celery worker and beat, demo data (embedded servers
## when DATABASE_URL / REDIS_URL are unset).
run: $(RUN_STAMP)
	$(PY) -m config.stack

## make manage ARGS="migrate": one manage.py command, on the embedded servers when DATABASE_URL /
## REDIS_URL are unset (it starts them, and stops those it started).
manage: $(RUN_STAMP)
	$(PY) -m config.stack manage $(ARGS)

## make test: lint, types, layering, the deployment checks, then the whole pytest suite.
test: lint types layers deploy-check schema-check openapi-lint pytest

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

## make schema: regenerate the committed OpenAPI schema (docs/openapi.yaml) from the code.
schema: $(DEV_STAMP)
	$(PY) manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml

# The committed schema must be the one the code generates.
schema-check: $(DEV_STAMP)
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

types: $(DEV_STAMP)
	$(VENV)/bin/mypy .

layers: $(DEV_STAMP)
	$(VENV)/bin/lint-imports

## make deploy-check: `manage.py check --deploy --fail-level WARNING` on production settings (with
## generated secrets): any warning fails.
deploy-check: $(RUN_STAMP)
	$(PY) -m config.deploy_check

pytest: $(DEV_STAMP)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: $(DEV_STAMP)
	$(PY) bench/ledger.py

## make stop: stop the stack `make run` started (from another terminal): its launcher gets SIGTERM,
## like Ctrl-C, and stops the web server, worker, beat, sandbox and embedded servers.
stop:
	@test -x $(PY) || { echo "no $(VENV): no stack can be running"; exit 0; }
	$(PY) -m config.stack stop

## make clean-local: delete .local (the embedded servers' data); refused while the stack runs.
clean-local:
	@if [ -x $(PY) ]; then $(PY) -m config.stack clean-local; else rm -rf .local; fi
