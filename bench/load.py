"""Drive load at one URL for a fixed time: wrk when it is installed, else a Python loop.

Both are bounded (a fixed duration and number of connections) and talk only to the URL given,
which the benchmark always points at 127.0.0.1.
"""

from __future__ import annotations

import http.client
import re
import shutil
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Load:
    """What one load run measured."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failures: int  # responses that were not 200, and connection errors

    @property
    def rps(self) -> float:
        """Return requests per second."""
        return self.requests / self.seconds


def tool() -> str:
    """Name the load generator this machine will use."""
    return "wrk" if shutil.which("wrk") else "python"


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"cannot read wrk latency {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def _wrk(url: str, headers: dict[str, str], seconds: float, connections: int) -> Load:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(  # noqa: S603 - wrk with arguments made here
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    summary = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", output)
    # The "Latency Distribution" lines, not the percentages of the thread statistics.
    p50 = re.search(r"^\s+50%\s+(\S+)$", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)$", output, re.MULTILINE)
    if summary is None or p50 is None or p99 is None:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    requests = int(summary[1])
    elapsed = float(summary[2]) * {"ms": 0.001, "s": 1.0, "m": 60.0}[summary[3]]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    failures = (int(bad[1]) if bad else 0) + (sum(map(int, errors.groups())) if errors else 0)
    return Load(requests, elapsed, _ms(p50[1]), _ms(p99[1]), failures)


def _python(url: str, headers: dict[str, str], seconds: float, connections: int) -> Load:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=10)
        mine: list[float] = []
        bad = 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=10)
            mine.append((time.perf_counter() - started) * 1000)
        connection.close()
        with lock:
            latencies.extend(mine)
            failures[0] += bad

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return Load(len(latencies), elapsed, quantiles[49], quantiles[98], failures[0])


def run(url: str, headers: dict[str, str], seconds: float, connections: int) -> Load:
    """Send GET requests to `url` for `seconds` over `connections` connections."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError("the benchmark only sends load to this machine's loopback address")
    if tool() == "wrk":
        return _wrk(url, headers, seconds, connections)
    return _python(url, headers, seconds, connections)
