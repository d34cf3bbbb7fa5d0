"""What `make test` does not run names only routes, operations and tables the app has.

The scripts and checks outside the collected suite (scripts/, bench/ and any other folder beside
the app, its migrations, docs and tests, less each layer's collected tests/; the files at the top
of the project; the test folders that only their own make targets run) call the API and query
the database. A route or table they name that the app no longer has would fail only when someone
runs them, so this reads them instead:

- every `/api/...` and `/healthz` literal must match a route of the app's url_map, a part in
  braces (an f-string's `{post_id}`) or parentheses (a regular expression's `(\\d+)`) standing
  for any one value, the query string ignored;
- every table named in SQL (after `FROM`, `JOIN`, `INTO`, `UPDATE`, `TABLE` or `TRUNCATE`, in
  capitals, as the project writes SQL) must be a table of the models' metadata (or Alembic's
  own), unless the same file makes it for itself (a common table expression, a table it
  creates or maps for a test of its own), it is PostgreSQL's (`pg_...`) or a keyword in
  capitals (`FROM PUBLIC`);
- every operation id in a schemathesis.toml (the clients layer's, while it is there), and every
  operation imported from a generated client's `api` package, must be an operation of the
  OpenAPI document.

The files are found by walking the project, less what .gitignore leaves out, so a layer deleted
from a clone is simply not read, and one added is read without an edit here. The migrations are
not read: their history names tables that later revisions drop. The second half of this module
shows that each check finds the names in use today and fails on made-up ones.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import pytest
from apiflask import APIFlask
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from blog.db import Base
from tests.inventory import OPERATIONS

ROOT = Path(__file__).resolve().parent.parent
# The app, its migrations, its prose and the collected suite are checked in other ways.
NOT_SCANNED = {"blog", "docs", "migrations", "tests"}
# Files that can hold a script, a query or a request; data files (results, fixtures) are not read.
SUFFIXES = {"", ".py", ".sh", ".bash", ".sql", ".yml", ".yaml", ".toml", ".ini", ".cfg", ".conf"}

ROUTE = re.compile(r"""/(?:api/|healthz)(?:\{[^{}\n]*\}|\([^()\n]*\)|[^\s"'`<>(){}\\,;|])*""")
WILDCARD = re.compile(r"\{[^{}]*\}|\([^()]*\)")
TABLE = re.compile(
    r"\b(?:FROM|JOIN|INTO|UPDATE|(?<!CREATE )TABLE|TRUNCATE)\s+(?:ONLY\s+)?"
    r"([A-Za-z_][\w.]*)\b(?!\()"
)
# Tables a file makes for itself: mapped (`__tablename__ = "x"`, `Table("x", ...)`) or created.
OWN_TABLE = re.compile(
    r"""__tablename__\s*=\s*["'](\w+)["']|\bTable\(\s*["'](\w+)["']"""
    r"|CREATE TABLE\s+(?:IF NOT EXISTS\s+)?(\w+)"
)
COMMON_TABLE = re.compile(
    r"\b([A-Za-z_]\w*)(?:\s*\([\w\s,]*\))?\s+AS\s+(?:NOT\s+)?(?:MATERIALIZED\s+)?\("
)
# `from <client>.api.<tag> import a, b`, or the same with the names in parentheses.
CLIENT_IMPORT = re.compile(
    r"^\s*from +\w+\.api\.\w+ +import +(\([\w\s,]+\)|[\w ,]+$)", re.MULTILINE
)


@dataclass(frozen=True)
class Name:
    """A name a file uses, and where."""

    path: Path
    line: int
    name: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}: {self.name}"


def collected_test_folders() -> list[Path]:
    """Return the folders pytest collects for `make test`: its testpaths (tests/, each layer's)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    testpaths = config["tool"]["pytest"]["ini_options"]["testpaths"]
    return sorted(path for pattern in testpaths for path in ROOT.glob(pattern) if path.is_dir())


def uncollected_test_folders() -> list[Path]:
    """Return the folders of those that pytest's configuration keeps out of `make test`."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    skipped = set(config["tool"]["pytest"]["ini_options"]["norecursedirs"])
    return sorted(
        path
        for folder in collected_test_folders()
        for path in folder.iterdir()
        if path.is_dir() and path.name in skipped
    )


