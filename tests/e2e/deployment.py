"""A deployment of the test's own for end-to-end failure tests: a private Redis (and, when
asked, a separate broker Redis that can be restarted), clock and Celery workers on the
session's database and SMTP server, with its own offset clock."""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask

from tests.conftest import service_env
from tests.services import Process, RedisServer, start_beat, start_clock, start_worker
from web.clocks import OFFSET_KEY, current_clock
from web.extensions import QUEUES, db
from workflows.platform import outbox
from workflows.platform.clock import SystemClock
from workflows.tracking import timers


@dataclass
class Deployment:
    """A clock process and Celery workers of the test's own, on the session's database and SMTP
    server. `keys` is REDIS_URL (the offset clock, the clock's wake-ups and heartbeat); the
    broker is the same server unless the test asked for a separate one it can restart."""

    folder: Path
    app: Flask  # the test's handle: the same database, this deployment's Redis
    env: dict[str, str]
    keys: RedisServer
    broker: RedisServer
    visibility_timeout: float
    processes: list[Process] = field(default_factory=list)

    def start_worker(self, name: str, queues: str = ",".join(QUEUES)) -> Process:
        process = start_worker(self.env, self.folder / f"{name}.log", queues)
        self.processes.append(process)
        return process

    def start_clock(self) -> Process:
        process = start_clock(self.env, self.folder / "clock.log")
        self.processes.append(process)
        return process

    def start_beat(self) -> Process:
        """Beat's sweeps every SWEEP_INTERVAL, as in production (most tests run them by hand)."""
        process = start_beat(self.env, self.folder / "beat.log")
        self.processes.append(process)
        return process

    def move_time_to(self, instant: datetime) -> None:
        with redis.Redis.from_url(self.keys.url) as client:
            client.set(OFFSET_KEY, (instant - SystemClock().now()).total_seconds())

    def advance(self, delta: timedelta) -> None:
        with redis.Redis.from_url(self.keys.url) as client:
            client.incrbyfloat(OFFSET_KEY, delta.total_seconds())

    def queued(self, queue: str) -> int:
        with redis.Redis.from_url(self.broker.url) as client:
            return client.llen(queue)

    def unacked(self) -> int:
        """Deliveries a worker took and has not acknowledged (acks_late: until it finishes)."""
        with redis.Redis.from_url(self.broker.url) as client:
            return client.hlen("unacked")

    def broker_idle(self) -> bool:
        return sum(self.queued(queue) for queue in QUEUES) == 0 and self.unacked() == 0

    def unacked_delivery_expired(self) -> bool:
        """Whether the oldest unacknowledged delivery has outlived the visibility timeout, so
        that kombu puts it back in its queue at its next scan (a worker scans as it starts)."""
        with redis.Redis.from_url(self.broker.url) as client:
            oldest = client.zrange("unacked_index", 0, 0, withscores=True)
        return bool(oldest) and time.time() - oldest[0][1] > self.visibility_timeout

    def sweep(self) -> tuple[int, int]:
        """What beat's `timers.sweep` and `outbox.sweep` do: expired timer leases go back to
        pending (the clock claims them again), due outbox rows are published again after the
        commit. Returns (timers released, messages re-published)."""
        with self.app.app_context():
            clock = current_clock()
            released = timers.release_expired_leases(db.session, clock=clock)
            republished = outbox.sweep(db.session, clock=clock)
            db.session.commit()
        return released, len(republished)


@pytest.fixture
def deployment(
    make_app: Callable[..., Flask], app_config: dict[str, Any], tmp_path: Path
) -> Iterator[Callable[..., Deployment]]:
    """Builds the test's deployment (one per test); stops its processes and Redis afterwards."""
    made: list[Deployment] = []
    servers: list[RedisServer] = []

    def make(*, separate_broker: bool = False) -> Deployment:
        assert not made, "one deployment per test"
        keys = RedisServer(tmp_path / "redis").start()
        servers.append(keys)
        broker = keys
        overrides: dict[str, Any] = {
            "REDIS_URL": keys.url,
            "SQLITE_IMMEDIATE": True,
            # The limiter is one object for every app in the process: were it pointed at this
            # Redis, it would fall back to memory once the server stops and count every later
            # test's sign-ins there.
            "RATELIMIT_STORAGE_URI": app_config["REDIS_URL"],
        }
        env = service_env({**app_config, "REDIS_URL": keys.url})
        if separate_broker:
            broker = RedisServer(tmp_path / "broker").start()
            servers.append(broker)
            overrides["CELERY"] = {"broker_url": broker.url}
            env["RAPPORT_CELERY__broker_url"] = broker.url
        visibility_timeout = float(app_config["VISIBILITY_TIMEOUT"])
        app = make_app(**overrides)
        made.append(Deployment(tmp_path, app, env, keys, broker, visibility_timeout))
        return made[-1]

    try:
        yield make
    finally:
        for deployed in made:
            for process in reversed(deployed.processes):
                process.stop()
            deployed.app.extensions["celery"].close()  # its broker connections
        for server in servers:
            server.stop()
