"""Soak: a bounded run of mixed reads and writes against gunicorn, watching for slow leaks.

    python -m bench.soak                      60 s, 32 connections (the default)
    python -m bench.soak --seconds 10         the short run CI makes

It builds a fresh database (the benchmark's builder: migrations and the bulk loader), starts
the app under gunicorn with production gunicorn on 127.0.0.1, and drives it from CONNECTIONS
keep-alive connections, each signed in as its own user, with a fixed mix of requests: reading
pages of posts, single posts, tags, comments and the feed; writing posts with tags, editing
them with If-Match, deleting them, liking, commenting and following. Every second it samples
the database connections the app holds (pg_stat_activity) and each worker's resident memory.

It fails (exit status 1) if any request gets a 5xx or any other answer than the one expected,
if the app ever holds more database connections than it has workers, or if a worker's memory
grows by more than MEMORY_GROWTH_MIB between the end of the warm-up and the end of the run.
The figures go to bench/results/soak.json; the database is dropped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from sqlalchemy import create_engine, select, text

from bench.bulk import WRITER_PREFIX
from bench.data import build, database_argument, finish, run_settings
from bench.proc import rss_mib
from blog import create_app
from blog.auth import issue_token
from blog.config import Settings
from blog.db import db
from blog.models import User
from tests.databases import drop
from tests.servers import APP, Server, running, server_environment

POSTS = 2000
WARMUP_SHARE = 0.2  # the first fifth of the run: pools fill, caches warm, workers settle
MEMORY_GROWTH_MIB = 20.0
TAGS = [f"soak-{n:02d}" for n in range(30)]
OK, CREATED, NO_CONTENT = HTTPStatus.OK, HTTPStatus.CREATED, HTTPStatus.NO_CONTENT


@dataclass
class Visitor:
    """One signed-in user on one keep-alive connection, and what they have written so far."""

    port: int
    username: str
    token: str
    rng: random.Random
    post_ids: list[int]  # posts that exist before the run and are never deleted
    usernames: list[str]
    own_posts: dict[int, str] = field(default_factory=dict)  # post id -> its last ETag
    last: str = ""  # the last request, for reports
    http: http.client.HTTPConnection = field(init=False)

    def __post_init__(self) -> None:
        self.http = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def send(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], Any]:
        """Send one request; return its status, headers and JSON body (None if empty)."""
        self.last = f"{method} {path}"
        head = {"Authorization": f"Bearer {self.token}"} | (headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            head |= {"Content-Type": "application/json"}
        try:
            self.http.request(method, path, body=data, headers=head)
            response = self.http.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.http.close()
            self.http = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            raise
        return response.status, dict(response.getheaders()), json.loads(raw) if raw else None

    def get(self, path: str) -> int:
        """GET `path`; return the status."""
        return self.send("GET", path)[0]

    def any_post(self) -> int:
        """Return the id of a post from before the run."""
        return self.rng.choice(self.post_ids)

    def write_post(self) -> int:
        """Write a post with three of the shared tags."""
        body = {"title": "Soak", "body": "Written under load.", "tags": self.rng.sample(TAGS, 3)}
        status, headers, out = self.send("POST", "/api/posts", body)
        if status == HTTPStatus.CREATED:
            self.own_posts[out["id"]] = headers["ETag"]
        return status

    def edit_post(self) -> int:
        """Edit one of their posts, with the ETag they last saw as If-Match."""
        post, etag = self.rng.choice(list(self.own_posts.items()))
        body = {"title": f"Edited {self.rng.randint(1, 999)}", "tags": self.rng.sample(TAGS, 2)}
        status, headers, _ = self.send("PATCH", f"/api/posts/{post}", body, {"If-Match": etag})
        if status == HTTPStatus.OK:
            self.own_posts[post] = headers["ETag"]
        return status

    def delete_post(self) -> int:
        """Delete one of their posts, with If-Match."""
        post = self.rng.choice(list(self.own_posts))
        etag = self.own_posts.pop(post)
        return self.send("DELETE", f"/api/posts/{post}", headers={"If-Match": etag})[0]

    def toggle(self, path: str) -> int:
        """PUT or DELETE `path` (a like or a follow), at random."""
        return self.send(self.rng.choice(["PUT", "DELETE"]), path)[0]

    def follow(self) -> int:
        """Follow or unfollow another user."""
        other = self.rng.choice([name for name in self.usernames if name != self.username])
        return self.toggle(f"/api/users/{other}/follow")


# The mix: name, weight, the status expected, and the request. Editing or deleting needs a post
# of one's own: a visitor with none writes one instead (and 201 is then expected).
MIX: list[tuple[str, int, HTTPStatus, Callable[[Visitor], int]]] = [
    ("read a page of posts", 30, OK, lambda v: v.get(f"/api/posts?page={v.rng.randint(1, 5)}")),
    ("read a post", 15, OK, lambda v: v.get(f"/api/posts/{v.any_post()}")),
    ("read the tags", 8, OK, lambda v: v.get("/api/tags")),
    ("read comments", 8, OK, lambda v: v.get(f"/api/posts/{v.any_post()}/comments")),
    ("read the feed", 8, OK, lambda v: v.get("/api/feed")),
    ("write a post", 10, CREATED, Visitor.write_post),
    ("edit own post", 6, OK, Visitor.edit_post),
    ("delete own post", 2, NO_CONTENT, Visitor.delete_post),
    ("like or unlike", 6, NO_CONTENT, lambda v: v.toggle(f"/api/posts/{v.any_post()}/like")),
    (
        "comment",
        4,
        CREATED,
        lambda v: v.send("POST", f"/api/posts/{v.any_post()}/comments", {"body": "Soaked."})[0],
    ),
    ("follow or unfollow", 3, NO_CONTENT, Visitor.follow),
]


def drive(visitor: Visitor, deadline: float, tally: Tally) -> None:
    """Send requests from the mix until the deadline."""
    weights = [weight for _, weight, _, _ in MIX]
    statuses: Counter[tuple[str, int]] = Counter()
    unexpected: list[str] = []
    latencies: list[float] = []
    errors = 0
    while time.monotonic() < deadline:
        name, _, expected, request = visitor.rng.choices(MIX, weights)[0]
        if name.endswith("own post") and not visitor.own_posts:
            name, expected, request = "write a post", CREATED, Visitor.write_post
        started = time.perf_counter()
        try:
            status = request(visitor)
        except (OSError, http.client.HTTPException) as error:
            errors += 1
            unexpected.append(f"{visitor.last}: connection error {error!r}")
            continue
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[name, status] += 1
        if status != expected:
            unexpected.append(f"{visitor.last}: {status}")
    with tally.lock:
        tally.statuses.update(statuses)
        tally.unexpected += unexpected
        tally.latencies_ms += latencies
        tally.connection_errors += errors


@dataclass
class Tally:
    """What the load threads saw, merged under a lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    connection_errors: int = 0


