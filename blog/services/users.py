"""Users: signing up, changing and deleting accounts, profiles, and who follows whom."""

from __future__ import annotations

from pydantic import MISSING
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import joinedload, with_parent

from blog import throttle
from blog.auth import hash_password, password_matches
from blog.db import db
from blog.errors import Forbidden, NotFound, Unprocessable
from blog.fields import is_username
from blog.models import Profile, User, follows
from blog.pagination import Page, offset
from blog.schemas import ProfileUpdate, UserCreate, UserProfileOut, UserUpdate


def create_user(*, data: UserCreate) -> User:
    """Add a new user with an empty profile; a taken name or email fails at flush."""
    user = User(
        username=data.username,
        email=data.email,
        password_hash=hash_password(data.password),
        # A user always has a profile. Setting user.profile also sets profile.user
        # (back_populates), and the save-update cascade adds it to the session with the user.
        profile=Profile(),
    )
    db.session.add(user)
    db.session.flush()
    return user


def update_user(*, user: User, data: UserUpdate) -> User:
    """Apply the fields present in `data` to `user`, if `data.current_password` is theirs.

    A wrong current password is a 403, not a 401 or a 422. The request is authenticated: its
    token is good, and a 401 would tell the client that the token is not (and to drop it). The
    body is well-formed, so it is not a 422 either. But the credentials it offers for this
    change are not enough, which is what 403 says (RFC 9110, section 15.5.4). The answer says
    that the password is wrong and nothing else, and nothing is changed.

    Each try counts towards the sign-in throttle of the username (blog/throttle.py), so a token
    alone cannot be used to guess the password any faster than signing in can.
    """
    throttle.attempt(user.username)
    if not password_matches(user, data.current_password):
        detail = "The current password is wrong."
        raise Forbidden(detail, errors=[{"pointer": "/current_password", "detail": detail}])
    throttle.succeeded(user.username)
    if data.email is not MISSING:
        user.email = data.email
    if data.password is not MISSING:
        user.password_hash = hash_password(data.password)
        # Every token issued so far names the old version, and stops working (blog/auth.py).
        user.token_version += 1
    db.session.flush()
    return user


def update_profile(*, user: User, data: ProfileUpdate) -> Profile:
    """Apply the fields present in `data` to `user`'s profile; None clears a field."""
    profile = user.profile
    for field in data.model_fields_set:
        value = getattr(data, field)
        setattr(profile, field, None if value is None else str(value))
    db.session.flush()
    return profile


def delete_user(*, user: User) -> None:
    """Delete `user`; the database removes everything that hangs off them."""
    # Every collection on User has passive_deletes=True and nothing of them is loaded, so this
    # is a single DELETE: ON DELETE CASCADE removes the profile, posts (with their comments,
    # likes and tag links), comments (with the replies below them), likes and follows.
    db.session.delete(user)
    db.session.flush()


def find_user(username: str) -> User | None:
    """Return the user called `username`, compared without regard to case."""
    if not is_username(username):
        return None
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def require_user(username: str) -> User:
    """Return the user called `username`, or raise NotFound."""
    user = find_user(username)
    if user is None:
        raise NotFound(f"There is no user {username!r}.")
    return user


def get_profile(username: str) -> UserProfileOut:
    """Return the public profile of the user called `username`, or raise NotFound."""
    if not is_username(username):
        raise NotFound(f"There is no user {username!r}.")
    follower_count = select(func.count()).where(follows.c.followed_id == User.id).scalar_subquery()
    following_count = select(func.count()).where(follows.c.follower_id == User.id).scalar_subquery()
    row = db.session.execute(
        select(User, follower_count, following_count)
        .where(func.lower(User.username) == username.lower())
        .options(joinedload(User.profile))
    ).one_or_none()
    if row is None:
        raise NotFound(f"There is no user {username!r}.")
    user, followers, following = row
    return UserProfileOut(
        username=user.username,
        bio=user.profile.bio,
        website=user.profile.website,
        avatar_url=user.profile.avatar_url,
        created_at=user.created_at,
        post_count=user.post_count,
        follower_count=followers,
        following_count=following,
    )


def follow(*, follower: User, username: str) -> None:
    """Make `follower` follow the user called `username`; following again changes nothing."""
    followed = require_user(username)
    if followed.id == follower.id:
        raise Unprocessable("You cannot follow yourself.")
    # A plain INSERT ... ON CONFLICT DO NOTHING rather than follower.following.append(): it
    # needs no load of everyone they follow, and stays idempotent when two requests race.
    db.session.execute(
        insert(follows)
        .values(follower_id=follower.id, followed_id=followed.id)
        .on_conflict_do_nothing()
    )


def unfollow(*, follower: User, username: str) -> None:
    """Make `follower` stop following the user called `username`, if they did."""
    followed = require_user(username)
    db.session.execute(
        delete(follows).where(
            follows.c.follower_id == follower.id, follows.c.followed_id == followed.id
        )
    )


def _people(username: str, relationship: str, *, page: int, per_page: int) -> Page[User]:
    user = require_user(username)
    # with_parent() turns a relationship into a WHERE clause: the rows of user.followers (or
    # .following) without loading the whole collection, so it can be counted and paged.
    criterion = with_parent(user, getattr(User, relationship))
    total = db.session.scalar(select(func.count()).select_from(User).where(criterion)) or 0
    people = list(
        db.session.scalars(
            select(User)
            .where(criterion)
            .order_by(func.lower(User.username), User.id)
            .limit(per_page)
            .offset(offset(page, per_page))
        )
    )
    return Page(items=people, page=page, per_page=per_page, total=total)


def followers(*, username: str, page: int, per_page: int) -> Page[User]:
    """Return one page of the users who follow `username`, by name."""
    return _people(username, "followers", page=page, per_page=per_page)


def following(*, username: str, page: int, per_page: int) -> Page[User]:
    """Return one page of the users `username` follows, by name."""
    return _people(username, "following", page=page, per_page=per_page)
