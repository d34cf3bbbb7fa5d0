"""The API through a TypeScript client generated from its own OpenAPI document.

The app runs under gunicorn on a free loopback port against a fresh database, migrated, with a user
and a post of theirs (`app_server`). npm installs the tools that package.json beside this file
pins, as package-lock.json locks them, into a temporary directory: openapi-typescript, which turns
/openapi.json into types with its default options and must not warn; TypeScript, whose
`tsc --strict` compiles every program here; openapi-fetch, the client those types drive; and Node's
own types. Then:

- the generated types must let a client leave out every property of a request body that the
  document does not require, and only those (a program written here from the document, which
  must compile);
- session.ts, a client's session, must compile and then run against the server: sign up, sign
  in as the new user and as the server's user, write a post with no tags, read it, list it, like it,
  comment with no parent, follow, read the feed, delete. Each answer is checked at run time,
  with check.ts, against the generated type it claims to be, and between them the answers
  cover every schema that the document's responses use.

The tests after those show that the checks can fail: the generated types make a property that
has a `default` required, check.ts refuses an answer that is not its type, and the compiler
refuses a check that does not follow its type.

Not part of `make test`: it needs Node.js 20 or later with npm, and npm's registry (or its
cache). Run it with `make ts-client-test`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures import SERVED_PASSWORD, SERVED_USER, app_server
from tests.servers import Server, call

HERE = Path(__file__).resolve().parent
# The pinned tools, installed with `npm ci`; the programs, compiled and run.
TOOLS = ("package.json", "package-lock.json")
PROGRAMS = ("check.ts", "session.ts")
# Node 20's JavaScript, as ES modules (package.json says "type": "module").
TSC = ["--strict", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext"]
# What openapi-typescript prints before a warning and before an error.
GENERATOR_PROBLEM = re.compile("[\u26a0\u2718]")
TSC_ERROR = re.compile(r"^(?P<file>[\w.]+)\((?P<line>\d+),\d+\): error", re.MULTILINE)
# A run-time check of a component schema in session.ts.
CHECKER = re.compile(r'object<Schemas\["(\w+)"\]>')
QUIET = {"NO_COLOR": "1", "FORCE_COLOR": "0", "npm_config_update_notifier": "false"}


def run(command: list[str], cwd: Path, **environ: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the pinned tools and the programs of this folder
        command,
        cwd=cwd,
        env=os.environ | QUIET | environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture(scope="module")
def toolchain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Install the pinned tools into a temporary directory and return it."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not on PATH: the TypeScript client needs Node.js 20 or later and npm")
    workdir = tmp_path_factory.mktemp("typescript")
    for name in TOOLS:
        shutil.copy(HERE / name, workdir / name)
    installed = run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], workdir)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return workdir


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[Server]:
    # The cheapest Argon2id, as the rest of the suite uses: the session signs up and signs in.
    cheap_hashes = {
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST_KIB": "8",
        "ARGON2_PARALLELISM": "1",
    }
    with app_server(database_url, "typescript", **cheap_hashes) as server:
        yield server


@pytest.fixture(scope="module")
def document(server: Server) -> bytes:
    answer = call(server.url + "/openapi.json")
    assert answer.status == 200
    return answer.body


def workspace(toolchain: Path, name: str, document: bytes) -> Path:
    """Make a folder under the tools for one program, with api.ts generated from `document`."""
    folder = toolchain / name
    folder.mkdir()
    (folder / "openapi.json").write_bytes(document)
    generator = toolchain / "node_modules" / ".bin" / "openapi-typescript"
    generated = run([str(generator), "openapi.json", "--output", "api.ts"], folder)
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0, output
    assert not GENERATOR_PROBLEM.search(output), output
    return folder


def compile_program(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Compile with tsc --strict into folder/build; `arguments` name the files, after any
    more options."""
    tsc = folder.parent / "node_modules" / ".bin" / "tsc"
    return run([str(tsc), *TSC, "--outDir", "build", *arguments], folder)


