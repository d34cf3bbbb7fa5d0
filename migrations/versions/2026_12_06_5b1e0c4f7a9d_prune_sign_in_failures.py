"""Sign-in failures: an index on when each window started, for pruning ended windows.

blog/auth.py deletes a few rows whose window has ended at each attempt, so that the rows
of names nobody has do not pile up; the index finds them without reading the whole table.

Revision ID: 5b1e0c4f7a9d
Revises: 925fab03961e
Create Date: 2026-12-06 14:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5b1e0c4f7a9d"
down_revision: str | Sequence[str] | None = "925fab03961e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_sign_in_failures_window_started_at"),
        "sign_in_failures",
        ["window_started_at"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sign_in_failures_window_started_at"), table_name="sign_in_failures")
