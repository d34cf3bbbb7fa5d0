# The tutorial claims (claims/README.md). Included by the root Makefile while claims/ is here.
# Its tests run in-process, with the rest of the suite, under `make test` and plain pytest
# (pyproject.toml's testpaths include each layer's tests/). `make mutations`, which takes up to
# an hour, is run by hand, not by CI.

.PHONY: claims-test mutations

LAYER_MYPY += claims/mutations.py claims/probe.py

claims-test: install  ## The tutorial claims' tests alone, with the check of their page (needs PostgreSQL)
	$(BIN)/pytest claims $(PYTEST_ARGS)

mutations: install  ## Change each relationship option and ondelete of the models in turn; a test must fail for each (up to an hour; MUTATIONS_ARGS="--jobs 2")
	$(BIN)/python -m claims.mutations $(MUTATIONS_ARGS)
