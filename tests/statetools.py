"""Snapshots of the local backend's state, for tests that check a command changes nothing:
the row count of every table, and every file under a folder with its size and mtime."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path


def row_counts(db: Path) -> dict[str, int]:
    """Rows per table of the SQLite database ``db``."""
    with sqlite3.connect(db) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        count = 'SELECT COUNT(*) FROM "{}"'
        return {name: conn.execute(count.format(name)).fetchone()[0] for name in names}


def file_tree(root: Path, db_suffixes: Iterable[str]) -> dict[str, tuple[int, int] | None]:
    """Every file under ``root`` with its size and mtime. Databases (``db_suffixes``) map to
    None, as a checkpoint may rewrite them (compare their :func:`row_counts`), and their
    WAL/SHM/journal companions, which may come and go, are left out."""
    skip = ("-wal", "-shm", "-journal")
    databases = tuple(db_suffixes)
    return {
        str(p.relative_to(root)): None
        if p.suffix in databases
        else (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(skip)
    }
