"""/api/tags: every tag with its post count, and single tags."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.factories import PostFactory, TagFactory
from tests.helpers import assert_problem


def test_tags_are_listed_in_code_point_order_with_their_post_counts(client: FlaskClient) -> None:
    names = ["web", "ab", "a-c", "a0", "a-b", "9lives"]
    tags = {name: TagFactory(name=name) for name in names}
    PostFactory(tags=[tags["web"], tags["a0"]])
    PostFactory(tags=[tags["web"]])

    response = client.get("/api/tags")

    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [item["name"] for item in items] == sorted(names)
    counts = {item["name"]: item["post_count"] for item in items}
    assert counts == {"web": 2, "a0": 1, "ab": 0, "a-c": 0, "a-b": 0, "9lives": 0}


@pytest.mark.parametrize("name", ["python", "Python", "PYTHON"])
def test_reading_a_tag_by_any_spelling_of_its_name(client: FlaskClient, name: str) -> None:
    PostFactory(tags=[TagFactory(name="python")])

    response = client.get(f"/api/tags/{name}")

    assert response.status_code == 200
    assert response.get_json() == {"name": "python", "post_count": 1}


@pytest.mark.parametrize("name", ["missing", "not%20a%20tag", "%20python%20", "%00", "x" * 40])
def test_an_unknown_tag_is_not_found(client: FlaskClient, name: str) -> None:
    assert_problem(client.get(f"/api/tags/{name}"), 404)
