"""The header's global search: customers, organisations and requirements grouped by kind, the
read policy applied to requirements, accents folded, and the customer picker of "New
requirement"."""

from typing import Any

import pytest
from flask import Flask

from models import Organisation
from tests.integration.teams_world import World, build
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import organisations


@pytest.fixture
def world(app: Flask, make_user: Any) -> World:
    built = build(app, make_user)
    with app.app_context():
        organisations.create_organisation(
            db.session, {"name": "Lima Logistics"}, actor_id=None, clock=current_clock()
        )
        organisations.create_organisation(
            db.session, {"name": "Jose Freight"}, actor_id=None, clock=current_clock()
        )
        db.session.commit()
    return built


def _suggest(world: World, who: str, q: str) -> dict[str, list[dict[str, Any]]]:
    response = world.page(who).get("/search/suggest", query_string={"q": q})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return {g["kind"]: g["hits"] for g in response.get_json()["groups"]}


def test_groups_customers_organisations_and_requirements(world: World) -> None:
    groups = _suggest(world, "agent", "lima")
    assert [h["label"] for h in groups["customers"]] == ["Ana Lima"]
    assert groups["customers"][0]["url"] == f"/customers/{world.customer_id}"
    assert [h["label"] for h in groups["organisations"]] == ["Lima Logistics"]
    assert groups["requirements"] == []


def test_requirements_follow_the_read_policy(world: World) -> None:
    def found(who: str) -> set[str]:
        return {h["url"] for h in _suggest(world, who, "need")["requirements"]}

    a, b, free = (
        f"/requirements/{world.requirement_a}",
        f"/requirements/{world.requirement_b}",
        f"/requirements/{world.requirement_free}",
    )
    assert found("agent") == {a, free}
    assert found("agent_b") == {b, free}
    assert found("admin") == {a, b, free}


def test_accents_fold_both_ways(world: World) -> None:
    with world.app.app_context():
        organisations.create_organisation(
            db.session, {"name": "José Núñez SL"}, actor_id=None, clock=current_clock()
        )
        db.session.commit()
    assert [h["label"] for h in _suggest(world, "agent", "ANA LÍMA")["customers"]] == ["Ana Lima"]
    assert sorted(h["label"] for h in _suggest(world, "agent", "josé")["organisations"]) == [
        "Jose Freight",
        "José Núñez SL",
    ]


def test_the_results_page_lists_every_group_and_escapes_the_query(world: World) -> None:
    page = world.page("agent").get("/search", query_string={"q": "lima"}).get_data(as_text=True)
    for section in ("results-customers", "results-organisations", "results-requirements"):
        assert f'id="{section}"' in page
    assert "Ana Lima" in page and "Lima Logistics" in page
    assert "<mark>Lima</mark>" in page
    nothing = world.page("agent").get("/search", query_string={"q": "<b>zzzq</b>"})
    assert nothing.status_code == 200
    assert "&lt;b&gt;zzzq&lt;/b&gt;" in nothing.get_data(as_text=True)
    assert 'id="search-empty"' in nothing.get_data(as_text=True)


def test_deleted_organisations_are_not_found(world: World) -> None:
    with world.app.app_context():
        org = db.session.query(Organisation).filter_by(name="Lima Logistics").one()
        organisations.delete_organisation(db.session, org, actor_id=None, clock=current_clock())
        db.session.commit()
    assert _suggest(world, "agent", "lima")["organisations"] == []


def test_the_customer_picker_links_to_the_customer_s_new_requirement_form(world: World) -> None:
    page = world.page("agent").get("/requirements/new", query_string={"q": "ana"})
    assert page.status_code == 200
    assert f'href="/customers/{world.customer_id}/requirements/new"' in page.get_data(as_text=True)
    header = world.page("agent").get("/customers").get_data(as_text=True)
    assert 'id="global-search"' in header and 'href="/requirements/new"' in header
