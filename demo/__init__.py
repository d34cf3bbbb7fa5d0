"""The demo data and its safeguards in production: a layer (demo/README.md).

`bin/app seed` runs `flask --app demo seed`, which finds the app below: the core's, with the
demo layer's `seed` command added.
"""

from apiflask import APIFlask

import blog
from demo.seed import seed_command


def create_app() -> APIFlask:
    """Return the app the environment's settings give, with `flask seed` (demo/seed.py)."""
    app = blog.create_app()
    app.cli.add_command(seed_command)
    return app
