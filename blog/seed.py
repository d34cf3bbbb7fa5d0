"""Demo data: a small, fixed set of users, posts and everything between them.

`seed_demo()` loads users (with profiles), posts, tags, threaded comments, follows and likes,
the same every time, so that the README can name the demo users and every relationship has
something to show; if any demo user exists it adds nothing. Its password is published, as is
that of the benchmark's synthetic writers (bench/): in production `bin/app seed` loads nothing
and calls `disable_demo_accounts()`, so that no account accepts that password there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from time import perf_counter

from sqlalchemy import func, select, update

from blog.auth import hash_password, verify_password
from blog.db import db
from blog.models import Comment, Post, Profile, User
from blog.services.tags import ensure_tags

DEMO_PASSWORD = "demo-password"  # noqa: S105 - published in the README on purpose
# The benchmark's synthetic writers (bench/) are named writer00001, ... and share DEMO_PASSWORD.
WRITER_PREFIX = "writer"
# Not an Argon2 hash, so no password matches it: an account with it cannot be signed into.
DISABLED_PASSWORD_HASH = "!disabled: a demo account, in production"  # noqa: S105


@dataclass(frozen=True)
class DemoUser:
    """A demo user, with who they follow and which posts they like."""

    username: str
    bio: str
    follows: tuple[str, ...]
    likes: tuple[str, ...] = ()  # titles of posts


@dataclass(frozen=True)
class DemoComment:
    """A demo comment and the replies below it."""

    author: str
    body: str
    replies: tuple[DemoComment, ...] = ()


@dataclass(frozen=True)
class DemoPost:
    """A demo post and the comments on it."""

    author: str
    title: str
    body: str
    tags: tuple[str, ...]
    created_at: datetime
    comments: tuple[DemoComment, ...] = ()


DEMO_USERS = (
    DemoUser(
        "alice",
        "Writes about SQLAlchemy and the relationships between things.",
        follows=("bob", "carol"),
        likes=("Index your foreign keys", "Roll back every test"),
    ),
    DemoUser(
        "bob",
        "Flask since 0.10. Keeps his views thin.",
        follows=("alice",),
        likes=("back_populates, both sides, every time", "Roll back every test"),
    ),
    DemoUser(
        "carol",
        "DBA. Asks to see the query plan.",
        follows=("alice", "dave"),
        likes=("What delete-orphan really deletes",),
    ),
    DemoUser(
        "dave",
        "Tests first, and on the real database.",
        follows=("alice", "bob", "carol"),
        likes=("back_populates, both sides, every time", "Thin views, small services"),
    ),
)
DEMO_USERNAMES = [demo.username for demo in DEMO_USERS]

DEMO_POSTS = (
    DemoPost(
        "alice",
        "back_populates, both sides, every time",
        "Declare each relationship on both classes and name the partner. It is two lines "
        "longer than backref and nobody ever has to guess where an attribute came from.",
        ("sqlalchemy", "python"),
        datetime(2026, 10, 1, 9, tzinfo=UTC),
        (
            DemoComment(
                "bob",
                "Does the partner have to be declared in the same module?",
                (
                    DemoComment(
                        "alice",
                        "No: the name is resolved when the mappers are configured.",
                        (DemoComment("bob", "That explains the late error. Thanks!"),),
                    ),
                ),
            ),
            DemoComment("dave", "And a test that walks every mapper keeps both sides honest."),
        ),
    ),
    DemoPost(
        "alice",
        "What delete-orphan really deletes",
        "Remove a post from user.posts and, at the next flush, the post is gone. Move it to "
        "another user instead and it survives: it is only an orphan if nobody holds it.",
        ("sqlalchemy", "postgresql"),
        datetime(2026, 10, 3, 14, tzinfo=UTC),
        (
            DemoComment(
                "carol",
                "And with passive_deletes the database does the deleting.",
                (DemoComment("alice", "One DELETE for the user, ON DELETE CASCADE for the rest."),),
            ),
        ),
    ),
    DemoPost(
        "bob",
        "Thin views, small services",
        "A view parses, calls one function and serialises. Everything else lives where a test "
        "can reach it without HTTP.",
        ("flask", "python"),
        datetime(2026, 10, 4, 10, tzinfo=UTC),
    ),
    DemoPost(
        "carol",
        "Index your foreign keys",
        "PostgreSQL indexes the referenced side of a foreign key, not the referencing one. "
        "Deleting a user scans posts for author_id unless you add that index yourself.",
        ("postgresql", "performance"),
        datetime(2026, 10, 6, 8, tzinfo=UTC),
        (
            DemoComment(
                "alice",
                "Unless the foreign key leads a primary key, as in an association table.",
                (DemoComment("carol", "Right: post_tags only needs the extra one on tag_id."),),
            ),
        ),
    ),
    DemoPost(
        "dave",
        "Roll back every test",
        "One connection, one outer transaction, sessions joining it through savepoints: the "
        "code under test may commit, and the database is still clean afterwards.",
        ("testing", "postgresql", "sqlalchemy"),
        datetime(2026, 10, 7, 16, tzinfo=UTC),
        (DemoComment("bob", "No more truncating tables between tests."),),
    ),
    DemoPost(
        "bob",
        "Problem details for every error",
        "404s, 405s, validation errors and a database that is down all answer with the same "
        "RFC 9457 shape, so a client needs one error handler.",
        ("flask", "api-design"),
        datetime(2026, 10, 9, 11, tzinfo=UTC),
    ),
    DemoPost(
        "carol",
        "Migrations are code: review them",
        "Autogenerate drafts a revision; a person reads it, names it, and makes the downgrade "
        "work. alembic check in CI catches the model change nobody migrated.",
        ("migrations", "postgresql"),
        datetime(2026, 10, 12, 9, tzinfo=UTC),
    ),
    DemoPost(
        "alice",
        "selectinload for collections, joinedload for parents",
        "Loaded as objects, a page of twenty posts costs two statements: the posts with their "
        "authors joined in, and one SELECT ... IN for all their tags. This API's own list reads "
        "the columns it shows instead, in one.",
        ("sqlalchemy", "performance"),
        datetime(2026, 10, 15, 13, tzinfo=UTC),
    ),
    DemoPost(
        "dave",
        "Factories, not fixtures files",
        "PostFactory(author=alice, tags=[python]) says what the test needs and nothing else.",
        ("testing", "python"),
        datetime(2026, 10, 18, 10, tzinfo=UTC),
    ),
    DemoPost(
        "bob",
        "One command to run it all",
        "docker compose up: the database, the migrations, this demo data and the API, in order, "
        "each waiting for the one before.",
        ("docker", "flask"),
        datetime(2026, 10, 20, 17, tzinfo=UTC),
    ),
)


@dataclass(frozen=True)
class SeedReport:
    """What a seeding step added."""

    users: int
    posts: int
    links: int  # the tags of the posts
    seconds: float

    @property
    def rows(self) -> int:
        """Return users + posts + links."""
        return self.users + self.posts + self.links


def _comment(demo: DemoComment, post: Post, users: dict[str, User], at: datetime) -> Comment:
    # Each reply is put in `replies`; back_populates sets its parent. The post is set on every
    # comment of the thread, since a reply belongs to its parent's post.
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


def seed_demo() -> SeedReport:
    """Load the demo data, unless any demo user exists already."""
    started = perf_counter()
    if db.session.scalar(select(func.count()).where(User.username.in_(DEMO_USERNAMES))):
        return SeedReport(users=0, posts=0, links=0, seconds=perf_counter() - started)

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
    # Adding the users takes everything else along: the save-update cascade follows User.posts,
    # .comments, .likes, .profile and .following.
    db.session.add_all(users.values())
    db.session.flush()
    return SeedReport(
        users=len(users),
        posts=len(posts),
        links=sum(len(p.tags) for p in DEMO_POSTS),
        seconds=perf_counter() - started,
    )


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
