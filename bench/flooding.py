"""A sign-in flood while one reader times reads: the standard library only, so that `make flood`
(bench/flood.py, the app alone) and the compose check (bench/compose_check.py, through the proxy)
both run it.

Each flooder is a process of its own at the lowest CPU priority (nice 19). On one machine the
flooders share the server's cores, which a real attacker's would not: niced, they take only what
the server leaves idle, so the reads measure the server's own work for the flood (answering,
refusing, hashing), not a contest with the attacker's machine. Niced, they also send less
while the server is busy than an attacker with cores of its own could: a real flood of the
same clients is at least as heavy.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import secrets
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from statistics import quantiles
from typing import Any

# Addresses from TEST-NET-2 (RFC 5737), never a real client's: what a trusted balancer in front
# of the proxy would put in X-Forwarded-For for each flooding client.
FLOODER_ADDRESSES = tuple(f"198.51.100.{number}" for number in range(1, 255))


# Where the server listens: a host and a port.
Server = tuple[str, int]


def request(
    server: Server, method: str, path: str, body: Any = None, address: str | None = None
) -> tuple[int, bytes]:
    """Send one request on a new connection, as a new client would; return its status and
    body."""
    connection = http.client.HTTPConnection(*server, timeout=60)
    headers = {"Content-Type": "application/json"}
    if address is not None:
        headers["X-Forwarded-For"] = address
    try:
        data = None if body is None else json.dumps(body)
        connection.request(method, path, data, headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def timed_reads(server: Server, path: str, rounds: int, statuses: Counter[int]) -> list[float]:
    """GET `path` `rounds` times, one after another; return each time in ms."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        statuses[request(server, "GET", path)[0]] += 1
        times.append((time.perf_counter() - started) * 1000)
    return times


def answer_kind(status: int, body: bytes) -> str:
    """Return the status, and for a 429 the last part of its problem type: `429 passwords-busy`
    from the app's ration, `429 about:blank` from the proxy's per-client limit."""
    if status != 429:
        return str(status)
    try:
        kind = str(json.loads(body)["type"])
    except (ValueError, KeyError, TypeError):
        kind = "?"
    return f"429 {kind.rsplit('/', 1)[-1]}"


def _flood(
    flooder: tuple[Server, str | None, str], go: Any, busy: Any, done: Any, results: Any
) -> None:
    """Sign in with made-up usernames from the flooder's (server, address, phase), one after
    another, while `go` is set, until `done` is (in a process of its own); count in `busy` the
    sign-ins under way, and put the answers on `results` at the end, with the phase's name."""
    server, address, phase = flooder
    os.nice(19)
    parent = os.getppid()
    answers: Counter[str] = Counter()
    while not done.is_set() and os.getppid() == parent:  # nor once the parent is gone
        if not go.wait(0.05):
            continue
        with busy.get_lock():
            busy.value += 1
        body = {"username": "nobody-" + secrets.token_hex(6), "password": "x" * 20}
        try:
            answers[answer_kind(*request(server, "POST", "/api/tokens", body, address))] += 1
        finally:
            with busy.get_lock():
                busy.value -= 1
    results.put((phase, dict(answers)))


def measure(
    server: Server,
    paths: dict[str, str],
    phases: Mapping[str, Sequence[str | None]],
    rounds: int,
    turns: int = 4,
) -> dict[str, dict[str, Any]]:
    """Time `rounds` reads of each path under each phase's flood: one flooder per entry of the
    phase's list, signing in from that address (None: no X-Forwarded-For). The phases take
    `turns` turns each, in order, so that a change in the machine's load meanwhile falls on
    every phase alike; no phase's sign-ins run during another's reads. Return for each phase
    the reads' p90 per path, their statuses, and the sign-ins' answers (answer_kind)."""
    context = multiprocessing.get_context("spawn")
    done, results = context.Event(), context.Queue()
    go = {name: context.Event() for name in phases}
    busy = {name: context.Value("i", 0) for name in phases}
    processes = [
        context.Process(
            target=_flood, args=((server, address, name), go[name], busy[name], done, results)
        )
        for name, addresses in phases.items()
        for address in addresses
    ]
    for process in processes:
        process.start()
    times: dict[str, dict[str, list[float]]] = {
        name: {path: [] for path in paths} for name in phases
    }
    reads: dict[str, Counter[int]] = {name: Counter() for name in phases}
    try:
        for turn in range(turns):
            for name, flooders in phases.items():
                go[name].set()
                time.sleep(0.5 if flooders else 0)  # the flood under way
                for path_name, path in paths.items():
                    share = rounds // turns + (turn < rounds % turns)
                    times[name][path_name] += timed_reads(server, path, share, reads[name])
                go[name].clear()
                while busy[name].value:  # let its last sign-ins end before the next phase
                    time.sleep(0.01)
    finally:
        done.set()
        sign_ins: dict[str, Counter[str]] = {name: Counter() for name in phases}
        for _ in processes:
            name, answers = results.get(timeout=120)
            sign_ins[name].update(answers)
        for process in processes:
            process.join()
    return {
        name: {
            "p90_ms": {path: quantiles(times[name][path], n=10)[-1] for path in paths},
            "reads": dict(reads[name]),
            "sign_ins": dict(sign_ins[name]),
        }
        for name in phases
    }


def ratios(phases: dict[str, dict[str, Any]], quiet: str = "quiet") -> None:
    """Add to each phase its p90s as ratios to those of the `quiet` one."""
    for figures in phases.values():
        figures["ratio"] = {
            path: round(p90 / phases[quiet]["p90_ms"][path], 2)
            for path, p90 in figures["p90_ms"].items()
        }
