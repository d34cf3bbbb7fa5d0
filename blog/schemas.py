"""What the API accepts (built on blog/fields.py) and returns. A PATCH model's fields default
to `MISSING`: a field left out is told apart from `null`."""

from datetime import datetime
from typing import Annotated, Any, Generic, Literal

from apiflask.schema_adapters import registry
from pydantic import MISSING, BaseModel, BeforeValidator, Field, ValidationInfo, field_validator
from pydantic.config import ConfigDict
from pydantic_core import PydanticCustomError

from blog import fields
from blog.framework import ModelAdapter
from blog.posts import MAX_PAGE, MAX_PAGE_SIZE, Cursor, ItemT

# APIFlask picks a model's adapter as a view is decorated: no view can name a model before this.
registry.register("pydantic", ModelAdapter)


class RequestModel(BaseModel, extra="forbid"):
    """A request body or query: unknown fields are an error, not silently ignored."""


# Each request model's example, shown by the document and sent by the tests, works on the demo
# layer's data, whose users share this published password.
EXAMPLE_USER = "alice"
EXAMPLE_PASSWORD = "demo-password"  # noqa: S105 - published in the README on purpose


def example(body: dict[str, Any]) -> ConfigDict:
    """Return the configuration of a request model whose example is `body`."""
    return ConfigDict(json_schema_extra={"examples": [body]})


class UserCreate(RequestModel):
    """A new account."""

    model_config = example(
        {"username": "newcomer", "email": "newcomer@example.com", "password": "a-long-passphrase"}
    )
    username: fields.Username = Field(description="3-32 letters, digits, `_`, `-`; any case.")
    email: fields.Email
    password: fields.Password

    @field_validator("password")
    @classmethod
    def _not_made_of_the_account(cls, password: str, info: ValidationInfo) -> str:
        about = [info.data[name] for name in ("username", "email") if name in info.data]
        if (warning := fields.guessable(password, *about)) is not None:
            raise PydanticCustomError("guessable", warning)
        return password


class PasswordConfirmation(RequestModel):
    """Your current password, asked for again so that a token alone cannot change your account."""

    model_config = example({"current_password": EXAMPLE_PASSWORD})
    current_password: fields.PasswordAttempt = Field(description="As it is now; 403 when wrong.")


class UserUpdate(PasswordConfirmation):
    """Changes to your account's credentials; fields left out stay as they are."""

    model_config = example({"current_password": EXAMPLE_PASSWORD, "email": "alice@example.org"})
    email: fields.Email | MISSING = MISSING
    password: fields.Password | MISSING = Field(
        MISSING, description="The new password; it ends every token issued so far, this one too."
    )


class ProfileUpdate(RequestModel):
    """Changes to your profile; fields left out stay as they are."""

    model_config = example({"bio": "Writes about SQL.", "website": "https://alice.example.com/"})
    bio: fields.Bio | MISSING | None = Field(MISSING, description="`null` clears it.")
    website: fields.WebUrl | MISSING | None = Field(MISSING, description="`null` clears it.")
    avatar_url: fields.WebUrl | MISSING | None = Field(MISSING, description="`null` clears it.")


class TokenRequest(RequestModel):
    """The credentials to trade for a bearer token."""

    model_config = example({"username": EXAMPLE_USER, "password": EXAMPLE_PASSWORD})
    username: fields.Username
    password: fields.PasswordAttempt


class PostCreate(RequestModel):
    """A new post."""

    model_config = example(
        {
            "title": "Index your foreign keys",
            "body": "PostgreSQL indexes the key a foreign key refers to, not the column.",
            "tags": ["postgresql", "performance"],
        }
    )
    title: fields.Title
    body: fields.Body
    # A default factory keeps the default out of the document (openapi-typescript requires it).
    tags: fields.TagNames = Field(default_factory=list)


class PostUpdate(RequestModel):
    """Changes to a post; fields left out stay as they are."""

    model_config = example({"title": "Index every foreign key"})
    title: fields.Title | MISSING = MISSING
    body: fields.Body | MISSING = MISSING
    tags: fields.TagNames | MISSING = Field(MISSING, description="The new set; `[]` clears it.")


class CommentCreate(RequestModel):
    """A new comment, or a reply to one."""

    model_config = example({"body": "Thanks: that explains the slow deletes."})
    body: fields.CommentBody
    parent_id: fields.Id | None = Field(
        default_factory=lambda: None, description="The comment this replies to, if any."
    )


class PageQuery(RequestModel):
    """Which page of a list to return."""

    page: fields.QueryInt = Field(1, ge=1, le=MAX_PAGE)
    per_page: fields.QueryInt = Field(20, ge=1, le=MAX_PAGE_SIZE)


class PostPageQuery(PageQuery):
    """Which page of a list of posts to return: by number, or by cursor for deep pages."""

    # A default factory leaves "default: null" out of the document: a parameter is never null.
    cursor: Cursor = Field(default_factory=lambda: None)


class PostQuery(PostPageQuery):
    """Query parameters of the post list."""

    tag: fields.SearchText = Field("", description="Only posts with this tag.")
    author: fields.SearchText = Field("", description="Only posts by this username.")


class ResponseModel(BaseModel, from_attributes=True):
    """A response body, validated from an object's attributes (an ORM object, a row, a page)."""


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


class UserSummary(ResponseModel):
    """A user, as lists of people and posts name them."""

    username: str


class UserProfileOut(ProfileOut, UserSummary):
    """What anyone may see of a user."""

    created_at: datetime
    post_count: int
    follower_count: int
    following_count: int


class UserPage(PageOut[UserSummary]):
    """A page of users."""


class PostOut(ResponseModel):
    """A post, with its author, tags and counts."""

    id: int
    title: str
    body: str
    author: UserSummary
    tags: Annotated[list[str], BeforeValidator(lambda tags: sorted(tag.name for tag in tags))] = (
        Field(description="Tag names in code-point order.")
    )
    like_count: int
    comment_count: int
    # None, where no token was sent, leaves it out.
    liked_by_me: Annotated[
        bool | MISSING, BeforeValidator(lambda v: MISSING if v is None else v)
    ] = Field(MISSING, description="Whether you like this post; only when a token is sent.")
    created_at: datetime
    updated_at: datetime


class PostPage(PageOut[PostOut]):
    """A page of posts."""

    next_cursor: str | None = Field(description="The next page's `cursor`; null on the last page.")


class CommentOut(ResponseModel):
    """A comment and, nested, every reply below it."""

    id: int
    body: str
    author: UserSummary
    parent_id: int | None
    created_at: datetime
    replies: list["CommentOut"] = Field(description="Replies, oldest first, each with theirs.")


class CommentPage(PageOut[CommentOut]):
    """A page of top-level comments, each with its replies."""


class TagOut(ResponseModel):
    """A tag and how many posts carry it."""

    name: str
    post_count: int


class TagPage(PageOut[TagOut]):
    """A page of the tags that some post carries."""


class TokenOut(BaseModel):
    """A bearer token and how long it lasts."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme, not a token
    expires_in: int = Field(description="Seconds until the token expires.")


class HealthOut(BaseModel):
    """The app can reach its database."""

    status: Literal["ok"]
