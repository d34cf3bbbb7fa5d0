"""Accounts, profiles and who follows whom."""

from apiflask import APIBlueprint
from flask import url_for
from pydantic import MISSING
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import InstrumentedAttribute, with_parent

from blog import auth, schemas
from blog.auth import current_user, token_auth
from blog.db import db
from blog.errors import WRONG_PASSWORD, Forbidden, NotFound, Unprocessable
from blog.fields import guessable, is_username
from blog.models import Profile, User, follows
from blog.openapi import LOCATION, responses
from blog.posts import numbered

bp = APIBlueprint("users", __name__, url_prefix="/api/users")

SIGN_UP = {409: "The username or email address is taken", 429: "Too many passwords at once"}
CONFIRMED = {403: "The current password is wrong", 429: "Too many password attempts lately"}
NOT_CONFIRMED = "The current password is wrong."
FOLLOWING_YOURSELF = "You cannot follow yourself."
PRIVATE = {"Cache-Control": "no-store"}  # your own account, email included (OWASP's REST advice)
NO_STORE = {"type": "string", "const": "no-store"}
PRIVATE_DOC = {"Cache-Control": {"description": "No cache may keep it", "schema": NO_STORE}}


def named(username: str) -> ColumnElement[bool]:
    """Return the condition that a user is called `username`, whatever the case."""
    if not is_username(username):  # no user has such a name: do not ask the database
        raise NotFound(f"There is no user {username!r}.")
    return func.lower(User.username) == username.lower()


def require_user(username: str) -> User:
    """Return the user called `username`, or raise NotFound."""
    missing = f"There is no user {username!r}."
    user: User = db.first_or_404(select(User).where(named(username)), description=missing)
    return user


def confirm_password(user: User, data: schemas.PasswordConfirmation) -> None:
    """Raise Forbidden unless `data.current_password` is the user's (OWASP asks for it again)."""
    # Every try counts, a right one too (it clears no count): one token cannot hog the hashing.
    auth.attempt(user.username)
    right = auth.verify_password(user.password_hash, data.current_password)
    auth.keep()  # counted, whatever the rest of the request comes to
    if not right:
        fault = {"pointer": "/current_password", "detail": NOT_CONFIRMED}
        raise Forbidden(fault["detail"], errors=[fault], kind=WRONG_PASSWORD)


@bp.post("")
@auth.ignores_authorization
@bp.input(schemas.UserCreate, arg_name="data")
@bp.output(schemas.UserOut, status_code=201, description="The new account")
@bp.doc(responses=responses(errors=SIGN_UP, headers={201: {"Location": LOCATION}}))
def create_user(data: schemas.UserCreate) -> tuple[schemas.UserOut, dict[str, str]]:
    """Create an account."""
    password_hash = auth.hash_password(data.password)
    user = User(username=data.username, email=data.email, password_hash=password_hash)
    # Every user has a profile: back_populates sets profile.user, and the cascade adds it too.
    user.profile = Profile()
    db.session.add(user)
    db.session.commit()  # a taken username or email fails here, and is answered 409
    location = url_for(".get_user", username=user.username)
    return schemas.UserOut.model_validate(user), {"Location": location}


@bp.get("/me")
@bp.auth_required(token_auth)
@bp.output(schemas.UserOut)
@bp.doc(responses=responses(headers={200: PRIVATE_DOC}))
def get_me() -> tuple[schemas.UserOut, dict[str, str]]:
    """Show your own account."""
    return schemas.UserOut.model_validate(current_user()), PRIVATE


@bp.patch("/me")
@bp.auth_required(token_auth)
@bp.input(schemas.UserUpdate, arg_name="data")
@bp.output(schemas.UserOut)
@bp.doc(
    responses=responses(errors=CONFIRMED | {409: "Email address taken"}, headers={200: PRIVATE_DOC})
)
def update_me(data: schemas.UserUpdate) -> tuple[schemas.UserOut, dict[str, str]]:
    """Change your email address or password, confirming it with your current password."""
    user = current_user()
    # Judged before the current password is checked: a refusal costs no hash.
    email = user.email if data.email is MISSING else data.email
    warning = None if data.password is MISSING else guessable(data.password, user.username, email)
    if warning is not None:
        raise Unprocessable(warning, errors=[{"pointer": "/password", "detail": warning}])
    confirm_password(user, data)
    user.email = email  # the same value again is no change to the ORM
    if data.password is not MISSING:
        user.password_hash = auth.hash_password(data.password)
        user.token_version += 1  # every token issued so far names the old one: refused
    db.session.commit()
    return schemas.UserOut.model_validate(user), PRIVATE


