"""Read docs/ledger.md and find the statements of the docs and the code that nothing proves.

    python -m scripts.ledger --list           every unit with no test link and no ledger row
    python -m scripts.ledger --list --rows    the same, as ledger rows to fill in
    python -m scripts.ledger --list FILE ...  only these files

A *unit* is what may hold a statement: a paragraph, list item or table row of README.md or a
page of docs/ (headings and code blocks are not units), and a comment block or a docstring
paragraph of a Python file. A Markdown unit is covered by a link to a test module (or to the
benchmark) or by a ledger row; a Python unit by a ledger row. tests/test_ledger.py fails while
a unit of the checked files is not covered, and while a row's excerpt or test has gone.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import sys
import tokenize
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEDGER = ROOT / "docs" / "ledger.md"
# The Markdown files whose every unit must be covered (the ledger itself holds no statement).
PAGES = ["README.md", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))]
PAGES.remove("docs/ledger.md")
# The Python files whose every comment block and docstring paragraph must be covered: all of
# blog/ and tests/.
MODULES = sorted(
    path.relative_to(ROOT).as_posix()
    for folder in ("blog", "tests")
    for path in (ROOT / folder).rglob("*.py")
)

NO_STATEMENT = "no statement"
MIN_EXCERPT = 12
BENCHMARK = "benchmark"
# What only a real Docker engine can show: scripts/compose_check.py (make compose-test, in CI).
COMPOSE_CHECK = "compose check"
TEST_REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::([\w:]+)(?:\[[^\]`]*\])?`")
# A link to a test module ([`test_x`](../tests/models/test_y.py)) or to the benchmark.
PROOF_LINK = re.compile(r"\]\((?:\.\./)?(?:docs/)?(tests/[\w/]+\.py|bench/[\w/.]*|performance\.md)")
SECTION = re.compile(r"^## `?([\w/.-]+\.(?:md|py))`?\s*$")
PRAGMA = re.compile(r"^(type: ignore(\[[\w, -]+\])?|noqa(: [A-Z0-9, ]+)?|pragma: .*)$")


def collapse(text: str) -> str:
    """Return `text` with every run of white space made one space."""
    return " ".join(text.split())


@dataclass(frozen=True)
class Unit:
    """A paragraph, list item, table row, comment block or docstring paragraph."""

    path: str
    line: int
    text: str

    def __str__(self) -> str:
        short = self.text if len(self.text) <= 110 else self.text[:107] + "..."
        return f"{self.path}:{self.line}: {short}"


@dataclass(frozen=True)
class Row:
    """One row of the ledger: an excerpt of a unit of `path`, its conditions and its proof."""

    path: str
    line: int
    excerpt: str
    conditions: str
    proof: str

    @property
    def tests(self) -> list[tuple[str, str]]:
        """Return the (module, test) pairs the proof names."""
        return TEST_REFERENCE.findall(self.proof)

    @property
    def no_statement(self) -> bool:
        """Say whether the row marks a unit that holds no statement."""
        return self.proof.strip().lower().startswith(NO_STATEMENT)

    @property
    def benchmark(self) -> bool:
        """Say whether the proof is a figure of the benchmark."""
        return self.proof.strip().lower().startswith(BENCHMARK)

    @property
    def compose_check(self) -> bool:
        """Say whether the proof is a step of the compose check, which needs Docker."""
        return self.proof.strip().lower().startswith(COMPOSE_CHECK)

    def __str__(self) -> str:
        return f"docs/ledger.md:{self.line} ({self.path}): {self.excerpt}"


# Markdown


def markdown_units(path: str, source: str | None = None) -> list[Unit]:
    """Split a Markdown file into paragraphs, list items and table rows (not headers)."""
    lines = (ROOT / path).read_text().splitlines() if source is None else source.splitlines()
    units: list[Unit] = []
    current: list[str] = []
    start = 0
    fence: str | None = None
    in_table = False

    def close() -> None:
        nonlocal current
        if current:
            units.append(Unit(path, start, collapse(" ".join(current))))
        current = []

    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if fence is not None:
            if stripped.startswith(fence):
                fence = None
            continue
        if stripped.startswith(("```", "~~~")):
            close()
            fence = stripped[:3]
            continue
        if not stripped or stripped.startswith("#") or re.fullmatch(r"<!--.*-->", stripped):
            close()
            in_table = False
            continue
        if stripped.startswith("|"):
            close()
            if re.fullmatch(r"\|[\s:|-]+\|", stripped):
                continue  # the separator under a header
            if in_table:
                units.append(Unit(path, number, collapse(stripped)))
            in_table = True  # the first row of a table is its header
            continue
        in_table = False
        if re.match(r"(?:[-*+]|\d+\.)\s", stripped):
            close()
        if not current:
            start = number
        current.append(stripped)
    close()
    return units


# Python


def python_units(path: str, source: str | None = None) -> list[Unit]:
    """Split a Python file into comment blocks and docstring paragraphs."""
    source = (ROOT / path).read_text() if source is None else source
    units: list[Unit] = []
    block: list[str] = []
    block_start = block_column = previous = -1

    def close() -> None:
        nonlocal block
        if block:
            units.append(Unit(path, block_start, collapse(" ".join(block))))
        block = []

    lines = source.splitlines()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT:
            continue
        row, column = token.start
        text = token.string.lstrip("#").strip()
        if not text or PRAGMA.match(text) or text.startswith("!"):
            continue
        whole_line = lines[row - 1][:column].strip() == ""
        if whole_line and block and row == previous + 1 and column == block_column:
            block.append(text)
        else:
            close()
            block_start, block_column = row, column if whole_line else -1
            block = [text]
        previous = row if whole_line else -1
    close()

    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        docstring = ast.get_docstring(node)
        if not docstring or not node.body:
            continue
        first = node.body[0].lineno
        offset = 0
        for paragraph in re.split(r"\n\s*\n", docstring):
            if paragraph.strip():
                units.append(Unit(path, first + offset, collapse(paragraph)))
            offset += paragraph.count("\n") + 2
    return sorted(units, key=lambda unit: unit.line)


@cache
def units_of(path: str) -> list[Unit]:
    """Return the units of a Markdown or Python file."""
    return python_units(path) if path.endswith(".py") else markdown_units(path)


# The ledger


def split_row(line: str) -> list[str]:
    """Return the cells of a table row (`\\|` is a | inside a cell)."""
    cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
    return [cell.strip().replace("\\|", "|") for cell in cells]


@cache
def ledger_rows() -> tuple[Row, ...]:
    """Return every row of docs/ledger.md, each under the file its section names."""
    rows: list[Row] = []
    path = ""
    for number, line in enumerate(LEDGER.read_text().splitlines(), start=1):
        if match := SECTION.match(line):
            path = match[1]
        elif path and line.startswith("|") and not re.fullmatch(r"\|[\s:|-]+\|", line.strip()):
            cells = split_row(line)
            if cells[0].lower() == "statement":
                continue  # a header
            cells += [""] * (3 - len(cells))
            rows.append(Row(path, number, *cells[:3]))
    return tuple(rows)


def covers(row: Row, unit: Unit) -> bool:
    """Say whether `row` is about `unit`: its excerpt occurs in it.

    An excerpt shorter than 12 characters must be the whole unit, so that "Claim 1" cannot
    stand for "Claim 10".
    """
    excerpt = collapse(row.excerpt)
    if row.path != unit.path or not excerpt:
        return False
    return excerpt == unit.text or (len(excerpt) >= MIN_EXCERPT and excerpt in unit.text)


def linked(unit: Unit) -> bool:
    """Say whether a Markdown unit links to a test module or to the benchmark."""
    return unit.path.endswith(".md") and bool(PROOF_LINK.search(unit.text))


def uncovered(paths: list[str]) -> list[Unit]:
    """Return the units of `paths` that have no test link and no ledger row."""
    rows = ledger_rows()
    return [
        unit
        for path in paths
        for unit in units_of(path)
        if not linked(unit) and not any(covers(row, unit) for row in rows)
    ]


@cache
def tests_in(path: str) -> frozenset[str]:
    """Return every test of a module: `test_x` and `TestClass::test_x` (and bare `test_x`).

    A test function imported into the module (`from tests.x import test_y`) is one of its tests
    too: pytest collects it there, with that module's fixtures.
    """
    tree = ast.parse((ROOT / path).read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            names.add(node.name)
        elif isinstance(node, ast.ImportFrom):
            names.update(
                alias.asname or alias.name
                for alias in node.names
                if (alias.asname or alias.name).startswith("test")
            )
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and (
                    item.name.startswith("test")
                ):
                    names.update({f"{node.name}::{item.name}", item.name})
    return frozenset(names)


def missing_test(path: str, name: str) -> str | None:
    """Say why `path::name` is not a test, or return None if it is one."""
    if not (ROOT / path).is_file():
        return f"{path} does not exist"
    if name not in tests_in(path):
        return f"{path} has no test {name}"
    return None


def enclosing_test(unit: Unit) -> str:
    """Return `path::test` for the test a Python unit sits in, or "" if it is in none."""
    if not unit.path.startswith("tests/") or not unit.path.endswith(".py"):
        return ""
    tree = ast.parse((ROOT / unit.path).read_text())
    for node in tree.body:
        if (
            isinstance(node, ast.FunctionDef)
            and node.name.startswith("test")
            and node.lineno <= unit.line <= (node.end_lineno or node.lineno)
        ):
            return f"`{unit.path}::{node.name}`"
    return ""


def skeleton(unit: Unit) -> str:
    """Return a ledger row to fill in for `unit` (the proof guessed from where it sits)."""
    words = unit.text.split()
    excerpt = " ".join(words[:12]).replace("|", "\\|")
    return f"| {excerpt} | | {enclosing_test(unit)} |"


def main(argv: list[str] | None = None) -> int:
    """List the uncovered units; exit 1 if there are any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the uncovered units")
    parser.add_argument("--rows", action="store_true", help="print them as rows to fill in")
    parser.add_argument("files", nargs="*", help="files to check (default: the checked ones)")
    args = parser.parse_args(argv)
    paths = args.files or [*PAGES, *MODULES]
    missing = uncovered(paths)
    if args.rows:
        for path in paths:
            these = [unit for unit in missing if unit.path == path]
            if these:
                print(f"\n## {path}\n")
                print("| Statement | Conditions | Proof |\n|---|---|---|")
                print(*(skeleton(unit) for unit in these), sep="\n")
    else:
        print(*missing, sep="\n")
    print(f"{len(missing)} uncovered units in {len(paths)} files", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
