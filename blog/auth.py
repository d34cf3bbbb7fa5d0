"""Argon2id passwords, JWT bearer tokens (naming a user and their token version), `token_auth`;
sign-in throttling: after too many wrong passwords for one username (lower-cased), refusal for
the rest of a fixed window from the first failure (docs/api.md, Security)."""

import math
import unicodedata
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from functools import cache
from typing import Any, NoReturn, TypeVar, cast

import jwt
from apiflask import HTTPTokenAuth
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import g, has_request_context, request
from jwt.utils import base64url_decode, base64url_encode
from sqlalchemy import case, delete, extract, func, select
from sqlalchemy.dialects.postgresql import insert

from blog.config import Settings, current_settings
from blog.db import MAX_ID, db, utcnow
from blog.errors import TOKEN_REQUIRED, PasswordsBusy, TooManyRequests, Unauthorized
from blog.framework import operation_view
from blog.models import SignInFailures, User

F = TypeVar("F", bound=Callable[..., Any])
TOKEN_ALGORITHM = "HS256"  # noqa: S105 - an algorithm name, not a secret
HASHING_SLOTS = 0x68617368  # a slot's advisory lock key is this number and the slot's
PRUNED_PER_ATTEMPT = 100  # rows whose sign-in window has ended, deleted at each attempt

token_auth = HTTPTokenAuth(
    description="A token from `POST /api/tokens`, sent as `Authorization: Bearer <token>`."
)
OPTIONAL_BEARER: list[str | dict[str, list[Any]]] = [{"BearerAuth": []}, {}]  # token or none
EXPIRED = "The bearer token has expired."
NOT_VALID = "The bearer token is not valid."
USER_GONE = "The bearer token belongs to a user who no longer exists."
REVOKED = "The token was issued before the password changed: sign in again."
NOT_BEARER = "This is not a bearer token: send `Authorization: Bearer <token>`."
THROTTLED = "Too many password attempts for this username lately. Try again later."


@cache
def _hasher(settings: Settings) -> tuple[PasswordHasher, str]:
    hasher = PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost_kib,
        parallelism=settings.argon2_parallelism,
    )
    return hasher, hasher.hash("not the password of any user")  # checked for unknown users


def take_a_hashing_slot() -> None:
    """Hold a hashing slot (an advisory lock) until the transaction ends, or refuse with 429."""
    if not has_request_context():
        return  # a command (the seed), not a client's request
    transaction = db.session().get_transaction()
    if transaction is not None and g.get("hashing_slot_of") is transaction:
        return  # held already, until this transaction ends
    for slot in range(current_settings().password_hashes_at_once):
        if db.session.scalar(select(func.pg_try_advisory_xact_lock(HASHING_SLOTS, slot))):
            g.hashing_slot_of = db.session().get_transaction()
            return
    raise PasswordsBusy("Too many passwords being checked; try again in a second.", retry_after=1)


def attempt(username: str) -> None:
    """Count a password attempt for `username`, or refuse it with 429 if too many failed lately."""
    # The caller commits the count; until then its row stays locked, and attempts take turns.
    take_a_hashing_slot()  # first, so that a refusal for want of one counts for nothing
    settings = current_settings()
    window = timedelta(seconds=settings.sign_in_window_seconds)
    now = func.now()
    row = SignInFailures.__table__.c
    # One statement counts and returns the count, so that simultaneous requests agree, by the
    # database's clock. In ON CONFLICT DO UPDATE the table's columns are the row already there.
    ended = row.window_started_at <= now - window
    counted = (
        insert(SignInFailures)
        .values(username_lower=username.lower(), failures=1, window_started_at=now)
        .on_conflict_do_update(
            index_elements=[row.username_lower],
            set_={
                "failures": case((ended, 1), else_=row.failures + 1),
                "window_started_at": case((ended, now), else_=row.window_started_at),
            },
        )
        .returning(row.failures, extract("epoch", row.window_started_at + window - now))
    )
    failures, seconds_left = db.session.execute(counted).one()
    # A few rows whose window has ended go at each attempt, skipping those other attempts hold.
    ended_rows = select(row.username_lower).where(ended).limit(PRUNED_PER_ATTEMPT)
    unheld = ended_rows.with_for_update(skip_locked=True).scalar_subquery()
    db.session.execute(delete(SignInFailures).where(row.username_lower.in_(unheld)))
    if failures > settings.sign_in_max_failures:
        # The error handler rolls back: a refused attempt does not count.
        raise TooManyRequests(THROTTLED, retry_after=max(1, math.ceil(seconds_left)))


