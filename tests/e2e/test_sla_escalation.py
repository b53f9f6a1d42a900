"""The issue's acceptance path, end to end, through the API alone: a 24/7 calendar, a policy
with a 5-second first-response target, a warning at 60 % and a two-rung ladder, a customer and a
requirement. The real clock process claims each timer when due, a real worker fires it and the
outbox sends it; the SMTP server receives the warning, the breach and both rung emails once
each; the supervisor sees the breach in the escalation queue and acknowledges it."""

import time
from collections import Counter
from datetime import datetime
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from models import Role, User
from tests.services import wait_until
from web.clocks import OFFSET_KEY
from web.extensions import db
from workflows import accounts

ALWAYS = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]


@pytest.fixture
def api(app: Flask, client: FlaskClient, make_user: Any) -> dict[str, Any]:
    admin = make_user(Role.ADMIN, email="admin@example.com")
    agent = make_user(Role.AGENT, email="agent@example.com")
    supervisor = make_user(Role.SUPERVISOR, email="lead@example.com")
    with app.app_context():
        from web.clocks import current_clock

        clock = current_clock()
        tokens = {
            user.id: accounts.issue_token(
                db.session, db.session.get(User, user.id), "t", clock=clock
            ).secret
            for user in (admin, agent, supervisor)
        }
        db.session.commit()

    def call(method: str, path: str, user: Any = admin, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {tokens[user.id]}", **kw.pop("headers", {})}
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kw)

    return {"call": call, "admin": admin, "agent": agent, "supervisor": supervisor}


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def _set_up(api: dict[str, Any], target: int = 5) -> dict[str, Any]:
    call = api["call"]
    calendar = _ok(
        call("POST", "/calendars", json={"name": "Always", "time_zone": "UTC", "periods": ALWAYS}),
        201,
    )
    team = None
    _ok(
        call(
            "POST",
            "/sla-policies",
            json={
                "name": "Seconds",
                "calendar_id": calendar["id"],
                "targets": {"default": {"first_response": target}},
                "warning_percent": 60,
                "ladder": [
                    {"at": "breach", "recipients": ["assignee"]},
                    {
                        "at": "after_breach",
                        "seconds": 2,
                        "recipients": [f"user:{api['supervisor'].id}"],
                    },
                ],
            },
        ),
        201,
    )
    customer = _ok(
        call("POST", "/customers", json={"name": "Ana Lima", "emails": ["ana@example.com"]}), 201
    )
    requirement = _ok(
        call(
            "POST",
            "/requirements",
            json={
                "customer_id": customer["id"],
                "title": "Invoice missing",
                "assignee_id": api["agent"].id,
                "team_id": team,
            },
        ),
        201,
    )
    return requirement


def _offset(app: Flask) -> float:
    value = redis.Redis.from_url(app.config["REDIS_URL"]).get(OFFSET_KEY)
    return float(value or 0)


def test_warning_breach_and_two_rungs_arrive_once_each_and_the_supervisor_acknowledges(
    app: Flask, api: dict[str, Any], worker: Any, clock_process: Any, mailbox: Any
) -> None:
    requirement = _set_up(api)
    [first] = [c for c in requirement["sla"] if c["metric"] == "first_response"]
    due = datetime.fromisoformat(first["due_at"])

    wait_until(lambda: len(mailbox.received()) >= 4, timeout=30)
    time.sleep(1.5)  # anything sent twice would arrive by now
    arrivals = mailbox.arrivals()
    subjects = [m["Subject"].split(":")[0] for _, m in arrivals]
    assert sorted(subjects) == ["At risk", "Breached", "Escalation 1", "Escalation 2"]
    ids = Counter(m["Message-ID"] for _, m in arrivals)
    assert all(count == 1 for count in ids.values()) and len(ids) == 4
    recipients = {m["Subject"].split(":")[0]: m["To"] for _, m in arrivals}
    assert recipients["Escalation 2"] == "lead@example.com"
    assert recipients["Breached"] == "agent@example.com"

    offset = _offset(app)
    expected = {"At risk": 3, "Breached": 5, "Escalation 1": 5, "Escalation 2": 7}
    for arrived, message in arrivals:
        kind = message["Subject"].split(":")[0]
        lateness = arrived + offset - (due.timestamp() - 5 + expected[kind])
        print(f"{kind}: arrived {lateness:.3f} s after it was due")  # figures, not assertions

    queue = _ok(api["call"]("GET", "/escalations", user=api["supervisor"]))
    assert queue["counts"] == {"at_risk": 0, "breached": 1}
    [item] = queue["items"]
    assert (item["requirement_id"], item["level"], item["rung"]) == (
        requirement["id"],
        "breached",
        2,
    )
    acked = _ok(api["call"]("POST", f"/escalations/{item['id']}/ack", user=api["supervisor"]))
    assert acked["acknowledged"] is True
    # The agent may not see the queue; an unknown clock is 404.
    assert api["call"]("GET", "/escalations", user=api["agent"]).status_code == 403
    assert api["call"]("POST", "/escalations/999999/ack", user=api["supervisor"]).status_code == 404
    events = _ok(api["call"]("GET", f"/requirements/{requirement['id']}/events"))
    assert [e["trigger"] for e in events].count("sla_escalation") == 2
    assert events[-1]["trigger"] == "sla_acknowledged"


def test_answering_before_the_warning_sends_nothing(
    app: Flask, api: dict[str, Any], worker: Any, clock_process: Any, mailbox: Any
) -> None:
    requirement = _set_up(api, target=4)
    response = api["call"](
        "POST",
        f"/customers/{requirement['customer_id']}/communications",
        user=api["agent"],
        json={
            "channel": "email",
            "direction": "outbound",
            "body": "We are on it",
            "requirement_id": requirement["id"],
        },
    )
    assert response.status_code == 201, response.get_json()
    time.sleep(6)  # past the warning, the breach and the first rung
    assert mailbox.received() == []
    body = _ok(api["call"]("GET", f"/requirements/{requirement['id']}"))
    [first] = body["sla"]
    assert first["status"] == "met"
