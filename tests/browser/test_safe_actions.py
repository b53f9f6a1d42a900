"""Safe actions and conflicts in Chromium: a terminal trigger asks first (a dialog, or a page
without JavaScript) naming what will happen, and two tabs editing one customer merge their
changes, showing only the field both changed as a conflict."""

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from models import Customer, Requirement, Role
from tests.browser.test_customers import make_customer, sign_in
from tests.browser.test_requirement_queues import clock, open_requirement  # noqa: F401
from web.extensions import db
from workflows.platform.clock import ManualClock

pytestmark = pytest.mark.browser


def _state(app: Flask, requirement_id: int) -> str:
    with app.app_context():
        return db.session.get(Requirement, requirement_id).state


def test_cancel_asks_first_in_a_dialog_naming_what_will_happen(
    page: Page,
    live_server: str,
    app: Flask,
    make_user: Any,
    clock: ManualClock,  # noqa: F811
) -> None:
    agent = make_user(Role.AGENT, name="Alma Agent")
    customer_id = make_customer(app, name="Ana Lima")
    req_id = open_requirement(
        app, clock, agent, customer_id=customer_id, title="Printer on fire", assignee_id=agent.id
    )
    sign_in(page, live_server, agent)
    page.goto(f"{live_server}/requirements/{req_id}")

    cancel = page.get_by_role("button", name="Cancel", exact=True)
    cancel.click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Cancelling stops its SLA clocks and reminders")
    expect(dialog.get_by_role("button", name="No, go back")).to_be_focused()
    dialog.get_by_role("button", name="No, go back").click()
    expect(dialog).to_be_hidden()
    expect(cancel).to_be_focused()  # back where it was
    assert _state(app, req_id) == "new"

    cancel.click()
    dialog.get_by_role("button", name="Yes, cancel").click()
    expect(page.locator(".flash.success")).to_have_text("Cancel: new → cancelled.")
    expect(page.locator("#state")).to_have_text("cancelled")


def test_cancel_asks_on_a_page_without_javascript(
    browser: Browser,
    live_server: str,
    app: Flask,
    make_user: Any,
    clock: ManualClock,  # noqa: F811
) -> None:
    agent = make_user(Role.AGENT, name="Alma Agent")
    customer_id = make_customer(app, name="Ana Lima")
    req_id = open_requirement(
        app, clock, agent, customer_id=customer_id, title="Printer on fire", assignee_id=agent.id
    )
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, live_server, agent)
        page.goto(f"{live_server}/requirements/{req_id}")
        page.get_by_role("button", name="Cancel", exact=True).click()
        expect(
            page.get_by_role("heading", name=f"Cancel #{req_id} “Printer on fire”?")
        ).to_be_visible()
        expect(page.locator(".confirm-what")).to_contain_text("Only a supervisor can reopen it")
        assert _state(app, req_id) == "new"
        page.get_by_role("button", name="Yes, cancel").click()
        expect(page.locator("#state")).to_have_text("cancelled")
    finally:
        context.close()


def test_two_tabs_editing_one_customer_merge_and_the_same_field_conflicts(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    customer_id = make_customer(app, name="Ana Lima", city="Porto", notes="Old note")
    sign_in(page, live_server, make_user(Role.AGENT, name="Alma Agent"))
    edit = f"{live_server}/customers/{customer_id}/edit"
    first = page
    second = page.context.new_page()
    first.goto(edit)
    second.goto(edit)

    first.get_by_label("City").fill("Lisbon")
    first.get_by_role("button", name="Save").click()
    expect(first.locator(".flash.success")).to_contain_text("is saved")
    second.get_by_label("Notes").fill("Asked for a callback")
    second.get_by_role("button", name="Save").click()
    expect(second.locator(".flash.success")).to_contain_text("changed meanwhile is kept: City")
    with app.app_context():
        saved = db.session.get(Customer, customer_id)
        assert (saved.city, saved.notes) == ("Lisbon", "Asked for a callback")

    # Both tabs change the city: the second sees only that field, side by side, with who.
    first.goto(edit)
    second.goto(edit)
    first.get_by_label("City").fill("Braga")
    first.get_by_role("button", name="Save").click()
    expect(first.locator(".flash.success")).to_contain_text("is saved")
    second.get_by_label("City").fill("Faro")
    second.get_by_label("Street and number").fill("Rua Nova 1")
    second.get_by_role("button", name="Save").click()
    conflict = second.locator("#conflict")
    expect(conflict).to_be_visible()
    expect(conflict.locator("tbody tr")).to_have_count(1)
    expect(conflict.locator("tbody tr th")).to_have_text("City")
    expect(conflict.locator(".theirs")).to_contain_text("Braga")
    expect(conflict.locator(".theirs .who")).to_have_text("changed by Alma Agent just now")
    expect(conflict.locator(".yours")).to_have_text("Faro")
    expect(second.get_by_label("Street and number")).to_have_value("Rua Nova 1")  # kept
    second.get_by_role("button", name="Save").click()  # my city, knowingly
    expect(second.locator(".flash.success")).to_contain_text("is saved")
    with app.app_context():
        saved = db.session.get(Customer, customer_id)
        assert (saved.city, saved.address_line, saved.notes) == (
            "Faro",
            "Rua Nova 1",
            "Asked for a callback",
        )
