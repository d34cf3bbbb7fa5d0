"""Passwords (Argon2id), bearer tokens (JWT, HS256), and the `token_auth` guard of endpoints.

A token names its user and their token version, which each password change moves on.
"""

import unicodedata
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from typing import Any, NoReturn, TypeVar

import jwt
from apiflask import HTTPTokenAuth
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import g, has_request_context, request
from jwt.utils import base64url_decode, base64url_encode
from sqlalchemy import func, select

from blog.config import Settings, current_settings
from blog.db import MAX_ID, db, utcnow
from blog.errors import TOKEN_REQUIRED, PasswordsBusy, Unauthorized
from blog.framework import operation_view
from blog.models import User

F = TypeVar("F", bound=Callable[..., Any])
TOKEN_ALGORITHM = "HS256"  # noqa: S105 - an algorithm name, not a secret

token_auth = HTTPTokenAuth(
    scheme="Bearer",
    description="A token from `POST /api/tokens`, sent as `Authorization: Bearer <token>`.",
)
# The OpenAPI security of an endpoint that works with or without a token.
OPTIONAL_BEARER: list[str | dict[str, list[Any]]] = [{"BearerAuth": []}, {}]


@cache
def _hasher(settings: Settings) -> tuple[PasswordHasher, str]:
    hasher = PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost_kib,
        parallelism=settings.argon2_parallelism,
    )
    # Checked for a user who does not exist, so that costs what a wrong password does.
    return hasher, hasher.hash("not the password of any user")


def normalised(password: str) -> str:
    """Return `password` in NFKC form, matching however it was typed, as NIST SP 800-63B-4 asks."""
    return unicodedata.normalize("NFKC", password)


# The advisory lock keys of the hashing slots: this number, and the slot's.
HASHING_SLOTS = 0x68617368


def take_a_hashing_slot() -> None:
    """Hold one of the `PASSWORD_HASHES_AT_ONCE` slots until the transaction ends, or refuse
    with 429: a flood of Argon2 hashes would leave no worker for anyone else. The slots are
    PostgreSQL advisory locks, shared by every process, taken with a try-lock."""
    if not has_request_context():
        return  # a command (the seed), not a client's request
    transaction = db.session().get_transaction()
    if transaction is not None and g.get("hashing_slot_of") is transaction:
        return  # held already, until this transaction ends
    for slot in range(current_settings().password_hashes_at_once):
        if db.session.scalar(select(func.pg_try_advisory_xact_lock(HASHING_SLOTS, slot))):
            g.hashing_slot_of = db.session().get_transaction()
            return
    raise PasswordsBusy(
        "Too many passwords are being checked right now. Try again in a second.", retry_after=1
    )


def hash_password(password: str) -> str:
    """Return an Argon2id hash of `password`, normalised, with the configured cost."""
    take_a_hashing_slot()
    return _hasher(current_settings())[0].hash(normalised(password))


def verify_password(password_hash: str, password: str) -> bool:
    """Say whether `password` matches `password_hash`; a hash that is not Argon2 matches nothing.
    A hash made before passwords were normalised is of the password as typed: tried second."""
    take_a_hashing_slot()
    hasher = _hasher(current_settings())[0]
    for typed in dict.fromkeys([normalised(password), password]):
        try:
            return hasher.verify(password_hash, typed)
        except VerificationError:
            continue
        except InvalidHashError:
            return False
    return False


