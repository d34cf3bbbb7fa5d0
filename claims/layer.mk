# The tutorial claims (claims/README.md). Included by the root Makefile while claims/ is here.
# Its tests run in-process, with the rest of the suite, under `make test` and plain pytest
# (pyproject.toml's testpaths include each layer's tests/), so it adds no CI check of its own.

.PHONY: claims-test

claims-test: install  ## The tutorial claims' tests alone, with the check of their page (needs PostgreSQL)
	$(BIN)/pytest claims $(PYTEST_ARGS)
