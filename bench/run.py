"""Benchmark the app against the hand-written SQL baseline, on databases of growing size.

For each size it builds a database with the migrations and the bulk loader, starts the app
(gunicorn, production gunicorn), the app with its pages of posts read as columns ("column page":
bench/column_app.py, tests/column_page.py) and the baseline (bench/baseline.py), all with the
same gunicorn settings and worker count, on 127.0.0.1, and checks that they return the same JSON
for every endpoint. Unless
`--no-pooler` is given it starts two more: the app with DB_POOLER=transaction straight to
PostgreSQL ("pooled mode": the cost of the mode itself, no prepared statements and a transaction
with its settings for every read), and the same through a PgBouncer in transaction mode with one
server connection per worker ("pgbouncer": the mode and the extra hop, with the PgBouncer the
pooler layer's helper starts; a tree without pooler/ leaves both out, as --no-pooler does);
their JSON must equal the baseline's too. Then:

- counts the SQL statements each request costs, in process, for the app, the column page and
  the baseline;
- EXPLAINs every statement the app sends and flags sequential scans of the large tables;
- drives load at each endpoint for a fixed time, each server in turn, several rounds, rotating
  which goes first so that machine noise hits all alike, and reports requests/s, p50, p99, CPU
  ms per request (the server's processes, PgBouncer's with the server behind it, and
  PostgreSQL), the ratios app/baseline and column page/baseline of each round (median over
  rounds) and, with the pooler, the ratios pooled mode/app and pgbouncer/app the same way;
- profiles one post-list request to say where its time goes;
- times, in process, building the post list's first page of 20 from Post objects loaded
  through their relationships, as the app does, and from columns (tests/column_page.py).

The databases are dropped at the end, whether the run passed, failed or was interrupted.

It prints a table (and a second one for the pooled mode and PgBouncer), then two lists. The goals
(the README's targets for the ratios, flat cost and index use) are information: how near the
figures come to them depends on the machine and the size, so they are reported, never checked.
The gates are checked: the app's JSON, in both modes, equals the baseline's, every request keeps
to its statement budget, and no request to any server fails; if any gate fails, the exit status
is 1. `--smoke` does all of it on a tiny database in seconds, for CI. The figures go to
bench/results/ as JSON.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import event
from werkzeug.test import Client

from bench import baseline, load, proc
from bench.column_app import pages_as_columns
from bench.data import PER_PAGE, Dataset, build, database_argument, run_settings
from blog import create_app, posts
from blog.db import db
from blog.posts import PostCursor
from blog.schemas import PostPage
from tests import column_page
from tests.databases import drop
from tests.servers import APP, Server, call, running, server_environment

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
# The tables that grow with every post, comment, like and follow: a hot query must reach them
# through an index. (Joining the few hundred tags, or the users, by hashing the whole table is
# the planner's choice while they are small; it switches to their indexes as they grow.)
BIG_TABLES = ("posts", "post_tags", "comments", "likes", "follows")


@dataclass(frozen=True)
class Endpoint:
    """A request the benchmark makes, and the most statements the app may spend on it."""

    name: str
    path: str  # formatted with the dataset's fields
    budget: int  # most SQL statements the app may send for it
    signed_in: bool = False

    def url(self, dataset: Dataset) -> str:
        """Return the path with the dataset's ids, tag and cursor filled in."""
        return self.path.format(**asdict(dataset))


# The budgets are what docs/api.md promises: 1 statement for a page of posts or one post (the
# posts with their authors, tags and counts), one more with a token (its user), 2 for a page
# of tags (its count and its rows), 2 for a page of threaded comments.
ENDPOINTS = (
    Endpoint("post list", "/api/posts?per_page=20", budget=1),
    Endpoint("tag filter", "/api/posts?per_page=20&tag={tag}", budget=1),
    Endpoint("single post", "/api/posts/{single_post}", budget=1),
    Endpoint("tag list", "/api/tags", budget=2),
    Endpoint("feed", "/api/feed?per_page=20", budget=2, signed_in=True),
    Endpoint("comments", "/api/posts/{thread_post}/comments?per_page=20", budget=2),
    Endpoint("deep page", "/api/posts?per_page=20&cursor={deep_cursor}", budget=1),
)

TARGETS = {"post list": 0.5, "single post": 0.6, "tag list": 0.7}
FLAT_LIMIT = 1.5

