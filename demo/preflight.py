"""The demo layer's check before `bin/app serve` in production: no demo account may still take
the published password. It fails with a line on stderr and status 3, as `python -m demo.preflight`.
"""

import sys

from sqlalchemy.exc import SQLAlchemyError

from blog import create_app
from blog.config import Settings
from demo.seed import demo_accounts, demo_accounts_with_the_published_password

DEMO_ACCOUNTS_OPEN = 3
# What the check prints on stderr when it fails.
DEMO_CHECK_FAILED = "blog: cannot check the demo accounts: {}"
DEMO_ACCOUNTS_ACCEPT = (
    "blog: refusing to serve in production: {} still accept the published password;"
    " `bin/app seed` disables them."
)


def main() -> int:
    """Check the demo accounts when the settings say production; return the exit status.

    `bin/app serve` runs the core's check of the settings first, so they are valid here.
    """
    settings = Settings.from_env()
    if settings.env != "production":
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
    sys.exit(main())
