"""Request and response models: what the API accepts and what it returns.

Validation lives here, so a view only ever sees input it can trust. Request models forbid
unknown fields, reject NUL characters (PostgreSQL cannot store them in text) and normalise what
has a canonical form (tag names, trimmed titles). PATCH models use `MISSING` as the default, so a
field that is left out is told apart from one sent as `null`, and the OpenAPI document says that
`null` is not accepted where it is not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    MISSING,
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from blog.models import (
    BIO_MAX_LENGTH,
    BODY_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    TAG_MAX_LENGTH,
    TAG_PATTERN,
    TITLE_MAX_LENGTH,
    USERNAME_PATTERN,
    Post,
    User,
)

MAX_TAGS_PER_POST = 10
MAX_PAGE_SIZE = 100
# Past this a page number can only ever be empty; the bound keeps OFFSET within a bigint.
MAX_PAGE = 2**31 - 1


def _reject_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "Must not contain NUL (\\u0000) characters")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "Must contain something other than white space")
    return value


def normalise_tag_name(value: object) -> object:
    """Trim and lower-case a tag name; leave anything that is not a string to fail validation."""
    return value.strip().lower() if isinstance(value, str) else value


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN)]
Email = Annotated[EmailStr, StringConstraints(max_length=EMAIL_MAX_LENGTH)]
Password = Annotated[
    str, StringConstraints(min_length=8, max_length=128), AfterValidator(_reject_nul)
]
Bio = Annotated[str, StringConstraints(max_length=BIO_MAX_LENGTH), AfterValidator(_reject_nul)]
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX_LENGTH),
    AfterValidator(_reject_nul),
]
Body = Annotated[
    str,
    StringConstraints(min_length=1, max_length=BODY_MAX_LENGTH),
    AfterValidator(_reject_nul),
    AfterValidator(_not_blank),
    Field(description="Plain text or Markdown; must not be only white space."),
]
TagName = Annotated[
    str,
    # The pattern is lower-case only, so normalise before it is checked.
    BeforeValidator(normalise_tag_name),
    StringConstraints(min_length=1, max_length=TAG_MAX_LENGTH, pattern=TAG_PATTERN),
]
TagNames = Annotated[
    list[TagName],
    Field(max_length=MAX_TAGS_PER_POST, description="Tag names; duplicates collapse."),
    AfterValidator(_unique),
]
# A bounded string for lookups (login names, filters): long or NUL-bearing input is refused.
SearchText = Annotated[str, StringConstraints(max_length=254), AfterValidator(_reject_nul)]


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


class RequestModel(BaseModel):
    """A request body: unknown fields are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


# Requests


class UserCreate(RequestModel):
    username: Username = Field(description="3-32 letters, digits, `_` or `-`; case-insensitive.")
    email: Email
    password: Password


class UserUpdate(RequestModel):
    bio: Bio | MISSING | None = Field(MISSING, description="`null` clears it.")
    email: Email | MISSING = MISSING
    password: Password | MISSING = MISSING


class TokenRequest(RequestModel):
    username: SearchText
    password: Annotated[str, StringConstraints(max_length=128), AfterValidator(_reject_nul)]


class PostCreate(RequestModel):
    title: Title
    body: Body
    tags: TagNames = []


class PostUpdate(RequestModel):
    title: Title | MISSING = MISSING
    body: Body | MISSING = MISSING
    tags: TagNames | MISSING = Field(MISSING, description="Replaces the set; `[]` clears it.")


class PostQuery(BaseModel):
    """Query parameters of the post list; unknown parameters are ignored."""

    page: int = Field(1, ge=1, le=MAX_PAGE)
    per_page: int = Field(20, ge=1, le=MAX_PAGE_SIZE)
    tag: SearchText = Field("", description="Only posts with this tag.")
    author: SearchText = Field("", description="Only posts by this username.")


# Responses


class UserOut(BaseModel):
    """The signed-in user's own account."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    email: str
    bio: str | None
    created_at: datetime


class UserProfileOut(BaseModel):
    """What anyone may see of a user."""

    username: str
    bio: str | None
    created_at: datetime
    post_count: int

    @classmethod
    def of(cls, user: User, post_count: int) -> UserProfileOut:
        """Build the public view of `user`."""
        return cls(
            username=user.username,
            bio=user.bio,
            created_at=user.created_at,
            post_count=post_count,
        )


class AuthorOut(BaseModel):
    username: str


class PostOut(BaseModel):
    id: int
    title: str
    body: str
    author: AuthorOut
    tags: list[str] = Field(description="Tag names in code-point order.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, post: Post) -> PostOut:
        """Build the response for `post`; its author and tags should already be loaded."""
        return cls(
            id=post.id,
            title=post.title,
            body=post.body,
            author=AuthorOut(username=post.author.username),
            tags=sorted(tag.name for tag in post.tags),
            created_at=post.created_at,
            updated_at=post.updated_at,
        )


class PostPage(BaseModel):
    items: list[PostOut]
    page: int
    per_page: int
    total: int = Field(description="Posts matching the filters, on all pages.")
    pages: int


class TagOut(BaseModel):
    name: str
    post_count: int


class TagList(BaseModel):
    items: list[TagOut]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme, not a token
    expires_in: int = Field(description="Seconds until the token expires.")


class HealthOut(BaseModel):
    status: Literal["ok"]
