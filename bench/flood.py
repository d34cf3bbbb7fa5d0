"""Flood: sign-ins that each cost a password hash, while a reader measures two reads.

    python -m bench.flood                 the check CI makes (make flood)
    python -m bench.flood --rounds 1000   more reads per phase, steadier figures

It builds a small database, starts the app under gunicorn with its production Argon2id cost and
two workers, and times GET /healthz and GET /api/posts/{id} from one reader, one request after
another, in three phases: quiet; while one client sends sign-ins back to back; while FLOODERS
clients do, each a process at the lowest CPU priority (bench/flooding.py says why). Every
sign-in names a username nobody has, so each costs a full hash (the app hashes a decoy then, so
that an unknown name answers as slowly as a wrong password).

It reports each read's 90th percentile under each flood as a ratio to the quiet one, measured
in the same run, and fails (exit status 1) only if any answer is a 5xx. PASSWORD_HASHES_AT_ONCE
is 1 unless `--hashes-at-once N` says otherwise: with one per worker (2), a flood takes every
worker, which is what the ration prevents. The figures go to bench/results/flood.json; the
database is dropped at the end.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from bench.data import build, database_argument, finish, run_settings
from bench.flooding import measure, ratios
from tests.databases import drop
from tests.servers import APP, running, server_environment

POSTS = 200
FLOODERS = 8


def main(argv: list[str] | None = None) -> int:
    """Run the three phases; return 1 if anything got a 5xx."""
    parser = argparse.ArgumentParser(description="Flood sign-in and time reads meanwhile.")
    parser.add_argument("--rounds", type=int, default=400, help="reads of each path per phase")
    parser.add_argument("--hashes-at-once", type=int, default=1, help="PASSWORD_HASHES_AT_ONCE")
    database_argument(parser, "flood", "the database to create for the run (dropped at the end)")
    args = parser.parse_args(argv)
    settings = run_settings(args.database)
    try:
        print(f"Building a database of {POSTS} posts ...", flush=True)
        dataset = build(POSTS, settings)
        environ = server_environment(
            BLOG_ENV="development",  # as the soak: production refuses the loader's writers
            DATABASE_URL=settings.database_url,
            SECRET_KEY=settings.secret_key,
            WEB_CONCURRENCY="2",
            GUNICORN_ACCESS_LOG="",
            PASSWORD_HASHES_AT_ONCE=str(args.hashes_at_once),
            # The production cost, which development would otherwise keep too; said outright.
            ARGON2_TIME_COST=str(settings.argon2_time_cost),
            ARGON2_MEMORY_COST_KIB=str(settings.argon2_memory_cost_kib),
            ARGON2_PARALLELISM=str(settings.argon2_parallelism),
        )
        paths = {"healthz": "/healthz", "post": f"/api/posts/{dataset.single_post}"}
        with running(APP, environ) as server:
            port = int(environ["PORT"])
            floods = {"quiet": [], "one client": [None], "many": [None] * FLOODERS}
            phases = measure(("127.0.0.1", port), paths, floods, args.rounds)
            log = server.output()
    finally:
        drop(settings.database_url)

    ratios(phases)
    problems = []
    for name, figures in phases.items():
        p90 = {path: round(ms, 1) for path, ms in figures["p90_ms"].items()}
        print(f"{name:>10}: p90 {p90} ms; sign-ins {figures['sign_ins']}")
        kinds = [*map(str, figures["reads"]), *figures["sign_ins"]]
        if any(kind.startswith("5") for kind in kinds):
            problems.append(f"{name}: a 5xx among {figures['reads']}, {figures['sign_ins']}")
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": {"rounds": args.rounds, "hashes_at_once": args.hashes_at_once},
        "phases": phases,
        "problems": problems,
    }
    print(f"Ratios to quiet: { {n: f['ratio'] for n, f in phases.items()} }")
    return finish("flood", report, problems, log)


if __name__ == "__main__":
    sys.exit(main())
