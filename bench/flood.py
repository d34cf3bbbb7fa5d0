"""Flood: sign-ins that each cost a password hash, while a reader measures two reads.

    python -m bench.flood                 the check CI makes (make flood)
    python -m bench.flood --rounds 400    more reads per phase, steadier figures

It builds a small database, starts the app under gunicorn with its production Argon2id cost and
two workers, and times GET /healthz and GET /api/posts/{id} from one reader, one request after
another, in three phases: quiet; while one client sends sign-ins back to back; while FLOODERS
clients do. Every sign-in names a username nobody has, so each costs a full hash (the app
hashes a decoy then, so that an unknown name answers as slowly as a wrong password).

It reports each read's 90th percentile under each flood as a ratio to the quiet one, measured
in the same run, and fails (exit status 1) only if any answer is a 5xx. PASSWORD_HASHES_AT_ONCE
is 1 unless `--hashes-at-once N` says otherwise: with one per worker (2), a flood takes every
worker, which is what the ration prevents. The figures go to bench/results/flood.json; the
database is dropped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import secrets
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from statistics import quantiles
from typing import Any

from bench.data import build, database_argument, finish, run_settings
from tests.databases import drop
from tests.servers import APP, running, server_environment

POSTS = 200
FLOODERS = 8


def request(port: int, method: str, path: str, body: dict[str, str] | None = None) -> int:
    """Send one request on a new connection, as a new client would; return its status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        data = None if body is None else json.dumps(body)
        connection.request(method, path, data, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def p90_ms(port: int, path: str, rounds: int, statuses: Counter[int]) -> float:
    """Time `rounds` GETs of `path`, one after another; return the 90th percentile in ms."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        statuses[request(port, "GET", path)] += 1
        times.append((time.perf_counter() - started) * 1000)
    return quantiles(times, n=10)[-1]


def flood(port: int, stop: threading.Event, statuses: Counter[int]) -> None:
    """Sign in with made-up usernames, one after another, until told to stop."""
    while not stop.is_set():
        name = "nobody-" + secrets.token_hex(6)
        statuses[
            request(port, "POST", "/api/tokens", {"username": name, "password": "x" * 20})
        ] += 1


def phase(port: int, paths: dict[str, str], rounds: int, flooders: int) -> dict[str, Any]:
    """Measure each read while `flooders` clients sign in; return the figures."""
    stop, reads = threading.Event(), Counter[int]()
    tallies = [Counter[int]() for _ in range(flooders)]  # one each: no two threads share one
    threads = [threading.Thread(target=flood, args=(port, stop, tally)) for tally in tallies]
    for thread in threads:
        thread.start()
    time.sleep(1 if flooders else 0)  # the flood under way before the first read
    try:
        figures = {name: p90_ms(port, path, rounds, reads) for name, path in paths.items()}
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return {"p90_ms": figures, "reads": dict(reads), "sign_ins": dict(sum(tallies, Counter()))}


def main(argv: list[str] | None = None) -> int:
    """Run the three phases; return 1 if anything got a 5xx."""
    parser = argparse.ArgumentParser(description="Flood sign-in and time reads meanwhile.")
    parser.add_argument("--rounds", type=int, default=150, help="reads of each path per phase")
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
            phases = {
                name: phase(port, paths, args.rounds, flooders)
                for name, flooders in (("quiet", 0), ("one client", 1), ("many", FLOODERS))
            }
            log = server.output()
    finally:
        drop(settings.database_url)

    problems = []
    for name, figures in phases.items():
        p90 = {path: round(ms, 1) for path, ms in figures["p90_ms"].items()}
        print(f"{name:>10}: p90 {p90} ms; sign-ins {figures['sign_ins']}")
        statuses = Counter(figures["reads"]) + Counter(figures["sign_ins"])
        if any(status >= 500 for status in statuses):
            problems.append(f"{name}: a 5xx among {dict(statuses)}")
        figures["ratio"] = {
            path: round(p90 / phases["quiet"]["p90_ms"][path], 2)
            for path, p90 in figures["p90_ms"].items()
        }
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