# What the run checks; a problem found is (gate, what went wrong).
SAME_JSON = "the app's JSON (and the column page's) equals the baseline's"
IN_BUDGET = "SQL statements within each endpoint's budget"
NO_FAILURES = "no failed requests (non-200 answers or connection errors)"
GATES = (SAME_JSON, IN_BUDGET, NO_FAILURES)
Problem = tuple[str, str]

# The servers each round measures: the app, the column page and the baseline, then, unless
# --no-pooler, the app with DB_POOLER=transaction straight to PostgreSQL and through PgBouncer.
# Each is a field of Result, holding its rounds; LABELS are their names in the output.
POOLED = ("pooled_mode", "pgbouncer")
LABELS = {
    "app": "app",
    "columns": "column page",
    "baseline": "baseline",
    "pooled_mode": "pooled mode",
    "pgbouncer": "pgbouncer",
}
NO_PGBOUNCER = (
    "PgBouncer is not installed (no pgbouncer on PATH or in /usr/sbin): install it"
    " (Debian: apt-get install pgbouncer) or pass --no-pooler to leave its columns out."
)
NO_POOLER_LAYER = (
    "No pooler/ layer in this tree, so no PgBouncer helper: the pooled mode and pgbouncer"
    " columns are left out, as with --no-pooler."
)

# The pooler layer's helper that starts a PgBouncer (pooler/pgbouncer.py), when the tree has that
# layer; a clone may delete it, and the run then leaves the pooled columns out.
POOLER: ModuleType | None
try:
    POOLER = importlib.import_module("pooler.pgbouncer")
except ModuleNotFoundError as missing:
    if missing.name not in {"pooler", "pooler.pgbouncer"}:
        raise
    POOLER = None


@dataclass
class Round:
    """One load run against one server."""

    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # CPU of the server's processes per request
    db_cpu_ms: float  # CPU of PostgreSQL's processes per request
    failures: int


@dataclass
class Result:
    """Everything measured for one endpoint on one database."""

    size: int
    endpoint: str
    app_statements: int
    column_statements: int
    baseline_statements: int
    app: list[Round] = field(default_factory=list)
    baseline: list[Round] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    # The app with its pages of posts read as columns (bench/column_app.py), and its
    # requests/s over the baseline's of the same round. For the tag list and the comments it
    # runs the same code as the app.
    columns: list[Round] = field(default_factory=list)
    column_ratios: list[float] = field(default_factory=list)
    plans: dict[str, str] = field(default_factory=dict)
    seq_scans: list[str] = field(default_factory=list)
    # The app with DB_POOLER=transaction, straight to PostgreSQL and through PgBouncer, and its
    # requests/s over the app's of the same round; empty with --no-pooler.
    pooled_mode: list[Round] = field(default_factory=list)
    pgbouncer: list[Round] = field(default_factory=list)
    pooled_mode_ratios: list[float] = field(default_factory=list)
    pgbouncer_ratios: list[float] = field(default_factory=list)

    def rounds(self, side: str) -> list[Round]:
        """Return the rounds of one server, a key of LABELS: "app", "columns", "baseline", ..."""
        rounds: list[Round] = getattr(self, side)
        return rounds

    def median(self, side: str, attribute: str) -> float:
        """Return the median over rounds of one figure of one server (see `rounds`)."""
        values: list[float] = [getattr(r, attribute) for r in self.rounds(side)]
        return statistics.median(values)

    @property
    def pooled(self) -> bool:
        """Say whether the pooled mode and PgBouncer were measured."""
        return bool(self.pooled_mode)


# Servers


def _environment(dataset: Dataset, workers: int, **changes: str) -> dict[str, str]:
    """Return a server's environment on a free port; `changes` add or replace variables."""
    settings = dataset.settings
    environ = server_environment(
        # Development, not production: requests run the same code in both, but production's
        # start-up check refuses the synthetic writers, whose password is published.
        BLOG_ENV="development",
        DATABASE_URL=settings.database_url,
        SECRET_KEY=settings.secret_key,
        WEB_CONCURRENCY=str(workers),
        GUNICORN_ACCESS_LOG="",
    )
    return environ | changes


@dataclass(frozen=True)
class Served:
    """A server the benchmark loads, and other processes whose CPU counts as its own."""

    server: Server
    helpers: tuple[int, ...] = ()  # the PgBouncer in front of its database

    @property
    def url(self) -> str:
        """Return the server's base URL."""
        return self.server.url


