"""Every error is RFC 9457 problem details, whatever the client got wrong."""

from __future__ import annotations

import io
import json

import pytest
from apiflask import APIFlask
from flask.testing import FlaskClient
from sqlalchemy.orm.exc import StaleDataError

from blog import create_app
from blog.config import Settings
from blog.errors import CHANGED_MEANWHILE, MAX_ERRORS
from blog.framework import MAX_HEADER_BYTES, MAX_URL_BYTES, NOT_TAKEN, IdConverter
from tests import rows
from tests.factories import UserFactory
from tests.helpers import assert_problem, auth_headers, pointers


def test_an_unknown_route_is_a_404_problem(client: FlaskClient) -> None:
    assert_problem(client.get("/api/nope"), 404)


def test_a_path_with_a_doubled_slash_is_no_route_and_no_redirect(client: FlaskClient) -> None:
    # Merged, the slashes would answer 308 with a Location built from the Host header.
    response = client.post("/api//tokens", json={}, headers={"Host": "evil.example"})

    assert_problem(response, 404)
    assert "Location" not in response.headers


def test_a_wrong_method_is_a_405_problem_that_lists_the_allowed_ones(client: FlaskClient) -> None:
    response = client.put("/api/posts")

    assert_problem(response, 405)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


# Python's own words for these faults, which mean nothing to a client.
PYTHON_TERMS = ["codec", "sys.", "(char ", "utf-8-sig", "int_max_str_digits"]


@pytest.mark.parametrize(
    "data",
    [
        b'{"title": ',
        b"",
        b"\xff\xfe",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"title": "caf\xe9", "body": "b"}',  # Latin-1, not UTF-8
        json.dumps({"title": "t", "body": "b"}).encode("utf-16"),
        json.dumps({"title": "t", "body": "b"}).encode("utf-32"),
        b"\xef\xbb\xbf" + json.dumps({"title": "t", "body": "b"}).encode(),  # a UTF-8 BOM
        b'{"title": "t", "body": "b", "title": "u"}',
        b'{"title": "t", "body": "b", "tags": [NaN]}',
        b'{"title": "t", "body": "b", "tags": ' + b"9" * 5000 + b"}",
    ],
    ids=repr,
)
def test_a_body_that_is_not_json_in_utf8_is_a_400_in_the_clients_terms(
    client: FlaskClient, data: bytes
) -> None:
    user = UserFactory()

    response = client.post(
        "/api/posts", data=data, content_type="application/json", headers=auth_headers(user)
    )

    detail = assert_problem(response, 400)["detail"]
    assert not [term for term in PYTHON_TERMS if term in detail], detail
    assert rows.count("posts") == 0


def test_json_in_a_charset_other_than_utf8_is_a_415(client: FlaskClient) -> None:
    body = json.dumps({"title": "t", "body": "b"}).encode("utf-16")

    response = client.post(
        "/api/posts",
        data=body,
        content_type="application/json; charset=utf-16",
        headers=auth_headers(UserFactory()),
    )

    assert_problem(response, 415)
    assert rows.count("posts") == 0


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=",  # Werkzeug drops an empty parameter
        'application/json; charset=""',
        "application/json; charset=latin1; charset=utf-8",  # Werkzeug keeps the last
        "application/json; charset=utf-8; charset=utf-8",
    ],
)
def test_a_charset_is_utf8_once_or_not_given(client: FlaskClient, content_type: str) -> None:
    response = client.post(
        "/api/posts",
        data=json.dumps({"title": "t", "body": "b"}),
        content_type=content_type,
        headers=auth_headers(UserFactory()),
    )

    assert_problem(response, 415)
    assert rows.count("posts") == 0


@pytest.mark.parametrize("body", ["[]", '"a string"', "42", "true", "null"])
def test_a_body_that_is_not_an_object_points_at_the_whole_document(
    client: FlaskClient, body: str
) -> None:
    response = client.post("/api/users", data=body, content_type="application/json")

    assert pointers(assert_problem(response, 422)) == [""]


def test_json_pointers_escape_slash_and_tilde(client: FlaskClient) -> None:
    response = client.post("/api/users", json={"a/b~c": 1})

    assert "/a~1b~0c" in pointers(assert_problem(response, 422))


def test_an_id_too_large_for_the_database_is_simply_not_found(client: FlaskClient) -> None:
    assert_problem(client.get("/api/posts/99999999999999999999"), 404)


def test_a_body_over_the_size_limit_is_a_413_problem(client: FlaskClient) -> None:
    user = UserFactory()
    huge = '{"title": "t", "body": "' + "x" * (1024 * 1024) + '"}'

    response = client.post(
        "/api/posts", data=huge, content_type="application/json", headers=auth_headers(user)
    )

    assert_problem(response, 413)
    assert rows.count("posts") == 0


