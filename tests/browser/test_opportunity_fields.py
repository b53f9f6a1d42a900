"""The new-requirement form shows the opportunity fields only while the workflow is sales, and
an opportunity opened with them shows its amount in the viewer's locale."""

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from models import Role
from tests.browser.test_customers import sign_in
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import profiles

pytestmark = pytest.mark.browser


def test_the_money_fields_follow_the_workflow_choice(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    with app.app_context():
        customer = profiles.create_customer(
            db.session, {"name": "Buyer"}, actor_id=None, clock=current_clock()
        )
        db.session.commit()
        customer_id = customer.id
    sign_in(page, live_server, make_user(Role.AGENT))
    page.goto(f"{live_server}/customers/{customer_id}/requirements/new")
    page.wait_for_load_state("load")
    fields = page.locator("#opportunity-fields")
    expect(fields).to_be_hidden()  # support, the first workflow
    page.get_by_label("Title").fill("Ten licences")
    page.get_by_label("Workflow").select_option("sales")
    expect(fields).to_be_visible()
    page.get_by_label("Expected amount").fill("1500.5")
    page.get_by_label("Currency").fill("EUR")
    page.get_by_label("Expected close date").fill("2099-04-30")
    page.get_by_role("button", name="Open requirement").click()
    expect(page.locator("#opportunity-amount")).to_have_text("€1,500.50")
    expect(page.locator("#opportunity-close")).to_have_text("2099-04-30")
