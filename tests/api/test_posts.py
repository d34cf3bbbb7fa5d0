"""/api/posts: listing, filtering, paging, writing, editing and deleting posts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import current_app
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from blog.db import db, utcnow
from blog.models import BODY_MAX_LENGTH, Post, User
from blog.posts import NOT_A_CURSOR, OTHER_FILTERS, PostCursor, signed
from blog.schemas import PostOut
from tests import rows
from tests.factories import PostFactory, TagFactory, UserFactory
from tests.helpers import StatementLog, assert_problem, auth_headers, pointers


def write(client: FlaskClient, user: User, **fields: Any) -> Any:
    body = {"title": "Hello", "body": "First post."} | fields
    return client.post("/api/posts", json=body, headers=auth_headers(user))


# Listing


def test_an_empty_list(client: FlaskClient) -> None:
    response = client.get("/api/posts")

    assert response.status_code == 200
    assert response.get_json() == {
        "items": [],
        "page": 1,
        "per_page": 20,
        "total": 0,
        "pages": 1,
        "next_cursor": None,
    }


def no_counts() -> dict[str, int]:
    """Return each count a post carries (`comment_count`, ...), all 0, as a new post has them."""
    return {name: 0 for name in PostOut.model_fields if name.endswith("_count")}


def test_a_post_in_the_list_has_its_author_and_sorted_tags(client: FlaskClient) -> None:
    post = PostFactory(
        author=UserFactory(username="alice"),
        tags=[TagFactory(name="web"), TagFactory(name="a-b"), TagFactory(name="a0")],
    )

    (item,) = client.get("/api/posts").get_json()["items"]

    assert no_counts()
    assert item == {
        "id": post.id,
        "title": post.title,
        "body": post.body,
        "author": {"username": "alice"},
        "tags": ["a-b", "a0", "web"],
        **no_counts(),
        "created_at": post.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": post.updated_at.isoformat().replace("+00:00", "Z"),
    }


def test_posts_are_listed_newest_first_with_ties_broken_by_id(client: FlaskClient) -> None:
    now = utcnow()
    old = PostFactory(created_at=now - timedelta(days=1))
    same_a, same_b = PostFactory(created_at=now), PostFactory(created_at=now)
    new = PostFactory(created_at=now + timedelta(days=1))

    items = client.get("/api/posts").get_json()["items"]

    assert [item["id"] for item in items] == [new.id, same_b.id, same_a.id, old.id]


def test_paging_through_posts(client: FlaskClient) -> None:
    now = utcnow()
    posts = [PostFactory(created_at=now - timedelta(minutes=i)) for i in range(5)]

    first = client.get("/api/posts?per_page=2").get_json()
    last = client.get("/api/posts?per_page=2&page=3").get_json()
    beyond = client.get("/api/posts?per_page=2&page=4").get_json()

    assert [i["id"] for i in first["items"]] == [posts[0].id, posts[1].id]
    assert (first["page"], first["per_page"], first["total"], first["pages"]) == (1, 2, 5, 3)
    assert [i["id"] for i in last["items"]] == [posts[4].id]
    assert beyond["items"] == []
    assert beyond["total"] == 5


def test_following_cursors_walks_the_same_pages_as_page_numbers(client: FlaskClient) -> None:
    now = utcnow()
    for i in range(7):
        PostFactory(created_at=now - timedelta(minutes=i // 2))  # ties, broken by id

    by_number = [client.get(f"/api/posts?per_page=3&page={n}").get_json() for n in (1, 2, 3)]
    by_cursor = [by_number[0]]
    while by_cursor[-1]["next_cursor"]:
        cursor = by_cursor[-1]["next_cursor"]
        by_cursor.append(client.get(f"/api/posts?per_page=3&cursor={cursor}").get_json())

    assert [[i["id"] for i in p["items"]] for p in by_cursor] == [
        [i["id"] for i in p["items"]] for p in by_number
    ]
    assert [p["page"] for p in by_cursor] == [1, 2, 3]
    assert all(p["total"] == 7 and p["pages"] == 3 for p in by_cursor)
    assert by_cursor[-1]["next_cursor"] is None


def test_a_cursor_is_not_thrown_by_posts_written_meanwhile(client: FlaskClient) -> None:
    now = utcnow()
    older = [PostFactory(created_at=now - timedelta(minutes=i)) for i in range(4)]
    first = client.get("/api/posts?per_page=2").get_json()

    PostFactory(created_at=now + timedelta(minutes=1))  # would shift every page number
    second = client.get(f"/api/posts?per_page=2&cursor={first['next_cursor']}").get_json()
    page_two = client.get("/api/posts?per_page=2&page=2").get_json()

    assert [i["id"] for i in second["items"]] == [older[2].id, older[3].id]
    assert [i["id"] for i in page_two["items"]] == [older[1].id, older[2].id]


def test_cursors_work_with_filters_and_the_feed(client: FlaskClient) -> None:
    python = TagFactory(name="python")
    reader = UserFactory()
    author = UserFactory()
    reader.following.append(author)
    now = utcnow()
    posts = [
        PostFactory(author=author, tags=[python], created_at=now - timedelta(minutes=i))
        for i in range(3)
    ]
    headers = auth_headers(reader)

    for path in ("/api/posts?tag=python&per_page=2", "/api/feed?per_page=2"):
        first = client.get(path, headers=headers).get_json()
        rest = client.get(f"{path}&cursor={first['next_cursor']}", headers=headers).get_json()
        assert [i["id"] for i in first["items"] + rest["items"]] == [p.id for p in posts]
        assert (first["total"], rest["page"], rest["next_cursor"]) == (3, 2, None)


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("", id="empty"),
        pytest.param("nonsense", id="not base64 JSON"),
        pytest.param("W10", id="[]"),
        pytest.param("WzEsIngiLDFd", id="[1, 'x', 1]: not a time"),
        pytest.param("WzAsIjIwMjYtMDEtMDFUMDA6MDA6MDArMDA6MDAiLDFd", id="page 0"),
        pytest.param(
            PostCursor(2, utcnow(), 1, '["posts", null, null]').encode("another-key"),
            id="signed with another key",
        ),
    ],
)
def test_a_cursor_the_api_did_not_give_out_is_refused(client: FlaskClient, cursor: str) -> None:
    body = assert_problem(client.get(f"/api/posts?cursor={cursor}"), 422)

    assert body["errors"] == [{"parameter": "cursor", "detail": NOT_A_CURSOR}]


def cursor_after(client: FlaskClient, path: str, headers: dict[str, str] | None = None) -> str:
    cursor = client.get(path, headers=headers).get_json()["next_cursor"]
    assert isinstance(cursor, str)
    return cursor


def test_an_edited_cursor_is_refused(client: FlaskClient) -> None:
    PostFactory.create_batch(3)
    payload, signature = cursor_after(client, "/api/posts?per_page=1").split(".")
    page, created_at, post_id, scope = json.loads(base64.urlsafe_b64decode(payload + "=="))
    edited = base64.urlsafe_b64encode(
        json.dumps([page + 5, created_at, post_id, scope]).encode()
    ).decode()

    body = assert_problem(client.get(f"/api/posts?cursor={edited.rstrip('=')}.{signature}"), 422)

    assert body["errors"] == [{"parameter": "cursor", "detail": NOT_A_CURSOR}]


@pytest.mark.parametrize(
    "fields",
    [
        [1.5, "2026-01-01T00:00:00+00:00", 1, "posts"],  # a page that is no whole number
        [1, 5, 1, "posts"],  # a time that is a number
        [1, "2026-01-01T00:00:00", 1, "posts"],  # a time with no offset
        [1, "2026-01-01T00:00:00+00:00", 2**40, "posts"],  # an id beyond any row's
        [1, "2026-01-01T00:00:00+00:00", 1],  # a field short
        {"page": 1},
        "not a list",
    ],
    ids=str,
)
def test_a_cursor_signed_with_the_key_is_still_checked_field_by_field(
    client: FlaskClient, fields: Any
) -> None:
    # Whoever holds the key signs what they like; the development key is published.
    raw = base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")
    cursor = signed(raw, current_app.config["SECRET_KEY"])

    body = assert_problem(client.get(f"/api/posts?cursor={cursor}"), 422)

    assert [error["parameter"] for error in body["errors"]] == ["cursor"]


def test_a_cursor_is_signed_with_128_bits_of_hmac_sha256_of_the_secret_key(
    client: FlaskClient,
) -> None:
    PostFactory.create_batch(2)
    payload, signature = cursor_after(client, "/api/posts?per_page=1").split(".")

    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(signature + "==") == digest[:16]
    assert len(signature) == 22  # 128 bits, base64url without padding


def test_a_title_of_white_space_other_than_ascii_is_accepted(client: FlaskClient) -> None:
    response = write(client, UserFactory(), title="\u00a0", body="\u3000")

    assert response.status_code == 201
    assert (response.get_json()["title"], response.get_json()["body"]) == ("\u00a0", "\u3000")


@pytest.mark.parametrize(
    ("issued_for", "used_for"),
    [
        ("/api/posts?tag=python&per_page=1", "/api/posts?per_page=1"),
        ("/api/posts?per_page=1", "/api/posts?tag=python&per_page=1"),
        ("/api/posts?author=alice&per_page=1", "/api/posts?author=bob&per_page=1"),
        ("/api/posts?per_page=1", "/api/posts?tag=no%20such%20tag&per_page=1"),
        ("/api/feed?per_page=1", "/api/posts?per_page=1"),
    ],
)
def test_a_cursor_pages_only_the_list_it_was_given_out_for(
    client: FlaskClient, issued_for: str, used_for: str
) -> None:
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    PostFactory.create_batch(3, author=alice, tags=[TagFactory(name="python")])
    PostFactory(author=bob)
    bob.following.append(alice)
    db.session.flush()
    headers = auth_headers(bob)
    cursor = cursor_after(client, issued_for, headers)

    response = client.get(f"{used_for}&cursor={cursor}", headers=headers)

    body = assert_problem(response, 422)
    assert body["errors"] == [{"parameter": "cursor", "detail": OTHER_FILTERS}]


def test_a_cursor_allows_another_spelling_of_the_same_filters(client: FlaskClient) -> None:
    alice = UserFactory(username="alice")
    PostFactory.create_batch(3, author=alice, tags=[TagFactory(name="python")])
    cursor = cursor_after(client, "/api/posts?tag=python&author=alice&per_page=1")

    response = client.get(f"/api/posts?tag=PYTHON&author=Alice&per_page=1&cursor={cursor}")

    assert response.status_code == 200
    assert response.get_json()["page"] == 2


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=two", "page"),
        ("page=99999999999", "page"),
    ],
)
def test_page_bounds_are_enforced(client: FlaskClient, query: str, parameter: str) -> None:
    response = client.get(f"/api/posts?{query}")

    body = assert_problem(response, 422)
    assert body["errors"][0]["parameter"] == parameter


def test_filtering_by_tag_and_author(client: FlaskClient) -> None:
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    python, sql = TagFactory(name="python"), TagFactory(name="sql")
    alice_python = PostFactory(author=alice, tags=[python])
    alice_sql = PostFactory(author=alice, tags=[sql])
    bob_python = PostFactory(author=bob, tags=[python, sql])

    def ids(query: str) -> set[int]:
        return {item["id"] for item in client.get(f"/api/posts?{query}").get_json()["items"]}

    assert ids("tag=python") == {alice_python.id, bob_python.id}
    assert ids("tag=PYTHON") == {alice_python.id, bob_python.id}  # lower-cased like tags
    assert ids("author=ALICE") == {alice_python.id, alice_sql.id}
    assert ids("tag=sql&author=bob") == {bob_python.id}


@pytest.mark.parametrize("query", ["tag=nope", "author=nobody", "tag=not%20a%20tag", "author=a.b"])
def test_an_unknown_tag_or_author_gives_an_empty_page(client: FlaskClient, query: str) -> None:
    PostFactory(tags=[TagFactory()])

    response = client.get(f"/api/posts?{query}")

    assert response.status_code == 200
    assert response.get_json()["items"] == []
    assert response.get_json()["total"] == 0


@pytest.mark.parametrize("parameter", ["tag", "author"])
def test_a_nul_character_in_a_filter_is_refused(client: FlaskClient, parameter: str) -> None:
    body = assert_problem(client.get(f"/api/posts?{parameter}=a%00b"), 422)

    assert body["errors"][0]["parameter"] == parameter


# Writing


def test_writing_a_post(client: FlaskClient) -> None:
    user = UserFactory(username="alice")

    response = write(client, user, title="  Hello  ", body="First post.")

    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == f"/api/posts/{body['id']}"
    assert body["title"] == "  Hello  "  # as sent
    assert body["author"] == {"username": "alice"}
    assert body["tags"] == []  # none sent
    assert body["created_at"] == body["updated_at"]
    assert body["created_at"].endswith("Z")  # timezone-aware, in UTC
    assert {name: body[name] for name in no_counts()} == no_counts()
    assert client.get(response.headers["Location"], headers=auth_headers(user)).get_json() == body


def test_a_post_keeps_its_fields_in_the_order_of_its_model(client: FlaskClient) -> None:
    post = PostFactory()

    response = client.get(f"/api/posts/{post.id}", headers=auth_headers(post.author))

    # json.loads keeps the order the keys were sent in: Flask's provider would sort them.
    keys = list(json.loads(response.get_data()))
    assert keys == list(PostOut.model_fields)
    assert keys != sorted(keys)


def test_tags_are_normalised_deduplicated_and_created_when_missing(client: FlaskClient) -> None:
    existing = TagFactory(name="python")

    response = write(client, UserFactory(), tags=["Python", "PYTHON", "Web-Dev", "sql"])

    assert response.get_json()["tags"] == ["python", "sql", "web-dev"]
    assert rows.count("tags") == 3
    assert len(rows.tag_links(tag_id=existing.id)) == 1


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"title": "   "}, "/title"),
        ({"title": " \t\r\n\f\v"}, "/title"),
        ({"tags": [" python "]}, "/tags/0"),
        ({"tags": ["caf\u00e9"]}, "/tags/0"),
        ({"title": "x" * 201}, "/title"),
        ({"title": None}, "/title"),
        ({"body": ""}, "/body"),
        ({"body": " \n "}, "/body"),
        ({"body": "x" * 100_001}, "/body"),
        ({"tags": "python"}, "/tags"),
        ({"tags": [f"t{i}" for i in range(11)]}, "/tags"),
        ({"tags": ["ok", "not ok"]}, "/tags/1"),
        ({"tags": ["x" * 33]}, "/tags/0"),
        ({"tags": ["-python"]}, "/tags/0"),
        ({"title": "Hello\u0000"}, "/title"),
        ({"author_id": 1}, "/author_id"),
    ],
)
def test_invalid_posts_are_refused_and_leave_no_rows(
    client: FlaskClient, fields: dict[str, Any], pointer: str
) -> None:
    user = UserFactory()

    response = write(client, user, **({"tags": ["python"]} | fields))

    assert pointers(assert_problem(response, 422)) == [pointer]
    assert rows.count("posts") == 0
    assert rows.count("tags") == 0


def test_writing_needs_a_token(client: FlaskClient) -> None:
    response = client.post("/api/posts", json={"title": "Hello", "body": "First post."})

    assert_problem(response, 401)
    assert rows.count("posts") == 0


# Reading one


def test_reading_a_post(client: FlaskClient) -> None:
    post = PostFactory()

    response = client.get(f"/api/posts/{post.id}")

    assert response.status_code == 200
    assert response.get_json()["id"] == post.id


@pytest.mark.parametrize("path", ["/api/posts/999999", "/api/posts/0", "/api/posts/abc"])
def test_a_missing_post_is_not_found(client: FlaskClient, path: str) -> None:
    assert_problem(client.get(path), 404)


# Editing


def test_editing_changes_only_what_is_sent_and_moves_updated_at(client: FlaskClient) -> None:
    post = PostFactory(title="Old", tags=[TagFactory(name="keep")])
    before = client.get(f"/api/posts/{post.id}").get_json()

    response = client.patch(
        f"/api/posts/{post.id}", json={"title": "New"}, headers=auth_headers(post.author)
    )

    after = response.get_json()
    assert response.status_code == 200
    assert after["title"] == "New"
    assert after["body"] == before["body"]
    assert after["tags"] == ["keep"]
    assert after["updated_at"] > before["updated_at"]
    assert after["created_at"] == before["created_at"]


def test_editing_only_the_tags_moves_updated_at(client: FlaskClient) -> None:
    post = PostFactory(tags=[TagFactory(name="old")])
    before = client.get(f"/api/posts/{post.id}").get_json()

    response = client.patch(
        f"/api/posts/{post.id}", json={"tags": ["new"]}, headers=auth_headers(post.author)
    )

    assert response.status_code == 200
    assert response.get_json()["updated_at"] > before["updated_at"]


@pytest.mark.parametrize(
    ("tags", "expected"), [(["b", "c"], ["b", "c"]), ([], []), (["A", "a"], ["a"])]
)
def test_tags_in_a_patch_replace_the_whole_set(
    client: FlaskClient, tags: list[str], expected: list[str]
) -> None:
    a, b = TagFactory(name="a"), TagFactory(name="b")
    post = PostFactory(tags=[a, b])

    response = client.patch(
        f"/api/posts/{post.id}", json={"tags": tags}, headers=auth_headers(post.author)
    )

    assert response.get_json()["tags"] == expected
    assert rows.tag_names(post.id) == set(expected)


def test_null_tags_in_a_patch_are_refused(client: FlaskClient) -> None:
    post = PostFactory(tags=[TagFactory()])

    response = client.patch(
        f"/api/posts/{post.id}", json={"tags": None}, headers=auth_headers(post.author)
    )

    assert pointers(assert_problem(response, 422)) == ["/tags"]
    assert len(rows.tag_links(post_id=post.id)) == 1


def test_only_the_author_may_edit_or_delete_a_post(client: FlaskClient) -> None:
    post = PostFactory(title="Mine")
    intruder = auth_headers(UserFactory())

    edit = client.patch(f"/api/posts/{post.id}", json={"title": "Yours"}, headers=intruder)
    delete = client.delete(f"/api/posts/{post.id}", headers=intruder)

    assert_problem(edit, 403)
    assert_problem(delete, 403)
    db.session.refresh(post)
    assert post.title == "Mine"
    assert rows.exists("posts", post.id)


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_editing_or_deleting_a_missing_post_is_not_found(client: FlaskClient, method: str) -> None:
    headers = auth_headers(UserFactory())

    response = getattr(client, method)("/api/posts/999999", json={}, headers=headers)

    assert_problem(response, 404)


# Deleting


def test_deleting_a_post_keeps_its_tags(client: FlaskClient) -> None:
    tag = TagFactory()
    post = PostFactory(tags=[tag])

    response = client.delete(f"/api/posts/{post.id}", headers=auth_headers(post.author))

    assert response.status_code == 204
    assert not rows.exists("posts", post.id)
    assert rows.tag_links(post_id=post.id) == set()
    assert rows.exists("tags", tag.id)


# Lost updates


def version(post_id: int) -> tuple[int, Any]:
    """Return the post's version and updated_at as stored."""
    query = text("SELECT version, updated_at FROM posts WHERE id = :id")
    return tuple(db.session.execute(query, {"id": post_id}).one())  # type: ignore[return-value]


