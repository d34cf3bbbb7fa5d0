"""Likes: a user liking a post, with the time they did.

The link carries data of its own (created_at), so the app maps it as a class of its own (Like),
an association object. The primary key (user_id, post_id) forbids liking a post twice;
post_id has its own index.

Revision ID: 4b5a9a36b0b0
Revises: fcf7e6ad7081
Create Date: 2026-11-21 12:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4b5a9a36b0b0"
down_revision: str | Sequence[str] | None = "fcf7e6ad7081"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "likes",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_likes_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_likes_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "post_id", name=op.f("pk_likes")),
    )
    op.create_index(op.f("ix_likes_post_id"), "likes", ["post_id"])


def downgrade() -> None:
    op.drop_table("likes")
