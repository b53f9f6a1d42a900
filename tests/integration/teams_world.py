"""Two teams and every role, with API tokens and signed-in page clients: the world the access
tests (linking, read scoping, the permission matrix) share."""

from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from models import Role, User
from tests.conftest import login
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import profiles
from workflows.platform import accounts
from workflows.tracking import calendars, requirements, sla_policies

ALWAYS = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]
ROLES = ("agent", "agent_b", "supervisor", "admin")  # agent and supervisor lead/sit in team A


@dataclass
class World:
    app: Flask
    users: dict[str, User]
    tokens: dict[str, str]
    customer_id: int
    trashed_customer_id: int
    team_a: int
    team_b: int
    requirement_a: int  # team A, assigned to "agent"
    requirement_b: int  # team B, assigned to "agent_b"
    requirement_free: int  # no team, nobody assigned
    pages: dict[str, FlaskClient] = field(default_factory=dict)

    def api(self, who: str | None, method: str, path: str, **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}))
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        client = self.app.test_client()
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kw)

    def page(self, who: str) -> FlaskClient:
        if who not in self.pages:
            client = self.app.test_client()
            login(client, self.users[who].email)
            self.pages[who] = client
        return self.pages[who]


def build(app: Flask, make_user: Any) -> World:
    users = {
        "agent": make_user(Role.AGENT),
        "agent_b": make_user(Role.AGENT),
        "supervisor": make_user(Role.SUPERVISOR),
        "admin": make_user(Role.ADMIN),
    }
    with app.app_context():
        clock = current_clock()
        team_a = accounts.create_team(db.session, "Team A", clock=clock)
        team_b = accounts.create_team(db.session, "Team B", clock=clock)
        accounts.set_team_members(db.session, team_a, [users["agent"].id], [users["supervisor"].id])
        accounts.set_team_members(db.session, team_b, [users["agent_b"].id], [])
        calendar = calendars.create(
            db.session, {"name": "24/7", "time_zone": "UTC", "periods": ALWAYS}, clock=clock
        )
        sla_policies.create(
            db.session,
            {
                "name": "Day",
                "calendar_id": calendar.id,
                "targets": {"default": {"first_response": 86400, "resolution": 864000}},
            },
            actor=None,
            clock=clock,
        )
        customer = profiles.create_customer(
            db.session,
            {"name": "Ana Lima", "emails": "ana@example.com"},
            actor_id=None,
            clock=clock,
        )
        trashed = profiles.create_customer(
            db.session, {"name": "Old Customer"}, actor_id=None, clock=clock
        )
        profiles.delete_customer(db.session, trashed, actor_id=None, clock=clock)

        def open_one(team: Any, assignee: str | None) -> int:
            req = requirements.open_requirement(
                db.session,
                customer_id=customer.id,
                title=f"Need of {team.name if team else 'nobody'}",
                clock=clock,
                actor=None,
                team_id=team.id if team else None,
                assignee_id=users[assignee].id if assignee else None,
            )
            return req.id

        req_a = open_one(team_a, "agent")
        req_b = open_one(team_b, "agent_b")
        req_free = open_one(None, None)
        tokens = {
            who: accounts.issue_token(
                db.session, db.session.get(User, user.id), "test", clock=clock
            ).secret
            for who, user in users.items()
        }
        db.session.commit()
        return World(
            app=app,
            users=users,
            tokens=tokens,
            customer_id=customer.id,
            trashed_customer_id=trashed.id,
            team_a=team_a.id,
            team_b=team_b.id,
            requirement_a=req_a,
            requirement_b=req_b,
            requirement_free=req_free,
        )
