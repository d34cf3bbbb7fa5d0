"""The layers present: top-level folders with a layer.mk, each of which a clone may delete.

docs/development.md (Layers) says what a layer holds. The core tests that read every page find
the layers' pages here, so a layer that has been deleted is simply not in the list.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The pages of the core: the README and docs/. None of them links into a layer.
CORE_PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def layers() -> list[Path]:
    """Return the folder of each layer in the tree."""
    return sorted(layer_mk.parent for layer_mk in ROOT.glob("*/layer.mk"))


def pages() -> list[Path]:
    """Return the core pages, then each layer's own page (its README.md)."""
    return [*CORE_PAGES, *(layer / "README.md" for layer in layers())]