def authenticate(username: str, password: str) -> User | None:
    """Return the user these credentials belong to, or None, in about the same time either way."""
    hasher, dummy_hash = _hasher(current_settings())
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        verify_password(dummy_hash, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(normalised(password))
    return user


def issue_token(user: User) -> tuple[str, int]:
    """Return a signed bearer token for `user` and its lifetime in seconds."""
    settings = current_settings()
    now = utcnow()
    claims = {
        "sub": str(user.id),
        "ver": user.token_version,
        "iat": now,
        "exp": now + timedelta(seconds=settings.token_ttl_seconds),
    }
    token = jwt.encode(claims, settings.secret_key, algorithm=TOKEN_ALGORITHM)
    return token, settings.token_ttl_seconds


@token_auth.verify_token  # type: ignore[untyped-decorator]  # Flask-HTTPAuth has no hints
def _user_for_token(token: str) -> User | None:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            current_settings().secret_key,
            algorithms=[TOKEN_ALGORITHM],
            options={"require": ["sub", "ver", "iat", "exp"]},
        )
        # PyJWT takes a string that int() reads as a time; the app issues whole numbers only.
        if not all(type(claims[name]) is int for name in ("iat", "exp", "ver")):
            raise ValueError("a time or the version is not a whole number")
        # A leaked key must not make lasting tokens, and a signature has one spelling only.
        if claims["exp"] - claims["iat"] > current_settings().token_ttl_seconds:
            raise ValueError("the token outlives the lifetime tokens are issued with")
        signature = token.rpartition(".")[2]
        if base64url_encode(base64url_decode(signature)).decode() != signature:
            raise ValueError("the signature is not in canonical base64url")
        user_id, version = int(claims["sub"]), claims["ver"]
        if claims["sub"] != str(user_id) or not 1 <= user_id <= MAX_ID:  # "007", "-1", ...
            raise ValueError("sub is not a user id")
    except jwt.ExpiredSignatureError:
        g.auth_problem = "The bearer token has expired."
        return None
    except (jwt.InvalidTokenError, ValueError):
        g.auth_problem = "The bearer token is not valid."
        return None
    user = db.session.get(User, user_id)
    if user is None:
        g.auth_problem = "The bearer token belongs to a user who no longer exists."
    elif version != user.token_version:
        g.auth_problem = "The bearer token was issued before the password changed: sign in again."
    else:
        return user
    return None


def _refuse(error: Any) -> NoReturn:
    # `g.auth_problem` says why a token was refused; without it, none was sent.
    if "auth_problem" in g:
        raise Unauthorized(g.auth_problem)
    raise Unauthorized("This endpoint needs a bearer token.", kind=TOKEN_REQUIRED)


token_auth.error_processor(_refuse)


def optional_user() -> User | None:
    """Return the user of the request's token, or None if it sent none; refuse a token that
    is not valid (use under `auth_required(token_auth, optional=True)`)."""
    user = token_auth.current_user
    if isinstance(user, User):
        return user
    if "auth_problem" in g:
        raise Unauthorized(g.auth_problem)
    return None


def current_user() -> User:
    """Return the user the current request's token belongs to (use under `auth_required`)."""
    user = token_auth.current_user
    if not isinstance(user, User):
        raise LookupError("current_user() needs an endpoint protected by token_auth.")
    return user


def ignores_authorization(view: F) -> F:
    """Mark a view that never reads the Authorization header, so that a stale token cannot stop
    it: signing in and up (RFC 6750 speaks only of protected resources) and the health check."""
    view.ignores_authorization = True  # type: ignore[attr-defined]
    return view


def reads_authorization(view: Any) -> bool:
    """Say whether a view reads the Authorization header (not marked `ignores_authorization`)."""
    return not getattr(view, "ignores_authorization", False)


def refuse_an_invalid_token() -> None:
    """Answer 401 to a token that is not valid, whatever the request asks for: public endpoints
    would ignore it, and optional authentication a header that is no token."""
    view = operation_view()
    if view is None or not reads_authorization(view) or "Authorization" not in request.headers:
        return
    auth = token_auth.get_auth()
    if auth is None or not auth.token:
        raise Unauthorized(
            "This is not a bearer token: send `Authorization: Bearer <token>`.", kind=TOKEN_REQUIRED
        )
    if "auth" not in getattr(view, "_spec", {}) and _user_for_token(auth.token) is None:
        raise Unauthorized(g.auth_problem)
