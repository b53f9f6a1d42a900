"""Acceptance: after the demo data, the support report's backlog (open requirements at the end
of today, per state) equals what the "All open" queue lists for the same filter — per state
(following the page's "open now" links) and in total, for an admin and for a team's supervisor
(both under the same read policy); its counts of requirements created in the range (in total,
per agent, per team) link to queue pages that list exactly as many; and its SLA counts (clocks
met, breached and in progress, breaches per rung) equal what the requirements API lists for
the same filter."""

import re
from collections import Counter
from datetime import date, datetime, time, timedelta
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit
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
        html = client.get("/requirements", query_string={"queue": "all", **args, "page": page})
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
            # The page's "open now" links: each state's count, listed by the queue.
            page = client.get("/reports/support", query_string=chosen).get_data(as_text=True)
            links = re.findall(
                r'<a href="([^"]+)" data-drilldown="backlog" data-state="(\w+)">(\d+)</a>', page
            )
            assert {state: int(n) for _, state, n in links} == {
                state: count for state, count in at_end.items() if count
            }, chosen
            for url, state, n in links:
                assert _queue_total(client, unescape(url)) == int(n), (chosen, state)
    assert compared > 0  # the demo left open work to compare


def _drilldowns(client: FlaskClient, chosen: dict[str, Any]) -> dict[str, list[tuple[str, int]]]:
    """The support page's links from its created counts: (queue URL, the count shown), for the
    total and each row of the per-agent and per-team tables."""
    html = client.get("/reports/support", query_string=chosen).get_data(as_text=True)
    found = {"total": re.findall(r'<a href="([^"]+)" id="created-total"[^>]*>(\d+)</a>', html)}
    for side in ("agents", "teams"):
        found[side] = re.findall(rf'<a href="([^"]+)" data-drilldown="{side}">(\d+)</a>', html)
    return {key: [(unescape(url), int(n)) for url, n in links] for key, links in found.items()}


def _queue_total(client: FlaskClient, url: str) -> int:
    """The total the queue page shows for the link's filters (all its pages)."""
    page = client.get(url)
    assert page.status_code == 200, url
    shown = re.search(r'id="queue-total" data-total="(\d+)"', page.get_data(as_text=True))
    assert shown, url
    return int(shown.group(1))


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


def test_support_report_counts_agree_with_the_queues_and_the_api(app: Flask, make_user: Any):
    """For each filter: each count of requirements created in the range (in total, per agent,
    per team) on the report page links to the queue page listing exactly as many; the SLA
    clocks per metric (met, breached, in progress) and the breaches per rung the report counts
    are those of the requirements the API lists as created in the range, and the backlog at the
    end of today is what it lists as open now, per state."""
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
    pages = app.test_client()
    login(pages, admin.email)
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
        links = _drilldowns(pages, chosen)
        assert [count for _, count in links["total"]] == [report["requirements"]], chosen
        [(total_url, _)] = links["total"]
        assert _listed(pages, dict(parse_qs(urlsplit(total_url).query))) == len(created), chosen
        for side, arg in (("agents", "assignee"), ("teams", "team")):
            shown = {
                str(ident) if ident is not None else "none": count
                for ident, _, count, *_ in report[side]["rows"]
                if ident is not None or side == "agents"  # no queue filter for "no team"
            }
            linked = {parse_qs(urlsplit(url).query)[arg][0]: count for url, count in links[side]}
            assert linked == shown, (chosen, side)
            for url, count in links[side]:
                assert _queue_total(pages, url) == count, (chosen, side, url)
                compared["drilldowns"] += 1

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
    assert all(compared[k] > 0 for k in ("created", "breached", "open", "drilldowns")), compared
