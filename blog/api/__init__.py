"""The HTTP API: one module per resource, whose blueprint `bp` is listed in `BLUEPRINTS`."""

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