def compiler_errors(folder: Path, compiled: subprocess.CompletedProcess[str]) -> str:
    """Return tsc's output with the source line of each error under it."""
    lines = [compiled.stdout + compiled.stderr]
    for error in TSC_ERROR.finditer(compiled.stdout):
        source = (folder / error["file"]).read_text().splitlines()[int(error["line"]) - 1]
        lines.append(f"{error['file']}:{error['line']}: {source.strip()}")
    return "\n".join(lines)


def referred(value: object) -> set[str]:
    """Return the names of the component schemas that `value` refers to with `$ref`."""
    if isinstance(value, dict):
        own = {value["$ref"].rsplit("/", 1)[1]} if isinstance(value.get("$ref"), str) else set()
        return own.union(*map(referred, value.values()))
    if isinstance(value, list):
        return set().union(*map(referred, value))
    return set()


def response_schemas(document: bytes) -> set[str]:
    """Return the component schemas that answers use, those nested in others included."""
    spec = json.loads(document)
    schemas = spec["components"]["schemas"]
    found = referred(
        [
            operation["responses"]
            for operations in spec["paths"].values()
            for operation in operations.values()
            if isinstance(operation, dict) and "responses" in operation
        ]
    )
    while nested := referred([schemas[name] for name in found]) - found:
        found |= nested
    return found


def request_schemas(document: bytes) -> dict[str, Any]:
    """Return the component schemas that request bodies refer to, by name."""
    spec = json.loads(document)
    names = {
        media["schema"]["$ref"].rsplit("/", 1)[1]
        for operations in spec["paths"].values()
        for operation in operations.values()
        if isinstance(operation, dict) and "requestBody" in operation
        for media in operation["requestBody"]["content"].values()
    }
    return {name: spec["components"]["schemas"][name] for name in sorted(names)}


def test_what_a_request_may_leave_out_is_optional_in_the_generated_types(
    toolchain: Path, document: bytes
) -> None:
    folder = workspace(toolchain, "requests", document)
    schemas = request_schemas(document)
    lines = [
        'import type { components } from "./api.js";',
        'type Schemas = components["schemas"];',
        "type Optional<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? K : never }[keyof T];",
        "type Needed<T> = Exclude<keyof T, Optional<T>>;",
    ]
    for name, schema in schemas.items():
        properties = sorted(schema["properties"])
        required = sorted(schema.get("required", []))
        optional = [field for field in properties if field not in required]
        # One line per property, so that an error points at the field.
        for field in optional:
            lines.append(f'export const {name}_{field}: Optional<Schemas["{name}"]> = "{field}";')
        for field in required:
            lines.append(f'export const {name}_{field}: Needed<Schemas["{name}"]> = "{field}";')
    (folder / "requests.ts").write_text("\n".join(lines) + "\n")

    compiled = compile_program(folder, "requests.ts")

    # openapi-typescript makes a property that has a `default` required.
    assert compiled.returncode == 0, (
        "Where the generated types and the document differ on what a body may leave out:\n"
        + compiler_errors(folder, compiled)
    )
    print(f"\n{len(schemas)} request bodies, each property optional where the document says.")


def test_a_session_through_the_generated_client_compiles_and_runs(
    toolchain: Path, server: Server, document: bytes
) -> None:
    checked = set(CHECKER.findall((HERE / "session.ts").read_text()))
    assert checked == response_schemas(document), "session.ts checks each answer's type"
    folder = workspace(toolchain, "session", document)
    for name in PROGRAMS:
        shutil.copy(HERE / name, folder / name)

    # An unused check would be a type no answer of the session is checked against.
    compiled = compile_program(folder, "--noUnusedLocals", "session.ts")

    assert compiled.returncode == 0, compiler_errors(folder, compiled)
    session = run(
        ["node", "build/session.js"],
        folder,
        BLOG_URL=server.url,
        READER_USER=SERVED_USER,
        READER_PASSWORD=SERVED_PASSWORD,
    )
    assert session.returncode == 0, session.stdout + session.stderr
    print("\n" + session.stdout, end="")


SMALL = {
    "openapi": "3.1.0",
    "info": {"title": "Small", "version": "1"},
    "paths": {},
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "labels": {"type": "array", "items": {"type": "string"}, "default": []},
                },
                "required": ["name"],
                "additionalProperties": False,
            }
        }
    },
}
WITHOUT_LABELS = """
import type { components } from "./api.js";
export const thing: components["schemas"]["Thing"] = { name: "a thing" };
"""


