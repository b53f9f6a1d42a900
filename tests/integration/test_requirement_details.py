"""Editing a requirement's title, description, category and tags after opening it, from its page
and over the API: audited in its history, the search index refreshed, a stale save refused
(409 on the page with the text kept, 412 / 428 in the API)."""

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from models import AuditEntry, Requirement, Role
from tests.integration.test_customer_pages import text_of
from tests.integration.test_requirement_pages import START, World, post
from tests.integration.test_requirement_search import _api
from web.extensions import db
from workflows.platform.clock import ManualClock
from workflows.tracking import categories


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


def _details(world: World, requirement_id: int, who: str = "agent", **values: Any) -> Any:
    page = f"/requirements/{requirement_id}"
    body = {
        "title": "Printer on fire",
        "description": "",
        "category": "",
        "tags": "",
        "version": str(world.get(requirement_id).version),
        **values,
    }
    return post(world.client(who), f"{page}/details", body, page)


def _category(world: World, name: str) -> None:
    with world.app.app_context():
        categories.create_category(db.session, name, actor_id=None, clock=world.clock)
        db.session.commit()


def test_edits_title_description_category_and_tags_audited_and_searchable(world: World) -> None:
    _category(world, "hardware")
    rid = world.open("Printer on fire", assignee_id=world.users["agent"].id)
    page = text_of(world.client("agent").get(f"/requirements/{rid}"))
    assert 'id="details-form"' in page and 'value="Printer on fire"' in page

    response = _details(
        world,
        rid,
        title="Toner cartridge leaks",
        description="Magenta everywhere",
        category="hardware",
        tags="printer, urgent , ",
    )

    assert response.status_code == 303
    saved = world.get(rid)
    assert (saved.title, saved.description, saved.category, saved.tags) == (
        "Toner cartridge leaks",
        "Magenta everywhere",
        "hardware",
        ["printer", "urgent"],
    )
    with world.app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_type == "requirement", AuditEntry.entity_id == rid
            )
        ).one()
        assert set(entry.changes) == {"title", "description", "category", "tags"}
    found = _api(world, "/requirements?q=magenta").get_json()
    assert [r["id"] for r in found] == [rid]
    assert _api(world, "/requirements?q=fire").get_json() == []


def test_an_empty_title_is_refused_at_its_field_with_the_rest_kept(world: World) -> None:
    rid = world.open("Printer on fire", assignee_id=world.users["agent"].id)
    response = _details(world, rid, title="  ", description="Still smoking")
    assert response.status_code == 422
    html = text_of(response)
    assert "Give the requirement a title." in html
    assert "Still smoking" in html
    assert world.get(rid).description is None


def test_the_category_comes_from_the_admin_s_list(world: World) -> None:
    _category(world, "billing")
    rid = world.open("Invoice", assignee_id=world.users["agent"].id, category="legacy")
    page = text_of(world.client("agent").get(f"/requirements/{rid}"))
    # The list, plus the requirement's own category that is not (or no longer) on it.
    assert re.findall(r'<option value="([^"]*)"', page.split('id="details-category"')[1])[:3] == [
        "",
        "billing",
        "legacy",
    ]
    refused = _details(world, rid, title="Invoice", category="made-up", description="Kept")
    assert refused.status_code == 422
    assert "Choose one of: billing." in text_of(refused)
    assert world.get(rid).category == "legacy"
    assert _details(world, rid, title="Invoice", category="legacy").status_code == 303
    assert _details(world, rid, title="Invoice", category="billing").status_code == 303
    assert world.get(rid).category == "billing"


def test_a_stale_save_is_refused_and_keeps_the_text(world: World) -> None:
    rid = world.open("Printer on fire", assignee_id=world.users["agent"].id)
    old_version = str(world.get(rid).version)
    assert _details(world, rid, title="First edit").status_code == 303
    response = _details(world, rid, title="Second edit", version=old_version)
    assert response.status_code == 409
    html = text_of(response)
    assert 'value="Second edit"' in html
    assert world.get(rid).title == "First edit"


def test_someone_who_may_not_act_is_refused(world: World) -> None:
    rid = world.open("Printer on fire", assignee_id=world.users["agent"].id)
    assert _details(world, rid, who="colleague", title="Mine now").status_code == 403
    assert world.get(rid).title == "Printer on fire"


def test_the_api_patch_needs_if_match(world: World) -> None:
    rid = world.open("Printer on fire", assignee_id=world.users["agent"].id)
    path = f"/requirements/{rid}"
    assert _api(world, path, "PATCH", json={"title": "x"}).status_code == 428
    tag = _api(world, path).headers["ETag"]
    ok = _api(world, path, "PATCH", json={"tags": ["a"]}, headers={"If-Match": tag})
    assert ok.status_code == 200 and ok.get_json()["tags"] == ["a"]
    stale = _api(world, path, "PATCH", json={"title": "y"}, headers={"If-Match": tag})
    assert stale.status_code == 412


