"""The compose check (`make compose-test`): what a cloner gets from `docker compose up`, for real.

It needs a Docker engine with Compose v2, and nothing from the project's virtual environment:
the standard library only. From a clean copy of the committed tree (`git archive HEAD`, so no
.env, no uncommitted file and no stale image take part) it

- builds the images explicitly, under a tag of this run's own, and brings the stack up with
  `docker compose up --wait`: the one-shot services exited 0, the api and the proxy are healthy,
  and only the proxy publishes a port;
- asks for /healthz, the posts and /docs, and signs up a user of its own, who signs in and
  writes a post;
- holds 64 connections that never finish their body and still gets /healthz within 3 s, then
  as many as one address may hold, and gets 429; holds 3,000 that never finish their headers,
  straight to the proxy's address, and still gets /healthz; and sends broken chunked framing,
  which gets a 4xx, and a body over the proxy's limit, which gets 413 as problem details;
- runs the test suite in the test image (`docker compose run --rm tests`);
- restarts with the volume kept (the user and the post are still there), and after
  `down --volumes` (they are gone);
- between the two, on the restarted proxy, whose limits have counted nothing yet: signs in and
  signs up from one address until the proxy answers 429 with Retry-After and problem details,
  while every other operation still gets the app's answer, and again once Retry-After has
  passed; and finds the security headers on every kind of answer, and /docs with no inline
  code under a Content-Security-Policy that allows the app's own scripts and styles only;
- then, as a second compose project with its own volume, in production: a bad setting stops
  a container with one line, a user of its own signs up and in, and the app's database role can
  read and write rows but not change the schema;
- then, for each layer whose folder holds a compose_check.py (demo/ and pooler/, for two), a
  project of its own, with the layer's overlay, if it has one, laid over docker-compose.yml,
  checked by the layer's code (its CHECK, a LayerCheck); a tree without such a layer has none;
- fails on an error or a traceback in the logs of the app's own services (the database's are
  left alone: the test suite provokes errors there on purpose).

Every step has a time limit, and every project is taken down with its volumes at the end,
whatever happened. It prints what it measured: the build, the start, the in-image suite, and
a line from each layer's project.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import re
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "seed", "api", "proxy")
SLOW_CLIENTS = 64
SLOW_CLIENT_LIMIT_SECONDS = 3.0
CALL_TIMEOUT_SECONDS = 60
# What the logs of the app's own services must never show.
BAD_LOG_LINE = re.compile(
    r"Traceback|Exception|Control server error|Permission denied"
    r"|\[(?:ERROR|CRITICAL|error|crit|alert|emerg)\]|^(?:ERROR|CRITI|FATAL)\b",
    re.MULTILINE,
)
# What the check provokes on purpose, and nginx logs at the error level.
PROVOKED_LOG_LINE = re.compile(
    r"client sent invalid chunked body|client intended to send too large body"
)
# Settings a developer may have exported, which a fresh clone does not have.
OWN_SETTINGS = re.compile(
    r"BLOG_\w+|SECRET_KEY|DATABASE_URL|POSTGRES_\w+|APP_DATABASE_\w+|API_PORT|WEB_CONCURRENCY"
    r"|COMPOSE_\w+|DOCKER_DEFAULT_PLATFORM|PROXY_\w+|API_BIND"
)
# The headers the proxy adds to every answer, each with the values that do what it is for.
SECURITY_HEADERS: dict[str, set[str]] = {
    "X-Content-Type-Options": {"nosniff"},
    "X-Frame-Options": {"DENY"},
    "Referrer-Policy": {"no-referrer", "same-origin", "strict-origin"},
    "Cross-Origin-Resource-Policy": {"same-origin", "same-site"},
}


class CheckFailed(Exception):
    """A check did not hold."""


def run(
    command: list[str],
    *,
    timeout: float,
    check: bool = True,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `command` with a time limit; fail the check on a non-zero status when `check`."""
    try:
        result = subprocess.run(  # noqa: S603 - docker, git and tar, with our own arguments
            command,
            cwd=cwd,
            env=env,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CheckFailed(f"`{' '.join(command)}` took over {timeout:.0f} s") from exc
    if check and result.returncode != 0:
        raise CheckFailed(
            f"`{' '.join(command)}` exited {result.returncode}:\n"
            + (result.stdout + result.stderr)[-4000:]
        )
    return result


def say(message: str) -> None:
    """Print a progress line."""
    print(f"compose-check: {message}", flush=True)


def expect(condition: object, message: str) -> None:
    """Fail the check with `message` unless `condition` holds."""
    if not condition:
        raise CheckFailed(message)


def free_port() -> int:
    """Return a TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Answer:
    """An HTTP answer, read whole."""

    status: int
    headers: dict[str, str]
    body: bytes
    # Every header line, in order, a repeated header as often as it came.
    header_lines: list[tuple[str, str]] = field(default_factory=list)

    def json(self) -> Any:
        """Return the body parsed as JSON."""
        return json.loads(self.body)

    def values(self, name: str) -> list[str]:
        """Return the value of each `name` header line (case-insensitively)."""
        return [value for key, value in self.header_lines if key.lower() == name.lower()]


@dataclass(frozen=True)
class Account:
    """A user the check signed up through the API, with a password of the run's own."""

    username: str
    password: str


@dataclass
class Project:
    """One compose project, run from the clean copy with an environment of its own."""

    name: str
    directory: Path
    environ: dict[str, str]
    port: int
    timings: dict[str, float] = field(default_factory=dict)
    # When the last `up` returned: the proxy's logs are checked from then on, since an `up` that
    # replaces the api container leaves the proxy answering 502 (and logging it) meanwhile.
    up_since: int = 0
    # What a layer's overlay changes: the services it adds, and the api's replicas.
    added_services: tuple[str, ...] = ()
    api_replicas: int = 1

    def compose(
        self,
        *args: str,
        timeout: float,
        check: bool = True,
        settings: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `docker compose -p NAME ARGS`; fail on a non-zero status when `check`."""
        command = ["docker", "compose", "-p", self.name, *args]
        return run(
            command,
            cwd=self.directory,
            env=self.environ | (settings or {}),
            timeout=timeout,
            check=check,
        )

    def timed(self, label: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        """Run a compose command and record how long it took under `label`."""
        started = time.monotonic()
        result = self.compose(*args, timeout=timeout)
        self.timings[label] = time.monotonic() - started
        return result

    def up(self, label: str, settings: dict[str, str] | None = None) -> None:
        """`docker compose up --wait` with the images built already, then check the services."""
        started = time.monotonic()
        self.compose(
            "up",
            "--detach",
            "--wait",
            "--wait-timeout",
            "240",
            "--no-build",
            timeout=300,
            settings=settings,
        )
        self.timings[label] = time.monotonic() - started
        self.up_since = math.ceil(time.time())
        self.check_services()

    def services(self) -> dict[str, list[dict[str, Any]]]:
        """Return `docker compose ps --all` as the records of each service's containers."""
        output = self.compose("ps", "--all", "--format", "json", timeout=30).stdout
        records = [json.loads(line) for line in output.splitlines() if line.strip()]
        if len(records) == 1 and isinstance(records[0], list):  # older Compose: one array
            records = records[0]
        services: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            services.setdefault(record["Service"], []).append(record)
        return services

    def check_services(self) -> None:
        """The one-shot services exited 0, the others are healthy, only the proxy publishes."""
        services = self.services()
        expected = {"db", *APP_SERVICES, *self.added_services}
        expect(set(services) == expected, f"unexpected services: {sorted(services)}")
        for name, containers in services.items():
            for record in containers:
                if name in {"migrate", "seed"}:
                    expect(
                        record["State"] == "exited" and record["ExitCode"] == 0,
                        f"{name} did not exit 0: {record['State']}, {record['ExitCode']}",
                    )
                else:
                    expect(
                        record["State"] == "running" and record["Health"] == "healthy",
                        f"{record['Name']} is not healthy: {record['State']}, {record['Health']}",
                    )
        replicas = len(services["api"])
        expect(replicas == self.api_replicas, f"{replicas} api containers, not {self.api_replicas}")
        published = {
            name
            for name, containers in services.items()
            for record in containers
            for publisher in record.get("Publishers") or []
            if publisher.get("PublishedPort")
        }
        expect(published == {"proxy"}, f"services that publish a port: {sorted(published)}")

    def logs(self, service: str, since: int = 0) -> str:
        """Return a service's logs (from the Unix time `since`), without the name prefix."""
        return self.compose(
            "logs", "--no-log-prefix", "--since", str(since), service, timeout=60
        ).stdout

    def check_logs(self) -> None:
        """No error or traceback in the logs of the app's own services."""
        for service in (*APP_SERVICES, *self.added_services):
            bad = [
                line
                for line in self.logs(
                    service, self.up_since if service == "proxy" else 0
                ).splitlines()
                if BAD_LOG_LINE.search(line) and not PROVOKED_LOG_LINE.search(line)
            ]
            expect(not bad, f"{service}'s logs show errors:\n" + "\n".join(bad[:20]))

    def psql(self, sql: str, **variables: str) -> str:
        """Run `sql` in the db container as the owner; return psql's unaligned output.

        `variables` are psql variables, which `sql` quotes as :'name'.
        """
        command = ["docker", "compose", "-p", self.name, "exec", "-T", "db", "psql"]
        command += ["--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-d", "blog", "-tA"]
        for name, value in variables.items():
            command += ["-v", f"{name}={value}"]
        result = run(command, cwd=self.directory, env=self.environ, input=sql, timeout=30)
        return result.stdout.strip()

    def url(self, path: str) -> str:
        """Return the URL of `path` on the published port."""
        return f"http://127.0.0.1:{self.port}{path}"

    def call(
        self,
        path: str,
        method: str = "GET",
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """Send one request to the proxy; an error status is an answer like any other."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310
            self.url(path), data=data, method=method, headers=headers or {}
        )
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            # Generous: an answer's time is checked where it matters, and on a busy machine
            # 16 password hashes at once (a registration race) take more than 10 s.
            opened = urllib.request.urlopen(request, timeout=CALL_TIMEOUT_SECONDS)  # noqa: S310
            with opened as response:
                return Answer(
                    response.status,
                    dict(response.headers),
                    response.read(),
                    response.headers.items(),
                )
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read(), error.headers.items())

    def bearer(self, username: str, password: str) -> dict[str, str]:
        """Sign in as `username`; return the Authorization header for their token."""
        answer = self.call("/api/tokens", "POST", {"username": username, "password": password})
        expect(answer.status == 200, f"{username} cannot sign in: {answer.status}")
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def sign_in(self, username: str, password: str) -> int:
        """Return the status of signing in as `username`."""
        return self.call("/api/tokens", "POST", {"username": username, "password": password}).status

    def sign_up(self, role: str) -> Account:
        """Sign a new user up through the API, named after `role`; return the account."""
        account = Account(f"{role}-{secrets.token_hex(4)}", secrets.token_urlsafe(18))
        body = {"username": account.username, "email": f"{account.username}@example.com"}
        answer = self.call("/api/users", "POST", body | {"password": account.password})
        expect(answer.status == 201, f"signing {account.username} up answered {answer.status}")
        return account

    def down(self) -> None:
        """Take the project down with its volumes; never fails."""
        with suppress(CheckFailed):
            self.compose(
                "--profile",
                "test",
                "down",
                "--volumes",
                "--remove-orphans",
                timeout=120,
                check=False,
            )

    def images(self, tag: str) -> set[str]:
        """Return the images of the project's services that carry this run's `tag`."""
        with suppress(CheckFailed):
            listed = self.compose(
                "--profile", "test", "config", "--images", timeout=60, check=False
            ).stdout
            return {name for name in listed.split() if name.endswith(f":{tag}")}
        return set()


@dataclass(frozen=True)
class LayerCheck:
    """A layer's part of the check: a project of its own, with the layer's overlay laid over.

    A layer's compose_check.py names one as CHECK. The project is called like the others, with
    `name` in it; `compose_file` is its COMPOSE_FILE (docker-compose.yml first, then the
    overlay, relative to the project's top folder); `added_services` and `api_replicas` are what
    the services must then be. `run` checks the project, which is not up yet, and returns a line
    saying what it found; the project is taken down with its volumes afterwards.
    """

    name: str
    compose_file: str
    added_services: tuple[str, ...]
    api_replicas: int
    run: Callable[[Project], str]


def layer_checks() -> list[LayerCheck]:
    """Return the CHECK of each layer's compose_check.py, for the layers in the tree."""
    checks = []
    for module in sorted(ROOT.glob("*/compose_check.py")):
        if (module.parent / "layer.mk").is_file():
            check = importlib.import_module(f"{module.parent.name}.compose_check").CHECK
            expect(isinstance(check, LayerCheck), f"{module}: CHECK is not a LayerCheck")
            checks.append(check)
    return checks


def check_the_api(project: Project) -> None:
    """/healthz, the posts and /docs answer through the proxy."""
    health = project.call("/healthz")
    expect(health.status == 200 and health.json() == {"status": "ok"}, "/healthz is not ok")
    posts = project.call("/api/posts?per_page=100")
    expect(posts.status == 200, f"/api/posts answered {posts.status}")
    docs = project.call("/docs")
    expect(
        docs.status == 200 and b"/openapi.json" in docs.body,
        f"/docs answered {docs.status}",
    )


def raw_exchange(port: int, request: bytes, timeout: float = 10) -> bytes:
    """Send raw bytes to the proxy and return the start of what it answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        return sock.recv(4096)


def status_of(answer: bytes) -> int:
    """Return the status code of a raw HTTP answer (0 if there is none)."""
    match = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
    return int(match[1]) if match else 0


def proxy_address(project: Project) -> tuple[str, int]:
    """Return the proxy container's own address on its network, and its port there.

    Checks that measure the proxy go there rather than to the published port: on the host,
    that port is served by Docker's userland proxy, a process that copies every connection,
    which a deployment does not have in front of its proxy.
    """
    container = project.compose("ps", "--quiet", "proxy", timeout=60).stdout.strip()
    template = "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}"
    inspected = run(["docker", "inspect", "--format", template, container], timeout=60)
    return inspected.stdout.split()[0], 80


# Connections that never finish their headers, which no per-client limit counts: more than
# the image's own configuration holds (768 or 1,024 a worker).
SLOW_HEADERS = 3000


def check_slow_headers(project: Project) -> dict[str, float]:
    """Connections that stop halfway through their headers, straight to the proxy's address (as
    from outside, without Docker's userland proxy between): /healthz still answers."""
    address = proxy_address(project)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 2 * SLOW_HEADERS)), hard))
    held: list[socket.socket] = []
    try:
        for _ in range(SLOW_HEADERS):
            sock = socket.create_connection(address, timeout=10)
            sock.sendall(b"GET /api/posts HTTP/1.1\r\nHost: localhost\r\n")
            held.append(sock)
        started = time.monotonic()
        with socket.create_connection(address, timeout=10) as probe:
            probe.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            answer = probe.recv(4096)
        waited = time.monotonic() - started
    finally:
        for sock in held:
            sock.close()
    expect(status_of(answer) == 200, f"/healthz got {answer[:40]!r} beside slow headers")
    return {"slow_headers_healthz": waited}