@bp.delete("/me")
@bp.auth_required(token_auth)
@bp.input(schemas.PasswordConfirmation, arg_name="data")
@bp.output({}, status_code=204, description="The account and everything it wrote are gone")
@bp.doc(responses=CONFIRMED)
def delete_me(data: schemas.PasswordConfirmation) -> tuple[str, int]:
    """Delete your account and all it wrote, liked or followed, confirming your password."""
    user = current_user()
    confirm_password(user, data)
    # Every collection on User has passive_deletes, none loaded: ON DELETE CASCADE does the rest.
    db.session.delete(user)
    db.session.commit()
    return "", 204


@bp.get("/me/profile")
@bp.auth_required(token_auth)
@bp.output(schemas.ProfileOut)
def get_my_profile() -> schemas.ProfileOut:
    """Show your profile."""
    return schemas.ProfileOut.model_validate(current_user().profile)


@bp.patch("/me/profile")
@bp.auth_required(token_auth)
@bp.input(schemas.ProfileUpdate, arg_name="data")
@bp.output(schemas.ProfileOut)
def update_my_profile(data: schemas.ProfileUpdate) -> schemas.ProfileOut:
    """Change your bio, website or avatar; `null` clears a field."""
    profile = current_user().profile
    for field, value in data.model_dump(mode="json").items():
        setattr(profile, field, value)
    db.session.commit()
    return schemas.ProfileOut.model_validate(profile)


@bp.get("/<username>")
@bp.output(schemas.UserProfileOut)
def get_user(username: str) -> schemas.UserProfileOut:
    """Show a user's public profile."""
    followers = select(func.count()).where(follows.c.followed_id == User.id)
    following = select(func.count()).where(follows.c.follower_id == User.id)
    columns = (User.username, User.created_at, User.post_count, Profile.bio, Profile.website)
    counts = (followers.label("follower_count"), following.label("following_count"))
    shown = select(*columns, Profile.avatar_url, *counts).join(User.profile)
    profile = db.session.execute(shown.where(named(username))).one_or_none()
    if profile is None:
        raise NotFound(f"There is no user {username!r}.")
    return schemas.UserProfileOut.model_validate(profile)


@bp.put("/<username>/follow")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="You follow them (whether or not you did before)")
@bp.doc(responses={422: "You cannot follow yourself"})
def follow(username: str) -> tuple[str, int]:
    """Follow a user."""
    followed, follower = require_user(username), current_user()
    if followed.id == follower.id:
        raise Unprocessable(FOLLOWING_YOURSELF)
    # Not follower.following.append(): this loads no one, and stays idempotent under a race.
    row = insert(follows).values(follower_id=follower.id, followed_id=followed.id)
    db.session.execute(row.on_conflict_do_nothing())
    db.session.commit()
    return "", 204


@bp.delete("/<username>/follow")
@bp.auth_required(token_auth)
@bp.output({}, status_code=204, description="You do not follow them (whether or not you did)")
def unfollow(username: str) -> tuple[str, int]:
    """Stop following a user."""
    followed = require_user(username)
    link = (follows.c.follower_id == current_user().id, follows.c.followed_id == followed.id)
    db.session.execute(delete(follows).where(*link))
    db.session.commit()
    return "", 204


def people(
    username: str, side: InstrumentedAttribute[list[User]], query: schemas.PageQuery
) -> schemas.UserPage:
    """Return one page, by name, of the users in a user's collection `side`."""
    # with_parent() makes the relationship a WHERE clause, to count and page it unloaded.
    criterion = with_parent(require_user(username), side)
    by_name = select(User.username).where(criterion).order_by(func.lower(User.username), User.id)
    return schemas.UserPage.model_validate(numbered(by_name, query.page, query.per_page))


@bp.get("/<username>/followers")
@bp.input(schemas.PageQuery, location="query", arg_name="query")
@bp.output(schemas.UserPage)
def list_followers(username: str, query: schemas.PageQuery) -> schemas.UserPage:
    """List the users who follow a user, by name."""
    return people(username, User.followers, query)


@bp.get("/<username>/following")
@bp.input(schemas.PageQuery, location="query", arg_name="query")
@bp.output(schemas.UserPage)
def list_following(username: str, query: schemas.PageQuery) -> schemas.UserPage:
    """List the users a user follows, by name."""
    return people(username, User.following, query)
