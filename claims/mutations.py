"""Change each relationship option and each ondelete of blog/models.py, one at a time, and run
the model tests on the result: each change must make at least one of them fail.

    python -m claims.mutations            # every mutation (make mutations)
    python -m claims.mutations --list     # list them, run nothing
    python -m claims.mutations --only User.posts --jobs 2
    python -m claims.mutations --resume report.txt   # only what an earlier report lacks

The mutations are derived from the models, not listed by hand. The script reads blog/models.py
(each `relationship()` and each `ForeignKey()`), asks the mappers what each relationship is (its
direction, whether it holds a list, its cascade), and changes one option at a time to another
value that SQLAlchemy takes:

- `back_populates`: left out, or naming another relationship of the other class that leads
  back to this one;
- `cascade`: each cascade it has taken away, each it lacks added (`delete-orphan` only on a
  one-to-many side: elsewhere SQLAlchemy wants `single_parent=True` with it);
- `passive_deletes`: `True` taken away; `"all"` where nothing is deleted through the
  relationship; `True` given to a many-to-one side;
- `uselist` flipped or left out; `lazy` set to each other strategy; `order_by` given to a
  collection; `viewonly=True`;
- `primaryjoin` and `secondaryjoin` swapped, on one side and on both; `remote_side` moved or
  left out;
- each `ondelete="CASCADE"` set to each other action, or left out.

A mutation that cannot change what the models do (an option left out, or spelt out, whose value
SQLAlchemy works out the same way without it) is listed with its reason and not run. Each other
one runs in a copy of the tree in which only blog/models.py differs (the working tree is never
written): first `python -m claims.probe`, which configures the mappers, then, unless that
decided it, the model tests and the migration drift test (tests/models/ and
test_the_migrations_and_the_models_agree of tests/test_migrations.py), stopping at the first
failure. Its outcome:

- killed: a test failed; the report names the first;
- killed at configuration: SQLAlchemy warned while configuring the mappers; the suite turns
  every warning into an error, so every run of it fails;
- refused: SQLAlchemy raised while configuring the mappers: the value is not valid there;
- survived: every test passed.

The script exits with status 1 if a mutation survived or could not be run. Before the
mutations, the unchanged models are run too, and must pass. The test database is built
once by the migrations (they do not read the models' options) and shared by the runs, through
a conftest.py the copy's tests/ is given: every test rolls back what it did. It is named after
TEST_DATABASE_URL (or the suite's default) with `_mutants<job>` added, and dropped at the end.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.orm import RelationshipDirection, RelationshipProperty, configure_mappers

from blog.config import normalise_database_url
from blog.db import Base
from tests.databases import drop, migrate, recreate

ROOT = Path(__file__).resolve().parent.parent
MODELS = Path("blog") / "models.py"
MODEL_TESTS = "tests/models"
# Run first, alone, and only for the relationships changed: they catch most mutations, in
# seconds. The rest of the model tests and the drift test run only if these all pass.
FIRST = ["tests/models/test_options.py", "tests/models/test_relationship_pairs.py"]
DRIFT_TEST = "tests/test_migrations.py::test_the_migrations_and_the_models_agree"
DEFAULT_TEST_DATABASE_URL = "postgresql+psycopg://postgres:postgres@localhost:5432/blog_test"
CASCADES = ["save-update", "merge", "refresh-expire", "expunge", "delete", "delete-orphan"]
ALL = set(CASCADES[:5])  # what cascade="all" stands for
SCALAR_STRATEGIES = ["select", "joined", "selectin", "raise", "noload"]
COLLECTION_STRATEGIES = [*SCALAR_STRATEGIES, "write_only", "dynamic"]
ON_DELETE = ["CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION"]
CAUGHT = ("killed", "killed at configuration")
TIMEOUT = 900
# Alembic's context is one per process: the jobs' threads build their databases one at a time.
BUILDING = threading.Lock()

# The copy's tests/conftest.py: the database built once, instead of one built for each run.
SHARED_DATABASE_CONFTEST = '''\
"""Written by claims/mutations.py in its copy of the tree: the database it built once."""

import os

import pytest


@pytest.fixture(scope="session")
def database_url() -> str:
    return os.environ["MUTANT_DATABASE_URL"]
'''


class NotFound(Exception):
    """blog/models.py declares something the script cannot find in its source."""


# Changes to the source


@dataclass(frozen=True)
class Edit:
    """Replace the bytes of blog/models.py from `start` to `end` with `text`."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Mutation:
    """One change to blog/models.py; with a reason in `equivalent`, one that changes nothing."""

    name: str
    edits: tuple[Edit, ...]
    equivalent: str = ""
    drift_first: bool = False  # for an ondelete: the drift test is the one that can notice
    focus: str = ""  # the tests to run first: a pytest -k expression, the relationships' names

    def apply(self, source: bytes) -> bytes:
        """Return `source` with the edits made, the last first so that offsets stay right."""
        for edit in sorted(self.edits, key=lambda edit: edit.start, reverse=True):
            source = source[: edit.start] + edit.text.encode() + source[edit.end :]
        return source