def check_slow_clients(project: Project) -> dict[str, float]:
    """Slow and broken clients: the proxy holds them, the workers never see them."""
    # To an operation the proxy does not rate-limit: past their burst, half sign-ins would be
    # refused at once (429) rather than held.
    half_body = (
        b"POST /api/posts HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b'Content-Length: 1000\r\n\r\n{"title": "Slow", '
    )
    held: list[socket.socket] = []
    limit = proxy_setting(project, "PROXY_CONNECTIONS_PER_CLIENT")
    try:
        for _ in range(SLOW_CLIENTS):
            sock = socket.create_connection(("127.0.0.1", project.port), timeout=10)
            sock.sendall(half_body)
            held.append(sock)
        time.sleep(1)  # long enough for gunicorn to be stuck, were it facing them
        waits = []
        for _ in range(5):
            started = time.monotonic()
            answer = project.call("/healthz")
            waits.append(time.monotonic() - started)
            expect(answer.status == 200, f"/healthz answered {answer.status} beside slow clients")
        started = time.monotonic()
        expect(project.sign_in("nobody", "wrong") == 401, "signing in beside slow clients failed")
        sign_in = time.monotonic() - started
        # One address may have so many requests under way; the next one is refused. A byte more
        # on each keeps nginx from timing the first ones out meanwhile (client_body_timeout).
        for sock in held:
            sock.sendall(b" ")
        while len(held) < limit:
            sock = socket.create_connection(("127.0.0.1", project.port), timeout=10)
            sock.sendall(half_body)
            held.append(sock)
        time.sleep(1)
        refused = project.call("/healthz")
        expect(
            refused.status == 429 and refused.json()["status"] == 429,
            f"/healthz answered {refused.status} beside {len(held)} slow requests",
        )
        expect(refused.headers.get("Retry-After") == "1", "no Retry-After on a refused request")
    finally:
        for sock in held:
            sock.close()
    figures_headers = check_slow_headers(project)
    expect(
        max(waits) < SLOW_CLIENT_LIMIT_SECONDS,
        f"/healthz took {max(waits):.2f} s beside {SLOW_CLIENTS} slow clients",
    )

    broken = raw_exchange(
        project.port,
        b"POST /api/tokens HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    )
    expect(400 <= status_of(broken) < 500, f"broken chunked framing got {broken[:40]!r}")
    # Well-formed chunked bodies still work: nginx passes them on whole, with a length.
    body = json.dumps({"username": "nobody", "password": "wrong"}).encode()
    chunked = raw_exchange(
        project.port,
        b"POST /api/tokens HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + f"{len(body):x}\r\n".encode()
        + body
        + b"\r\n0\r\n\r\n",
    )
    expect(status_of(chunked) == 401, f"a chunked sign-in got {chunked[:40]!r}")
    # A body over the proxy's own limit is refused by nginx, as problem details too.
    too_large = raw_exchange(
        project.port,
        b"POST /api/posts HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: 3145728\r\nConnection: close\r\n\r\n",
    )
    expect(
        status_of(too_large) == 413 and b"application/problem+json" in too_large,
        f"a body of 3 MiB got {too_large[:200]!r}",
    )
    return figures_headers | {
        "healthz_max": max(waits),
        "healthz_median": sorted(waits)[len(waits) // 2],
        "sign_in": sign_in,
        "broken_chunked_status": float(status_of(broken)),
    }


def proxy_setting(project: Project, name: str) -> int:
    """Return a number the compose file gives the proxy's environment, as compose resolves it."""
    config = json.loads(project.compose("config", "--format", "json", timeout=60).stdout)
    return int(config["services"]["proxy"]["environment"][name])


def expect_security_headers(answer: Answer, what: str) -> None:
    """Each security header once, with a value that does its job; frames refused by CSP too."""
    for name, good in SECURITY_HEADERS.items():
        values = answer.values(name)
        expect(len(values) == 1 and values[0] in good, f"{what}: {name} is {values}")
    policies = answer.values("Content-Security-Policy")
    expect(len(policies) == 1, f"{what}: Content-Security-Policy is {policies}")
    directives = csp_directives(policies[0])
    expect(directives.get("frame-ancestors") == ["'none'"], f"{what}: CSP {policies[0]}")


def csp_directives(policy: str) -> dict[str, list[str]]:
    """Return a Content-Security-Policy's directives, each with its sources."""
    parts = (directive.split() for directive in policy.split(";"))
    return {words[0].lower(): words[1:] for words in parts if words}


def inline_code(page: str) -> list[str]:
    """Return the inline code of an HTML page: <script> without src, <style>, style= and on...=."""
    return re.findall(
        r"<script\b(?![^>]*\ssrc=)[^>]*>|<style\b|\s(?:style|on[a-z]+)\s*=", page, re.IGNORECASE
    )


def check_headers(project: Project) -> None:
    """The security headers on the app's answers, its errors and nginx's own; /docs's CSP."""
    for path in ("/healthz", "/api/posts", "/openapi.json", "/api/posts/999999999"):
        answer = project.call(path)
        expect_security_headers(answer, f"GET {path} ({answer.status})")
        policy = csp_directives(answer.values("Content-Security-Policy")[0])
        expect(policy.get("default-src") == ["'none'"], f"GET {path}: CSP {policy}")
    # An answer nginx makes itself, without the app: a request line it cannot parse.
    raw = raw_exchange(project.port, b"NOT HTTP\r\n\r\n")
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]
    lines = [(key.strip(), value.strip()) for key, _, value in (x.partition(":") for x in head)]
    nginx_own = Answer(status_of(raw), dict(lines), b"", lines)
    expect(nginx_own.status == 400, f"a broken request line got {raw[:40]!r}")
    expect_security_headers(nginx_own, "nginx's own 400")
    # /docs: no inline code, and a policy that allows none, only the app's own files.
    docs = project.call("/docs")
    expect_security_headers(docs, "GET /docs")
    policy = csp_directives(docs.values("Content-Security-Policy")[0])
    expect(inline_code(docs.body.decode()) == [], "/docs has inline code")
    for directive in ("script-src", "style-src"):
        sources = policy.get(directive)
        expect(sources == ["'self'"], f"/docs's {directive} is {sources}, not the app's own")


def check_rate_limits(project: Project, account: Account) -> dict[str, float]:
    """Sign-in and sign-up, per client address: a burst, then 429 until Retry-After has passed.

    Run on a fresh proxy, whose limits have counted nothing yet: from one address, the first
    burst + 1 requests pass (and one more for each interval of the rate that the run takes),
    then the proxy refuses. Every other operation still reaches the app meanwhile.
    """
    figures: dict[str, float] = {}
    refused_at: dict[str, float] = {}
    limits: list[tuple[str, str, dict[str, str], int]] = [
        (
            "sign_in",
            "/api/tokens",
            {"username": account.username, "password": account.password},
            200,
        ),
        # An empty body: the app refuses it (422) at once, and no account is made.
        ("sign_up", "/api/users", {}, 422),
    ]
    for name, path, body, passed_status in limits:
        burst = proxy_setting(project, f"PROXY_{name.upper()}_BURST")
        passed, took = 0, []
        started = time.monotonic()
        for _ in range(burst + 20):
            sent = time.monotonic()
            answer = project.call(path, "POST", body)
            if answer.status == 429:
                refused_at[path] = time.monotonic()
                refused_in = refused_at[path] - sent
                break
            expect(answer.status == passed_status, f"POST {path} answered {answer.status}")
            took.append(time.monotonic() - sent)
            passed += 1
        else:
            raise CheckFailed(f"POST {path}: {burst + 20} from one address, and no 429")
        elapsed = time.monotonic() - started
        retry_after = answer.headers.get("Retry-After", "")
        expect(retry_after.isdigit() and int(retry_after) > 0, f"{path}: Retry-After {retry_after}")
        interval = int(retry_after)
        expect(
            burst + 1 <= passed <= burst + 1 + math.ceil(elapsed / interval),
            f"POST {path}: {passed} passed in {elapsed:.1f} s before a 429 (burst {burst})",
        )
        expect(
            answer.headers.get("Content-Type") == "application/problem+json",
            f"POST {path}: the 429 is {answer.headers.get('Content-Type')}",
        )
        problem = answer.json()
        expect(
            problem.get("status") == 429
            and problem.get("title") == "Too Many Requests"
            and set(problem) == {"type", "title", "status", "detail"},
            f"POST {path}: the 429's body is {problem}",
        )
        expect_security_headers(answer, f"POST {path} (429)")
        expect(len(answer.values("Retry-After")) == 1, f"{path}: Retry-After more than once")
        figures |= {
            f"{name}_burst": burst,
            f"{name}_passed": passed,
            f"{name}_median": sorted(took)[len(took) // 2],
            f"{name}_refused": refused_in,
            f"{name}_retry_after": interval,
        }

    # Both refused now, and so are the other password checks, which share sign-in's allowance;
    # nothing else is: reads, other writes, other methods on the same paths.
    others: list[tuple[str, str, dict[str, str] | None, int]] = [
        ("PATCH", "/api/users/me", {}, 429),
        ("DELETE", "/api/users/me", {}, 429),
        ("GET", "/healthz", None, 200),
        ("GET", "/api/posts", None, 200),
        ("GET", f"/api/users/{account.username}", None, 200),
        ("GET", "/api/tags", None, 200),
        ("POST", "/api/posts", {"title": "t", "body": "b"}, 401),
        ("PATCH", "/api/users/me/profile", {}, 401),
        ("GET", "/api/tokens", None, 405),
        ("GET", "/api/users", None, 405),
    ]
    for _ in range(3):
        for method, path, other_body, status in others:
            answer = project.call(path, method, other_body)
            expect(answer.status == status, f"{method} {path} answered {answer.status} meanwhile")

    # Retry-After is honest: once it has passed since the refusal, the client is let in again.
    for name, path, body, passed_status in limits:
        time.sleep(max(0.0, refused_at[path] + figures[f"{name}_retry_after"] - time.monotonic()))
        again = project.call(path, "POST", body).status
        expect(again == passed_status, f"POST {path} answered {again} after its Retry-After")
    return figures


def check_development(project: Project, *, suite: bool, cache: bool) -> dict[str, float]:
    """The development stack: up, answers, slow clients, the suite, restarts, logs."""
    say("building the images (docker compose build, from the clean copy)")
    project.timed(
        "build", "--profile", "test", "build", *([] if cache else ["--no-cache"]), timeout=1800
    )
    say(f"built in {project.timings['build']:.0f} s; docker compose up --wait")
    project.up("up")
    migrate_log = project.logs("migrate")
    expect("Running upgrade" in migrate_log, "migrate did not say which revisions it applied")
    expect("The database is at revision" in migrate_log, "migrate did not say where it ended")
    check_the_api(project)
    account = project.sign_up("compose")
    written = project.call(
        "/api/posts",
        "POST",
        {"title": "Kept", "body": "On the volume."},
        project.bearer(account.username, account.password),
    )
    expect(written.status == 201, f"a new user's post answered {written.status}")
    post = f"/api/posts/{written.json()['id']}"

    say(f"up in {project.timings['up']:.0f} s; {SLOW_CLIENTS} slow clients, broken chunks")
    figures = check_slow_clients(project)

    if suite:
        say("the test suite in the test image (docker compose run --rm tests)")
        result = project.timed("suite", "run", "--rm", "tests", timeout=1800)
        summary = re.findall(r"=+ (.*\d+ passed.*?) =+", result.stdout)
        expect(summary, "the suite printed no summary:\n" + result.stdout[-2000:])
        say(f"suite: {summary[-1]}; {project.timings['suite']:.0f} s in all")
    project.check_logs()

    say("restart with the volume kept")
    project.compose("down", timeout=120)
    project.up("restart")
    expect("Running upgrade" not in project.logs("migrate"), "migrate upgraded a second time")
    check_the_api(project)
    expect(project.call(post).status == 200, "the post is gone after a restart")
    say("the proxy's rate limits (a fresh proxy) and security headers")
    figures |= check_rate_limits(project, account)
    check_headers(project)
    project.check_logs()

    say("restart after down --volumes")
    project.compose("down", "--volumes", timeout=120)
    project.up("fresh")
    check_the_api(project)
    expect(project.call(post).status == 404, "the post is still there after down --volumes")
    gone = project.call(f"/api/users/{account.username}").status
    expect(gone == 404, f"the user is still there after down --volumes: {gone}")
    project.check_logs()
    return figures


SCHEMA_PROBE = """
import json, os, psycopg
url = os.environ["DATABASE_URL"]
found = {}
with psycopg.connect(url, autocommit=True) as connection:
    found["user"] = connection.execute("SELECT current_user").fetchone()[0]
    found["users"] = connection.execute("SELECT count(*) FROM users").fetchone()[0]
    with connection.transaction(force_rollback=True):
        connection.execute("INSERT INTO tags (name) VALUES ('schema-probe')")
        connection.execute("UPDATE tags SET name = 'schema-probe-2' WHERE name = 'schema-probe'")
        connection.execute("DELETE FROM tags WHERE name = 'schema-probe-2'")
        found["rows"] = "read, inserted, updated, deleted"
    for statement in (
        "CREATE TABLE schema_probe (id int)",
        "ALTER TABLE users ADD COLUMN schema_probe int",
        "DROP TABLE posts",
        "TRUNCATE posts",
        "CREATE INDEX schema_probe ON posts (title)",
        "CREATE SCHEMA schema_probe",
    ):
        try:
            connection.execute(statement)
            found[statement] = "allowed"
        except psycopg.errors.InsufficientPrivilege:
            found[statement] = "refused"
print(json.dumps(found))
"""


def check_production(project: Project) -> None:
    """The stack in production: bad settings stop it, a new user gets in, no schema changes."""
    say("production project: bad settings stop a container with one line naming the variable")
    for settings, message in (
        ({"BLOG_ENV": "production", "SECRET_KEY": ""}, "SECRET_KEY"),
        ({"BLOG_ENV": "staging"}, "BLOG_ENV"),
    ):
        result = project.compose(
            "run", "--rm", "--no-deps", "api", timeout=120, check=False, settings=settings
        )
        output = result.stdout + result.stderr
        lines = [line for line in output.splitlines() if line.startswith("blog:")]
        expect(
            result.returncode == 2 and len(lines) == 1 and message in lines[0],
            f"a bad setting ({message}) gave status {result.returncode}:\n{result.stderr[-2000:]}",
        )
        expect("Traceback" not in result.stdout + result.stderr, f"{message}: a traceback")

    say("up in production, with secrets set")
    project.up("prod_up", {"BLOG_ENV": "production"})
    check_the_api(project)
    account = project.sign_up("production")
    signed_in = project.sign_in(account.username, account.password)
    expect(signed_in == 200, f"a new user cannot sign in in production: {signed_in}")

    say("the app's database role: rows, not schema")
    probe = project.compose("exec", "-T", "api", "python", "-c", SCHEMA_PROBE, timeout=60)
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    expect(found["user"] == "blog_app", f"the api connects as {found['user']}")
    expect(found["rows"], "the app role cannot write rows")
    allowed = [statement for statement, outcome in found.items() if outcome == "allowed"]
    expect(not allowed, f"the app role may: {allowed}")
    owner = project.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'posts'")
    expect(owner == "postgres", f"the tables belong to {owner}, not the migrations' role")
    expect(
        project.psql(
            "SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles"
            " WHERE rolname = 'blog_app'"
        )
        == "f",
        "the app role has more than rows",
    )

    project.check_logs()


@contextmanager
def clean_copy() -> Iterator[Path]:
    """Yield a directory holding the committed tree, as a fresh clone has it."""
    dirty = run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, timeout=60)
    if dirty.stdout:
        say("the working tree has uncommitted changes; checking the committed tree (HEAD)")
    directory = Path(tempfile.mkdtemp(prefix="compose-check-"))
    try:
        run(
            ["sh", "-c", f"git archive --format=tar HEAD | tar -x -C '{directory}'"],
            cwd=ROOT,
            timeout=120,
        )
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the whole check; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--project", default="blog-check", help="compose project name prefix (default: %(default)s)"
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="build without the layer cache (a cold build)"
    )
    parser.add_argument(
        "--no-suite", action="store_true", help="skip the test suite in the test image"
    )
    args = parser.parse_args(argv)
    run_id = f"{os.getpid()}"
    tag = f"check-{run_id}"
    environ = {key: value for key, value in os.environ.items() if not OWN_SETTINGS.fullmatch(key)}
    environ["BLOG_IMAGE_TAG"] = tag
    started = time.monotonic()
    with clean_copy() as directory:
        development = Project(
            f"{args.project}-{run_id}",
            directory,
            environ | {"API_PORT": str(port := free_port())},
            port,
        )
        production = Project(
            f"{args.project.replace('check', 'prod-check')}-{run_id}",
            directory,
            environ
            | {
                "API_PORT": str(prod_port := free_port()),
                "SECRET_KEY": secrets.token_urlsafe(48),
                "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
                "APP_DATABASE_PASSWORD": secrets.token_urlsafe(24),
            },
            prod_port,
        )
        layers = []
        for check in layer_checks():
            layer_port = free_port()
            project = Project(
                f"{args.project.replace('check', f'{check.name}-check')}-{run_id}",
                directory,
                environ | {"API_PORT": str(layer_port), "COMPOSE_FILE": check.compose_file},
                layer_port,
                added_services=check.added_services,
                api_replicas=check.api_replicas,
            )
            layers.append((check, project))
        projects = [development, production, *(project for _, project in layers)]
        reports = []
        current = development
        try:
            figures = check_development(
                development, suite=not args.no_suite, cache=not args.no_cache
            )
            development.down()
            current = production
            check_production(production)
            production.down()
            for check, project in layers:
                current = project
                reports.append(f"{check.name}: {check.run(project)}")
                project.down()
        except CheckFailed as failure:
            say(f"FAILED: {failure}")
            with suppress(CheckFailed):
                logs = current.compose("logs", "--no-color", "--tail", "60", timeout=60)
                print(logs.stdout[-12000:], file=sys.stderr)
            return 1
        finally:
            images = set().union(*(project.images(tag) for project in projects))
            for project in projects:
                project.down()
            if images:
                run(["docker", "rmi", *sorted(images)], timeout=120, check=False)
    times = development.timings | production.timings
    say(
        f"passed in {time.monotonic() - started:.0f} s: build {times['build']:.0f} s,"
        f" up {times['up']:.0f} s, suite {times.get('suite', 0):.0f} s,"
        f" restart {times['restart']:.0f} s, up on a fresh volume {times['fresh']:.0f} s,"
        f" production up {times['prod_up']:.0f} s"
    )
    say(
        f"{SLOW_CLIENTS} connections holding half a body: /healthz in"
        f" {figures['healthz_median'] * 1000:.0f} ms (median of 5),"
        f" {figures['healthz_max'] * 1000:.0f} ms at most; a sign-in in"
        f" {figures['sign_in'] * 1000:.0f} ms; broken chunked framing:"
        f" {figures['broken_chunked_status']:.0f}"
    )
    say(
        f"from one address, {figures['sign_in_passed']:.0f} sign-ins passed (burst"
        f" {figures['sign_in_burst']:.0f}; {figures['sign_in_median'] * 1000:.0f} ms each, median),"
        f" then 429 in {figures['sign_in_refused'] * 1000:.0f} ms with Retry-After"
        f" {figures['sign_in_retry_after']:.0f}; {figures['sign_up_passed']:.0f} sign-ups passed"
        f" (burst {figures['sign_up_burst']:.0f}), then 429 with Retry-After"
        f" {figures['sign_up_retry_after']:.0f}"
    )
    for report in reports:
        say(report)
    return 0


if __name__ == "__main__":
    # The layers' compose checks import this file as scripts.compose_check: run main() from that
    # module, so that they and this run share its classes (CheckFailed, Project, LayerCheck).
    sys.path.insert(0, str(ROOT))
    sys.exit(importlib.import_module("scripts.compose_check").main())
