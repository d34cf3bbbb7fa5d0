"""Whether the API and its database answer."""

from apiflask import APIBlueprint
from sqlalchemy import text

from blog import auth, schemas
from blog.db import db

bp = APIBlueprint("health", __name__)


@bp.get("/healthz")
@auth.ignores_authorization
@bp.output(schemas.HealthOut)
def healthz() -> schemas.HealthOut:
    """Say whether the app can reach its database (if not, the error handler answers 503)."""
    db.session.execute(text("SELECT 1"))
    return schemas.HealthOut(status="ok")
