"""SQLite store of the local backend: connections, transactions, ids, agents and tokens.

One SQLite file under the data dir holds everything. WAL mode lets readers run while one
writer commits; every write goes through :func:`transaction` (``BEGIN IMMEDIATE``), so the
write lock is taken up front and concurrent writers (threads of one server, or the CLI's
in-process backend next to a ``local serve`` process) queue on ``busy_timeout`` instead of
failing half-way. Every money movement happens inside one such transaction.

Money lives in :mod:`.ledger`, the activity log in :mod:`.activity`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from image_skill.local.settings import LocalSettings
from image_skill.local.store.schema import (
    MIGRATIONS,
    SCHEMA,
    SCHEMA_VERSION,
    retry_locked,
    statements,
)

TOKEN_PREFIX = "isk_r_"
#: Grants an unclaimed agent holds (server digest §3.2).
DEFAULT_GRANTS: tuple[str, ...] = (
    "image.create.preview",
    "image.edit.preview",
    "video.create.preview",
    "audio.create.preview",
    "3d.create.preview",
    "asset.upload",
    "asset.read",
    "job.read",
    "activity.read",
    "feedback.create",
    "credits.quote",
    "credits.purchase",
)
#: ``last_used_at`` is refreshed at most this often, to keep reads from writing.
_LAST_USED_RESOLUTION_S = 60.0
#: Idle connections a :class:`Store` keeps for the next request (see :meth:`Store.acquire`):
#: more than the requests one server runs at once under load (16 clients), so none is opened.
POOL_SIZE = 32


# --------------------------------------------------------------------------- helpers


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    """``2025-01-02T03:04:05.678Z``: fixed width, so text order is time order."""
    utc = dt.astimezone(UTC)
    if utc.year >= 1000:  # the same text as below, faster (``isoformat`` pads a short year)
        return utc.isoformat(timespec="milliseconds")[:23] + "Z"
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return iso(utc_now())


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def new_id(prefix: str) -> str:
    """``prefix`` + 24 random hex characters (prefix given with its underscore)."""
    return prefix + secrets.token_hex(12)


def sha256_hex(data: str | bytes) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


#: ``json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)``, built once.
_DUMPS = json.JSONEncoder(separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode


def dumps(value: Any) -> str:
    return _DUMPS(value)


def loads(value: str | None) -> Any:
    return None if value is None else json.loads(value)


# ------------------------------------------------------------------ connections


class Connection(sqlite3.Connection):
    """A connection of a :class:`Store`; :func:`transaction` takes its ``write_lock``."""

    write_lock: threading.RLock | None = None
    synchronous: str = "FULL"  # its level outside a transaction that asks for another


class Store:
    """The database of one data dir.

    Cheap to construct: the data dir, media dir and schema are created on the first
    connection, so routes that need no database (health, models, payment methods) leave
    no trace on disk.

    Request handlers borrow pooled connections (:meth:`acquire` / :meth:`release`): opening
    one parses the whole schema, and closing the last one checkpoints and resets the WAL,
    so the next commit had to sync a fresh WAL header; a kept connection pays neither.
    Every connection of one store shares one ``write_lock``, so writers of this process
    queue on it in order instead of in SQLite's sleeping busy handler (which is still what
    orders writers of different processes).
    """

    def __init__(self, settings: LocalSettings) -> None:
        self.settings = settings
        self.path: Path = settings.db_path
        self._ready = False
        self._lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._idle: list[sqlite3.Connection] = []
        self.loop_conn: sqlite3.Connection | None = None  # see deps.loop_conn; closed here

    def _ensure(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
            self.settings.media_dir.mkdir(parents=True, exist_ok=True)
            self._init_schema()
            self._ready = True

    def connect(self) -> sqlite3.Connection:
        """A new connection in autocommit mode; use :func:`transaction` for writes."""
        self._ensure()
        return self._open()

    def acquire(self) -> sqlite3.Connection:
        """A connection from the pool (or a new one); hand it back with :meth:`release`."""
        self._ensure()
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._open()

    def release(self, conn: sqlite3.Connection) -> None:
        """Return ``conn`` to the pool (closed instead when the pool is full)."""
        try:
            if conn.in_transaction:  # a handler that failed half-way: never pass it on
                conn.execute("ROLLBACK")
        except sqlite3.Error:
            conn.close()
            return
        with self._lock:
            if len(self._idle) < POOL_SIZE:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        """Close the pooled connections (borrowed ones close when released)."""
        with self._lock:
            idle, self._idle = self._idle, []
            if self.loop_conn is not None:
                idle, self.loop_conn = [*idle, self.loop_conn], None
        for conn in idle:
            conn.close()

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path,
            timeout=self.settings.busy_timeout_ms / 1000,
            isolation_level=None,
            check_same_thread=False,
            factory=Connection,
        )
        assert isinstance(conn, Connection)
        conn.write_lock = self._write_lock
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(self.settings.busy_timeout_ms)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = FULL")  # see transaction()
        return conn

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        conn = self.connect()
        try:
            yield conn
        finally:
            conn.close()

    def _init_schema(self) -> None:
        conn = self._open()
        try:
            self._create_schema(conn)
        finally:
            conn.close()

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        retry_locked(lambda: conn.execute("PRAGMA journal_mode = WAL"))
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"local data dir uses schema {version}; this version knows {SCHEMA_VERSION}"
            )
        # A migration may rebuild a table (SQLite's way to change a column), which only works
        # with foreign keys off; they are checked before the commit instead. The pragma is a
        # no-op inside a transaction, so it is set first, on this short-lived connection.
        conn.execute("PRAGMA foreign_keys = OFF")
        with transaction(conn):
            # Another process may have upgraded the file since the check above.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version == SCHEMA_VERSION:
                return
            scripts = [SCHEMA] if version == 0 else []
            scripts += [MIGRATIONS[v] for v in range(max(version, 1) + 1, SCHEMA_VERSION + 1)]
            for script in scripts:
                for statement in statements(script):
                    conn.execute(statement)
            broken = conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"schema upgrade left {len(broken)} dangling references")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


@contextmanager
def transaction(conn: sqlite3.Connection, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on any exception).

    Nested use joins the outer transaction, so helpers can call it unconditionally. A
    :class:`Store` connection first takes the store's write lock (see :class:`Store`). The
    commit is synced to disk (``synchronous = FULL``: money rows survive a power cut) unless
    ``durable`` is off, for rows whose loss in a crash costs nothing (a dry run's plan).
    A connection left at another level (``Connection.synchronous``) is switched for the
    transaction and back, so it costs no pragma when it already commits as asked.
    """
    if conn.in_transaction:
        yield conn
        return
    level = getattr(conn, "synchronous", "FULL")
    wanted = "FULL" if durable else "NORMAL"
    with getattr(conn, "write_lock", None) or contextlib.nullcontext():
        if level != wanted:
            conn.execute(f"PRAGMA synchronous = {wanted}")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            if level != wanted:
                conn.execute(f"PRAGMA synchronous = {level}")


