"""The clock process: `python -m workers.clock`.

Each loop writes a heartbeat (read by /healthz), claims due timers in batches, commits, and
publishes `timers.fire_batch` tasks. It then sleeps until the next due time (at most
CLOCK_INTERVAL, at least MIN_GAP), woken early through a Redis list when a transaction
writes timers (DESIGN.md §5).
"""

import logging
import signal
import time
from types import FrameType
from typing import Any

import kombu.exceptions
import redis
from flask import Flask

from web import create_app
from web.clocks import current_clock
from web.extensions import db
from web.health import HEARTBEAT_KEY
from web.publishing import CLOCK_WAKE_KEY
from workflows.outreach import due_steps
from workflows.tracking import timers

HEARTBEAT_TTL_SECONDS = 3600
# Claim only while the workers keep up: with this many batches still queued, wait. Claims far
# ahead of the workers would outlive their lease in a long burst and be handed out again.
MAX_QUEUED_BATCHES = 5
TIMERS_QUEUE = "timers"
BROKER_ERRORS = (redis.RedisError, kombu.exceptions.OperationalError)
# A short pause between claims: ~30 ms of lateness buys several times less clock CPU under load.
MIN_GAP = 0.02

log = logging.getLogger("rapport.clock")


class ClockProcess:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.interval = float(app.config["CLOCK_INTERVAL"])
        self.redis = redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=self.interval + 5)
        broker_url = app.config["CELERY"].get("broker_url") or app.config["REDIS_URL"]
        self.broker = redis.Redis.from_url(broker_url, socket_timeout=5)
        self.celery = app.extensions["celery"]
        self.stopping = False

    def stop(self, signum: int, _frame: FrameType | None) -> None:
        log.info("clock: signal %s, stopping", signum)
        self.stopping = True

    def heartbeat(self) -> None:
        self.redis.set(HEARTBEAT_KEY, current_clock().now().timestamp(), ex=HEARTBEAT_TTL_SECONDS)

    def claim_and_publish(self) -> int:
        """One claim: commit the leases first, then publish (a lost publish only delays). When
        the broker refuses, the unpublished claims are given back at once."""
        ids = timers.claim_due(db.session, clock=current_clock())
        db.session.commit()
        self.publish(timers.FIRE_TASK, timers.chunks(ids), timers.release_unpublished)
        # Outreach steps are due rows of their own table, claimed and fired the same way.
        steps = due_steps.claim_due(db.session, clock=current_clock())
        db.session.commit()
        self.publish(due_steps.FIRE_TASK, due_steps.chunks(steps), due_steps.release_unpublished)
        return max(len(ids), len(steps))

    def publish(self, task: str, chunks: list[list[int]], release: Any) -> None:
        for index, chunk in enumerate(chunks):
            try:
                self.celery.send_task(task, args=[chunk])
            except BROKER_ERRORS:
                unpublished = [i for rest in chunks[index:] for i in rest]
                release(db.session, unpublished)
                db.session.commit()
                raise

    def seconds_until_next(self) -> float:
        candidates = [timers.next_due_at(db.session), due_steps.next_due_at(db.session)]
        db.session.rollback()
        due = min((d for d in candidates if d is not None), default=None)
        if due is None:
            return self.interval
        wait = (due - current_clock().now()).total_seconds()
        return min(max(wait, MIN_GAP), self.interval)

    def wait(self, seconds: float) -> None:
        """Sleep `seconds`, or less when a transaction that wrote timers wakes us."""
        if self.redis.blpop([CLOCK_WAKE_KEY], timeout=seconds):
            self.redis.delete(CLOCK_WAKE_KEY)  # one wake-up covers every earlier commit

    def run(self) -> None:
        log.info("clock: running, interval %.2f s", self.interval)
        with self.app.app_context():
            while not self.stopping:
                try:
                    self.heartbeat()
                    if self.broker.llen(TIMERS_QUEUE) >= MAX_QUEUED_BATCHES:
                        time.sleep(MIN_GAP)  # the workers are behind: let them catch up
                        continue
                    claimed = self.claim_and_publish()
                    if claimed >= timers.CLAIM_LIMIT:
                        time.sleep(MIN_GAP)  # more are due: claim again right away
                        continue
                    self.wait(self.seconds_until_next())
                except BROKER_ERRORS as exc:
                    log.warning("clock: Redis or the broker unavailable (%s); retrying", exc)
                    db.session.rollback()
                    time.sleep(self.interval)
                except Exception:  # the database may be briefly away; never die silently
                    log.exception("clock: loop failed; retrying")
                    db.session.rollback()
                    time.sleep(self.interval)
                finally:
                    db.session.remove()
        log.info("clock: stopped")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    process = ClockProcess(create_app({"SQLITE_IMMEDIATE": True}))
    signal.signal(signal.SIGTERM, process.stop)
    signal.signal(signal.SIGINT, process.stop)
    process.run()


if __name__ == "__main__":
    main()
