"""An admin erases a customer in Chromium: the privacy page, the typed confirmation, the
progress bar driven by the real worker, and the certificate link."""

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from models import Role
from tests.browser.test_customers import make_customer, sign_in
from tests.services import Process

pytestmark = pytest.mark.browser


def test_admin_erases_a_customer_and_gets_a_certificate(
    page: Page, live_server: str, app: Flask, make_user: Any, worker: Process
) -> None:
    customer_id = make_customer(app, name="Gil Sousa", emails="gil@example.net")
    sign_in(page, live_server, make_user(Role.ADMIN))
    page.goto(f"{live_server}/customers/{customer_id}")
    page.locator("#privacy-link").click()
    expect(page.get_by_role("heading", name="Privacy: Gil Sousa")).to_be_visible()

    page.get_by_label("Type the name").fill("Gil Sous")
    page.get_by_role("button", name="Erase this customer").click()
    expect(page.get_by_text("Type the customer's name exactly as shown.")).to_be_visible()

    page.get_by_label("Type the name").fill("Gil Sousa")
    page.get_by_role("button", name="Erase this customer").click()
    expect(page.get_by_role("heading", name=f"Erasing customer #{customer_id}")).to_be_visible()
    expect(page.locator("#status")).to_have_text("done", timeout=60_000)
    link = page.get_by_role("link", name="Download the certificate")
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    assert "gil@example.net" not in download.value.path().read_text()

    page.get_by_role("link", name="The customer record").click()
    expect(page.get_by_role("heading", name=f"Erased customer {customer_id}")).to_be_visible()
    expect(page.get_by_text("gil@example.net")).to_have_count(0)
