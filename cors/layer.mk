# Cross-origin requests for the origins CORS_ORIGINS lists (cors/README.md). Included by the root
# Makefile while cors/ is here; deleting cors/ removes this target, the check CI runs from it, and
# the layer's files from the type-checker's list.

.PHONY: cors-test

LAYER_CHECKS += cors-test
LAYER_MYPY += cors/__init__.py cors/preflight.py

cors-test: install  ## CORS through `bin/app serve`: the layer's app under gunicorn, its check first
	timeout 600 $(BIN)/pytest cors/tests/system $(PYTEST_ARGS)
