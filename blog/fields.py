"""The types of request fields: each rule on input stated once, checked and documented alike.

Each rule on a string is checked here and stated in the OpenAPI document in the same terms, so
that what the document allows is what the API accepts. Text is refused if it holds a NUL
character (PostgreSQL cannot store one) and is otherwise kept exactly as sent; tag names are
lower-cased; a cursor is checked for its signature. blog/schemas.py builds the request models
from these types.
"""

from __future__ import annotations

from typing import Annotated, Any

from flask import current_app
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    InstanceOf,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from blog.db import MAX_ID
from blog.models import (
    BIO_MAX_LENGTH,
    BODY_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    TAG_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    URL_MAX_LENGTH,
    USERNAME_PATTERN,
)
from blog.pagination import PostCursor

MAX_TAGS_PER_POST = 10
MAX_PAGE_SIZE = 100


# The patterns spell characters out, with no class escape such as `\s`, whose meaning differs
# between regular-expression dialects (JSON Schema's is ECMAScript's; pydantic's is in Rust).
NO_NUL = r"^[^\x00]*$"
# Blank means nothing but ASCII white space: space, tab, line feed, carriage return, form feed
# and vertical tab. Text that has anything else, and no NUL, passes.
ASCII_SPACE = " \t\n\r\f\v"
NOT_BLANK = r"^[^\x00]*[^\x00 \t\n\r\f\v][^\x00]*$"
# An address as most mail systems write one: a dot-atom local part, and a domain of letters,
# digits and hyphens, in labels of at most 63 characters, ending with a top-level domain.
EMAIL_PATTERN = (
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
# An http or https URL with a host and no white space or control characters, kept as sent.
URL_PATTERN = r"^https?://[^\x00-\x20\x7f/?#]+([/?#][^\x00-\x20\x7f]*)?$"
# Tag names as clients may send them: any case, lower-cased before they are stored.
TAG_INPUT_PATTERN = r"^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$"


def _reject_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "Must not contain NUL (\\u0000) characters")
    return value


def _not_blank(value: str) -> str:
    if not value.strip(ASCII_SPACE):
        raise PydanticCustomError("blank", "Must contain something other than white space")
    return value


def _documented(pattern: str) -> Any:
    """State `pattern` in the document for a rule that validators check (with clearer errors)."""
    return Field(json_schema_extra={"pattern": pattern})


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


Username = Annotated[str, StringConstraints(min_length=3, max_length=32, pattern=USERNAME_PATTERN)]
Email = Annotated[str, StringConstraints(max_length=EMAIL_MAX_LENGTH, pattern=EMAIL_PATTERN)]
Password = Annotated[
    str,
    StringConstraints(min_length=8, max_length=128),
    AfterValidator(_reject_nul),
    _documented(NO_NUL),
]
# A password as typed to sign in or to confirm a change: only bounded, since it is compared with
# a hash and never stored; the rules of a new password (Password) may have changed since.
PasswordAttempt = Annotated[
    str, StringConstraints(max_length=128), AfterValidator(_reject_nul), _documented(NO_NUL)
]
Bio = Annotated[
    str,
    StringConstraints(max_length=BIO_MAX_LENGTH),
    AfterValidator(_reject_nul),
    _documented(NO_NUL),
]
Title = Annotated[
    str,
    StringConstraints(min_length=1, max_length=TITLE_MAX_LENGTH),
    AfterValidator(_reject_nul),
    AfterValidator(_not_blank),
    _documented(NOT_BLANK),
]
Body = Annotated[
    str,
    StringConstraints(min_length=1, max_length=BODY_MAX_LENGTH),
    AfterValidator(_reject_nul),
    AfterValidator(_not_blank),
    _documented(NOT_BLANK),
    Field(description="Plain text or Markdown; must not be only white space."),
]
CommentBody = Annotated[
    str,
    StringConstraints(min_length=1, max_length=COMMENT_MAX_LENGTH),
    AfterValidator(_reject_nul),
    AfterValidator(_not_blank),
    _documented(NOT_BLANK),
]
WebUrl = Annotated[str, StringConstraints(max_length=URL_MAX_LENGTH, pattern=URL_PATTERN)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
TagName = Annotated[
    str,
    StringConstraints(max_length=TAG_MAX_LENGTH, pattern=TAG_INPUT_PATTERN),
    AfterValidator(str.lower),
]
TagNames = Annotated[
    list[TagName],
    Field(max_length=MAX_TAGS_PER_POST, description="Tag names; duplicates collapse."),
    AfterValidator(_unique),
]
# A bounded string for lookups (login names, filters): long or NUL-bearing input is refused.
SearchText = Annotated[
    str, StringConstraints(max_length=254), AfterValidator(_reject_nul), _documented(NO_NUL)
]


_tag_name: TypeAdapter[str] = TypeAdapter(TagName)
_username: TypeAdapter[str] = TypeAdapter(Username)


def parse_tag_name(value: str) -> str | None:
    """Return `value` as a normalised tag name, or None if no tag could be called that."""
    try:
        return _tag_name.validate_python(value)
    except ValidationError:
        return None


def is_username(value: str) -> bool:
    """Say whether `value` could be somebody's username."""
    try:
        _username.validate_python(value)
    except ValidationError:
        return False
    return True


def _parse_cursor(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return PostCursor.decode(value, key=current_app.config["SECRET_KEY"])
    except ValueError as exc:
        raise PydanticCustomError("cursor", "Not a cursor this API gave out") from exc


Cursor = Annotated[
    InstanceOf[PostCursor] | None,
    BeforeValidator(_parse_cursor),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$",
            "description": "`next_cursor` of the previous page of the same list (same filters);"
            " when given, `page` is ignored.",
        }
    ),
]


def no_default(schema: dict[str, Any]) -> None:
    """Leave the default out of a field's schema (for `json_schema_extra`)."""
    schema.pop("default", None)
