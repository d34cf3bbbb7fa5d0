"""Accounts: sign up, read and change your own, read anyone's public profile."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import url_for

from blog.auth import current_user, token_auth
from blog.db import db
from blog.errors import NotFound
from blog.schemas import UserCreate, UserOut, UserProfileOut, UserUpdate
from blog.services import users

bp = APIBlueprint("users", __name__, url_prefix="/api/users", tag="Users")


@bp.post("")
@bp.input(UserCreate, arg_name="data")
@bp.output(UserOut, status_code=201, description="The new account")
@bp.doc(responses={409: "The username or email address is taken"})
def create_user(data: UserCreate) -> tuple[UserOut, dict[str, str]]:
    """Create an account."""
    user = users.create_user(data=data)
    db.session.commit()
    location = url_for(".get_user", username=user.username)
    return UserOut.model_validate(user), {"Location": location}


@bp.get("/me")
@bp.auth_required(token_auth)
@bp.output(UserOut)
def get_me() -> UserOut:
    """Show your own account."""
    return UserOut.model_validate(current_user())


@bp.patch("/me")
@bp.auth_required(token_auth)
@bp.input(UserUpdate, arg_name="data")
@bp.output(UserOut)
@bp.doc(responses={409: "The email address is taken"})
def update_me(data: UserUpdate) -> UserOut:
    """Change your bio, email address or password."""
    user = users.update_user(user=current_user(), data=data)
    db.session.commit()
    return UserOut.model_validate(user)


@bp.delete("/me")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="The account and its posts are gone")
def delete_me() -> tuple[str, int]:
    """Delete your account and all your posts."""
    users.delete_user(user=current_user())
    db.session.commit()
    return "", 204


@bp.get("/<username>")
@bp.output(UserProfileOut)
@bp.doc(responses={404: "No such user"})
def get_user(username: str) -> UserProfileOut:
    """Show a user's public profile."""
    profile = users.get_profile(username)
    if profile is None:
        raise NotFound(f"There is no user {username!r}.")
    return profile