@contextmanager
def serving(
    dataset: Dataset, workers: int, *, pooler: ModuleType | None
) -> Iterator[dict[str, Served]]:
    """Start the app, the column page and the baseline under gunicorn, and with `pooler` the
    pooled app twice.

    The pooled app runs with DB_POOLER=transaction, once straight to PostgreSQL and once
    through a PgBouncer in transaction mode, which `pooler` (the pooler layer's helper) starts
    with a server connection for each of the app's workers, so that none waits for one.
    Everything started is stopped afterwards.
    """
    gunicorn = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
    with ExitStack() as stack:

        def start(name: str, command: list[str], environ: dict[str, str], ready: str) -> Server:
            return stack.enter_context(running(command, environ, name=name, ready=ready))

        environ = _environment(dataset, workers)
        servers = {"app": Served(start("app", APP, environ, "/healthz"))}
        environ = _environment(dataset, workers)
        columns = [*gunicorn, "bench.column_app:create_column_app()"]
        servers["columns"] = Served(start("column page", columns, environ, "/healthz"))
        environ = _environment(dataset, workers)
        base = start("baseline", [*gunicorn, "bench.baseline:app"], environ, "/api/tags")
        servers["baseline"] = Served(base)
        if pooler is not None:
            environ = _environment(dataset, workers, DB_POOLER="transaction")
            servers["pooled_mode"] = Served(start("pooled mode", APP, environ, "/healthz"))
            bouncer = stack.enter_context(
                pooler.pgbouncer(dataset.settings.database_url, pool_size=workers)
            )
            environ = _environment(
                dataset, workers, DB_POOLER="transaction", DATABASE_URL=bouncer.url
            )
            through = start("pgbouncer", APP, environ, "/healthz")
            servers["pgbouncer"] = Served(through, (bouncer.process.pid,))
        yield servers


def fetch(url: str, headers: dict[str, str]) -> Any:
    """GET `url` and return its JSON."""
    return call(url, headers=headers).json()


# CPU accounting


def cpu_seconds(served: Served) -> tuple[float, float]:
    """Return the CPU seconds used so far by the server's processes and by PostgreSQL."""
    server = served.server
    pids = [server.process.pid, *server.workers(), *served.helpers]
    return sum(map(proc.cpu_seconds, pids)), sum(map(proc.cpu_seconds, proc.postgres_pids()))


# In-process measurements: statements, plans, profile


@contextmanager
def app_in_process(dataset: Dataset) -> Iterator[Any]:
    """Create the app for the dataset; each request made with its client gets a new session."""
    app = create_app(dataset.settings.model_copy(update={"env": "production"}))
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()


def _engine(app: Any) -> Any:
    with app.app_context():
        return db.engine


def app_statements(
    dataset: Dataset, endpoint: Endpoint, *, columns: bool = False
) -> list[tuple[str, Any]]:
    """Return the statements (with parameters) the app, or the column page, sends for a request."""
    sent: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    with ExitStack() as stack:
        if columns:
            stack.enter_context(pages_as_columns())
        app = stack.enter_context(app_in_process(dataset))
        client = app.test_client()
        client.get(endpoint.url(dataset), headers=headers(dataset, endpoint))  # warm
        engine = _engine(app)
        event.listen(engine, "before_cursor_execute", record)
        try:
            response = client.get(endpoint.url(dataset), headers=headers(dataset, endpoint))
        finally:
            event.remove(engine, "before_cursor_execute", record)
        if response.status_code != 200:
            raise RuntimeError(f"{endpoint.name}: {response.get_data(as_text=True)}")
    return sent


def baseline_statements(dataset: Dataset, endpoint: Endpoint) -> int:
    """Return how many statements the baseline sends for one request (in process)."""
    os.environ.update(
        DATABASE_URL=dataset.settings.database_url, SECRET_KEY=dataset.settings.secret_key
    )
    client = Client(baseline.app)
    before = baseline.statements_sent
    response = client.get(endpoint.url(dataset), headers=headers(dataset, endpoint))
    if response.status_code != 200:
        raise RuntimeError(f"baseline, {endpoint.name}: {response.status_code}")
    return baseline.statements_sent - before


def explain(dataset: Dataset, statements: list[tuple[str, Any]]) -> dict[str, str]:
    """Return the plan of each statement."""
    plans = {}
    with app_in_process(dataset) as app, _engine(app).connect() as connection:
        for statement, parameters in statements:
            rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters)
            plans[statement] = "\n".join(row[0] for row in rows)
    return plans


def seq_scans(plans: dict[str, str]) -> list[str]:
    """Return the large tables some plan reads in full."""
    return sorted(
        {
            table
            for plan in plans.values()
            for table in BIG_TABLES
            if f"Seq Scan on {table} " in plan + " "
        }
    )


