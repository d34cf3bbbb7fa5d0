"""Every statement of the docs and of the checked modules is linked to its proof.

A statement in README.md or a page of docs/ links to the test that proves it, inline; anything
else that holds a statement, or holds none, has a row in docs/ledger.md. These tests fail when a
unit (paragraph, list item, table row, comment block, docstring paragraph) has neither, when a
row's excerpt is no longer in its file, and when a row or a link names a test that does not
exist. `python -m scripts.ledger --list` prints the units still to cover.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from scripts.ledger import (
    MODULES,
    PAGES,
    ROOT,
    Row,
    covers,
    ledger_rows,
    linked,
    markdown_units,
    missing_test,
    python_units,
    uncovered,
    units_of,
)

HOW = (
    "Link the test that proves it (as the docs do: [`test_name`](../tests/path.py)), or add a "
    "row to docs/ledger.md under `## {path}`: | excerpt | conditions | `tests/path.py::test_name` "
    "|, with `benchmark: ...` for a figure of speed or cost, or `no statement` if it states "
    "nothing. `python -m scripts.ledger --list` lists every such unit."
)
DOC_TEST_LINK = re.compile(r"\[`(test_\w+)`\]\((?:\.\./)?(tests/[\w/]+\.py)\)")


def test_the_ledger_covers_the_docs_and_the_models() -> None:
    sections = {row.path for row in ledger_rows()}

    assert {"README.md", "blog/models.py"} <= sections
    assert len(ledger_rows()) >= 200


def test_every_unit_of_the_docs_is_linked_to_a_proof_or_in_the_ledger() -> None:
    missing = uncovered(PAGES)

    assert not missing, "\n".join(
        [f"{len(missing)} paragraphs, list items or table rows prove nothing:"]
        + [str(unit) for unit in missing]
        + [HOW.format(path=missing[0].path)]
    )


def test_every_comment_and_docstring_of_blog_and_tests_is_in_the_ledger() -> None:
    missing = uncovered(MODULES)

    assert not missing, "\n".join(
        [f"{len(missing)} comment blocks or docstring paragraphs have no ledger row:"]
        + [str(unit) for unit in missing]
        + [HOW.format(path=missing[0].path)]
    )


def stale(rows: Iterable[Row]) -> list[str]:
    """Return the rows whose file has gone or no longer holds their excerpt."""
    found = []
    for row in rows:
        if not (ROOT / row.path).is_file():
            found.append(f"{row}: {row.path} does not exist")
        elif not any(" ".join(row.excerpt.split()) in unit.text for unit in units_of(row.path)):
            found.append(str(row))
    return found


def test_every_excerpt_is_still_in_its_file() -> None:
    stale_rows = stale(ledger_rows())

    assert not stale_rows, "\n".join(
        [
            "These ledger rows quote text their file no longer has (compared with white space",
            "collapsed, and comment markers and docstring indentation removed):",
            *stale_rows,
            "Update the excerpt to the new wording and check the proof still holds; or, if the",
            "statement is gone, delete the row.",
        ]
    )


def test_every_row_has_one_kind_of_proof() -> None:
    wrong = []
    for row in ledger_rows():
        kinds = [bool(row.tests), row.no_statement, row.benchmark, row.compose_check]
        if sum(kinds) != 1:
            wrong.append(str(row))
        if not row.excerpt.strip():
            wrong.append(f"{row}: no excerpt")

    assert not wrong, "\n".join(
        [
            "Each row needs an excerpt and exactly one kind of proof: tests, written",
            "`tests/path.py::test_name` (or `::TestClass::test_name`), `benchmark: ...`,",
            "`compose check: ...` (a step of scripts/compose_check.py), or `no statement`:",
            *wrong,
        ]
    )


def test_every_test_the_ledger_names_exists() -> None:
    missing = [
        f"{row}: {reason}"
        for row in ledger_rows()
        for path, name in row.tests
        if (reason := missing_test(path, name))
    ]

    assert not missing, "\n".join(
        ["These rows name tests that do not exist (renamed, moved or deleted?):", *missing]
    )


def test_every_test_the_docs_link_to_exists() -> None:
    missing = [
        f"{page}: [`{name}`]({path}): {reason}"
        for page in PAGES
        for name, path in DOC_TEST_LINK.findall((ROOT / page).read_text())
        if (reason := missing_test(path, name))
    ]

    assert not missing, "\n".join(["These links name tests that do not exist:", *missing])


# The checks themselves, on units and rows made up for them


MADE_UP_MODULE = '''"""A title.

A paragraph that says something.
"""

# A comment block
# of two lines.
x = 1  # a trailing comment
'''


def test_a_unit_with_no_row_and_no_link_is_reported() -> None:
    units = python_units("made_up.py", MADE_UP_MODULE)
    page = markdown_units("made_up.md", "A claim, see [`test_x`](../tests/test_x.py).\n\nBare.\n")
    row = Row("made_up.py", 1, "says something", "", "`tests/test_x.py::test_x`")

    assert [unit.text for unit in units] == [
        "A title.",
        "A paragraph that says something.",
        "A comment block of two lines.",
        "a trailing comment",
    ]
    assert [unit.text for unit in units if covers(row, unit)] == [
        "A paragraph that says something."
    ]
    assert [linked(unit) for unit in page] == [True, False]
    # A short excerpt covers only a unit that it is whole of, and a row only its own file.
    assert covers(Row("made_up.py", 1, "A title.", "", ""), units[0])
    assert not covers(Row("made_up.py", 1, "A title", "", ""), units[0])
    assert not covers(Row("other.py", 1, "says something", "", ""), units[1])


def test_a_row_whose_excerpt_or_file_has_gone_is_reported() -> None:
    kept = Row("tests/test_ledger.py", 1, "Every statement of the docs", "", "no statement")
    reworded = Row("tests/test_ledger.py", 2, "Every claim of the docs", "", "no statement")
    gone = Row("tests/no_such_module.py", 3, "anything at all", "", "no statement")

    assert stale([kept]) == []
    assert stale([kept, reworded, gone]) == [str(reworded), f"{gone}: {gone.path} does not exist"]


def test_a_test_that_does_not_exist_is_reported() -> None:
    assert (
        missing_test("tests/test_ledger.py", "test_a_test_that_does_not_exist_is_reported") is None
    )
    assert missing_test("tests/test_ledger.py", "test_nothing") == (
        "tests/test_ledger.py has no test test_nothing"
    )
    assert missing_test("tests/no_such_module.py", "test_x") == (
        "tests/no_such_module.py does not exist"
    )
    assert Row("x.py", 1, "e", "", "`tests/test_ledger.py::test_nothing`").tests == [
        ("tests/test_ledger.py", "test_nothing")
    ]
    assert DOC_TEST_LINK.findall("as [`test_nothing`](../tests/test_ledger.py) shows") == [
        ("test_nothing", "tests/test_ledger.py")
    ]