# ------------------------------------------------------------------- agents/tokens


@dataclass(frozen=True)
class Actor:
    """An authenticated agent (what a bearer token resolves to)."""

    actor_id: str
    organization_id: str
    actor_type: str
    agent_contact: str | None  # None: anonymous signup
    agent_name: str
    runtime: str
    claim_state: str
    token_id: str
    token_status: str
    token_class: str
    token_prefix: str
    token_hint: str
    token_created_at: str
    claim_contact: str | None = None  # attached by a claim request
    claim_request_state: str | None = None  # "requested" once a claim request was made

    @property
    def contact(self) -> str | None:
        """The agent's current contact: the claimed one, else the one given at signup."""
        return self.claim_contact or self.agent_contact

    def envelope_block(self) -> dict[str, Any]:
        """The envelope's ``actor`` member."""
        return {
            "actor_type": self.actor_type,
            "actor_id": self.actor_id,
            "organization_id": self.organization_id,
            "claim_state": self.claim_state,
        }


def hash_token(token: str) -> str:
    return sha256_hex(token)


_ACTOR_SQL = """
SELECT a.actor_id, a.organization_id, a.actor_type, a.agent_contact, a.agent_name,
       a.runtime, a.claim_state, a.claim_contact, a.claim_request_state, t.token_id,
       t.status AS token_status, t.token_class, t.token_prefix, t.token_hint,
       t.created_at AS token_created_at, t.last_used_at
FROM tokens t JOIN actors a ON a.actor_id = t.actor_id
"""


