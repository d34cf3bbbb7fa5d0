"""Sign-in failures: recent wrong passwords per username, for throttling.

One row per username (lower-cased) that a wrong password was sent for: how many in the current
window, and when that window started. blog/auth.py counts each attempt with a single
INSERT ... ON CONFLICT DO UPDATE, refuses further attempts with 429 once the window's are used
up, and deletes the row at a successful sign-in. Keeping it in PostgreSQL makes the count one
for every worker process, and lets it outlive a restart.

Revision ID: 925fab03961e
Revises: 0d8d945dd953
Create Date: 2026-12-02 07:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "925fab03961e"
down_revision: str | Sequence[str] | None = "0d8d945dd953"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column("username_lower", sa.String(length=254), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username_lower", name=op.f("pk_sign_in_failures")),
    )


def downgrade() -> None:
    op.drop_table("sign_in_failures")
