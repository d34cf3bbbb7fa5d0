"""Token versions, so that changing the password ends every token issued before.

users.token_version starts at 0 and goes up by one with each password change. Bearer tokens
carry the version they were issued at, and a token whose version is not the user's current one
is refused. A version is exact where an issued-at time, in whole seconds, is not: a token
issued in the second of the change, but before it, is refused, and one issued after it works.

Revision ID: 0d8d945dd953
Revises: ff26b3a8d642
Create Date: 2026-12-02 07:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0d8d945dd953"
down_revision: str | Sequence[str] | None = "ff26b3a8d642"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("token_version", sa.Integer(), server_default="0", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("users", "token_version")
