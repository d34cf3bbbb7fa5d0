"""The demo data of demo/demo.toml, which gives every relationship something to show, and `flask
seed`; its password is published, so in production it loads none and disables the demo accounts."""

import tomllib
from datetime import datetime, timedelta
from functools import cache
from importlib.resources import files

import click
from apiflask import APIFlask
from pydantic import BaseModel
from sqlalchemy import select, update

import blog
from blog.auth import hash_password, verify_password
from blog.config import current_settings
from blog.db import db
from blog.models import Comment, Post, Profile, User
from blog.posts import ensure_tags

DEMO_PASSWORD = "demo-password"  # noqa: S105 - published in the README on purpose
# Not an Argon2 hash, so no password matches it.
DISABLED_PASSWORD_HASH = "!disabled: a demo account, in production"  # noqa: S105
# What `flask seed` says it did, in development and in production.
LOADED = "Demo data: added {} users and {} posts."
NONE_IN_PRODUCTION = "Production: no demo data loaded; disabled {}."


# The shape of demo.toml (its header says what each key holds); a misspelt key is an error.
class _User(BaseModel, extra="forbid", frozen=True):
    username: str
    bio: str
    follows: tuple[str, ...]
    likes: tuple[str, ...]


class _Comment(BaseModel, extra="forbid", frozen=True):
    author: str
    body: str
    replies: tuple["_Comment", ...] = ()


class _Post(BaseModel, extra="forbid", frozen=True):
    author: str
    title: str
    body: str
    tags: tuple[str, ...]
    created_at: datetime
    comments: tuple[_Comment, ...] = ()


class _DemoFile(BaseModel, extra="forbid", frozen=True):
    users: tuple[_User, ...]
    posts: tuple[_Post, ...]


_DEMO = _DemoFile.model_validate(tomllib.loads(files("demo").joinpath("demo.toml").read_text()))
DEMO_USERS, DEMO_POSTS = _DEMO.users, _DEMO.posts
DEMO_USERNAMES = [demo.username for demo in DEMO_USERS]


def _comment(demo: _Comment, post: Post, users: dict[str, User], at: datetime) -> Comment:
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
    if db.session.scalar(select(User.id).where(User.username.in_(DEMO_USERNAMES)).limit(1)):
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
    posts: dict[str, Post] = {}
    for demo_post in DEMO_POSTS:
        # Setting post.author appends the post to user.posts: back_populates at work.
        post = posts[demo_post.title] = Post(
            author=users[demo_post.author],
            title=demo_post.title,
            body=demo_post.body,
            tags=[tags[name] for name in demo_post.tags],
            created_at=demo_post.created_at,
        )
        for n, comment in enumerate(demo_post.comments):
            _comment(comment, post, users, demo_post.created_at + timedelta(hours=2 * n + 1))
    for demo in DEMO_USERS:
        # Appending to user.following also appends the user to each one's followers.
        users[demo.username].following.extend(users[name] for name in demo.follows)
        # The association proxy creates a Like for each post, linked to both ends.
        users[demo.username].liked_posts.extend(posts[title] for title in demo.likes)
    # The save-update cascade takes everything else along with the users.
    db.session.add_all(users.values())
    db.session.flush()
    return len(users), len(posts)


def demo_accounts_with_the_published_password() -> list[str]:
    """Return the usernames of the demo accounts that still accept DEMO_PASSWORD."""
    query = select(User.username, User.password_hash).where(User.username.in_(DEMO_USERNAMES))
    query = query.order_by(User.username)
    # Each distinct hash is verified once, however many users share it (a disabled one fails).
    accepts = cache(lambda password_hash: verify_password(password_hash, DEMO_PASSWORD))
    return [name for name, hashed in db.session.execute(query) if accepts(hashed)]


def disable_demo_accounts() -> list[str]:
    """Make every demo account that accepts DEMO_PASSWORD unusable; return their usernames."""
    names = demo_accounts_with_the_published_password()
    disable = update(User).where(User.username.in_(names))
    db.session.execute(disable.values(password_hash=DISABLED_PASSWORD_HASH))
    return names


def demo_accounts(usernames: list[str]) -> str:
    """Say how many demo accounts `usernames` holds, naming the first few, to show in a line."""
    named = ", ".join(usernames[:4]) + (", ..." if len(usernames) > 4 else "")
    accounts = "account" if len(usernames) == 1 else "accounts"
    return f"{len(usernames)} demo {accounts}" + (f" ({named})" if usernames else "")


@click.command("seed")
def seed_command() -> None:
    """Load the demo data once; in production, load none and disable the demo accounts."""
    if current_settings().env == "production":
        message = NONE_IN_PRODUCTION.format(demo_accounts(disable_demo_accounts()))
    else:
        message = LOADED.format(*seed_demo())
    db.session.commit()
    click.echo(message)


def create_app() -> APIFlask:
    """Return the core's app with `flask seed` added, for `flask --app demo.seed seed`."""
    app = blog.create_app()
    app.cli.add_command(seed_command)
    return app