def test_an_edit_moves_the_etag_on_to_the_one_a_read_then_gives(
    client: FlaskClient, sql: StatementLog
) -> None:
    post = PostFactory()
    headers = auth_headers(post.author)

    read = client.get(f"/api/posts/{post.id}", headers=headers)
    # Title and tags at once: still one UPDATE of the post, so one version further.
    with sql.recording() as statements:
        edited = client.patch(
            f"/api/posts/{post.id}",
            json={"title": "New", "tags": ["fresh"]},
            headers=headers | {"If-Match": read.headers["ETag"]},
        )

    assert edited.status_code == 200
    assert len([s for s in statements if s.startswith("UPDATE posts ")]) == 1
    assert version(post.id)[0] == 2
    assert edited.headers["ETag"] != read.headers["ETag"]
    assert (
        client.get(f"/api/posts/{post.id}", headers=headers).headers["ETag"]
        == (edited.headers["ETag"])
    )


@pytest.mark.parametrize("change", [{}, {"title": "Same"}, {"title": "Same", "tags": ["kept"]}])
def test_an_edit_that_changes_nothing_changes_no_version(
    client: FlaskClient, sql: StatementLog, change: dict[str, Any]
) -> None:
    post = PostFactory(title="Same", tags=[TagFactory(name="kept")])
    headers = auth_headers(post.author)
    before, etag = version(post.id), client.get(f"/api/posts/{post.id}", headers=headers)

    with sql.recording() as statements:
        response = client.patch(
            f"/api/posts/{post.id}",
            json=change,
            headers=headers | {"If-Match": etag.headers["ETag"]},
        )

    assert response.status_code == 200
    assert not [s for s in statements if s.startswith(("UPDATE", "INSERT INTO post_tags"))]
    assert version(post.id) == before
    assert response.headers["ETag"] == etag.headers["ETag"]
    assert response.get_json() == etag.get_json()


