"""Settings: where the environment is read, and the defaults outside `testing`."""

from __future__ import annotations

import ast
from pathlib import Path

from blog.config import Settings
from tests.fixtures import PROJECT_ROOT

ROOT = Path(PROJECT_ROOT)


def reads_the_environment(path: Path) -> bool:
    """Say whether a module names `os.environ` or `os.getenv`, or imports either from os."""
    names = {"environ", "getenv"}
    for node in ast.walk(ast.parse(path.read_text())):
        attribute = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
        if attribute and node.value.id == "os" and node.attr in names:
            return True
        imported = isinstance(node, ast.ImportFrom) and node.module == "os"
        if imported and names & {alias.name for alias in node.names}:
            return True
    return False


def test_only_blog_config_reads_the_environment_for_the_app_and_its_migrations() -> None:
    modules = [*ROOT.glob("blog/**/*.py"), *ROOT.glob("migrations/**/*.py")]
    readers = sorted(str(path.relative_to(ROOT)) for path in modules if reads_the_environment(path))

    assert len(modules) > 20
    assert readers == ["blog/config.py"]


def test_outside_testing_passwords_are_hashed_with_rfc_9106s_second_recommended_option() -> None:
    for env in ("development", "production"):
        environ = {"BLOG_ENV": env, "DATABASE_URL": "postgresql://app@db/blog"}
        if env == "production":
            environ["SECRET_KEY"] = "s" * 48
        settings = Settings.from_env(environ)
        # t=3 passes, 64 MiB, 4 lanes.
        assert (
            settings.argon2_time_cost,
            settings.argon2_memory_cost_kib,
            settings.argon2_parallelism,
        ) == (3, 65536, 4)


def test_the_size_and_wait_limits_reach_flask_and_the_driver() -> None:
    settings = Settings.from_env(
        {
            "MAX_REQUEST_BYTES": "2048",
            "DB_CONNECT_TIMEOUT_SECONDS": "7",
            "DB_STATEMENT_TIMEOUT_MS": "1234",
        }
    )
    config = settings.flask_config()
    connect_args = config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]

    assert config["MAX_CONTENT_LENGTH"] == 2048
    assert connect_args["connect_timeout"] == 7
    assert "statement_timeout=1234" in connect_args["options"]
