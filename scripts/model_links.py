"""Keep the README's links to the relationships in blog/models.py pointing at the right lines.

    python scripts/model_links.py            list every relationship and its line
    python scripts/model_links.py --write    renumber the README's links to them

tests/test_readme.py fails when a link points at the wrong line or a relationship is not linked.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MODELS = ROOT / "blog" / "models.py"
LINK = re.compile(r"\[`(\w+)\.(\w+)`\]\(blog/models\.py#L(\d+)\)")
DECLARATION = re.compile(r"    (\w+): .*= (relationship|association_proxy)\(")


def declarations(source: str) -> dict[str, int]:
    """Return the line of every relationship and proxy, keyed "Class.attribute"."""
    found, current = {}, ""
    for number, line in enumerate(source.splitlines(), start=1):
        if match := re.match(r"class (\w+)\(", line):
            current = match[1]
        elif match := DECLARATION.match(line):
            found[f"{current}.{match[1]}"] = number
    return found


def links(readme: str) -> dict[str, int]:
    """Return the line each README link to models.py points at, keyed "Class.attribute"."""
    return {f"{cls}.{attr}": int(line) for cls, attr, line in LINK.findall(readme)}


def relinked(readme: str, lines: dict[str, int]) -> str:
    """Return the README with every link to models.py pointing at the line in `lines`."""

    def fix(match: re.Match[str]) -> str:
        name = f"{match[1]}.{match[2]}"
        return f"[`{name}`](blog/models.py#L{lines.get(name, int(match[3]))})"

    return LINK.sub(fix, readme)


def main() -> None:
    """List the declarations, or renumber the README's links."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update README.md in place")
    lines = declarations(MODELS.read_text())
    if parser.parse_args().write:
        README.write_text(relinked(README.read_text(), lines))
    else:
        for name, number in lines.items():
            print(f"{name}: line {number}")


if __name__ == "__main__":
    main()