def ignored_by_git(path: Path) -> bool:
    """Say whether .gitignore keeps `path` out of the project (tooling, caches, results)."""
    relative = path.relative_to(ROOT)
    patterns = [
        line.strip().rstrip("/")
        for line in (ROOT / ".gitignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return relative.parts[0] == ".git" or any(
        relative.as_posix().startswith(pattern + "/")
        if "/" in pattern
        else any(fnmatch(part, pattern) for part in relative.parts)
        for pattern in patterns
    )


def scanned_files() -> list[Path]:
    """Return the text files of the project that the collected suite does not run."""
    collected, uncollected = collected_test_folders(), uncollected_test_folders()
    found = []
    for path in sorted(ROOT.rglob("*")):
        relative = path.relative_to(ROOT)
        if (
            not path.is_file()
            or path.suffix not in SUFFIXES
            or ignored_by_git(path)
            or (
                (relative.parts[0] in NOT_SCANNED or any(map(path.is_relative_to, collected)))
                and not any(map(path.is_relative_to, uncollected))
            )
        ):
            continue
        try:
            path.read_text()
        except UnicodeDecodeError:
            continue
        found.append(path)
    return found


def names(pattern: re.Pattern[str], path: Path, text: str | None = None) -> list[Name]:
    """Return the first group (or the whole match) of each match of `pattern` in a file."""
    text = path.read_text() if text is None else text
    return [
        Name(path, text.count("\n", 0, match.start()) + 1, match[1] if pattern.groups else match[0])
        for match in pattern.finditer(text)
    ]


def routes_named(path: Path, text: str | None = None) -> list[Name]:
    return names(ROUTE, path, text)


def tables_named(path: Path, text: str | None = None) -> list[Name]:
    """Return the tables the SQL of a file names, less those the file makes for itself.

    A Dockerfile's FROM names an image, not a table: Dockerfiles are not read for tables.
    """
    if path.name.startswith("Dockerfile"):
        return []
    text = path.read_text() if text is None else text
    own = {name.name for name in names(COMMON_TABLE, path, text)} | {
        next(group for group in match.groups() if group) for match in OWN_TABLE.finditer(text)
    }
    return [
        name
        for name in names(TABLE, path, text)
        if name.name.rpartition(".")[2] not in own
        and not name.name.startswith("pg_")
        and not name.name.isupper()  # a keyword: FROM PUBLIC, FROM STDIN
    ]


def routed(app: APIFlask, literal: str) -> bool:
    """Say whether a route of the app answers the path `literal` stands for."""
    path = WILDCARD.sub("1", re.split(r"[?#]", literal)[0]).rstrip(".:")
    try:
        app.url_map.bind("localhost").match(path, method="GET")
    except (MethodNotAllowed, RequestRedirect):
        return True
    except NotFound:
        return False
    return True


def known_table(name: str) -> bool:
    return name.rpartition(".")[2] in {*Base.metadata.tables, "alembic_version"}


OPERATION_IDS = {operation.operation_id for operation in OPERATIONS}


def imported_operations(path: Path, text: str | None = None) -> list[Name]:
    """Return the operations a file imports from a generated client's `api` package."""
    return [
        Name(path, imported.line, name.strip())
        for imported in names(CLIENT_IMPORT, path, text)
        for name in imported.name.strip("()").split(",")
        if name.strip()
    ]


def configured_operations(path: Path, text: str | None = None) -> list[Name]:
    """Return the operation ids a schemathesis.toml selects operations by."""
    config = tomllib.loads(path.read_text() if text is None else text)
    return [
        Name(path, 0, name)
        for entry in config.get("operations", [])
        for name in entry.get("include-operation-id", [])
    ]


def operations_named() -> list[Name]:
    """Return the operation ids each schemathesis.toml and each generated client's imports name."""
    return [
        name
        for path in FILES
        for name in (
            configured_operations(path)
            if path.name == "schemathesis.toml"
            else imported_operations(path)
            if path.suffix == ".py"
            else []
        )
    ]


FILES = scanned_files()
ROUTES = [name for path in FILES for name in routes_named(path)]
TABLES = [name for path in FILES for name in tables_named(path)]


def test_every_route_named_outside_the_suite_is_routed(app: APIFlask) -> None:
    unrouted = [str(name) for name in ROUTES if not routed(app, name.name)]
    assert not unrouted, "No route of the app answers these:\n" + "\n".join(unrouted)


def test_every_table_named_outside_the_suite_is_a_table_of_the_models() -> None:
    unknown = [str(name) for name in TABLES if not known_table(name.name)]
    assert not unknown, "The models have no such tables:\n" + "\n".join(unknown)


def test_every_operation_named_outside_the_suite_is_documented() -> None:
    unknown = [str(name) for name in operations_named() if name.name not in OPERATION_IDS]
    assert not unknown, "The OpenAPI document has no such operations:\n" + "\n".join(unknown)


# The checks themselves: they read today's files, and they catch a name the app does not have.


def test_the_scan_reads_the_scripts_and_the_checks_beside_the_suite() -> None:
    folders = {path.relative_to(ROOT).parent for path in FILES}

    assert Path("scripts") in folders
    assert {path.relative_to(ROOT) for path in uncollected_test_folders()} <= folders
    assert not any(path.is_relative_to(ROOT / "tests" / "api") for path in FILES)
    assert not any(path.is_relative_to(ROOT / "migrations") for path in FILES)


def test_the_scan_finds_the_names_in_use_today() -> None:
    compose_check = ROOT / "scripts" / "compose_check.py"

    assert any(name.path == compose_check for name in ROUTES)
    assert any(name.path == compose_check for name in TABLES)
    if uncollected := uncollected_test_folders():
        assert any(name.path.is_relative_to(folder) for name in ROUTES for folder in uncollected)


def test_the_scan_reads_each_schemathesis_toml_wherever_it_is() -> None:
    # A layer keeps its own (the clients layer does); deleting the layer deletes it.
    configs = {path for path in ROOT.rglob("schemathesis.toml") if not ignored_by_git(path)}

    assert configs == {path for path in FILES if path.name == "schemathesis.toml"}
    assert {name.path for name in operations_named() if name.path.suffix == ".toml"} == configs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('call("/api/posts?per_page=20")', ["/api/posts?per_page=20"]),
        ('f"/api/posts/{post["id"]}/comments"', ['/api/posts/{post["id"]}/comments']),
        ('re.compile(r"/api/posts/(\\d+)")', ["/api/posts/(\\d+)"]),
        ("printf 'GET /healthz HTTP/1.0'", ["/healthz"]),
    ],
)
def test_a_route_is_read_whole_from_its_literal(text: str, expected: list[str]) -> None:
    assert [name.name for name in routes_named(ROOT / "x.py", text)] == expected


