"""The organisation pages through HTTP on the real database: list, page with customers and
timeline, new/edit forms (422 at each field, 409 on a stale edit), trash, and roles."""

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import CustomFieldDefinition, FieldKind, Organisation, Role, User
from tests.integration.test_customer_pages import (
    _buy,
    _log,
    count,
    field_error,
    form_values,
    make_customer,
    post_form,
    signed_in,
    text_of,
)
from tests.role_matrix import assert_each_role, record_path
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import organisations


@pytest.fixture
def agent(make_user: Any) -> User:
    return make_user(Role.AGENT, name="Alma Agent", time_zone="Asia/Tokyo")


@pytest.fixture
def agent_client(app: Flask, agent: User) -> FlaskClient:
    return signed_in(app, agent)


def make_organisation(app: Flask, **data: Any) -> int:
    data.setdefault("name", "Acme")
    with app.app_context():
        organisation = organisations.create_organisation(
            db.session, data, actor_id=None, clock=current_clock()
        )
        db.session.commit()
        return organisation.id


def get(app: Flask, organisation_id: int) -> Organisation:
    with app.app_context():
        organisation = db.session.get(Organisation, organisation_id)
        assert organisation is not None
        db.session.expunge_all()
        return organisation


def add_size_field(app: Flask) -> None:
    with app.app_context():
        db.session.add(
            CustomFieldDefinition(
                entity="organisation",
                key="size",
                label="Size",
                kind=FieldKind.NUMBER,
                is_required=True,
                created_at=current_clock().now(),
            )
        )
        db.session.commit()


# ---------------------------------------------------------------- new and edit


def test_agent_creates_an_organisation_with_a_custom_field(
    app: Flask, agent: User, agent_client: FlaskClient
) -> None:
    add_size_field(app)
    page = agent_client.get("/organisations/new")
    assert page.status_code == 200
    values = form_values(text_of(page))
    assert values["owner_id"] == str(agent.id)
    values.update(
        name="Globex",
        website="globex.example",
        phone="+351 912 345 678",
        address="Rua A 1\nPorto",
        notes="Big one",
        custom__size="120",
    )
    response = agent_client.post("/organisations/new", data=values)
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.scalar(select(Organisation).where(Organisation.name == "Globex"))
        assert saved is not None
        assert (saved.website, saved.phone) == ("https://globex.example", "+351912345678")
        assert saved.custom["size"] == 120
        assert saved.owner_id == agent.id
    assert response.headers["Location"].endswith(f"/organisations/{saved.id}")


def test_bad_input_is_refused_at_each_field_and_nothing_is_saved(
    app: Flask, agent_client: FlaskClient
) -> None:
    add_size_field(app)
    values = form_values(text_of(agent_client.get("/organisations/new")))
    values.update(name="", website="not a site", phone="12", custom__size="many")
    response = agent_client.post("/organisations/new", data=values)
    assert response.status_code == 422
    html = text_of(response)
    assert "required" in field_error(html, "name")
    assert "web address" in field_error(html, "website")
    assert field_error(html, "phone")
    assert "number" in field_error(html, "custom__size")
    assert count(app, Organisation) == 0


def test_edit_saves_and_bad_edit_keeps_the_saved_organisation(
    app: Flask, agent_client: FlaskClient
) -> None:
    organisation_id = make_organisation(app, website="acme.example")
    path = f"/organisations/{organisation_id}/edit"
    values = form_values(text_of(agent_client.get(path)))
    assert values["website"] == "https://acme.example"
    bad = {**values, "website": "nope nope"}
    response = agent_client.post(path, data=bad)
    assert response.status_code == 422
    assert get(app, organisation_id).website == "https://acme.example"
    values.update(name="Acme Corp", notes="Renamed")
    assert agent_client.post(path, data=values).status_code == 302
    assert (get(app, organisation_id).name, get(app, organisation_id).notes) == (
        "Acme Corp",
        "Renamed",
    )


