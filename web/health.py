"""Component checks behind /healthz: database, Redis, a live worker, the clock's heartbeat."""

import time
from typing import Any

import redis
from flask import current_app
from sqlalchemy import text

from web.clocks import current_clock
from web.extensions import db

HEARTBEAT_KEY = "rapport:clock:heartbeat"
PROBE_TIMEOUT = 1.0


def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as exc:  # a health check reports every failure, whatever its kind
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _database() -> dict[str, Any]:
    db.session.execute(text("SELECT 1"))
    db.session.rollback()
    return {"ok": True, "dialect": db.engine.dialect.name}


def _redis_client() -> redis.Redis:
    return redis.Redis.from_url(
        current_app.config["REDIS_URL"],
        socket_timeout=PROBE_TIMEOUT,
        socket_connect_timeout=PROBE_TIMEOUT,
    )


def _redis() -> dict[str, Any]:
    _redis_client().ping()
    return {"ok": True}


def _worker() -> dict[str, Any]:
    celery_app = current_app.extensions["celery"]
    with celery_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=PROBE_TIMEOUT)
        # limit=1: return at the first answer instead of always waiting out the timeout.
        replies = celery_app.control.ping(timeout=PROBE_TIMEOUT, connection=connection, limit=1)
    names = sorted(name for reply in replies for name in reply)
    if not names:
        return {"ok": False, "error": "no worker answered a ping", "workers": []}
    return {"ok": True, "workers": names}


def _clock() -> dict[str, Any]:
    value = _redis_client().get(HEARTBEAT_KEY)
    if value is None:
        return {"ok": False, "error": "the clock process has never written a heartbeat"}
    age = current_clock().now().timestamp() - float(value)
    stale_after = float(current_app.config["CLOCK_STALE_AFTER"])
    result: dict[str, Any] = {"ok": age <= stale_after, "heartbeat_age_s": round(age, 2)}
    if not result["ok"]:
        result["error"] = f"last heartbeat {age:.0f} s ago (limit {stale_after:.0f} s)"
    return result


CHECKS = {"database": _database, "redis": _redis, "worker": _worker, "clock": _clock}


def run_checks() -> tuple[bool, dict[str, Any]]:
    results = {name: _timed(check) for name, check in CHECKS.items()}
    failing = [name for name, result in results.items() if not result["ok"]]
    body = {"status": "fail" if failing else "ok", "failing": failing, "checks": results}
    return not failing, body
