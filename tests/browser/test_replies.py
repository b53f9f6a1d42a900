"""The requirement page's composer in Chromium: save a canned response, find it from the
keyboard in the composer, send and wait on customer, and see the reply in the thread.

The live server reads a ManualClock in 2099 (as in test_requirement_queues), so the timers
"wait on customer" plans never fall due for the session's clock process."""

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from models import OutboxMessage, Requirement, Role, User
from tests.browser.test_customers import make_customer, sign_in
from tests.browser.test_requirement_queues import clock, open_requirement  # noqa: F401
from web.extensions import db
from workflows.platform.clock import ManualClock
from workflows.tracking import requirements

pytestmark = pytest.mark.browser


def test_compose_with_a_canned_response_send_and_wait_on_customer(
    page: Page,
    live_server: str,
    app: Flask,
    make_user: Any,
    clock: ManualClock,  # noqa: F811
) -> None:
    agent = make_user(Role.AGENT, name="Alma Agent")
    customer_id = make_customer(app, name="Ana Lima", emails="ana@example.com")
    req_id = open_requirement(
        app, clock, agent, customer_id=customer_id, title="Printer on fire", assignee_id=agent.id
    )
    with app.app_context():
        req = db.session.get(Requirement, req_id)
        requirements.fire(
            db.session, req, "assign", actor=db.session.get(User, agent.id), clock=clock
        )
        db.session.commit()
    sign_in(page, live_server, agent)

    page.get_by_role("link", name="Canned responses").click()
    page.get_by_role("button", name="New canned response").click()
    page.get_by_label("Name").fill("Ask for the model")
    page.get_by_label("Text (Markdown, with variables)").fill(
        "Hello {{ customer.first_name }}, which model is it? — {{ agent.name }}"
    )
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash.success")).to_have_text("Saved “Ask for the model”.")

    page.goto(f"{live_server}/requirements/{req_id}")
    search = page.get_by_role("combobox", name="Insert a canned response")
    search.fill("model")
    expect(page.get_by_role("option", name="Ask for the model")).to_be_visible()
    search.press("ArrowDown")
    search.press("ArrowUp")
    search.press("Enter")
    body = page.get_by_label("Message")
    expect(body).to_be_focused()
    expect(body).to_have_value("Hello Ana, which model is it? — Alma Agent")
    page.get_by_role("button", name="Send and wait on customer").click()

    expect(page.locator(".flash.success")).to_have_text("Reply queued · Ask the customer.")
    expect(page.locator("#state")).to_have_text("waiting on customer")
    reply = page.locator("#thread li.message").last
    expect(reply).to_contain_text("Reply")
    expect(reply).to_contain_text("Hello Ana, which model is it? — Alma Agent")
    expect(reply.locator(".badge.delivery")).to_have_text("queued")
    expect(reply).to_contain_text(f"[#{req_id}] Printer on fire")

    page.get_by_role("button", name="Internal note").click()
    page.get_by_label("Internal note (staff only, never sent)").fill("He sounded upset")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#thread li.message").last).to_contain_text("He sounded upset")
    with app.app_context():
        assert len(db.session.scalars(select(OutboxMessage)).all()) == 1  # the note: not sent
