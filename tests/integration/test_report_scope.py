"""Reports count only what the viewer may read (the one read policy,
`workflows.tracking.visibility`): team A's supervisor sees team A's requirements and those of
no team, never team B's; an admin sees all three; the API, the page JSON and every
requirement-based figure agree."""

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import false, true

from tests.integration.teams_world import World, build
from workflows.analytics.filters import RequirementFilter


@pytest.fixture
def world(app: Flask, make_user: Any) -> World:
    return build(app, make_user)


def _support(world: World, who: str, query: str = "") -> dict[str, Any]:
    response = world.api(who, "GET", f"/reports/support{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_supervisor_sees_only_their_teams_figures(world: World):
    mine = _support(world, "supervisor")
    everything = _support(world, "admin")
    assert (mine["requirements"], everything["requirements"]) == (2, 3)
    team_names = {row[1] for row in mine["teams"]["rows"]}
    assert team_names == {"Team A", "(none)"}
    assert {row[1] for row in everything["teams"]["rows"]} == {"Team A", "Team B", "(none)"}
    assert sum(row[1] for row in mine["flow"]["rows"]) == 2  # created per day
    assert sum(sum(row[1:]) for row in mine["backlog"]["rows"][-1:]) == 2  # open at the end
    assert "scope" not in mine["filters"]


def test_a_filter_for_another_team_finds_nothing(world: World):
    other = _support(world, "supervisor", f"?team_id={world.team_b}")
    assert other["requirements"] == 0
    assert other["filters"] == {"team_id": world.team_b}
    assert _support(world, "admin", f"?team_id={world.team_b}")["requirements"] == 1


def test_pareto_and_page_json_are_scoped_too(world: World):
    query = "/reports/pareto?dimension=requirements_by_customer"
    mine = world.api("supervisor", "GET", query).get_json()
    assert (mine["total"], world.api("admin", "GET", query).get_json()["total"]) == (2, 3)
    page = world.page("supervisor").get("/reports/support/data").get_json()
    assert page["requirements"] == 2


def test_everyone_sees_everything_lifts_the_scope(world: World):
    world.app.config["REQUIREMENTS_VISIBLE_TO_ALL"] = True
    try:
        assert _support(world, "supervisor")["requirements"] == 3
    finally:
        world.app.config["REQUIREMENTS_VISIBLE_TO_ALL"] = False


def test_an_admins_scope_adds_no_condition(world: World):
    with world.app.app_context():
        assert RequirementFilter(scope=true()).conditions() == []
        assert len(RequirementFilter(scope=false()).conditions()) == 1
