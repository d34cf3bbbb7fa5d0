"""The baseline: the benchmarked requests answered with one hand-written SQL statement each.

A bare WSGI function, psycopg and SQL that builds the JSON in PostgreSQL (json_build_object,
json_agg): no framework, no ORM, no validation library. It answers the same requests as the app
with the same JSON (the benchmark checks that before it measures), so the ratio app/baseline is
the price of everything the app adds. Run it with the app's own gunicorn settings:

    gunicorn --config gunicorn.conf.py bench.baseline:app

It reads DATABASE_URL and SECRET_KEY like the app, and answers only what the benchmark asks.
"""

# Composing SQL is this module's job: it joins fixed fragments; values go in as parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

import jwt
import psycopg

from blog.config import database_url_from_env
from blog.posts import feed_listing, post_listing, signed

Environ = dict[str, Any]
StartResponse = Callable[[str, list[tuple[str, str]]], Any]

# How many statements this process has sent: exactly one per answered request, by design.
statements_sent = 0
_connections: dict[str, psycopg.Connection[Any]] = {}


def _database() -> psycopg.Connection[Any]:
    # One connection per process (and database), opened after gunicorn forks its workers.
    url = database_url_from_env().replace("postgresql+psycopg://", "postgresql://", 1)
    connection = _connections.get(url)
    if connection is None or connection.closed:
        connection = psycopg.connect(url, autocommit=True, options="-c timezone=UTC")
        _connections[url] = connection
    return connection


def _one(sql: str, parameters: dict[str, Any]) -> Any:
    global statements_sent  # noqa: PLW0603
    statements_sent += 1
    row = _database().execute(sql, parameters).fetchone()
    return None if row is None else row[0]


def _iso(column: str) -> str:
    """SQL for a timestamp as pydantic writes it: ISO 8601, 'Z', microseconds only if any."""
    return (
        f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN date_trunc('second', {column}) = {column} THEN ''"
        f" ELSE to_char({column} AT TIME ZONE 'UTC', '.US') END || 'Z'"
    )


def _python_iso(column: str) -> str:
    """SQL for a timestamp as Python's isoformat() writes it, as the app's cursors hold it."""
    return (
        f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN date_trunc('second', {column}) = {column} THEN ''"
        f" ELSE to_char({column} AT TIME ZONE 'UTC', '.US') END || '+00:00'"
    )


def _post_json(alias: str, *, viewer: bool) -> str:
    liked = (
        f", 'liked_by_me', EXISTS (SELECT 1 FROM likes WHERE likes.post_id = {alias}.id"
        " AND likes.user_id = %(viewer)s)"
        if viewer
        else ""
    )
    return f"""json_build_object(
        'id', {alias}.id,
        'title', {alias}.title,
        'body', {alias}.body,
        'author', json_build_object('username', (
            SELECT username FROM users WHERE users.id = {alias}.author_id)),
        'tags', (SELECT coalesce(json_agg(tags.name ORDER BY tags.name), '[]')
                 FROM post_tags JOIN tags ON tags.id = post_tags.tag_id
                 WHERE post_tags.post_id = {alias}.id),
        'like_count', (SELECT count(*) FROM likes WHERE likes.post_id = {alias}.id),
        'comment_count', (SELECT count(*) FROM comments WHERE comments.post_id = {alias}.id)
        {liked},
        'created_at', {_iso(f"{alias}.created_at")},
        'updated_at', {_iso(f"{alias}.updated_at")})"""


def _cursor(page: str, alias: str) -> str:
    """SQL for the payload of the app's cursor: URL-safe base64 of [page, created_at, id,
    scope], unpadded (the scope comes JSON-encoded as a parameter; Python signs the payload)."""
    created_at = _python_iso(f"{alias}.created_at")
    raw = (
        f"'[' || {page} || ',\"' || {created_at} || '\",' || {alias}.id || ',' || %(scope)s || ']'"
    )
    return f"rtrim(translate(encode(convert_to({raw}, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')"


