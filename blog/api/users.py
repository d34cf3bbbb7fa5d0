"""Accounts and people: sign up, your account and profile, public profiles, following."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import url_for

from blog.auth import current_user, token_auth
from blog.db import db
from blog.openapi import LOCATION, responses
from blog.schemas import (
    PageQuery,
    ProfileOut,
    ProfileUpdate,
    UserCreate,
    UserOut,
    UserPage,
    UserProfileOut,
    UserUpdate,
)
from blog.services import users

bp = APIBlueprint(
    "users",
    __name__,
    url_prefix="/api/users",
    tag={"name": "Users", "description": "Accounts, profiles and who follows whom."},
)


@bp.post("")
@bp.input(UserCreate, arg_name="data")
@bp.output(UserOut, status_code=201, description="The new account")
@bp.doc(
    responses=responses(
        errors={409: "The username or email address is taken"},
        headers={201: {"Location": LOCATION}},
    )
)
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
@bp.doc(
    responses={
        403: "The current password is wrong",
        409: "The email address is taken",
        429: "Too many wrong passwords for this username lately; try again after Retry-After",
    }
)
def update_me(data: UserUpdate) -> UserOut:
    """Change your email address or password, confirming it with your current password."""
    user = users.update_user(user=current_user(), data=data)
    db.session.commit()
    return UserOut.model_validate(user)


@bp.delete("/me")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="The account and everything it wrote are gone")
def delete_me() -> tuple[str, int]:
    """Delete your account, with your posts, comments, likes and follows."""
    users.delete_user(user=current_user())
    db.session.commit()
    return "", 204


@bp.get("/me/profile")
@bp.auth_required(token_auth)
@bp.output(ProfileOut)
def get_my_profile() -> ProfileOut:
    """Show your profile."""
    return ProfileOut.model_validate(current_user().profile)


@bp.patch("/me/profile")
@bp.auth_required(token_auth)
@bp.input(ProfileUpdate, arg_name="data")
@bp.output(ProfileOut)
def update_my_profile(data: ProfileUpdate) -> ProfileOut:
    """Change your bio, website or avatar; `null` clears a field."""
    profile = users.update_profile(user=current_user(), data=data)
    db.session.commit()
    return ProfileOut.model_validate(profile)


@bp.get("/<username>")
@bp.output(UserProfileOut)
@bp.doc(responses={404: "No such user"})
def get_user(username: str) -> UserProfileOut:
    """Show a user's public profile."""
    return users.get_profile(username)


@bp.put("/<username>/follow")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="You follow them (whether or not you did before)")
@bp.doc(responses={404: "No such user", 422: "You cannot follow yourself"})
def follow(username: str) -> tuple[str, int]:
    """Follow a user."""
    users.follow(follower=current_user(), username=username)
    db.session.commit()
    return "", 204


@bp.delete("/<username>/follow")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="You do not follow them (whether or not you did)")
@bp.doc(responses={404: "No such user"})
def unfollow(username: str) -> tuple[str, int]:
    """Stop following a user."""
    users.unfollow(follower=current_user(), username=username)
    db.session.commit()
    return "", 204


@bp.get("/<username>/followers")
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(UserPage)
@bp.doc(responses={404: "No such user"})
def list_followers(username: str, query: PageQuery) -> UserPage:
    """List the users who follow a user, by name."""
    page = users.followers(username=username, page=query.page, per_page=query.per_page)
    return UserPage.model_validate(page)


@bp.get("/<username>/following")
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(UserPage)
@bp.doc(responses={404: "No such user"})
def list_following(username: str, query: PageQuery) -> UserPage:
    """List the users a user follows, by name."""
    page = users.following(username=username, page=query.page, per_page=query.per_page)
    return UserPage.model_validate(page)
