"""/healthz against real services: a Celery worker, the clock process, Redis, the database."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import service_env
from tests.services import RedisServer, start_clock, start_worker, wait_until


def test_healthz_is_200_when_every_component_is_up(
    client: Any, worker: Any, clock_process: Any
) -> None:
    response = wait_until(lambda: _healthy(client), timeout=10)
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert set(body["checks"]) == {"database", "redis", "worker", "clock"}
    assert body["checks"]["worker"]["workers"]
    assert body["checks"]["clock"]["heartbeat_age_s"] < 5


def _healthy(client: Any) -> Any:
    response = client.get("/healthz")
    return response if response.status_code == 200 else None


@pytest.fixture
def private_stack(
    make_app: Any, app_config: dict[str, Any], tmp_path: Path
) -> Iterator[tuple[Flask, RedisServer]]:
    """An app, worker and clock on a Redis of their own, so the test may stop it."""
    redis_server = RedisServer(tmp_path / "redis").start()
    config = {**app_config, "REDIS_URL": redis_server.url}
    env = service_env(config)
    worker = start_worker(env, tmp_path / "worker.log")
    clock = start_clock(env, tmp_path / "clock.log")
    try:
        yield make_app(REDIS_URL=redis_server.url), redis_server
    finally:
        clock.stop()
        worker.stop()
        redis_server.stop()


def test_healthz_turns_503_naming_redis_when_redis_stops(private_stack: Any) -> None:
    app, redis_server = private_stack
    client = app.test_client()
    wait_until(lambda: _healthy(client), timeout=10)

    redis_server.stop()

    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "fail"
    assert "redis" in body["failing"]
    assert body["checks"]["database"]["ok"] is True
    assert "error" in body["checks"]["redis"]


def test_healthz_names_a_missing_worker_and_clock(make_app: Any, tmp_path: Path) -> None:
    redis_server = RedisServer(tmp_path / "redis").start()  # no worker or clock uses it
    try:
        client = make_app(REDIS_URL=redis_server.url).test_client()
        response = client.get("/healthz")
    finally:
        redis_server.stop()
    body = response.get_json()
    assert response.status_code == 503
    assert body["failing"] == ["worker", "clock"]
    assert body["checks"]["redis"]["ok"] is True
