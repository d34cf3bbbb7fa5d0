# The app behind PgBouncer, and several api replicas through it (pooler/README.md). Included by
# the root Makefile while pooler/ is here; deleting pooler/ removes this target, the check CI
# runs from it, and the layer's files from the linters' lists.

.PHONY: pooler-test

# First among the layers' checks: it installs PgBouncer when it can, which the benchmark's
# pgbouncer column (bench-smoke) needs too.
LAYER_CHECKS := pooler-test $(LAYER_CHECKS)
LAYER_MYPY += pooler/pgbouncer.py pooler/compose_check.py
DOCKERFILES += pooler/docker/pgbouncer/Dockerfile
SHELL_SCRIPTS += pooler/docker/pgbouncer/entrypoint.sh
COMPOSE_FILES += pooler/docker-compose.scale.yml

# Debian's pgbouncer (as root, installed when missing), or any on PATH or in /usr/sbin.
pooler-test: install  ## The app behind a real PgBouncer in transaction mode, several processes sharing it
	@if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	        echo "Installing Debian's pgbouncer."; \
	        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install --yes --quiet \
	            --no-upgrade --no-install-recommends pgbouncer; \
	    else \
	        echo "make pooler-test needs PgBouncer (Debian: apt-get install pgbouncer)." >&2; \
	        exit 1; \
	    fi; \
	fi
	timeout 900 $(BIN)/pytest pooler/tests/system $(PYTEST_ARGS)