class Source:
    """The bytes of blog/models.py, its syntax tree, and the offsets of the tree's nodes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.tree = ast.parse(data)
        self.line_starts = [0]
        for line in data.splitlines(keepends=True):
            self.line_starts.append(self.line_starts[-1] + len(line))

    def start(self, node: ast.expr | ast.keyword) -> int:
        """Return the offset at which `node` starts."""
        return self.line_starts[node.lineno - 1] + node.col_offset

    def end(self, node: ast.expr | ast.keyword) -> int:
        """Return the offset just after `node`."""
        if node.end_lineno is None or node.end_col_offset is None:
            raise NotFound(ast.dump(node))
        return self.line_starts[node.end_lineno - 1] + node.end_col_offset

    def text(self, node: ast.expr) -> str:
        """Return the source of `node`."""
        return self.data[self.start(node) : self.end(node)].decode()

    def set_keyword(self, call: ast.Call, name: str, value: str) -> Edit:
        """Give `call` the keyword argument `name=value`, in place of the one it has, if any."""
        if given := keyword(call, name):
            return Edit(self.start(given.value), self.end(given.value), value)
        opening = self.end(call.func)  # the "(" right after the function's name
        return Edit(opening + 1, opening + 1, f"{name}={value}, ")

    def drop_keyword(self, call: ast.Call, name: str) -> Edit:
        """Take the keyword argument `name` out of `call`, with the comma beside it."""
        arguments: list[ast.expr | ast.keyword] = [*call.args, *call.keywords]
        arguments.sort(key=self.start)
        given = keyword(call, name)
        if given is None:
            raise NotFound(name)
        index = arguments.index(given)
        if index + 1 < len(arguments):
            return Edit(self.start(given), self.start(arguments[index + 1]), "")
        if index > 0:
            return Edit(self.end(arguments[index - 1]), self.end(given), "")
        return Edit(self.start(given), self.end(given), "")

    def swap(self, call: ast.Call, first: str, second: str) -> tuple[Edit, Edit]:
        """Swap the values of two keyword arguments of `call`."""
        one, other = keyword(call, first), keyword(call, second)
        if one is None or other is None:
            raise NotFound(f"{first}, {second}")
        return (
            Edit(self.start(one.value), self.end(one.value), self.text(other.value)),
            Edit(self.start(other.value), self.end(other.value), self.text(one.value)),
        )


def calls(node: ast.AST, name: str) -> ast.Call | None:
    """Return `node` if it is a call of the function `name`."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name:
        return node
    return None


def keyword(call: ast.Call, name: str) -> ast.keyword | None:
    """Return the keyword argument `name` of `call`, if it has one."""
    return next((given for given in call.keywords if given.arg == name), None)


# What the models declare


@dataclass(frozen=True)
class RelationshipSite:
    """A relationship() in the source, with the mapped relationship it makes."""

    source: Source
    name: str  # Class.attribute
    call: ast.Call
    annotation: str
    prop: RelationshipProperty[Any]

    def change(self, option: str, value: str, label: str = "", **kwargs: Any) -> Mutation:
        """Give the relationship `option=value`."""
        edit = self.source.set_keyword(self.call, option, value)
        name = f"{self.name}: {label or f'{option}={value}'}"
        return Mutation(name, (edit,), focus=self.name, **kwargs)

    def leave_out(self, option: str, **kwargs: Any) -> Mutation:
        """Take `option` out of the relationship."""
        edit = self.source.drop_keyword(self.call, option)
        return Mutation(f"{self.name}: without {option}", (edit,), focus=self.name, **kwargs)

    def column_names(self, columns: set[Any]) -> str:
        """Write `columns` as the class body names them, in a list."""
        mapper = self.prop.parent
        names = sorted(mapper.get_property_by_column(column).key for column in columns)
        return "[" + ", ".join(names) + "]"


