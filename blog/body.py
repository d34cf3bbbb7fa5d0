"""How a request body is read: JSON only, in UTF-8, whole or not at all (RFC 8259)."""

import json
import re
from typing import Any, NoReturn

from flask import Request
from werkzeug import exceptions as http

# Each charset parameter of a Content-Type, quoted or not.
CHARSET = re.compile(r';\s*charset\s*=\s*"?([^";\s]*)', re.IGNORECASE)
UNREADABLE = "is not valid JSON here: a number has too many digits, or it nests too deeply"


def read_json(request: Request) -> Any:
    """Return the request's JSON body, refusing one of any other type (APIFlask takes any)."""
    # Werkzeug keeps the last of two charsets, and drops an empty one: read them all.
    charsets = [c.lower() for c in CHARSET.findall(request.headers.get("Content-Type", ""))]
    if request.mimetype != "application/json" or charsets not in ([], ["utf-8"]):
        raise http.UnsupportedMediaType("Send UTF-8 JSON as Content-Type: application/json.")
    try:
        data = request.get_data()
    except http.HTTPException:  # 413, from Werkzeug's limit
        raise
    except Exception as error:  # the server's own reader of the body (gunicorn's of chunks)
        raise http.BadRequest("The body could not be read: its framing is broken.") from error
    # A chunked body is read up to the limit, and one with more is refused, not cut off;
    # one shorter than its Content-Length is refused too.
    limit = request.max_content_length
    rest = request.content_length is None and limit and len(data) >= limit
    if rest and request.environ["wsgi.input"].read(1):
        raise http.RequestEntityTooLarge(f"The request body is over {limit} bytes.")
    if request.content_length is not None and len(data) < request.content_length:
        raise http.BadRequest("The request body ended before its Content-Length.")
    try:
        text = data.decode()
        if text.startswith("\ufeff"):
            _refuse("it starts with a byte order mark (RFC 8259, section 8.1)")
        return json.loads(text, object_pairs_hook=_object, parse_constant=_not_a_number)
    except UnicodeDecodeError as error:
        detail = f"is not UTF-8 (RFC 8259, section 8.1), at byte {error.start + 1}"
    except json.JSONDecodeError as error:
        detail = f"is not valid JSON: {error.msg}, at line {error.lineno}, column {error.colno}"
    except (ValueError, RecursionError):  # a number too long for Python, or nesting too deep
        detail = UNREADABLE
    raise http.BadRequest(f"The request body {detail}.")


def _refuse(why: str) -> NoReturn:
    raise http.BadRequest(f"The request body is not valid JSON here: {why}.")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # RFC 8259, section 4: which of two members of one name a parser keeps is anyone's guess.
    members: dict[str, Any] = {}
    for name, value in pairs:
        if name in members:
            _refuse(f"the member {json.dumps(name)} is given more than once")
        members[name] = value
    return members


def _not_a_number(name: str) -> NoReturn:
    _refuse(f"{name} is not a JSON number (RFC 8259, section 6)")
