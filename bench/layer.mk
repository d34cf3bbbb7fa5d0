# The benchmark and the soak (bench/README.md). Included by the root Makefile while bench/ is
# here; deleting bench/ removes these targets and the checks CI runs from them.

.PHONY: bench bench-smoke soak soak-short flood

# Its code, not its tests: like the core's, they use the untyped factories.
LAYER_MYPY += $(wildcard bench/*.py)
LAYER_CHECKS += bench-smoke soak-short

bench: install  ## The benchmark against the SQL baseline: 1k, 10k and 100k posts (minutes)
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-smoke: install  ## The benchmark on a tiny database, to check it still works (seconds)
	$(BIN)/python -m bench --smoke

soak: install  ## Mixed reads and writes for 60 s at 32 connections: no 5xx, no leaks (SOAK_ARGS="--seconds 15")
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

# CI's soak: a quarter of the minute, the same checks.
soak-short: install  ## The soak for 15 s, as CI runs it
	$(BIN)/python -m bench.soak --seconds 15

flood: install  ## Sign-ins that each cost a password hash, from one client and from 8, while reads are timed (a minute)
	$(BIN)/python -m bench.flood $(FLOOD_ARGS)
COMPOSE_FILES += bench/docker-compose.flood.yml
