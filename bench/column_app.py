"""The app with its pages of posts read as columns (tests/column_page.py), for the benchmark.

The same app, settings and gunicorn configuration as `bin/app serve`, except that the post
list, the single post and the feed are read by tests/column_page.py's functions instead of the
app's: the views look these up in blog.posts each time they run, so replacing them
there is the whole change. Everything else, the tag list and the comments included, is the
app's. The benchmark serves it as

    gunicorn --config gunicorn.conf.py "bench.column_app:create_column_app()"
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from apiflask import APIFlask

from blog import create_app, posts
from tests import column_page

REPLACED = ("list_posts", "feed", "get_post")


def read_pages_as_columns() -> None:
    """Make this process read the pages of posts as columns, for good."""
    for name in REPLACED:
        setattr(posts, name, getattr(column_page, name))


@contextmanager
def pages_as_columns() -> Iterator[None]:
    """Read the pages of posts as columns while the block runs, in this process."""
    saved = {name: getattr(posts, name) for name in REPLACED}
    read_pages_as_columns()
    try:
        yield
    finally:
        for name, function in saved.items():
            setattr(posts, name, function)


def create_column_app() -> APIFlask:
    """Create the app, reading its pages of posts as columns."""
    read_pages_as_columns()
    return create_app()
