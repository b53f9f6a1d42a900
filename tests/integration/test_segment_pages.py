"""The segment pages through HTTP on the real database: save the list's filters, list them with
live counts and a link back to the list, rename and delete (owner or supervisor+)."""

import html as html_lib
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import Role, Segment, User
from tests.integration.test_customer_pages import (
    field_error,
    make_customer,
    post_form,
    signed_in,
    text_of,
)
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import segments
from workflows.customers.queries import CustomerFilter

# The list's query string in the viewer's zone (Asia/Tokyo): dates become UTC instants.
LIST_QUERY = "q=lima&tag=vip&stage=lead&created_from=2020-01-01&created_to=2099-12-31"


@pytest.fixture
def agent(make_user: Any) -> User:
    return make_user(Role.AGENT, name="Alma Agent", time_zone="Asia/Tokyo")


@pytest.fixture
def agent_client(app: Flask, agent: User) -> FlaskClient:
    return signed_in(app, agent)


@pytest.fixture
def people(app: Flask) -> dict[str, int]:
    return {
        name: make_customer(app, name=name, **data)
        for name, data in (
            ("Ana Lima", {"tags": "vip", "stage": "lead"}),
            ("Bia Lima", {"tags": "vip", "stage": "lead"}),
            ("Caio Lima", {"tags": "vip", "stage": "customer"}),
            ("Duda Lima", {"stage": "lead"}),
            ("Edu Souza", {"tags": "vip", "stage": "lead"}),
        )
    }


def all_segments(app: Flask) -> list[Segment]:
    with app.app_context():
        rows = list(db.session.scalars(select(Segment).order_by(Segment.id)))
        db.session.expunge_all()
        return rows


def make_segment(app: Flask, owner: User, name: str = "VIP leads", **flt: Any) -> int:
    with app.app_context():
        segment = segments.create_segment(
            db.session, name, CustomerFilter(**flt), owner_id=owner.id, clock=current_clock()
        )
        db.session.commit()
        return segment.id


def save_from_list(client: FlaskClient, query: str, name: str) -> Any:
    """Submit the list page's "Save these filters as a segment" form as the browser would."""
    page = text_of(client.get(f"/customers?{query}"))
    match = re.search(r'<form method="post" action="([^"]+)" class="save-segment', page)
    assert match, "no save form on the list page"
    return post_form(
        client, html_lib.unescape(match.group(1)), {"name": name}, f"/customers?{query}"
    )


def names_listed(client: FlaskClient, url: str) -> set[str]:
    page = text_of(client.get(url))
    return set(re.findall(r'<a href="/customers/\d+"[^>]*>([^<]+)</a>', page))


# ---------------------------------------------------------------- save from the list


def test_saving_from_the_list_keeps_exactly_its_filters(
    app: Flask, agent_client: FlaskClient, agent: User, people: dict[str, int]
) -> None:
    response = save_from_list(agent_client, LIST_QUERY, "  VIP leads  ")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/segments")
    (segment,) = all_segments(app)
    assert segment.name == "VIP leads"
    assert segment.owner_id == agent.id
    assert segment.definition == {
        "q": "lima",
        "tag": "vip",
        "stage": "lead",
        # Midnight in Tokyo, as UTC; the "until" date is inclusive (start of the next day).
        "created_from": "2019-12-31T15:00:00+00:00",
        "created_to": "2099-12-31T15:00:00+00:00",
    }


def test_the_segment_link_reproduces_the_same_customers(
    app: Flask, agent_client: FlaskClient, people: dict[str, int]
) -> None:
    assert save_from_list(agent_client, LIST_QUERY, "VIP leads").status_code == 302
    expected = names_listed(agent_client, f"/customers?{LIST_QUERY}")
    assert expected == {"Ana Lima", "Bia Lima"}

    page = text_of(agent_client.get("/segments"))
    link = html_lib.unescape(re.search(r'<a href="([^"]+)" class="open-segment"', page).group(1))
    assert link.startswith("/customers?")
    assert names_listed(agent_client, link) == expected
    assert '<span class="count">2</span>' in page


def test_an_empty_name_is_refused_at_the_field_and_nothing_is_saved(
    app: Flask, agent_client: FlaskClient, people: dict[str, int]
) -> None:
    response = save_from_list(agent_client, LIST_QUERY, "   ")
    assert response.status_code == 422
    assert field_error(text_of(response), "name") == "This field is required."
    assert 'value="   "' in text_of(response)  # the form comes back to fix
    assert all_segments(app) == []


