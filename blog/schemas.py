"""Request and response models: what the API accepts and what it returns.

Validation lives here, so a view only ever sees input it can trust. Request models forbid
unknown fields and are built from the field types of blog/fields.py. PATCH models use `MISSING`
as the default, so a field that is left out is told apart from one sent as `null`, and the
OpenAPI document says that `null` is not accepted where it is not. Response models are
validated from the objects the services load.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import MISSING, BaseModel, BeforeValidator, ConfigDict, Field

from blog.fields import (
    MAX_PAGE_SIZE,
    Bio,
    Body,
    CommentBody,
    Cursor,
    Email,
    Id,
    Password,
    PasswordAttempt,
    SearchText,
    TagNames,
    Title,
    Username,
    WebUrl,
    no_default,
)
from blog.models import Tag
from blog.pagination import MAX_PAGE


class RequestModel(BaseModel):
    """A request body: unknown fields are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


# Every request model carries an example of a body the API accepts. The OpenAPI document shows it
# (`examples` of the schema), /docs fills "Try it out" with it, and the tests of every operation
# send it (tests/api/test_every_operation.py). The examples speak as a user of the demo data, with
# its published password (blog/seed.py), so that they work as they are on `bin/app seed`'s data.
EXAMPLE_USER = "alice"
EXAMPLE_PASSWORD = "demo-password"  # noqa: S105 - the demo data's, published in the README


def example(body: dict[str, Any]) -> ConfigDict:
    """Return the configuration of a request model whose example is `body`."""
    return ConfigDict(json_schema_extra={"examples": [body]})


# Requests


class UserCreate(RequestModel):
    """A new account."""

    model_config = example(
        {"username": "newcomer", "email": "newcomer@example.com", "password": "a-long-passphrase"}
    )

    username: Username = Field(description="3-32 letters, digits, `_` or `-`; case-insensitive.")
    email: Email
    password: Password


class UserUpdate(RequestModel):
    """Changes to your account's credentials; fields left out stay as they are.

    Every change needs `current_password`, so that a token alone (copied, or left signed in on
    a shared computer) cannot take the account over. The bio is part of the profile:
    `PATCH /api/users/me/profile` changes it.
    """

    model_config = example({"current_password": EXAMPLE_PASSWORD, "email": "alice@example.org"})

    current_password: PasswordAttempt = Field(
        description="Your password as it is now, needed for any change here. A wrong one is"
        " refused with 403 and changes nothing."
    )
    email: Email | MISSING = MISSING
    password: Password | MISSING = Field(
        MISSING,
        description="The new password. Changing it ends every token issued before, the one"
        " sending this request included: sign in again with the new password.",
    )


class ProfileUpdate(RequestModel):
    """Changes to your profile; fields left out stay as they are."""

    model_config = example({"bio": "Writes about SQL.", "website": "https://alice.example.com/"})

    bio: Bio | MISSING | None = Field(MISSING, description="`null` clears it.")
    website: WebUrl | MISSING | None = Field(MISSING, description="`null` clears it.")
    avatar_url: WebUrl | MISSING | None = Field(MISSING, description="`null` clears it.")


class TokenRequest(RequestModel):
    """The credentials to trade for a bearer token."""

    model_config = example({"username": EXAMPLE_USER, "password": EXAMPLE_PASSWORD})

    username: SearchText
    password: PasswordAttempt


class PostCreate(RequestModel):
    """A new post."""

    model_config = example(
        {
            "title": "Index your foreign keys",
            "body": "PostgreSQL indexes the key a foreign key refers to, not the column.",
            "tags": ["postgresql", "performance"],
        }
    )

    title: Title
    body: Body
    tags: TagNames = []


class PostUpdate(RequestModel):
    """Changes to a post; fields left out stay as they are."""

    model_config = example({"title": "Index every foreign key"})

    title: Title | MISSING = MISSING
    body: Body | MISSING = MISSING
    tags: TagNames | MISSING = Field(MISSING, description="Replaces the set; `[]` clears it.")


