"""One read policy for requirements (`workflows.tracking.visibility`): agents and supervisors
read their teams', the teamless and their own; admins all; "everyone sees everything" for
small shops. Pages, API list and detail, the customer page, the timeline and the escalation
queue all apply it; agents get 404 for trashed customers over the API as on the pages."""

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from models import Metric, Role, SlaClock
from tests.integration.teams_world import World, build
from web.clocks import current_clock
from web.extensions import db
from workflows.platform import accounts


@pytest.fixture
def world(app: Flask, make_user: Any) -> World:
    return build(app, make_user)


def _listed(world: World, who: str) -> set[int]:
    response = world.api(who, "GET", "/requirements?limit=100")
    assert response.status_code == 200
    return {r["id"] for r in response.get_json()}


@pytest.mark.parametrize(
    ("who", "sees_b"), [("agent", False), ("supervisor", False), ("agent_b", True), ("admin", True)]
)
def test_api_list_and_detail_follow_the_policy(world: World, who: str, sees_b: bool) -> None:
    listed = _listed(world, who)
    assert world.requirement_free in listed
    assert (world.requirement_b in listed) is sees_b
    detail = world.api(who, "GET", f"/requirements/{world.requirement_b}")
    events = world.api(who, "GET", f"/requirements/{world.requirement_b}/events")
    assert detail.status_code == events.status_code == (200 if sees_b else 404)


def test_pages_hide_other_teams_requirements(world: World) -> None:
    page = world.page("agent")
    assert page.get(f"/requirements/{world.requirement_b}").status_code == 404
    assert page.get(f"/requirements/{world.requirement_a}").status_code == 200
    customer = page.get(f"/customers/{world.customer_id}").get_data(as_text=True)
    assert "Need of Team A" in customer and "Need of Team B" not in customer
    admin = world.page("admin").get(f"/customers/{world.customer_id}").get_data(as_text=True)
    assert "Need of Team B" in admin


def test_timeline_leaves_out_other_teams_requirement_events(world: World) -> None:
    path = f"/customers/{world.customer_id}/timeline?kind=requirement"
    seen = {}
    for who in ("agent", "admin"):
        items = world.api(who, "GET", path).get_json()["items"]
        seen[who] = {i["record"]["requirement_id"] for i in items}
    assert world.requirement_b in seen["admin"]
    assert world.requirement_b not in seen["agent"] and world.requirement_a in seen["agent"]


def test_escalation_queue_shows_only_readable_requirements(world: World, make_user: Any) -> None:
    loner = make_user(Role.SUPERVISOR)  # leads no team: used to see every team's escalations
    with world.app.app_context():
        clock = current_clock()
        for row in db.session.scalars(
            select(SlaClock).where(SlaClock.metric == Metric.FIRST_RESPONSE)
        ):
            row.breached_at = clock.now() - timedelta(minutes=1)
        token = accounts.issue_token(db.session, db.session.merge(loner), "t", clock=clock).secret
        db.session.commit()
    world.tokens["loner"] = token
    items = world.api("loner", "GET", "/escalations").get_json()["items"]
    assert {i["requirement_id"] for i in items} == {world.requirement_free}
    everything = world.api("admin", "GET", "/escalations").get_json()["items"]
    assert {i["requirement_id"] for i in everything} == {
        world.requirement_a,
        world.requirement_b,
        world.requirement_free,
    }


def test_everyone_sees_everything_setting(world: World, make_app: Any) -> None:
    shop = make_app(REQUIREMENTS_VISIBLE_TO_ALL=True)
    client = shop.test_client()
    headers = {"Authorization": f"Bearer {world.tokens['agent']}"}
    response = client.get(f"/api/v1/requirements/{world.requirement_b}", headers=headers)
    assert response.status_code == 200


def test_agents_get_404_for_trashed_customers_over_the_api(world: World) -> None:
    trashed = world.trashed_customer_id
    for path in (
        f"/customers/{trashed}",
        f"/customers/{trashed}/timeline",
        f"/customers/{trashed}/communications",
        f"/customers/{trashed}/transactions",
    ):
        assert world.api("agent", "GET", path).status_code == 404, path
        assert world.api("supervisor", "GET", path).status_code == 200, path
    assert world.page("agent").get(f"/customers/{trashed}").status_code == 404


def test_an_agent_cannot_merge_into_another_teams_requirement_over_the_api(world: World) -> None:
    response = world.api(
        "agent",
        "POST",
        f"/requirements/{world.requirement_a}/transitions",
        json={"trigger": "merge", "merge_into_id": world.requirement_b},
    )

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "merge_into_id" in response.get_data(as_text=True)
    assert f"There is no requirement #{world.requirement_b}." in response.get_data(as_text=True)
    assert (
        world.api("agent", "GET", f"/requirements/{world.requirement_a}").get_json()["state"]
        != "merged"
    )
    # Into a requirement the agent may read, the same call merges.
    allowed = world.api(
        "agent",
        "POST",
        f"/requirements/{world.requirement_a}/transitions",
        json={"trigger": "merge", "merge_into_id": world.requirement_free},
    )
    assert allowed.status_code == 200, allowed.get_data(as_text=True)
    assert allowed.get_json()["state"] == "merged"
