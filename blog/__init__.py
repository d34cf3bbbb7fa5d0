"""A small blog API whose models are a worked example of SQLAlchemy's back_populates.

`create_app()` is the WSGI entry point (`gunicorn 'blog:create_app()'`): it reads the settings
from the environment unless it is given some, and wires the extensions, blueprints and error
handlers together.
"""

from __future__ import annotations

from importlib.metadata import version

from apiflask import APIFlask

from blog import cors
from blog.api import register_blueprints
from blog.auth import refuse_an_invalid_token
from blog.cli import register_commands
from blog.config import EXTENSION_KEY, Settings
from blog.db import db, read_without_transaction, set_in_every_transaction
from blog.errors import register_error_handlers
from blog.framework import adapt


def create_app(settings: Settings | None = None) -> APIFlask:
    """Create and configure the app (Settings validate themselves as they are made)."""
    settings = Settings.from_env() if settings is None else settings

    app = APIFlask(
        __name__,
        title="Blog API",
        version=version("blog"),
        spec_path="/openapi.json",
        docs_path="/docs",
    )
    app.config.from_mapping(settings.flask_config())
    app.extensions[EXTENSION_KEY] = settings
    cors.install(app, settings.cors_origins)

    # The framework's own checks of a request come first: they need no database.
    adapt(app)
    db.init_app(app)
    if settings.db_pooler == "transaction":
        with app.app_context():
            set_in_every_transaction(
                db.engine, statement_timeout_ms=settings.db_statement_timeout_ms
            )
    app.before_request(refuse_an_invalid_token)
    app.before_request(read_without_transaction)
    register_error_handlers(app)
    register_blueprints(app)
    register_commands(app)
    return app