@dataclass(frozen=True)
class ForeignKeySite:
    """A ForeignKey() in the source, and the column (table.column) it is declared on."""

    source: Source
    column: str
    call: ast.Call


def relationship_sites(source: Source) -> list[RelationshipSite]:
    """Find every `name: Mapped[...] = relationship(...)` in the models' class bodies."""
    configure_mappers()
    mappers = {mapper.class_.__name__: mapper for mapper in Base.registry.mappers}
    sites = []
    for node in source.tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        for statement in node.body:
            if not (
                isinstance(statement, ast.AnnAssign)
                and isinstance(statement.target, ast.Name)
                and statement.value is not None
                and (call := calls(statement.value, "relationship"))
            ):
                continue
            attribute = statement.target.id
            prop = mappers[node.name].relationships[attribute]
            name = f"{node.name}.{attribute}"
            sites.append(
                RelationshipSite(source, name, call, source.text(statement.annotation), prop)
            )
    mapped = {f"{name}.{rel.key}" for name, m in mappers.items() for rel in m.relationships}
    if missed := mapped - {site.name for site in sites}:
        raise NotFound(f"relationships declared otherwise: {sorted(missed)}")
    return sites


def foreign_key_sites(source: Source) -> list[ForeignKeySite]:
    """Find every ForeignKey(), in a Table's Column or in a class body's mapped_column."""
    sites = []
    for node in source.tree.body:
        if isinstance(node, ast.Assign) and (table := calls(node.value, "Table")):
            table_name = ast.literal_eval(table.args[0])
            for argument in table.args[1:]:
                if column := calls(argument, "Column"):
                    column_name = ast.literal_eval(column.args[0])
                    sites += [
                        ForeignKeySite(source, f"{table_name}.{column_name}", key)
                        for each in column.args
                        if (key := calls(each, "ForeignKey"))
                    ]
        elif isinstance(node, ast.ClassDef):
            table_name = next(
                ast.literal_eval(statement.value)
                for statement in node.body
                if isinstance(statement, ast.Assign)
                and ast.unparse(statement.targets[0]) == "__tablename__"
            )
            for statement in node.body:
                if isinstance(statement, ast.AnnAssign):
                    column_name = ast.unparse(statement.target)
                    sites += [
                        ForeignKeySite(source, f"{table_name}.{column_name}", key)
                        for each in ast.walk(statement)
                        if (key := calls(each, "ForeignKey"))
                    ]
    declared = sorted(
        f"{table.name}.{key.parent.name}"
        for table in Base.metadata.tables.values()
        for key in table.foreign_keys
    )
    if declared != sorted(site.column for site in sites):
        raise NotFound(f"foreign keys declared otherwise among {declared}")
    return sites


# The mutations of each option


def cascade_text(cascade: set[str]) -> str:
    """Write a set of cascades as relationship() takes it, "all" where it can."""
    if cascade >= ALL:
        return '"all, delete-orphan"' if "delete-orphan" in cascade else '"all"'
    return '"' + ", ".join(each for each in CASCADES if each in cascade) + '"'


def partner_names(site: RelationshipSite) -> Iterator[Mutation]:
    """back_populates left out, or naming another relationship that leads back here."""
    prop = site.prop
    if not keyword(site.call, "back_populates"):
        return
    yield site.leave_out("back_populates")
    for other in prop.mapper.relationships:
        if other.key != prop.back_populates and other.mapper.class_ is prop.parent.class_:
            yield site.change("back_populates", f'"{other.key}"')


def cascades(site: RelationshipSite) -> Iterator[Mutation]:
    """Each cascade it has taken away (delete with delete-orphan), each it lacks added."""
    cascade = set(site.prop.cascade)
    one_to_many = site.prop.direction is RelationshipDirection.ONETOMANY
    for each in CASCADES:
        if each in cascade:
            fewer = cascade - {each} - ({"delete-orphan"} if each == "delete" else set())
            yield site.change("cascade", cascade_text(fewer), f"cascade without {each}")
        elif each != "delete-orphan" or one_to_many:
            more = cascade | {each} | ({"delete"} if each == "delete-orphan" else set())
            yield site.change("cascade", cascade_text(more), f"cascade with {each}")


