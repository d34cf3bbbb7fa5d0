"""Command-line tools, run as `flask --app blog <command>`."""

from __future__ import annotations

import click
from flask import Flask

from blog.bulk import seed_bulk
from blog.db import db
from blog.seed import seed_demo


@click.command("seed")
@click.option(
    "--posts",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Also make sure there are this many synthetic posts (bulk-loaded, for benchmarks).",
)
def seed_command(posts: int) -> None:
    """Load the demo data; safe to run again, it adds only what is missing."""
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
