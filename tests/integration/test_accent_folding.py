"""Customer and requirement search fold accents both ways (José ↔ Jose) through the database's
own index, and mark the match in the text as written."""

from typing import Any

import pytest
from flask import Flask

from models import Role
from tests.integration.test_requirement_pages import START, World
from tests.integration.test_requirement_search import _api
from web.extensions import db
from workflows.customers import profiles
from workflows.customers.queries import CustomerFilter, list_customers
from workflows.platform.clock import ManualClock

NAMES = ["José Lima", "Ana Núñez", "Karl Müller", "Eva Ångström", "Jose Plain", "Nunez Plain"]


@pytest.fixture
def book(in_app: Flask) -> ManualClock:
    clock = ManualClock(START)
    for name in NAMES:
        profiles.create_customer(db.session, {"name": name}, actor_id=None, clock=clock)
    profiles.create_customer(
        db.session, {"name": "Wang Wei", "notes": "北京市朝阳区 Straße"}, actor_id=None, clock=clock
    )
    db.session.commit()
    return clock


def _found(q: str) -> list[str]:
    return sorted(c.name for c in list_customers(db.session, CustomerFilter(q=q)).items)


@pytest.mark.parametrize(
    ("q", "names"),
    [
        ("Jose", ["Jose Plain", "José Lima"]),
        ("josé", ["Jose Plain", "José Lima"]),
        ("Nunez", ["Ana Núñez", "Nunez Plain"]),
        ("NÚÑEZ", ["Ana Núñez", "Nunez Plain"]),
        ("Muller", ["Karl Müller"]),
        ("Angstrom", ["Eva Ångström"]),
        ("ångström", ["Eva Ångström"]),
        ("strasse", ["Wang Wei"]),
        ("北京市", ["Wang Wei"]),
    ],
)
def test_customer_search_folds_accents_both_ways(
    book: ManualClock, q: str, names: list[str]
) -> None:
    assert _found(q) == names


def test_the_highlight_marks_the_name_as_written(book: ManualClock) -> None:
    page = list_customers(db.session, CustomerFilter(q="muller"))
    (customer,) = page.items
    assert page.highlights[customer.id].startswith("Karl <mark>Müller</mark>")


@pytest.fixture
def world(app: Flask, make_user: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    clock = ManualClock(START)
    monkeypatch.setitem(app.extensions, "clock", clock)
    users = {
        "agent": make_user(Role.AGENT, name="Alma Agent"),
        "colleague": make_user(Role.AGENT, name="Carl Colleague"),
        "outsider": make_user(Role.AGENT, name="Otto Outsider"),
        "lead": make_user(Role.SUPERVISOR, name="Lena Lead"),
    }
    return World(app, clock, users)


def test_requirement_search_folds_accents_both_ways(world: World) -> None:
    accented = world.open("Señal perdida en Ångström-Straße")
    plain = world.open("Senal perdida", description="angstrom strasse")
    world.open("Something else")

    for q in ("senal angstrom", "SEÑAL ÅNGSTRÖM", "straße", "STRASSE"):
        body = _api(world, f"/requirements?q={q}").get_json()
        assert sorted(r["id"] for r in body) == sorted([accented, plain]), q
