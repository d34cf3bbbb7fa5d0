"""The checks `bin/app` runs before a command, each failing with a line on stderr: the settings
(status 2) and, before `serve` in production, no demo account taking the published password (3)."""

import sys

from sqlalchemy.exc import SQLAlchemyError

from blog import create_app
from blog.config import ConfigError, Settings
from blog.seed import demo_accounts, demo_accounts_with_the_published_password

CONFIG_ERROR = 2
DEMO_ACCOUNTS_OPEN = 3


def main(argv: list[str]) -> int:
    """Run the checks `argv` asks for; return the exit status."""
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"blog: configuration error: {exc}", file=sys.stderr)
        return CONFIG_ERROR
    if argv != ["serve"] or settings.env != "production":
        return 0
    try:
        with create_app(settings).app_context():
            names = demo_accounts_with_the_published_password()
    except SQLAlchemyError as exc:
        detail = " ".join(str(getattr(exc, "orig", None) or exc).split())  # the driver's, in a line
        print(f"blog: cannot check the demo accounts: {detail}", file=sys.stderr)
        return DEMO_ACCOUNTS_OPEN
    if names:
        print(
            f"blog: refusing to serve in production: {demo_accounts(names)} still accept the"
            " published password; `bin/app seed` disables them.",
            file=sys.stderr,
        )
    return DEMO_ACCOUNTS_OPEN if names else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
