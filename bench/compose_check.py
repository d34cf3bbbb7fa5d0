"""The benchmark layer's part of the compose check (`make compose-test`, scripts/compose_check.py).

While this layer is in the tree, the compose check runs a project with docker-compose.flood.yml
laid over docker-compose.yml, whose proxy takes each client's address from X-Forwarded-For, as
behind a trusted load balancer. Through the proxy, one reader times GET /healthz and a post
page quietly, then while one client floods sign-in over FLOODERS connections, then while
FLOODERS clients do, each from an address of its own (bench/flooding.py). Each read's 90th
percentile must stay within MAX_RATIO times the quiet one; no answer may be a 5xx; the proxy's
per-client limit must hold one client to its burst and let each of many clients have its own.
Like the rest of the compose check, it needs the standard library only.
"""

from __future__ import annotations

import math
import time

from bench.flooding import FLOODER_ADDRESSES, measure, ratios
from scripts.compose_check import (
    LayerCheck,
    Project,
    expect,
    proxy_address,
    proxy_setting,
    say,
)

OVERLAY = "bench/docker-compose.flood.yml"
FLOODERS = 8
ROUNDS = 400
MAX_RATIO = 3.0
# The proxy's steady rate of sign-ins per client, one per this many seconds (default.conf).
SIGN_IN_INTERVAL_SECONDS = 6


def let_through(sign_ins: dict[str, int]) -> int:
    """Return how many sign-ins reached the app: every answer but the proxy's 429."""
    return sum(count for kind, count in sign_ins.items() if kind != "429 about:blank")


def check_flood(project: Project) -> str:
    """Flood sign-in through the proxy, from one client and from many, while reads are timed."""
    say(f"flood project: {OVERLAY} over docker-compose.yml")
    project.up("flood_up")
    server = proxy_address(project)
    burst = proxy_setting(project, "PROXY_SIGN_IN_BURST")
    post = project.call("/api/posts?per_page=1").json()["items"][0]["id"]
    paths = {"healthz": "/healthz", "post": f"/api/posts/{post}"}
    floods = {
        "quiet": [],
        "one client": [FLOODER_ADDRESSES[0]] * FLOODERS,
        "many": list(FLOODER_ADDRESSES[1 : FLOODERS + 1]),
    }
    say(f"{ROUNDS} reads of each, in turns: {', '.join(floods)}")
    started = time.monotonic()
    phases = measure(server, paths, floods, ROUNDS)
    seconds = time.monotonic() - started
    for name, figures in phases.items():
        kinds = [*map(str, figures["reads"]), *figures["sign_ins"]]
        expect(not any(kind.startswith("5") for kind in kinds), f"{name}: {figures}")
        expect(figures["reads"].keys() == {200}, f"{name}: reads {figures['reads']}")
    ratios(phases)

    # What reached the app: from one address, at most its burst and the steady rate; from
    # many, each address its own burst, so more than one address could have had.
    allowance = burst + 1 + math.ceil(seconds / SIGN_IN_INTERVAL_SECONDS)
    one, many = phases["one client"]["sign_ins"], phases["many"]["sign_ins"]
    expect(let_through(one) <= allowance, f"one client: {one} in {seconds:.0f} s: over its limit")
    expect(let_through(many) > allowance, f"many clients: {many}: they shared one allowance")
    for name in ("one client", "many"):
        worst = max(phases[name]["ratio"].values())
        expect(
            worst <= MAX_RATIO,
            f"{name}: reads' p90 {phases[name]['p90_ms']} ms is {worst}x the quiet"
            f" {phases['quiet']['p90_ms']} ms (at most {MAX_RATIO}x)",
        )
    return "; ".join(
        f"{name}: p90 {', '.join(f'{path} {ms:.1f} ms' for path, ms in figures['p90_ms'].items())}"
        + (f" ({figures['ratio']}; sign-ins {figures['sign_ins']})" if name != "quiet" else "")
        for name, figures in phases.items()
    )


CHECK = LayerCheck(
    name="flood",
    compose_file=f"docker-compose.yml:{OVERLAY}",
    added_services=(),
    api_replicas=1,
    run=check_flood,
)
