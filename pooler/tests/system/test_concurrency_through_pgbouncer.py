"""The concurrency tests of tests/system/test_concurrency.py, run again through PgBouncer.

The same test functions, imported, with a `server` of this module's own: gunicorn with many
workers and DB_POOLER=transaction, whose every connection goes through a PgBouncer in
transaction mode with fewer server connections than workers. What keeps those tests true is
in PostgreSQL (ON CONFLICT, unique indexes, row locks taken inside the writing transaction),
and a transaction-mode pooler keeps each transaction on one server connection, so they must
hold here too: shared new tags, racing registrations, likes and follows, If-Match.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from pooler.pgbouncer import pgbouncer
from tests.servers import APP, Server, running
from tests.system.test_concurrency import (
    database,
    test_a_post_locked_for_editing_still_takes_likes,
    test_following_and_liking_at_once_are_idempotent,
    test_posts_sharing_brand_new_tags_create_each_tag_once,
    test_simultaneous_edits_with_one_if_match_let_exactly_one_through,
    test_simultaneous_edits_without_if_match_all_apply_in_turn,
    test_simultaneous_registrations_of_one_username_let_exactly_one_in,
    writers_environment,
)

# Fewer server connections than the WORKERS app processes: they take turns.
POOL_SIZE = 4

__all__ = [
    "database",
    "test_a_post_locked_for_editing_still_takes_likes",
    "test_following_and_liking_at_once_are_idempotent",
    "test_posts_sharing_brand_new_tags_create_each_tag_once",
    "test_simultaneous_edits_with_one_if_match_let_exactly_one_through",
    "test_simultaneous_edits_without_if_match_all_apply_in_turn",
    "test_simultaneous_registrations_of_one_username_let_exactly_one_in",
]


@pytest.fixture(scope="module")
def server(database: Engine) -> Iterator[Server]:
    url = database.url.render_as_string(hide_password=False)
    with pgbouncer(url, pool_size=POOL_SIZE) as pooler:
        environ = writers_environment(pooler.url, DB_POOLER="transaction")
        with running(APP, environ) as server:
            yield server
