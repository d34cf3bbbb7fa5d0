# The demo data and its safeguards in production (demo/README.md). Included by the root Makefile
# while demo/ is here; deleting demo/ removes this target, the check CI runs from it, and the
# layer's files from the type-checker's list.

.PHONY: demo-test

LAYER_CHECKS += demo-test
LAYER_MYPY += demo/__init__.py demo/seed.py demo/preflight.py demo/compose_check.py

demo-test: install  ## The demo data through the compose file's commands: seeding, production
	timeout 600 $(BIN)/pytest demo/tests/system $(PYTEST_ARGS)
