"""A real PgBouncer on 127.0.0.1, in transaction mode, in front of one of the suite's databases.

For the layer's tests in pooler/tests/system (make pooler-test) and, while this layer is in the
tree, the benchmark's pgbouncer column. It runs the machine's own `pgbouncer`, which the tests do
not install (`make pooler-test` installs Debian's package when it runs as root); as root it is
started with `--user nobody`, the user it then runs as.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from tests.databases import libpq_url
from tests.servers import free_port

# Where Debian installs it, for a PATH without /usr/sbin.
DEBIAN_PGBOUNCER = "/usr/sbin/pgbouncer"


def pgbouncer_program() -> str:
    """Return the path of the `pgbouncer` program, or raise if this machine has none."""
    program = shutil.which("pgbouncer") or (
        DEBIAN_PGBOUNCER if Path(DEBIAN_PGBOUNCER).exists() else None
    )
    if program is None:
        raise RuntimeError(
            "PgBouncer is not installed: `make pooler-test` installs Debian's package as root,"
            " or install it yourself (apt-get install pgbouncer)."
        )
    return program


@dataclass(frozen=True)
class Pooler:
    """A running PgBouncer, and the database URL that goes through it."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        """Return what PgBouncer has logged so far."""
        return self.log.read_text(errors="replace")


@contextmanager
def pgbouncer(
    database_url: str,
    *,
    pool_size: int = 4,
    settings: Mapping[str, str] | None = None,
    timeout: float = 10,
) -> Iterator[Pooler]:
    """Run PgBouncer in transaction mode in front of `database_url`'s database; stop it after.

    At most `pool_size` server connections serve every client, so clients take turns on them
    transaction by transaction. `settings` are added to (or replace) the [pgbouncer] section.
    Clients log in with `database_url`'s user name, unchecked (auth_type trust); PgBouncer logs
    in to PostgreSQL with the same name and `database_url`'s password.
    """
    target = make_url(database_url)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="pgbouncer-") as folder:
        directory = Path(folder)
        directory.chmod(0o755)  # readable by `nobody`, when root starts it
        users = directory / "users.txt"
        users.write_text(f'"{target.username}" ""\n')
        log = directory / "pgbouncer.log"
        log.touch()
        log.chmod(0o666)
        section = {
            "listen_addr": "127.0.0.1",
            "listen_port": str(port),
            "unix_socket_dir": "",
            "auth_type": "trust",
            "auth_file": str(users),
            "pool_mode": "transaction",
            "default_pool_size": str(pool_size),
            "max_client_conn": "500",
            "logfile": str(log),
            "pidfile": "",
        } | dict(settings or {})
        server = f"host={target.host or '127.0.0.1'} port={target.port or 5432}"
        if target.password:  # PgBouncer's own login to PostgreSQL
            server += f" password={target.password}"
        lines = [
            "[databases]",
            f"{target.database} = {server} dbname={target.database}",
            "[pgbouncer]",
            *(f"{key} = {value}" for key, value in section.items()),
        ]
        config = directory / "pgbouncer.ini"
        config.write_text("\n".join(lines) + "\n")
        for path in (users, config):
            path.chmod(0o644)

        command = [pgbouncer_program(), str(config)]
        if os.geteuid() == 0:
            command[1:1] = ["--user", "nobody"]
        process = subprocess.Popen(  # noqa: S603 - the machine's pgbouncer, our own config
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        pooler = Pooler(
            target.set(host="127.0.0.1", port=port).render_as_string(hide_password=False),
            process,
            log,
        )
        try:
            _wait_until_ready(pooler, timeout)
            yield pooler
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_ready(pooler: Pooler, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if pooler.process.poll() is not None:
            raise RuntimeError(f"PgBouncer exited at start:\n{pooler.output()}")
        try:
            with psycopg.connect(libpq_url(pooler.url), connect_timeout=2) as connection:
                connection.execute("SELECT 1")
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
