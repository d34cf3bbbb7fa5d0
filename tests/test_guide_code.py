"""Every Python block in the docs is run, or checked for being what it says it is.

A page of the docs (the README, a page of docs/, or a layer's README.md) may hold three kinds of
Python-related blocks:

- An excerpt: a ```python block right after `<!-- excerpt: blog/models.py -->`. It must appear,
  character for character, in the file it names; it is not run.
- Output: a ```text block right after `<!-- output -->`. It must be exactly what the Python
  block just above it prints.
- An example: every other ```python block. Each runs as a test of its own, against
  PostgreSQL, in a fresh namespace that holds only these names:

      session       the app's db.session, inside the test's transaction (rolled back after)
      sql           records SQL: `with sql.recording() as statements:` lists what was sent
      UserFactory, PostFactory, TagFactory
                    the test factories: each call adds an object to `session` and flushes

  An example imports whatever else it uses, so that it reads, and can be copied, on its own.
  Warnings are errors here as in the rest of the suite. Mapped classes an example declares on
  a base of its own are disposed of afterwards, and its tables go with the rollback.

Nothing is skipped: a ```python block with any other marker fails.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import registry as sqlalchemy_registry
from sqlalchemy.orm.exc import MappedAnnotationError

from blog.db import Base, db
from tests.factories import PostFactory, TagFactory, UserFactory
from tests.fixtures import PROJECT_ROOT
from tests.helpers import StatementLog
from tests.layers import pages

ROOT = Path(PROJECT_ROOT)
PAGES = pages()
# A fence may be indented (inside a list item); its marker is on the line above it.
FENCE = re.compile(
    r"(?:^[ ]*<!-- (?P<marker>[^\n]*?) -->\n)?"
    r"^(?P<indent>[ ]*)```(?P<language>\w*)\n(?P<code>.*?)^(?P=indent)```$",
    re.DOTALL | re.MULTILINE,
)
EXCERPT_MARKER = re.compile(r"excerpt: ([\w/.]+)")


@dataclass(frozen=True)
class Block:
    """One fenced block of a page, with the marker comment right above it, if any."""

    page: Path
    line: int
    language: str
    marker: str | None
    code: str

    @property
    def name(self) -> str:
        return f"{self.page.name}:{self.line}"

    @property
    def kind(self) -> str:
        if self.language == "python":
            if self.marker is None:
                return "example"
            if EXCERPT_MARKER.fullmatch(self.marker):
                return "excerpt"
            return "unknown"
        if self.marker == "output":
            return "output" if self.language == "text" else "unknown"
        return "other"


def blocks(page: Path) -> list[Block]:
    text = page.read_text()
    return [
        Block(
            page=page,
            line=text.count("\n", 0, match.start("language")) + 1,
            language=match["language"],
            marker=match["marker"],
            code=re.sub(f"(?m)^{match['indent']}", "", match["code"]),
        )
        for match in FENCE.finditer(text)
    ]


ALL_BLOCKS = [block for page in PAGES for block in blocks(page)]


def of_kind(kind: str) -> list[Block]:
    return [block for block in ALL_BLOCKS if block.kind == kind]


def example_before(output: Block) -> Block:
    """Return the example an output block shows the output of: the block just above it."""
    page_blocks = [block for block in ALL_BLOCKS if block.page == output.page]
    previous = page_blocks[page_blocks.index(output) - 1]
    assert previous.kind == "example", f"{output.name}: output follows no example"
    return previous


def run(block: Block, sql: StatementLog) -> str:
    """Run an example as the module docstring describes; return what it printed."""
    # A module of its own, so that SQLAlchemy can resolve the annotations of classes it maps.
    module = types.ModuleType("docs_example")
    module.__dict__.update(
        session=db.session,
        sql=sql,
        UserFactory=UserFactory,
        PostFactory=PostFactory,
        TagFactory=TagFactory,
    )
    sys.modules[module.__name__] = module
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            code = compile(block.code, block.name, "exec", dont_inherit=True)
            exec(code, module.__dict__)  # noqa: S102 - the project's own docs
    finally:
        del sys.modules[module.__name__]
        for value in list(module.__dict__.values()):
            registry = vars(value).get("registry") if isinstance(value, type) else None
            if isinstance(registry, sqlalchemy_registry) and registry is not Base.registry:
                registry.dispose()
    return printed.getvalue()


def test_the_docs_have_examples_excerpts_and_output() -> None:
    assert len(of_kind("example")) >= 11
    assert len(of_kind("excerpt")) >= 4
    assert len(of_kind("output")) >= 4


def test_every_python_block_is_an_example_an_excerpt_or_output() -> None:
    assert [block.name for block in of_kind("unknown")] == []


@pytest.mark.parametrize("block", of_kind("example"), ids=lambda block: block.name)
def test_every_example_runs(block: Block, sql: StatementLog) -> None:
    run(block, sql)


def quote_against_code(quote: str, code: str) -> str:
    """Return a unified diff of a quote against the lines of `code` most like it, so that the
    first line that differs shows."""
    quoted, lines = quote.splitlines(), code.splitlines()
    spans = [
        lines[start : start + length]
        for length in range(max(len(quoted) - 3, 1), len(quoted) + 4)
        for start in range(max(len(lines) - length, 0) + 1)
    ]
    closest = max(spans, key=lambda span: difflib.SequenceMatcher(None, quoted, span).ratio())
    diff = difflib.unified_diff(quoted, closest, "the quote", "the code", n=1, lineterm="")
    return "\n".join(diff)


@pytest.mark.parametrize("block", of_kind("excerpt"), ids=lambda block: block.name)
def test_every_excerpt_is_the_code_as_it_is(block: Block) -> None:
    match = EXCERPT_MARKER.fullmatch(block.marker or "")
    assert match
    code = (ROOT / match[1]).read_text()
    quoted_as_it_is = block.code in code
    assert quoted_as_it_is, (
        f"{block.name} quotes {match[1]}, which no longer has these lines as they are: change"
        " the quote in the page to match the code (or the code back).\n"
        + quote_against_code(block.code, code)
    )


@pytest.mark.parametrize("output", of_kind("output"), ids=lambda block: block.name)
def test_every_output_is_what_its_example_prints(output: Block, sql: StatementLog) -> None:
    assert run(example_before(output), sql) == output.code


# The checker itself, on blocks made up for it


def test_every_python_fence_of_the_pages_is_found() -> None:
    fences = sum(
        1
        for page in PAGES
        for line in page.read_text().splitlines()
        if re.fullmatch(r"[ ]*```python", line)
    )

    assert fences == len([block for block in ALL_BLOCKS if block.language == "python"])


MADE_UP_PAGE = """\
Some prose.