def test_the_etag_covers_the_counts_so_a_like_since_the_read_refuses_the_edit(
    client: FlaskClient,
) -> None:
    post = PostFactory(title="Original")
    headers = auth_headers(post.author)
    read = client.get(f"/api/posts/{post.id}", headers=headers)
    client.put(f"/api/posts/{post.id}/like", headers=auth_headers(UserFactory()))

    refused = client.patch(
        f"/api/posts/{post.id}",
        json={"title": "Mine"},
        headers=headers | {"If-Match": read.headers["ETag"]},
    )
    again = client.get(f"/api/posts/{post.id}", headers=headers)
    applied = client.patch(
        f"/api/posts/{post.id}",
        json={"title": "Mine"},
        headers=headers | {"If-Match": again.headers["ETag"]},
    )

    assert_problem(refused, 412)
    assert again.get_json()["like_count"] == 1
    assert again.headers["ETag"] != read.headers["ETag"]
    assert applied.status_code == 200


def test_a_post_has_an_etag_per_representation_and_varies_with_the_token(
    client: FlaskClient,
) -> None:
    post = PostFactory()

    anonymous = client.get(f"/api/posts/{post.id}")
    signed_in = client.get(f"/api/posts/{post.id}", headers=auth_headers(UserFactory()))
    listed = client.get("/api/posts")

    assert "liked_by_me" in signed_in.get_json()
    assert anonymous.headers["ETag"] != signed_in.headers["ETag"]
    for response in (anonymous, signed_in, listed):
        assert "Authorization" in response.headers["Vary"]