def test_an_invalid_filter_is_refused_with_its_message_and_nothing_is_saved(
    app: Flask, agent_client: FlaskClient
) -> None:
    response = post_form(
        agent_client, "/segments/new?stage=nonsense&created_from=yesterday", {"name": "Bad"}
    )
    assert response.status_code == 422
    assert "Enter a date as YYYY-MM-DD." in field_error(text_of(response), "created_from")
    assert all_segments(app) == []

    response = post_form(agent_client, "/segments/new?stage=nonsense", {"name": "Bad"})
    assert response.status_code == 422
    message = field_error(text_of(response), "stage")
    # The workflow lists the keys unordered (SQLite and PostgreSQL differ).
    assert message.startswith("Choose one of: ") and "lead" in message
    assert all_segments(app) == []


# ---------------------------------------------------------------- the list


def test_the_list_shows_owner_times_in_the_viewers_zone_and_live_counts(
    app: Flask, agent_client: FlaskClient, agent: User, people: dict[str, int]
) -> None:
    make_segment(app, agent, "Limas", q="lima")
    page = text_of(agent_client.get("/segments"))
    assert "Limas" in page and "Alma Agent" in page
    assert '<span class="count">4</span>' in page
    assert "JST</time>" in page  # Asia/Tokyo
    make_customer(app, name="Fábio Lima")
    assert '<span class="count">5</span>' in text_of(agent_client.get("/segments"))


def test_the_list_has_an_empty_state_and_the_nav_links_to_it(agent_client: FlaskClient) -> None:
    page = text_of(agent_client.get("/segments"))
    assert 'class="empty"' in page and "No segments yet" in page
    assert '<a href="/segments">Segments</a>' in page


def test_segment_pages_need_sign_in(client: FlaskClient) -> None:
    assert client.get("/segments").status_code == 302


# ---------------------------------------------------------------- rename and delete


def test_the_owner_renames_a_segment(app: Flask, agent_client: FlaskClient, agent: User) -> None:
    ident = make_segment(app, agent, tag="vip")
    assert agent_client.get(f"/segments/{ident}/edit").status_code == 200
    response = post_form(agent_client, f"/segments/{ident}/edit", {"name": "VIPs"})
    assert response.status_code == 302
    (segment,) = all_segments(app)
    assert segment.name == "VIPs" and segment.definition == {"tag": "vip"}


def test_a_rename_to_nothing_is_refused_at_the_field(
    app: Flask, agent_client: FlaskClient, agent: User
) -> None:
    ident = make_segment(app, agent, tag="vip")
    response = post_form(agent_client, f"/segments/{ident}/edit", {"name": ""})
    assert response.status_code == 422
    assert field_error(text_of(response), "name") == "This field is required."
    assert all_segments(app)[0].name == "VIP leads"


def test_delete_asks_for_confirmation_then_removes_only_the_segment(
    app: Flask, agent_client: FlaskClient, agent: User, people: dict[str, int]
) -> None:
    ident = make_segment(app, agent, tag="vip")
    page = agent_client.get(f"/segments/{ident}/delete")
    assert page.status_code == 200 and "Delete the segment VIP leads?" in text_of(page)
    assert len(all_segments(app)) == 1  # the GET deletes nothing
    response = post_form(agent_client, f"/segments/{ident}/delete", {}, f"/segments/{ident}/delete")
    assert response.status_code == 302
    assert all_segments(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Segment)) == 0
    assert len(names_listed(agent_client, "/customers")) == len(people)


@pytest.mark.parametrize("path", ["edit", "delete"])
def test_an_agent_cannot_change_another_agents_segment(
    app: Flask, make_user: Any, agent_client: FlaskClient, path: str
) -> None:
    other = make_user(Role.AGENT)
    ident = make_segment(app, other, tag="vip")
    assert agent_client.get(f"/segments/{ident}/{path}").status_code == 403
    response = post_form(agent_client, f"/segments/{ident}/{path}", {"name": "Mine"}, "/segments")
    assert response.status_code == 403
    assert "text/html" in response.content_type
    assert "owner or a supervisor" in text_of(response)
    (segment,) = all_segments(app)
    assert segment.name == "VIP leads"
    assert f"/segments/{ident}/edit" not in text_of(agent_client.get("/segments"))


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
def test_supervisors_and_admins_rename_and_delete_any_segment(
    app: Flask, make_user: Any, agent: User, role: Role
) -> None:
    client = signed_in(app, make_user(role))
    ident = make_segment(app, agent, tag="vip")
    assert post_form(client, f"/segments/{ident}/edit", {"name": "Theirs"}).status_code == 302
    assert all_segments(app)[0].name == "Theirs"
    response = post_form(client, f"/segments/{ident}/delete", {}, "/segments")
    assert response.status_code == 302
    assert all_segments(app) == []
