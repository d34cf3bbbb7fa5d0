"""Profiles, with the users' bios moved into them.

One-to-one: profiles.user_id is both the primary key and a foreign key to users, so each user has
at most one profile, and the app creates it with the user. This is a data migration: every
existing user gets a profile holding their bio. Downgrading moves the bios back; websites and
avatars did not exist before, so they are lost.

Revision ID: 44ec1540f559
Revises: 354423dd86e3
Create Date: 2026-11-21 12:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "44ec1540f559"
down_revision: str | Sequence[str] | None = "354423dd86e3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "profiles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("bio", sa.String(length=500), nullable=True),
        sa.Column("website", sa.String(length=2048), nullable=True),
        sa.Column("avatar_url", sa.String(length=2048), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_profiles_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_profiles")),
    )
    op.execute("INSERT INTO profiles (user_id, bio) SELECT id, bio FROM users")
    op.drop_column("users", "bio")


def downgrade() -> None:
    op.add_column("users", sa.Column("bio", sa.String(length=500), nullable=True))
    op.execute(
        "UPDATE users SET bio = profiles.bio FROM profiles WHERE profiles.user_id = users.id"
    )
    op.drop_table("profiles")