def _explain_ms(connection: Any, sql: str, parameters: Any = None) -> tuple[float, float]:
    """Return the median (planning, execution) milliseconds of five EXPLAIN ANALYZE runs."""
    runs = []
    for _ in range(5):
        result = connection.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, parameters)
        plan = result.scalar_one()[0]
        runs.append((plan["Planning Time"], plan["Execution Time"]))
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def design_checks(dataset: Dataset, post_list: tuple[str, Any]) -> dict[str, dict[str, float]]:
    """Time, in PostgreSQL, what each design choice replaced against what the app does.

    The README's reasons for the counts, the cursors and the prepared statements come from here.
    """
    cursor = PostCursor.decode(dataset.deep_cursor, dataset.settings.secret_key)
    offset = (cursor.page - 1) * 20
    pairs = {
        "total number of posts: count(*) / counters row": (
            "SELECT count(*) FROM posts",
            "SELECT value FROM counters WHERE name = 'posts'",
        ),
        "tag list: GROUP BY over post_tags / tags.post_count": (
            "SELECT tags.name, count(post_tags.post_id) FROM tags"
            " LEFT JOIN post_tags ON post_tags.tag_id = tags.id"
            " GROUP BY tags.id ORDER BY tags.name",
            "SELECT name, post_count FROM tags ORDER BY name",
        ),
        f"page {cursor.page:,}: OFFSET / cursor": (
            # Numbers and a timestamp decoded from the benchmark's own cursor, not input.
            f"SELECT id FROM posts ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET {offset}",  # noqa: S608
            "SELECT id FROM posts WHERE (created_at, id) < ('"  # noqa: S608
            f"{cursor.created_at.isoformat()}', {cursor.id})"
            " ORDER BY created_at DESC, id DESC LIMIT 20",
        ),
    }
    checks: dict[str, dict[str, float]] = {}
    with app_in_process(dataset) as app, _engine(app).connect() as connection:
        for name, (before, after) in pairs.items():
            was, now = _explain_ms(connection, before)[1], _explain_ms(connection, after)[1]
            checks[name] = {"before ms": round(was, 3), "after ms": round(now, 3)}
        planning, execution = _explain_ms(connection, *post_list)
        checks["post list query: planning / execution"] = {
            "planning ms": round(planning, 3),
            "execution ms": round(execution, 3),
        }
    return checks


def page_builds(dataset: Dataset, repeat: int) -> dict[str, float]:
    """Time building the first page of posts from Post objects (the app) and from columns.

    In process, outside any request, as a GET runs: a new session in autocommit for each page,
    on the pool's one connection, from the query to the response's JSON. Both ways are checked
    to build the same JSON, warmed up (psycopg prepares a statement at its sixth run), then
    built `repeat` times each, taking turns; the figures are the median milliseconds per page
    and their ratio.
    """

    def build(way: Any) -> Callable[[], str]:
        def page() -> str:
            read = way.list_posts(
                page=1, per_page=PER_PAGE, cursor=None, tag=None, author=None, viewer=None
            )
            return PostPage.model_validate(read).model_dump_json()

        return page

    builds = {"objects": build(posts), "columns": build(column_page)}
    times: dict[str, list[float]] = {name: [] for name in builds}
    pages: dict[str, str] = {}
    with app_in_process(dataset) as app, app.app_context():
        for number in range(10 + repeat):
            order = list(builds) if number % 2 == 0 else list(reversed(builds))
            for name in order:
                db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
                started = time.perf_counter()
                pages[name] = builds[name]()
                if number >= 10:
                    times[name].append(time.perf_counter() - started)
                db.session.remove()
        if (
            pages["columns"] != pages["objects"]
            or json.loads(pages["objects"])["per_page"] != PER_PAGE
        ):
            raise RuntimeError("the page read as columns differs from the app's")
    objects = 1000 * statistics.median(times["objects"])
    columns = 1000 * statistics.median(times["columns"])
    return {
        "pages each": repeat,
        "objects ms": round(objects, 3),
        "columns ms": round(columns, 3),
        "objects / columns": round(objects / columns, 2),
    }


PAGE_BUILDS = f"post list page of {PER_PAGE}, in process: Post objects (the app) / columns"