def _post_page_sql(*, where: str, total: str, viewer: bool, by_cursor: bool) -> str:
    keyset = "AND (posts.created_at, posts.id) < (%(after_at)s, %(after_id)s)" if by_cursor else ""
    offset = "" if by_cursor else "OFFSET %(offset)s"
    return f"""
    WITH total AS (SELECT coalesce(({total}), 0) AS n),
    rows AS (
        SELECT posts.*, row_number() OVER (ORDER BY created_at DESC, id DESC) AS position FROM (
            SELECT * FROM posts WHERE {where} {keyset}
            ORDER BY created_at DESC, id DESC
            LIMIT %(per_page)s + 1 {offset}
        ) AS posts
    ),
    next AS (
        SELECT {_cursor("(%(page)s + 1)", "rows")} AS cursor FROM rows
        WHERE rows.position = %(per_page)s
        AND EXISTS (SELECT 1 FROM rows WHERE rows.position > %(per_page)s)
    )
    SELECT json_build_object(
        'items', coalesce((
            SELECT json_agg({_post_json("rows", viewer=viewer)} ORDER BY rows.position)
            FROM rows WHERE rows.position <= %(per_page)s), '[]'),
        'page', %(page)s,
        'per_page', %(per_page)s,
        'total', (SELECT n FROM total),
        'pages', greatest(1, ceil((SELECT n FROM total)::numeric / %(per_page)s)::int),
        'next_cursor', (SELECT cursor FROM next)
    )::text, (SELECT cursor FROM next)
    """


def _signed_page(sql: str, parameters: dict[str, Any]) -> str:
    """Run a page's statement and sign its cursor, as the app signs the ones it gives out."""
    global statements_sent  # noqa: PLW0603
    statements_sent += 1
    row = _database().execute(sql, parameters).fetchone()
    if row is None:
        raise RuntimeError("a page's statement returns one row")
    text, payload = row
    if payload is None:
        return str(text)
    return str(text).replace(f'"{payload}"', f'"{signed(payload, os.environ["SECRET_KEY"])}"')


def _page_parameters(query: dict[str, str], scope: str) -> dict[str, Any]:
    page, per_page = int(query.get("page", "1")), int(query.get("per_page", "20"))
    parameters: dict[str, Any] = {"page": page, "per_page": per_page, "scope": json.dumps(scope)}
    if "cursor" in query:
        import base64  # noqa: PLC0415 - only the cursor requests need it

        payload = query["cursor"].partition(".")[0]  # the baseline trusts its own signature
        page, after_at, after_id, _ = json.loads(
            base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        )
        parameters |= {"page": page, "after_at": after_at, "after_id": after_id}
    else:
        parameters["offset"] = (page - 1) * per_page
    return parameters


def posts(query: dict[str, str], viewer: int | None) -> str | None:
    """GET /api/posts, with page or cursor, and an optional tag."""
    parameters = _page_parameters(query, post_listing(tag=query.get("tag"), author=None).scope)
    if "tag" in query:
        where = (
            "EXISTS (SELECT 1 FROM post_tags JOIN tags ON tags.id = post_tags.tag_id"
            " WHERE post_tags.post_id = posts.id AND tags.name = %(tag)s)"
        )
        total = "SELECT post_count FROM tags WHERE name = %(tag)s"
        parameters["tag"] = query["tag"]
    else:
        where, total = "true", "SELECT value FROM counters WHERE name = 'posts'"
    sql = _post_page_sql(where=where, total=total, viewer=False, by_cursor="cursor" in query)
    return _signed_page(sql, parameters)


def feed(query: dict[str, str], viewer: int | None) -> str | None:
    """GET /api/feed for the signed-in user."""
    if viewer is None:
        return None
    followed = "SELECT followed_id FROM follows WHERE follower_id = %(viewer)s"
    sql = _post_page_sql(
        where=f"author_id IN ({followed})",
        total=f"SELECT sum(post_count) FROM users WHERE id IN ({followed})",
        viewer=True,
        by_cursor="cursor" in query,
    )
    parameters = _page_parameters(query, feed_listing(viewer).scope)
    return _signed_page(sql, parameters | {"viewer": viewer})


def post(post_id: int) -> str | None:
    """GET /api/posts/{id}."""
    sql = f"SELECT {_post_json('posts', viewer=False)}::text FROM posts WHERE id = %(id)s"
    result: str | None = _one(sql, {"id": post_id})
    return result


