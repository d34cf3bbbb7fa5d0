"""The HTTP API: one blueprint per resource.

A new resource gets its own module here with a `bp` blueprint, added to `BLUEPRINTS`.
"""

from apiflask import APIBlueprint, APIFlask

from blog.api import comments, feed, health, posts, tags, tokens, users

BLUEPRINTS: tuple[APIBlueprint, ...] = (
    users.bp,
    tokens.bp,
    posts.bp,
    comments.bp,
    feed.bp,
    tags.bp,
    health.bp,
)


def register_blueprints(app: APIFlask) -> None:
    """Attach every resource's blueprint to `app`."""
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
