# The API as clients nobody here wrote meet it (clients/README.md). Included by the root Makefile
# while clients/ is here; deleting clients/ removes these targets and the checks CI runs from
# them. The in-process fuzz tests (clients/tests/test_fuzz.py) run with the rest of the suite.

.PHONY: browser-test client-test ts-client-test openapi-lint fuzz

LAYER_CHECKS += browser-test client-test ts-client-test openapi-lint fuzz

BROWSER_STAMP := $(subst .installed-,.browser-installed-,$(STAMP))
CLIENT_STAMP := $(subst .installed-,.client-installed-,$(STAMP))
# Redocly's CLI for make openapi-lint, run by npx (Node.js 20.19 or later) from npm's cache.
REDOCLY_CLI := @redocly/cli@2.77.0
# Examples per operation for make fuzz.
FUZZ_EXAMPLES ?= 20
# The browser make browser-test drives, and its WebDriver: Debian's by default.
CHROMIUM ?= chromium
CHROMEDRIVER ?= chromedriver

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
	CHROMIUM="$(CHROMIUM)" CHROMEDRIVER="$(CHROMEDRIVER)" timeout 300 $(BIN)/pytest clients/tests/browser $(PYTEST_ARGS)

$(CLIENT_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt --group client
	touch $@

client-test: $(CLIENT_STAMP)  ## Generate a Python client from /openapi.json (no warning allowed) and use it against gunicorn
	timeout 600 $(BIN)/pytest clients/tests/client -s $(PYTEST_ARGS)

# The tools' versions are pinned in clients/tests/typescript/package.json and locked in its
# package-lock.json; npm installs them into a temporary directory, from its cache when it can.
ts-client-test: install  ## A TypeScript client from /openapi.json (openapi-typescript) under tsc --strict, run against gunicorn (needs npm)
	@command -v npm >/dev/null || { echo "make ts-client-test needs Node.js 20 or later and npm." >&2; exit 1; }
	timeout 600 $(BIN)/pytest clients/tests/typescript -s $(PYTEST_ARGS)

# The document comes from the app itself, built without a server or a database.
openapi-lint: install  ## Lint the OpenAPI document with Redocly's recommended rules (needs Node.js): no error allowed
	@command -v npx >/dev/null || { echo "make openapi-lint needs Node.js and npx." >&2; exit 1; }
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	    BLOG_ENV=testing $(BIN)/flask --app blog spec --format json --output "$$tmp/openapi.json" --quiet && \
	    REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true timeout 300 \
	        npx --yes $(REDOCLY_CLI) lint --config clients/redocly.yaml --format stylish "$$tmp/openapi.json"

# The bound is for FUZZ_EXAMPLES=20; a longer run is better run with pytest itself (README).
fuzz: install  ## schemathesis's CLI against gunicorn, signed in: all checks, all phases (FUZZ_EXAMPLES=20)
	FUZZ_EXAMPLES="$(FUZZ_EXAMPLES)" timeout 600 $(BIN)/pytest clients/tests/fuzz -s $(PYTEST_ARGS)