def test_second_save_is_refused_showing_both_versions(
    app: Flask, make_user: Any, agent_client: FlaskClient
) -> None:
    organisation_id = make_organisation(app, address="Porto")
    path = f"/organisations/{organisation_id}/edit"
    other_client = signed_in(app, make_user(Role.AGENT))
    first = form_values(text_of(agent_client.get(path)))
    second = form_values(text_of(other_client.get(path)))

    first.update(name="Acme Global")
    assert agent_client.post(path, data=first).status_code == 302

    second.update(name="Acme Iberia", address="Lisbon", notes="Call in May")
    conflict = other_client.post(path, data=second)
    assert conflict.status_code == 409  # both changed the name: only that is the conflict
    html = text_of(conflict)
    table = html.split('id="conflict"')[1].split("</table>")[0]
    assert re.findall(r'<th scope="row">([^<]+)</th>', table) == ["Name"]
    assert "Acme Global" in table and "Acme Iberia" in table and "changed by" in table
    kept = form_values(html)
    # WTForms opens a textarea with "\r\n", which HTML drops; the reader only drops "\n".
    assert (kept["address"].strip(), kept["name"]) == ("Lisbon", "Acme Iberia")
    assert kept["version"] == str(get(app, organisation_id).version)
    assert get(app, organisation_id).address == "Porto"

    kept["name"] = "Acme Global"
    assert other_client.post(path, data=kept).status_code == 302
    saved = get(app, organisation_id)
    assert (saved.name, saved.address, saved.notes) == ("Acme Global", "Lisbon", "Call in May")


# ---------------------------------------------------------------- list and page


def test_list_searches_by_name_pages_and_shows_an_empty_state(
    app: Flask, agent_client: FlaskClient
) -> None:
    html = text_of(agent_client.get("/organisations/"))
    assert 'id="empty"' in html and "No organisations yet" in html
    for n in range(30):
        make_organisation(app, name=f"Firm {n:02d}")
    make_organisation(app, name="Zeta 100% Ltd")
    gone = make_organisation(app, name="Firm Gone")
    with app.app_context():
        row = db.session.get(Organisation, gone)
        organisations.delete_organisation(db.session, row, actor_id=None, clock=current_clock())
        db.session.commit()

    html = text_of(agent_client.get("/organisations/"))
    assert "Firm 00" in html and "Firm 24" in html and "Firm 25" not in html
    assert "Firm Gone" not in html
    after = re.search(r'href="([^"]*after=[^"]*)"', html)
    assert after
    html = text_of(agent_client.get(after.group(1).replace("&amp;", "&")))
    assert "Firm 25" in html and "Zeta 100% Ltd" in html and "Firm 24" not in html
    assert 'id="next-page"' not in html

    html = text_of(agent_client.get("/organisations/?q=100%"))
    assert "Zeta 100% Ltd" in html and "Firm 01" not in html
    html = text_of(agent_client.get("/organisations/?q=nothing-like-this"))
    assert "No organisation matches" in html


def test_page_shows_details_customers_and_timeline_newest_first(
    app: Flask, agent_client: FlaskClient
) -> None:
    organisation_id = make_organisation(app, website="acme.example", notes="Key account")
    ana = make_customer(app, name="Ana Lima", organisation_id=organisation_id)
    bo = make_customer(app, name="Bo Chen", organisation_id=organisation_id)
    make_customer(app, name="Not A Member")
    _log(app, ana, channel="note", body="Older note", occurred_at="2025-01-01T10:00")
    _log(app, bo, channel="call", body="Newer call", occurred_at="2025-06-01T10:00")
    _buy(app, bo, kind="order", amount="99.90", currency="EUR", occurred_on="2025-03-01")

    html = text_of(agent_client.get(f"/organisations/{organisation_id}"))
    assert "https://acme.example" in html and "Key account" in html
    members = html.split('id="customers"')[1].split("</article>")[0]
    assert f'href="/customers/{ana}"' in members and f'href="/customers/{bo}"' in members
    assert "Not A Member" not in members
    timeline = html.split('id="timeline"')[1]
    assert timeline.index("Newer call") < timeline.index("99.90 EUR") < timeline.index("Older note")
    assert "Organisation created" in timeline

    customer_page = text_of(agent_client.get(f"/customers/{ana}"))
    assert f'href="/organisations/{organisation_id}" id="organisation-link"' in customer_page


