"""Signing in: trade a username and password for a bearer token."""

from __future__ import annotations

from apiflask import APIBlueprint

from blog import throttle
from blog.auth import authenticate, ignores_authorization, issue_token
from blog.errors import Unauthorized
from blog.openapi import responses
from blog.schemas import TokenOut, TokenRequest

bp = APIBlueprint(
    "tokens",
    __name__,
    url_prefix="/api/tokens",
    tag={"name": "Tokens", "description": "Bearer tokens, traded for a username and password."},
)

# RFC 6749, section 5.1: no cache may keep a token response.
NOT_STORED = {
    "Cache-Control": {
        "description": "No cache may keep the token",
        "schema": {"type": "string", "const": "no-store"},
    },
    "Pragma": {
        "description": "The same, for HTTP/1.0 caches",
        "schema": {"type": "string", "const": "no-cache"},
    },
}


@bp.post("")
@ignores_authorization
@bp.input(TokenRequest, arg_name="data")
@bp.output(TokenOut)
@bp.doc(
    responses=responses(
        errors={
            401: "Wrong username or password",
            429: "Too many wrong passwords for this username lately; try again after Retry-After",
        },
        headers={200: NOT_STORED},
    )
)
def create_token(data: TokenRequest) -> tuple[TokenOut, dict[str, str]]:
    """Sign in and get a bearer token."""
    throttle.attempt(data.username)
    user = authenticate(data.username, data.password)
    if user is None:
        # One answer for an unknown user and a wrong password, so neither can be probed.
        raise Unauthorized("The username or password is wrong.")
    # Commits, with the password hash if authenticate() upgraded it.
    throttle.succeeded(data.username)
    token, expires_in = issue_token(user)
    return TokenOut(access_token=token, expires_in=expires_in), {
        name: header["schema"]["const"] for name, header in NOT_STORED.items()
    }