<!-- excerpt: blog/db.py -->
```python
class Base(DeclarativeBase):
```

```python
print("hello")
```
<!-- output -->
```text
hello
```

1. A step in a list:

   <!-- excerpt: blog/models.py -->
   ```python
   class User(Base):
       pass
   ```

<!-- skip -->
```python
print("skipped?")
```

```sql
SELECT 1;
```
"""


def test_a_block_is_told_apart_by_the_comment_right_above_it(tmp_path: Path) -> None:
    page = tmp_path / "made-up.md"
    page.write_text(MADE_UP_PAGE)

    found = blocks(page)

    assert [block.kind for block in found] == [
        "excerpt",
        "example",
        "output",
        "excerpt",
        "unknown",
        "other",
    ]
    assert found[3].marker == "excerpt: blog/models.py"
    assert found[3].code == "class User(Base):\n    pass\n"  # the list item's indent removed


def test_a_quote_that_is_not_the_code_shows_its_first_differing_line() -> None:
    code = "".join(f"line {n}\n" for n in range(40))
    quote = "line 20\nline 21\nline twenty-two\nline 23\n"

    diff = quote_against_code(quote, code).splitlines()

    assert [line for line in diff if line[:1] in "-+" and line[:3] not in {"---", "+++"}] == [
        "-line twenty-two",
        "+line 22",
    ]
    assert quote_against_code("line 20\nline 21\n", code) == ""


def made_up(code: str) -> Block:
    return Block(page=Path("made-up.md"), line=1, language="python", marker=None, code=code)


def test_an_example_runs_in_a_module_of_its_own_that_holds_only_these_names(
    sql: StatementLog, database_url: str
) -> None:
    first = made_up(
        "print(sorted(name for name in globals() if not name.startswith('__')))\n"
        "print(__name__, session.get_bind().dialect.name)\n"
        "session.info['the example had'] = session\n"
        "with sql.recording() as statements:\n"
        "    UserFactory()\n"
        "print(statements[0].split()[:3])\n"
        "defined_here = True\n"
    )
    second = made_up("print('defined_here' in globals())\n")

    assert run(first, sql).splitlines() == [
        str(["PostFactory", "TagFactory", "UserFactory", "session", "sql"]),
        "docs_example postgresql",
        str(["INSERT", "INTO", "users"]),
    ]
    assert db.session.info["the example had"] is db.session
    assert run(second, sql) == "False\n"
    assert "docs_example" not in sys.modules


def test_a_warning_in_an_example_is_an_error(sql: StatementLog) -> None:
    with pytest.raises(UserWarning, match="careful"):
        run(made_up("import warnings\nwarnings.warn('careful')\n"), sql)


MAPPED_EXAMPLE = """\
from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Own(DeclarativeBase):
    pass


class Shelf(Own):
    __tablename__ = "made_up_shelves"
    id: Mapped[int] = mapped_column(primary_key=True)
    books: Mapped[list[Book]] = relationship(back_populates="shelf")


class Book(Own):
    __tablename__ = "made_up_books"
    id: Mapped[int] = mapped_column(primary_key=True)
    shelf_id: Mapped[int] = mapped_column(ForeignKey("made_up_shelves.id"))
    shelf: Mapped[Shelf] = relationship(back_populates="books")


Own.metadata.create_all(session.connection())
session.add(Book(shelf=Shelf()))
session.flush()
session.info["base"] = Own
"""


def test_an_examples_own_mapped_classes_are_disposed_and_its_tables_are_the_tests(
    sql: StatementLog, database_url: str
) -> None:
    run(made_up(MAPPED_EXAMPLE), sql)

    own = db.session.info.pop("base")
    assert own.registry.mappers == frozenset()
    assert Base.registry.mappers
    # The tables are in the test's transaction, which no other connection sees: they go with
    # its rollback.
    query = text("SELECT to_regclass('made_up_books')")
    assert db.session.scalar(query) == "made_up_books"
    outside = create_engine(database_url)
    try:
        with outside.connect() as other:
            assert other.scalar(query) is None
    finally:
        outside.dispose()


def test_without_a_module_of_its_own_sqlalchemy_cannot_read_the_annotations() -> None:
    code = compile(MAPPED_EXAMPLE, "made-up.md:1", "exec", dont_inherit=True)

    with pytest.raises(MappedAnnotationError, match="Could not interpret annotation"):
        exec(code, {"__name__": "not_a_module", "session": db.session})  # noqa: S102