def test_an_edit_based_on_a_stale_copy_is_refused_and_changes_nothing(client: FlaskClient) -> None:
    post = PostFactory(title="Original", tags=[TagFactory(name="kept")])
    headers = auth_headers(post.author)
    stale = client.get(f"/api/posts/{post.id}", headers=headers).headers["ETag"]
    client.patch(f"/api/posts/{post.id}", json={"title": "First edit"}, headers=headers)

    response = client.patch(
        f"/api/posts/{post.id}",
        json={"title": "Second edit", "tags": []},
        headers=headers | {"If-Match": stale},
    )

    assert_problem(response, 412)
    current = client.get(f"/api/posts/{post.id}").get_json()
    assert (current["title"], current["tags"]) == ("First edit", ["kept"])


def if_match_lines(etag: str, template: str) -> list[tuple[str, str]]:
    """Return the If-Match field lines `template` names, `|` between lines, `E` for the ETag."""
    return [("If-Match", line.replace("E", etag)) for line in template.split("|")]


@pytest.mark.parametrize("template", ["E", '"7", E', '"7",,E , ', "*", ' "7"|E'])
def test_an_edit_with_a_matching_if_match_goes_through(client: FlaskClient, template: str) -> None:
    post = PostFactory()
    headers = auth_headers(post.author)
    etag = client.get(f"/api/posts/{post.id}", headers=headers).headers["ETag"]

    response = client.patch(
        f"/api/posts/{post.id}",
        json={"title": "New"},
        headers=[*headers.items(), *if_match_lines(etag, template)],
    )

    assert response.status_code == 200
    assert response.get_json()["title"] == "New"