@pytest.mark.parametrize(
    ("literal", "found"),
    [
        ("/api/posts/{post}/comments", True),
        ("/api/posts/(\\d+)", True),
        ("/healthz", True),
        ("/api/posts/{post}/no-such-thing", False),
        ("/api/no-such-things", False),
        ("/healthcheck", False),
    ],
)
def test_a_route_the_app_does_not_have_is_caught(app: APIFlask, literal: str, found: bool) -> None:
    assert routed(app, literal) is found


# A parameter of Werkzeug's default converter (`<username>`, `<string:name>`): any one segment.
STRING_PARAMETER = re.compile(r"<(?:string(?:\([^()]*\))?:)?\w+>")


def test_a_segment_of_several_parts_stands_for_one_value(app: APIFlask) -> None:
    # An f-string may build one segment of a route from several values: `{marker}-{number}`.
    rules = [r.rule for r in app.url_map.iter_rules() if STRING_PARAMETER.search(r.rule)]
    rule = max((r for r in rules if r.startswith("/api/")), key=lambda r: (r.count("/"), r))
    literal = re.sub(r"<[^<>]+>", "{value}", STRING_PARAMETER.sub("{marker}-{number}", rule))

    assert routed(app, literal), literal
    assert not routed(app, f"{literal}/no-such-thing")


def test_a_table_the_models_do_not_have_is_caught() -> None:
    sql = """
        WITH RECURSIVE tree(id) AS (SELECT id FROM comments), total AS (SELECT 1)
        SELECT * FROM tree JOIN posts ON TRUE, total, generate_series(1, 2)
        WHERE EXISTS (SELECT 1 FROM no_such_table) AND EXISTS (SELECT 1 FROM pg_stat_activity);
        INSERT INTO public.tags (name) VALUES ('x'); UPDATE nothing_here SET x = 1;
        CREATE TABLE scratch (id int); REVOKE ALL ON SCHEMA public FROM PUBLIC;
        SELECT count(*) FROM scratch JOIN mapped_here ON TRUE;
        __tablename__ = "mapped_here"
        from blog.models import Post  -- Python's lower-case from is not SQL
    """
    named = [name.name for name in tables_named(ROOT / "x.py", sql)]

    assert named == ["comments", "posts", "no_such_table", "public.tags", "nothing_here"]
    assert [name for name in named if not known_table(name)] == ["no_such_table", "nothing_here"]


def test_an_operation_the_document_does_not_have_is_caught() -> None:
    imported = (
        "from blog_api_client.api.posts import (\n    create_post,\n    no_such_operation,\n)"
    )
    configured = '[[operations]]\ninclude-operation-id = ["create_post", "no_such_operation"]\n'

    found = [name.name for name in imported_operations(ROOT / "x.py", imported)]
    selected = [name.name for name in configured_operations(ROOT / "x.toml", configured)]

    assert found == selected == ["create_post", "no_such_operation"]
    assert [name for name in found if name not in OPERATION_IDS] == ["no_such_operation"]
