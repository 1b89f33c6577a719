"""FastAPI dependencies shared by every router of the local backend.

Typical route::

    @router.get("/v1/things", openapi_extra=command("image-skill things"))
    def things(request: Request, conn: Conn, actor: CurrentActor) -> JSONResponse:
        return envelope_response(request, {...}, actor=actor)
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar
from weakref import WeakKeyDictionary

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from image_skill.local.cli_commands import cli_base
from image_skill.local.core_data import parse_bearer
from image_skill.local.errors import COMMAND_EXTENSION, auth_required
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import Actor, Connection, Store, lookup_token, touch_token

T = TypeVar("T")
logger = logging.getLogger("image_skill.local")


def command(label: str) -> dict[str, Any]:
    """``openapi_extra`` for a route: its envelope ``command`` label."""
    return {COMMAND_EXTENSION: label}


def settings_of(request: Request) -> LocalSettings:
    settings: LocalSettings = request.app.state.settings
    return settings


async def get_settings(request: Request) -> LocalSettings:
    """The app's settings (``async``: FastAPI runs a plain ``def`` dependency in a worker
    thread, a hop that costs more than this lookup; the same holds for the ones below)."""
    return settings_of(request)


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_conn(request: Request) -> AsyncIterator[sqlite3.Connection]:
    """One SQLite connection per request, borrowed from the store's pool and given back.

    ``async`` so FastAPI runs it on the event loop instead of sending its two halves to
    the thread pool: borrowing a pooled connection does no I/O (a new one is opened only
    when the pool is empty), and the route itself (a plain ``def``) still runs in a worker
    thread.
    """
    async with borrowed_conn(request) as conn:
        yield conn


Conn = Annotated[sqlite3.Connection, Depends(get_conn)]
Settings = Annotated[LocalSettings, Depends(get_settings)]


def bearer_token(request: Request) -> str | None:
    return parse_bearer(request.headers.get("authorization"))


async def optional_actor(request: Request, conn: Conn) -> Actor | None:
    """The caller when a valid token was sent, else ``None`` (anonymous)."""
    return await caller(request, conn)


async def caller(request: Request, conn: sqlite3.Connection) -> Actor | None:
    """What :func:`optional_actor` resolves, for a route that takes no dependencies.

    The token lookup is one indexed read, run on the event loop; the ``last_used_at``
    refresh it asks for at most once a minute per token writes, and so may wait for
    another writer: that part goes to a worker thread.
    """
    settings = settings_of(request)
    if settings.fault("internal_error"):
        raise RuntimeError("injected internal_error fault")
    token = bearer_token(request)
    actor, stale = read_on_loop(request, conn, lambda db: lookup_token(db, token))
    if actor is not None and stale:
        await run_in_threadpool(touch_token, conn, actor.token_id)
    request.state.actor = actor
    return actor


async def require_actor(
    request: Request, actor: Annotated[Actor | None, Depends(optional_actor)]
) -> Actor:
    """The caller, or ``401 AUTH_REQUIRED`` (missing, unknown and revoked tokens alike)."""
    if actor is None:
        raise auth_required(cli_base_of(request))
    return actor


async def signed_in_caller(request: Request, conn: sqlite3.Connection) -> Actor:
    """What :func:`require_actor` resolves, for a route that takes no dependencies."""
    actor = await caller(request, conn)
    if actor is None:
        raise auth_required(cli_base_of(request))
    return actor


@asynccontextmanager
async def borrowed_conn(request: Request) -> AsyncIterator[sqlite3.Connection]:
    """:func:`get_conn`'s pooled connection, for a route that takes no dependencies.

    The hot routes (create and edit, whoami, quota) take only the request and do what
    their dependencies did in one call: FastAPI's dependency solving cost more per request
    than everything those dependencies do.
    """
    store = get_store(request)
    conn = store.acquire()
    try:
        yield conn
    finally:
        store.release(conn)


#: Commits made on the event loop between two checkpoints run in a worker thread.
LOOP_COMMITS_PER_CHECKPOINT = 64

#: Per store: loop commits since the last checkpoint, and whether one is running.
_checkpoints: WeakKeyDictionary[Store, list[int]] = WeakKeyDictionary()


async def on_loop_or_thread(
    request: Request,
    conn: sqlite3.Connection,
    work: Callable[[sqlite3.Connection], T],
    *,
    quick: bool,
) -> T:
    """``work(connection)`` on the event loop when it is ``quick`` and the store's write
    lock is free, else ``work(conn)`` in a worker thread.

    Quick work (a dry run: a few indexed reads and one small transaction that is not synced
    to disk) costs less than the hop to a thread, but must never make the loop wait:

    - the write lock is taken without blocking and held while the work runs, so its own
      transaction finds it free; when another request holds it (a live job's commit), the
      work goes to a thread and waits there;
    - a commit that fills the write-ahead log past SQLite's threshold would copy it back
      into the database and sync the file (5 to 30 ms, once every few dozen dry runs):
      the loop's commits skip that, and every :data:`LOOP_COMMITS_PER_CHECKPOINT` of them
      a worker thread runs the checkpoint instead (``PASSIVE``: it never blocks a writer).

    On the loop the work gets the store's loop connection (:func:`loop_conn`), set up for
    that once, instead of ``conn``, whose pragmas would have to be switched and put back
    around every request.
    """
    lock = getattr(conn, "write_lock", None)
    if not (quick and lock is not None and lock.acquire(blocking=False)):
        return await run_in_threadpool(work, conn)
    store = get_store(request)
    try:
        here = loop_conn(store)
        changes = here.total_changes
        try:
            return work(here)
        finally:
            if here.in_transaction:  # work that failed half-way leaves nothing open
                here.execute("ROLLBACK")
            if here.total_changes != changes:
                _count_loop_commit(store)
    finally:
        lock.release()


def read_on_loop(
    request: Request, conn: sqlite3.Connection, read: Callable[[sqlite3.Connection], T]
) -> T:
    """``read(connection)``, a read on the event loop, on the store's loop connection when
    the write lock is free, else on ``conn``.

    A connection's page cache is dropped whenever another connection has committed since
    its last read, so a read on a pooled connection after a dry run on the loop connection
    fetched its pages again (a token lookup took 2.5 times as long); the loop connection
    still holds the pages of its own commits.
    """
    lock = getattr(conn, "write_lock", None)
    if lock is None or not lock.acquire(blocking=False):
        return read(conn)
    try:
        return read(loop_conn(get_store(request)))
    finally:
        lock.release()


def loop_conn(store: Store) -> sqlite3.Connection:
    """The connection of ``store`` that only quick work on the event loop uses, while it
    holds the write lock (so one at a time), opened on first use.

    Its commits are not synced (``synchronous = NORMAL``; a durable transaction still
    raises it to ``FULL`` for its own commit, see :func:`.store.db.transaction`) and never
    checkpoint the log themselves (``wal_autocheckpoint = 0``: a worker thread does, see
    :func:`on_loop_or_thread`). The pooled connections keep ``FULL`` and SQLite's own
    checkpoints.
    """
    conn = store.loop_conn
    if conn is None:
        conn = store.connect()
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        if isinstance(conn, Connection):
            conn.synchronous = "NORMAL"
        store.loop_conn = conn  # closed by store.close()
    return conn


def _count_loop_commit(store: Store) -> None:
    state = _checkpoints.setdefault(store, [0, 0])
    state[0] += 1
    if state[0] >= LOOP_COMMITS_PER_CHECKPOINT and not state[1]:
        state[:] = [0, 1]
        asyncio.get_running_loop().run_in_executor(None, _checkpoint, store, state)


def _checkpoint(store: Store, state: list[int]) -> None:
    """Copy the write-ahead log back into the database (in a worker thread)."""
    try:
        conn = store.acquire()
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            store.release(conn)
    except sqlite3.Error:  # a busy or closed database: the next one (or SQLite) catches up
        logger.debug("background checkpoint failed", exc_info=True)
    finally:
        state[1] = 0


CurrentActor = Annotated[Actor, Depends(require_actor)]
MaybeActor = Annotated[Actor | None, Depends(optional_actor)]


def public_base_url(request: Request) -> str:
    """Base URL this request reached us on, without trailing slash (checkout links)."""
    return str(request.base_url).rstrip("/")


def cli_base_of(request: Request) -> str:
    """``--api-base-url`` value of the commands this request's reply hands out.

    ``local`` for the in-process transport, else the public base URL (see
    :mod:`.cli_commands`).
    """
    return cli_base(public_base_url(request))


def media_base_url(request: Request) -> str:
    """Base for owned media URLs: ``settings.media_base_url`` or the request's base."""
    configured = settings_of(request).media_base_url
    return configured.rstrip("/") if configured else public_base_url(request)
