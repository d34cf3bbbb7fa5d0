"""The types of request fields, each rule both checked and stated in the OpenAPI document.
Text is kept exactly as sent; tag names are lower-cased."""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

import rfc3986  # type: ignore[import-untyped]  # no type hints ship with it
from annotated_types import GroupedMetadata
from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError
from rfc3986 import validators
from rfc3986.exceptions import ValidationError as NotAnRfc3986Url  # type: ignore[import-untyped]
from zxcvbn import zxcvbn

from blog import models
from blog.db import MAX_ID

MAX_TAGS_PER_POST = 10

# Characters spelt out: ECMAScript's regular expressions and Rust's read `\s` differently.
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\x00 \t\n\r\f\v][^\x00]*$"
# A dot-atom local part, and a domain of labels of at most 63 letters, digits and hyphens.
EMAIL_PATTERN = (
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
# An http or https URL with a host and no user name or password; `web_url` checks the rest.
URL_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9\-._~!$&'()*+,;=:\[\]]+"
    r"([/?#][A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]%]*)?$"
)
TAG_INPUT_PATTERN = r"^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$"


@dataclass(frozen=True)
class Text(GroupedMetadata):
    """Text without NUL (PostgreSQL cannot store it) and, unless `blank`, not only white space;
    checked by a validator for a clearer error, and stated as a pattern."""

    max_length: int
    min_length: int | None = None
    blank: bool = True
    # Bytes in UTF-8, for texts a page lists a hundred of: four a character at most.
    max_bytes: int | None = None

    def __iter__(self) -> Iterator[object]:
        yield StringConstraints(min_length=self.min_length, max_length=self.max_length)
        yield AfterValidator(self.check)
        yield Field(json_schema_extra={"pattern": NO_NUL if self.blank else NOT_BLANK})

    def check(self, value: str) -> str:
        """Return `value` if it keeps to these rules."""
        if "\x00" in value:
            raise PydanticCustomError("nul_character", "Must not contain NUL (\\u0000) characters")
        if not self.blank and not re.fullmatch(NOT_BLANK, value):
            raise PydanticCustomError("blank", "Must contain something other than white space")
        if self.max_bytes and len(value.encode(errors="surrogatepass")) > self.max_bytes:
            too_many = f"Must be at most {self.max_bytes} bytes in UTF-8"
            raise PydanticCustomError("too_many_bytes", too_many)
        return value


Username = Annotated[
    str, StringConstraints(min_length=3, max_length=32, pattern=models.USERNAME_PATTERN)
]
Email = Annotated[str, StringConstraints(max_length=models.EMAIL_MAX_LENGTH, pattern=EMAIL_PATTERN)]
# NIST SP 800-63B-4, 3.1.1.2: 15 characters or more, no rules of composition, not guessable.
MIN_GUESSES_LOG10 = 8  # zxcvbn's score 3: "safely unguessable", against online guessing
# zxcvbn's time grows fast with length; a password is no easier to guess than its start.
JUDGED_CHARACTERS = 20


def guessable(password: str, *about: str) -> str | None:
    """Say why `password` is too easy to guess, or return None; `about` are its account's words."""
    words = ["blog", *about, *(word.split("@")[0] for word in about)]
    words += [part for word in about for part in re.split(r"[@._-]", word)]
    estimate = zxcvbn(password[:JUDGED_CHARACTERS], user_inputs=words)
    if estimate["guesses_log10"] >= MIN_GUESSES_LOG10:
        return None
    return f"Too easy to guess: {estimate['feedback']['warning'] or 'it would be found quickly.'}"


# Normalised first, as NIST asks before hashing, so its length counts one "é" as one character.
# Guessable is judged where the account's words are known: UserCreate and `update_me`.
Password = Annotated[
    str,
    Text(128, min_length=15),
    BeforeValidator(lambda v: unicodedata.normalize("NFKC", v) if isinstance(v, str) else v),
    Field(description="15-128 characters, not easy to guess, not made of your name or email."),
]
# A password typed to sign in or confirm: only bounded, since the rules may have changed.
PasswordAttempt = Annotated[str, Text(128)]
Bio = Annotated[str, Text(models.BIO_MAX_LENGTH)]
Title = Annotated[str, Text(models.TITLE_MAX_LENGTH, min_length=1, blank=False)]
Body = Annotated[
    str,
    Text(models.BODY_MAX_LENGTH, min_length=1, blank=False, max_bytes=models.BODY_MAX_LENGTH),
    Field(
        description="Plain text or Markdown; must not be only white space; at most"
        f" {models.BODY_MAX_LENGTH:,} bytes in UTF-8."
    ),
]
CommentBody = Annotated[
    str,
    Text(models.COMMENT_MAX_LENGTH, min_length=1, blank=False, max_bytes=models.COMMENT_MAX_LENGTH),
    Field(description=f"At most {models.COMMENT_MAX_LENGTH:,} bytes in UTF-8."),
]
# The pattern has checked the scheme, and that no user name or password is given.
_URL_RULES = validators.Validator().check_validity_of("host", "port", "path", "query", "fragment")
_NOT_PERCENT_ENCODING = re.compile(r"%(?![0-9A-Fa-f]{2})")


def web_url(value: str) -> str:
    """Return `value` if it is an http or https URL by RFC 3986, with a host and a valid port."""
    url = rfc3986.uri_reference(value).normalize()  # RFC 3986, 6.2.2: case, escapes, dot segments
    try:
        _URL_RULES.validate(url)
    except NotAnRfc3986Url as error:
        raise PydanticCustomError("url", "Must be an http or https URL with a host") from error
    if not url.host:  # "http://:80": an authority with no host in it (RFC 9110, 4.2.1)
        raise PydanticCustomError("url", "Must be an http or https URL with a host")
    if _NOT_PERCENT_ENCODING.search(value):
        raise PydanticCustomError("url", "A % must begin a %XX escape (RFC 3986)")
    return value


WebUrl = Annotated[
    str,
    StringConstraints(max_length=models.URL_MAX_LENGTH, pattern=URL_PATTERN),
    AfterValidator(web_url),
]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _digits(value: object) -> object:
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise PydanticCustomError("int_parsing", "Input should be a whole number in digits")
    return value


# An integer in a query string: digits only, where int() would also take "+5", " 5" and "5_0".
QueryInt = Annotated[int, BeforeValidator(_digits)]
TagName = Annotated[
    str,
    StringConstraints(max_length=models.TAG_MAX_LENGTH, pattern=TAG_INPUT_PATTERN),
    AfterValidator(str.lower),
]
TagNames = Annotated[
    list[TagName],
    Field(max_length=MAX_TAGS_PER_POST, description="Tag names; duplicates collapse."),
]
SearchText = Annotated[str, Text(254)]  # for lookups


def parse_tag_name(value: str) -> str | None:
    """Return `value` as a `TagName` would be, or None if no tag could be called that."""
    fits = len(value) <= models.TAG_MAX_LENGTH and re.fullmatch(TAG_INPUT_PATTERN, value)
    return value.lower() if fits else None


def is_username(value: str) -> bool:
    """Say whether `value` could be somebody's username."""
    return re.fullmatch(models.USERNAME_PATTERN, value) is not None