PROFILE_GROUPS = (
    ("database (psycopg, waiting for PostgreSQL)", ("psycopg",)),
    ("ORM and SQL compilation (SQLAlchemy)", ("sqlalchemy",)),
    ("validation and serialisation (pydantic)", ("pydantic",)),
    ("framework (Flask, Werkzeug, APIFlask)", ("flask", "werkzeug", "apiflask")),
    ("JSON encoding", ("json",)),
    ("the app's own code", ("/blog/",)),
)


def profile(dataset: Dataset, endpoint: Endpoint, repeat: int = 200) -> dict[str, float]:
    """Profile `repeat` requests in process and return the share of time per part."""
    with app_in_process(dataset) as app:
        client = app.test_client()
        url, head = endpoint.url(dataset), headers(dataset, endpoint)
        client.get(url, headers=head)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(repeat):
            client.get(url, headers=head)
        profiler.disable()
    stats = pstats.Stats(profiler)
    totals: dict[str, float] = {}
    for (filename, _, _), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        group = next(
            (name for name, needles in PROFILE_GROUPS if any(n in filename for n in needles)),
            "other (Python, the standard library)",
        )
        totals[group] = totals.get(group, 0.0) + own
    whole = sum(totals.values())
    return {group: round(100 * seconds / whole, 1) for group, seconds in totals.items()} | {
        "ms per request": round(1000 * whole / repeat, 2)
    }


# Load


def headers(dataset: Dataset, endpoint: Endpoint) -> dict[str, str]:
    """Return the Authorization header for endpoints that need the reader signed in."""
    return {"Authorization": f"Bearer {dataset.token}"} if endpoint.signed_in else {}


def measure(server: Served, url: str, head: dict[str, str], args: argparse.Namespace) -> Round:
    """Warm up, then drive load at one server and account for the CPU it and PostgreSQL used."""
    load.run(url, head, args.warmup, args.connections)
    cpu_before, db_before = cpu_seconds(server)
    measured = load.run(url, head, args.duration, args.connections)
    cpu_after, db_after = cpu_seconds(server)
    requests = max(1, measured.requests)
    return Round(
        rps=measured.rps,
        p50_ms=measured.p50_ms,
        p99_ms=measured.p99_ms,
        cpu_ms=1000 * (cpu_after - cpu_before) / requests,
        db_cpu_ms=1000 * (db_after - db_before) / requests,
        failures=measured.failures,
    )


def database_url(args: argparse.Namespace, size: int) -> str:
    """Return the URL of the benchmark's database for `size` posts."""
    return f"{args.database}_{size}"


