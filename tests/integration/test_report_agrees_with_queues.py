"""Acceptance: after the demo data, the support report's backlog (open requirements at the end
of today, per state) equals what the "All open" queue lists for the same filter — per state
and in total, for an admin and for a team's supervisor (both under the same read policy)."""

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Role, Team
from tests.conftest import login
from web.extensions import db
from workflows.platform import accounts

# The report's filter name and the queue page's, where they differ.
QUEUE_ARG = {"team_id": "team", "assignee_id": "assignee"}


def _listed(client: FlaskClient, args: dict[str, Any]) -> int:
    """Rows of the "All open" queue over all its pages."""
    count, page = 0, 1
    while True:
        html = client.get("/requirements", query_string={**args, "queue": "all", "page": page})
        assert html.status_code == 200
        text = html.get_data(as_text=True)
        count += len(re.findall(r'<tr data-id="\d+"', text))
        if 'id="next-page"' not in text:
            return count
        page += 1


def test_support_report_backlog_agrees_with_the_queue_pages(app: Flask, make_user: Any):
    loaded = app.test_cli_runner().invoke(args=["demo", "load", "--history-days", "5"])
    assert loaded.exit_code == 0, loaded.output
    admin = make_user(Role.ADMIN)
    supervisor = make_user(Role.SUPERVISOR)
    with app.app_context():
        europe = db.session.scalar(select(Team).where(Team.name == "Support — Europe"))
        members = {m.user_id for m in europe.memberships}
        leads = {m.user_id for m in europe.memberships if m.is_supervisor}
        accounts.set_team_members(
            db.session, europe, members | {supervisor.id}, leads | {supervisor.id}
        )
        agent = accounts.find_user_by_email(db.session, "jonas.becker@example.com")
        filters = [
            {},
            {"workflow": "support"},
            {"priority": "high"},
            {"team_id": europe.id},
            {"assignee_id": agent.id},
        ]
        db.session.commit()
    compared = 0
    for user in (admin, supervisor):
        client = app.test_client()
        login(client, user.email)
        for chosen in filters:
            report = client.get("/reports/support/data", query_string=chosen).get_json()
            backlog = report["backlog"]
            at_end = dict(zip(backlog["columns"][1:], backlog["rows"][-1][1:], strict=True))
            queue_args = {QUEUE_ARG.get(k, k): v for k, v in chosen.items()}
            for state, count in at_end.items():
                assert _listed(client, {**queue_args, "state": state}) == count, (chosen, state)
                compared += count
            assert _listed(client, queue_args) == sum(at_end.values()), chosen
    assert compared > 0  # the demo left open work to compare
