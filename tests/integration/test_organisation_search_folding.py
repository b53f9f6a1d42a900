"""Organisation names are found with or without their accents, in both directions, on the
organisation list, the API's organisation search and the header's global search (issue #15)."""

from html import unescape
from typing import Any

import pytest
from flask import Flask

from models import Organisation
from tests.integration.teams_world import World, build
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import organisations

NAMES = ("Núñez GmbH", "Nunez Ltd", "Ångström AB", "Straße & Co", "Lima Logistics")


@pytest.fixture
def world(app: Flask, make_user: Any) -> World:
    built = build(app, make_user)
    with app.app_context():
        for name in NAMES:
            organisations.create_organisation(
                db.session, {"name": name}, actor_id=None, clock=current_clock()
            )
        db.session.commit()
    return built


def _on_list_page(world: World, q: str) -> set[str]:
    response = world.page("agent").get("/organisations/", query_string={"q": q})
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    return {name for name in NAMES if name in html}


def _in_api(world: World, q: str) -> set[str]:
    response = world.api("agent", "GET", "/organisations", query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    return {row["name"] for row in response.get_json()["items"]}


def _in_global_search(world: World, q: str) -> set[str]:
    response = world.page("agent").get("/search/suggest", query_string={"q": q})
    assert response.status_code == 200
    groups = {g["kind"]: g["hits"] for g in response.get_json()["groups"]}
    return {hit["label"] for hit in groups.get("organisations", [])}


SEARCHES = [_on_list_page, _in_api, _in_global_search]


# (query, names found): plain finds accented, accented finds plain, any case.
EXPECTED = [
    ("Nunez", {"Núñez GmbH", "Nunez Ltd"}),
    ("Núñez", {"Núñez GmbH", "Nunez Ltd"}),
    ("NÚÑEZ", {"Núñez GmbH", "Nunez Ltd"}),  # SQLite's lower() lowers ASCII only
    ("angstrom", {"Ångström AB"}),
    ("strasse", {"Straße & Co"}),
    ("Straße", {"Straße & Co"}),
    ("lima", {"Lima Logistics"}),
]


@pytest.mark.parametrize("search", SEARCHES, ids=lambda f: f.__name__.strip("_"))
def test_accents_fold_both_ways(search: Any, world: World) -> None:
    found = {q: search(world, q) for q, _ in EXPECTED}
    assert found == dict(EXPECTED)


def test_a_rename_is_found_by_its_new_name_only(world: World) -> None:
    with world.app.app_context():
        lima = db.session.query(Organisation).filter_by(name="Lima Logistics").one()
        organisations.update_organisation(
            db.session,
            lima,
            {"name": "Líma Frète"},
            expected_version=lima.version,
            actor_id=None,
            clock=current_clock(),
        )
        db.session.commit()
    assert _in_api(world, "lima frete") == {"Líma Frète"}
    assert _in_api(world, "logistics") == set()


def test_like_wildcards_in_the_query_are_taken_literally(world: World) -> None:
    assert _in_api(world, "%") == set()
    assert _in_api(world, "N_nez") == set()
