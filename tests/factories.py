"""factory-boy factories for the models.

They add objects to the test's session (`db.session`, looked up when a factory runs, never at
import) and flush, so the rows exist in the test's transaction and every request made with the
test client sees them.

    user = UserFactory()                          # username user<n>, password "password"
    user = UserFactory(profile__bio="Hello")      # every user gets a profile
    post = PostFactory(author=user, tags=[tag])   # author made for you if you leave it out
    reply = CommentFactory(parent=comment)        # on the parent's post

Each path parameter of the API (`{post_id}` in `/api/posts/{post_id}`) has a maker here, beside
its factory, registered with `@makes("post_id")`: given a user, it makes a row of theirs for the
parameter to name, and returns the value. tests/api/test_every_operation.py calls every
operation of the API on such rows; it fails on a parameter without a maker, and on a maker for a
parameter no route has.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import factory
from factory.alchemy import SQLAlchemyModelFactory

from blog.auth import hash_password
from blog.db import db
from blog.models import Comment, Like, Post, Profile, Tag, User

PASSWORD = "a-factory-made-passphrase"

Maker = Callable[[User], object]
# The maker of each path parameter, by its name in the routes.
MAKERS: dict[str, Maker] = {}


def makes(parameter: str) -> Callable[[Maker], Maker]:
    """Register the decorated function as the maker of `{parameter}`."""

    def register(maker: Maker) -> Maker:
        assert parameter not in MAKERS, f"{{{parameter}}} has two makers"
        MAKERS[parameter] = maker
        return maker

    return register


@cache
def _password_hash() -> str:
    # Hashed once, for the first user, and shared by every user after it.
    return hash_password(PASSWORD)


class _Factory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731 - looked up at each create
        sqlalchemy_session_persistence = "flush"


class ProfileFactory(_Factory):
    class Meta:
        model = Profile

    bio = None
    website = None
    avatar_url = None


class UserFactory(_Factory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password_hash = factory.LazyFunction(_password_hash)
    # Made after the user, with profile.user set to it; back_populates sets user.profile too,
    # after one SELECT for a profile to replace (there is none).
    profile = factory.RelatedFactory(ProfileFactory, factory_related_name="user")


@makes("username")
def someone_they_follow(user: User) -> str:
    """Make another user, whom `user` follows."""
    other = UserFactory()
    user.following.append(other)
    db.session.flush()
    return other.username


class TagFactory(_Factory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag-{n}")


class PostFactory(_Factory):
    class Meta:
        model = Post

    title = factory.Faker("sentence", nb_words=5)
    body = factory.Faker("paragraph")
    author = factory.SubFactory(UserFactory)

    @factory.post_generation
    def tags(self, create: bool, extracted: list[Tag] | None, **kwargs: object) -> None:
        """Attach the given tags: `PostFactory(tags=[python, flask])`."""
        if extracted:
            self.tags.extend(extracted)
            if create:
                db.session.flush()


@makes("post_id")
def a_post_of_theirs(user: User) -> int:
    """Make a post by `user`, with a tag."""
    post = PostFactory(author=user, tags=[TagFactory()])
    return int(post.id)


@makes("name")
def a_tag_on_a_post_of_theirs(user: User) -> str:
    """Make a tag on a post by `user`."""
    tag = TagFactory()
    PostFactory(author=user, tags=[tag])
    return str(tag.name)


class CommentFactory(_Factory):
    class Meta:
        model = Comment

    body = factory.Faker("sentence")
    author = factory.SubFactory(UserFactory)
    parent = None
    # A reply goes on its parent's post; a top-level comment gets a post of its own.
    post = factory.LazyAttribute(
        lambda comment: comment.parent.post if comment.parent else PostFactory()
    )


@makes("comment_id")
def a_comment_of_theirs(user: User) -> int:
    """Make a comment by `user` on a post of theirs."""
    comment = CommentFactory(author=user, post=PostFactory(author=user))
    return int(comment.id)


class LikeFactory(_Factory):
    class Meta:
        model = Like

    user = factory.SubFactory(UserFactory)
    post = factory.SubFactory(PostFactory)
