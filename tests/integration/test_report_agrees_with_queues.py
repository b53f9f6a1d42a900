"""Acceptance: after the demo data, the support report's backlog (open requirements at the end
of today, per state) equals what the "All open" queue lists for the same filter — per state
and in total, for an admin and for a team's supervisor (both under the same read policy); and
its other counts (created in the range, per agent and team, SLA clocks met, breached and in
progress, breaches per rung) equal what the requirements API lists for the same filter."""

import re
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Role, Team, User
from tests.conftest import login
from web.clocks import current_clock
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


def _api_listed(client: FlaskClient, bearer: dict[str, str], args: dict[str, Any]) -> list[dict]:
    """Every requirement the API lists for `args` (team_id, assignee_id), over all its pages."""
    found: list[dict] = []
    while True:
        cursor = {"before_id": found[-1]["id"]} if found else {}
        page = client.get(
            "/api/v1/requirements",
            query_string={**args, **cursor, "limit": 100},
            headers=bearer,
        )
        assert page.status_code == 200, page.json
        found += page.json
        if len(page.json) < 100:
            return found


def _matches(item: dict[str, Any], chosen: dict[str, Any]) -> bool:
    """The report's filters the API list does not take, applied to its items."""
    return all(item[field] == value for field, value in chosen.items() if field in LOCAL)


LOCAL = ("priority", "workflow", "category")  # filtered here; team and assignee by the API


def _clock_outcome(clock: dict[str, Any]) -> str | None:
    """A clock as the report counts it: cancelled nowhere, breached (met late or still
    overdue), met in time, or still in progress."""
    if clock["status"] == "cancelled":
        return None
    if clock["breached_at"]:
        return "breached"
    return "met" if clock["status"] == "met" else "in_progress"


def test_support_report_counts_agree_with_the_requirements_api(app: Flask, make_user: Any):
    """For each filter: the requirements created in the range (in total, per agent, per team),
    their SLA clocks per metric (met, breached, in progress) and the breaches per rung the
    report counts are the ones the requirements API lists, and the backlog at the end of today
    is what it lists as open now, per state."""
    loaded = app.test_cli_runner().invoke(args=["demo", "load", "--history-days", "5"])
    assert loaded.exit_code == 0, loaded.output
    admin = make_user(Role.ADMIN)
    with app.app_context():
        europe = db.session.scalar(select(Team).where(Team.name == "Support — Europe"))
        agent = accounts.find_user_by_email(db.session, "jonas.becker@example.com")
        secret = accounts.issue_token(
            db.session, db.session.get(User, admin.id), "agreement", clock=current_clock()
        ).secret
        db.session.commit()
        filters = [
            {},
            {"workflow": "support"},
            {"priority": "high"},
            {"category": "billing"},
            {"team_id": europe.id},
            {"assignee_id": agent.id, "workflow": "support"},
        ]
    bearer = {"Authorization": f"Bearer {secret}"}
    client = app.test_client()
    compared = Counter()
    for chosen in filters:
        report = client.get(
            "/api/v1/reports/support", query_string=chosen, headers=bearer
        ).get_json()
        zone = ZoneInfo(report["range"]["time_zone"])
        start = datetime.combine(date.fromisoformat(report["range"]["start"]), time(), zone)
        end = datetime.combine(
            date.fromisoformat(report["range"]["end"]) + timedelta(days=1), time(), zone
        )
        api_args = {k: v for k, v in chosen.items() if k not in LOCAL}
        listed = [item for item in _api_listed(client, bearer, api_args) if _matches(item, chosen)]
        created = [
            item for item in listed if start <= datetime.fromisoformat(item["created_at"]) < end
        ]
        assert report["requirements"] == len(created), chosen
        for side, key in (("agents", "assignee_id"), ("teams", "team_id")):
            per = Counter(item[key] for item in created)
            shown = {row[0]: row[2] for row in report[side]["rows"]}
            assert shown == dict(per), (chosen, side)

        outcomes: Counter = Counter()
        rungs: Counter = Counter()
        for item in created:
            for clock in item["sla"]:
                outcomes[(clock["metric"], _clock_outcome(clock))] += 1
                if clock["breached_at"]:
                    rungs[clock["rung"]] += 1
        for metric, met, breached, in_progress, _ in report["compliance"]["rows"]:
            assert [met, breached, in_progress] == [
                outcomes[(metric, "met")],
                outcomes[(metric, "breached")],
                outcomes[(metric, "in_progress")],
            ], (chosen, metric)
        assert dict(report["breaches_by_rung"]["rows"]) == dict(rungs), chosen

        backlog = report["backlog"]
        at_end = dict(zip(backlog["columns"][1:], backlog["rows"][-1][1:], strict=True))
        open_now = Counter(item["state"] for item in listed if item["state"] in at_end)
        assert at_end == {state: open_now[state] for state in at_end}, chosen
        compared.update(
            created=len(created), breached=sum(rungs.values()), open=sum(open_now.values())
        )
    # The demo history leaves something of each to compare.
    assert all(compared[k] > 0 for k in ("created", "breached", "open")), compared
