"""Whether the API and its database answer."""

from apiflask import APIBlueprint
from sqlalchemy import text

from blog.auth import ignores_authorization
from blog.db import db
from blog.schemas import HealthOut

bp = APIBlueprint("health", __name__)


@bp.get("/healthz")
@ignores_authorization
@bp.output(HealthOut)
def healthz() -> HealthOut:
    """Say whether the app can reach its database (if not, the error handler answers 503)."""
    db.session.execute(text("SELECT 1"))
    return HealthOut(status="ok")
