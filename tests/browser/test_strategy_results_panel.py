"""The effect panel on a strategy's page in Chromium: the verdicts in words, the per-arm
figures as a chart that switches to its table, and a CSV of exactly that table."""

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from models import Role
from tests.browser.report_charts import download_csv
from tests.browser.test_customers import sign_in
from tests.integration.test_strategy_results import hand_built

pytestmark = pytest.mark.browser


def test_the_strategy_page_says_whether_b_beats_a(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    with app.app_context():
        strategy_id = hand_built().id
    sign_in(page, live_server, make_user(Role.AGENT))
    page.goto(f"{live_server}/strategies/{strategy_id}")
    page.wait_for_selector("body[data-report-ready]")
    verdicts = page.locator("#strategy-verdicts li")
    expect(verdicts).to_have_count(2)
    expect(verdicts.nth(0)).to_contain_text("Goal rate:")
    expect(verdicts.nth(1)).to_contain_text("cannot tell A and B apart yet")

    arms = page.locator('figure[data-section="arms"]').first  # reply and goal rates
    header, *cells = download_csv(page, arms)
    rows = [dict(zip(header, row, strict=True)) for row in cells]
    assert [row["arm"] for row in rows] == ["contacted", "holdout", "step 1 · A", "step 1 · B"]
    assert [row["replied"] for row in rows] == ["11", "1", "4", "7"]

    arms.get_by_role("button", name="Show table").click()
    expect(arms.locator(".chart-table tbody tr")).to_have_count(4)
    comparisons = page.locator('figure[data-section="comparisons"] .chart-table')
    expect(comparisons).to_be_visible()  # a table-only figure
    expect(comparisons.locator("tbody tr")).to_have_count(8)