def sample(
    server: Server, database_url: str, stop: threading.Event, samples: list[dict[str, Any]]
) -> None:
    """Every second, record the app's database connections and its workers' memory."""
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    started = time.monotonic()
    try:
        with engine.connect() as connection:
            database = connection.execute(text("SELECT current_database()")).scalar_one()
            while not stop.wait(1.0):
                held = connection.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = :db"
                        " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                    ),
                    {"db": database},
                ).scalar_one()
                samples.append(
                    {
                        "second": round(time.monotonic() - started, 1),
                        "db_connections": held,
                        "worker_rss_mib": {pid: round(rss_mib(pid), 1) for pid in server.workers()},
                    }
                )
    finally:
        engine.dispose()


def sign_in(settings: Settings, count: int) -> tuple[list[str], list[str], list[int]]:
    """Return tokens for `count` of the loader's writers, their names, and every post id."""
    app = create_app(settings)
    with app.app_context():
        writers = list(
            db.session.scalars(
                select(User)
                .where(User.username.startswith(WRITER_PREFIX))
                .order_by(User.id)
                .limit(count)
            )
        )
        tokens = [issue_token(writer)[0] for writer in writers]
        ids = list(db.session.scalars(text("SELECT id FROM posts")))
        db.session.remove()  # gives the connection back, so that dispose() closes it
        db.engine.dispose()
    return tokens, [writer.username for writer in writers], ids