def tags(query: dict[str, str]) -> str | None:
    """GET /api/tags: a page of the tags some post carries."""
    page, per_page = int(query.get("page", "1")), int(query.get("per_page", "20"))
    sql = """
    WITH carried AS (SELECT name, post_count FROM tags WHERE post_count > 0),
    total AS (SELECT count(*) AS n FROM carried)
    SELECT json_build_object(
        'items', coalesce((
            SELECT json_agg(json_build_object('name', name, 'post_count', post_count)
                            ORDER BY name)
            FROM (SELECT * FROM carried ORDER BY name LIMIT %(per_page)s OFFSET %(offset)s) AS p
        ), '[]'),
        'page', %(page)s,
        'per_page', %(per_page)s,
        'total', (SELECT n FROM total),
        'pages', greatest(1, ceil((SELECT n FROM total)::numeric / %(per_page)s)::int)
    )::text"""
    result: str = _one(sql, {"page": page, "per_page": per_page, "offset": (page - 1) * per_page})
    return result


def comments(post_id: int, query: dict[str, str]) -> str | None:
    """GET /api/posts/{id}/comments: the flat rows in one statement, nested here."""
    page, per_page = int(query.get("page", "1")), int(query.get("per_page", "20"))
    sql = f"""
    WITH RECURSIVE roots AS (
        SELECT id FROM comments WHERE post_id = %(post)s AND parent_id IS NULL
        ORDER BY created_at, id LIMIT %(per_page)s OFFSET %(offset)s
    ), tree AS (
        SELECT id FROM roots
        UNION ALL
        SELECT comments.id FROM comments JOIN tree ON comments.parent_id = tree.id
    )
    SELECT CASE WHEN EXISTS (SELECT 1 FROM posts WHERE id = %(post)s) THEN json_build_object(
        'total', (SELECT count(*) FROM comments
                  WHERE post_id = %(post)s AND parent_id IS NULL),
        'comments', coalesce((
            SELECT json_agg(json_build_object(
                'id', comments.id,
                'body', comments.body,
                'author', json_build_object('username', users.username),
                'parent_id', comments.parent_id,
                'created_at', {_iso("comments.created_at")},
                'replies', '[]'::json
            ) ORDER BY comments.created_at, comments.id)
            FROM comments JOIN users ON users.id = comments.author_id
            WHERE comments.id IN (SELECT id FROM tree)), '[]'))::text END
    """
    found: str | None = _one(
        sql, {"post": post_id, "per_page": per_page, "offset": (page - 1) * per_page}
    )
    if found is None:
        return None
    result = json.loads(found)
    by_id = {comment["id"]: comment for comment in result["comments"]}
    roots: list[dict[str, Any]] = []
    for comment in result["comments"]:
        parent = by_id.get(comment["parent_id"])
        (parent["replies"] if parent else roots).append(comment)
    total = result["total"]
    return json.dumps(
        {
            "items": roots,
            "page": page,
            "per_page": per_page,
            "total": total,
            "pages": max(1, -(-total // per_page)),
        }
    )


def _viewer(environ: Environ) -> int | None:
    header = environ.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Bearer "):
        return None
    claims = jwt.decode(header[7:], os.environ["SECRET_KEY"], algorithms=["HS256"])
    return int(claims["sub"])


ROUTES: list[tuple[re.Pattern[str], Callable[..., str | None]]] = [
    (re.compile(r"/api/posts"), lambda m, q, v: posts(q, v)),
    (re.compile(r"/api/feed"), lambda m, q, v: feed(q, v)),
    (re.compile(r"/api/posts/(\d+)"), lambda m, q, v: post(int(m[1]))),
    (re.compile(r"/api/posts/(\d+)/comments"), lambda m, q, v: comments(int(m[1]), q)),
    (re.compile(r"/api/tags"), lambda m, q, v: tags(q)),
]


def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """Answer one request."""
    path = environ.get("PATH_INFO", "")
    query = {key: values[-1] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
    for pattern, handler in ROUTES:
        if match := pattern.fullmatch(path):
            body = handler(match, query, _viewer(environ))
            if body is not None:
                start_response("200 OK", [("Content-Type", "application/json")])
                return [body.encode()]
    start_response("404 Not Found", [("Content-Type", "application/problem+json")])
    return [b'{"type":"about:blank","title":"Not Found","status":404,"detail":"Not found."}']
