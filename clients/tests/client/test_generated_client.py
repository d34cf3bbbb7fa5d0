"""The API through a Python client generated from its own OpenAPI document.

The app runs under gunicorn on a free loopback port against a fresh database, migrated, with a user
and a post of theirs (`app_server`). Its /openapi.json is fed to openapi-python-client, which must
generate the client without a single warning: it warns about a part of the document it cannot
generate, and leaves that part out, and about a formatting hook it cannot run. The generated package
is then imported from a temporary directory and drives a whole session through the real HTTP server:
sign up, sign in, write, read, edit with If-Match, like, comment, reply, follow, read the feed,
delete a post, then an account. Every answer is checked as the generated model class, not as a dict,
so a response the generator could not type fails here.

Not part of `make test`: it needs the `client` dependency group. Run it with `make client-test`.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures import app_server
from tests.servers import Server, call

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "blog_api_client"
PASSWORD = "a-password-for-the-client"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[Server]:
    # The cheapest Argon2id, as the rest of the suite uses: the scenario signs up and signs in.
    cheap_hashes = {
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST_KIB": "8",
        "ARGON2_PARALLELISM": "1",
    }
    with app_server(database_url, "client", **cheap_hashes) as server:
        yield server


@pytest.fixture(scope="module")
def document(server: Server) -> bytes:
    answer = call(server.url + "/openapi.json")
    assert answer.status == 200
    return answer.body


def generate(
    document: bytes, package: Path, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the generator on `document`, into `package`, failing on any warning."""
    package.parent.mkdir(parents=True, exist_ok=True)
    (package.parent / "openapi.json").write_bytes(document)
    # Its formatting hooks run ruff, which is next to it.
    path = os.pathsep.join([str(GENERATOR.parent), os.environ["PATH"]]) if path is None else path
    return subprocess.run(  # noqa: S603 - the generator of the running environment
        [
            str(GENERATOR),
            "generate",
            "--path",
            "openapi.json",
            "--meta",
            "none",
            "--output-path",
            str(package),
            "--fail-on-warning",
        ],
        cwd=package.parent,
        env=os.environ | {"PATH": path},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def generated(document: bytes, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Generate the client into a temporary directory, put it on sys.path, yield its folder."""
    if not GENERATOR.exists():
        pytest.fail(f"{GENERATOR} is missing: install the client group (make client-test)")
    workdir = tmp_path_factory.mktemp("client")
    package = workdir / PACKAGE
    result = generate(document, package)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(workdir))
    try:
        yield package
    finally:
        sys.path.remove(str(workdir))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def documented_operations(document: bytes) -> set[str]:
    """Return the operationId of every operation in the document."""
    return {
        operation["operationId"]
        for operations in json.loads(document)["paths"].values()
        for method, operation in operations.items()
        if method in HTTP_METHODS
    }


def parsed_answers(module: Path) -> dict[int, str | None]:
    """Return, for each status an operation module parses, the model class it builds (None
    for an answer parsed as no body)."""
    tree = ast.parse(module.read_text())
    parse = next(
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "_parse_response"
    )
    answers: dict[int, str | None] = {}
    for branch in parse.body:
        if not isinstance(branch, ast.If) or not isinstance(branch.test, ast.Compare):
            continue
        status = branch.test.comparators[0]
        assert isinstance(status, ast.Constant)
        assignment = branch.body[0]
        assert isinstance(assignment, ast.Assign)
        value = assignment.value
        model = None
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "from_dict"
            and isinstance(value.func.value, ast.Name)
        ):
            model = value.func.value.id
        answers[status.value] = model
    return answers


SMALL = {
    "openapi": "3.1.0",
    "info": {"title": "Small", "version": "1"},
    "paths": {
        "/things": {
            "get": {
                "operationId": "list_things",
                "responses": {
                    "200": {
                        "description": "The things",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        }
    },
}


def test_the_generator_warns_about_a_part_it_cannot_generate_and_leaves_it_out(
    tmp_path: Path,
) -> None:
    xml = {"required": True, "content": {"application/xml": {"schema": {"type": "object"}}}}
    send = {
        "operationId": "send_xml",
        "requestBody": xml,
        "responses": {"204": {"description": "Sent"}},
    }
    document = json.dumps(SMALL | {"paths": SMALL["paths"] | {"/xml": {"post": send}}}).encode()

    result = generate(document, tmp_path / "small")

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "warning" in output.lower()
    assert "POST /xml" in output
    generated = {path.stem for path in (tmp_path / "small" / "api").glob("*/*.py")}
    assert generated == {"__init__", "list_things"}


def test_the_generators_formatting_hooks_run_the_ruff_beside_it(tmp_path: Path) -> None:
    document = json.dumps(SMALL).encode()
    empty = tmp_path / "nothing-on-path"
    empty.mkdir()

    without = generate(document, tmp_path / "without" / "small", path=str(empty))
    beside = generate(document, tmp_path / "beside" / "small")

    assert without.returncode != 0
    assert "ruff is not in PATH" in without.stdout + without.stderr
    assert beside.returncode == 0, beside.stdout + beside.stderr
    formatted = subprocess.run(  # noqa: S603 - the ruff of the running environment
        [str(GENERATOR.parent / "ruff"), "format", "--check", "."],
        cwd=tmp_path / "beside" / "small",
        capture_output=True,
        text=True,
        check=False,
    )
    assert formatted.returncode == 0, formatted.stdout


def test_every_operation_gets_a_typed_answer(document: bytes, generated: Path) -> None:
    modules = {path.stem: path for path in (generated / "api").glob("*/*.py")}
    modules.pop("__init__", None)
    answers = {name: parsed_answers(path) for name, path in modules.items()}

    assert set(answers) == documented_operations(document)
    # 204 and 304 have no content by definition (RFC 9110, 15.3.5 and 15.4.5): no model to type.
    untyped = {
        name: statuses
        for name, statuses in answers.items()
        if any(model is None and status not in {204, 304} for status, model in statuses.items())
    }
    assert untyped == {}
    errors = {model for statuses in answers.values() for s, model in statuses.items() if s >= 400}
    assert errors == {"Problem"}
    typed = sorted(
        name
        for name, statuses in answers.items()
        if any(model for status, model in statuses.items() if status < 300)
    )
    print(
        f"\n{len(answers)} operations generated: {len(typed)} answer a typed model, "
        f"{len(answers) - len(typed)} answer 204 without a body; every error is a Problem."
    )


def test_a_whole_session_through_the_generated_client(server: Server, generated: Path) -> None:
    from blog_api_client import AuthenticatedClient, Client
    from blog_api_client.api.comments import create_comment, get_comment, list_comments
    from blog_api_client.api.feed import get_feed
    from blog_api_client.api.posts import create_post, delete_post, get_post, like_post, update_post
    from blog_api_client.api.tags import get_tag
    from blog_api_client.api.tokens import create_token
    from blog_api_client.api.users import (
        create_user,
        delete_me,
        follow,
        get_me,
        get_user,
        list_followers,
    )
    from blog_api_client.models import (
        CommentCreate,
        CommentOut,
        CommentPage,
        PasswordConfirmation,
        PostCreate,
        PostOut,
        PostPage,
        PostUpdate,
        Problem,
        TagOut,
        TokenOut,
        TokenRequest,
        UserCreate,
        UserOut,
        UserPage,
        UserProfileOut,
    )
    from blog_api_client.types import Unset

    anonymous = Client(base_url=server.url, raise_on_unexpected_status=True)

    def sign_up(username: str) -> AuthenticatedClient:
        created = create_user.sync_detailed(
            client=anonymous,
            body=UserCreate(username=username, email=f"{username}@example.com", password=PASSWORD),
        )
        assert created.status_code == 201
        assert isinstance(created.parsed, UserOut)
        assert created.parsed.username == username
        assert created.headers["Location"].endswith(f"/api/users/{username}")
        token = create_token.sync(
            client=anonymous, body=TokenRequest(username=username, password=PASSWORD)
        )
        assert isinstance(token, TokenOut)
        assert token.token_type == "bearer"
        assert token.expires_in > 0
        return AuthenticatedClient(
            base_url=server.url, token=token.access_token, raise_on_unexpected_status=True
        )

    writer = sign_up("writer")
    reader = sign_up("reader")
    me = get_me.sync(client=writer)
    assert isinstance(me, UserOut)
    assert me.username == "writer"

    # Write a post with tags; its ETag comes with it.
    created = create_post.sync_detailed(
        client=writer,
        body=PostCreate(title="Generated", body="Written by a generated client.", tags=["Gen"]),
    )
    assert created.status_code == 201
    post = created.parsed
    assert isinstance(post, PostOut)
    assert post.tags == ["gen"]
    assert post.author.username == "writer"
    assert created.headers["Location"].endswith(f"/api/posts/{post.id}")

    # Read it back anonymously: no liked_by_me, so another representation, another ETag.
    read = get_post.sync_detailed(post.id, client=anonymous)
    assert isinstance(read.parsed, PostOut)
    assert isinstance(read.parsed.liked_by_me, Unset)
    assert read.headers["ETag"] != created.headers["ETag"]
    # Read as the writer, the ETag to edit with: the one the post came with.
    etag = get_post.sync_detailed(post.id, client=writer).headers["ETag"]
    assert etag == created.headers["ETag"]

    # Edit with If-Match: applied once, refused with the stale ETag.
    edited = update_post.sync_detailed(
        post.id, client=writer, body=PostUpdate(title="Generated, edited"), if_match=etag
    )
    assert edited.status_code == 200
    assert isinstance(edited.parsed, PostOut)
    assert edited.parsed.title == "Generated, edited"
    assert edited.headers["ETag"] != etag
    stale = update_post.sync_detailed(
        post.id, client=writer, body=PostUpdate(body="Lost update"), if_match=etag
    )
    assert stale.status_code == 412
    assert isinstance(stale.parsed, Problem)
    assert stale.parsed.status == 412

    # Like it, and comment on it with a reply.
    assert like_post.sync_detailed(post.id, client=reader).status_code == 204
    liked = get_post.sync(post.id, client=reader)
    assert isinstance(liked, PostOut)
    assert liked.like_count == 1
    assert liked.liked_by_me is True
    comment = create_comment.sync(post.id, client=reader, body=CommentCreate(body="First!"))
    assert isinstance(comment, CommentOut)
    assert comment.parent_id is None
    reply = create_comment.sync(
        post.id, client=writer, body=CommentCreate(body="Thanks.", parent_id=comment.id)
    )
    assert isinstance(reply, CommentOut)
    assert reply.parent_id == comment.id
    thread = list_comments.sync(post.id, client=anonymous)
    assert isinstance(thread, CommentPage)
    assert [c.id for c in thread.items] == [comment.id]
    assert isinstance(thread.items[0].replies[0], CommentOut)
    assert [r.id for r in thread.items[0].replies] == [reply.id]
    fetched = get_comment.sync(comment.id, client=anonymous)
    assert isinstance(fetched, CommentOut)
    assert fetched.replies[0].body == "Thanks."

    # Follow the writer: the post is in the reader's feed.
    assert follow.sync_detailed("writer", client=reader).status_code == 204
    followers = list_followers.sync("writer", client=anonymous)
    assert isinstance(followers, UserPage)
    assert [user.username for user in followers.items] == ["reader"]
    profile = get_user.sync("writer", client=anonymous)
    assert isinstance(profile, UserProfileOut)
    assert (profile.post_count, profile.follower_count) == (1, 1)
    feed = get_feed.sync(client=reader, per_page=10)
    assert isinstance(feed, PostPage)
    assert [item.id for item in feed.items] == [post.id]
    assert isinstance(feed.items[0], PostOut)
    tag = get_tag.sync("gen", client=anonymous)
    assert isinstance(tag, TagOut)
    assert tag.post_count == 1

    # Delete it with the current ETag: gone, and a read is a typed 404.
    current = get_post.sync_detailed(post.id, client=writer).headers["ETag"]
    assert delete_post.sync_detailed(post.id, client=writer, if_match=current).status_code == 204
    gone = get_post.sync_detailed(post.id, client=anonymous)
    assert gone.status_code == 404
    assert isinstance(gone.parsed, Problem)
    assert isinstance(get_feed.sync(client=reader), PostPage)

    # The reader deletes their account, which needs their password: a wrong one is a typed 403
    # and changes nothing; with the right one it is gone, and its token with it.
    wrong = delete_me.sync_detailed(
        client=reader, body=PasswordConfirmation(current_password="not-the-password")
    )
    assert wrong.status_code == 403
    assert isinstance(wrong.parsed, Problem)
    assert isinstance(get_me.sync(client=reader), UserOut)
    deleted = delete_me.sync_detailed(
        client=reader, body=PasswordConfirmation(current_password=PASSWORD)
    )
    assert deleted.status_code == 204
    assert get_me.sync_detailed(client=reader).status_code == 401
    # A client that still sends the dead token signs up and in again: those ignore it.
    again = create_user.sync_detailed(
        client=reader,
        body=UserCreate(username="reader", email="reader@example.com", password=PASSWORD),
    )
    assert again.status_code == 201
    token = create_token.sync(
        client=reader, body=TokenRequest(username="reader", password=PASSWORD)
    )
    assert isinstance(token, TokenOut)
