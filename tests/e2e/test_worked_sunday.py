"""End to end on China's calendar: the deployment's clock is set to the adjusted working Sunday
2025-01-26 (调休) just before opening time, a requirement opens with a 5-second first-response
target, and the real clock process and worker fire its breach that Sunday morning, not on
Monday: the SMTP server receives the breach notice once."""

import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import redis
from flask import Flask
from sqlalchemy import select

from models import Role, Timer, TimerStatus, User
from tests.e2e.deployment import Deployment
from tests.services import wait_until
from web.clocks import OFFSET_KEY
from web.extensions import db
from workflows.platform import accounts
from workflows.platform.clock import SystemClock

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = [
    {"weekday": d, "start": start, "end": end}
    for d in range(5)
    for start, end in (("09:00", "12:00"), ("13:30", "18:00"))
]


def test_a_breach_due_on_the_worked_sunday_fires_that_sunday(
    app: Flask, make_user: Any, deployment: Callable[..., Deployment], mailbox: Any
) -> None:
    deployed = deployment()

    def move_time_to(instant: datetime) -> None:
        """The deployment's clock, and the session's (a clock process other tests started runs
        on the same database: on today's date it would fire this 2025 timer as long overdue)."""
        deployed.move_time_to(instant)
        offset = (instant - SystemClock().now()).total_seconds()
        redis.Redis.from_url(app.config["REDIS_URL"]).set(OFFSET_KEY, offset)

    move_time_to(datetime(2025, 1, 26, 8, 0, tzinfo=SHANGHAI).astimezone(UTC))
    admin = make_user(Role.ADMIN, email="admin@example.cn")
    agent = make_user(Role.AGENT, email="agent@example.cn")
    client = deployed.app.test_client()
    with deployed.app.app_context():
        token = accounts.issue_token(
            db.session, db.session.get(User, admin.id), "t", clock=SystemClock()
        ).secret
        db.session.commit()

    def call(method: str, path: str, status: int, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        response = client.open(f"/api/v1{path}", method=method, headers=headers, **kw)
        assert response.status_code == status, response.get_json()
        return response.get_json()

    deployed.start_worker("only")
    deployed.start_clock()
    body = {"name": "中国", "time_zone": "Asia/Shanghai", "periods": OFFICE}
    calendar = call("POST", "/calendars", 201, json=body)
    imported = call(
        "POST",
        f"/calendars/{calendar['id']}/holidays/import",
        200,
        json={"country": "CN", "years": [2025]},
    )
    assert "2025-01-26" in {w["date"] for w in imported["calendar"]["working_days"]}
    policy = {
        "name": "五秒",
        "calendar_id": calendar["id"],
        "targets": {"default": {"first_response": 5}},
        "ladder": [{"at": "breach", "recipients": ["assignee"]}],
    }
    call("POST", "/sla-policies", 201, json=policy)
    customer = call("POST", "/customers", 201, json={"name": "张伟", "emails": ["zw@example.cn"]})
    # Sunday 2025-01-26 08:59:57 in Shanghai, set just before the requirement opens (the set-up
    # above can take seconds on a loaded machine): the calendar opens at 09:00 because the Sunday
    # is worked; without it the 5 seconds would run on Monday 27th from 09:00.
    move_time_to(datetime(2025, 1, 26, 8, 59, 57, tzinfo=SHANGHAI).astimezone(UTC))
    requirement = call(
        "POST",
        "/requirements",
        201,
        json={"customer_id": customer["id"], "title": "退款", "assignee_id": agent.id},
    )
    [first] = [c for c in requirement["sla"] if c["metric"] == "first_response"]
    due = datetime.fromisoformat(first["due_at"]).astimezone(SHANGHAI)
    assert (due.date().isoformat(), due.hour, due.minute) == ("2025-01-26", 9, 0)

    wait_until(lambda: any("Breached" in m["Subject"] for m in mailbox.received()), timeout=30)
    time.sleep(1.5)  # anything sent twice would arrive by now
    breaches = [m for m in mailbox.received() if "Breached" in m["Subject"]]
    assert len(breaches) == 1 and breaches[0]["To"] == "agent@example.cn"
    assert set(Counter(m["Message-ID"] for m in mailbox.received()).values()) == {1}
    with deployed.app.app_context():
        fired = db.session.scalars(
            select(Timer).where(
                Timer.requirement_id == requirement["id"],
                Timer.kind == "first_response:breach",
                Timer.status == TimerStatus.FIRED,
            )
        ).one()
        fired_local = fired.fired_at.astimezone(SHANGHAI)
    assert fired_local.date().isoformat() == "2025-01-26"  # the worked Sunday itself
    assert fired_local - due < timedelta(seconds=30)
