"""The HTTP API: one module per resource, whose blueprint `bp` is listed in `BLUEPRINTS`."""

from apiflask import APIBlueprint, APIFlask
from apiflask.schema_adapters import registry

from blog.framework import ModelAdapter

# Before the blueprints are imported: APIFlask picks a view's adapter as it decorates the view.
registry.register("pydantic", ModelAdapter)

from blog.api import comments, feed, health, posts, tags, tokens, users  # noqa: E402

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
