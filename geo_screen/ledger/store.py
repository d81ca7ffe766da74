"""The ledger's store: one SQLAlchemy Core schema on SQLite (a file beside the county's data) or PostgreSQL.

Entries are only ever inserted: the store has no update or delete, the database refuses both (triggers), and
each entry's hash covers the previous entry's hash, so :meth:`Ledger.check` finds an edit or a removal made
behind the tool's back. Appending takes a write lock first (SQLite ``BEGIN IMMEDIATE``, a PostgreSQL
transaction-level advisory lock), so writers recording at once queue up and the chain stays one line.
The schema's version is kept in ``ledger_schema`` and migrated forward when a ledger is opened.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from geo_screen.errors import ConfigError, InputDataError, join_problems
from geo_screen.ledger.entries import GENESIS_HASH, Entry, entry_hash, now_local

#: the schema version this code writes; older ledgers are migrated forward when opened
SCHEMA_VERSION = 1
#: a fixed key for PostgreSQL's advisory lock that serialises appends (and migrations)
_PG_LOCK_KEY = 0x6765_6F5F_6C65_6467  # "geo_ledg"

metadata = sa.MetaData()
entries_table = sa.Table(
    "ledger_entries",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("enterprise_id", sa.String(32), nullable=False, index=True),
    sa.Column("standard", sa.String(16)),
    sa.Column("value", sa.Text),
    sa.Column("doc_number", sa.Text),
    sa.Column("issuing_unit", sa.Text),
    sa.Column("due_date", sa.String(10)),
    sa.Column("lon", sa.Float),
    sa.Column("lat", sa.Float),
    sa.Column("note", sa.Text),
    sa.Column("inspector", sa.Text),
    sa.Column("checked_on", sa.String(10)),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.String(32), nullable=False),
    sa.Column("run_id", sa.String(64)),
    sa.Column("source_file", sa.Text),
    sa.Column("source_sha256", sa.String(64), index=True),
    sa.Column("source_row", sa.Integer),
    sa.Column("corrects", sa.Integer),
    sa.Column("prev_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("entry_hash", sa.String(64), nullable=False, unique=True),
)
schema_table = sa.Table(
    "ledger_schema",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.String(32), nullable=False),
)

_SQLITE_APPEND_ONLY = [
    f"CREATE TRIGGER ledger_entries_no_{op.lower()} BEFORE {op} ON ledger_entries "
    "BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: record a correction instead'); END"
    for op in ("UPDATE", "DELETE")
]
_PG_APPEND_ONLY = [
    "CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION 'ledger entries are append-only: record a correction instead'; END $$",
    "CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries "
    "FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()",
]


def _create_v1(conn: sa.Connection) -> None:
    metadata.create_all(conn)
    for statement in _PG_APPEND_ONLY if conn.dialect.name == "postgresql" else _SQLITE_APPEND_ONLY:
        conn.exec_driver_sql(statement)


#: version -> the step that brings a ledger from the version before to it
MIGRATIONS: dict[int, Callable[[sa.Connection], None]] = {1: _create_v1}


@dataclass(frozen=True)
class ChainCheck:
    """The result of :meth:`Ledger.check`: whether the chain holds, and the first entry where it breaks."""

    entries: int
    first_bad: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_bad is None

    def text(self) -> str:
        """One line for the command line."""
        if self.ok:
            return f"ledger chain intact: {self.entries:,} entries, each hash matches its content and predecessor"
        return f"ledger chain broken at entry {self.first_bad}: {self.problem}"


def ledger_url(target: str | os.PathLike) -> sa.URL:
    """The database URL of a ledger given as a file path (SQLite) or a ``postgresql://`` / ``sqlite://`` URL."""
    text = os.fspath(target)
    if text.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        url = sa.make_url(text.replace("postgres://", "postgresql://", 1))
        return url.set(drivername="postgresql+psycopg")
    if text.startswith("sqlite://"):
        return sa.make_url(text)
    if "://" in text:
        raise ConfigError(
            f"ledger {text!r}: unknown kind of database; give a file path (SQLite) or a postgresql:// URL"
        )
    path = Path(text).expanduser().resolve()
    if not path.parent.is_dir():
        raise ConfigError(f"ledger {text!r}: folder {path.parent} does not exist; create it or choose another path")
    return sa.URL.create("sqlite+pysqlite", database=str(path))


