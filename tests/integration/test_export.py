"""`/customers/export.csv` streams exactly the customers a filter selects, across many pages."""

import csv
import io
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from models import Role
from tests.conftest import login
from web.extensions import db
from web.imports.export import COLUMNS, PAGE_SIZE
from workflows.customers import profiles
from workflows.platform.clock import SystemClock


def seed(app: Flask, count: int) -> set[int]:
    """`count` customers; every other one is tagged vip. Returns the vip ids."""
    vip: set[int] = set()
    with app.app_context():
        for n in range(count):
            tags = "vip, north" if n % 2 == 0 else "north"
            customer = profiles.create_customer(
                db.session,
                {"name": f"Customer {n:04d}", "emails": f"c{n}@example.com", "tags": tags},
                actor_id=None,
                clock=SystemClock(),
            )
            if n % 2 == 0:
                vip.add(customer.id)
        profiles.delete_customer(db.session, customer, actor_id=None, clock=SystemClock())
        vip.discard(customer.id)  # the last one is in the trash: never exported
        db.session.commit()
        db.session.remove()
    return vip


def rows(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_a_filtered_export_contains_exactly_the_filtered_rows(
    app: Flask, client: FlaskClient, make_user: Any
) -> None:
    count = PAGE_SIZE * 2 + 50 + 1
    vip = seed(app, count)
    assert len(vip) > PAGE_SIZE  # the export has to follow the cursor
    login(client, make_user(Role.AGENT).email)

    response = client.get("/customers/export.csv?tag=vip")

    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    exported = rows(response)
    assert tuple(exported[0]) == COLUMNS
    assert [int(r["id"]) for r in exported] == sorted(vip)  # sorted by name = by id here
    assert all("vip" in r["tags"].split(", ") for r in exported)
    first = exported[0]
    assert (first["name"], first["emails"]) == ("Customer 0000", "c0@example.com")

    everyone = rows(client.get("/customers/export.csv"))
    assert len(everyone) == count - 1
    searched = rows(client.get("/customers/export.csv?q=Customer 0123"))
    assert [r["name"] for r in searched] == ["Customer 0123"]


def test_export_needs_sign_in_and_a_valid_filter(
    app: Flask, client: FlaskClient, make_user: Any
) -> None:
    assert client.get("/customers/export.csv").status_code == 302
    login(client, make_user(Role.AGENT).email)
    assert client.get("/customers/export.csv?stage=nope").status_code == 422


def test_formula_like_cells_are_defused(app: Flask, client: FlaskClient, make_user: Any) -> None:
    with app.app_context():
        profiles.create_customer(
            db.session,
            {
                "name": "=HYPERLINK(1)",
                "phones": "+49 151 23456789, +49 30 1234567",
                "notes": "+cmd",
            },
            actor_id=None,
            clock=SystemClock(),
        )
        db.session.commit()
    login(client, make_user(Role.AGENT).email)
    (row,) = rows(client.get("/customers/export.csv"))
    assert (row["name"], row["notes"]) == ("'=HYPERLINK(1)", "'+cmd")
    assert row["phones"] == "+4915123456789, +49301234567"  # numbers stay importable
