"""The demo layer's part of the compose check (`make compose-test`, scripts/compose_check.py).

While this layer is in the tree, the compose check runs a project of docker-compose.yml alone,
for the demo data: `docker compose up` in development loads it (4 users, 10 posts), and a demo
user signs in with the published password; a restart with the volume kept loads nothing more,
and one after `down --volumes` loads it all again. Then the same volume in production: the seed
service disables every demo account, none of them can sign in, and an api started while a demo
account accepts the published password again stops with status 3 and a line naming it, until
the seed service disables it. Like the rest of the compose check, it needs the standard library
only, so it repeats the few figures and words of demo/ it checks.
"""

from __future__ import annotations

import re
import secrets

from scripts.compose_check import LayerCheck, Project, check_the_api, expect, say

DEMO_USERS = ("alice", "bob", "carol", "dave")
DEMO_POSTS = 10
DEMO_PASSWORD = "demo-password"  # noqa: S105 - the published one (demo/seed.py)


def seeded(project: Project) -> tuple[int, int]:
    """Return the users and posts the last seed run says it added."""
    found = re.findall(r"added (\d+) users and (\d+) posts", project.logs("seed"))
    expect(found, "the seed service did not say what it added")
    users, posts = found[-1]
    return int(users), int(posts)


def posts(project: Project) -> int:
    """Return how many posts the api lists."""
    total: int = project.call("/api/posts?per_page=1").json()["total"]
    return total


def check_demo(project: Project) -> str:
    """The demo data in development, and the demo accounts disabled in production."""
    say("demo project: docker-compose.yml, the demo data in development, then in production")
    project.up("demo_up")
    loaded = seeded(project)
    expect(loaded == (len(DEMO_USERS), DEMO_POSTS), f"seeding added {loaded} (users, posts)")
    check_the_api(project)
    expect(posts(project) == DEMO_POSTS, f"the api lists {posts(project)} posts")
    expect(project.sign_in("alice", DEMO_PASSWORD) == 200, "alice cannot sign in in development")

    say("demo: a restart with the volume kept, then one after down --volumes")
    project.compose("down", timeout=120)
    project.up("demo_restart")
    expect(seeded(project) == (0, 0), "seeding added rows on a restart with the volume kept")
    expect(posts(project) == DEMO_POSTS, f"the api lists {posts(project)} posts after a restart")
    project.compose("down", "--volumes", timeout=120)
    project.up("demo_fresh")
    expect(seeded(project) == loaded, "seeding after down --volumes did not load it all")
    project.check_logs()
    alice_hash = project.psql("SELECT password_hash FROM users WHERE username = 'alice'")

    say("demo: the same volume in production")
    production = {"BLOG_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48)}
    project.up("demo_production_up", production)
    seed_log = project.logs("seed")
    expect(
        "no demo data loaded; disabled 4 demo accounts (alice, bob, carol, dave)" in seed_log,
        f"the production seed did not disable the demo accounts:\n{seed_log[-1000:]}",
    )
    for username in DEMO_USERS:
        status = project.sign_in(username, DEMO_PASSWORD)
        expect(status == 401, f"{username} signs in in production: {status}")
    expect(posts(project) == DEMO_POSTS, "production lost the demo posts")

    say("demo: an account that accepts the published password again stops the api")
    project.psql(
        "UPDATE users SET password_hash = :'hash' WHERE username = 'alice'", hash=alice_hash
    )
    result = project.compose(
        "run", "--rm", "--no-deps", "api", timeout=180, check=False, settings=production
    )
    output = result.stdout + result.stderr
    lines = [line for line in output.splitlines() if line.startswith("blog:")]
    expect(
        result.returncode == 3 and len(lines) == 1 and "(alice)" in lines[0],  # names the account
        f"the api started with alice open: {result.returncode}\n{result.stderr[-2000:]}",
    )
    reseed = project.compose("run", "--rm", "--no-deps", "seed", timeout=120, settings=production)
    expect("disabled 1 demo account (alice)" in reseed.stdout, "seeding did not disable alice")
    expect(project.sign_in("alice", DEMO_PASSWORD) == 401, "alice signs in after the seed")
    project.check_logs()
    return (
        f"up with the demo data in {project.timings['demo_up']:.0f} s; loaded once, again after"
        " down --volumes; in production its accounts disabled, and the api refused while one was"
        " open"
    )


CHECK = LayerCheck(
    name="demo",
    compose_file="docker-compose.yml",
    added_services=(),
    api_replicas=1,
    run=check_demo,
)
