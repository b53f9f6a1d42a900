"""Saved queue views: kept per user, optionally shared with a team, listed on the queue page and
over the API; filters checked like the page's own."""

from typing import Any

import pytest
from flask import Flask

from tests.conftest import csrf_token
from tests.integration.teams_world import World, build


@pytest.fixture
def world(app: Flask, make_user: Any) -> World:
    return build(app, make_user)


def _save(world: World, who: str, **form: str) -> Any:
    client = world.page(who)
    token = csrf_token(client, "/requirements")
    return client.post("/requirements/views", data={"csrf_token": token, **form})


def test_a_view_saved_on_the_page_is_listed_and_opens_its_filters(world: World) -> None:
    response = _save(
        world, "agent", name="Breached high", queue="team", sla="breached", priority="high"
    )
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/requirements?") and "sla=breached" in location
    assert "priority=high" in location and "queue=team" in location
    page = world.page("agent").get("/requirements").get_data(as_text=True)
    assert ">Breached high</a>" in page
    # Private: team B's agent does not see it.
    other = world.page("agent_b").get("/requirements").get_data(as_text=True)
    assert "Breached high" not in other


def test_a_shared_view_reaches_the_team_and_only_the_owner_deletes_it(world: World) -> None:
    response = _save(
        world, "agent", name="Team paused", queue="team", sla="paused", team_id=str(world.team_a)
    )
    assert response.status_code == 303
    listed = world.api("supervisor", "GET", "/saved-views").get_json()  # supervisor of team A
    assert [(v["name"], v["team_id"], v["filters"]) for v in listed] == [
        ("Team paused", world.team_a, {"sla": "paused"})
    ]
    assert world.api("agent_b", "GET", "/saved-views").get_json() == []
    view_id = listed[0]["id"]
    assert world.api("agent_b", "GET", f"/saved-views/{view_id}").status_code == 404
    assert world.api("supervisor", "DELETE", f"/saved-views/{view_id}").status_code == 403
    assert world.api("agent", "DELETE", f"/saved-views/{view_id}").status_code == 204
    assert world.api("supervisor", "GET", "/saved-views").get_json() == []


def test_bad_views_are_refused_naming_the_field(world: World) -> None:
    bad = world.api(
        "agent",
        "POST",
        "/saved-views",
        json={
            "name": " ",
            "queue": "all",
            "filters": {"sla": "late", "colour": "red"},
            "team_id": world.team_b,
        },
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {
        "name",
        "queue",
        "filters.sla",
        "filters.colour",
        "team_id",
    }
    assert world.api("agent", "GET", "/saved-views").get_json() == []
    refused = _save(world, "agent", name="", queue="mine")
    assert refused.status_code == 303
    follow = world.page("agent").get(refused.headers["Location"]).get_data(as_text=True)
    assert "View not saved: Give the view a name." in follow
