"""The `flask --app blog seed` command, which `bin/app seed` runs."""

import click
from flask import Flask

from blog.config import current_settings
from blog.db import db
from blog.seed import disable_demo_accounts, seed_demo


@click.command("seed")
def seed_command() -> None:
    """Load the demo data, unless a demo user exists already.

    In production it loads nothing, since the demo password is published, and disables the demo
    accounts a development run left behind.
    """
    if current_settings().env != "production":
        users, posts = seed_demo()
        db.session.commit()
        click.echo(f"Demo data: added {users} users and {posts} posts.")
        return
    disabled = disable_demo_accounts()
    db.session.commit()
    named = f" ({', '.join(disabled[:4])}{', ...' if len(disabled) > 4 else ''})"
    click.echo(
        f"Production: no demo data loaded; disabled {len(disabled)} demo"
        f" account{'' if len(disabled) == 1 else 's'}{named if disabled else ''}."
    )


def register_commands(app: Flask) -> None:
    """Add the project's commands to `flask`."""
    app.cli.add_command(seed_command)