def passive_deletes(site: RelationshipSite) -> Iterator[Mutation]:
    """passive_deletes taken away, or "all" where nothing is deleted through it, or given."""
    prop = site.prop
    if prop.passive_deletes is True:
        yield site.leave_out("passive_deletes")
        if not set(prop.cascade) & {"delete", "delete-orphan"}:
            same = (
                "on a many-to-many SQLAlchemy treats it as True"
                if prop.secondary is not None
                else ""
            )
            yield site.change("passive_deletes", '"all"', equivalent=same)
    elif prop.direction is RelationshipDirection.MANYTOONE:
        moot = (
            ""
            if "delete" in prop.cascade
            else "a many-to-one that cascades no delete never reads it"
        )
        yield site.change("passive_deletes", "True", equivalent=moot)


def uselist(site: RelationshipSite) -> Iterator[Mutation]:
    """uselist flipped, and left out where it is spelt out. Beside an annotation that is not a
    collection, SQLAlchemy sets uselist=False whatever the relationship says."""
    holds_a_list = bool(site.prop.uselist)
    scalar = "" if holds_a_list else f"the annotation {site.annotation} sets uselist=False"
    if keyword(site.call, "uselist"):
        yield site.leave_out("uselist", equivalent=scalar)
    yield site.change("uselist", str(not holds_a_list), equivalent=scalar)


def loading(site: RelationshipSite) -> Iterator[Mutation]:
    """lazy set to each other strategy that SQLAlchemy has for such a relationship. From a
    class to itself, eager loading stops at once unless join_depth says how deep to go."""
    strategies = COLLECTION_STRATEGIES if site.prop.uselist else SCALAR_STRATEGIES
    to_itself = site.prop.mapper is site.prop.parent and site.prop.join_depth is None
    for strategy in strategies:
        if strategy != site.prop.lazy:
            eager = to_itself and strategy in ("joined", "selectin")
            same = "from a class to itself, with no join_depth, it still loads lazily"
            yield site.change("lazy", f'"{strategy}"', equivalent=same if eager else "")


def order(site: RelationshipSite) -> Iterator[Mutation]:
    """A collection given an order_by: newest first."""
    prop = site.prop
    if prop.uselist and not keyword(site.call, "order_by"):
        target = prop.mapper.class_.__name__
        key = prop.mapper.get_property_by_column(prop.mapper.primary_key[0]).key
        yield site.change("order_by", f"lambda: {target}.{key}.desc()")


def view_only(site: RelationshipSite) -> Iterator[Mutation]:
    """viewonly=True."""
    if not site.prop.viewonly:
        yield site.change("viewonly", "True")


def joins(site: RelationshipSite) -> Iterator[Mutation]:
    """primaryjoin and secondaryjoin swapped."""
    if keyword(site.call, "primaryjoin") and keyword(site.call, "secondaryjoin"):
        edits = site.source.swap(site.call, "primaryjoin", "secondaryjoin")
        name = f"{site.name}: primaryjoin and secondaryjoin swapped"
        yield Mutation(name, edits, focus=site.name)


def remote_side(site: RelationshipSite) -> Iterator[Mutation]:
    """On a table joined to itself: remote_side left out, or naming the other end."""
    prop = site.prop
    if prop.mapper is not prop.parent or prop.secondary is not None:
        return
    local = site.column_names({local for local, _ in prop.local_remote_pairs})
    remote = site.column_names({remote for _, remote in prop.local_remote_pairs})
    if keyword(site.call, "remote_side"):
        yield site.leave_out("remote_side")
    else:
        reason = f"{remote} is the remote side SQLAlchemy works out without it"
        yield site.change("remote_side", remote, equivalent=reason)
    yield site.change("remote_side", local)


OPTIONS: list[Callable[[RelationshipSite], Iterator[Mutation]]] = [
    partner_names,
    cascades,
    passive_deletes,
    uselist,
    loading,
    order,
    view_only,
    joins,
    remote_side,
]


def both_joins_swapped(sites: list[RelationshipSite]) -> Iterator[Mutation]:
    """primaryjoin and secondaryjoin swapped in both halves of a pair that has them."""
    by_name = {site.name: site for site in sites}
    seen = set()
    for site in sites:
        partner = by_name[f"{site.prop.mapper.class_.__name__}.{site.prop.back_populates}"]
        halves = (site, partner)
        if site.name in seen or not all(keyword(half.call, "secondaryjoin") for half in halves):
            continue
        seen |= {site.name, partner.name}
        edits = tuple(
            edit
            for half in halves
            for edit in half.source.swap(half.call, "primaryjoin", "secondaryjoin")
        )
        name = f"{site.name} and {partner.name}: both joins swapped in each"
        yield Mutation(name, edits, focus=f"{site.name} or {partner.name}")


