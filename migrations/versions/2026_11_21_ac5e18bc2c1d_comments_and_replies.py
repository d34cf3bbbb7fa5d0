"""Comments and replies.

A comment belongs to a post and an author, and a reply also to its parent comment (parent_id,
NULL for a top-level comment). All three foreign keys cascade: deleting a post, a user or a
comment deletes the comments below it, at any depth.

Revision ID: ac5e18bc2c1d
Revises: 44ec1540f559
Create Date: 2026-11-21 12:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ac5e18bc2c1d"
down_revision: str | Sequence[str] | None = "44ec1540f559"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_comments_post_id_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_comments_author_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["comments.id"],
            name=op.f("fk_comments_parent_id_comments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    op.create_index(op.f("ix_comments_post_id"), "comments", ["post_id"])
    op.create_index(op.f("ix_comments_author_id"), "comments", ["author_id"])
    op.create_index(op.f("ix_comments_parent_id"), "comments", ["parent_id"])


def downgrade() -> None:
    op.drop_table("comments")
