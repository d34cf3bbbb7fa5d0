# Everyday commands. `make test` is the one to know: it sets everything up and runs every check.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
# What make lint and make typecheck check besides the core. A layer's layer.mk adds its own files
# with += (a layer is a top-level folder with a layer.mk: docs/development.md, Layers).
DOCKERFILES := Dockerfile
SHELL_SCRIPTS := bin/app .ci/run .ci/without-layers docker/db/10-app-role.sh
COMPOSE_FILES := docker-compose.yml
LAYER_MYPY :=
# The make targets of the layers' checks, which CI runs through make layer-checks.
LAYER_CHECKS :=
# make pytest's pytest-xdist workers: one per CPU (auto), each on a database of its own;
# PYTEST_WORKERS=0 runs the suite in one process.
PYTEST_WORKERS ?= auto

.PHONY: help install test lint typecheck pytest system-test compose-test layer-checks docs format constraints clean

help:  ## List the targets, the layers' included
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# Each layer's targets and additions to the lists above; a layer that is not here adds nothing.
-include $(wildcard */layer.mk)

# A target no rule makes: say so in a line, since it may belong to a layer this tree lacks.
.DEFAULT:
	@echo "make: there is no target '$@' in this tree; it may belong to a layer that was deleted (make help lists what there is)." >&2; exit 2

# The stamp is named by a checksum of pyproject.toml and constraints.txt, so a change to either
# is a new stamp and a new .venv, and a checkout that only touches them is none.
$(STAMP):
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

# Bytecode is written even where PYTHONDONTWRITEBYTECODE is set (the Dockerfile sets it): else
# every worker of every run compiles, and rewrites the asserts of, every test module again.
pytest: install  ## The in-process test suite alone, on a worker per CPU (needs PostgreSQL; see README)
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# PostgreSQL's server programs (initdb, pg_ctl) and psql too: see docs/testing.md.
system-test: install  ## The tests that start processes: gunicorn, the compose commands, a cluster of their own
	timeout 900 $(BIN)/pytest tests/system $(PYTEST_ARGS)


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

# Every dependency group pyproject.toml declares, the layers' included, so that a group dropped
# with its layer needs no edit here.
constraints:  ## Re-pin constraints.txt to the newest versions pyproject.toml allows
	rm -rf .constraints-venv
	$(PYTHON) -m venv .constraints-venv
	.constraints-venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	.constraints-venv/bin/python -m pip install --quiet --disable-pip-version-check . \
	    $$(.constraints-venv/bin/python -c 'import tomllib; print(*(f"--group={group}" for group in tomllib.load(open("pyproject.toml", "rb"))["dependency-groups"]))')
	{ echo "# Exact versions for every install (make constraints re-pins them)."; \
	  .constraints-venv/bin/python -m pip freeze --all --exclude blog --exclude setuptools | LC_ALL=C sort -f; } > constraints.txt
	rm -rf .constraints-venv

clean:  ## Remove the virtual environment and caches
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
