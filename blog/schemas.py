"""Request and response models: what the API accepts and what it returns.

Validation lives here, so a view only ever sees input it can trust. Request models forbid
unknown fields, reject NUL characters (PostgreSQL cannot store them in text) and lower-case tag
names; other text is kept exactly as sent. PATCH models use `MISSING` as the default, so a
field that is left out is told apart from one sent as `null`, and the OpenAPI document says that
`null` is not accepted where it is not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

from flask import current_app
from pydantic import (
    MISSING,
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
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
    Comment,
    Post,
    Profile,
    User,
)
from blog.pagination import MAX_PAGE, Page, PostCursor

MAX_TAGS_PER_POST = 10
MAX_PAGE_SIZE = 100


# Each rule on a string is checked here and stated in the OpenAPI document in the same terms,
# so that what the document allows is what the API accepts. The patterns spell characters out,
# with no class escape such as `\s`, whose meaning differs between regular-expression dialects
# (JSON Schema's is ECMAScript's; pydantic checks them with a Rust engine).
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
PasswordAttempt = Annotated[str, StringConstraints(max_length=128), AfterValidator(_reject_nul)]
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


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class PostPageQuery(PageQuery):
    """Which page of a list of posts to return: by number, or by cursor for deep pages."""

    # No "default: null" in the document: a query parameter is a string or absent, never null.
    cursor: Cursor = Field(None, json_schema_extra=_no_default)


class PostQuery(PostPageQuery):
    """Query parameters of the post list."""

    tag: SearchText = Field("", description="Only posts with this tag.")
    author: SearchText = Field("", description="Only posts by this username.")


# Responses

ItemT = TypeVar("ItemT")


class PageOut(BaseModel, Generic[ItemT]):
    """One page of a list."""

    items: list[ItemT]
    page: int
    per_page: int
    total: int = Field(description="Items on all pages.")
    pages: int

    @classmethod
    def of(cls, page: Page[Any], items: list[ItemT]) -> Self:
        """Describe `page`, whose items are given already serialised."""
        return cls(
            items=items, page=page.page, per_page=page.per_page, total=page.total, pages=page.pages
        )


class UserOut(BaseModel):
    """The signed-in user's own account."""

    id: int
    username: str
    email: str
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        """Build the account view of `user`."""
        return cls(id=user.id, username=user.username, email=user.email, created_at=user.created_at)


class ProfileOut(BaseModel):
    """What a user says about themselves."""

    bio: str | None
    website: str | None
    avatar_url: str | None

    @classmethod
    def of(cls, profile: Profile) -> ProfileOut:
        """Build the response for `profile`."""
        return cls(bio=profile.bio, website=profile.website, avatar_url=profile.avatar_url)


class UserProfileOut(BaseModel):
    """What anyone may see of a user."""

    username: str
    bio: str | None
    website: str | None
    avatar_url: str | None
    created_at: datetime
    post_count: int
    follower_count: int
    following_count: int


class UserSummary(BaseModel):
    """A user, as lists of people and posts name them."""

    username: str


class UserPage(PageOut[UserSummary]):
    """A page of users."""


AuthorOut = UserSummary


class PostOut(BaseModel):
    """A post, with its author, tags and counts."""

    id: int
    title: str
    body: str
    author: AuthorOut
    tags: list[str] = Field(description="Tag names in code-point order.")
    like_count: int
    comment_count: int
    liked_by_me: bool | MISSING = Field(
        MISSING, description="Whether you like this post; only when a token is sent."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(
        cls, post: Post, *, like_count: int, comment_count: int, liked_by_me: bool | None
    ) -> PostOut:
        """Build the response for `post`; its author and tags should already be loaded."""
        return cls(
            id=post.id,
            title=post.title,
            body=post.body,
            author=AuthorOut(username=post.author.username),
            tags=sorted(tag.name for tag in post.tags),
            like_count=like_count,
            comment_count=comment_count,
            liked_by_me=MISSING if liked_by_me is None else liked_by_me,
            created_at=post.created_at,
            updated_at=post.updated_at,
        )


class PostPage(PageOut[PostOut]):
    """A page of posts."""

    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )

    @classmethod
    def of(cls, page: Page[Any], items: list[PostOut]) -> Self:
        """Describe `page` of posts, whose items are given already serialised."""
        return cls(
            items=items,
            page=page.page,
            per_page=page.per_page,
            total=page.total,
            pages=page.pages,
            next_cursor=page.next_cursor,
        )


class CommentOut(BaseModel):
    """A comment and, nested, every reply below it."""

    id: int
    body: str
    author: AuthorOut
    parent_id: int | None
    created_at: datetime
    replies: list[CommentOut] = Field(description="Replies, oldest first, each with theirs.")

    @classmethod
    def of(cls, comment: Comment) -> CommentOut:
        """Build the response for `comment` and every reply below it (already loaded)."""
        return cls(
            id=comment.id,
            body=comment.body,
            author=AuthorOut(username=comment.author.username),
            parent_id=comment.parent_id,
            created_at=comment.created_at,
            replies=[cls.of(reply) for reply in comment.replies],
        )


class CommentPage(PageOut[CommentOut]):
    """A page of top-level comments, each with its replies."""


class TagOut(BaseModel):
    """A tag and how many posts carry it."""

    name: str
    post_count: int


class TagList(BaseModel):
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
