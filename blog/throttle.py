"""Sign-in throttling: after too many wrong passwords for one username, refuse for a while.

Every password attempt for a username - signing in, or confirming a change with
`current_password` - is counted in the `sign_in_failures` row of that name (lower-cased) before
the password is checked. While a window of SIGN_IN_WINDOW_SECONDS holds more than
SIGN_IN_MAX_FAILURES attempts, further ones are answered 429 with `Retry-After`, and their
password is not checked at all: a refused attempt costs one small statement, not an Argon2 hash.
A successful attempt deletes the row.

The choices, and why:

- **A fixed window.** It starts at the first failure and ends SIGN_IN_WINDOW_SECONDS later,
  whatever happens in it; refused attempts do not extend it. So one burst of wrong passwords
  locks a name out for one window at most. Someone who keeps sending wrong passwords can keep
  new sign-ins for that name refused for as long as they keep at it; that is the price of any
  limit per username, and the reason the limit is per username and short rather than an account
  lock. Tokens already issued keep working, so a user who is signed in is not locked out.
- **Counted before the check, in one statement.** `INSERT ... ON CONFLICT DO UPDATE` adds the
  attempt and returns the new count atomically, so simultaneous requests, on any worker, can
  together check at most SIGN_IN_MAX_FAILURES passwords per window. The count is committed at
  once, so it stands however the request ends.
- **The database's clock.** `now()` decides the windows, so every process agrees on them.
- **Unknown usernames are counted too**, so that the answers for them are the same as for a
  user who exists, and cannot tell the two apart.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import case, delete, extract, func
from sqlalchemy.dialects.postgresql import insert

from blog.config import current_settings
from blog.db import db
from blog.errors import TooManyRequests
from blog.models import SignInFailures


def attempt(username: str) -> None:
    """Count a password attempt for `username`, or refuse it with 429 if too many failed lately.

    Commits, so that the attempt counts whatever the rest of the request does.
    """
    settings = current_settings()
    window = timedelta(seconds=settings.sign_in_window_seconds)
    now = func.now()
    row = SignInFailures.__table__.c
    # In ON CONFLICT DO UPDATE, the table's columns are the row already there.
    ended = row.window_started_at <= now - window
    counted = (
        insert(SignInFailures)
        .values(username_lower=username.lower(), failures=1, window_started_at=now)
        .on_conflict_do_update(
            index_elements=[row.username_lower],
            set_={
                "failures": case((ended, 1), else_=row.failures + 1),
                "window_started_at": case((ended, now), else_=row.window_started_at),
            },
        )
        .returning(row.failures, extract("epoch", row.window_started_at + window - now))
    )
    failures, seconds_left = db.session.execute(counted).one()
    if failures > settings.sign_in_max_failures:
        # The error handler rolls back: a refused attempt changes nothing, not even the count.
        raise TooManyRequests(
            "Too many wrong passwords for this username lately. Try again later.",
            retry_after=max(1, math.ceil(seconds_left)),
        )
    db.session.commit()


def succeeded(username: str) -> None:
    """Forget the failures of `username`, whose password was right; commits."""
    db.session.execute(
        delete(SignInFailures).where(SignInFailures.username_lower == username.lower())
    )
    db.session.commit()