def keep() -> None:
    """Commit the count even under a false condition, which must not buy an uncounted check."""
    g.bookkeeping = True
    db.session.commit()
    g.bookkeeping = False


def hash_password(password: str) -> str:
    """Return an Argon2id hash of `password` in NFKC form (as NIST SP 800-63B-4 asks)."""
    take_a_hashing_slot()
    return _hasher(current_settings())[0].hash(unicodedata.normalize("NFKC", password))


def verify_password(password_hash: str, password: str) -> bool:
    """Say whether `password` matches `password_hash`; a hash that is not Argon2 matches nothing."""
    take_a_hashing_slot()
    hasher = _hasher(current_settings())[0]
    # A hash made before passwords were normalised is of the password as typed: tried second.
    for typed in dict.fromkeys([unicodedata.normalize("NFKC", password), password]):
        with suppress(VerificationError, InvalidHashError):
            return hasher.verify(password_hash, typed)
    return False


def sign_in(username: str, password: str) -> User | None:
    """Return the user these credentials belong to, or None, in about the same time either way;
    the attempt is committed, a failure adding to the count and a success clearing it."""
    attempt(username)
    hasher, dummy_hash = _hasher(current_settings())
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    matches = verify_password(dummy_hash if user is None else user.password_hash, password)
    if user is None or not matches:
        keep()
        return None
    db.session.execute(delete(SignInFailures).filter_by(username_lower=username.lower()))
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.commit()
    return user


def issue_token(user: User) -> tuple[str, int]:
    """Return a signed bearer token for `user` and its lifetime in seconds."""
    settings = current_settings()
    now, ttl = utcnow(), settings.token_ttl_seconds
    expires = now + timedelta(seconds=ttl)
    claims = {"sub": str(user.id), "ver": user.token_version, "iat": now, "exp": expires}
    return jwt.encode(claims, settings.secret_key, algorithm=TOKEN_ALGORITHM), ttl


@token_auth.verify_token  # type: ignore[untyped-decorator]  # Flask-HTTPAuth has no hints
def user_for_token(token: str) -> User:
    """Return the user `token` belongs to, or refuse it with 401 saying why it is not valid."""
    settings = current_settings()
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[TOKEN_ALGORITHM],
            options={"require": ["sub", "ver", "iat", "exp"]},
        )
        signature, user_id = token.rpartition(".")[2], int(claims["sub"])
        # PyJWT takes a string that int() reads as a time, but the app issues whole numbers. A
        # leaked key must not make lasting tokens; a signature and an id have one spelling only.
        if not (
            all(type(claims[name]) is int for name in ("iat", "exp", "ver"))
            and claims["exp"] - claims["iat"] <= settings.token_ttl_seconds
            and base64url_encode(base64url_decode(signature)).decode() == signature
            and claims["sub"] == str(user_id)  # not "007"
            and 1 <= user_id <= MAX_ID
        ):
            raise jwt.InvalidTokenError
    except jwt.ExpiredSignatureError:
        raise Unauthorized(EXPIRED) from None
    except (jwt.InvalidTokenError, ValueError):
        raise Unauthorized(NOT_VALID) from None
    user = db.session.get(User, user_id)
    if user is None:
        raise Unauthorized(USER_GONE)
    if claims["ver"] != user.token_version:
        raise Unauthorized(REVOKED)
    return user


@token_auth.error_processor
def _no_token(error: Any) -> NoReturn:
    # Only where no token came: user_for_token() refuses one that did itself.
    raise Unauthorized("This endpoint needs a bearer token.", kind=TOKEN_REQUIRED)


def optional_user() -> User | None:
    """Return the user of the request's token, or None if it sent none."""
    return cast("User | None", token_auth.current_user)


def current_user() -> User:
    """Return the user the current request's token belongs to (use under `auth_required`)."""
    return cast("User", token_auth.current_user)


def ignores_authorization(view: F) -> F:
    """Mark a view deaf to the Authorization header, so that a stale token cannot stop it."""
    view.ignores_authorization = True  # type: ignore[attr-defined]
    return view


def reads_authorization(view: Any) -> bool:
    """Say whether a view reads the Authorization header (is not marked otherwise)."""
    return not getattr(view, "ignores_authorization", False)


def refuse_an_invalid_token() -> None:
    """Answer 401 to a token that is not valid, even where the view would ignore it."""
    view = operation_view()
    if view is None or not reads_authorization(view) or "Authorization" not in request.headers:
        return
    auth = token_auth.get_auth()
    if auth is None or not auth.token:
        raise Unauthorized(NOT_BEARER, kind=TOKEN_REQUIRED)
    if "auth" not in getattr(view, "_spec", {}):  # else auth_required checks it
        user_for_token(auth.token)
