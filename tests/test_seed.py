"""The demo data: the same every time, complete, and safe to run twice.

The same but for what is made afresh at each run: the salt of the password hash, and the times
at which the users were created and the likes given.
"""

from __future__ import annotations

from apiflask import APIFlask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from blog.auth import hash_password, verify_password
from blog.db import db
from blog.models import Comment, Tag, User
from blog.schemas import EXAMPLE_PASSWORD, EXAMPLE_USER
from blog.seed import (
    DEMO_PASSWORD,
    DEMO_POSTS,
    DEMO_USERS,
    WRITER_PREFIX,
    demo_accounts_with_the_published_password,
    disable_demo_accounts,
    seed_demo,
)
from tests import rows
from tests.factories import UserFactory

CONTENT = {
    "users": "SELECT username, email, bio, website FROM users"
    " JOIN profiles ON profiles.user_id = users.id ORDER BY username",
    "posts": "SELECT username, title, body, posts.created_at, updated_at, version,"
    " ARRAY(SELECT name FROM post_tags JOIN tags ON tags.id = tag_id"
    " WHERE post_id = posts.id ORDER BY name) FROM posts"
    " JOIN users ON users.id = author_id ORDER BY title",
    "comments": "SELECT title, username, comments.body, comments.created_at, parent.body"
    " FROM comments JOIN posts ON posts.id = comments.post_id"
    " JOIN users ON users.id = comments.author_id"
    " LEFT JOIN comments AS parent ON parent.id = comments.parent_id"
    " ORDER BY comments.created_at, comments.body",
    "follows": "SELECT follower.username, followed.username FROM follows"
    " JOIN users AS follower ON follower.id = follower_id"
    " JOIN users AS followed ON followed.id = followed_id ORDER BY 1, 2",
    "likes": "SELECT username, title FROM likes JOIN users ON users.id = user_id"
    " JOIN posts ON posts.id = post_id ORDER BY 1, 2",
}


def demo_content() -> dict[str, list[tuple[object, ...]]]:
    """Return what the database holds, by name rather than by id, and none of what each run
    makes afresh."""
    return {
        name: [tuple(row) for row in db.session.execute(text(query))]
        for name, query in CONTENT.items()
    }


AFRESH = (
    "SELECT (SELECT min(password_hash) FROM users), (SELECT min(created_at) FROM users),"
    " (SELECT min(created_at) FROM likes)"
)


def test_the_demo_data_is_the_same_every_time() -> None:
    first_run = db.session.begin_nested()
    seed_demo()
    first, first_afresh = demo_content(), db.session.execute(text(AFRESH)).one()
    first_run.rollback()
    assert rows.count("users") == 0

    seed_demo()

    assert all(first.values())
    assert demo_content() == first
    again = db.session.execute(text(AFRESH)).one()
    assert all(before != after for before, after in zip(first_afresh, again, strict=True))


def test_the_demo_data_gives_every_relationship_something_to_show() -> None:
    added = seed_demo()

    assert added == (len(DEMO_USERS), len(DEMO_POSTS))
    users = db.session.scalars(select(User)).all()
    assert all(user.profile.bio and user.profile.website for user in users)
    assert all(user.posts for user in users)
    assert all(post.tags for user in users for post in user.posts)
    assert any(len(tag.posts) > 1 for tag in db.session.scalars(select(Tag)))
    assert all(user.comments for user in users)
    assert any(reply.replies for reply in db.session.scalars(select(Comment)) if reply.parent)
    assert all(user.following and user.followers for user in users)
    assert all(user.likes for user in users)
    assert all(user.liked_posts == [like.post for like in user.likes] for user in users)


def test_seeding_the_demo_data_twice_adds_nothing() -> None:
    seed_demo()
    before = rows.everything()

    added = seed_demo()

    assert added == (0, 0)
    assert rows.everything() == before


def test_the_demo_data_is_all_or_nothing() -> None:
    seed_demo()
    alice = db.session.scalars(select(User).where(User.username == "alice")).one()
    db.session.delete(alice)
    db.session.flush()
    before = rows.everything()

    added = seed_demo()

    # Other demo users remain, so nothing is added: reset the database to start over.
    assert added == (0, 0)
    assert rows.everything() == before


def test_the_seed_command_loads_the_demo_data_once(app: APIFlask) -> None:
    runner = app.test_cli_runner()

    first = runner.invoke(args=["seed"])
    again = runner.invoke(args=["seed"])

    assert (first.exit_code, again.exit_code) == (0, 0), first.output + again.output
    added = f"added {len(DEMO_USERS)} users and {len(DEMO_POSTS)} posts"
    assert first.output == f"Demo data: {added}.\n"
    assert again.output == "Demo data: added 0 users and 0 posts.\n"
    assert rows.count("posts") == len(DEMO_POSTS)


def test_demo_users_can_sign_in_with_the_published_password(client: FlaskClient) -> None:
    seed_demo()

    response = client.post("/api/tokens", json={"username": "alice", "password": DEMO_PASSWORD})

    assert response.status_code == 200


def test_the_examples_of_the_api_sign_in_on_the_demo_data(client: FlaskClient) -> None:
    # The request bodies the OpenAPI document shows (blog/schemas.py) speak as a demo user.
    seed_demo()

    response = client.post(
        "/api/tokens", json={"username": EXAMPLE_USER, "password": EXAMPLE_PASSWORD}
    )

    assert response.status_code == 200


def test_disabling_the_demo_accounts_leaves_none_that_accepts_the_published_password(
    client: FlaskClient,
) -> None:
    seed_demo()
    # The benchmark's synthetic writers share the published password.
    writers = [f"{WRITER_PREFIX}{n:05d}" for n in (1, 2)]
    for username in writers:
        UserFactory(username=username, password_hash=hash_password(DEMO_PASSWORD))

    before = demo_accounts_with_the_published_password()
    disabled = disable_demo_accounts()

    assert before == disabled == sorted([user.username for user in DEMO_USERS] + writers)
    assert demo_accounts_with_the_published_password() == []
    assert disable_demo_accounts() == []
    for username in before:
        response = client.post(
            "/api/tokens", json={"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 401


def test_disabling_the_demo_accounts_spares_a_demo_user_who_changed_password() -> None:
    seed_demo()
    alice = db.session.scalars(select(User).where(User.username == "alice")).one()
    alice.password_hash = hash_password("a password of alice's own")
    other = UserFactory(username="writerjane")
    db.session.flush()

    disabled = disable_demo_accounts()

    assert disabled == ["bob", "carol", "dave"]
    assert other.username not in disabled
    assert verify_password(alice.password_hash, "a password of alice's own")
