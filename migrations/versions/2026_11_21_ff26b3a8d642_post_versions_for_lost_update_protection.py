"""Post versions, for lost-update protection.

posts.version starts at 1 and goes up by one with every UPDATE the ORM makes (SQLAlchemy's
version_id_col); the API shows it as the post's ETag and refuses a PATCH whose If-Match names
another version.

Revision ID: ff26b3a8d642
Revises: 2cdbd02a8faf
Create Date: 2026-11-21 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ff26b3a8d642"
down_revision: str | Sequence[str] | None = "2cdbd02a8faf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("posts", sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    op.drop_column("posts", "version")