# Well-formed tags naming no current representation, and malformed fields (an empty one, a tag
# with something after it, `*` in a list): none lets the change through (RFC 9110 §13.1.1).
NOT_MATCHING = ['"2"', '"05"', "W/E", '""', '"\u00b9"', '"' + "1" * 5000 + '"']
MALFORMED = ["", " ", "E x", "W/Ex", "E,x", "*, E", "E|*", "**", "E|x", "e", "E;"]


@pytest.mark.parametrize("method", ["patch", "delete"])
@pytest.mark.parametrize("template", NOT_MATCHING + MALFORMED)
def test_an_if_match_naming_no_current_representation_changes_nothing(
    client: FlaskClient, method: str, template: str
) -> None:
    post = PostFactory(title="Original")
    headers = auth_headers(post.author)
    etag = client.get(f"/api/posts/{post.id}", headers=headers).headers["ETag"]
    before = version(post.id)

    response = client.open(
        f"/api/posts/{post.id}",
        method=method.upper(),
        json={"title": "New"} if method == "patch" else None,
        headers=[*headers.items(), *if_match_lines(etag, template)],
    )

    assert_problem(response, 412)
    assert version(post.id) == before
    assert client.get(f"/api/posts/{post.id}").get_json()["title"] == "Original"


@pytest.mark.parametrize("field", [" " * 7000 + "x", ", " * 3500 + "x", '"a" ' * 1750 + "x"])
def test_a_long_malformed_if_match_is_refused_at_once(client: FlaskClient, field: str) -> None:
    # A pattern that could match a run of spaces in several ways would take seconds here.
    post = PostFactory()

    started = time.monotonic()
    response = client.delete(
        f"/api/posts/{post.id}", headers=auth_headers(post.author) | {"If-Match": field}
    )

    assert_problem(response, 412)
    assert time.monotonic() - started < 1