def test_the_generated_types_require_a_property_that_has_a_default(toolchain: Path) -> None:
    without_default = json.loads(json.dumps(SMALL))
    del without_default["components"]["schemas"]["Thing"]["properties"]["labels"]["default"]
    compiled = {}
    for name, document in (("default", SMALL), ("no-default", without_default)):
        folder = workspace(toolchain, name, json.dumps(document).encode())
        (folder / "thing.ts").write_text(WITHOUT_LABELS)
        compiled[name] = compile_program(folder, "thing.ts")

    assert compiled["default"].returncode != 0
    assert "Property 'labels' is missing" in compiled["default"].stdout
    assert compiled["no-default"].returncode == 0, compiled["no-default"].stdout


CHECKED = """
import { int, list, nullable, object, optional, str } from "./check.js";
const thing = object<{ id: number; name: string | null; tags?: string[] }>({
    id: int,
    name: nullable(str),
    tags: optional(list(str)),
});
const answers: Record<string, unknown> = {
    "as typed": { id: 1, name: null, tags: ["a"] },
    "an optional field left out": { id: 1, name: "a" },
    "a field the type lacks": { id: 1, name: "a", extra: true },
    "a required field left out": { name: "a" },
    "null where the type has no null": { id: null, name: "a" },
    "a number that is not an integer": { id: 1.5, name: "a" },
    "a wrong item in a list": { id: 1, name: "a", tags: [1] },
};
const outcomes: Record<string, string> = {};
for (const [name, answer] of Object.entries(answers)) {
    try {
        thing(answer, "thing");
        outcomes[name] = "accepted";
    } catch (error) {
        outcomes[name] = String(error);
    }
}
console.log(JSON.stringify(outcomes));
"""


def test_the_run_time_checks_refuse_an_answer_that_is_not_its_type(toolchain: Path) -> None:
    folder = workspace(toolchain, "checks", json.dumps(SMALL).encode())
    shutil.copy(HERE / "check.ts", folder / "check.ts")
    (folder / "checked.ts").write_text(CHECKED)
    compiled = compile_program(folder, "checked.ts")
    assert compiled.returncode == 0, compiler_errors(folder, compiled)

    ran = run(["node", "build/checked.js"], folder)

    assert ran.returncode == 0, ran.stderr
    outcomes = json.loads(ran.stdout)
    accepted = {name for name, outcome in outcomes.items() if outcome == "accepted"}
    assert accepted == {"as typed", "an optional field left out"}
    assert "thing: fields its type does not have: extra" in outcomes["a field the type lacks"]
    assert "thing.id" in outcomes["a required field left out"]
    assert "thing.tags[0]" in outcomes["a wrong item in a list"]


SHAPES = """
import { bool, int, nullable, object, optional, str } from "./check.js";
type Thing = { id: number; name: string; liked?: boolean };
const liked = optional(bool);
export const right = object<Thing>({ id: int, name: str, liked });
export const present = object<Thing>({ id: int, name: str, liked: bool });
export const short = object<Thing>({ id: int, liked }); // refused
export const long = object<Thing>({ id: int, name: str, liked, more: str }); // refused
export const loose = object<Thing>({ id: int, name: optional(str), liked }); // refused
export const nulls = object<Thing>({ id: int, name: nullable(str), liked }); // refused
export const wrong = object<Thing>({ id: str, name: str, liked }); // refused
"""


def test_the_compiler_refuses_a_check_that_does_not_follow_its_type(toolchain: Path) -> None:
    folder = workspace(toolchain, "shapes", json.dumps(SMALL).encode())
    shutil.copy(HERE / "check.ts", folder / "check.ts")
    (folder / "shapes.ts").write_text(SHAPES)

    compiled = compile_program(folder, "shapes.ts")

    refused = {
        number for number, line in enumerate(SHAPES.splitlines(), 1) if line.endswith("// refused")
    }
    assert compiled.returncode != 0
    assert {int(error["line"]) for error in TSC_ERROR.finditer(compiled.stdout)} == refused
