"""The pooler layer's part of the compose check (`make compose-test`, scripts/compose_check.py).

While this layer is in the tree, the compose check runs a third project with
docker-compose.scale.yml laid over docker-compose.yml: three api replicas behind the proxy,
connecting through PgBouncer (transaction mode) with DB_POOLER=transaction. Requests reach every
replica, PostgreSQL sees no more of the app's connections than PgBouncer's pool, reads under
load all succeed, and the concurrency checks hold through the proxy: posts sharing new tags
make each tag once, one username registered at once lets one in, likes at once make one row,
edits with one If-Match let one through. Like the rest of the compose check, it needs the
standard library only.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from scripts.compose_check import (
    Answer,
    LayerCheck,
    Project,
    check_the_api,
    expect,
    say,
)

# The overlay, from the project's top folder: Compose reads every path in it from there too.
OVERLAY = "pooler/docker-compose.scale.yml"
# The overlay's replicas of the api, and PgBouncer's server connections (pgbouncer.ini).
API_REPLICAS = 3
POOL_SIZE = 4
AT_ONCE = 16
READS_EACH = 20


def at_once(requests: list[Callable[[], Answer]]) -> Counter[int]:
    """Send the requests from one thread each, released together; count the statuses."""
    start = threading.Barrier(len(requests))

    def send(request: Callable[[], Answer]) -> Answer:
        start.wait(timeout=30)
        return request()

    with ThreadPoolExecutor(len(requests)) as pool:
        return Counter(answer.status for answer in pool.map(send, requests))


def check_scale(project: Project) -> str:
    """Replicas behind the proxy, through PgBouncer: spread, read load, the concurrency checks."""
    say(f"scale project: {OVERLAY} over docker-compose.yml (PgBouncer, {API_REPLICAS} api)")
    project.timed("scale_build", "build", "pgbouncer", timeout=900)
    # The registration race below sends AT_ONCE sign-ups at once from one address, after the
    # two users of the check's own: the proxy's per-client burst, and the api's password hashes
    # at once, are raised for this project so that all of them reach the replicas and the
    # database.
    project.up(
        "scale_up",
        {"PROXY_SIGN_UP_BURST": str(AT_ONCE + 2), "PASSWORD_HASHES_AT_ONCE": str(AT_ONCE)},
    )
    check_the_api(project)
    writer, liker = project.sign_up("writer"), project.sign_up("liker")
    as_writer = project.bearer(writer.username, writer.password)
    first = project.call(
        "/api/posts", "POST", {"title": "Read", "body": "x", "tags": ["a"]}, as_writer
    )
    expect(first.status == 201, f"the first post answered {first.status}")
    read = f"/api/posts/{first.json()['id']}"

    say("requests spread over the replicas")
    marker = secrets.token_hex(6)
    for number in range(10 * API_REPLICAS):
        project.call(f"/api/users/{marker}-{number}")
    logs = project.compose("logs", "--no-color", "api", timeout=60).stdout
    serving = {line.split("|", 1)[0].strip() for line in logs.splitlines() if marker in line}
    expect(len(serving) == API_REPLICAS, f"only {sorted(serving)} served the requests")

    say(f"read load: {AT_ONCE} clients at once, {READS_EACH} reads each")
    paths = ["/api/posts", "/api/tags", read, f"/api/users/{writer.username}", f"{read}/comments"]
    sequence = list(itertools.islice(itertools.cycle(paths), READS_EACH))

    def reader() -> Answer:
        answers = [project.call(path) for path in sequence]
        failed = [answer for answer in answers if answer.status != 200]
        return failed[0] if failed else answers[-1]

    reads = at_once([reader] * AT_ONCE)
    expect(reads == {200: AT_ONCE}, f"a read through PgBouncer failed: {dict(reads)}")

    say("the concurrency checks, through the proxy")
    # Posts naming the same two new tags at once: each tag is made once, linked to every post.
    shared = [f"{marker}-a", f"{marker}-b"]
    posts = at_once(
        [
            partial(
                project.call,
                "/api/posts",
                "POST",
                {"title": f"Race {n}", "body": "x", "tags": [*shared, f"{marker}-{n}"]},
                as_writer,
            )
            for n in range(AT_ONCE)
        ]
    )
    expect(posts == {201: AT_ONCE}, f"posts sharing new tags answered {dict(posts)}")
    for name in shared:
        counted = project.psql(
            "SELECT count(DISTINCT tags.id), count(post_tags.post_id) FROM tags"
            " JOIN post_tags ON post_tags.tag_id = tags.id WHERE tags.name = :'name'",
            name=name,
        )
        expect(counted == f"1|{AT_ONCE}", f"tag {name}: (tags, links) = {counted}")

    # One username, differently cased, registered at once: exactly one gets it.
    spellings = [f"Racer{marker}", f"racer{marker}", f"RACER{marker}"]
    registrations = at_once(
        [
            partial(
                project.call,
                "/api/users",
                "POST",
                {
                    "username": spellings[n % len(spellings)],
                    "email": f"racer{n}-{marker}@example.com",
                    "password": "a-racing-passphrase-2026",
                },
            )
            for n in range(AT_ONCE)
        ]
    )
    expect(
        registrations == {201: 1, 409: AT_ONCE - 1},
        f"one username registered at once answered {dict(registrations)}",
    )

    # One user liking one post from every client at once: one row, every answer a 204.
    created = project.call("/api/posts", "POST", {"title": "v1", "body": "x"}, as_writer)
    post = int(created.json()["id"])
    as_liker = project.bearer(liker.username, liker.password)
    like = partial(project.call, f"/api/posts/{post}/like", "PUT", None, as_liker)
    likes = at_once([like] * AT_ONCE)
    expect(likes == {204: AT_ONCE}, f"likes at once answered {dict(likes)}")
    liked = project.psql("SELECT count(*) FROM likes WHERE post_id = :'post'", post=str(post))
    expect(liked == "1", f"{liked} like rows after {AT_ONCE} likes of one user")

    # Edits that all send the same If-Match at once: one applies, the others get 412. The ETag
    # is read after the likes, which changed the post's representation (its like_count).
    etag = project.call(f"/api/posts/{post}", "GET", None, as_writer).headers["ETag"]
    edit = as_writer | {"If-Match": etag}
    edits = at_once(
        [
            partial(project.call, f"/api/posts/{post}", "PATCH", {"title": f"Edit {n}"}, edit)
            for n in range(AT_ONCE)
        ]
    )
    expect(edits == {200: 1, 412: AT_ONCE - 1}, f"edits with one If-Match answered {dict(edits)}")

    # After all that, PostgreSQL has seen no more of the app's connections than PgBouncer's pool
    # (it keeps its server connections open between clients).
    server_connections = int(
        project.psql("SELECT count(*) FROM pg_stat_activity WHERE usename = 'blog_app'")
    )
    expect(
        0 < server_connections <= POOL_SIZE,
        f"{server_connections} connections of blog_app, not 1 to {POOL_SIZE} (PgBouncer's)",
    )
    project.check_logs()
    return (
        f"PgBouncer built in {project.timings['scale_build']:.0f} s,"
        f" up in {project.timings['scale_up']:.0f} s; {len(serving)} api replicas served,"
        f" over {server_connections} server connections; {AT_ONCE * READS_EACH} reads and the"
        " concurrency checks through the proxy passed"
    )


CHECK = LayerCheck(
    name="scale",
    compose_file=f"docker-compose.yml:{OVERLAY}",
    added_services=("pgbouncer",),
    api_replicas=API_REPLICAS,
    run=check_scale,
)