class CommentCreate(RequestModel):
    """A new comment, or a reply to one."""

    model_config = example({"body": "Thanks: that explains the slow deletes."})

    body: CommentBody
    parent_id: Id | None = Field(None, description="The comment this replies to, if any.")


class PageQuery(BaseModel):
    """Which page of a list to return."""

    # As with bodies, a parameter the API does not know is an error, not silently ignored.
    model_config = ConfigDict(extra="forbid")

    page: int = Field(1, ge=1, le=MAX_PAGE)
    per_page: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


class PostPageQuery(PageQuery):
    """Which page of a list of posts to return: by number, or by cursor for deep pages."""

    # No "default: null" in the document: a query parameter is a string or absent, never null.
    cursor: Cursor = Field(None, json_schema_extra=no_default)


class PostQuery(PostPageQuery):
    """Query parameters of the post list."""

    tag: SearchText = Field("", description="Only posts with this tag.")
    author: SearchText = Field("", description="Only posts by this username.")


# Responses: built from the objects the services load (from_attributes), reading each field
# from the attribute of the same name; a validator says where a field has another shape.

ItemT = TypeVar("ItemT")


class ResponseModel(BaseModel):
    """A response body, validated from an object's attributes (an ORM object, a row, a page)."""

    model_config = ConfigDict(from_attributes=True)


class PageOut(ResponseModel, Generic[ItemT]):
    """One page of a list."""

    items: list[ItemT]
    page: int
    per_page: int
    total: int = Field(description="Items on all pages.")
    pages: int


class UserOut(ResponseModel):
    """The signed-in user's own account."""

    id: int
    username: str
    email: str
    created_at: datetime


class ProfileOut(ResponseModel):
    """What a user says about themselves."""

    bio: str | None
    website: str | None
    avatar_url: str | None


class UserProfileOut(ResponseModel):
    """What anyone may see of a user."""

    username: str
    bio: str | None
    website: str | None
    avatar_url: str | None
    created_at: datetime
    post_count: int
    follower_count: int
    following_count: int


class UserSummary(ResponseModel):
    """A user, as lists of people and posts name them."""

    username: str


class UserPage(PageOut[UserSummary]):
    """A page of users."""


AuthorOut = UserSummary


def _tag_names(tags: list[Tag]) -> list[str]:
    return sorted(tag.name for tag in tags)


def _none_is_missing(value: bool | None) -> bool | MISSING:
    # Post.liked_by_me is None where the query did not ask: the reader sent no token.
    return MISSING if value is None else value


class PostOut(ResponseModel):
    """A post, with its author, tags and counts."""

    id: int
    title: str
    body: str
    author: AuthorOut
    tags: Annotated[list[str], BeforeValidator(_tag_names)] = Field(
        description="Tag names in code-point order."
    )
    like_count: int
    comment_count: int
    liked_by_me: Annotated[bool | MISSING, BeforeValidator(_none_is_missing)] = Field(
        MISSING, description="Whether you like this post; only when a token is sent."
    )
    created_at: datetime
    updated_at: datetime


class PostPage(PageOut[PostOut]):
    """A page of posts."""

    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


class CommentOut(ResponseModel):
    """A comment and, nested, every reply below it."""

    id: int
    body: str
    author: AuthorOut
    parent_id: int | None
    created_at: datetime
    replies: list[CommentOut] = Field(description="Replies, oldest first, each with theirs.")


class CommentPage(PageOut[CommentOut]):
    """A page of top-level comments, each with its replies."""


class TagOut(ResponseModel):
    """A tag and how many posts carry it."""

    name: str
    post_count: int


class TagList(ResponseModel):
    """Every tag, by name."""

    items: list[TagOut]


class TokenOut(BaseModel):
    """A bearer token and how long it lasts."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme, not a token
    expires_in: int = Field(description="Seconds until the token expires.")


class HealthOut(BaseModel):
    """The app can reach its database."""

    status: Literal["ok"]