def test_a_delete_based_on_a_stale_copy_is_refused_and_deletes_nothing(
    client: FlaskClient, sql: StatementLog
) -> None:
    post = PostFactory(tags=[TagFactory()])
    headers = auth_headers(post.author)
    stale = client.get(f"/api/posts/{post.id}", headers=headers).headers["ETag"]
    client.patch(f"/api/posts/{post.id}", json={"title": "Edited"}, headers=headers)

    refused = client.delete(f"/api/posts/{post.id}", headers=headers | {"If-Match": stale})
    current = client.get(f"/api/posts/{post.id}", headers=headers).headers["ETag"]
    with sql.recording() as statements:
        deleted = client.delete(f"/api/posts/{post.id}", headers=headers | {"If-Match": current})

    assert_problem(refused, 412)
    assert deleted.status_code == 204
    assert not rows.exists("posts", post.id)
    # Its tag links are left to ON DELETE CASCADE, though the read loaded its tags.
    assert [s.split(" WHERE")[0] for s in statements if s.startswith("DELETE")] == [
        "DELETE FROM posts"
    ]


@pytest.mark.parametrize("weak", ["", "W/"])
@pytest.mark.parametrize("signed_in", [False, True])
def test_if_none_match_with_the_current_etag_answers_304_without_a_body(
    client: FlaskClient, weak: str, signed_in: bool
) -> None:
    post = PostFactory()
    headers = auth_headers(post.author) if signed_in else {}
    read = client.get(f"/api/posts/{post.id}", headers=headers)

    response = client.get(
        f"/api/posts/{post.id}",
        headers=headers | {"If-None-Match": f'"7", {weak}{read.headers["ETag"]}'},
    )

    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == read.headers["ETag"]
    assert "Authorization" in response.headers["Vary"]


