"""/api/tags: the tags in use with their post counts, a page at a time, and single tags."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests import rows
from tests.factories import PostFactory, TagFactory
from tests.helpers import assert_problem, auth_headers


def test_tags_in_use_are_listed_in_code_point_order_with_their_post_counts(
    client: FlaskClient,
) -> None:
    names = ["web", "ab", "a-c", "a0", "a-b", "9lives"]
    tags = {name: TagFactory(name=name) for name in names}
    PostFactory(tags=[tags[name] for name in names])
    PostFactory(tags=[tags["web"], tags["a0"]])

    response = client.get("/api/tags")

    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [item["name"] for item in items] == sorted(names)
    counts = {item["name"]: item["post_count"] for item in items}
    assert counts == {name: 2 if name in {"web", "a0"} else 1 for name in names}


def test_a_tag_no_post_carries_is_kept_but_not_listed(client: FlaskClient) -> None:
    post = PostFactory(tags=[TagFactory(name="kept"), TagFactory(name="left")])
    headers = auth_headers(post.author)
    client.patch(f"/api/posts/{post.id}", json={"tags": ["kept"]}, headers=headers)

    listed = client.get("/api/tags").get_json()

    assert [item["name"] for item in listed["items"]] == ["kept"]
    assert listed["total"] == 1
    assert client.get("/api/tags/left").get_json() == {"name": "left", "post_count": 0}
    assert rows.count("tags") == 2


def test_the_tag_list_is_paged(client: FlaskClient) -> None:
    names = [f"tag-{i:02}" for i in range(5)]
    PostFactory(tags=[TagFactory(name=name) for name in names])

    pages = [client.get(f"/api/tags?per_page=2&page={n}").get_json() for n in (1, 2, 3)]

    assert [[item["name"] for item in page["items"]] for page in pages] == [
        names[0:2],
        names[2:4],
        names[4:],
    ]
    assert {(page["total"], page["pages"]) for page in pages} == {(5, 3)}


@pytest.mark.parametrize("name", ["python", "Python", "PYTHON"])
def test_reading_a_tag_by_any_spelling_of_its_name(client: FlaskClient, name: str) -> None:
    PostFactory(tags=[TagFactory(name="python")])

    response = client.get(f"/api/tags/{name}")

    assert response.status_code == 200
    assert response.get_json() == {"name": "python", "post_count": 1}


@pytest.mark.parametrize("name", ["missing", "not%20a%20tag", "%20python%20", "%00", "x" * 40])
def test_an_unknown_tag_is_not_found(client: FlaskClient, name: str) -> None:
    assert_problem(client.get(f"/api/tags/{name}"), 404)
