"""Command-line tools, run as `flask --app blog <command>`."""

from __future__ import annotations

import click
from flask import Flask

from blog.bulk import seed_bulk
from blog.config import current_settings
from blog.db import db
from blog.seed import disable_demo_accounts, seed_demo


@click.command("seed")
@click.option(
    "--posts",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Also make sure there are this many synthetic posts (bulk-loaded, for benchmarks).",
)
def seed_command(posts: int) -> None:
    """Load the demo data unless a demo user exists already, and with --posts the synthetic
    posts that are missing: running it again adds nothing.

    In production it loads nothing, since the demo password is published, and disables the demo
    accounts a development run left behind.
    """
    if current_settings().env == "production":
        if posts:
            raise click.UsageError("--posts makes accounts with the published demo password.")
        disabled = disable_demo_accounts()
        db.session.commit()
        accounts = "account" if len(disabled) == 1 else "accounts"
        named = f" ({', '.join(disabled[:4])}{', ...' if len(disabled) > 4 else ''})"
        click.echo(
            f"Production: no demo data loaded; disabled {len(disabled)} demo {accounts}"
            f"{named if disabled else ''}."
        )
        return
    demo = seed_demo()
    db.session.commit()
    click.echo(f"Demo data: added {demo.users} users and {demo.posts} posts.")
    if posts:
        bulk = seed_bulk(posts=posts)
        db.session.commit()
        if not bulk.posts:
            click.echo(f"Synthetic data: all {posts} posts were already there.")
            return
        rate = bulk.rows / bulk.seconds
        click.echo(
            f"Synthetic data: added {bulk.users} users, {bulk.posts} posts and {bulk.links} other"
            f" rows in {bulk.seconds:.2f} s ({rate:,.0f} rows/s)."
        )


def register_commands(app: Flask) -> None:
    """Add the project's commands to `flask`."""
    app.cli.add_command(seed_command)
