"""A throwaway PostgreSQL server for the tests that check the PostgreSQL path
(several bot instances sharing one database, as DESIGN.md's national
deployment does): `initdb` into a temporary folder, `pg_ctl start` on a free
loopback port, one fresh database per test, everything removed at the end.

PostgreSQL refuses to run as root, so under root (CI, these machines) the
server runs as the `postgres` system user that Debian's package creates.
The binaries come from Debian's `postgresql` package (`make install`
installs it when `pg_ctl` is missing). SAUAL_POSTGRES=0 skips these tests
explicitly; otherwise a missing server is an error, not a silent skip.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SEARCH = [Path("/usr/lib/postgresql") / v / "bin" for v in ("17", "16", "15", "14")]


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in SEARCH:
        if (folder / name).exists():
            return str(folder / name)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self) -> None:
        initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
        if not initdb or not pg_ctl:
            raise RuntimeError("PostgreSQL is not installed (initdb/pg_ctl not found): "
                               "`apt-get install postgresql`, or SAUAL_POSTGRES=0 to skip")
        self.pg_ctl = pg_ctl
        self.root = Path(tempfile.mkdtemp(prefix="saual-pg-"))
        self.port = _free_port()
        self._prefix: list[str] = []
        if os.geteuid() == 0:  # postgres will not run as root
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._prefix = ["runuser", "-u", "postgres", "--"]
        self.data = self.root / "data"
        self._run([initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres",
                   "--no-sync", "-E", "UTF8", "--locale", "C.UTF-8"])
        self.options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self.resume()
        self._names = itertools.count(1)

    def halt(self) -> None:
        """Stop the server (connections dropped) until :meth:`resume`: an outage."""
        self._run([self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def resume(self) -> None:
        self._run([self.pg_ctl, "-D", str(self.data), "-o", self.options, "-l",
                   str(self.root / "server.log"), "-w", "start"])

    def _run(self, cmd: list[str]) -> None:
        done = subprocess.run([*self._prefix, *cmd], capture_output=True, text=True,
                              timeout=120)
        if done.returncode:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}{done.stderr}")

    def _psql(self, sql: str) -> None:
        psql = _bin("psql")
        assert psql, "psql not found"
        subprocess.run([psql, "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                        "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
                       check=True, capture_output=True, timeout=60)

    def new_database(self) -> str:
        """A fresh empty database; its SQLAlchemy async URL."""
        name = f"saual_test_{os.getpid()}_{next(self._names)}"
        self._psql(f"CREATE DATABASE {name}")
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self._run([self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"])
        shutil.rmtree(self.root, ignore_errors=True)
