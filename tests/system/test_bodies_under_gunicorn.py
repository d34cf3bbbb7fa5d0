"""Request bodies as gunicorn hands them over: it reads chunked framing itself and tells the app
that the input ends where the body does, so the app must find a body cut short, or framed
wrongly, itself. Each request is sent byte for byte over a socket, as a client could."""

from __future__ import annotations

import json
import secrets
import socket
from collections.abc import Iterator

import pytest

from blog.errors import WRONG_CREDENTIALS
from tests.databases import migrate
from tests.fixtures import sibling_database
from tests.servers import APP, Server, running, server_environment

# A sign-in with a body that would be read (and answered 401) were it taken as it came.
SIGN_IN = json.dumps({"username": "alice", "password": "not-her-password"}).encode()


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[Server]:
    with sibling_database(database_url, "bodies") as url:
        migrate(url)
        environ = server_environment(
            BLOG_ENV="production",
            DATABASE_URL=url,
            SECRET_KEY=secrets.token_urlsafe(48),
            GUNICORN_ACCESS_LOG="",
        )
        with running(APP, environ) as server:
            yield server


def exchange(server: Server, head: bytes, body: bytes) -> tuple[int, dict[str, object]]:
    """Send a POST /api/tokens of these headers and body bytes, then end the sending side;
    return the status and the problem the answer carries."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(
            b"POST /api/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + head
            + b"Connection: close\r\n\r\n"
            + body
        )
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, json.loads(answer.partition(b"\r\n\r\n")[2])


@pytest.mark.parametrize(
    ("head", "body"),
    [
        # The chunk's size is not hexadecimal.
        (b"Transfer-Encoding: chunked\r\n", b"zz\r\n" + SIGN_IN + b"\r\n0\r\n\r\n"),
        # The chunk's data is not followed by CRLF.
        (b"Transfer-Encoding: chunked\r\n", b"%x\r\n" % len(SIGN_IN) + SIGN_IN + b"XX0\r\n\r\n"),
        # Fewer bytes than Content-Length says, then the client stops sending.
        (b"Content-Length: %d\r\n" % (len(SIGN_IN) + 60), SIGN_IN),
    ],
    ids=["bad chunk size", "chunk without its CRLF", "shorter than Content-Length"],
)
def test_a_body_framed_wrongly_or_cut_short_is_a_400(
    server: Server, head: bytes, body: bytes
) -> None:
    status, problem = exchange(server, head, body)

    assert (status, problem["status"]) == (400, 400)
    assert "Traceback" not in server.output()


def test_a_whole_chunked_body_is_read_as_it_came(server: Server) -> None:
    body = b"%x\r\n" % len(SIGN_IN) + SIGN_IN + b"\r\n0\r\n\r\n"

    status, problem = exchange(server, b"Transfer-Encoding: chunked\r\n", body)

    assert status == 401  # read whole: nobody is called alice here
    assert problem["type"] == WRONG_CREDENTIALS.uri
