"""Building a strategy in Chromium: from a segment, a dry run, activation, and the enrolments
appearing as the worker enrols the audience in the background."""

import re
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from models import Role
from tests.browser.test_customers import sign_in
from tests.outreach_helpers import make_customers
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import segments
from workflows.customers.queries import CustomerFilter

pytestmark = pytest.mark.browser


def test_build_dry_run_activate_and_watch_enrolments(
    page: Page, live_server: str, app: Flask, make_user: Any, worker: Any
) -> None:
    with app.app_context():
        make_customers(db.session, current_clock(), 3, tag="browser")
        segments.create_segment(
            db.session,
            "Browser folk",
            CustomerFilter(tag="browser"),
            owner_id=None,
            clock=current_clock(),
        )
        db.session.commit()
    sign_in(page, live_server, make_user(Role.SUPERVISOR))
    page.get_by_role("link", name="Strategies").click()
    page.get_by_role("button", name="New strategy").click()
    page.locator("input[name=name]").fill("Welcome tour")
    page.locator("#segment_id").select_option(label="Browser folk")
    page.locator("input[name=window_start]").fill("00:00")
    page.locator("input[name=window_end]").fill("24:00")
    step = page.locator("#step-0")
    step.locator("input[name=steps-0-subject]").fill("Welcome, {{ customer.first_name }}")
    step.locator("textarea[name=steps-0-body]").fill("Hello {{ customer.name }}")
    page.get_by_role("button", name="Save").click()

    expect(page.locator("#strategy-status")).to_have_text("draft")
    page.get_by_role("button", name="Dry run").click()
    expect(page.locator("#would-enrol")).to_have_text("3")
    page.get_by_role("button", name="Activate").click()
    expect(page.locator("#strategy-status")).to_have_text("active")
    # The worker enrols in the background; the page polls the progress and reloads when done.
    page.wait_for_timeout(500)
    page.reload()
    expect(page.locator("#enrolments tbody tr")).to_have_count(3, timeout=15_000)
    # Active, or already completed when a clock process of an earlier test sent the one step.
    expect(page.locator("#enrolments tbody tr").first.locator(".status")).to_have_text(
        re.compile("active|completed")
    )