def check(
    args: argparse.Namespace, tally: Tally, samples: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[str]]:
    """Summarise the run and list what broke a bound."""
    problems: list[str] = []
    server_errors = sum(n for (_, status), n in tally.statuses.items() if status >= 500)
    if server_errors:
        problems.append(f"{server_errors} answers were 5xx")
    if tally.unexpected:
        problems.append(f"{len(tally.unexpected)} unexpected answers, e.g. {tally.unexpected[:5]}")
    peak_connections = max(s["db_connections"] for s in samples)
    if peak_connections > args.workers:
        problems.append(f"{peak_connections} database connections held by {args.workers} workers")
    settled = [s for s in samples if s["second"] >= args.seconds * WARMUP_SHARE]
    growth = {}
    for pid in settled[0]["worker_rss_mib"]:
        start, end = settled[0]["worker_rss_mib"][pid], settled[-1]["worker_rss_mib"].get(pid, 0.0)
        growth[pid] = round(end - start, 1)
        if end == 0.0:
            problems.append(f"worker {pid} went away during the run")
        elif end - start > MEMORY_GROWTH_MIB:
            problems.append(
                f"worker {pid} grew by {end - start:.1f} MiB (bound {MEMORY_GROWTH_MIB})"
            )
    requests = sum(tally.statuses.values())
    latencies = statistics.quantiles(tally.latencies_ms, n=100)
    summary = {
        "requests": requests,
        "requests per second": round(requests / args.seconds, 1),
        "p50 ms": round(latencies[49], 2),
        "p99 ms": round(latencies[98], 2),
        "5xx": server_errors,
        "unexpected": len(tally.unexpected),
        "connection errors": tally.connection_errors,
        "peak database connections": peak_connections,
        "database connections after warm-up": sorted({s["db_connections"] for s in settled}),
        "worker RSS MiB after warm-up": settled[0]["worker_rss_mib"],
        "worker RSS MiB at the end": settled[-1]["worker_rss_mib"],
        "worker RSS growth MiB": growth,
        "by request": {
            f"{name} -> {status}": n for (name, status), n in sorted(tally.statuses.items())
        },
    }
    return summary, problems


def soak(args: argparse.Namespace, settings: Settings) -> tuple[Tally, list[dict[str, Any]], str]:
    """Build the database, run the app and drive it; return the tally, samples and server log."""
    print(f"Building a database of {POSTS:,} posts ...", flush=True)
    build(POSTS, settings)
    tokens, users, ids = sign_in(settings, args.connections)
    environ = server_environment(
        # Development, not production: requests run the same code in both, but production's
        # start-up check refuses the synthetic writers, whose password is published.
        BLOG_ENV="development",
        DATABASE_URL=settings.database_url,
        SECRET_KEY=settings.secret_key,
        WEB_CONCURRENCY=str(args.workers),
        GUNICORN_ACCESS_LOG="",
    )
    tally, stop = Tally(), threading.Event()
    samples: list[dict[str, Any]] = []
    with running(APP, environ) as server:
        print(f"Soaking for {args.seconds:.0f} s over {len(tokens)} connections ...", flush=True)
        monitor = threading.Thread(
            target=sample, args=(server, settings.database_url, stop, samples)
        )
        monitor.start()
        deadline = time.monotonic() + args.seconds
        visitors = [
            Visitor(
                port=int(environ["PORT"]),
                username=username,
                token=token,
                rng=random.Random(number),  # noqa: S311 - choosing requests, not secrets
                post_ids=ids,
                usernames=users,
            )
            for number, (token, username) in enumerate(zip(tokens, users, strict=True))
        ]
        threads = [
            threading.Thread(target=drive, args=(visitor, deadline, tally)) for visitor in visitors
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stop.set()
        monitor.join()
        log = server.output()
    return tally, samples, log


def main(argv: list[str] | None = None) -> int:
    """Run the soak; return 1 if any bound was broken."""
    parser = argparse.ArgumentParser(description="Soak the app with mixed reads and writes.")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    database_argument(parser, "soak", "the database to create for the run (dropped at the end)")
    args = parser.parse_args(argv)
    settings = run_settings(args.database)
    try:
        tally, samples, log = soak(args, settings)
    finally:
        drop(settings.database_url)
    summary, problems = check(args, tally, samples)
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": {
            "seconds": args.seconds,
            "connections": args.connections,
            "workers": args.workers,
        },
        "summary": summary,
        "samples": samples,
        "problems": problems,
    }
    for name, value in summary.items():
        if name != "by request":
            print(f"  {name}: {value}")
    return finish("soak", report, problems, log)


if __name__ == "__main__":
    sys.exit(main())
