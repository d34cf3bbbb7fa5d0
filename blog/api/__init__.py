"""The HTTP API: one module per resource, each with its blueprint `bp`, listed in `BLUEPRINTS`."""

import sys

from apiflask import APIFlask

from blog.api import comments, feed, health, posts, tags, tokens, users

BLUEPRINTS = (users.bp, tokens.bp, posts.bp, comments.bp, feed.bp, tags.bp, health.bp)


def register_blueprints(app: APIFlask) -> None:
    """Attach every resource's blueprint to `app`, its module's docstring describing its tag."""
    for blueprint in BLUEPRINTS:
        about = sys.modules[blueprint.import_name].__doc__
        blueprint.tag = {"name": blueprint.name.title(), "description": about}
        app.register_blueprint(blueprint)
