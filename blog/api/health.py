"""Whether the API and its database answer."""

from apiflask import APIBlueprint
from sqlalchemy import text

from blog import schemas
from blog.auth import ignores_authorization
from blog.db import db

bp = APIBlueprint("health", __name__)


@bp.get("/healthz")
@ignores_authorization
@bp.output(schemas.HealthOut)
def healthz() -> schemas.HealthOut:
    """Say whether the app can reach its database (if not, the error handler answers 503)."""
    db.session.execute(text("SELECT 1"))
    return schemas.HealthOut(status="ok")
