"""Real servers on 127.0.0.1: gunicorn started, waited for and stopped, and HTTP calls to it.

For the tests that need the app behind a real HTTP server, and for bench/. Linux only: a
server's workers are found through /proc.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
# The app as `bin/app serve` runs it: gunicorn with gunicorn.conf.py.
APP = ["bin/app", "serve"]
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


EXITED_EARLY = "{} exited before it was ready:\n{}"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing is bound to, below the ephemeral range.

    The kernel takes the local ports of outgoing connections from the ephemeral range
    (/proc/sys/net/ipv4/ip_local_port_range). A port from there, free now, could become one
    such connection's port on a busy machine before the server binds it; a port below the
    range is only ever taken by a process that asks for it by number.
    """
    lowest_ephemeral = int(EPHEMERAL_RANGE.read_text().split()[0])
    for _ in range(100):
        port = 1024 + secrets.randbelow(max(lowest_ephemeral - 1024, 1))
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:  # in use: try another
                continue
            return port
    raise RuntimeError(f"no free port found below {lowest_ephemeral}")


def server_environment(**settings: str) -> dict[str, str]:
    """Return this process's environment for a server on a free loopback port.

    The tools of the running virtual environment come first on PATH, so that `bin/app` finds
    gunicorn, alembic and flask even when it is not activated; `settings` are added last.
    """
    return (
        dict(os.environ)
        | {
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
            "HOST": "127.0.0.1",
            "PORT": str(free_port()),
        }
        | settings
    )


@dataclass
class Server:
    """A running server process and where it listens."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: IO[bytes]

    def output(self) -> str:
        """Return what the server has written to stdout and stderr so far."""
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def workers(self) -> list[int]:
        """Return the process ids of gunicorn's workers."""
        return children(self.process.pid)


@contextmanager
def running(
    command: list[str],
    environ: Mapping[str, str],
    *,
    name: str = "app",
    ready: str = "/healthz",
    timeout: float = 120,
) -> Iterator[Server]:
    """Start `command` in the project root, wait until GET `ready` answers 200, stop it after.

    The server listens on environ's HOST and PORT. Its output goes to a temporary file, which
    `Server.output()` reads; on a failed start it is part of the error.
    """
    url = f"http://{environ['HOST']}:{environ['PORT']}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(  # noqa: S603 - the caller's own fixed command
            command, cwd=ROOT, env=dict(environ), stdout=log, stderr=log
        )
        server = Server(name, process, url, log)
        try:
            _wait_until_ready(server, ready, timeout)
            yield server
        finally:
            stop(server)


def _wait_until_ready(server: Server, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(EXITED_EARLY.format(server.name, server.output()))
        try:
            if call(server.url + path, timeout=2).status == 200:
                return
        except OSError:  # not listening yet
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.name} not ready in {timeout:.0f} s:\n{server.output()}")
        time.sleep(0.1)


def stop(server: Server) -> None:
    """Stop the server: SIGTERM, then SIGKILL if it has not exited 30 s later."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@dataclass(frozen=True)
class Answer:
    """An HTTP response, read whole."""

    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        """Return the body parsed as JSON."""
        return json.loads(self.body)


def call(
    url: str,
    method: str = "GET",
    *,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10,
) -> Answer:
    """Send one request over a new connection; `body`, when given, is sent as JSON.

    Error statuses are answers like any other; a connection that fails or times out raises an
    OSError.
    """
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError("only this machine's loopback address is called")
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))  # noqa: S310
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers, error.read())


def children(pid: int) -> list[int]:
    """Return the ids of the processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # gone meanwhile
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found
