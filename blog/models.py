"""The blog's models: a worked example of bidirectional relationships.

Every `relationship()` here is one half of a pair. Both halves are declared, and each names the
other with `back_populates`, so that changing one side of a link in Python updates the other side
in memory at once, before anything is sent to the database:

    user.posts.append(post)   # post.author is user, immediately, with no SQL
    post.tags.remove(tag)     # tag.posts no longer holds post

The database only learns of a change at flush: the foreign key (`post.author_id`) or the
association row (`post_tags`) is written then. `tests/test_relationship_pairs.py` fails if a
relationship anywhere lacks its partner, and the `tests/test_sync_*` and `tests/test_cascade_*`
modules show each pair's behaviour on PostgreSQL.

The pairs:

    User.posts  <->  Post.author    one-to-many; a post is deleted with its author
    Post.tags   <->  Tag.posts      many-to-many through `post_tags`; only the links are deleted
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blog.db import Base, utcnow

USERNAME_PATTERN = r"^[A-Za-z0-9_-]{3,32}$"
TAG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
TAG_MAX_LENGTH = 32
TITLE_MAX_LENGTH = 200
BODY_MAX_LENGTH = 100_000
BIO_MAX_LENGTH = 500
EMAIL_MAX_LENGTH = 254


def _created_at() -> Mapped[datetime]:
    # The Python default serves the ORM; the server default serves raw SQL and bulk loads.
    return mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())


def _same_as_created_at(context: DefaultExecutionContext) -> datetime:
    parameters = context.get_current_parameters()  # type: ignore[no-untyped-call]
    created_at: datetime = parameters["created_at"]
    return created_at


# A plain association table: it holds nothing but the two foreign keys, so it is a Core `Table`,
# not a mapped class. Both keys cascade, so deleting a post or a tag in SQL removes its links.
# The primary key (post_id, tag_id) already indexes post_id; tag_id needs its own index.
post_tags = Table(
    "post_tags",
    Base.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(Base):
    """Someone who can sign in and write posts."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"username ~ '{USERNAME_PATTERN}'", name="username_format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique regardless of case: see the lower() indexes below the class.
    username: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(EMAIL_MAX_LENGTH))
    password_hash: Mapped[str] = mapped_column(String(255))
    bio: Mapped[str | None] = mapped_column(String(BIO_MAX_LENGTH))
    created_at: Mapped[datetime] = _created_at()

    # Partner: Post.author. A post cannot outlive its author: "all, delete-orphan" deletes the
    # posts of a deleted user, and a post removed from this list; passive_deletes leaves posts
    # that are not loaded to the database's ON DELETE CASCADE instead of loading them first.
    posts: Mapped[list[Post]] = relationship(
        back_populates="author",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r}>"


Index("uq_users_username_lower", func.lower(User.username), unique=True)
Index("uq_users_email_lower", func.lower(User.email), unique=True)


class Post(Base):
    """An article written by one user and filed under any number of tags."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _created_at()
    # Starts equal to created_at, then set by the code that edits a post rather than by
    # `onupdate`: a change to the tags alone writes only post_tags rows, so an onupdate on this
    # table would never fire for it.
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=_same_as_created_at, server_default=func.now()
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    # Partner: User.posts. The many-to-one side; the cascade that matters lives on User.posts.
    author: Mapped[User] = relationship(back_populates="posts")

    # Partner: Tag.posts. Deleting a post removes only its post_tags rows, never a tag, which
    # other posts may share (so no "delete" cascade here). passive_deletes lets ON DELETE
    # CASCADE remove the rows instead of loading the collection to delete them one by one.
    tags: Mapped[list[Tag]] = relationship(
        secondary=post_tags,
        back_populates="posts",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<Post {self.id} {self.title!r}>"


# The post list is read newest first; this index serves that order and its tie-breaker.
Index("ix_posts_created_at_id", Post.created_at, Post.id)


class Tag(Base):
    """A label shared by posts; its name is normalised to lower-case words joined by hyphens."""

    __tablename__ = "tags"
    __table_args__ = (
        CheckConstraint(f"name ~ '{TAG_PATTERN}'", name="name_format"),
        CheckConstraint(f"char_length(name) <= {TAG_MAX_LENGTH}", name="name_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The "C" collation compares code points, as Python's sorted() does, whatever locale the
    # database was created with, so "ORDER BY name" means the same everywhere.
    name: Mapped[str] = mapped_column(String(TAG_MAX_LENGTH, collation="C"), unique=True)

    # Partner: Post.tags. Deleting a tag removes only its post_tags rows; the posts stay.
    posts: Mapped[list[Post]] = relationship(
        secondary=post_tags,
        back_populates="tags",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<Tag {self.id} {self.name!r}>"