def _new(world: World, **values: Any) -> Any:
    page = f"/customers/{world.customer}/requirements/new"
    body = {
        "title": "Ten licences",
        "description": "",
        "category": "",
        "priority": "normal",
        "workflow": "sales",
        "team_id": str(world.team),
        "assignee_id": str(world.users["agent"].id),
        **values,
    }
    return post(world.client("agent"), page, body, page)


def _opportunities(world: World) -> list[tuple[Any, ...]]:
    with world.app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(
                select(
                    Requirement.title,
                    Requirement.amount,
                    Requirement.currency,
                    Requirement.expected_close_on,
                ).where(Requirement.workflow == "sales")
            )
        ]


def test_the_new_form_shows_the_opportunity_fields_for_the_sales_workflow(world: World) -> None:
    html = world.client("agent").get(f"/customers/{world.customer}/requirements/new")
    text = html.get_data(as_text=True)
    assert 'data-shown-when="workflow=sales"' in text
    assert 'name="amount"' in text and 'name="currency"' in text
    assert 'name="expected_close_on"' in text and 'type="date"' in text


def test_a_new_opportunity_with_bad_money_is_refused_at_each_field_and_nothing_saved(
    world: World,
) -> None:
    response = _new(world, amount="12.345", currency="USD", expected_close_on="2099-13-01")
    assert response.status_code == 422
    html = text_of(response)
    assert "USD amounts have at most 2 decimal places." in html
    assert "Enter a date as YYYY-MM-DD." in html
    assert 'value="12.345"' in html  # what was typed is kept
    no_currency = text_of(_new(world, amount="10", currency=""))
    assert "Give the currency of the amount." in no_currency
    bad_code = text_of(_new(world, amount="10", currency="XYZ"))
    assert "Enter an ISO 4217 currency code such as EUR or USD." in bad_code
    negative = text_of(_new(world, amount="-10", currency="EUR"))
    assert "The amount cannot be negative." in negative
    support = _new(world, workflow="support", amount="10", currency="EUR")
    assert support.status_code == 422
    assert "Only sales opportunities have this field." in text_of(support)
    assert _opportunities(world) == []


def test_a_new_opportunity_saves_its_money_and_the_page_shows_it(world: World) -> None:
    response = _new(world, amount="1500.5", currency="eur", expected_close_on="2099-04-30")
    assert response.status_code == 303
    assert _opportunities(world) == [("Ten licences", Decimal("1500.5"), "EUR", date(2099, 4, 30))]
    page = text_of(world.client("agent").get(response.headers["Location"]))
    assert re.search(r'id="opportunity-amount">€1,500.50<', page)
    assert 'id="opportunity-close">2099-04-30<' in page
    assert 'name="amount" value="1500.50"' in page  # the edit form, loaded


def test_editing_an_opportunity_s_money_validates_and_respects_the_version(world: World) -> None:
    rid = world.open("Ten licences", workflow="sales", assignee_id=world.users["agent"].id)
    base = {"title": "Ten licences", "currency": "", "expected_close_on": ""}
    refused = _details(world, rid, **base, amount="5")
    assert refused.status_code == 422
    assert "Give the currency of the amount." in text_of(refused)
    assert world.get(rid).amount is None
    old_version = str(world.get(rid).version)
    saved = _details(world, rid, **{**base, "currency": "JPY"}, amount="9000")
    assert saved.status_code == 303
    req = world.get(rid)
    assert (req.amount, req.currency, req.expected_close_on) == (Decimal(9000), "JPY", None)
    stale = _details(world, rid, **{**base, "currency": "JPY"}, amount="1", version=old_version)
    assert stale.status_code == 409
    assert 'value="1"' in text_of(stale)
    assert world.get(rid).amount == Decimal(9000)
    yen = _details(world, rid, **{**base, "currency": "JPY"}, amount="9000.5")
    assert "JPY amounts have at most 0 decimal places." in text_of(yen)
    with world.app.app_context():
        changes = db.session.scalars(
            select(AuditEntry.changes).where(
                AuditEntry.entity_type == "requirement", AuditEntry.entity_id == rid
            )
        ).all()
    assert any("amount" in c and "currency" in c for c in changes)


def test_support_requirements_have_no_money_fields(world: World) -> None:
    rid = world.open("Printer on fire", assignee_id=world.users["agent"].id)
    page = text_of(world.client("agent").get(f"/requirements/{rid}"))
    assert "opportunity-amount" not in page and 'name="amount"' not in page
