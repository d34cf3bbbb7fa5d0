"""What `bin/app` checks before it runs a command: one clear line instead of a traceback.

    python -m blog.preflight          the settings (BLOG_ENV, DATABASE_URL, SECRET_KEY, ...)
    python -m blog.preflight serve    and, in production, that no demo account can be signed into

A bad setting exits with status 2 and a demo account that still accepts the published password
with status 3, each with one line on stderr, so a container stops once with the reason rather
than with a traceback from every gunicorn worker. `bin/app seed` in production disables those
accounts (blog/cli.py).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from blog import create_app
from blog.config import ConfigError, Settings
from blog.seed import demo_accounts_with_the_published_password

CONFIG_ERROR = 2
DEMO_ACCOUNTS_OPEN = 3


def _say(message: str) -> None:
    print(f"blog: {message}", file=sys.stderr)


def open_demo_accounts(settings: Settings) -> list[str]:
    """Return the demo accounts that accept the published password, in `settings`' database."""
    app = create_app(settings)
    with app.app_context():
        return demo_accounts_with_the_published_password()


def main(argv: Sequence[str]) -> int:
    """Run the checks `argv` asks for; return the exit status."""
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        _say(f"configuration error: {exc}")
        return CONFIG_ERROR
    if list(argv) == ["serve"] and settings.env == "production":
        try:
            names = open_demo_accounts(settings)
        except SQLAlchemyError as exc:
            # A driver's message may run over several lines; one is what this promises.
            detail = " ".join(str(getattr(exc, "orig", None) or exc).split())
            _say(f"cannot check the demo accounts: {detail}")
            return DEMO_ACCOUNTS_OPEN
        if names:
            shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
            accounts = "account" if len(names) == 1 else "accounts"
            _say(
                f"refusing to serve in production: {len(names)} demo {accounts} ({shown}) still"
                " accept the published password; `bin/app seed` disables them."
            )
            return DEMO_ACCOUNTS_OPEN
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
