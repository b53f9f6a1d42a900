"""Per-connection database settings, and how SQLite transactions begin."""

import sqlite3
from typing import Any

from flask import current_app, has_app_context, has_request_context, request
from sqlalchemy import Connection, Engine, event

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Execution option for a connection that only reads, even in a process that sets
# SQLITE_IMMEDIATE: its transaction begins deferred and takes no write lock, e.g. a dry run's
# checks (`db.session.connection(execution_options=READ_ONLY)` before the first query).
READ_ONLY = {"rapport_read_only": True}


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the single writer; the busy timeout makes writers queue
    # instead of failing with "database is locked" (DESIGN.md §5).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _on_begin(connection: Connection) -> None:
    """Writers take SQLite's write lock when they begin, and so wait their turn (busy timeout).

    A deferred transaction that reads first and writes later cannot wait: if another process
    committed in between, SQLite refuses the upgrade at once with "database is locked". So
    form posts and API writes, and every transaction of the worker and clock processes (which
    set SQLITE_IMMEDIATE), begin IMMEDIATE. Elsewhere (page views, the CLI, tests) the driver
    keeps its default: reads run outside a transaction and it begins one before the first write.
    """
    if connection.dialect.name != "sqlite":
        return
    if connection.get_execution_options().get("rapport_read_only"):
        immediate = False
    elif has_request_context():
        immediate = request.method not in READ_ONLY_METHODS
    else:
        immediate = has_app_context() and bool(current_app.config.get("SQLITE_IMMEDIATE"))
    if immediate:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def install() -> None:
    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "connect", _on_connect)
    if not event.contains(Engine, "begin", _on_begin):
        event.listen(Engine, "begin", _on_begin)
