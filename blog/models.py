"""The blog's models: a worked example of bidirectional relationships.

Every `relationship()` here is one half of a pair. Both halves are declared, and each names the
other with `back_populates`, so that changing one side of a link in Python updates the other side
in memory at once, before anything is sent to the database:

    user.posts.append(post)   # post.author is user at once (no SQL if user.posts is loaded)
    post.tags.remove(tag)     # tag.posts no longer holds post

The database only learns of a change at flush: the foreign key (`post.author_id`) or the
association row (`post_tags`) is written then. `tests/models/test_relationship_pairs.py` fails if
a relationship anywhere lacks its partner, and the other modules in `tests/models/` show each
pair's behaviour on PostgreSQL.

The pairs, one for each pattern:

    User.profile    <->  Profile.user     one-to-one; the profile goes with its user
    User.posts      <->  Post.author      one-to-many; a post goes with its author
    Post.tags       <->  Tag.posts        many-to-many through `post_tags`; only links are deleted
    Post.comments   <->  Comment.post     one-to-many; comments go with their post ...
    User.comments   <->  Comment.author   ... and with their author
    Comment.replies <->  Comment.parent   self-referential one-to-many (an adjacency list)
    User.following  <->  User.followers   self-referential many-to-many through `follows`
    User.likes      <->  Like.user        an association object (a link with data of its own) ...
    Post.likes      <->  Like.post        ... seen from both ends; User.liked_posts is a proxy

Every foreign key is ON DELETE CASCADE, and every collection that owns its rows says
`passive_deletes=True`: deleting a user or a post with nothing of theirs loaded is one DELETE,
and PostgreSQL removes what hangs off it (what is loaded, the ORM deletes first). Every foreign
key column is indexed, unless it leads a primary key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from blog.db import Base, utcnow

USERNAME_PATTERN = r"^[A-Za-z0-9_-]{3,32}$"
TAG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
TAG_MAX_LENGTH = 32
TITLE_MAX_LENGTH = 200
BODY_MAX_LENGTH = 100_000
COMMENT_MAX_LENGTH = 10_000
BIO_MAX_LENGTH = 500
URL_MAX_LENGTH = 2048
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

# Who follows whom: another plain association table, this time joining users to users.
follows = Table(
    "follows",
    Base.metadata,
    Column("follower_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("followed_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
    CheckConstraint("follower_id <> followed_id", name="not_self"),
)

# Totals kept exact by database triggers (see the migration "post counts kept by triggers"), so
# that no request has to count rows: the 'posts' row holds the number of posts.
counters = Table(
    "counters",
    Base.metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)


def _trigger_count() -> Mapped[int]:
    # Kept by database triggers; the app never writes it. A value already loaded stays as it
    # was read when posts are added, after a commit too (the session does not expire on commit)
    # and when a query returns the row again, until the object is refreshed, or expired, or
    # read with populate_existing.
    return mapped_column(server_default=text("0"))


class User(Base):
    """Someone who can sign in, write posts and comments, follow others and like posts."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"username ~ '{USERNAME_PATTERN}'", name="username_format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique regardless of case: see the lower() indexes below the class.
    username: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(EMAIL_MAX_LENGTH))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = _created_at()
    post_count: Mapped[int] = _trigger_count()
    token_version: Mapped[int] = mapped_column(default=0, server_default="0")  # see blog/auth.py

    # Partner: Profile.user. One-to-one: the Mapped[Profile] annotation makes this attribute
    # one object, not a list, and uselist=False says so again for the reader. The profile is
    # part of its user: "all, delete-orphan" deletes it with the user, and a profile replaced by
    # another is deleted too.
    profile: Mapped[Profile] = relationship(
        back_populates="user",
        uselist=False,
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    # Partner: Post.author. A post cannot outlive its author: "all, delete-orphan" deletes the
    # posts of a deleted user, and a post removed from this list; passive_deletes leaves posts
    # that are not loaded to the database's ON DELETE CASCADE instead of loading them first.
    posts: Mapped[list[Post]] = relationship(
        back_populates="author",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    # Partner: Comment.author. A user's comments go with the user, as their posts do.
    comments: Mapped[list[Comment]] = relationship(
        back_populates="author",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    # Partner: User.followers. The same class on both ends, so primaryjoin and secondaryjoin say
    # which column of `follows` is which: this side is the follower. The default cascade
    # (save-update, merge), no "delete": deleting a user deletes only follows rows, never the
    # users at the other end (tests/models/test_follows.py).
    following: Mapped[list[User]] = relationship(
        secondary=follows,
        primaryjoin=id == follows.c.follower_id,
        secondaryjoin=id == follows.c.followed_id,
        back_populates="followers",
        passive_deletes=True,
    )

    # Partner: User.following. The mirror image: this side is the one being followed.
    followers: Mapped[list[User]] = relationship(
        secondary=follows,
        primaryjoin=id == follows.c.followed_id,
        secondaryjoin=id == follows.c.follower_id,
        back_populates="following",
        passive_deletes=True,
    )

    # Partner: Like.user. Likes are rows of their own (they carry created_at), so they are
    # mapped objects, and a user's likes go with the user.
    likes: Mapped[list[Like]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    # Not a relationship but a view through `likes`: reading it gives the liked posts, appending
    # a post creates the Like. It writes through User.likes, so it cannot disagree with it, as a
    # second relationship over the same table could (see tests/models/test_likes.py).
    liked_posts: AssociationProxy[list[Post]] = association_proxy(
        "likes", "post", creator=lambda post: Like(post=post)
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r}>"


Index("uq_users_username_lower", func.lower(User.username), unique=True)
Index("uq_users_email_lower", func.lower(User.email), unique=True)


class Profile(Base):
    """What a user says about themselves; every user has exactly one."""

    __tablename__ = "profiles"

    # The user's id is the primary key, so the database itself allows one profile per user.
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    bio: Mapped[str | None] = mapped_column(String(BIO_MAX_LENGTH))
    website: Mapped[str | None] = mapped_column(String(URL_MAX_LENGTH))
    avatar_url: Mapped[str | None] = mapped_column(String(URL_MAX_LENGTH))

    # Partner: User.profile. The many-to-one end of a one-to-one; the cascade lives on User.
    user: Mapped[User] = relationship(back_populates="profile")

    def __repr__(self) -> str:
        return f"<Profile of user {self.user_id}>"


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
    # Goes up by one with each UPDATE the ORM makes, which also checks it is still the version
    # it read (version_id_col): an edit based on an old copy fails rather than overwrite.
    version: Mapped[int] = mapped_column(server_default=text("1"))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads a dict

    # Not columns: filled in by a query that asks for them with with_expression() (the pages
    # of posts, blog/posts.py), and None on a post first loaded by any other; a value
    # once loaded stays until the post is expired or read with populate_existing
    # (tests/models/test_loading.py). How many likes
    # and comments a post has is a count, not something to load the collections for; whether
    # the reader likes it depends on who reads it, so no single column_property could say.
    like_count: Mapped[int | None] = query_expression()
    comment_count: Mapped[int | None] = query_expression()
    liked_by_me: Mapped[bool | None] = query_expression()

    # Partner: User.posts. The many-to-one side; the cascade that matters lives on User.posts.
    author: Mapped[User] = relationship(back_populates="posts")

    # Partner: Tag.posts. Deleting a post removes only its post_tags rows, never a tag, which
    # other posts may share: the default cascade (save-update, merge), with no "delete".
    # passive_deletes lets ON DELETE CASCADE remove the rows when the tags are not loaded.
    tags: Mapped[list[Tag]] = relationship(
        secondary=post_tags,
        back_populates="posts",
        passive_deletes=True,
    )

    # Partner: Comment.post. A post's comments, and their replies, go with the post.
    comments: Mapped[list[Comment]] = relationship(
        back_populates="post",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    # Partner: Like.post. A post's likes go with the post.
    likes: Mapped[list[Like]] = relationship(
        back_populates="post",
        cascade="all, delete-orphan",
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
    post_count: Mapped[int] = _trigger_count()

    # Partner: Post.tags. Deleting a tag removes only its post_tags rows; the posts stay.
    posts: Mapped[list[Post]] = relationship(
        secondary=post_tags,
        back_populates="tags",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<Tag {self.id} {self.name!r}>"


class Comment(Base):
    """A comment on a post, or a reply to another comment on the same post."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _created_at()
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # NULL for a top-level comment. The cascade reaches replies at any depth, in SQL as in
    # the ORM. That a reply is on its parent's post is checked by the code that creates it.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )

    # Partner: Post.comments. Many-to-one; the cascade lives on Post.comments.
    post: Mapped[Post] = relationship(back_populates="comments")

    # Partner: User.comments. Many-to-one; the cascade lives on User.comments.
    author: Mapped[User] = relationship(back_populates="comments")

    # Partner: Comment.replies. A table joined to itself: remote_side names the column on the
    # far ("one") end of comments.parent_id = comments.id, which makes this side many-to-one.
    parent: Mapped[Comment | None] = relationship(back_populates="replies", remote_side=[id])

    # Partner: Comment.parent. Deleting a comment deletes its replies ("all", and ON DELETE
    # CASCADE for those not loaded). No delete-orphan, so a reply taken out of parent.replies
    # is kept, as a top-level comment.
    replies: Mapped[list[Comment]] = relationship(
        back_populates="parent",
        cascade="all",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<Comment {self.id} on post {self.post_id}>"


class Like(Base):
    """A user liking a post: an association object, because the link has data of its own."""

    __tablename__ = "likes"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = _created_at()

    # Partner: User.likes. Many-to-one; the cascade lives on User.likes.
    user: Mapped[User] = relationship(back_populates="likes")

    # Partner: Post.likes. Many-to-one; the cascade lives on Post.likes.
    post: Mapped[Post] = relationship(back_populates="likes")

    def __repr__(self) -> str:
        return f"<Like user {self.user_id} post {self.post_id}>"


class SignInFailures(Base):
    """Recent wrong passwords for one username, for the sign-in throttle (blog/auth.py).

    Keyed by the name as typed, lower-cased, and not a foreign key: a username nobody has is
    counted too, so that its answers are the same as an existing user's. The throttle writes
    these rows in single SQL statements; nothing loads them as objects.
    """

    __tablename__ = "sign_in_failures"

    username_lower: Mapped[str] = mapped_column(String(254), primary_key=True)
    # Attempts in the current window; an attempt counts as soon as it starts, and a
    # successful one deletes the row.
    failures: Mapped[int]
    # Indexed for the throttle's pruning of rows whose window has ended.
    window_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