def on_delete(site: ForeignKeySite) -> Iterator[Mutation]:
    """ondelete set to each other action, or left out."""
    given = keyword(site.call, "ondelete")
    current = ast.literal_eval(given.value) if given else None
    for action in ON_DELETE:
        if action != current:
            edit = site.source.set_keyword(site.call, "ondelete", f'"{action}"')
            yield Mutation(f"{site.column}: ondelete={action!r}", (edit,), drift_first=True)
    if given:
        edit = site.source.drop_keyword(site.call, "ondelete")
        yield Mutation(f"{site.column}: without ondelete", (edit,), drift_first=True)


def mutations() -> list[Mutation]:
    """Return every mutation of blog/models.py, derived from its source and its mappers."""
    source = Source((ROOT / MODELS).read_bytes())
    sites = relationship_sites(source)
    found = [mutation for site in sites for option in OPTIONS for mutation in option(site)]
    found += both_joins_swapped(sites)
    found += [mutation for key in foreign_key_sites(source) for mutation in on_delete(key)]
    for mutation in found:
        ast.parse(mutation.apply(source.data))  # each is still Python
    return found


# Running them


@dataclass(frozen=True)
class Outcome:
    """What became of one mutation, and how long it took to find out."""

    mutation: Mutation
    verdict: str  # killed, killed at configuration, refused, survived, equivalent, error
    detail: str
    seconds: float = 0.0


def tree_files() -> list[Path]:
    """Return the files of the working tree that git does not ignore, committed or not."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [Path(path) for path in listed.split("\0") if path and (ROOT / path).is_file()]


@contextmanager
def copy_of_the_tree(database_url: str) -> Iterator[Path]:
    """Yield a copy of the tree that uses the database at `database_url`, built for it."""
    with tempfile.TemporaryDirectory(prefix="mutants-") as work:
        copy = Path(work)
        for path in tree_files():
            (copy / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / path, copy / path)
        (copy / "tests" / "conftest.py").write_text(SHARED_DATABASE_CONFTEST)
        try:
            with BUILDING:
                recreate(database_url)
                migrate(database_url)
            yield copy
        finally:
            drop(database_url)


def first_failure(output: str) -> str:
    """Return the test that failed first, as pytest's summary names it."""
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line.split(" ", 1)[1].split(" - ")[0]
    return output.strip().splitlines()[-1]


def run(mutation: Mutation, copy: Path, database_url: str) -> Outcome:
    """Write the mutated models into `copy` and run the tests on them, in two stages."""
    (copy / MODELS).write_bytes(mutation.apply((ROOT / MODELS).read_bytes()))
    environment = os.environ | {
        "PYTHONPATH": str(copy),
        "PYTHONDONTWRITEBYTECODE": "1",  # a module rewritten within a second is read afresh
        "MUTANT_DATABASE_URL": database_url,
    }
    started = time.monotonic()

    def outcome(verdict: str, detail: str) -> Outcome:
        detail = " ".join(detail.split())[:300]
        return Outcome(mutation, verdict, detail, time.monotonic() - started)

    def in_the_copy(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - the project's own modules
            [sys.executable, *arguments],
            cwd=copy,
            env=environment,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )

    if mutation.drift_first:
        first = [DRIFT_TEST]
    else:
        first = [path for path in FIRST if (copy / path).exists()]
        first += ["-k", mutation.focus] if mutation.focus else []
    for paths in (first, [MODEL_TESTS, DRIFT_TEST]):
        try:
            tests = in_the_copy("-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *paths)
        except subprocess.TimeoutExpired:
            return outcome("error", f"the tests took over {TIMEOUT} s")
        if tests.returncode == 1:
            return outcome("killed", first_failure(tests.stdout))
        if tests.returncode not in (0, 5):  # 5: -k chose no test
            break
    else:
        return outcome("survived", "every test passed")

    # The run did not get as far as the tests: see what SQLAlchemy made of the models.
    probe = in_the_copy("-m", "claims.probe")
    if probe.returncode == 0 and (configured := json.loads(probe.stdout)):
        return outcome(configured["verdict"], configured["detail"])
    return outcome("error", (tests.stdout + tests.stderr).strip().splitlines()[-1])


def database_url(job: int) -> str:
    """Return the URL of the database of the `job`th copy."""
    url = normalise_database_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_TEST_DATABASE_URL)
    base = make_url(url)
    name = f"{base.database}_mutants{job}"
    return base.set(database=name).render_as_string(hide_password=False)


