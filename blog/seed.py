"""The demo data of blog/demo.toml, the same every time, so that every relationship has
something to show; and `flask --app blog seed`, which `bin/app seed` runs.

Its password is published, so in production the command loads none and disables the demo
accounts, and `bin/app serve` refuses to start while one accepts it (blog/preflight.py).
"""

import tomllib
from datetime import datetime, timedelta
from functools import cache
from importlib.resources import files

import click
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select, update

from blog.auth import hash_password, verify_password
from blog.config import current_settings
from blog.db import db
from blog.models import Comment, Post, Profile, User
from blog.services.tags import ensure_tags

DEMO_PASSWORD = "demo-password"  # noqa: S105 - published in the README on purpose
# The benchmark's writers (bench/) are writer00001, ..., with DEMO_PASSWORD too.
WRITER_PREFIX = "writer"
# Not an Argon2 hash, so no password matches it.
DISABLED_PASSWORD_HASH = "!disabled: a demo account, in production"  # noqa: S105


class _Demo(BaseModel):
    # A misspelt key in demo.toml is an error, not a value silently left out.
    model_config = ConfigDict(extra="forbid", frozen=True)


class DemoUser(_Demo):
    """A demo user, with who they follow and the titles of the posts they like."""

    username: str
    bio: str
    follows: tuple[str, ...]
    likes: tuple[str, ...]


class DemoComment(_Demo):
    """A demo comment and the replies below it."""

    author: str
    body: str
    replies: tuple["DemoComment", ...] = ()


class DemoPost(_Demo):
    """A demo post and the comments on it."""

    author: str
    title: str
    body: str
    tags: tuple[str, ...]
    created_at: datetime
    comments: tuple[DemoComment, ...] = ()


class DemoData(_Demo):
    """Everything blog/demo.toml holds."""

    users: tuple[DemoUser, ...]
    posts: tuple[DemoPost, ...]


_DEMO = DemoData.model_validate(tomllib.loads(files("blog").joinpath("demo.toml").read_text()))
DEMO_USERS, DEMO_POSTS = _DEMO.users, _DEMO.posts
DEMO_USERNAMES = [demo.username for demo in DEMO_USERS]


def _comment(demo: DemoComment, post: Post, users: dict[str, User], at: datetime) -> Comment:
    # back_populates sets each reply's parent; the post is set on each, as replies share it.
    return Comment(
        body=demo.body,
        author=users[demo.author],
        post=post,
        created_at=at,
        replies=[
            _comment(reply, post, users, at + timedelta(hours=n + 1))
            for n, reply in enumerate(demo.replies)
        ],
    )


def seed_demo() -> tuple[int, int]:
    """Load the demo data unless any demo user exists already; return the users and posts added."""
    if db.session.scalar(select(func.count()).where(User.username.in_(DEMO_USERNAMES))):
        return 0, 0
    password_hash = hash_password(DEMO_PASSWORD)
    users = {
        demo.username: User(
            username=demo.username,
            email=f"{demo.username}@example.com",
            password_hash=password_hash,
            profile=Profile(bio=demo.bio, website=f"https://{demo.username}.example.com/"),
        )
        for demo in DEMO_USERS
    }
    tags = {tag.name: tag for tag in ensure_tags([n for p in DEMO_POSTS for n in p.tags])}
    posts = {
        # Setting post.author appends the post to user.posts: back_populates at work.
        demo.title: Post(
            author=users[demo.author],
            title=demo.title,
            body=demo.body,
            tags=[tags[name] for name in demo.tags],
            created_at=demo.created_at,
        )
        for demo in DEMO_POSTS
    }
    for demo_post in DEMO_POSTS:
        for n, demo_comment in enumerate(demo_post.comments):
            at = demo_post.created_at + timedelta(hours=2 * n + 1)
            _comment(demo_comment, posts[demo_post.title], users, at)
    for demo_user in DEMO_USERS:
        user = users[demo_user.username]
        # Appending to user.following also appends user to each one's followers.
        user.following.extend(users[name] for name in demo_user.follows)
        # The association proxy creates a Like for each post, linked to both ends.
        user.liked_posts.extend(posts[title] for title in demo_user.likes)
    # The save-update cascade takes everything else along with the users.
    db.session.add_all(users.values())
    db.session.flush()
    return len(users), len(posts)


def demo_accounts_with_the_published_password() -> list[str]:
    """Return the usernames of the demo accounts that still accept DEMO_PASSWORD."""
    query = select(User).where(
        User.username.in_(DEMO_USERNAMES) | User.username.startswith(WRITER_PREFIX),
        User.password_hash != DISABLED_PASSWORD_HASH,
    )
    # Each distinct hash is verified once, however many users share it.
    accepts = cache(lambda password_hash: verify_password(password_hash, DEMO_PASSWORD))
    users = db.session.scalars(query.order_by(User.username))
    return [user.username for user in users if accepts(user.password_hash)]


def disable_demo_accounts() -> list[str]:
    """Make every demo account that accepts DEMO_PASSWORD unusable; return their usernames."""
    names = demo_accounts_with_the_published_password()
    disable = update(User).where(User.username.in_(names))
    db.session.execute(disable.values(password_hash=DISABLED_PASSWORD_HASH))
    return names


def first_few(usernames: list[str]) -> str:
    """Return the first few of `usernames`, to show in a line."""
    return ", ".join(usernames[:4]) + (", ..." if len(usernames) > 4 else "")


@click.command("seed")
def seed_command() -> None:
    """Load the demo data, unless a demo user exists already; in production, load none and
    disable the demo accounts a development run left behind."""
    if current_settings().env != "production":
        users, posts = seed_demo()
        db.session.commit()
        click.echo(f"Demo data: added {users} users and {posts} posts.")
        return
    disabled = disable_demo_accounts()
    db.session.commit()
    accounts = "account" if len(disabled) == 1 else "accounts"
    named = f" ({first_few(disabled)})" if disabled else ""
    click.echo(f"Production: no demo data loaded; disabled {len(disabled)} demo {accounts}{named}.")
