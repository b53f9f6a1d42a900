"""Saving a segment in Chromium after searching as you type (no full reload, no Search click)."""

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from models import Role, Segment
from tests.browser.test_customers import make_customer, sign_in
from web.extensions import db

pytestmark = pytest.mark.browser


def test_saves_the_filters_typed_since_the_page_loaded(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    make_customer(app, name="Ana Lima")
    make_customer(app, name="Bruno Costa")
    sign_in(page, live_server, make_user(Role.AGENT))
    page.get_by_role("link", name="Customers", exact=True).click()
    page.get_by_label("Search customers").press_sequentially("lima")
    expect(page.locator("#results").get_by_role("link", name="Bruno Costa")).to_have_count(0)

    page.get_by_label("Segment name").fill("Limas")
    page.get_by_role("button", name="Save these filters as a segment").click()

    expect(page.get_by_role("heading", name="Segments")).to_be_visible()
    expect(page.locator("span.count")).to_have_text("1")
    with app.app_context():
        (definition,) = db.session.scalars(select(Segment.definition))
    assert definition == {"q": "lima"}