def _actor_from_row(row: sqlite3.Row) -> Actor:
    return Actor(
        actor_id=row["actor_id"],
        organization_id=row["organization_id"],
        actor_type=row["actor_type"],
        agent_contact=row["agent_contact"],
        agent_name=row["agent_name"],
        runtime=row["runtime"],
        claim_state=row["claim_state"],
        token_id=row["token_id"],
        token_status=row["token_status"],
        token_class=row["token_class"],
        token_prefix=row["token_prefix"],
        token_hint=row["token_hint"],
        token_created_at=row["token_created_at"],
        claim_contact=row["claim_contact"],
        claim_request_state=row["claim_request_state"],
    )


def load_actor(conn: sqlite3.Connection, token_id: str) -> Actor | None:
    row = conn.execute(_ACTOR_SQL + " WHERE t.token_id = ?", (token_id,)).fetchone()
    return None if row is None else _actor_from_row(row)


def actor_for_token_id(conn: sqlite3.Connection, token_id: str) -> Actor | None:
    """The actor behind an *active* token id (browser sessions), else ``None``."""
    actor = load_actor(conn, token_id)
    if actor is None or actor.token_status != "active" or actor.claim_state == "revoked":
        return None
    return actor


def authenticate(conn: sqlite3.Connection, token: str | None) -> Actor | None:
    """The actor behind an active token, or ``None`` (missing, unknown, revoked)."""
    actor, stale = lookup_token(conn, token)
    if actor is not None and stale:
        touch_token(conn, actor.token_id)
    return actor


def lookup_token(conn: sqlite3.Connection, token: str | None) -> tuple[Actor | None, bool]:
    """:func:`authenticate` without the write: ``(actor, last_used_at is stale)``.

    A read only (WAL readers never wait for a writer), so the backend can run it on its
    event loop and send only the rare :func:`touch_token` to a worker thread.
    """
    if not token or not token.startswith(TOKEN_PREFIX):
        return None, False
    row = conn.execute(_ACTOR_SQL + " WHERE t.token_hash = ?", (hash_token(token),)).fetchone()
    if row is None or row["token_status"] != "active" or row["claim_state"] == "revoked":
        return None, False
    last = row["last_used_at"]
    age = None if last is None else (utc_now() - parse_iso(last)).total_seconds()
    return _actor_from_row(row), age is None or age >= _LAST_USED_RESOLUTION_S


def touch_token(conn: sqlite3.Connection, token_id: str) -> None:
    """Refresh ``last_used_at`` (bookkeeping only: a busy database never fails a request)."""
    with contextlib.suppress(sqlite3.OperationalError):
        conn.execute("UPDATE tokens SET last_used_at = ? WHERE token_id = ?", (now_iso(), token_id))


def redact_contact(contact: str | None) -> str | None:
    """``agent@example.com`` → ``a***@example.com``; ``None`` (no contact) stays ``None``."""
    if contact is None:
        return None
    local, _, domain = contact.partition("@")
    return (local[:1] + "***@" + domain) if domain else "***"