@pytest.mark.parametrize("size", [1024 * 1024 - 1, 1024 * 1024, 1024 * 1024 + 1])
def test_a_body_without_content_length_is_refused_whole_past_the_limit(
    client: FlaskClient, size: int
) -> None:
    # Chunked, as a server passes it on: no Content-Length, the stream ends where the body does.
    # The body is valid JSON padded with spaces, so a cut-off one would be applied.
    body = json.dumps({"title": "t", "body": "b"}).encode()
    response = client.post(
        "/api/posts",
        input_stream=io.BytesIO(body.ljust(size)),
        content_type="application/json",
        headers=auth_headers(UserFactory()) | {"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )

    if size > 1024 * 1024:
        assert_problem(response, 413)
        assert rows.count("posts") == 0
    else:
        assert response.status_code == 201
        assert rows.count("posts") == 1


def test_an_error_lists_a_bounded_number_of_faults(client: FlaskClient) -> None:
    body = {f"unknown-{i}": 1 for i in range(5 * MAX_ERRORS)}

    response = client.post("/api/users", json=body)

    problem = assert_problem(response, 422)
    assert len(problem["errors"]) == MAX_ERRORS
    assert str(5 * MAX_ERRORS + 3) in problem["detail"]  # the unknown ones and the 3 missing


@pytest.mark.parametrize(
    "query",
    [
        "&".join(f"p{i}=1" for i in range(5 * MAX_ERRORS)),  # to an operation that takes none
        "&".join(f"p{i}=1&p{i}=2" for i in range(5 * MAX_ERRORS)),  # each given twice
    ],
    ids=["unknown", "repeated"],
)
def test_a_query_strings_faults_are_bounded_too(client: FlaskClient, query: str) -> None:
    problem = assert_problem(client.get(f"/healthz?{query}"), 422)

    assert len(problem["errors"]) == MAX_ERRORS
    assert str(5 * MAX_ERRORS) in problem["detail"]


def test_an_unknown_query_parameter_is_refused_by_name(client: FlaskClient) -> None:
    body = assert_problem(client.get("/api/posts?per_page=5&sort=title"), 422)

    assert body["errors"] == [{"parameter": "sort", "detail": NOT_TAKEN}]


def test_a_stale_data_error_from_the_orm_is_a_412_problem(settings: Settings) -> None:
    # The app's own edits lock the row first and never meet one
    # (tests/system/test_concurrency.py); this is the answer for code that edits a versioned row
    # without that lock and loses a race (the race itself:
    # test_an_edit_racing_another_loses_rather_than_overwrites).
    app = create_app(settings)

    @app.post("/racing-edit")
    def racing_edit() -> None:
        raise StaleDataError("UPDATE statement on table 'posts' expected to update 1 row(s)")

    response = app.test_client().post("/racing-edit")

    assert assert_problem(response, 412)["detail"] == CHANGED_MEANWHILE


def test_an_over_long_url_is_a_414_problem(client: FlaskClient) -> None:
    response = client.get("/api/posts?tag=" + "a" * MAX_URL_BYTES)

    assert str(MAX_URL_BYTES) in assert_problem(response, 414)["detail"]


def test_over_large_headers_are_a_431_problem(client: FlaskClient) -> None:
    response = client.get(
        "/api/tags",
        headers={"X-A": "a" * (MAX_HEADER_BYTES // 2), "X-B": "b" * (MAX_HEADER_BYTES // 2)},
    )

    assert str(MAX_HEADER_BYTES) in assert_problem(response, 431)["detail"]


def id_routes(app: APIFlask) -> list[tuple[str, str, str]]:
    """Return (method, rule, argument) for each route with an id in its path."""
    return [
        (sorted(rule.methods - {"HEAD", "OPTIONS"})[0], rule.rule, name)
        for rule in app.url_map.iter_rules()
        for name, converter in rule._converters.items()
        if isinstance(converter, IdConverter)
    ]


@pytest.mark.parametrize(
    ("written", "status"),
    [
        ("٣", 404),  # ARABIC-INDIC DIGIT THREE: a digit to Python, not to an id
        ("\uff11", 404),  # FULLWIDTH DIGIT ONE
        ("9" * 40, 404),  # more digits than any id has
        ("9" * 4400, 414),  # more than Python's int() reads by default, in a URL too long
    ],
)
def test_an_id_in_the_path_is_ascii_digits_of_an_ids_length(
    app: APIFlask, client: FlaskClient, written: str, status: int
) -> None:
    routes = id_routes(app)
    assert routes

    for method, rule, name in routes:
        path = rule.replace(f"<id:{name}>", written).replace("<", "").replace(">", "")
        assert_problem(client.open(path, method=method), status)
