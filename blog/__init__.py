"""A small blog API whose models are a worked example of SQLAlchemy's back_populates.

Start reading at `create_app()`, the WSGI entry point (`gunicorn 'blog:create_app()'`)."""

from importlib.metadata import version

from apiflask import APIFlask

from blog import api, auth, errors, framework, headers, openapi
from blog.config import EXTENSION_KEY, Settings
from blog.db import db, read_without_transaction, set_in_every_transaction


def create_app(settings: Settings | None = None) -> APIFlask:
    """Create the app with `settings`, or with those the environment gives."""
    settings = Settings.from_env() if settings is None else settings
    # APIFlask serves the OpenAPI document at /openapi.json and its page at /docs; no OAuth2
    # sign-in page for it, as the API's tokens are bearer tokens.
    app = APIFlask(
        __name__, title="Blog API", version=version("blog"), docs_oauth2_redirect_path=None
    )
    app.config.from_mapping(settings.flask_config())
    app.extensions[EXTENSION_KEY] = settings  # where current_settings() finds them
    framework.adapt(app)  # where the app departs from Flask's and APIFlask's defaults
    app.url_map.converters["id"] = framework.IdConverter  # `<id:post_id>` in the routes
    openapi.install_openapi(app)  # the description, and corrections to the generated document
    db.init_app(app)

    # Every request passes these checks, in this order, before its view; the first that
    # answers ends it.
    app.before_request(framework.refuse_oversized_requests)
    app.before_request(framework.refuse_unfit_query_parameters)
    headers.install_conditions(app)  # If-Match and If-None-Match, where no view evaluates them
    if settings.db_pooler == "transaction":
        # Transaction-mode pooler: no autocommit reads; each transaction sets timeout and time zone.
        with app.app_context():
            set_in_every_transaction(
                db.engine, statement_timeout_ms=settings.db_statement_timeout_ms
            )
    else:
        app.before_request(read_without_transaction)
    app.before_request(auth.refuse_an_invalid_token)  # its user read as the view reads

    errors.register_error_handlers(app)  # every error becomes problem details
    errors.serve_problem_pages(app)  # and each problem type's URI is a page
    api.register_blueprints(app)  # the views, one blueprint per resource (blog/api/)
    app.wsgi_app = headers.secured(app.wsgi_app)  # type: ignore[method-assign,assignment]
    return app