class Ledger:
    """An open ledger. Use :func:`open_ledger`; close it with :meth:`close` (or a ``with`` block)."""

    def __init__(self, target: str | os.PathLike):
        self.url = ledger_url(target)
        self.where = self.url.render_as_string(hide_password=True)
        if self.url.get_backend_name() == "sqlite":
            self.engine = sa.create_engine(self.url, connect_args={"timeout": 60})
            sa.event.listen(self.engine, "connect", _sqlite_connect)
            sa.event.listen(self.engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        else:
            self.engine = sa.create_engine(self.url)
        try:
            self._migrate()
        except sa.exc.OperationalError as err:
            self.engine.dispose()
            raise ConfigError(f"ledger {self.where} cannot be opened: {err.orig}") from err

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _lock(self, conn: sa.Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})

    def _migrate(self) -> None:
        with self.engine.begin() as conn:
            self._lock(conn)
            current = self._version(conn)
            if current > SCHEMA_VERSION:
                raise ConfigError(
                    f"ledger {self.where} has schema version {current}, newer than this geo_screen's "
                    f"{SCHEMA_VERSION}; upgrade geo_screen to use it"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[version](conn)
                conn.execute(sa.insert(schema_table), {"version": version, "applied_at": now_local()})

    @staticmethod
    def _version(conn: sa.Connection) -> int:
        if not sa.inspect(conn).has_table(schema_table.name):
            return 0
        return conn.execute(sa.select(sa.func.max(schema_table.c.version))).scalar() or 0

    @property
    def schema_version(self) -> int:
        """The schema version of the open ledger."""
        with self.engine.connect() as conn:
            return self._version(conn)

    # ------------------------------------------------------------------ writing
    def append(self, entries: Sequence[Entry]) -> list[Entry]:
        """Record ``entries`` in one transaction (all or none) and return them with seq and hashes.

        Raises
        ------
        InputDataError
            When an entry's values are not allowed or it corrects an entry that does not exist; nothing is
            recorded then.
        """
        problems = [f"entry {i + 1} ({e.enterprise_id}): {p}" for i, e in enumerate(entries) for p in e.problems()]
        if problems:
            raise InputDataError(join_problems(f"nothing recorded in ledger {self.where}", problems))
        stamp = now_local()
        with self.engine.begin() as conn:
            self._lock(conn)
            last = conn.execute(
                sa.select(entries_table.c.seq, entries_table.c.entry_hash).order_by(entries_table.c.seq.desc()).limit(1)
            ).first()
            seq, prev = (last.seq, last.entry_hash) if last else (0, GENESIS_HASH)
            wanted = {e.corrects for e in entries if e.corrects is not None}
            if wanted:
                found = set(
                    conn.execute(sa.select(entries_table.c.seq).where(entries_table.c.seq.in_(wanted))).scalars()
                )
                missing = sorted(wanted - found)
                if missing:
                    raise InputDataError(
                        f"nothing recorded in ledger {self.where}: a correction names entry "
                        f"{', '.join(map(str, missing))}, which does not exist; see `geo-screen ledger log`"
                    )
            rows = []
            for entry in entries:
                seq += 1
                fields = entry.fields() | {
                    "seq": seq,
                    "prev_hash": prev,
                    "recorded_at": entry.recorded_at or stamp,
                    "entry_hash": None,
                }
                fields["entry_hash"] = prev = entry_hash(fields)
                rows.append(fields)
            if rows:
                conn.execute(sa.insert(entries_table), rows)
        return [Entry(**row) for row in rows]

    # ------------------------------------------------------------------ reading
    def entries(self, enterprise_id: str | None = None) -> list[Entry]:
        """Every entry in the order recorded, or those of one enterprise."""
        query = sa.select(entries_table).order_by(entries_table.c.seq)
        if enterprise_id is not None:
            query = query.where(entries_table.c.enterprise_id == enterprise_id)
        with self.engine.connect() as conn:
            return [Entry(**row._mapping) for row in conn.execute(query)]

    def imported(self, sha256: str) -> bool:
        """Whether a file with this SHA-256 was imported before."""
        query = sa.select(entries_table.c.seq).where(entries_table.c.source_sha256 == sha256).limit(1)
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def entries_from(self, source_file: str, run_id: str | None) -> list[Entry]:
        """The entries imported from files of this name for this run, in the order recorded."""
        c = entries_table.c
        query = sa.select(entries_table).where(c.source_file == source_file).order_by(c.seq)
        query = query.where(c.run_id.is_(None) if run_id is None else c.run_id == run_id)
        with self.engine.connect() as conn:
            return [Entry(**row._mapping) for row in conn.execute(query)]

    def imports(self, source_file: str) -> list[dict]:
        """Earlier imports of a file of this name: its SHA-256, run, who and when (one dict per import)."""
        c = entries_table.c
        query = (
            sa.select(c.source_sha256, c.run_id, sa.func.min(c.recorded_by), sa.func.min(c.recorded_at))
            .where(c.source_file == source_file)
            .group_by(c.source_sha256, c.run_id)
        )
        with self.engine.connect() as conn:
            return [dict(zip(("sha256", "run_id", "recorded_by", "recorded_at"), r)) for r in conn.execute(query)]

    def _rows(self) -> Iterator[dict]:
        with self.engine.connect() as conn:
            for row in conn.execute(sa.select(entries_table).order_by(entries_table.c.seq)):
                yield dict(row._mapping)

    def check(self) -> ChainCheck:
        """Walk the chain from the first entry: numbering, each predecessor's hash, each entry's own hash."""
        prev, expected, count = GENESIS_HASH, 1, 0
        for fields in self._rows():
            seq = fields["seq"]
            if seq != expected:
                what = "removed" if seq > expected else "out of order"
                return ChainCheck(count, expected, f"entry {expected} is missing (the next is {seq}): {what}")
            if fields["prev_hash"] != prev:
                return ChainCheck(
                    count,
                    seq,
                    f"it names {fields['prev_hash'][:12]}… as its predecessor, but entry {seq - 1} "
                    f"hashes to {prev[:12]}…: an entry before it was edited or removed",
                )
            if entry_hash(fields) != fields["entry_hash"]:
                return ChainCheck(count, seq, "its content does not match its hash: it was edited after recording")
            prev, expected, count = fields["entry_hash"], expected + 1, count + 1
        return ChainCheck(count)


def _sqlite_connect(dbapi_connection, _record) -> None:
    # let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE (a write lock up front) instead of pysqlite's BEGIN
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA busy_timeout = 60000")


def open_ledger(target: str | os.PathLike) -> Ledger:
    """Open (creating it if needed) the ledger at a file path (SQLite) or a ``postgresql://`` URL.

    Examples
    --------
    >>> with open_ledger(tmp / "ledger.sqlite") as ledger:  # doctest: +SKIP
    ...     ledger.append([Entry("note", "91320612502415011T", "张三", note="企业已停产")])
    """
    return Ledger(target)