@pytest.mark.parametrize("if_none_match", ['"7"', "E x", "", '"stale"'])
def test_if_none_match_naming_no_current_etag_answers_the_post(
    client: FlaskClient, if_none_match: str
) -> None:
    post = PostFactory()
    etag = client.get(f"/api/posts/{post.id}").headers["ETag"]

    response = client.get(
        f"/api/posts/{post.id}", headers={"If-None-Match": if_none_match.replace("E", etag)}
    )

    assert response.status_code == 200
    assert response.get_json()["id"] == post.id


def test_a_read_with_a_stale_if_match_is_refused(client: FlaskClient) -> None:
    post = PostFactory()

    response = client.get(f"/api/posts/{post.id}", headers={"If-Match": '"stale"'})

    assert_problem(response, 412)


@pytest.mark.parametrize("method", ["patch", "delete"])
@pytest.mark.parametrize(
    ("if_none_match", "status"), [("*", 412), ("E", 412), ("W/E", 412), ("*x", 400)]
)
def test_a_change_with_if_none_match_naming_the_post_is_refused(
    client: FlaskClient, method: str, if_none_match: str, status: int
) -> None:
    post = PostFactory(title="Original")
    headers = auth_headers(post.author)
    etag = client.get(f"/api/posts/{post.id}", headers=headers).headers["ETag"]

    response = client.open(
        f"/api/posts/{post.id}",
        method=method.upper(),
        json={"title": "New"} if method == "patch" else None,
        headers=headers | {"If-None-Match": if_none_match.replace("E", etag)},
    )

    assert_problem(response, status)
    assert client.get(f"/api/posts/{post.id}").get_json()["title"] == "Original"