def bench_size(
    size: int, args: argparse.Namespace
) -> tuple[Dataset, list[Result], list[Problem], dict[str, dict[str, float]]]:
    """Build one database and measure every endpoint on it; return the gates' problems found."""
    settings = run_settings(database_url(args, size))
    print(f"\n== {size:,} posts: building the database", flush=True)
    dataset = build(size, settings)
    print(
        f"   seeded {dataset.seed_rows:,} rows in {dataset.seed_seconds:.1f} s"
        f" ({dataset.seed_rows / dataset.seed_seconds:,.0f} rows/s)",
        flush=True,
    )
    problems: list[Problem] = []
    results: list[Result] = []
    checks = design_checks(dataset, app_statements(dataset, ENDPOINTS[0])[0])
    checks[PAGE_BUILDS] = page_builds(dataset, args.builds)
    for name, figures in checks.items():
        print(f"   {name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()), flush=True)
    with serving(dataset, args.workers, pooler=None if args.no_pooler else POOLER) as servers:
        for endpoint in ENDPOINTS:
            if endpoint.name not in args.endpoints.split(","):
                continue
            url, head = endpoint.url(dataset), headers(dataset, endpoint)
            expected = fetch(servers["baseline"].url + url, head)
            for name in servers:
                if name != "baseline" and fetch(servers[name].url + url, head) != expected:
                    which = "" if name == "app" else f"{LABELS[name]}: "
                    problems.append(
                        (SAME_JSON, f"{size}: {endpoint.name}: {which}the JSON differs")
                    )
            sent = app_statements(dataset, endpoint)
            result = Result(
                size,
                endpoint.name,
                len(sent),
                len(app_statements(dataset, endpoint, columns=True)),
                baseline_statements(dataset, endpoint),
            )
            if result.app_statements > endpoint.budget:
                problems.append(
                    (
                        IN_BUDGET,
                        f"{size}: {endpoint.name}: {result.app_statements} statements"
                        f" (budget {endpoint.budget})",
                    )
                )
            result.plans = explain(dataset, sent)
            result.seq_scans = seq_scans(result.plans)
            names = list(servers)
            for number in range(args.rounds):
                # Round n starts with the n-th server and keeps their order from there.
                first = number % len(names)
                order = names[first:] + names[:first]
                measured = {
                    name: measure(servers[name], servers[name].url + url, head, args)
                    for name in order
                }
                for name, measurement in measured.items():
                    result.rounds(name).append(measurement)
                app_rps = measured["app"].rps
                result.ratios.append(app_rps / measured["baseline"].rps)
                result.column_ratios.append(measured["columns"].rps / measured["baseline"].rps)
                if "pooled_mode" in measured:
                    result.pooled_mode_ratios.append(measured["pooled_mode"].rps / app_rps)
                    result.pgbouncer_ratios.append(measured["pgbouncer"].rps / app_rps)
                failures = sum(m.failures for m in measured.values())
                if failures:
                    where = ", ".join(
                        f"{LABELS[name]} {m.failures}" for name, m in measured.items() if m.failures
                    )
                    problems.append(
                        (NO_FAILURES, f"{size}: {endpoint.name}: {failures} failed ({where})")
                    )
            results.append(result)
            print(f"   {endpoint.name:12} {_line(result)}", flush=True)
            if result.pooled:
                print(f"   {'':12} {_pooled_line(result)}", flush=True)
    return dataset, results, problems, checks


# Reporting


def _line(result: Result) -> str:
    def side(name: str) -> str:
        return (
            f"{LABELS[name]} {result.median(name, 'rps'):7.0f} req/s"
            f"  p50 {result.median(name, 'p50_ms'):6.2f} ms"
            f"  p99 {result.median(name, 'p99_ms'):6.2f} ms"
        )

    return (
        f"{side('app')}  |  {side('columns')}  |  {side('baseline')}"
        f"  |  ratio {statistics.median(result.ratios):.2f}"
        f" (column page {statistics.median(result.column_ratios):.2f})"
        f"  |  statements {result.app_statements} / {result.column_statements}"
        f" / {result.baseline_statements}"
    )


def _pooled_line(result: Result) -> str:
    def side(name: str) -> str:
        return (
            f"{LABELS[name]} {result.median(name, 'rps'):7.0f} req/s"
            f"  p50 {result.median(name, 'p50_ms'):6.2f} ms"
        )

    return (
        f"{side('pooled_mode')}  |  {side('pgbouncer')}"
        f"  |  pooled mode/app {statistics.median(result.pooled_mode_ratios):.2f}"
        f"  pgbouncer/app {statistics.median(result.pgbouncer_ratios):.2f}"
    )


def pooled_figures(result: Result) -> dict[str, Any]:
    """Return the medians of the app in both modes for one endpoint and size, for the report."""
    figures: dict[str, Any] = {"size": result.size, "endpoint": result.endpoint}
    for name in ("app", *POOLED):
        figures[f"{LABELS[name]} req/s"] = round(result.median(name, "rps"), 1)
    for name in ("app", *POOLED):
        figures[f"{LABELS[name]} p50 ms"] = round(result.median(name, "p50_ms"), 2)
    figures["pooled mode / app"] = round(statistics.median(result.pooled_mode_ratios), 3)
    figures["pgbouncer / app"] = round(statistics.median(result.pgbouncer_ratios), 3)
    return figures


def pooled_table(results: list[Result]) -> str:
    """Return the app with and without DB_POOLER=transaction as a Markdown table."""
    head = (
        "| posts | endpoint | app req/s | pooled mode req/s | pgbouncer req/s"
        " | pooled mode / app | pgbouncer / app | p50 ms app / pooled mode / pgbouncer"
        " | CPU ms/req app / pooled mode / pgbouncer (with PgBouncer's)"
        " | PostgreSQL CPU ms/req app / pooled mode / pgbouncer |"
    )
    lines = [head, "|" + "---|" * 10]
    sides = ("app", *POOLED)
    for r in results:
        if not r.pooled:
            continue
        lines.append(
            f"| {r.size:,} | {r.endpoint} | "
            + " | ".join(f"{r.median(name, 'rps'):,.0f}" for name in sides)
            + f" | {statistics.median(r.pooled_mode_ratios):.2f}"
            f" | {statistics.median(r.pgbouncer_ratios):.2f} | "
            + " / ".join(f"{r.median(name, 'p50_ms'):.2f}" for name in sides)
            + " | "
            + " / ".join(f"{r.median(name, 'cpu_ms'):.2f}" for name in sides)
            + " | "
            + " / ".join(f"{r.median(name, 'db_cpu_ms'):.2f}" for name in sides)
            + " |"
        )
    return "\n".join(lines)


def table(results: list[Result]) -> str:
    """Return the results as a Markdown table: the app, the column page, the baseline."""
    sides = ("app", "columns", "baseline")

    def each(r: Result, attribute: str) -> str:
        return " / ".join(f"{r.median(name, attribute):,.2f}" for name in sides)

    head = (
        "| posts | endpoint | req/s app / column page / baseline | ratio app / baseline"
        " | ratio column page / baseline | p50 ms | p99 ms | statements"
        " | CPU ms/req | PostgreSQL CPU ms/req |"
    )
    lines = [head, "|" + "---|" * 10]
    for r in results:
        lines.append(
            f"| {r.size:,} | {r.endpoint} | "
            + " / ".join(f"{r.median(name, 'rps'):,.0f}" for name in sides)
            + f" | {statistics.median(r.ratios):.2f} | {statistics.median(r.column_ratios):.2f}"
            f" | {each(r, 'p50_ms')} | {each(r, 'p99_ms')}"
            f" | {r.app_statements} / {r.column_statements} / {r.baseline_statements}"
            f" | {each(r, 'cpu_ms')} | {each(r, 'db_cpu_ms')} |"
        )
    return "\n".join(lines)


def goals(results: list[Result]) -> list[str]:
    """Compare the figures with the README's targets: information, not a check."""
    lines = []
    by = {(r.size, r.endpoint): r for r in results}
    sizes = sorted({r.size for r in results})
    for endpoint, target in TARGETS.items():
        for size in sizes:
            if (size, endpoint) not in by:
                continue
            ratio = statistics.median(by[size, endpoint].ratios)
            mark = "met" if ratio >= target else "below target"
            lines.append(
                f"{endpoint} at {size:,}: {ratio:.2f}x the baseline (target {target}x): {mark}"
            )
    if len(sizes) > 1 and all((s, e) in by for s in sizes for e in ("post list", "deep page")):
        small, large = sizes[0], sizes[-1]
        reference = by[small, "post list"].median("app", "p50_ms")
        for endpoint in ("post list", "deep page"):
            grown = by[large, endpoint].median("app", "p50_ms") / reference
            mark = "met" if grown <= FLAT_LIMIT else "above target"
            lines.append(
                f"{endpoint} p50 at {large:,} / post list p50 at {small:,}: {grown:.2f}"
                f" (target at most {FLAT_LIMIT}): {mark}"
            )
    scans = sorted(
        f"{r.endpoint} ({', '.join(r.seq_scans)})"
        for r in results
        if r.seq_scans and r.size == sizes[-1]
    )
    lines.append(
        f"hot queries on indexes at {sizes[-1]:,} posts: "
        + ("met" if not scans else "sequential scans in " + ", ".join(scans))
    )
    return lines


def page_build_lines(checks: dict[int, dict[str, dict[str, float]]]) -> list[str]:
    """Say, size by size, how long a page took from Post objects and from columns."""
    lines = []
    for size, figures in checks.items():
        built = figures[PAGE_BUILDS]
        lines.append(
            f"{size:,} posts: from Post objects (the app) {built['objects ms']} ms,"
            f" from columns {built['columns ms']} ms: {built['objects / columns']}x as long"
            f" from objects ({built['pages each']:.0f} pages each way)"
        )
    return lines


def gates(problems: list[Problem]) -> list[str]:
    """Say, gate by gate, whether it passed, and what failed."""
    lines = []
    for gate in GATES:
        failed = [detail for name, detail in problems if name == gate]
        lines.append(f"{gate}: " + ("FAILED: " + "; ".join(failed) if failed else "passed"))
    return lines


def pgbouncer_version(pooler: ModuleType) -> str:
    """Return the first line of `pgbouncer --version`, such as "PgBouncer 1.18.0"."""
    output = subprocess.run(  # noqa: S603 - the machine's pgbouncer, asked its version
        [pooler.pgbouncer_program(), "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    ).stdout
    return output.splitlines()[0] if output else "unknown"


def machine(*, pooler: ModuleType | None) -> dict[str, Any]:
    """Describe the machine the figures come from (and its PgBouncer, if it was measured)."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load generator": load.tool(),
    } | ({"pgbouncer": pgbouncer_version(pooler)} if pooler is not None else {})


def arguments(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line; `--smoke` replaces the sizes, durations and counts with tiny ones."""
    parser = argparse.ArgumentParser(description="Benchmark the app against a SQL baseline.")
    parser.add_argument("--sizes", default="1000,10000,100000", help="posts per database")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds of load per run")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before each run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for each server")
    database_argument(
        parser,
        "bench",
        "URL prefix of the databases to create and drop again; the size is appended",
    )
    parser.add_argument(
        "--endpoints",
        default=",".join(e.name for e in ENDPOINTS),
        help="comma-separated names of the endpoints to measure (all by default)",
    )
    parser.add_argument(
        "--builds",
        type=int,
        default=200,
        help="pages of posts built each way (objects, columns), in process, to time them",
    )
    parser.add_argument(
        "--no-pooler",
        action="store_true",
        help="leave out the app with DB_POOLER=transaction, direct and through PgBouncer",
    )
    parser.add_argument("--smoke", action="store_true", help="a tiny, fast run for CI")
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.duration, args.warmup, args.rounds, args.connections, args.workers = (
            "300",
            1.0,
            0.2,
            1,
            2,
            1,
        )
        args.builds = 20
    return args


def pooler_ready(args: argparse.Namespace) -> bool:
    """Say whether the run may go on: False if the pooled columns need a PgBouncer it lacks.

    Without the pooler layer the columns are left out, as with --no-pooler, and a line says so.
    """
    if args.no_pooler:
        return True
    if POOLER is None:
        print(NO_POOLER_LAYER, file=sys.stderr)
        args.no_pooler = True
        return True
    try:
        POOLER.pgbouncer_program()
    except RuntimeError:
        print(NO_PGBOUNCER, file=sys.stderr)
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 1 if anything it checks is wrong, 2 if PgBouncer is missing."""
    args = arguments(argv)
    if not pooler_ready(args):
        return 2
    started = time.monotonic()
    results: list[Result] = []
    problems: list[Problem] = []
    seeding = {}
    checks = {}
    sizes = [int(s) for s in args.sizes.split(",")]
    try:
        for size in sizes:
            dataset, measured, found, checks[size] = bench_size(size, args)
            results += measured
            problems += found
            seeding[size] = {"rows": dataset.seed_rows, "seconds": round(dataset.seed_seconds, 2)}
        largest = dataset
        where_time_goes = profile(largest, ENDPOINTS[0], repeat=20 if args.smoke else 300)
    finally:
        for size in sizes:
            drop(database_url(args, size))

    print("\n" + table(results))
    pooled = [result for result in results if result.pooled]
    if pooled:
        print(
            "\nThe app with DB_POOLER=transaction: straight to PostgreSQL (pooled mode), and"
            " through PgBouncer in transaction mode with a server connection per worker"
            f" ({args.workers}) (pgbouncer); the ratios are their req/s over the app's in the"
            " same round:"
        )
        print("\n" + pooled_table(results))
    print("\nWhere the time of one post-list request goes (in process, % of Python time):")
    for part, share in where_time_goes.items():
        print(f"  {part}: {share}")
    print(f"\nOne page of {PER_PAGE} posts, built in process (median ms per page):")
    for line in page_build_lines(checks):
        print(f"  {line}")
    print("\nGoals (information, not checked: the figures depend on the machine and the size):")
    for line in goals(results):
        print(f"  {line}")
    scope = ", ".join(f"{size:,}" for size in sizes)
    print(
        f"\nGates (checked, for {len({r.endpoint for r in results})} endpoints at {scope} posts;"
        " any failure makes the exit status 1):"
    )
    for line in gates(problems):
        print(f"  {line}")
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(pooler=None if args.no_pooler else POOLER),
        "settings": {k: v for k, v in vars(args).items() if k != "database"},
        "seeding": seeding,
        "design checks": checks,
        "profile": where_time_goes,
        "goals": goals(results),
        "gates": gates(problems),
        "results": [asdict(result) for result in results],
        # Medians over the rounds; each round's figures are in "results".
        "pooler": {
            "pool size": args.workers,
            "figures": [pooled_figures(result) for result in pooled],
        }
        if pooled
        else None,
        "problems": [f"{gate}: {detail}" for gate, detail in problems],
        "seconds": round(time.monotonic() - started, 1),
    }
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    for path in (RESULTS / f"bench-{stamp}.json", RESULTS / "latest.json"):
        path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nWritten to {RESULTS / 'latest.json'} in {report['seconds']} s.")
    if problems:
        print(f"{len(problems)} gate checks FAILED (see above).", file=sys.stderr)
        return 1
    print("All gates passed.")
    return 0
