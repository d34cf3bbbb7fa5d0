"""The checks `bin/app` runs before a command, each failing with a line on stderr: the settings
(status 2) and, before `serve` in production, no demo account taking the published password (3)."""

import sys

from sqlalchemy.exc import SQLAlchemyError

from blog import create_app
from blog.config import ConfigError, Settings
from blog.seed import demo_accounts, demo_accounts_with_the_published_password

CONFIG_ERROR = 2
DEMO_ACCOUNTS_OPEN = 3
# What each check prints on stderr when it fails.
BAD_SETTINGS = "blog: configuration error: {}"
DEMO_CHECK_FAILED = "blog: cannot check the demo accounts: {}"
DEMO_ACCOUNTS_ACCEPT = (
    "blog: refusing to serve in production: {} still accept the published password;"
    " `bin/app seed` disables them."
)


def main(argv: list[str]) -> int:
    """Run the checks `argv` asks for; return the exit status."""
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(BAD_SETTINGS.format(exc), file=sys.stderr)
        return CONFIG_ERROR
    if argv != ["serve"] or settings.env != "production":
        return 0
    try:
        with create_app(settings).app_context():
            names = demo_accounts_with_the_published_password()
    except SQLAlchemyError as exc:
        detail = " ".join(str(getattr(exc, "orig", None) or exc).split())  # the driver's, in a line
        print(DEMO_CHECK_FAILED.format(detail), file=sys.stderr)
        return DEMO_ACCOUNTS_OPEN
    if names:
        print(DEMO_ACCOUNTS_ACCEPT.format(demo_accounts(names)), file=sys.stderr)
    return DEMO_ACCOUNTS_OPEN if names else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
