"""docker-compose.yml as data: its services, and their environments with the defaults filled in.

For the tests that read the compose file and for those that run its commands without Docker.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
APP_ROLE_SCRIPT = ROOT / "docker" / "db" / "10-app-role.sh"
_DEFAULT = re.compile(r"\$\{(\w+):-([^}]*)\}")


def service(name: str) -> dict[str, Any]:
    """Return one service's definition."""
    definition: dict[str, Any] = COMPOSE["services"][name]
    return definition


def compose_environment(name: str) -> dict[str, str]:
    """Return a service's environment with `${VAR:-default}` resolved to the defaults."""
    return {
        key: _DEFAULT.sub(lambda match: match[2], str(value))
        for key, value in service(name).get("environment", {}).items()
    }
