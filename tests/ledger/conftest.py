"""Ledger fixtures: a SQLite file per test, and a real PostgreSQL server started once for the session."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from geo_screen.ledger.entries import Entry

USCC = ("91320612502415011T", "91320612MA1MXXXX0Y", "91320681MA1N000000")


def pg_binaries() -> Path | None:
    """The folder of a Debian PostgreSQL's initdb/pg_ctl (the newest installed), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL cluster on a free port; yields its base URL (``postgresql://user@host:port``)."""
    bindir = pg_binaries()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (Debian package postgresql: /usr/lib/postgresql/*/bin/initdb)")
    root = Path(tempfile.mkdtemp(prefix="geo_screen_pg_"))
    data, port = root / "data", _free_port()
    as_user: list[str] = []
    user = "postgres"
    if os.geteuid() == 0:  # initdb refuses to run as root: run the cluster as the postgres system user
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL as an unprivileged user")
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
        root.chmod(0o755)
    else:
        user = os.environ.get("USER") or "postgres"

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=120)

    run(str(bindir / "initdb"), "-D", str(data), "-U", user, "-A", "trust", "-E", "UTF8", "--no-locale")
    run(
        str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60",
        "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start",
    )  # fmt: skip
    try:
        yield f"postgresql://{user}@127.0.0.1:{port}"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server):
    """A fresh database on the session's server."""
    import sqlalchemy as sa

    name = f"ledger_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(f"{pg_server.replace('postgresql://', 'postgresql+psycopg://')}/postgres")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return f"{pg_server}/{name}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def ledger_target(request, tmp_path):
    """A ledger location on each backend: a SQLite file path, a PostgreSQL URL."""
    if request.param == "sqlite":
        return tmp_path / "ledger.sqlite"
    return request.getfixturevalue("pg_url")


def finding(uscc: str = USCC[0], value: str = "属实", **kw) -> Entry:
    return Entry("finding", uscc, kw.pop("recorded_by", "张三"), value=value, **kw)
