"""Sign-in throttling: after too many wrong passwords for one username (lower-cased), refuse for
the rest of a fixed window from the first failure (docs/api.md, Security)."""

import math
from datetime import timedelta

from flask import g
from sqlalchemy import case, delete, extract, func, select
from sqlalchemy.dialects.postgresql import insert

from blog.auth import take_a_hashing_slot
from blog.config import current_settings
from blog.db import db
from blog.errors import TooManyRequests
from blog.models import SignInFailures

PRUNED_PER_ATTEMPT = 100


def attempt(username: str) -> None:
    """Count a password attempt for `username`, or refuse it with 429 if too many failed lately.
    The caller commits the count; until then its row stays locked, and attempts take turns."""
    take_a_hashing_slot()  # first, so that a refusal for want of one counts for nothing
    settings = current_settings()
    window = timedelta(seconds=settings.sign_in_window_seconds)
    now = func.now()
    row = SignInFailures.__table__.c
    # One statement counts and returns the count, so that simultaneous requests agree, by the
    # database's clock. In ON CONFLICT DO UPDATE the table's columns are the row already there.
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
    # A few rows whose window has ended go at each attempt, skipping those other attempts hold.
    ended_rows = select(row.username_lower).where(ended).limit(PRUNED_PER_ATTEMPT)
    unheld = ended_rows.with_for_update(skip_locked=True).scalar_subquery()
    db.session.execute(delete(SignInFailures).where(row.username_lower.in_(unheld)))
    if failures > settings.sign_in_max_failures:
        # The error handler rolls back: a refused attempt does not count.
        raise TooManyRequests(
            "Too many password attempts for this username lately. Try again later.",
            retry_after=max(1, math.ceil(seconds_left)),
        )


def keep() -> None:
    """Commit the count even under a false condition, which must not buy an uncounted check."""
    g.bookkeeping = True
    db.session.commit()
    g.bookkeeping = False


def succeeded(username: str) -> None:
    """Forget the failures of `username`, whose password was right, in the caller's transaction."""
    db.session.execute(delete(SignInFailures).filter_by(username_lower=username.lower()))
