"""An adaptive strategy's page in Chromium: the split over time as a line chart that switches to
its table and downloads exactly that table as CSV, and the current shares as a table."""

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from models import Role
from tests.browser.report_charts import download_csv
from tests.browser.test_customers import sign_in
from tests.integration.test_adaptive_split import START, hand_built
from web.extensions import db
from workflows.analytics import variant_splits
from workflows.platform.clock import ManualClock

pytestmark = pytest.mark.browser


def test_the_page_draws_the_split_over_time(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    with app.app_context():
        strategy_id = hand_built().id
        for hours in (0, 1):
            variant_splits.compute_all(
                db.session, clock=ManualClock(START + timedelta(hours=hours))
            )
        db.session.commit()
    sign_in(page, live_server, make_user(Role.AGENT, time_zone="Asia/Shanghai"))
    page.goto(f"{live_server}/strategies/{strategy_id}")
    page.wait_for_selector("body[data-report-ready]")
    history = page.locator('figure[data-section="split.history"]')
    expect(history.locator(".chart-canvas svg")).to_have_count(1)
    header, *rows = download_csv(page, history)
    assert header == ["computed_at", "step_1_A", "step_1_B"]
    assert len(rows) == 2 and all(float(b) > float(a) for _, a, b in rows)
    history.get_by_role("button", name="Show table").click()
    expect(history.locator(".chart-table tbody tr")).to_have_count(2)
    # The CSV keeps the moment in UTC; the table shows it in the viewer's zone (UTC+8).
    assert rows[0][0] == START.isoformat(timespec="seconds")
    first = history.locator(".chart-table tbody tr").first.locator("td").first
    expect(first).to_contain_text("18:00")
    current = page.locator('figure[data-section="split.current"] .chart-table')
    expect(current).to_be_visible()
    expect(current.locator("tbody tr")).to_have_count(2)
