"""Creating, changing, deleting and looking up users."""

from __future__ import annotations

from pydantic import MISSING
from sqlalchemy import func, select

from blog.auth import hash_password
from blog.db import db
from blog.models import Post, User
from blog.schemas import UserCreate, UserProfileOut, UserUpdate, is_username


def create_user(*, data: UserCreate) -> User:
    """Add a new user; a taken username or email surfaces as an IntegrityError at flush."""
    user = User(
        username=data.username,
        email=data.email,
        password_hash=hash_password(data.password),
    )
    db.session.add(user)
    db.session.flush()
    return user


def update_user(*, user: User, data: UserUpdate) -> User:
    """Apply the fields present in `data` to `user`."""
    if data.bio is not MISSING:
        user.bio = data.bio
    if data.email is not MISSING:
        user.email = data.email
    if data.password is not MISSING:
        user.password_hash = hash_password(data.password)
    db.session.flush()
    return user


def delete_user(*, user: User) -> None:
    """Delete `user`; the database removes their posts and those posts' tag links."""
    # User.posts has passive_deletes=True: unless the posts are already loaded, this is a single
    # DELETE of the user, and ON DELETE CASCADE does the rest.
    db.session.delete(user)
    db.session.flush()


def find_user(username: str) -> User | None:
    """Return the user called `username`, compared without regard to case."""
    if not is_username(username):
        return None
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def get_profile(username: str) -> UserProfileOut | None:
    """Return the public profile of the user called `username`, or None."""
    user = find_user(username)
    if user is None:
        return None
    post_count = db.session.scalar(select(func.count()).where(Post.author_id == user.id)) or 0
    return UserProfileOut.of(user, post_count)
