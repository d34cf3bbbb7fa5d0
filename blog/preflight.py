"""The check `bin/app` runs before a command: the settings, failing with a line on stderr and
status 2. Before `serve`, `bin/app` runs the checks of the layers installed that have one too."""

import sys

from blog.config import ConfigError, Settings

CONFIG_ERROR = 2
# What the check prints on stderr when it fails.
BAD_SETTINGS = "blog: configuration error: {}"


def main(settings: type[Settings] = Settings) -> int:
    """Check the settings the environment gives, read as `settings`; return the exit status."""
    try:
        settings.from_env()
    except ConfigError as exc:
        print(BAD_SETTINGS.format(exc), file=sys.stderr)
        return CONFIG_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
