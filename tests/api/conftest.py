"""The world the checks of every operation call them on (tests/world.py)."""

from __future__ import annotations

import pytest

from tests.world import World, make_world


@pytest.fixture
def world() -> World:
    """Return a signed-in user and a row of theirs for every path parameter of the API."""
    return make_world()