REPORT_LINE = re.compile(
    r"^ *(killed at configuration|killed|refused|survived|error)  (.+?)  \((\d+) s\)  (.*)$"
)


def earlier(report: Path) -> dict[str, Outcome]:
    """Read the outcomes a report of this script printed, by mutation name."""
    found = {}
    for line in report.read_text().splitlines():
        if match := REPORT_LINE.match(line):
            verdict, name, seconds, detail = match.groups()
            found[name] = Outcome(Mutation(name, ()), verdict, detail, float(seconds))
    return found


def run_all(chosen: list[Mutation], jobs: int, known: dict[str, Outcome]) -> list[Outcome]:
    """Run every mutation that can change something and has no outcome in `known`, `jobs` at
    a time, each job in a copy of its own."""
    outcomes = {
        index: Outcome(mutation, "equivalent", mutation.equivalent)
        for index, mutation in enumerate(chosen)
        if mutation.equivalent
    }
    for index, mutation in enumerate(chosen):
        if index not in outcomes and mutation.name in known:
            outcomes[index] = replace(known[mutation.name], mutation=mutation)
    queue = [(index, mutation) for index, mutation in enumerate(chosen) if index not in outcomes]
    if not queue:
        return [outcomes[index] for index in sorted(outcomes)]

    def work(job: int) -> None:
        url = database_url(job)
        with copy_of_the_tree(url) as copy:
            if job == 0:  # once: the unchanged models must pass
                unchanged = run(Mutation("the models as they are", ()), copy, url)
                if unchanged.verdict != "survived":
                    queue.clear()
                    raise SystemExit(f"The tests fail on the unchanged models: {unchanged.detail}")
            while queue:
                try:
                    index, mutation = queue.pop(0)
                except IndexError:  # another job took the last one
                    return
                done = outcomes[index] = run(mutation, copy, url)
                print(f"{done.verdict:>23}  {mutation.name}  ({done.seconds:.0f} s)  {done.detail}")

    with ThreadPoolExecutor(jobs) as pool:
        for future in [pool.submit(work, job) for job in range(jobs)]:
            future.result()
    return [outcomes[index] for index in sorted(outcomes)]


def main(argv: list[str] | None = None) -> int:
    """Run the mutations chosen on the command line; report each, and the count."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="list the mutations; run none")
    parser.add_argument("--only", default="", help="only the mutations whose name has this")
    parser.add_argument("--jobs", type=int, default=1, help="mutations run at once (default 1)")
    parser.add_argument(
        "--resume", type=Path, help="a report of an earlier run: run only what it has not"
    )
    args = parser.parse_args(argv)

    chosen = [mutation for mutation in mutations() if args.only in mutation.name]
    if args.list:
        for mutation in chosen:
            reason = f"  (not run: {mutation.equivalent})" if mutation.equivalent else ""
            print(f"{mutation.name}{reason}")
        return 0
    print(f"{len(chosen)} mutations of {MODELS}, each tested with {MODEL_TESTS} and {DRIFT_TEST}")
    known = earlier(args.resume) if args.resume else {}
    outcomes = run_all(chosen, max(1, args.jobs), known)

    counts: dict[str, int] = {}
    for done in outcomes:
        counts[done.verdict] = counts.get(done.verdict, 0) + 1
    print()
    for done in outcomes:
        if done.verdict in ("survived", "error", "equivalent", "refused"):
            print(f"{done.verdict}: {done.mutation.name}: {done.detail}")
    valid = sum(counts.get(verdict, 0) for verdict in (*CAUGHT, "survived", "error"))
    caught = sum(counts.get(verdict, 0) for verdict in CAUGHT)
    print(
        f"\n{caught} of {valid} mutations killed"
        f" ({counts.get('killed at configuration', 0)} of them by a warning at configuration);"
        f" {counts.get('refused', 0)} refused by SQLAlchemy;"
        f" {counts.get('equivalent', 0)} not run, as they cannot change anything."
    )
    return 0 if caught == valid else 1


if __name__ == "__main__":
    sys.exit(main())
