"""Bearer tokens, traded for a username and password."""

from apiflask import APIBlueprint

from blog import auth, schemas
from blog.errors import WRONG_CREDENTIALS, Unauthorized
from blog.openapi import responses

bp = APIBlueprint("tokens", __name__, url_prefix="/api/tokens")

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749, section 5.1
NO_STORE_DOC = {
    name: {"description": "No cache may keep the token", "schema": {"type": "string", "const": v}}
    for name, v in NO_STORE.items()
}
REFUSED = {401: "Wrong username or password", 429: "Too many password attempts lately"}


@bp.post("")
@auth.ignores_authorization
@bp.input(schemas.TokenRequest, arg_name="data")
@bp.output(schemas.TokenOut)
@bp.doc(responses=responses(errors=REFUSED, headers={200: NO_STORE_DOC}))
def create_token(data: schemas.TokenRequest) -> tuple[schemas.TokenOut, dict[str, str]]:
    """Sign in and get a bearer token."""
    user = auth.sign_in(data.username, data.password)
    if user is None:
        # One answer for an unknown user and a wrong password, so neither can be probed.
        raise Unauthorized("The username or password is wrong.", kind=WRONG_CREDENTIALS)
    token, expires_in = auth.issue_token(user)
    return schemas.TokenOut(access_token=token, expires_in=expires_in), NO_STORE
