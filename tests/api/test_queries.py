"""How many SQL statements a request costs: the same for 5 posts as for 50 (no N+1)."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.factories import PostFactory, TagFactory, UserFactory
from tests.helpers import StatementLog, auth_headers


def statements_for(client: FlaskClient, sql: StatementLog, path: str) -> list[str]:
    with sql.recording() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return statements


def posts_with_authors_and_tags(count: int) -> None:
    tags = TagFactory.create_batch(3)
    for _ in range(count):
        PostFactory(author=UserFactory(), tags=tags)


def test_listing_5_or_50_posts_costs_the_same_three_statements(
    client: FlaskClient, sql: StatementLog
) -> None:
    posts_with_authors_and_tags(50)

    five = statements_for(client, sql, "/api/posts?per_page=5")
    fifty = statements_for(client, sql, "/api/posts?per_page=50")

    assert len(five) == len(fifty) == 3
    # A count for the pager, the page of posts with their authors joined in, and one
    # SELECT ... IN for all their tags.
    assert fifty[0].startswith("SELECT count(*)")
    assert "JOIN users" in fifty[1]
    assert "JOIN tags" in fifty[2]


def test_reading_one_post_costs_two_statements(client: FlaskClient, sql: StatementLog) -> None:
    post = PostFactory(tags=TagFactory.create_batch(3))

    assert len(statements_for(client, sql, f"/api/posts/{post.id}")) == 2


def test_listing_tags_is_one_statement(client: FlaskClient, sql: StatementLog) -> None:
    PostFactory(tags=TagFactory.create_batch(5))

    assert len(statements_for(client, sql, "/api/tags")) == 1


def test_writing_a_post_does_not_load_the_authors_other_posts(
    client: FlaskClient, sql: StatementLog
) -> None:
    user = UserFactory()
    PostFactory.create_batch(3, author=user)
    headers = auth_headers(user)

    with sql.recording() as statements:
        response = client.post(
            "/api/posts", json={"title": "T", "body": "B", "tags": ["x"]}, headers=headers
        )

    assert response.status_code == 201
    assert not any("WHERE %(param_1)s::INTEGER = posts.author_id" in s for s in statements)