def test_timeline_pages_with_an_older_link(app: Flask, agent_client: FlaskClient) -> None:
    organisation_id = make_organisation(app)
    customer_id = make_customer(app, organisation_id=organisation_id)
    for day in range(1, 31):
        _log(
            app,
            customer_id,
            channel="note",
            body=f"note {day:02d}",
            occurred_at=f"2025-11-{day:02d}",
        )
    html = text_of(agent_client.get(f"/organisations/{organisation_id}"))
    timeline = html.split('id="timeline"')[1]
    assert "Organisation created" in timeline  # its own events take part too
    assert "note 30" in timeline and "note 07" in timeline and "note 06" not in timeline
    older = re.search(r'href="([^"]*before=[^"]*)#timeline"', html)
    assert older
    html = text_of(agent_client.get(older.group(1).replace("&amp;", "&")))
    timeline = html.split('id="timeline"')[1]
    assert "note 06" in timeline and "note 01" in timeline and "note 07" not in timeline


# ---------------------------------------------------------------- trash and roles


def test_supervisor_trashes_after_confirming_and_restores(app: Flask, make_user: Any) -> None:
    organisation_id = make_organisation(app, name="Initech")
    supervisor = signed_in(app, make_user(Role.SUPERVISOR))
    confirm = supervisor.get(f"/organisations/{organisation_id}/delete")
    assert confirm.status_code == 200 and "Move Initech to the trash?" in text_of(confirm)
    assert get(app, organisation_id).deleted_at is None  # the GET only asks

    response = post_form(
        supervisor,
        f"/organisations/{organisation_id}/delete",
        {},
        f"/organisations/{organisation_id}/delete",
    )
    assert response.status_code == 302
    assert get(app, organisation_id).deleted_at is not None
    assert supervisor.get(f"/organisations/{organisation_id}").status_code == 404
    assert "Initech" not in text_of(supervisor.get("/organisations/"))
    assert "Initech" in text_of(supervisor.get("/organisations/trash"))

    response = post_form(
        supervisor, f"/organisations/{organisation_id}/restore", {}, "/organisations/trash"
    )
    assert response.status_code == 302
    assert get(app, organisation_id).deleted_at is None
    assert "Initech" in text_of(supervisor.get("/organisations/"))


def test_agent_sees_no_trash_button_and_navigation_links_organisations(
    app: Flask, agent_client: FlaskClient
) -> None:
    organisation_id = make_organisation(app)
    html = text_of(agent_client.get(f"/organisations/{organisation_id}"))
    assert "Move to trash" not in html
    assert 'href="/organisations/">Organisations</a>' in html


ENDPOINTS = [
    ("GET", "/organisations/", Role.AGENT),
    ("GET", "/organisations/new", Role.AGENT),
    ("POST", "/organisations/new", Role.AGENT),
    ("GET", "/organisations/{id}", Role.AGENT),
    ("GET", "/organisations/{id}/edit", Role.AGENT),
    ("POST", "/organisations/{id}/edit", Role.AGENT),
    ("GET", "/organisations/{id}/delete", Role.SUPERVISOR),
    ("POST", "/organisations/{id}/delete", Role.SUPERVISOR),
    ("GET", "/organisations/trash", Role.SUPERVISOR),
    ("POST", "/organisations/{trashed}/restore", Role.SUPERVISOR),
]


@pytest.mark.parametrize(("method", "template", "lowest"), ENDPOINTS)
def test_each_endpoint_needs_its_role(
    app: Flask, make_user: Any, method: str, template: str, lowest: Role
) -> None:
    assert_each_role(
        app,
        make_user,
        method,
        lambda: _path(app, template),
        lowest,
        signed_in=signed_in,
        text_of=text_of,
    )


def _path(app: Flask, template: str) -> str:
    def trash(row_id: int) -> None:
        row = db.session.get(Organisation, row_id)
        organisations.delete_organisation(db.session, row, actor_id=None, clock=current_clock())

    return record_path(app, template, make_organisation, trash)