def test_a_change_with_if_none_match_naming_another_etag_goes_through(client: FlaskClient) -> None:
    post = PostFactory()

    response = client.patch(
        f"/api/posts/{post.id}",
        json={"title": "New"},
        headers=auth_headers(post.author) | {"If-None-Match": '"other"'},
    )

    assert response.status_code == 200


def test_an_edit_reads_the_post_with_a_row_lock(client: FlaskClient, sql: StatementLog) -> None:
    # FOR NO KEY UPDATE makes concurrent edits of one post take turns, and unlike FOR UPDATE
    # lets likes of it in meanwhile: both shown in tests/system/test_concurrency.py.
    post = PostFactory()

    with sql.recording() as statements:
        client.patch(
            f"/api/posts/{post.id}", json={"title": "New"}, headers=auth_headers(post.author)
        )

    reads = [s for s in statements if s.startswith("SELECT") and "posts.id =" in s]
    assert reads[0].endswith("FOR NO KEY UPDATE OF posts")


def test_an_edit_racing_another_loses_rather_than_overwrites() -> None:
    # Two sessions read the same version; the first to write wins, and the second's UPDATE
    # finds the row at another version and fails (version_id_col) instead of overwriting.
    post = PostFactory(title="Original")
    db.session.flush()
    connection = db.session.connection()
    with Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as other:
        theirs = other.get(Post, post.id)
        assert theirs is not None
        # The read ends here and its savepoint is released, so that rolling back the failed
        # write below undoes that write alone, not the other session's as well.
        other.commit()
        post.title = "Mine"
        db.session.flush()  # version 1 -> 2
        theirs.title = "Theirs"
        with pytest.raises(StaleDataError):
            other.flush()

    stored = db.session.execute(
        text("SELECT title, version FROM posts WHERE id = :id"), {"id": post.id}
    ).one()
    assert tuple(stored) == ("Mine", 2)


def test_a_body_is_bounded_in_bytes_and_answered_unescaped(client: FlaskClient) -> None:
    # A page lists a hundred bodies: bounded in characters alone, each could take four times
    # as many bytes in UTF-8, and three times that again escaped as \ud83d\ude00.
    user, emoji = UserFactory(), "\U0001f600"  # four bytes in UTF-8
    fits = emoji * (BODY_MAX_LENGTH // 4)

    written = write(client, user, body=fits)
    refused = write(client, user, body=fits + emoji)

    assert written.status_code == 201
    assert pointers(assert_problem(refused, 422)) == ["/body"]
    page = client.get("/api/posts").get_data()
    assert fits.encode() in page
    assert len(page) < BODY_MAX_LENGTH + 1000
