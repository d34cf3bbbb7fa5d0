# Everyday commands. `make test` is the one to know: it sets everything up and runs every check.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
BROWSER_STAMP := $(subst .installed-,.browser-installed-,$(STAMP))
CLIENT_STAMP := $(subst .installed-,.client-installed-,$(STAMP))
# Redocly's CLI for make openapi-lint, run by npx (Node.js 20.19 or later) from npm's cache.
REDOCLY_CLI := @redocly/cli@2.77.0
# Examples per operation for make fuzz.
FUZZ_EXAMPLES ?= 20
# The browser make browser-test drives, and its WebDriver: Debian's by default.
CHROMIUM ?= chromium
CHROMEDRIVER ?= chromedriver
# What make lint and make typecheck check besides the core. A layer's layer.mk adds its own files
# with += (a layer is a top-level folder with a layer.mk: docs/development.md, Layers).
DOCKERFILES := Dockerfile
SHELL_SCRIPTS := bin/app .ci/run .ci/without-layers docker/db/10-app-role.sh
COMPOSE_FILES := docker-compose.yml
LAYER_MYPY :=
# The make targets of the layers' checks, which CI runs through make layer-checks.
LAYER_CHECKS :=

.PHONY: help install test lint typecheck pytest system-test browser-test client-test openapi-lint fuzz compose-test layer-checks docs format constraints clean

help:  ## List the targets, the layers' included
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# Each layer's targets and additions to the lists above; a layer that is not here adds nothing.
-include $(wildcard */layer.mk)

# A target no rule makes: say so in a line, since it may belong to a layer this tree lacks.
.DEFAULT:
	@echo "make: there is no target '$@' in this tree; it may belong to a layer that was deleted (make help lists what there is)." >&2; exit 2

$(STAMP): pyproject.toml constraints.txt
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e . --group dev
	touch $@

install: $(STAMP)  ## Create .venv with the app and its development tools, pinned by constraints.txt

test: lint typecheck pytest  ## Install, lint, type-check and run the in-process suite on PostgreSQL

lint: install  ## ruff, and the Dockerfile, compose file, workflow and shell scripts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint $(DOCKERFILES)
	$(BIN)/shellcheck $(SHELL_SCRIPTS)
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec $(COMPOSE_FILES)
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

typecheck: install  ## mypy, strict: the core, then the layers' code (LAYER_MYPY)
	$(BIN)/mypy
	$(if $(strip $(LAYER_MYPY)),$(BIN)/mypy $(LAYER_MYPY))

pytest: install  ## The in-process test suite alone (needs PostgreSQL; see README)
	$(BIN)/pytest $(PYTEST_ARGS)

# PostgreSQL's server programs (initdb, pg_ctl) and psql too: see docs/testing.md.
system-test: install  ## The tests that start processes: gunicorn, the compose commands, a cluster of their own
	timeout 900 $(BIN)/pytest tests/system $(PYTEST_ARGS)

$(BROWSER_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt --group browser
	touch $@

browser-test: $(BROWSER_STAMP)  ## /docs in headless Chromium: every operation listed, "Try it out" works
	@if ! command -v "$(CHROMIUM)" >/dev/null || ! command -v "$(CHROMEDRIVER)" >/dev/null; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	        echo "Installing Debian's chromium and chromium-driver."; \
	        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install --yes --quiet \
	            --no-upgrade --no-install-recommends chromium chromium-driver; \
	    else \
	        echo "make browser-test needs Chromium and its chromedriver, and cannot find" \
	            "'$(CHROMIUM)' or '$(CHROMEDRIVER)'. Install them (Debian: apt-get install" \
	            "chromium chromium-driver) or name them: make browser-test" \
	            "CHROMIUM=/path/to/chrome CHROMEDRIVER=/path/to/chromedriver" >&2; \
	        exit 1; \
	    fi; \
	fi
	CHROMIUM="$(CHROMIUM)" CHROMEDRIVER="$(CHROMEDRIVER)" timeout 300 $(BIN)/pytest tests/browser $(PYTEST_ARGS)

$(CLIENT_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt --group client
	touch $@

client-test: $(CLIENT_STAMP)  ## Generate a Python client from /openapi.json (no warning allowed) and use it against gunicorn
	$(BIN)/pytest tests/client -s $(PYTEST_ARGS)

# The document comes from the app itself, built without a server or a database.
openapi-lint: install  ## Lint the OpenAPI document with Redocly's recommended rules (needs Node.js): no error allowed
	@command -v npx >/dev/null || { echo "make openapi-lint needs Node.js and npx." >&2; exit 1; }
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	    BLOG_ENV=testing $(BIN)/flask --app blog spec --format json --output "$$tmp/openapi.json" --quiet && \
	    REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
	        npx --yes $(REDOCLY_CLI) lint --config redocly.yaml --format stylish "$$tmp/openapi.json"

fuzz: install  ## schemathesis's CLI against gunicorn, signed in: all checks, all phases (FUZZ_EXAMPLES=20)
	FUZZ_EXAMPLES="$(FUZZ_EXAMPLES)" $(BIN)/pytest tests/fuzz -s $(PYTEST_ARGS)

# Needs a Docker engine with Compose v2, and only the standard library of $(PYTHON): no .venv.
compose-test:  ## docker compose up for real, from the committed tree: production, proxy, suite (minutes)
	timeout 3000 $(PYTHON) scripts/compose_check.py $(COMPOSE_TEST_ARGS)

layer-checks: $(LAYER_CHECKS)  ## The checks of every layer in the tree, one after another (CI runs this)
	@echo "Layer checks done: $(or $(strip $(LAYER_CHECKS)),none; no layer here has any)."

docs: install  ## Redraw docs/schema.md's diagram of the tables from the models
	$(BIN)/python scripts/erd.py --write

format: install  ## Reformat and fix what ruff can fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

constraints:  ## Re-pin constraints.txt to the newest versions pyproject.toml allows
	rm -rf .constraints-venv
	$(PYTHON) -m venv .constraints-venv
	.constraints-venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	.constraints-venv/bin/python -m pip install --quiet --disable-pip-version-check . --group dev --group browser --group client
	{ echo "# Exact versions for every install (make constraints re-pins them)."; \
	  .constraints-venv/bin/python -m pip freeze --all --exclude blog --exclude setuptools | LC_ALL=C sort -f; } > constraints.txt
	rm -rf .constraints-venv

clean:  ## Remove the virtual environment and caches
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
