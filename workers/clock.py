"""The clock process: `python -m workers.clock`.

It loops at least every CLOCK_INTERVAL seconds, woken early through a Redis list when a
nearer timer is written, and writes a heartbeat that /healthz reads. Timer claiming joins
this loop with requirement tracking (DESIGN.md §5).
"""

import logging
import signal
import time
from types import FrameType

import redis
from flask import Flask

from web import create_app
from web.clocks import current_clock
from web.health import HEARTBEAT_KEY

WAKE_KEY = "rapport:clock:wake"
HEARTBEAT_TTL_SECONDS = 3600

log = logging.getLogger("rapport.clock")


class ClockProcess:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.interval = float(app.config["CLOCK_INTERVAL"])
        self.redis = redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=self.interval + 5)
        self.stopping = False

    def stop(self, signum: int, _frame: FrameType | None) -> None:
        log.info("clock: signal %s, stopping", signum)
        self.stopping = True

    def tick(self) -> None:
        self.redis.set(HEARTBEAT_KEY, current_clock().now().timestamp(), ex=HEARTBEAT_TTL_SECONDS)

    def wait(self) -> None:
        """Sleep until the next tick or an early wake-up."""
        self.redis.blpop([WAKE_KEY], timeout=self.interval)

    def run(self) -> None:
        log.info("clock: running, interval %.2f s", self.interval)
        with self.app.app_context():
            while not self.stopping:
                try:
                    self.tick()
                    self.wait()
                except redis.RedisError as exc:
                    log.warning("clock: Redis unavailable (%s); retrying", exc)
                    time.sleep(self.interval)
        log.info("clock: stopped")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    process = ClockProcess(create_app())
    signal.signal(signal.SIGTERM, process.stop)
    signal.signal(signal.SIGINT, process.stop)
    process.run()


if __name__ == "__main__":
    main()
