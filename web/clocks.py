"""The Clock the app, its tasks and the clock process use, chosen by configuration."""

from collections.abc import Mapping
from typing import Any

import redis
from flask import current_app

from workflows.platform.clock import Clock, OffsetClock, SystemClock

OFFSET_KEY = "rapport:test:clock-offset"


def clock_from_config(config: Mapping[str, Any]) -> Clock:
    """`SystemClock`, or an `OffsetClock` sharing its offset through Redis (tests only)."""
    if config.get("CLOCK") == "offset":
        client = redis.Redis.from_url(config["REDIS_URL"])

        def read_offset() -> float:
            value = client.get(OFFSET_KEY)
            return float(value) if value else 0.0

        return OffsetClock(read_offset)
    return SystemClock()


def current_clock() -> Clock:
    """The clock of the current app (built once in `create_app`)."""
    return current_app.extensions["clock"]
